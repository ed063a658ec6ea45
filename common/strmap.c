/* Open-addressing hash map from byte strings to indexes, allocated in an
 * arena, used to find requirements, controls and batch duplicates by key
 * while a query or a bulk load runs, and by the tools' importers to find
 * ids and duplicate rows in a file. */
#include "crosswalk/strmap.h"

#include "crosswalk/error.h"

#include <stdint.h>
#include <string.h>

static uint64_t hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

int cw_strmap_init(cw_strmap *m, cw_arena *a, size_t expect)
{
    size_t cap = 16;
    while (cap < expect * 2)
        cap *= 2;
    m->a = a;
    m->cap = cap;
    m->n = 0;
    m->keys = cw_arena_alloc(a, cap * sizeof *m->keys);
    m->lens = cw_arena_alloc(a, cap * sizeof *m->lens);
    m->vals = cw_arena_alloc(a, cap * sizeof *m->vals);
    return m->keys && m->lens && m->vals ? 0 : CW_ENOMEM;
}

static size_t slot(const cw_strmap *m, const char *key, size_t len)
{
    size_t i = hash(key, len) & (m->cap - 1);
    while (m->keys[i] && !(m->lens[i] == len && memcmp(m->keys[i], key, len) == 0))
        i = (i + 1) & (m->cap - 1);
    return i;
}

int cw_strmap_put(cw_strmap *m, const char *key, size_t len, size_t val, size_t *old)
{
    size_t i = slot(m, key, len);
    if (m->keys[i]) {
        if (old)
            *old = m->vals[i];
        return 1;
    }
    if ((m->n + 1) * 2 > m->cap) {
        cw_strmap bigger;
        if (cw_strmap_init(&bigger, m->a, m->cap))
            return CW_ENOMEM;
        for (size_t j = 0; j < m->cap; j++)
            if (m->keys[j]) {
                size_t k = slot(&bigger, m->keys[j], m->lens[j]);
                bigger.keys[k] = m->keys[j];
                bigger.lens[k] = m->lens[j];
                bigger.vals[k] = m->vals[j];
            }
        bigger.n = m->n;
        *m = bigger;
        i = slot(m, key, len);
    }
    m->keys[i] = key;
    m->lens[i] = len;
    m->vals[i] = val;
    m->n++;
    return 0;
}

bool cw_strmap_get(const cw_strmap *m, const char *key, size_t len, size_t *val)
{
    if (!m->cap)
        return false;
    size_t i = slot(m, key, len);
    if (!m->keys[i])
        return false;
    if (val)
        *val = m->vals[i];
    return true;
}
