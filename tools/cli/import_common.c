/* import_common.c: what every importer shares: the problem list, batch
 * building and the small checks every reader uses (slugs, ids, times; the
 * vocabularies and the time parser are common/'s).  The entry point that
 * recognises a file and hands it to its reader is import_file.c, above the
 * readers.
 *
 * Ownership: everything allocated here belongs to the cw_import and is
 * released by cw_import_free. */
#include "import.h"

#include <crosswalk/time.h>

#include <msgpack.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- problems and batches ---- */

/* Appends to a list of problems or of notes (*list, *n); past
 * CW_IMP_MAX_PROBLEMS one last "more than" entry ends it. */
static void add_entry(cw_import_problem **list, size_t *n, const char *where, const char *field,
                      const char *msg)
{
    if (*n > CW_IMP_MAX_PROBLEMS)
        return;
    cw_import_problem *np = realloc(*list, (*n + 1) * sizeof *np);
    if (!np)
        return;
    *list = np;
    cw_import_problem *p = &np[(*n)++];
    if (*n > CW_IMP_MAX_PROBLEMS) {
        snprintf(p->where, sizeof p->where, "%s", where);
        snprintf(p->field, sizeof p->field, "%s", "file");
        snprintf(p->msg, sizeof p->msg, "more than %d; the rest are not listed",
                 CW_IMP_MAX_PROBLEMS);
        return;
    }
    snprintf(p->where, sizeof p->where, "%s", where);
    snprintf(p->field, sizeof p->field, "%s", field);
    snprintf(p->msg, sizeof p->msg, "%s", msg);
}

static void add_problem(cw_import *imp, const char *where, const char *field, const char *msg)
{
    add_entry(&imp->problems, &imp->n_problems, where, field, msg);
}

/* A problem or note at file:line, its message formatted from fmt, ap. */
static void add_at(cw_import_problem **list, size_t *n, const char *file, long line,
                   const char *field, const char *fmt, va_list ap)
{
    char msg[256], where[256];
    vsnprintf(msg, sizeof msg, fmt, ap);
    snprintf(where, sizeof where, "%s:%ld", file, line);
    add_entry(list, n, where, field, msg);
}

void cw_imp_note(cw_import *imp, const char *where, const char *field, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    add_entry(&imp->notes, &imp->n_notes, where, field, msg);
}

void cw_imp_note_at(cw_import *imp, const char *file, long line, const char *field, const char *fmt,
                    ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_at(&imp->notes, &imp->n_notes, file, line, field, fmt, ap);
    va_end(ap);
}

void cw_imp_problem(cw_import *imp, const char *where, const char *field, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    add_problem(imp, where, field, msg);
}

void cw_imp_problem_at(cw_import *imp, const char *file, long line, const char *field,
                       const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_at(&imp->problems, &imp->n_problems, file, line, field, fmt, ap);
    va_end(ap);
}

int cw_imp_batch(cw_import *imp, const char *method, json_t *params, size_t items)
{
    cw_import_batch *nb = realloc(imp->batches, (imp->n_batches + 1) * sizeof *nb);
    if (!nb) {
        json_decref(params);
        return -1;
    }
    imp->batches = nb;
    nb[imp->n_batches] = (cw_import_batch){method, params, NULL, 0, items};
    imp->n_batches++;
    imp->total_items += items;
    return 0;
}

int cw_imp_packed_batch(cw_import *imp, const char *method, const char *org, const char *key,
                        const char *items, size_t len, size_t n)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    size_t ol = strlen(org), kl = strlen(key);
    if (msgpack_pack_map(&pk, 2) || msgpack_pack_str(&pk, 3) ||
        msgpack_pack_str_body(&pk, "org", 3) || msgpack_pack_str(&pk, ol) ||
        msgpack_pack_str_body(&pk, org, ol) || msgpack_pack_str(&pk, kl) ||
        msgpack_pack_str_body(&pk, key, kl) || msgpack_pack_array(&pk, n) ||
        msgpack_sbuffer_write(&sb, items, len)) {
        msgpack_sbuffer_destroy(&sb);
        return -1;
    }
    cw_import_batch *nb = realloc(imp->batches, (imp->n_batches + 1) * sizeof *nb);
    if (!nb) {
        msgpack_sbuffer_destroy(&sb);
        return -1;
    }
    imp->batches = nb;
    size_t l = sb.size;
    nb[imp->n_batches] = (cw_import_batch){method, NULL, msgpack_sbuffer_release(&sb), l, n};
    imp->n_batches++;
    imp->total_items += n;
    return 0;
}

int cw_imp_batches(cw_import *imp, const char *method, json_t *base, const char *key, json_t *items,
                   size_t batch_size)
{
    size_t n = json_array_size(items);
    if (batch_size == 0)
        batch_size = 10000;
    for (size_t at = 0; at < n; at += batch_size) {
        size_t k = n - at < batch_size ? n - at : batch_size;
        json_t *p = json_copy(base), *slice = json_array();
        if (!p || !slice) {
            json_decref(p);
            json_decref(slice);
            return -1;
        }
        for (size_t i = 0; i < k; i++)
            json_array_append(slice, json_array_get(items, at + i));
        json_object_set_new(p, key, slice);
        if (cw_imp_batch(imp, method, p, k))
            return -1;
    }
    return 0;
}

int cw_imp_mapping_batches(cw_import *imp, json_t *rows, size_t batch_size)
{
    json_t *base = json_object();
    int rc = cw_imp_batches(imp, "mapping.load", base, "mappings", rows, batch_size);
    json_decref(base);
    json_decref(rows);
    return rc;
}

void cw_imp_mapping_tail(json_t *row, long strength, const char *rationale, const char *origin)
{
    if (strength > 0)
        json_object_set_new(row, "strength", json_integer(strength));
    if (rationale && *rationale)
        json_object_set_new(row, "rationale", json_string(rationale));
    json_object_set_new(row, "origin", json_string(origin));
}

/* ---- shared checks ---- */

int cw_imp_slugify(const char *s, char *out, size_t outlen)
{
    size_t o = 0, cut = 0; /* cut: where the slug ends if a word is cut */
    int dash = 0;
    if (outlen == 0)
        return -1;
    size_t room = outlen - 1 < CW_IMP_MAX_SLUG ? outlen - 1 : CW_IMP_MAX_SLUG;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (!isalnum(c) || c >= 0x80) {
            dash = 1;
            continue;
        }
        if (dash && o > 0) {
            cut = o;
            if (o + 2 > room)
                break;
            out[o++] = '-';
        }
        dash = 0;
        if (o + 1 > room) {
            /* a long title: end at the last whole word rather than glue
             * or halve one ("...-privacy", not "...-privacyc") */
            o = cut ? cut : o;
            break;
        }
        out[o++] = (char)tolower(c);
    }
    out[o] = '\0';
    return cw_slug_ok(out) ? 0 : -1;
}

const char *cw_imp_id_problem(const char *s)
{
    if (!s || !*s)
        return "must not be empty";
    if (strlen(s) > CW_IMP_MAX_ID)
        return "longer than 128 bytes";
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return "contains a control character";
    return NULL;
}

int cw_imp_time(const char *s, json_t **out, long long *epoch)
{
    size_t n = strlen(s);
    if (n > 0 && n <= 18 && strspn(s, "0123456789") == n) {
        errno = 0;
        char *end;
        long long v = strtoll(s, &end, 10);
        if (errno || *end)
            return -1;
        *epoch = v;
        if (!out)
            return 0;
        *out = json_integer(v);
        return *out ? 0 : -1;
    }
    cw_time t;
    if (cw_time_parse_strict(s, &t))
        return -1;
    *epoch = t;
    if (!out)
        return 0;
    *out = json_string(s);
    return *out ? 0 : -1;
}

void cw_import_free(cw_import *imp)
{
    if (!imp)
        return;
    for (size_t i = 0; i < imp->n_batches; i++) {
        json_decref(imp->batches[i].params);
        free(imp->batches[i].packed);
    }
    free(imp->batches);
    free(imp->problems);
    free(imp->notes);
    json_decref(imp->urn_refs);
    memset(imp, 0, sizeof *imp);
}

/* ---- the string map: common/strmap.c, over keys copied into its arena ---- */

int cw_imp_map_get(const cw_imp_map *m, const char *key, long *val)
{
    size_t v;
    if (!cw_strmap_get(&m->map, key, strlen(key), &v))
        return 0;
    if (val)
        *val = (long)v;
    return 1;
}

int cw_imp_map_put(cw_imp_map *m, const char *key, long val, long *old)
{
    if (!m->arena && (!(m->arena = cw_arena_new()) || cw_strmap_init(&m->map, m->arena, 64)))
        return -1;
    size_t n = strlen(key), prev;
    if (cw_strmap_get(&m->map, key, n, &prev)) {
        if (old)
            *old = (long)prev;
        return 1;
    }
    const char *copy = cw_arena_strndup(m->arena, key, n);
    if (!copy || cw_strmap_put(&m->map, copy, n, (size_t)val, NULL) < 0)
        return -1;
    return 0;
}

void cw_imp_map_free(cw_imp_map *m)
{
    cw_arena_free(m->arena);
    memset(m, 0, sizeof *m);
}
