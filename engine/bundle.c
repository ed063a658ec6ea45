/* Loads a framework bundle (format in crosswalk/bundle.h) into the store.
 *
 * The decoder is a small bounds-checked msgpack reader of its own rather
 * than msgpack_unpack_next: the unpacker allocates an array's storage from
 * the count in its header before it knows whether the bytes are there, and
 * a bundle may come from anywhere, so here every length and element count
 * is checked against the bytes that remain before anything is allocated.
 * Everything decoded lives in one arena owned by cw_bundle_load; the whole
 * document is decoded first, then written as one write group (one
 * transaction, replayed if the map must grow) through cw_catalog_load and
 * cw_mapping_load, so the engine's own checks
 * (parents, dangling endpoints, duplicates) apply and a failure anywhere
 * leaves the store untouched. */
#include "crosswalk/bundle.h"

#include "crosswalk/arena.h"
#include "crosswalk/catalog.h"
#include "crosswalk/mapping.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Deep enough for any bundle (the deepest value is 5 levels down) while
 * bounding the recursion of skip() on hostile input. */
#define MAX_DEPTH 32

typedef struct dec {
    const unsigned char *p, *start, *end;
    cw_arena *a;
    cw_err *err;
    char where[160]; /* the field being read, for messages */
} dec;

static size_t left(const dec *d)
{
    return (size_t)(d->end - d->p);
}

static int bad(dec *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(dec *d, const char *fmt, ...)
{
    char what[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return cw_err_set(d->err, CW_EINVAL, "bundle: %s: %s at byte %zu", d->where, what,
                      (size_t)(d->p - d->start));
}

static void at(dec *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void at(dec *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->where, sizeof d->where, fmt, ap);
    va_end(ap);
}

/* Big-endian unsigned of n bytes at d->p (caller checked they are there). */
static uint64_t be(const unsigned char *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* Reads n header bytes after the type byte; fails when they are missing. */
static int take(dec *d, size_t n, uint64_t *v)
{
    if (left(d) < n)
        return bad(d, "truncated");
    *v = be(d->p, n);
    d->p += n;
    return 0;
}

/* The two msgpack containers, told apart by their type bytes: the fix
 * form (high nibble fix, count in the low one), then the 16- and 32-bit
 * forms t16 and t16 + 1.  Each element takes at least per bytes. */
typedef struct container {
    unsigned char fix, t16;
    size_t per;
    const char *a, *name, *unit; /* for messages: "an array", "array", "elements" */
} container;

static const container ARRAY = {0x90, 0xdc, 1, "an array", "array", "elements"};
static const container MAP = {0x80, 0xde, 2, "a map", "map", "entries"};

/* A container header; its count is checked against the remaining bytes so
 * a lying count cannot drive an allocation. */
static int rd_header(dec *d, const container *c, size_t *n)
{
    if (!left(d))
        return bad(d, "truncated, expected %s", c->a);
    unsigned char t = *d->p;
    uint64_t v = 0;
    if ((t & 0xf0) == c->fix) {
        d->p++;
        v = t & 0x0f;
    } else if (t == c->t16 || t == c->t16 + 1) {
        d->p++;
        if (take(d, t == c->t16 ? 2 : 4, &v))
            return CW_EINVAL;
    } else {
        return bad(d, "expected %s", c->a);
    }
    if (v > left(d) / c->per)
        return bad(d, "%s of %llu %s cannot fit in %zu remaining bytes", c->name,
                   (unsigned long long)v, c->unit, left(d));
    *n = (size_t)v;
    return 0;
}

static int rd_array(dec *d, size_t *n)
{
    return rd_header(d, &ARRAY, n);
}

static int rd_map(dec *d, size_t *n)
{
    return rd_header(d, &MAP, n);
}

/* A container header (c), then room in d's arena for its *n elements of
 * size bytes each, zeroed (NULL when there are none).  Returns NULL with
 * *rc set on failure too: CW_EINVAL (the header) or CW_ENOMEM. */
static void *rd_room(dec *d, const container *c, size_t size, size_t *n, int *rc)
{
    void *p = NULL;
    if ((*rc = rd_header(d, c, n)) == 0 && *n && !(p = cw_arena_alloc(d->a, *n * size)))
        *rc = cw_err_set(d->err, CW_ENOMEM, "bundle: out of memory");
    return p;
}

/* A key that may be given once: refused the second time. */
static int once(dec *d, bool *have)
{
    if (*have)
        return bad(d, "given twice");
    *have = true;
    return 0;
}

/* The array under a key that may be given once, as rd_room. */
static void *rd_list(dec *d, bool *have, size_t size, size_t *n, int *rc)
{
    return (*rc = once(d, have)) ? NULL : rd_room(d, &ARRAY, size, n, rc);
}

static bool is_nil(const dec *d)
{
    return left(d) && *d->p == 0xc0;
}

/* A str without copying: *s points into the buffer (not NUL-terminated). */
static int rd_strview(dec *d, const char **s, size_t *n)
{
    if (!left(d))
        return bad(d, "truncated, expected a string");
    unsigned char t = *d->p;
    uint64_t v = 0;
    if ((t & 0xe0) == 0xa0) {
        d->p++;
        v = t & 0x1f;
    } else if (t >= 0xd9 && t <= 0xdb) {
        d->p++;
        if (take(d, (size_t)1 << (t - 0xd9), &v))
            return CW_EINVAL;
    } else {
        return bad(d, "expected a string");
    }
    if (v > left(d))
        return bad(d, "string of %llu bytes cannot fit in %zu remaining bytes",
                   (unsigned long long)v, left(d));
    if (memchr(d->p, '\0', (size_t)v))
        return bad(d, "string holds a NUL byte");
    *s = (const char *)d->p;
    *n = (size_t)v;
    d->p += v;
    return 0;
}

/* A str copied into the arena.  Allocation owned by d->a. */
static int rd_str(dec *d, const char **out)
{
    const char *s;
    size_t n;
    int rc = rd_strview(d, &s, &n);
    if (rc)
        return rc;
    if (!(*out = cw_arena_strndup(d->a, s, n)))
        return cw_err_set(d->err, CW_ENOMEM, "bundle: out of memory");
    return 0;
}

/* nil (gives NULL) or a str. */
static int rd_optstr(dec *d, const char **out)
{
    if (is_nil(d)) {
        d->p++;
        *out = NULL;
        return 0;
    }
    return rd_str(d, out);
}

/* A non-negative integer (positive fixint or uint8..64, or a signed form
 * holding a non-negative value). */
static int rd_uint(dec *d, uint64_t *out)
{
    if (!left(d))
        return bad(d, "truncated, expected an integer");
    unsigned char t = *d->p;
    if (t <= 0x7f) {
        d->p++;
        *out = t;
        return 0;
    }
    size_t n;
    bool sign = false;
    if (t >= 0xcc && t <= 0xcf)
        n = (size_t)1 << (t - 0xcc);
    else if (t >= 0xd0 && t <= 0xd3) {
        n = (size_t)1 << (t - 0xd0);
        sign = true;
    } else
        return bad(d, "expected an integer");
    d->p++;
    uint64_t v = 0;
    if (take(d, n, &v))
        return CW_EINVAL;
    if (sign && (v >> (n * 8 - 1)) & 1) {
        d->p -= n + 1;
        return bad(d, "expected a non-negative integer");
    }
    *out = v;
    return 0;
}

/* Skips one value of any type, for unknown keys. */
static int skip(dec *d, int depth)
{
    if (depth > MAX_DEPTH)
        return bad(d, "nested deeper than %d", MAX_DEPTH);
    if (!left(d))
        return bad(d, "truncated");
    unsigned char t = *d->p;
    uint64_t v = 0;
    size_t n;
    if (t <= 0x7f || t >= 0xe0 || t == 0xc0 || t == 0xc2 || t == 0xc3) {
        d->p++;
        return 0;
    }
    if ((t & 0xf0) == 0x80 || t == 0xde || t == 0xdf) {
        if (rd_map(d, &n))
            return CW_EINVAL;
        for (size_t i = 0; i < 2 * n; i++)
            if (skip(d, depth + 1))
                return CW_EINVAL;
        return 0;
    }
    if ((t & 0xf0) == 0x90 || t == 0xdc || t == 0xdd) {
        if (rd_array(d, &n))
            return CW_EINVAL;
        for (size_t i = 0; i < n; i++)
            if (skip(d, depth + 1))
                return CW_EINVAL;
        return 0;
    }
    if ((t & 0xe0) == 0xa0 || (t >= 0xd9 && t <= 0xdb)) {
        const char *s;
        if (rd_strview(d, &s, &n))
            return CW_EINVAL;
        return 0;
    }
    d->p++;
    size_t len;
    switch (t) {
    case 0xc4:
    case 0xc5:
    case 0xc6: /* bin 8/16/32 */
        if (take(d, (size_t)1 << (t - 0xc4), &v))
            return CW_EINVAL;
        len = 0;
        break;
    case 0xc7:
    case 0xc8:
    case 0xc9: /* ext 8/16/32: length, type byte */
        if (take(d, (size_t)1 << (t - 0xc7), &v))
            return CW_EINVAL;
        len = 1;
        break;
    case 0xca: len = 4; break;
    case 0xcb: len = 8; break;
    case 0xcc:
    case 0xcd:
    case 0xce:
    case 0xcf: len = (size_t)1 << (t - 0xcc); break;
    case 0xd0:
    case 0xd1:
    case 0xd2:
    case 0xd3: len = (size_t)1 << (t - 0xd0); break;
    case 0xd4:
    case 0xd5:
    case 0xd6:
    case 0xd7:
    case 0xd8: /* fixext: type + data */ len = 1 + ((size_t)1 << (t - 0xd4)); break;
    default: /* 0xc1 is never used */ d->p--; return bad(d, "invalid msgpack type byte 0x%02x", t);
    }
    if (v > left(d) || len > left(d) - v)
        return bad(d, "truncated");
    d->p += v + len;
    return 0;
}

/* Compares a str view with a C string. */
static bool key_is(const char *s, size_t n, const char *k)
{
    return strlen(k) == n && memcmp(s, k, n) == 0;
}

/* The attributes map of requirement j of framework i.  Arrays owned by d->a. */
static int rd_attrs(dec *d, size_t i, size_t j, cw_requirement *r)
{
    at(d, "frameworks[%zu].requirements[%zu][5]", i, j);
    int rc;
    r->attrs = rd_room(d, &MAP, sizeof *r->attrs, &r->n_attrs, &rc);
    if (rc)
        return rc;
    for (size_t k = 0; k < r->n_attrs; k++) {
        cw_attr *at_ = &r->attrs[k];
        at(d, "frameworks[%zu].requirements[%zu][5] key %zu", i, j, k);
        if (rd_str(d, &at_->key))
            return CW_EINVAL;
        for (size_t m = 0; m < k; m++)
            if (strcmp(r->attrs[m].key, at_->key) == 0)
                return bad(d, "attribute '%.40s' given twice", at_->key);
        at(d, "frameworks[%zu].requirements[%zu][5].%.40s", i, j, at_->key);
        at_->values = rd_room(d, &ARRAY, sizeof *at_->values, &at_->n_values, &rc);
        if (rc)
            return rc;
        for (size_t m = 0; m < at_->n_values; m++) {
            at(d, "frameworks[%zu].requirements[%zu][5].%.40s[%zu]", i, j, at_->key, m);
            if (rd_str(d, &at_->values[m]))
                return CW_EINVAL;
        }
    }
    return 0;
}

static int rd_requirement(dec *d, size_t i, size_t j, cw_requirement *r)
{
    static const char *const names[] = {"id", "parent", "kind", "title", "description"};
    at(d, "frameworks[%zu].requirements[%zu]", i, j);
    size_t n;
    if (rd_array(d, &n))
        return CW_EINVAL;
    if (n != 6 && n != 8)
        return bad(d,
                   "expected 6 elements [id, parent, kind, title, description, "
                   "attributes] or 8 (then assessable, status), got %zu",
                   n);
    const char **dst[] = {&r->id, &r->parent, &r->kind, &r->title, &r->description};
    for (size_t k = 0; k < 5; k++) {
        at(d, "frameworks[%zu].requirements[%zu][%zu] (%s)", i, j, k, names[k]);
        bool optional = k == 1 || k == 4;
        if (optional ? rd_optstr(d, dst[k]) : rd_str(d, dst[k]))
            return CW_EINVAL;
    }
    int rc = rd_attrs(d, i, j, r);
    if (rc || n == 6)
        return rc;
    at(d, "frameworks[%zu].requirements[%zu][6] (assessable)", i, j);
    if (!left(d))
        return bad(d, "truncated");
    unsigned char t = *d->p;
    if (t != 0xc0 && t != 0xc2 && t != 0xc3)
        return bad(d, "expected nil, true or false");
    d->p++;
    r->assess = t == 0xc0 ? CW_ASSESS_AUTO : t == 0xc3 ? CW_ASSESS_YES : CW_ASSESS_NO;
    at(d, "frameworks[%zu].requirements[%zu][7] (status)", i, j);
    const char *st;
    size_t sl;
    if (rd_strview(d, &st, &sl))
        return CW_EINVAL;
    if (!key_is(st, sl, "active") && !key_is(st, sl, "withdrawn"))
        return bad(d, "status must be active or withdrawn");
    r->withdrawn = key_is(st, sl, "withdrawn");
    return 0;
}

typedef struct bundle_fw {
    cw_framework fw;
    cw_requirement *reqs;
    size_t n_reqs;
} bundle_fw;

static int rd_framework(dec *d, size_t i, bundle_fw *f)
{
    at(d, "frameworks[%zu]", i);
    size_t n;
    if (rd_map(d, &n))
        return CW_EINVAL;
    bool have_reqs = false;
    for (size_t k = 0; k < n; k++) {
        at(d, "frameworks[%zu] key %zu", i, k);
        const char *key;
        size_t kl;
        if (rd_strview(d, &key, &kl))
            return CW_EINVAL;
        at(d, "frameworks[%zu].%.*s", i, (int)(kl > 40 ? 40 : kl), key);
        const char **dst = key_is(key, kl, "slug")        ? &f->fw.slug
                           : key_is(key, kl, "name")      ? &f->fw.name
                           : key_is(key, kl, "version")   ? &f->fw.version
                           : key_is(key, kl, "publisher") ? &f->fw.publisher
                           : key_is(key, kl, "licence")   ? &f->fw.licence
                                                          : NULL;
        if (dst) {
            if (*dst)
                return bad(d, "given twice");
            if (rd_str(d, dst))
                return CW_EINVAL;
        } else if (key_is(key, kl, "requirements")) {
            int rc;
            f->reqs = rd_list(d, &have_reqs, sizeof *f->reqs, &f->n_reqs, &rc);
            if (rc)
                return rc;
            for (size_t j = 0; j < f->n_reqs; j++)
                if (rd_requirement(d, i, j, &f->reqs[j]))
                    return CW_EINVAL;
        } else if (skip(d, 2)) {
            return CW_EINVAL;
        }
    }
    at(d, "frameworks[%zu]", i);
    if (!f->fw.slug || !f->fw.name)
        return bad(d, "missing %s", f->fw.slug ? "name" : "slug");
    if (!have_reqs)
        return bad(d, "missing requirements");
    return 0;
}

static int rd_mapping(dec *d, size_t i, cw_mapping *m)
{
    static const char *const names[] = {"source_fw",    "source_id", "target_fw", "target_id",
                                        "relationship", "strength",  "rationale", "origin"};
    at(d, "mappings[%zu]", i);
    size_t n;
    if (rd_array(d, &n))
        return CW_EINVAL;
    if (n != 8 && n != 9)
        return bad(d,
                   "expected 8 elements [source_fw, source_id, target_fw, target_id, "
                   "relationship, strength, rationale, origin] or 9 (then note), got %zu",
                   n);
    const char **dst[] = {&m->source_fw, &m->source_id, &m->target_fw, &m->target_id};
    for (size_t k = 0; k < n; k++) {
        at(d, "mappings[%zu][%zu] (%s)", i, k, k < 8 ? names[k] : "note");
        if (k == 1 && left(d) && ((*d->p & 0xf0) == 0x90 || *d->p == 0xdc || *d->p == 0xdd)) {
            /* a joint row: the source set */
            size_t ns;
            if (rd_array(d, &ns))
                return CW_EINVAL;
            if (ns < 2 || ns > CW_MAX_JOINT)
                return bad(d, "a joint row's set has 2..%d ids, got %zu", CW_MAX_JOINT, ns);
            m->source_ids = cw_arena_alloc(d->a, ns * sizeof *m->source_ids);
            if (!m->source_ids)
                return cw_err_set(d->err, CW_ENOMEM, "bundle: out of memory");
            m->n_sources = ns;
            for (size_t j = 0; j < ns; j++) {
                at(d, "mappings[%zu][1][%zu] (source_id)", i, j);
                if (rd_str(d, &m->source_ids[j]))
                    return CW_EINVAL;
            }
        } else if (k == 8) {
            if (rd_optstr(d, &m->note))
                return CW_EINVAL;
        } else if (k < 4) {
            if (rd_str(d, dst[k]))
                return CW_EINVAL;
        } else if (k == 4) {
            const char *rel;
            if (rd_str(d, &rel))
                return CW_EINVAL;
            if (cw_rel_parse(rel, &m->rel) || m->rel == CW_REL_UNKNOWN)
                return bad(d, "unknown relationship '%.40s'", rel);
        } else if (k == 5) {
            uint64_t v;
            if (rd_uint(d, &v))
                return CW_EINVAL;
            if (v > 10)
                return bad(d, "strength %llu outside 0..10", (unsigned long long)v);
            m->strength = (int)v;
        } else if (k == 6) {
            if (rd_optstr(d, &m->rationale))
                return CW_EINVAL;
        } else {
            if (rd_str(d, &m->origin))
                return CW_EINVAL;
        }
    }
    return 0;
}

typedef struct bundle {
    bundle_fw *fws;
    size_t n_fws;
    cw_mapping *maps;
    size_t n_maps;
} bundle;

static int rd_bundle(dec *d, bundle *b)
{
    at(d, "top level");
    size_t n;
    if (rd_map(d, &n))
        return CW_EINVAL;
    bool have_format = false, have_version = false, have_fws = false, have_maps = false;
    for (size_t k = 0; k < n; k++) {
        at(d, "top-level key %zu", k);
        const char *key;
        size_t kl;
        if (rd_strview(d, &key, &kl))
            return CW_EINVAL;
        at(d, "%.*s", (int)(kl > 40 ? 40 : kl), key);
        int rc;
        if (key_is(key, kl, "format")) {
            const char *s;
            size_t sl;
            if (once(d, &have_format) || rd_strview(d, &s, &sl))
                return CW_EINVAL;
            if (!key_is(s, sl, CW_BUNDLE_FORMAT))
                return bad(d, "not a crosswalk bundle (expected \"%s\")", CW_BUNDLE_FORMAT);
        } else if (key_is(key, kl, "version")) {
            uint64_t v;
            if (once(d, &have_version) || rd_uint(d, &v))
                return CW_EINVAL;
            if (v < 1 || v > CW_BUNDLE_VERSION)
                return bad(d, "unsupported bundle version %llu (this build reads 1..%d)",
                           (unsigned long long)v, CW_BUNDLE_VERSION);
        } else if (key_is(key, kl, "frameworks")) {
            b->fws = rd_list(d, &have_fws, sizeof *b->fws, &b->n_fws, &rc);
            if (rc)
                return rc;
            for (size_t i = 0; i < b->n_fws; i++) {
                if (rd_framework(d, i, &b->fws[i]))
                    return CW_EINVAL;
                for (size_t j = 0; j < i; j++)
                    if (strcmp(b->fws[j].fw.slug, b->fws[i].fw.slug) == 0) {
                        at(d, "frameworks[%zu].slug", i);
                        return bad(d, "'%.64s' already given as frameworks[%zu]", b->fws[i].fw.slug,
                                   j);
                    }
            }
        } else if (key_is(key, kl, "mappings")) {
            b->maps = rd_list(d, &have_maps, sizeof *b->maps, &b->n_maps, &rc);
            if (rc)
                return rc;
            for (size_t i = 0; i < b->n_maps; i++)
                if (rd_mapping(d, i, &b->maps[i]))
                    return CW_EINVAL;
        } else if (skip(d, 1)) {
            return CW_EINVAL;
        }
    }
    at(d, "top level");
    if (!have_format || !have_version)
        return bad(d, "missing \"%s\"", have_format ? "version" : "format");
    if (!have_fws && !have_maps)
        return bad(d, "neither frameworks nor mappings given");
    if (left(d))
        return bad(d, "%zu bytes after the end of the bundle", left(d));
    return 0;
}

static void add_stats(cw_bulk_stats *sum, const cw_bulk_stats *s)
{
    sum->created += s->created;
    sum->updated += s->updated;
    sum->deleted += s->deleted;
}

/* Every write of the bundle inside w; the caller commits or aborts. */
static int load_all(cw_db *db, cw_wtxn *w, const bundle *b, cw_bulk_stats *sum, cw_err *err)
{
    for (size_t i = 0; i < b->n_fws; i++) {
        const bundle_fw *f = &b->fws[i];
        cw_bulk_stats s = {0};
        int rc = cw_catalog_load(db, w, &f->fw, f->reqs, f->n_reqs, false, &s, err);
        if (rc) {
            if (rc != CW_EMAPFULL)
                cw_err_prefix(err, "bundle: frameworks[%zu] (%s): ", i, f->fw.slug);
            return rc;
        }
        add_stats(sum, &s);
    }
    if (b->n_maps) {
        cw_bulk_stats s = {0};
        int rc = cw_mapping_load(db, w, b->maps, b->n_maps, &s, err);
        if (rc) {
            if (rc != CW_EMAPFULL)
                cw_err_prefix(err, "bundle: ");
            return rc;
        }
        add_stats(sum, &s);
    }
    return 0;
}

struct load_ctx {
    cw_db *db;
    const bundle *b;
    cw_bulk_stats sum;
};

/* The whole bundle as one write; a replay starts the counts again. */
static int load_op(cw_wtxn *w, void *ctx, cw_err *err)
{
    struct load_ctx *lc = ctx;
    memset(&lc->sum, 0, sizeof lc->sum);
    return load_all(lc->db, w, lc->b, &lc->sum, err);
}

int cw_bundle_load(cw_db *db, const void *buf, size_t len, cw_bulk_stats *st, cw_err *err)
{
    cw_bulk_stats sum = {0};
    if (st)
        *st = sum;
    if (!db || (!buf && len))
        return cw_err_set(err, CW_EINVAL, "bundle: no store or no buffer");
    /* The arena owns every decoded string and array until we return. */
    cw_arena *a = cw_arena_new();
    if (!a)
        return cw_err_set(err, CW_ENOMEM, "bundle: out of memory");
    cw_err local = {0};
    cw_err *e = err ? err : &local;
    dec d = {.p = buf, .start = buf, .end = (const unsigned char *)buf + len, .a = a, .err = e};
    bundle b = {0};
    int rc = rd_bundle(&d, &b);
    if (rc == 0) {
        struct load_ctx lc = {db, &b, {0}};
        cw_write_op op = {load_op, &lc, e, 0};
        rc = cw_write_group(db, &op, 1, NULL, e);
        if (rc == 0)
            rc = op.rc;
        sum = lc.sum;
    }
    if (rc == 0 && st)
        *st = sum;
    if (rc && st) {
        /* Atomic: on failure the whole bundle counts as rejected. */
        st->rejected = b.n_maps;
        for (size_t i = 0; i < b.n_fws && b.fws; i++)
            st->rejected += b.fws[i].n_reqs;
    }
    cw_arena_free(a);
    return rc;
}
