/* fwbundle: the build-time generator that turns the shipped CSV files in
 * frameworks/ into the framework bundle crosswalkd embeds.
 *
 * It reads frameworks.csv (one row per framework, naming its catalogue
 * file), every catalogue it names and every *.crosswalk.csv in the
 * directory, parses them with the tools' CSV reader (tools/lib/csvfile.c:
 * libcsv in strict mode, as `crosswalk load` reads), and validates every
 * row against frameworks/README.md: exact headers, known kinds and
 * relationship names, strength 1..10 or empty, rationale vocabulary,
 * attribute syntax, parents before children, crosswalk endpoints that
 * exist (every member of a joint row's source set), no duplicate pairs or
 * sets, a note on every joint row.  Problems are reported as
 * "file:line: field: message", all of them, and the exit status is 1, so a
 * bad data file fails the build rather than the first start of the server.
 * When everything is valid it writes the msgpack bundle (format in
 * include/crosswalk/bundle.h) and a C source defining cw_frameworks_bundle
 * and cw_frameworks_bundle_len; both are written to temporary files and
 * renamed, so an interrupted run never leaves half a file for make to
 * trust.  It does not link the engine (tools/ must not); the vocabularies
 * (kinds, relationships, rationales) are common/'s, the ones the engine
 * checks with.  The bundle loader re-checks everything when the bundle is
 * loaded, and the framework tests load it. */
#include <csv.h>
#include <errno.h>
#include <glob.h>
#include <msgpack.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crosswalk/mpack.h"
#include "crosswalk/bundle.h"
#include "csvfile.h"
#include "opt.h"
#include "crosswalk/model.h"

/* The engine's limits (crosswalk/model.h). */
#define MAX_SLUG CW_MAX_SLUG
#define MAX_ID CW_MAX_ID
#define MAX_JOINT CW_MAX_JOINT
#define MAX_NOTE CW_MAX_NOTE

static int n_errors;

static void problem(const char *file, long line, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void problem(const char *file, long line, const char *field, const char *fmt, ...)
{
    va_list ap;
    /* Past this many the rest are usually one mistake's echoes. */
    if (++n_errors > 200)
        return;
    fprintf(stderr, "%s:%ld: %s: ", file, line, field);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "fwbundle: out of memory\n");
        exit(1);
    }
    return p;
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) {
        fprintf(stderr, "fwbundle: out of memory\n");
        exit(1);
    }
    return p;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(xmalloc(n), s, n);
}

/* ---- CSV tables ---- */

typedef cw_csv_rec row;

/* One file as read by the tools' CSV reader (tools/lib/csvfile.c, the one
 * `crosswalk load` reads with): rows and n are csv.r and csv.n. */
typedef struct table {
    char *path;
    cw_csv_table csv;
    row *rows; /* rows[0] is the header */
    size_t n;
} table;

/* Every table read, so free_all can release them: the model below points
 * into their fields. */
static table **tables;
static size_t n_tables;

static void free_table(table *t)
{
    cw_csv_free(&t->csv);
    free(t->path);
    free(t);
}

/* Strict UTF-8: no overlongs, surrogates or code points past U+10FFFF. */
static bool valid_utf8(const unsigned char *s, size_t n, size_t *bad_at)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        size_t k;
        unsigned long cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            k = 1;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            k = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            k = 3;
            cp = c & 0x07;
        } else {
            goto bad;
        }
        if (n - i <= k)
            goto bad;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xc0) != 0x80)
                goto bad;
            cp = cp << 6 | (s[i + j] & 0x3f);
        }
        if ((k == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (k == 3 && (cp < 0x10000 || cp > 0x10ffff)))
            goto bad;
        i += k + 1;
    }
    return true;
bad:
    *bad_at = i;
    return false;
}

/* Reads and parses path.  Returns NULL (after reporting) when the file
 * cannot be read or is not well-formed CSV.  The table is registered in
 * tables and owned by free_all; its path is a copy of path. */
static table *read_csv(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        problem(path, 0, "file", "cannot open: %s", strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = xmalloc(cap);
    for (size_t got; (got = fread(buf + n, 1, cap - n, fp)) > 0;) {
        n += got;
        if (n == cap)
            buf = xrealloc(buf, cap *= 2);
    }
    bool rerr = ferror(fp);
    fclose(fp);
    if (rerr) {
        problem(path, 0, "file", "read error");
        free(buf);
        return NULL;
    }
    size_t bad_at;
    if (!valid_utf8((unsigned char *)buf, n, &bad_at)) {
        long line = 1;
        for (size_t i = 0; i < bad_at; i++)
            line += buf[i] == '\n';
        problem(path, line, "file", "not valid UTF-8 (byte offset %zu)", bad_at);
        free(buf);
        return NULL;
    }
    char *cr = memchr(buf, '\r', n);
    if (cr) {
        long line = 1;
        for (char *p = buf; p < cr; p++)
            line += *p == '\n';
        problem(path, line, "file", "carriage return: line endings must be LF");
        free(buf);
        return NULL;
    }
    if (n && buf[n - 1] != '\n')
        problem(path, 0, "file", "does not end with a newline");

    table *t = calloc(1, sizeof *t);
    if (!t)
        exit(1);
    t->path = xstrdup(path);
    tables = xrealloc(tables, (n_tables + 1) * sizeof *tables);
    tables[n_tables++] = t;
    cw_csv_error e;
    int rc = cw_csv_read(buf, n, &t->csv, &e);
    free(buf);
    t->rows = t->csv.r;
    t->n = t->csv.n;
    /* A blank line in a shipped file is a slip to fix, not to skip. */
    for (size_t i = 0; i < t->csv.n_blank; i++)
        problem(path, t->csv.blank[i], "row", "blank line");
    if (rc && e.oom) {
        fprintf(stderr, "fwbundle: out of memory\n");
        exit(1);
    }
    if (rc) {
        /* libcsv stops at the first malformed quote; the record being read
         * began on e.rec_line. */
        problem(path, e.rec_line, "row", "malformed CSV: %s", csv_strerror(e.csv_errno));
        return NULL;
    }
    if (t->n == 0) {
        problem(path, 1, "header", "file is empty");
        return NULL;
    }
    return t;
}

/* Checks the header row names exactly these columns and every row has as
 * many fields.  Returns false after reporting when the file is unusable. */
static bool check_shape(table *t, const char *const *cols, size_t ncols)
{
    row *h = &t->rows[0];
    bool ok = h->n == ncols;
    for (size_t i = 0; ok && i < ncols; i++)
        ok = strcmp(h->f[i], cols[i]) == 0;
    if (!ok) {
        char want[256] = "";
        for (size_t i = 0; i < ncols; i++) {
            strcat(want, i ? "," : "");
            strcat(want, cols[i]);
        }
        problem(t->path, h->line, "header", "expected exactly '%s'", want);
        return false;
    }
    for (size_t r = 1; r < t->n; r++)
        if (t->rows[r].n != ncols)
            problem(t->path, t->rows[r].line, "row", "%zu fields, expected %zu", t->rows[r].n,
                    ncols);
    return true;
}

static bool has_edge_space(const char *s)
{
    size_t n = strlen(s);
    return n && (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t');
}

/* An id: printable, no spaces, within the engine's limit. */
static bool valid_id(const char *s)
{
    if (!*s || strlen(s) > MAX_ID)
        return false;
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || *s == 0x7f)
            return false;
    return true;
}

/* ---- the model being built ---- */

typedef struct attr {
    char *key;
    char **vals;
    size_t n;
} attr;

typedef struct req {
    const char *id, *parent, *kind, *title, *desc;
    attr *attrs;
    size_t n_attrs;
} req;

typedef struct fw {
    const char *slug, *name, *version, *publisher, *licence, *catalog_file;
    req *reqs;
    size_t n_reqs;
    long line;   /* in frameworks.csv */
    bool broken; /* catalogue unreadable: its ids cannot be checked */
} fw;

typedef struct mapping {
    const char *sfw, *sid, *tfw, *tid, *rel, *rationale, *origin, *note;
    int strength;
    /* The source ids: one, or 2..MAX_JOINT for a joint row (source_id
     * "A.5.15|A.8.5"), sorted so that a set is compared as a set.  Owned,
     * freed by free_all. */
    char **sids;
    size_t n_sids;
    const char *path;
    long line;
} mapping;

static fw *fws;
static size_t n_fws;
static mapping *maps;
static size_t n_maps, cap_maps;

static void free_attrs(req *q)
{
    for (size_t a = 0; a < q->n_attrs; a++) {
        for (size_t v = 0; v < q->attrs[a].n; v++)
            free(q->attrs[a].vals[v]);
        free(q->attrs[a].vals);
        free(q->attrs[a].key);
    }
    free(q->attrs);
    q->attrs = NULL;
    q->n_attrs = 0;
}

/* Releases the model and every table (so LeakSanitizer builds pass). */
static void free_all(void)
{
    for (size_t i = 0; i < n_fws; i++) {
        for (size_t j = 0; j < fws[i].n_reqs; j++)
            free_attrs(&fws[i].reqs[j]);
        free(fws[i].reqs);
    }
    free(fws);
    for (size_t i = 0; i < n_maps; i++) {
        for (size_t j = 0; j < maps[i].n_sids; j++)
            free(maps[i].sids[j]);
        free(maps[i].sids);
    }
    free(maps);
    for (size_t i = 0; i < n_tables; i++)
        free_table(tables[i]);
    free(tables);
}

static fw *find_fw(const char *slug)
{
    for (size_t i = 0; i < n_fws; i++)
        if (strcmp(fws[i].slug, slug) == 0)
            return &fws[i];
    return NULL;
}

/* Ids are looked up often (two per crosswalk row); a sorted index per
 * framework would be faster, but a few thousand rows make linear search
 * cost nothing measurable here. */
static const req *find_req(const fw *f, const char *id, size_t upto)
{
    for (size_t i = 0; i < upto; i++)
        if (strcmp(f->reqs[i].id, id) == 0)
            return &f->reqs[i];
    return NULL;
}

/* Parses "name=v|v;name=v" into r->attrs, reporting problems against
 * file:line.  Allocations are owned by r (kept until exit). */
static void parse_attrs(const char *path, long line, const char *text, req *r)
{
    if (!*text)
        return;
    char *copy = xstrdup(text);
    /* strtok would silently merge ";;", so split by hand. */
    for (char *item = copy, *next; item; item = next) {
        next = strchr(item, ';');
        if (next)
            *next++ = '\0';
        char *eq = strchr(item, '=');
        if (!eq) {
            problem(path, line, "attributes", "'%s' is not name=value", item);
            continue;
        }
        *eq = '\0';
        const char *name = item;
        bool name_ok = *name >= 'a' && *name <= 'z';
        for (const char *c = name; name_ok && *c; c++)
            name_ok = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_';
        if (!name_ok) {
            problem(path, line, "attributes", "name '%s' is not lower_snake_case", name);
            continue;
        }
        for (size_t i = 0; i < r->n_attrs; i++)
            if (strcmp(r->attrs[i].key, name) == 0)
                problem(path, line, "attributes", "'%s' given twice", name);
        attr a = {xstrdup(name), NULL, 0};
        for (char *v = eq + 1, *vn; v; v = vn) {
            vn = strchr(v, '|');
            if (vn)
                *vn++ = '\0';
            if (!*v)
                problem(path, line, "attributes", "%s: empty value", name);
            else if (strchr(v, '='))
                problem(path, line, "attributes", "%s: value '%s' holds '='", name, v);
            else if (has_edge_space(v))
                problem(path, line, "attributes", "%s: value '%s' has leading or trailing space",
                        name, v);
            a.vals = xrealloc(a.vals, (a.n + 1) * sizeof *a.vals);
            a.vals[a.n++] = xstrdup(v);
        }
        r->attrs = xrealloc(r->attrs, (r->n_attrs + 1) * sizeof *r->attrs);
        r->attrs[r->n_attrs++] = a;
    }
    free(copy);
}

static const char *const FW_COLS[] = {"slug",      "name",         "version",
                                      "publisher", "licence_note", "catalog_file"};
/* The shipped catalogues use the six base columns, the crosswalks all nine. */
#define CAT_COLS cw_csv_catalog_cols
#define MAP_COLS cw_csv_crosswalk_cols

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = xmalloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static void read_frameworks(const char *dir)
{
    char *jp = join(dir, "frameworks.csv");
    table *t = read_csv(jp);
    free(jp);
    if (!t || !check_shape(t, FW_COLS, 6))
        return;
    const char *path = t->path;
    fws = calloc(t->n, sizeof *fws);
    if (!fws)
        exit(1);
    /* Rows with the wrong field count were reported by check_shape. */
    const row *rw;
    for (size_t at = 0; (rw = cw_csv_row(&t->csv, &at, 6));) {
        char *const *f = rw->f;
        long line = rw->line;
        bool ok = true;
        if (!cw_slug_ok(f[0])) {
            problem(path, line, "slug", "'%s' is not a slug (a-z 0-9 . -, starting with a letter)",
                    f[0]);
            ok = false;
        } else if (find_fw(f[0])) {
            problem(path, line, "slug", "'%s' listed twice", f[0]);
            ok = false;
        }
        for (size_t c = 1; c < 5; c++)
            if (!*f[c] || has_edge_space(f[c])) {
                problem(path, line, FW_COLS[c], *f[c] ? "leading or trailing space" : "empty");
                ok = false;
            }
        char want[MAX_SLUG + 16];
        snprintf(want, sizeof want, "%s.catalog.csv", f[0]);
        if (strcmp(f[5], want) != 0) {
            problem(path, line, "catalog_file", "expected '%s'", want);
            ok = false;
        }
        if (ok)
            fws[n_fws++] = (fw){f[0], f[1], f[2], f[3], f[4], f[5], NULL, 0, line, false};
    }
    if (n_fws == 0)
        problem(path, 1, "row", "no frameworks listed");
}

static void read_catalog(const char *dir, fw *f)
{
    char *jp = join(dir, f->catalog_file);
    table *t = read_csv(jp);
    free(jp);
    if (!t || !check_shape(t, CAT_COLS, CW_CSV_CATALOG_BASE)) {
        f->broken = true;
        return;
    }
    const char *path = t->path;
    f->reqs = calloc(t->n, sizeof *f->reqs);
    if (!f->reqs)
        exit(1);
    char kinds[256];
    cw_names_join(cw_kind_names, kinds, sizeof kinds);
    const row *rw;
    for (size_t at = 0; (rw = cw_csv_row(&t->csv, &at, CW_CSV_CATALOG_BASE));) {
        char *const *c = rw->f;
        long line = rw->line;
        req q = {c[0], *c[1] ? c[1] : NULL, c[2], c[3], *c[4] ? c[4] : NULL, NULL, 0};
        bool ok = true;
        if (!valid_id(q.id)) {
            problem(path, line, "id",
                    "'%s' is empty, holds spaces or control characters, or "
                    "is longer than %d bytes",
                    q.id, MAX_ID);
            ok = false;
        } else if (find_req(f, q.id, f->n_reqs)) {
            problem(path, line, "id", "'%s' appears twice", q.id);
            ok = false;
        }
        if (q.parent && !find_req(f, q.parent, f->n_reqs)) {
            problem(path, line, "parent",
                    "'%s' is not an earlier row of this file (every "
                    "parent comes before its children)",
                    q.parent);
            ok = false;
        }
        if (!cw_kind_ok(q.kind)) {
            problem(path, line, "kind", "'%s' is not one of %s", q.kind, kinds);
            ok = false;
        }
        if (!*q.title || has_edge_space(q.title)) {
            problem(path, line, "title", *q.title ? "leading or trailing space" : "empty");
            ok = false;
        }
        if (q.desc && has_edge_space(q.desc)) {
            problem(path, line, "description", "leading or trailing space");
            ok = false;
        }
        int before = n_errors;
        parse_attrs(path, line, c[5], &q);
        if (ok && n_errors == before)
            f->reqs[f->n_reqs++] = q;
        else
            free_attrs(&q);
    }
    if (t->n == 1)
        problem(path, 1, "row", "catalogue has no requirements");
}

static bool crosswalk_name(const char *base, char *a, char *b)
{
    const char *sep = strstr(base, "__");
    const char *suffix = strstr(base, ".crosswalk.csv");
    if (!sep || !suffix || sep > suffix || (size_t)(sep - base) > MAX_SLUG ||
        (size_t)(suffix - sep - 2) > MAX_SLUG)
        return false;
    memcpy(a, base, (size_t)(sep - base));
    a[sep - base] = '\0';
    memcpy(b, sep + 2, (size_t)(suffix - sep - 2));
    b[suffix - sep - 2] = '\0';
    return true;
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Splits a source_id field into its ids ("A.5.15|A.8.5" for a joint row),
 * reporting empty, invalid and repeated ones.  Returns false after
 * reporting; on success m->sids holds the ids sorted. */
static bool split_sources(const char *path, long line, const char *text, mapping *m)
{
    char *copy = xstrdup(text);
    bool ok = true;
    for (char *id = copy, *next; id; id = next) {
        next = strchr(id, '|');
        if (next)
            *next++ = '\0';
        if (!valid_id(id)) {
            problem(path, line, "source_id",
                    "'%s' is empty, holds spaces or control "
                    "characters, or is longer than %d bytes",
                    id, MAX_ID);
            ok = false;
            continue;
        }
        if (m->n_sids == MAX_JOINT) {
            problem(path, line, "source_id", "a joint row has at most %d ids", MAX_JOINT);
            ok = false;
            break;
        }
        m->sids = xrealloc(m->sids, (m->n_sids + 1) * sizeof *m->sids);
        m->sids[m->n_sids++] = xstrdup(id);
    }
    free(copy);
    if (m->n_sids > 1)
        qsort(m->sids, m->n_sids, sizeof *m->sids, str_cmp);
    for (size_t i = 1; i < m->n_sids; i++)
        if (!strcmp(m->sids[i - 1], m->sids[i])) {
            problem(path, line, "source_id", "'%s' appears twice in the set", m->sids[i]);
            ok = false;
        }
    return ok;
}

static bool same_sources(const mapping *a, const mapping *b)
{
    if (a->n_sids != b->n_sids || strcmp(a->sfw, b->sfw))
        return false;
    for (size_t i = 0; i < a->n_sids; i++)
        if (strcmp(a->sids[i], b->sids[i]))
            return false;
    return true;
}

static void free_sources(mapping *m)
{
    for (size_t j = 0; j < m->n_sids; j++)
        free(m->sids[j]);
    free(m->sids);
    m->sids = NULL;
    m->n_sids = 0;
}

static void read_crosswalk(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char fa[MAX_SLUG + 1], fb[MAX_SLUG + 1];
    if (!crosswalk_name(base, fa, fb)) {
        problem(path, 0, "file", "name is not <source>__<target>.crosswalk.csv");
        return;
    }
    table *t = read_csv(path);
    if (!t || !check_shape(t, MAP_COLS, CW_CSV_CROSSWALK_COLS))
        return;
    path = t->path; /* outlives the caller's copy */
    /* The relationships a row may state: all but "unknown". */
    const char *rel_names[CW_REL_NOT_RELATED + 2] = {NULL};
    for (int i = 0; i <= CW_REL_NOT_RELATED; i++)
        rel_names[i] = cw_rel_name((cw_rel)i);
    char rels[128], rats[64];
    cw_names_join(rel_names, rels, sizeof rels);
    cw_names_join(cw_rationale_names, rats, sizeof rats);
    const row *rw;
    for (size_t at = 0; (rw = cw_csv_row(&t->csv, &at, CW_CSV_CROSSWALK_COLS));) {
        char *const *c = rw->f;
        long line = rw->line;
        mapping m = {c[0], c[1], c[2], c[3], c[4], *c[6] ? c[6] : NULL, c[7], *c[8] ? c[8] : NULL,
                     0,    NULL, 0,    path, line};
        bool ok = split_sources(path, line, m.sid, &m);
        bool joint = m.n_sids > 1;
        const char *ends[2][3] = {{m.sfw, m.sid, fa}, {m.tfw, m.tid, fb}};
        for (int e = 0; e < 2; e++) {
            const char *fcol = MAP_COLS[2 * e], *icol = MAP_COLS[2 * e + 1];
            if (strcmp(ends[e][0], ends[e][2]) != 0) {
                problem(path, line, fcol, "'%s' but the file name says '%s'", ends[e][0],
                        ends[e][2]);
                ok = false;
            }
            const fw *f = find_fw(ends[e][0]);
            if (!f) {
                problem(path, line, fcol, "'%s' is not listed in frameworks.csv", ends[e][0]);
                ok = false;
            } else if (f->broken) {
                ok = false; /* reported once, at the catalogue */
            } else if (e == 1) {
                if (!find_req(f, m.tid, f->n_reqs)) {
                    problem(path, line, icol, "no requirement '%s' in %s", m.tid, f->slug);
                    ok = false;
                }
            } else {
                for (size_t j = 0; j < m.n_sids; j++)
                    if (!find_req(f, m.sids[j], f->n_reqs)) {
                        problem(path, line, icol, "no requirement '%s' in %s", m.sids[j], f->slug);
                        ok = false;
                    }
            }
        }
        for (size_t j = 0; ok && j < m.n_sids; j++)
            if (strcmp(m.sfw, m.tfw) == 0 && strcmp(m.sids[j], m.tid) == 0) {
                problem(path, line, "target_id",
                        joint ? "the target is one of its own sources"
                              : "a requirement mapped to itself");
                ok = false;
            }
        cw_rel relv;
        if (cw_rel_parse(m.rel, &relv)) {
            problem(path, line, "relationship", "'%s' is not one of %s", m.rel, rels);
            ok = false;
        }
        if (*c[5]) {
            char *end;
            errno = 0;
            long v = strtol(c[5], &end, 10);
            if (*end || errno || v < 1 || v > 10 || c[5][0] == '+' || c[5][0] == ' ') {
                problem(path, line, "strength", "'%s' is not an integer 1..10 (or empty)", c[5]);
                ok = false;
            } else {
                m.strength = (int)v;
            }
        }
        if (m.rationale && !cw_rationale_ok(m.rationale)) {
            problem(path, line, "rationale", "'%s' is not empty or one of %s", m.rationale, rats);
            ok = false;
        }
        if (!*m.origin || has_edge_space(m.origin)) {
            problem(path, line, "origin", *m.origin ? "leading or trailing space" : "empty");
            ok = false;
        }
        if (m.note && (has_edge_space(m.note) || strlen(m.note) > MAX_NOTE)) {
            problem(path, line, "note", "leading or trailing space, or longer than %d bytes",
                    MAX_NOTE);
            ok = false;
        }
        /* A joint row claims that a set covers its target: the reviewer
         * must be able to read why in the diff. */
        if (joint && !m.note) {
            problem(path, line, "note", "a joint row must say why its set covers the target");
            ok = false;
        }
        if (!ok) {
            free_sources(&m);
            continue;
        }
        /* The same pair (or source set and target) twice in a file is a
         * data slip; the same one with the same origin anywhere, in either
         * direction, would be one stored row stated twice. */
        for (size_t i = 0; i < n_maps; i++) {
            const mapping *o = &maps[i];
            bool same = same_sources(o, &m) && !strcmp(o->tfw, m.tfw) && !strcmp(o->tid, m.tid);
            bool rev = !joint && o->n_sids == 1 && !strcmp(o->sfw, m.tfw) &&
                       !strcmp(o->sid, m.tid) && !strcmp(o->tfw, m.sfw) && !strcmp(o->tid, m.sid);
            if ((same || rev) && (o->path == path || !strcmp(o->origin, m.origin))) {
                problem(path, line, "target_id", "%s %s/%s - %s/%s is already on %s:%ld",
                        joint ? "the joint row" : "the pair", m.sfw, m.sid, m.tfw, m.tid, o->path,
                        o->line);
                ok = false;
                break;
            }
        }
        if (!ok) {
            free_sources(&m);
            continue;
        }
        if (n_maps == cap_maps) {
            cap_maps = cap_maps ? 2 * cap_maps : 1024;
            maps = xrealloc(maps, cap_maps * sizeof *maps);
        }
        maps[n_maps++] = m;
    }
}

/* ---- output ---- */

static void pack_bundle(msgpack_sbuffer *sb)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 4);
    cw_mp_str(&pk, "format");
    cw_mp_str(&pk, CW_BUNDLE_FORMAT);
    cw_mp_str(&pk, "version");
    msgpack_pack_int(&pk, CW_BUNDLE_VERSION);
    cw_mp_str(&pk, "frameworks");
    msgpack_pack_array(&pk, n_fws);
    for (size_t i = 0; i < n_fws; i++) {
        const fw *f = &fws[i];
        msgpack_pack_map(&pk, 6);
        const char *kv[][2] = {{"slug", f->slug},
                               {"name", f->name},
                               {"version", f->version},
                               {"publisher", f->publisher},
                               {"licence", f->licence}};
        for (size_t k = 0; k < 5; k++) {
            cw_mp_str(&pk, kv[k][0]);
            cw_mp_str(&pk, kv[k][1]);
        }
        cw_mp_str(&pk, "requirements");
        msgpack_pack_array(&pk, f->n_reqs);
        for (size_t j = 0; j < f->n_reqs; j++) {
            const req *q = &f->reqs[j];
            msgpack_pack_array(&pk, 6);
            cw_mp_str(&pk, q->id);
            cw_mp_str(&pk, q->parent);
            cw_mp_str(&pk, q->kind);
            cw_mp_str(&pk, q->title);
            cw_mp_str(&pk, q->desc);
            msgpack_pack_map(&pk, q->n_attrs);
            for (size_t a = 0; a < q->n_attrs; a++) {
                cw_mp_str(&pk, q->attrs[a].key);
                msgpack_pack_array(&pk, q->attrs[a].n);
                for (size_t v = 0; v < q->attrs[a].n; v++)
                    cw_mp_str(&pk, q->attrs[a].vals[v]);
            }
        }
    }
    cw_mp_str(&pk, "mappings");
    msgpack_pack_array(&pk, n_maps);
    for (size_t i = 0; i < n_maps; i++) {
        const mapping *m = &maps[i];
        msgpack_pack_array(&pk, 9);
        cw_mp_str(&pk, m->sfw);
        if (m->n_sids > 1) {
            msgpack_pack_array(&pk, m->n_sids);
            for (size_t j = 0; j < m->n_sids; j++)
                cw_mp_str(&pk, m->sids[j]);
        } else {
            cw_mp_str(&pk, m->sid);
        }
        cw_mp_str(&pk, m->tfw);
        cw_mp_str(&pk, m->tid);
        cw_mp_str(&pk, m->rel);
        msgpack_pack_int(&pk, m->strength);
        cw_mp_str(&pk, m->rationale);
        cw_mp_str(&pk, m->origin);
        cw_mp_str(&pk, m->note);
    }
}

/* Writes via path.tmp and renames; returns false after reporting. */
static bool write_file(const char *path, const void *data, size_t n, bool as_c)
{
    size_t pl = strlen(path) + 5;
    char *tmp = xmalloc(pl);
    snprintf(tmp, pl, "%s.tmp", path);
    FILE *fp = fopen(tmp, "wb");
    if (!fp) {
        fprintf(stderr, "fwbundle: %s: %s\n", tmp, strerror(errno));
        return false;
    }
    if (as_c) {
        const unsigned char *b = data;
        fprintf(fp, "/* Generated by tools/fwbundle from the CSV files in frameworks/.\n"
                    " * Do not edit: edit the CSV files and rebuild. */\n"
                    "#include \"crosswalk/bundle.h\"\n\n"
                    "const unsigned char cw_frameworks_bundle[] = {\n");
        for (size_t i = 0; i < n; i++)
            fprintf(fp, "%s0x%02x,%s", i % 16 ? "" : "    ", b[i],
                    i % 16 == 15 || i + 1 == n ? "\n" : "");
        fprintf(fp, "};\n\nconst size_t cw_frameworks_bundle_len = %zu;\n", n);
    } else {
        fwrite(data, 1, n, fp);
    }
    bool ok = !ferror(fp);
    ok = (fclose(fp) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        fprintf(stderr, "fwbundle: cannot write %s: %s\n", path, strerror(errno));
        remove(tmp);
        return false;
    }
    free(tmp);
    return true;
}

static void usage(void)
{
    fprintf(stderr, "usage: fwbundle [--bundle FILE] [--c-source FILE] FRAMEWORKS_DIR\n"
                    "Validates the framework CSV files in FRAMEWORKS_DIR and writes the msgpack\n"
                    "bundle and/or a C source embedding it.  With neither output it only\n"
                    "validates.  Exit status: 0 ok, 1 data errors, 2 usage.\n");
}

int main(int argc, char **argv)
{
    const char *out_bundle = NULL, *out_c = NULL, *dir = NULL;
    static const struct option longs[] = {{"bundle", required_argument, NULL, 'b'},
                                          {"c-source", required_argument, NULL, 'c'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    cw_opt_reader op;
    cw_opt_init(&op, argc, argv, "h", longs);
    for (int c; (c = cw_opt_next(&op)) != CW_OPT_END;) {
        if (c == 'b')
            out_bundle = op.arg;
        else if (c == 'c')
            out_c = op.arg;
        else if (c == 'h') {
            usage();
            return 0;
        } else if (c == CW_OPT_POS && !dir && op.arg[0] != '-')
            dir = op.arg;
        else {
            usage();
            return 2;
        }
    }
    /* "--" is no separator here: every argument is an option or the one
     * directory. */
    if (!dir || strcmp(op.word, "--") == 0) {
        usage();
        return 2;
    }

    read_frameworks(dir);
    for (size_t i = 0; i < n_fws; i++)
        read_catalog(dir, &fws[i]);

    /* A catalogue file nobody lists would silently not ship. */
    char *pat = join(dir, "*.catalog.csv");
    glob_t g;
    if (glob(pat, 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; i++) {
            const char *base = strrchr(g.gl_pathv[i], '/');
            base = base ? base + 1 : g.gl_pathv[i];
            bool listed = false;
            for (size_t k = 0; k < n_fws && !listed; k++)
                listed = !strcmp(fws[k].catalog_file, base);
            if (!listed)
                problem(g.gl_pathv[i], 0, "file", "catalogue not listed in frameworks.csv");
        }
        globfree(&g);
    }
    free(pat);

    /* glob sorts, so the bundle's row order is stable across machines. */
    pat = join(dir, "*.crosswalk.csv");
    int grc = glob(pat, 0, NULL, &g);
    if (grc == 0) {
        for (size_t i = 0; i < g.gl_pathc; i++)
            read_crosswalk(g.gl_pathv[i]);
        globfree(&g);
    } else if (grc != GLOB_NOMATCH) {
        problem(pat, 0, "file", "cannot list crosswalk files");
    }
    free(pat);

    if (n_errors) {
        fprintf(stderr, "fwbundle: %d problem%s in %s%s; nothing written\n", n_errors,
                n_errors == 1 ? "" : "s", dir, n_errors > 200 ? " (first 200 shown)" : "");
        free_all();
        return 1;
    }
    size_t n_reqs = 0;
    for (size_t i = 0; i < n_fws; i++)
        n_reqs += fws[i].n_reqs;

    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    pack_bundle(&sb);
    bool ok = true;
    if (out_bundle)
        ok = write_file(out_bundle, sb.data, sb.size, false) && ok;
    if (out_c)
        ok = write_file(out_c, sb.data, sb.size, true) && ok;
    size_t n_joint = 0;
    for (size_t i = 0; i < n_maps; i++)
        n_joint += maps[i].n_sids > 1;
    if (ok)
        printf("fwbundle: %zu frameworks, %zu requirements, %zu crosswalk rows (%zu joint), "
               "%zu bytes\n",
               n_fws, n_reqs, n_maps, n_joint, sb.size);
    msgpack_sbuffer_destroy(&sb);
    free_all();
    return ok ? 0 : 1;
}
