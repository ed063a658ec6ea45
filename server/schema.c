/* methods.def made into code: the value decoders every argument and item
 * field goes through (one message per mistake, naming the field with its
 * path, "controls[3].links[0].id: missing"), the generated decoder of
 * each method's arguments and of each item, the method table the
 * dispatcher looks names up in, and the schema server.schema publishes.
 * Paths are formatted only once something is wrong: bulk loads decode
 * millions of fields. */
#include "schema.h"

#include "pack.h"

#include "crosswalk/check.h"
#include "crosswalk/mpack.h"
#include "crosswalk/mapping.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIELD(buf, ...) snprintf(buf, sizeof buf, __VA_ARGS__)

/* ---- reading msgpack ---- */

const msgpack_object *cw_arg_get(const msgpack_object *map, const char *key)
{
    return cw_mp_get(map, key);
}

static const char *type_name(const msgpack_object *o)
{
    switch (o->type) {
    case MSGPACK_OBJECT_NIL: return "nil";
    case MSGPACK_OBJECT_BOOLEAN: return "a boolean";
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: return "an integer";
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64: return "a float";
    case MSGPACK_OBJECT_STR: return "a string";
    case MSGPACK_OBJECT_BIN: return "binary";
    case MSGPACK_OBJECT_ARRAY: return "an array";
    case MSGPACK_OBJECT_MAP: return "a map";
    default: return "an extension";
    }
}

/* Puts path ("items[3].") in front of the message of a failed decode. */
static int in_path(int rc, const char *path, cw_err *err)
{
    size_t pl = strlen(path), ml = strlen(err->msg);
    if (rc && pl && pl < CW_ERR_MSG_MAX) {
        if (pl + ml >= CW_ERR_MSG_MAX)
            ml = CW_ERR_MSG_MAX - 1 - pl;
        memmove(err->msg + pl, err->msg, ml);
        memcpy(err->msg, path, pl);
        err->msg[pl + ml] = '\0';
    }
    return rc;
}

static bool absent(const msgpack_object *o)
{
    return !o || o->type == MSGPACK_OBJECT_NIL;
}

static int missing(const char *path, const char *key, cw_err *err)
{
    return in_path(cw_err_set(err, CW_EINVAL, "%s: missing", key), path, err);
}

/* A string copied into a with a NUL; embedded NULs are refused. */
static int to_str(const msgpack_object *o, const char *field, cw_arena *a, const char **out,
                  cw_err *err)
{
    if (o->type != MSGPACK_OBJECT_STR)
        return cw_err_set(err, CW_EINVAL, "%s: expected a string, got %s", field, type_name(o));
    if (memchr(o->via.str.ptr, '\0', o->via.str.size))
        return cw_err_set(err, CW_EINVAL, "%s: contains a NUL byte", field);
    size_t bad = cw_utf8_bad(o->via.str.ptr, o->via.str.size);
    if (bad < o->via.str.size)
        return cw_err_set(err, CW_EINVAL, "%s: not valid UTF-8 (byte 0x%02x at offset %zu)", field,
                          (unsigned char)o->via.str.ptr[bad], bad);
    *out = cw_arena_strndup(a, o->via.str.ptr, o->via.str.size);
    if (!*out)
        return cw_err_set(err, CW_ENOMEM, "%s: out of memory", field);
    return 0;
}

static int to_time(const msgpack_object *o, const char *field, cw_time *out, cw_err *err)
{
    switch (o->type) {
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        if (o->via.u64 > (uint64_t)INT64_MAX / 2)
            return cw_err_set(err, CW_ERANGE, "%s: time out of range", field);
        *out = (cw_time)o->via.u64;
        return 0;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: *out = o->via.i64; return 0;
    case MSGPACK_OBJECT_STR:
        if (cw_time_parse(o->via.str.ptr, o->via.str.size, out))
            return cw_err_set(err, CW_EINVAL,
                              "%s: expected an RFC 3339 time like 2026-01-31T12:00:00Z", field);
        return 0;
    case MSGPACK_OBJECT_EXT:
        if (o->via.ext.type == -1) {
            /* msgpack timestamp 32, 64 (34-bit seconds) or 96 */
            const unsigned char *p = (const unsigned char *)o->via.ext.ptr;
            uint32_t n = o->via.ext.size;
            uint64_t v = 0;
            for (uint32_t i = 0; i < n && i < 8; i++)
                v = v << 8 | p[i];
            if (n == 4) {
                *out = (cw_time)(uint32_t)v;
                return 0;
            }
            if (n == 8) {
                *out = (cw_time)(v & 0x3ffffffffULL);
                return 0;
            }
            if (n == 12) {
                int64_t sec = 0;
                for (int i = 4; i < 12; i++)
                    sec = (int64_t)((uint64_t)sec << 8 | p[i]);
                *out = sec;
                return 0;
            }
        }
        return cw_err_set(err, CW_EINVAL, "%s: extension type is not a msgpack timestamp", field);
    default:
        return cw_err_set(err, CW_EINVAL,
                          "%s: expected a time (integer seconds, RFC 3339 string or msgpack "
                          "timestamp), got %s",
                          field, type_name(o));
    }
}

/* Any of the three forms, within the years RFC 3339 can write. */
int cw_to_time(const msgpack_object *o, const char *field, cw_time *out, cw_err *err)
{
    cw_time t;
    int rc = to_time(o, field, &t, err);
    if (rc == 0 && (t < CW_TIME_MIN || t > CW_TIME_MAX))
        rc = cw_err_set(err, CW_ERANGE,
                        "%s: time out of range: %lld is outside the years 0000 to 9999", field,
                        (long long)t);
    if (rc == 0)
        *out = t;
    return rc;
}

static int to_int(const msgpack_object *o, const char *field, int64_t lo, int64_t hi, int64_t *out,
                  cw_err *err)
{
    int64_t v;
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
        if (o->via.u64 > (uint64_t)INT64_MAX)
            return cw_err_set(err, CW_ERANGE, "%s: %llu is outside %lld..%lld", field,
                              (unsigned long long)o->via.u64, (long long)lo, (long long)hi);
        v = (int64_t)o->via.u64;
    } else if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
        v = o->via.i64;
    } else {
        return cw_err_set(err, CW_EINVAL, "%s: expected an integer, got %s", field, type_name(o));
    }
    if (v < lo || v > hi)
        return cw_err_set(err, CW_ERANGE, "%s: %lld is outside %lld..%lld", field, (long long)v,
                          (long long)lo, (long long)hi);
    *out = v;
    return 0;
}

int cw_check_keys(const msgpack_object *map, const char *allowed, cw_err *err)
{
    if (!map)
        return 0;
    const char *next = NULL; /* the word after the last match */
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object *k = &map->via.map.ptr[i].key;
        const char *p;
        size_t n;
        if (k->type == MSGPACK_OBJECT_STR) {
            p = k->via.str.ptr;
            n = k->via.str.size;
        } else if (k->type == MSGPACK_OBJECT_BIN) {
            p = k->via.bin.ptr;
            n = k->via.bin.size;
        } else {
            return cw_err_set(err, CW_EINVAL, "params: argument names must be strings, got %s",
                              type_name(k));
        }
        /* Runs for every key of every bulk item. Clients send an item's
         * keys in one order, mostly the declared one, so the search starts
         * after the word the previous key matched and wraps round: usually
         * the first word it looks at is the one. */
        bool ok = false;
        const char *start = next && *next ? next : allowed;
        for (const char *w = start; w && n && !ok;) {
            const char *e = w;
            while (*e && *e != ' ')
                e++;
            if ((size_t)(e - w) == n && w[0] == p[0] && memcmp(w, p, n) == 0) {
                ok = true;
                next = *e ? e + 1 : e;
                break;
            }
            w = *e ? e + 1 : allowed; /* past the last word: from the first */
            if (w == start)
                break;
        }
        if (!ok)
            return cw_err_set(err, CW_EINVAL, "%.*s: unknown argument (accepted: %s)",
                              (int)(n > 60 ? 60 : n), p, allowed && *allowed ? allowed : "none");
    }
    return 0;
}

int cw_params_args(const cw_method *m, const msgpack_object *params, msgpack_zone *z,
                   const msgpack_object **args, cw_err *err)
{
    *args = NULL;
    if (params->type != MSGPACK_OBJECT_ARRAY)
        return cw_err_set(err, CW_EINVAL, "params: expected an array");
    uint32_t n = params->via.array.size;
    const msgpack_object *v = params->via.array.ptr;
    if (n == 0 || (n == 1 && v[0].type == MSGPACK_OBJECT_NIL))
        return 0;
    if (n == 1 && v[0].type == MSGPACK_OBJECT_MAP) {
        *args = &v[0];
        return 0;
    }
    size_t max = 0;
    char order[256] = "";
    for (size_t l = 0; m->names[max]; max++)
        l += (size_t)snprintf(order + l, l < sizeof order ? sizeof order - l : 0, "%s%s",
                              max ? ", " : "", m->names[max]);
    if (max == 0)
        return cw_err_set(err, CW_EINVAL, "params: %s takes no arguments: []", m->name);
    if (!(m->flags & M_POS))
        return cw_err_set(err, CW_EINVAL,
                          "params: %s takes named arguments only: [{name: value, ...}] (%s)",
                          m->name, order);
    if (n > max)
        return cw_err_set(err, CW_EINVAL,
                          "params: %s takes at most %zu positional arguments (%s), got %u", m->name,
                          max, order, n);
    /* The values stay where they were decoded; only the map around them is
     * new, in the request's own zone. */
    msgpack_object *map = msgpack_zone_malloc(z, sizeof *map);
    msgpack_object_kv *kv = msgpack_zone_malloc(z, n * sizeof *kv);
    if (!map || !kv)
        return cw_err_set(err, CW_ENOMEM, "params: out of memory");
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (v[i].type == MSGPACK_OBJECT_NIL)
            continue;
        kv[k].key.type = MSGPACK_OBJECT_STR;
        kv[k].key.via.str.ptr = m->names[i];
        kv[k].key.via.str.size = (uint32_t)strlen(m->names[i]);
        kv[k++].val = v[i];
    }
    map->type = MSGPACK_OBJECT_MAP;
    map->via.map.size = k;
    map->via.map.ptr = kv;
    *args = map;
    return 0;
}

/* ---- value decoders ----
 *
 * Every decoder gets the value itself, present and not nil: the generated
 * code looks the key up once (value_of), refuses it when required and
 * missing, and sets has_<key>.  A decoder only converts and checks. */

/* *o: key's value in map, or NULL when it is absent or nil, which is a
 * mistake when req.  has (may be NULL) says which. */
static int value_of(const msgpack_object *map, const char *path, const char *key, bool req,
                    bool *has, const msgpack_object **o, cw_err *err)
{
    *o = cw_arg_get(map, key);
    if (absent(*o))
        *o = NULL;
    if (has)
        *has = *o != NULL;
    return !*o && req ? missing(path, key, err) : 0;
}

/* A string field of a map that is not itself an argument (a joint
 * member's {framework, id}). */
static int field_str(const msgpack_object *map, const char *path, const char *key, bool req,
                     cw_arena *a, const char **out, cw_err *err)
{
    const msgpack_object *o;
    int rc = value_of(map, path, key, req, NULL, &o, err);
    return rc || !o ? rc : cw_dec_STR(o, path, key, a, out, err);
}

int cw_dec_STR(const msgpack_object *o, const char *path, const char *key, cw_arena *a,
               const char **out, cw_err *err)
{
    return in_path(to_str(o, key, a, out, err), path, err);
}

/* A string held to the name rule (crosswalk/check.h) at max bytes. */
static int name(const msgpack_object *o, const char *path, const char *key, size_t max, cw_arena *a,
                const char **out, cw_err *err)
{
    int rc = cw_dec_STR(o, path, key, a, out, err);
    return rc ? rc : in_path(cw_check_name(key, *out, max, err), path, err);
}

/* Names held to the rule at each kind's bound; TEXT (a search) to an id's. */
#define CW_NAME_DEC(T, max)                                                                        \
    int cw_dec_##T(const msgpack_object *o, const char *path, const char *key, cw_arena *a,        \
                   const char **out, cw_err *err)                                                  \
    {                                                                                              \
        return name(o, path, key, max, a, out, err);                                               \
    }
CW_NAME_DEC(SLUG, CW_MAX_SLUG)
CW_NAME_DEC(ID, CW_MAX_ID)
CW_NAME_DEC(ORIGIN, CW_MAX_ORIGIN)
CW_NAME_DEC(TEXT, CW_MAX_ID)
#undef CW_NAME_DEC

int cw_dec_BOOL(const msgpack_object *o, const char *path, const char *key, cw_arena *a, bool *out,
                cw_err *err)
{
    (void)a;
    if (o->type != MSGPACK_OBJECT_BOOLEAN)
        return in_path(
            cw_err_set(err, CW_EINVAL, "%s: expected a boolean, got %s", key, type_name(o)), path,
            err);
    *out = o->via.boolean;
    return 0;
}

/* How much of a coverage answer to give: 0 the summary (false), 1 every
 * requirement with its contributions (true or "full"), 2 the same with
 * each path once in a table (CW_DETAIL_COMPACT). */
int cw_dec_DETAIL(const msgpack_object *o, const char *path, const char *key, cw_arena *a, int *out,
                  cw_err *err)
{
    (void)a;
    if (o->type == MSGPACK_OBJECT_BOOLEAN) {
        *out = o->via.boolean ? CW_DETAIL_FULL : CW_DETAIL_NONE;
        return 0;
    }
    if (o->type == MSGPACK_OBJECT_STR) {
        const msgpack_object_str *v = &o->via.str;
        if (v->size == 4 && memcmp(v->ptr, "full", 4) == 0) {
            *out = CW_DETAIL_FULL;
            return 0;
        }
        if (v->size == 7 && memcmp(v->ptr, "compact", 7) == 0) {
            *out = CW_DETAIL_COMPACT;
            return 0;
        }
    }
    return in_path(cw_err_set(err, CW_EINVAL,
                              "%s: expected true, false, \"full\" or \"compact\", got %s", key,
                              type_name(o)),
                   path, err);
}

int cw_dec_TIME(const msgpack_object *o, const char *path, const char *key, cw_arena *a,
                cw_time *out, cw_err *err)
{
    (void)a;
    return in_path(cw_to_time(o, key, out, err), path, err);
}

/* An integer lo..hi into an int. */
static int small_int(const msgpack_object *o, const char *path, const char *key, int lo, int hi,
                     int *out, cw_err *err)
{
    int64_t v = 0;
    int rc = in_path(to_int(o, key, lo, hi, &v, err), path, err);
    *out = (int)v;
    return rc;
}

int cw_dec_HOPS(const msgpack_object *o, const char *path, const char *key, cw_arena *a, int *out,
                cw_err *err)
{
    (void)a;
    return small_int(o, path, key, 1, CW_MAX_HOPS, out, err);
}

int cw_dec_COUNT(const msgpack_object *o, const char *path, const char *key, cw_arena *a, int *out,
                 cw_err *err)
{
    (void)a;
    return small_int(o, path, key, 1, 10000, out, err);
}

int cw_dec_PAGE(const msgpack_object *o, const char *path, const char *key, cw_arena *a, int *out,
                cw_err *err)
{
    (void)a;
    return small_int(o, path, key, 1, 100000, out, err);
}

int cw_dec_OFFSET(const msgpack_object *o, const char *path, const char *key, cw_arena *a,
                  int64_t *out, cw_err *err)
{
    (void)a;
    return in_path(to_int(o, key, 0, INT64_MAX, out, err), path, err);
}

/* Up to a hundred years, in seconds. */
#define DURATION_MAX INT64_C(3153600000)

int cw_dec_DURATION(const msgpack_object *o, const char *path, const char *key, cw_arena *a,
                    int64_t *out, cw_err *err)
{
    (void)a;
    if (o->type != MSGPACK_OBJECT_STR)
        return in_path(to_int(o, key, 0, DURATION_MAX, out, err), path, err);
    const char *p = o->via.str.ptr;
    size_t n = o->via.str.size;
    int64_t v = 0;
    size_t i = 0;
    for (; i < n && p[i] >= '0' && p[i] <= '9' && v <= DURATION_MAX; i++)
        v = v * 10 + (p[i] - '0');
    int64_t unit = 0;
    if (i > 0 && i + 1 == n)
        unit = p[i] == 's' ? 1 : p[i] == 'm' ? 60 : p[i] == 'h' ? 3600 : p[i] == 'd' ? 86400 : 0;
    if (!unit)
        return cw_err_set(err, CW_EINVAL,
                          "%s%s: expected seconds, or a number followed by s, m, h or d (90s, "
                          "15m, 12h, 30d)",
                          path, key);
    if (v > DURATION_MAX / unit)
        return cw_err_set(err, CW_ERANGE, "%s%s: more than a hundred years", path, key);
    *out = v * unit;
    return 0;
}

int cw_dec_BYTES(const msgpack_object *o, const char *path, const char *key, cw_arena *a,
                 int64_t *out, cw_err *err)
{
    (void)a;
    return in_path(to_int(o, key, 1, INT64_MAX, out, err), path, err);
}

int cw_dec_ATTRFILTER(const msgpack_object *o, const char *path, const char *key, cw_arena *a,
                      cw_attr_filter *out, cw_err *err)
{
    const char *s;
    int rc = cw_dec_STR(o, path, key, a, &s, err);
    if (rc)
        return rc;
    char *copy = cw_arena_strdup(a, s);
    if (!copy)
        return cw_err_set(err, CW_ENOMEM, "%s%s: out of memory", path, key);
    char *eq = strchr(copy, '=');
    if (eq)
        *eq = '\0';
    out->key = copy;
    out->value = eq ? eq + 1 : NULL;
    if ((rc = cw_check_name(key, out->key, CW_MAX_SLUG, err)) ||
        (out->value && (rc = cw_check_name(key, out->value, CW_MAX_ID, err))))
        return in_path(rc, path, err);
    return 0;
}

/* A joint row's members as an array of 2..CW_MAX_JOINT: *set allocated in
 * a with room for them, *n their count; "<what> 2..64 requirements, got
 * N<hint>" otherwise. */
static int joint_array(const msgpack_object *o, const char *path, const char *key, const char *what,
                       const char *hint, cw_arena *a, const char ***set, size_t *n, cw_err *err)
{
    uint32_t k = o->via.array.size;
    if (k < 2 || k > CW_MAX_JOINT)
        return cw_err_set(err, CW_EINVAL, "%s%s: %s 2..%d requirements, got %u%s", path, key, what,
                          CW_MAX_JOINT, k, hint);
    if (!(*set = cw_arena_alloc(a, k * sizeof **set)))
        return cw_err_set(err, CW_ENOMEM, "%s%s: out of memory", path, key);
    *n = k;
    return 0;
}

int cw_dec_DELSOURCE(const msgpack_object *o, const char *path, const char *key, cw_arena *a,
                     cw_source_arg *out, cw_err *err)
{
    if (o->type != MSGPACK_OBJECT_ARRAY)
        return cw_dec_ID(o, path, key, a, &out->one, err);
    int rc = joint_array(o, path, key, "a joint row's set has", "", a, &out->set, &out->n, err);
    for (uint32_t j = 0; rc == 0 && j < out->n; j++) {
        char f[CW_ERR_MSG_MAX];
        FIELD(f, "%s%s[%u]", path, key, j);
        if ((rc = to_str(&o->via.array.ptr[j], f, a, &out->set[j], err)) == 0)
            rc = cw_check_name(f, out->set[j], CW_MAX_ID, err);
    }
    return rc;
}

/* A word out of a fixed list: not a string, or not one of them. */
static int word(const msgpack_object *o, const char *path, const char *key, cw_arena *a,
                int (*parse)(const char *, int *), int code, const char *choices, int *out,
                cw_err *err)
{
    const char *s;
    int rc = cw_dec_STR(o, path, key, a, &s, err);
    if (rc)
        return rc;
    if (parse(s, out))
        return cw_err_set(err, code, "%s%s: '%.40s' is not %s", path, key, s, choices);
    return 0;
}

/* The decoders of words from a fixed list, each into its own enum. */
#define CW_WORD_DEC(T, ctype, parse, code, choices)                                                \
    static int parse_##T(const char *s, int *out)                                                  \
    {                                                                                              \
        ctype v;                                                                                   \
        int rc = parse(s, &v);                                                                     \
        *out = (int)v;                                                                             \
        return rc;                                                                                 \
    }                                                                                              \
    int cw_dec_##T(const msgpack_object *o, const char *path, const char *key, cw_arena *a,        \
                   ctype *out, cw_err *err)                                                        \
    {                                                                                              \
        int v;                                                                                     \
        int rc = word(o, path, key, a, parse_##T, code, choices, &v, err);                         \
        if (rc == 0)                                                                               \
            *out = (ctype)v;                                                                       \
        return rc;                                                                                 \
    }
CW_WORD_DEC(REL, cw_rel, cw_rel_parse, CW_EREL,
            "equal, subset_of, superset_of, intersects_with or not_related")
CW_WORD_DEC(LEVEL, cw_level, cw_level_parse, CW_EINVAL, "full or partial")
CW_WORD_DEC(CTLSTATUS, cw_ctl_status, cw_ctl_status_parse, CW_EINVAL,
            "implemented, planned or not_implemented")
CW_WORD_DEC(RESULT, cw_result, cw_result_parse, CW_EINVAL, "pass, fail or unknown")
#undef CW_WORD_DEC

int cw_dec_STRENGTH(const msgpack_object *o, const char *path, const char *key, cw_arena *a,
                    int *out, cw_err *err)
{
    (void)a;
    if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER || o->via.u64 < 1 || o->via.u64 > 10)
        return cw_err_set(err, CW_ERANGE, "%s%s: expected an integer 1..10", path, key);
    *out = (int)o->via.u64;
    return 0;
}

int cw_dec_APPLIC(const msgpack_object *o, const char *path, const char *key, cw_arena *a,
                  bool *out, cw_err *err)
{
    (void)a;
    if (o->type != MSGPACK_OBJECT_BOOLEAN)
        return cw_err_set(err, CW_EINVAL, "%s%s: expected a boolean", path, key);
    *out = o->via.boolean;
    return 0;
}

/* ---- the ISMS records' values ---- */

/* The words of the ISMS vocabularies (crosswalk/isms_model.h), each into
 * its own enum. */
#define CW_VOCAB_DEC(T, ctype, names, choices)                                                     \
    static int parse_##T(const char *s, int *out)                                                  \
    {                                                                                              \
        return cw_word_parse(names, names##_count_, s, out);                                       \
    }                                                                                              \
    int cw_dec_##T(const msgpack_object *o, const char *path, const char *key, cw_arena *a,        \
                   ctype *out, cw_err *err)                                                        \
    {                                                                                              \
        int v;                                                                                     \
        int rc = word(o, path, key, a, parse_##T, CW_EINVAL, choices, &v, err);                    \
        if (rc == 0)                                                                               \
            *out = (ctype)v;                                                                       \
        return rc;                                                                                 \
    }
#define cw_treatment_names_count_ cw_treatment_count
#define cw_audit_status_names_count_ cw_audit_status_count
#define cw_finding_kind_names_count_ cw_finding_kind_count
#define cw_finding_status_names_count_ cw_finding_status_count
#define cw_effectiveness_names_count_ cw_effectiveness_count
CW_VOCAB_DEC(TREATMENT, cw_treatment, cw_treatment_names, "mitigate, transfer, avoid or accept")
CW_VOCAB_DEC(AUDITSTATUS, cw_audit_status, cw_audit_status_names, "planned, in_progress or closed")
CW_VOCAB_DEC(FINDKIND, cw_finding_kind, cw_finding_kind_names,
             "major_nc, minor_nc, observation or opportunity")
CW_VOCAB_DEC(FINDSTATUS, cw_finding_status, cw_finding_status_names,
             "open, action_planned, verified or closed")
CW_VOCAB_DEC(EFFECT, cw_effectiveness, cw_effectiveness_names, "effective or not_effective")
#undef CW_VOCAB_DEC

int cw_dec_WHEN(const msgpack_object *o, const char *path, const char *key, cw_arena *a,
                cw_when *out, cw_err *err)
{
    out->has = true;
    return cw_dec_TIME(o, path, key, a, &out->at, err);
}

int cw_dec_SCORE(const msgpack_object *o, const char *path, const char *key, cw_arena *a, int *out,
                 cw_err *err)
{
    (void)a;
    return small_int(o, path, key, 1, CW_RISK_SCALE_MAX, out, err);
}

int cw_dec_SCALE(const msgpack_object *o, const char *path, const char *key, cw_arena *a, int *out,
                 cw_err *err)
{
    (void)a;
    return small_int(o, path, key, CW_RISK_SCALE_MIN, CW_RISK_SCALE_MAX, out, err);
}

int cw_dec_VERSION(const msgpack_object *o, const char *path, const char *key, cw_arena *a,
                   int *out, cw_err *err)
{
    (void)a;
    return small_int(o, path, key, 1, 1000000, out, err);
}

static int parse_reason(const char *s, int *out)
{
    int i;
    if (cw_word_parse(cw_reason_names, 3, s, &i))
        return -1;
    *out = (int)cw_reason_bits[i];
    return 0;
}

/* A reason, or a list of them, as CW_REASON_* bits. */
int cw_dec_REASONS(const msgpack_object *o, const char *path, const char *key, cw_arena *a,
                   unsigned *out, cw_err *err)
{
    static const char choices[] = "legal, contractual or business";
    int bit = 0, rc;
    *out = 0;
    if (o->type != MSGPACK_OBJECT_ARRAY) {
        if ((rc = word(o, path, key, a, parse_reason, CW_EINVAL, choices, &bit, err)) == 0)
            *out = (unsigned)bit;
        return rc;
    }
    for (uint32_t j = 0; j < o->via.array.size; j++) {
        char fj[112];
        FIELD(fj, "%s[%u]", key, j);
        if ((rc = word(&o->via.array.ptr[j], path, fj, a, parse_reason, CW_EINVAL, choices, &bit,
                       err)))
            return rc;
        *out |= (unsigned)bit;
    }
    return 0;
}

/* ---- decoders into a whole item ---- */

int cw_dec_ATTRS(const msgpack_object *o, const char *path, const char *key, cw_arena *a,
                 cw_requirement *q, cw_err *err)
{
    char f[160];
    FIELD(f, "%s%s", path, key);
    int rc;
    if (o->type != MSGPACK_OBJECT_MAP)
        return cw_err_set(err, CW_EINVAL, "%s: expected a map of name to list of strings", f);
    q->n_attrs = o->via.map.size;
    q->attrs = cw_arena_alloc(a, (q->n_attrs + 1) * sizeof *q->attrs);
    if (!q->attrs)
        return cw_err_set(err, CW_ENOMEM, "%s: out of memory", f);
    for (uint32_t i = 0; i < o->via.map.size; i++) {
        const msgpack_object_kv *kv = &o->via.map.ptr[i];
        rc = to_str(&kv->key, f, a, &q->attrs[i].key, err);
        if (rc)
            return rc;
        const msgpack_object *v = &kv->val;
        char fv[200];
        FIELD(fv, "%s.%s", f, q->attrs[i].key);
        if (v->type == MSGPACK_OBJECT_STR) {
            q->attrs[i].n_values = 1;
            q->attrs[i].values = cw_arena_alloc(a, sizeof(char *));
            if (!q->attrs[i].values)
                return cw_err_set(err, CW_ENOMEM, "%s: out of memory", fv);
            if ((rc = to_str(v, fv, a, &q->attrs[i].values[0], err)))
                return rc;
            continue;
        }
        if (v->type != MSGPACK_OBJECT_ARRAY)
            return cw_err_set(err, CW_EINVAL, "%s: expected a list of strings", fv);
        q->attrs[i].n_values = v->via.array.size;
        q->attrs[i].values = cw_arena_alloc(a, (v->via.array.size + 1) * sizeof(char *));
        if (!q->attrs[i].values)
            return cw_err_set(err, CW_ENOMEM, "%s: out of memory", fv);
        for (uint32_t j = 0; j < v->via.array.size; j++) {
            char fj[220];
            FIELD(fj, "%s[%u]", fv, j);
            if ((rc = to_str(&v->via.array.ptr[j], fj, a, &q->attrs[i].values[j], err)))
                return rc;
        }
    }
    return 0;
}

int cw_dec_ASSESS(const msgpack_object *o, const char *path, const char *key, cw_arena *a,
                  cw_requirement *q, cw_err *err)
{
    (void)a;
    if (o->type != MSGPACK_OBJECT_BOOLEAN)
        return cw_err_set(err, CW_EINVAL, "%s%s: expected a boolean (or nil to decide by the tree)",
                          path, key);
    q->assess = o->via.boolean ? CW_ASSESS_YES : CW_ASSESS_NO;
    return 0;
}

static int parse_reqstatus(const char *s, int *withdrawn)
{
    *withdrawn = strcmp(s, "withdrawn") == 0;
    return *withdrawn || strcmp(s, "active") == 0 ? 0 : -1;
}

int cw_dec_REQSTATUS(const msgpack_object *o, const char *path, const char *key, cw_arena *a,
                     cw_requirement *q, cw_err *err)
{
    int withdrawn;
    int rc =
        word(o, path, key, a, parse_reqstatus, CW_EINVAL, "active or withdrawn", &withdrawn, err);
    q->withdrawn = rc == 0 && withdrawn;
    return rc;
}

/* A mapping's source: one id, or for a joint row an array of 2..64 ids of
 * the row's source framework.  A member may also be written as a map
 * {framework?, id}, as OSCAL and GRC tools name requirements; its
 * framework, when given, must be the row's (decoded before it). */
int cw_dec_SOURCES(const msgpack_object *o, const char *path, const char *key, cw_arena *a,
                   cw_mapping *m, cw_err *err)
{
    const msgpack_object *src = o;
    if (src->type != MSGPACK_OBJECT_ARRAY)
        return cw_dec_STR(o, path, key, a, &m->source_id, err);
    int rc = joint_array(o, path, key, "a joint row names", " (one source is written as a string)",
                         a, &m->source_ids, &m->n_sources, err);
    for (uint32_t j = 0; rc == 0 && j < m->n_sources; j++) {
        char f[160];
        FIELD(f, "%s%s[%u]", path, key, j);
        const msgpack_object *e = &src->via.array.ptr[j];
        if (e->type == MSGPACK_OBJECT_MAP) {
            const char *efw = NULL;
            char fp[176];
            FIELD(fp, "%s.", f);
            if ((rc = in_path(cw_check_keys(e, "framework id", err), fp, err)) ||
                (rc = field_str(e, fp, "framework", false, a, &efw, err)) ||
                (rc = field_str(e, fp, "id", true, a, &m->source_ids[j], err)))
                return rc;
            if (efw && m->source_fw && strcmp(efw, m->source_fw) != 0)
                return cw_err_set(err, CW_EINVAL,
                                  "%s.framework: '%.64s' is not the row's source_framework "
                                  "'%.64s'; a joint row's members are of one framework",
                                  f, efw, m->source_fw);
            continue;
        }
        rc = to_str(e, f, a, &m->source_ids[j], err);
    }
    return rc;
}

/* An array of strings into *out (allocated in a, *n of them); "<path><key>:
 * expected <what>" when o is not an array, the element's own path when one
 * is not a string.  The names themselves are the engine's to check. */
static int str_list(const msgpack_object *o, const char *path, const char *key, const char *what,
                    cw_arena *a, const char ***out, size_t *n, cw_err *err)
{
    if (o->type != MSGPACK_OBJECT_ARRAY)
        return in_path(cw_err_set(err, CW_EINVAL, "%s: expected %s", key, what), path, err);
    *n = o->via.array.size;
    *out = cw_arena_alloc(a, (*n + 1) * sizeof(char *));
    if (!*out)
        return cw_err_set(err, CW_ENOMEM, "%s%s: out of memory", path, key);
    for (uint32_t j = 0; j < o->via.array.size; j++) {
        if (to_str(&o->via.array.ptr[j], key, a, &(*out)[j], err)) {
            char fj[112];
            FIELD(fj, "%s%s[%u]", path, key, j);
            return to_str(&o->via.array.ptr[j], fj, a, &(*out)[j], err);
        }
    }
    return 0;
}

/* One id or a list of ids (what, in messages: "a list of control ids")
 * into an arena array; each element a string, the list's length and the
 * ids' own rules left to the engine. */
static int id_list(const msgpack_object *o, const char *path, const char *key, const char *what,
                   cw_arena *a, const char ***v, size_t *n, cw_err *err)
{
    if (o->type == MSGPACK_OBJECT_STR) {
        *n = 1;
        *v = cw_arena_alloc(a, sizeof(char *));
        if (!*v)
            return cw_err_set(err, CW_ENOMEM, "%s%s: out of memory", path, key);
        return in_path(to_str(o, key, a, &(*v)[0], err), path, err);
    }
    return str_list(o, path, key, what, a, v, n, err);
}

int cw_dec_EVCONTROLS(const msgpack_object *o, const char *path, const char *key, cw_arena *a,
                      cw_evidence *e, cw_err *err)
{
    return id_list(o, path, key, "a list of control ids", a, &e->controls, &e->n_controls, err);
}

int cw_dec_IDS(const msgpack_object *o, const char *path, const char *key, cw_arena *a, cw_ids *out,
               cw_err *err)
{
    return id_list(o, path, key, "a list of ids", a, &out->v, &out->n, err);
}

int cw_dec_ASSUMEIDS(const msgpack_object *o, const char *path, const char *key, cw_arena *a,
                     cw_assume *out, cw_err *err)
{
    return str_list(o, path, key, "a list of control ids", a, &out->controls, &out->n_controls,
                    err);
}

int cw_dec_ASSUMEREFS(const msgpack_object *o, const char *path, const char *key, cw_arena *a,
                      cw_assume *out, cw_err *err)
{
    if (o->type != MSGPACK_OBJECT_ARRAY)
        return cw_err_set(err, CW_EINVAL, "%s%s: expected a list of {framework, id} maps", path,
                          key);
    out->n_requirements = o->via.array.size;
    out->requirements = cw_arena_alloc(a, (out->n_requirements + 1) * sizeof *out->requirements);
    if (!out->requirements)
        return cw_err_set(err, CW_ENOMEM, "%s%s: out of memory", path, key);
    for (uint32_t j = 0; j < o->via.array.size; j++) {
        const msgpack_object *e = &o->via.array.ptr[j];
        char fp[112];
        FIELD(fp, "%s%s[%u].", path, key, j);
        int rc;
        if (e->type != MSGPACK_OBJECT_MAP)
            return cw_err_set(err, CW_EINVAL, "%s%s[%u]: expected a map {framework, id}", path, key,
                              j);
        if ((rc = in_path(cw_check_keys(e, "framework id", err), fp, err)) ||
            (rc = field_str(e, fp, "framework", true, a, &out->requirements[j].framework, err)) ||
            (rc = field_str(e, fp, "id", true, a, &out->requirements[j].id, err)))
            return rc;
    }
    return 0;
}

static int parse_errshape(const char *s, int *nvim)
{
    *nvim = strcmp(s, "nvim") == 0;
    return *nvim || strcmp(s, "standard") == 0 ? 0 : -1;
}

int cw_dec_ERRSHAPE(const msgpack_object *o, const char *path, const char *key, cw_arena *a,
                    bool *out, cw_err *err)
{
    int nvim;
    int rc = word(o, path, key, a, parse_errshape, CW_EINVAL, "standard or nvim", &nvim, err);
    *out = rc == 0 && nvim;
    return rc;
}

int cw_dec_VALID(const msgpack_object *o, const char *path, const char *key, cw_arena *a,
                 cw_evidence *e, cw_err *err)
{
    e->has_valid_until = true;
    return cw_dec_TIME(o, path, key, a, &e->valid_until, err);
}

/* A list of items under key, each a map with only item_keys, decoded by
 * fn into an arena array of elem-sized structs. */
typedef int (*item_fn)(const msgpack_object *m, const char *path, cw_arena *a, void *out,
                       cw_err *err);

static int dec_items(const msgpack_object *items, size_t n, bool bulk, const char *key,
                     const char *item_keys, size_t elem, item_fn fn, cw_arena *a, void **out,
                     cw_err *err)
{
    char *arr = cw_arena_alloc(a, (n + 1) * elem);
    if (!arr)
        return cw_err_set(err, CW_ENOMEM, "%s: out of memory", key);
    for (size_t i = 0; i < n; i++) {
        char path[48];
        int rc;
        if (bulk && items[i].type != MSGPACK_OBJECT_MAP) {
            FIELD(path, "%s[%zu]", key, i);
            return cw_err_set(err, CW_EINVAL, "%s: expected a map", path);
        }
        if ((bulk && (rc = cw_check_keys(&items[i], item_keys, err))) ||
            (rc = fn(&items[i], "", a, arr + i * elem, err))) {
            if (bulk)
                FIELD(path, "%s[%zu].", key, i);
            return in_path(rc, bulk ? path : "", err);
        }
    }
    *out = arr;
    return 0;
}

/* L: a list of items. */
static int dec_list(const msgpack_object *map, const char *key, bool req, const char *item_keys,
                    size_t elem, item_fn fn, cw_arena *a, void **out, size_t *n, cw_err *err)
{
    const msgpack_object *o;
    *n = 0;
    int rc = value_of(map, "", key, req, NULL, &o, err);
    if (rc || !o)
        return rc;
    if (o->type != MSGPACK_OBJECT_ARRAY)
        return cw_err_set(err, CW_EINVAL, "%s: expected an array, got %s", key, type_name(o));
    *n = o->via.array.size;
    return dec_items(o->via.array.ptr, *n, true, key, item_keys, elem, fn, a, out, err);
}

/* B: a list of items under key, or (not req) one item's fields as the
 * call's own arguments beside those named in others. */
static int dec_bulk(const msgpack_object *map, const char *key, bool req, const char *others,
                    const char *item_keys, size_t elem, item_fn fn, cw_arena *a, void **out,
                    size_t *n, bool *bulk, cw_err *err)
{
    const msgpack_object *l = cw_arg_get(map, key);
    *n = 0;
    *bulk = false;
    if (absent(l)) {
        if (req)
            return missing("", key, err);
        *n = 1;
        return dec_items(map, 1, false, key, item_keys, elem, fn, a, out, err);
    }
    if (l->type != MSGPACK_OBJECT_ARRAY)
        return cw_err_set(err, CW_EINVAL, "%s: expected an array", key);
    /* A single item's fields beside the list would be dropped without a
     * word; the dispatcher has already checked that keys are strings. */
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object *k = &map->via.map.ptr[i].key;
        const char *p = k->type == MSGPACK_OBJECT_STR ? k->via.str.ptr : k->via.bin.ptr;
        uint32_t kn = k->type == MSGPACK_OBJECT_STR ? k->via.str.size : k->via.bin.size;
        bool known = kn == strlen(key) && memcmp(p, key, kn) == 0;
        for (const char *w = others; !known && *w;) {
            const char *e = w;
            while (*e && *e != ' ')
                e++;
            known = (size_t)(e - w) == kn && memcmp(w, p, kn) == 0;
            w = *e ? e + 1 : e;
        }
        if (!known && map->via.map.ptr[i].val.type != MSGPACK_OBJECT_NIL)
            return cw_err_set(err, CW_EINVAL,
                              "%.*s: not allowed beside %s (give one item's fields or a list "
                              "of items)",
                              (int)(kn > 60 ? 60 : kn), p, key);
    }
    *n = l->via.array.size;
    *bulk = true;
    return dec_items(l->via.array.ptr, *n, true, key, item_keys, elem, fn, a, out, err);
}

/* ---- generated: item decoders ---- */

/* An item's accepted keys, space separated. */
#define ITEM_KEYS(item) ((CW_ITEM_##item(CW_K_F, CW_K_C)) + 1)

/* A link is a control's sub-item: decoded here, with its own path. */
int cw_dec_LINKS(const msgpack_object *o, const char *path, const char *key, cw_arena *a,
                 cw_control *out, cw_err *err)
{
    const msgpack_object *l = o;
    int rc;
    if (l->type != MSGPACK_OBJECT_ARRAY)
        return cw_err_set(err, CW_EINVAL, "%s%s: expected an array", path, key);
    out->n_links = l->via.array.size;
    out->links = cw_arena_alloc(a, (out->n_links + 1) * sizeof *out->links);
    if (!out->links)
        return cw_err_set(err, CW_ENOMEM, "%s%s: out of memory", path, key);
    for (uint32_t j = 0; j < l->via.array.size; j++) {
        char lp[96];
        FIELD(lp, "%s%s[%u]", path, key, j);
        const msgpack_object *e = &l->via.array.ptr[j];
        if (e->type != MSGPACK_OBJECT_MAP)
            return cw_err_set(err, CW_EINVAL, "%s: expected a map", lp);
        FIELD(lp, "%s%s[%u].", path, key, j);
        if ((rc = in_path(cw_check_keys(e, ITEM_KEYS(link), err), lp, err)) ||
            (rc = cw_item_link(e, lp, a, &out->links[j], err)))
            return rc;
        if (out->links[j].level == CW_LEVEL_NONE) /* full unless it says otherwise */
            out->links[j].level = CW_LEVEL_FULL;
    }
    return 0;
}

/* The assume item of a dry run, decoded with its own path. */
int cw_dec_ASSUME(const msgpack_object *o, const char *path, const char *key, cw_arena *a,
                  cw_assume *out, cw_err *err)
{
    char p[64];
    FIELD(p, "%s%s.", path, key);
    if (o->type != MSGPACK_OBJECT_MAP)
        return cw_err_set(err, CW_EINVAL, "%s%s: expected a map (an assume item)", path, key);
    int rc = in_path(cw_check_keys(o, ITEM_KEYS(assume), err), p, err);
    return rc ? rc : cw_item_assume(o, p, a, out, err);
}

#define CW_D_F(T, key, member, req, doc)                                                           \
    if ((rc = value_of(m, path, #key, req, NULL, &o, err)) ||                                      \
        (o && (rc = cw_dec_##T(o, path, #key, a, &out->member, err))))                             \
        return rc;
#define CW_D_C(T, key, req, doc)                                                                   \
    if ((rc = value_of(m, path, #key, req, NULL, &o, err)) ||                                      \
        (o && (rc = cw_dec_##T(o, path, #key, a, out, err))))                                      \
        return rc;
#define CW_X_ITEM(item, ctype, doc)                                                                \
    int cw_item_##item(const msgpack_object *m, const char *path, cw_arena *a, ctype *out,         \
                       cw_err *err)                                                                \
    {                                                                                              \
        const msgpack_object *o;                                                                   \
        int rc = 0;                                                                                \
        memset(out, 0, sizeof *out);                                                               \
        CW_ITEM_##item(CW_D_F, CW_D_C) return rc;                                                  \
    }                                                                                              \
    __attribute__((unused)) static int item_thunk_##item(                                          \
        const msgpack_object *m, const char *path, cw_arena *a, void *out, cw_err *err)            \
    {                                                                                              \
        return cw_item_##item(m, path, a, out, err);                                               \
    }
CW_ITEMS(CW_X_ITEM)
#undef CW_X_ITEM
#undef CW_D_F
#undef CW_D_C

/* ---- generated: argument decoders ---- */

/* The arguments that may stand beside a B list. */
#define CW_O_A(T, key, req, doc) " " #key
#define CW_O_L(key, item, req, doc) " " #key
#define CW_O_B(key, item, req, doc)

#define CW_D_A(T, key, req, doc)                                                                   \
    if ((rc = value_of(map, "", #key, req, &out->has_##key, &o, err)) ||                           \
        (o && (rc = cw_dec_##T(o, "", #key, a, &out->key, err))))                                  \
        return rc;
#define CW_D_L(key, item, req, doc)                                                                \
    if ((rc = dec_list(map, #key, req, ITEM_KEYS(item), sizeof(cw_itype_##item),                   \
                       item_thunk_##item, a, (void **)&out->key, &out->n_##key, err)))             \
        return rc;
#define CW_D_B(key, item, req, doc)                                                                \
    if ((rc = dec_bulk(map, #key, req, others, ITEM_KEYS(item), sizeof(cw_itype_##item),           \
                       item_thunk_##item, a, (void **)&out->key, &out->n_##key, &out->bulk, err))) \
        return rc;
#define CW_X_DECODE(id, name, flags, doc)                                                          \
    int cw_decode_##id(const msgpack_object *map, cw_arena *a, cw_args_##id *out, cw_err *err)     \
    {                                                                                              \
        const char *others = "" CW_ARGS_##id(CW_O_A, CW_O_L, CW_O_B);                              \
        const msgpack_object *o;                                                                   \
        int rc = 0;                                                                                \
        (void)map, (void)a, (void)others, (void)err, (void)o;                                      \
        memset(out, 0, sizeof *out);                                                               \
        CW_ARGS_##id(CW_D_A, CW_D_L, CW_D_B);                                                      \
        return rc;                                                                                 \
    }
CW_METHODS(CW_X_DECODE)
#undef CW_X_DECODE

/* ---- generated: the published schema ---- */

typedef struct argdoc {
    const char *name, *type, *item, *doc;
    bool required;
} argdoc;

const char *cw_schema_name(size_t i)
{
    static const char *const names[] = {
#define CW_X_P(id, name, flags, doc) name,
        CW_METHODS(CW_X_P)
#undef CW_X_P
    };
    return i < sizeof names / sizeof names[0] ? names[i] : NULL;
}

#define CW_G_A(T, key, req, doc) {#key, #T, NULL, doc, req},
#define CW_G_L(key, item, req, doc) {#key, "LIST", #item, doc, req},
#define CW_G_B(key, item, req, doc) {#key, req ? "LIST" : "ITEM_OR_LIST", #item, doc, req},
#define CW_G_F(T, key, member, req, doc) {#key, #T, NULL, doc, req},
#define CW_G_C(T, key, req, doc) {#key, #T, T##_ITEM, doc, req},
/* the sub-item a custom type holds */
#define LINKS_ITEM "link"
#define ATTRS_ITEM NULL
#define ASSESS_ITEM NULL
#define REQSTATUS_ITEM NULL
#define SOURCES_ITEM NULL
#define EVCONTROLS_ITEM NULL
#define VALID_ITEM NULL
#define ASSUMEIDS_ITEM NULL
#define ASSUMEREFS_ITEM NULL

#define CW_X_GDOC(id, name, flags, doc)                                                            \
    static const argdoc margs_##id[] = {                                                           \
        CW_ARGS_##id(CW_G_A, CW_G_L, CW_G_B){NULL, NULL, NULL, NULL, false}};
CW_METHODS(CW_X_GDOC)
#undef CW_X_GDOC
#define CW_X_GDOC(item, ctype, doc)                                                                \
    static const argdoc ifields_##item[] = {                                                       \
        CW_ITEM_##item(CW_G_F, CW_G_C){NULL, NULL, NULL, NULL, false}};
CW_ITEMS(CW_X_GDOC)
#undef CW_X_GDOC

static void pk_args(msgpack_packer *pk, const argdoc *d)
{
    size_t n = 0;
    while (d[n].name)
        n++;
    msgpack_pack_array(pk, n);
    for (size_t i = 0; i < n; i++) {
        msgpack_pack_map(pk, d[i].item ? 5 : 4);
        pk_str(pk, "name");
        pk_str(pk, d[i].name);
        pk_str(pk, "type");
        pk_str(pk, d[i].type);
        pk_str(pk, "required");
        if (d[i].required)
            msgpack_pack_true(pk);
        else
            msgpack_pack_false(pk);
        if (d[i].item) {
            pk_str(pk, "item");
            pk_str(pk, d[i].item);
        }
        pk_str(pk, "doc");
        pk_str(pk, d[i].doc);
    }
}

static void pk_flag(msgpack_packer *pk, const char *name, bool v)
{
    pk_str(pk, name);
    if (v)
        msgpack_pack_true(pk);
    else
        msgpack_pack_false(pk);
}

void cw_schema_pack(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 3);
    pk_str(pk, "methods");
    static const argdoc *const margs[] = {
#define CW_X_P(id, name, flags, doc) margs_##id,
        CW_METHODS(CW_X_P)
#undef CW_X_P
    };
    static const struct mdoc {
        const char *name, *keys, *doc;
        unsigned flags;
    } ms[] = {
#define CW_X_P(id, name, flags, doc) {name, CW_METHOD_KEYS(id), doc, flags},
        CW_METHODS(CW_X_P)
#undef CW_X_P
    };
    size_t nm = sizeof ms / sizeof ms[0];
    msgpack_pack_array(pk, nm);
    for (size_t i = 0; i < nm; i++) {
        const struct mdoc *m = &ms[i];
        msgpack_pack_map(pk, 5);
        pk_str(pk, "name");
        pk_str(pk, m->name);
        pk_str(pk, "doc");
        pk_str(pk, m->doc);
        pk_str(pk, "access");
        msgpack_pack_map(pk, 6);
        pk_flag(pk, "write", m->flags & M_WRITE);
        pk_flag(pk, "admin", m->flags & M_ADMIN);
        pk_flag(pk, "org", m->flags & M_ORG);
        pk_flag(pk, "open", m->flags & M_OPEN);
        pk_flag(pk, "editor", m->flags & M_EDITOR);
        pk_flag(pk, "positional", m->flags & M_POS);
        pk_str(pk, "keys");
        pk_str(pk, m->keys + (*m->keys == ' '));
        pk_str(pk, "args");
        pk_args(pk, margs[i]);
    }
    static const struct {
        const char *name, *doc;
        const argdoc *fields;
    } items[] = {
#define CW_X_P(item, ctype, doc) {#item, doc, ifields_##item},
        CW_ITEMS(CW_X_P)
#undef CW_X_P
    };
    size_t ni = sizeof items / sizeof items[0];
    pk_str(pk, "items");
    msgpack_pack_map(pk, ni);
    for (size_t i = 0; i < ni; i++) {
        pk_str(pk, items[i].name);
        msgpack_pack_map(pk, 3);
        pk_str(pk, "doc");
        pk_str(pk, items[i].doc);
        pk_str(pk, "keys");
        size_t kl = 0;
        char keys[512] = "";
        for (const argdoc *d = items[i].fields; d->name; d++)
            kl += (size_t)snprintf(keys + kl, kl < sizeof keys ? sizeof keys - kl : 0, "%s%s",
                                   kl ? " " : "", d->name);
        pk_str(pk, keys);
        pk_str(pk, "fields");
        pk_args(pk, items[i].fields);
    }
    static const struct {
        const char *name, *doc;
    } types[] = {
#define CW_X_P(T, ctype, doc) {#T, doc},
        CW_ARG_TYPES(CW_X_P) CW_ITEM_ARG_TYPES(CW_X_P)
#undef CW_X_P
            {"LIST", "array of items"},
        {"ITEM_OR_LIST", "one item's fields as the call's arguments, or an array of items"},
    };
    size_t nt = sizeof types / sizeof types[0];
    pk_str(pk, "types");
    msgpack_pack_map(pk, nt);
    for (size_t i = 0; i < nt; i++) {
        pk_str(pk, types[i].name);
        pk_str(pk, types[i].doc);
    }
}
