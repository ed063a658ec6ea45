/* Answers kept with a shared cache entry: the catalogue graph keeps
 * framework.compare answers (they depend on the catalogues alone) and an
 * organisation snapshot keeps coverage, gap and SoA answers (they depend
 * on the snapshot and the graph generation, the tag).  A memo is a short
 * bounded list under a lock; each answer lives in an arena of its own,
 * which the memo takes and frees with itself. */
#include "internal.h"

#include <stdatomic.h>
#include <string.h>

typedef struct memo_entry {
    struct memo_entry *next;
    uint64_t tag, id;
    char *key;
    const void *answer;
    cw_arena *a; /* holds the answer and this entry */
} memo_entry;

void memo_init(memo *m, size_t max, _Atomic uint64_t *seq)
{
    *m = (memo){.max = max, .seq = seq};
    pthread_mutex_init(&m->lock, NULL);
}

void memo_free(memo *m)
{
    for (memo_entry *e = m->head, *n; e; e = n) {
        n = e->next;
        cw_arena_free(e->a); /* e lives in its own arena */
    }
    pthread_mutex_destroy(&m->lock);
}

const void *memo_get(memo *m, uint64_t tag, const char *key, uint64_t *id)
{
    const void *found = NULL;
    pthread_mutex_lock(&m->lock);
    for (const memo_entry *e = m->head; e && !found; e = e->next)
        if (e->tag == tag && strcmp(e->key, key) == 0) {
            found = e->answer;
            *id = e->id;
        }
    pthread_mutex_unlock(&m->lock);
    return found;
}

static void arena_free_fn(void *p)
{
    cw_arena_free(p);
}

int memo_put(memo *m, uint64_t tag, const char *key, cw_arena *a, const void *answer,
             cw_arena *hold, uint64_t *id)
{
    *id = 0;
    memo_entry *e = cw_arena_alloc(a, sizeof *e);
    char *k = cw_arena_strdup(a, key);
    bool kept = false;
    if (e && k) {
        *e = (memo_entry){NULL, tag, 0, k, answer, a};
        pthread_mutex_lock(&m->lock);
        bool dup = false;
        for (const memo_entry *o = m->head; o && !dup; o = o->next)
            dup = o->tag == tag && strcmp(o->key, key) == 0;
        if (!dup && m->n < m->max) {
            e->next = m->head;
            m->head = e;
            m->n++;
            kept = true;
            /* from the environment's sequence: ids never repeat, even
             * across entries freed and allocated at the same address */
            *id = e->id = atomic_fetch_add(m->seq, 1) + 1;
        }
        pthread_mutex_unlock(&m->lock);
    }
    if (!kept && cw_arena_defer(hold, arena_free_fn, a))
        return CW_ENOMEM; /* defer ran the free already */
    return 0;
}
