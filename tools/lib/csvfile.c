/* The tools' CSV reader and field writer over libcsv (csvfile.h). */
#include "csvfile.h"

#include <csv.h>
#include <stdlib.h>
#include <string.h>

const char *const cw_csv_catalog_cols[CW_CSV_CATALOG_COLS] = {
    "id", "parent", "kind", "title", "description", "attributes", "assessable", "status"};
const char *const cw_csv_crosswalk_cols[CW_CSV_CROSSWALK_COLS] = {
    "source_framework", "source_id", "target_framework", "target_id", "relationship",
    "strength",         "rationale", "origin",           "note"};

/* A block of the field pool; blocks are chained and freed together. */
typedef struct cw_csv_blk {
    struct cw_csv_blk *next;
    size_t used, cap;
    _Alignas(16) char data[];
} cw_csv_blk;

static void *pool_alloc(cw_csv_table *t, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (!t->pool || t->pool->cap - t->pool->used < n) {
        size_t cap = n > (1u << 20) ? n : (1u << 20);
        cw_csv_blk *b = malloc(sizeof *b + cap);
        if (!b)
            return NULL;
        b->next = t->pool;
        b->used = 0;
        b->cap = cap;
        t->pool = b;
    }
    void *p = t->pool->data + t->pool->used;
    t->pool->used += n;
    return p;
}

/* Makes room for one more element in the malloc'd array *p (n used, *cap
 * allocated, first size first): doubles it when full.  false when out of
 * memory (*p is then unchanged and still owned by the table). */
static bool grow(void **p, size_t *cap, size_t n, size_t elem, size_t first)
{
    if (n < *cap)
        return true;
    size_t nc = *cap ? *cap * 2 : first;
    void *np = realloc(*p, nc * elem);
    if (!np)
        return false;
    *p = np;
    *cap = nc;
    return true;
}

static void on_field(void *s, size_t len, void *data)
{
    cw_csv_table *t = data;
    if (!grow((void **)&t->cur.f, &t->cur_cap, t->cur.n, sizeof *t->cur.f, 16)) {
        t->oom = true;
        return;
    }
    char *v = pool_alloc(t, len + 1);
    if (!v) {
        t->oom = true;
        return;
    }
    memcpy(v, s ? s : "", len);
    v[len] = '\0';
    t->cur.f[t->cur.n++] = v;
}

static void on_record(int c, void *data)
{
    (void)c;
    cw_csv_table *t = data;
    if (!grow((void **)&t->r, &t->cap, t->n, sizeof *t->r, 256)) {
        t->oom = true;
        return;
    }
    char **f = pool_alloc(t, (t->cur.n + 1) * sizeof *f);
    if (!f) {
        t->oom = true;
        return;
    }
    memcpy(f, t->cur.f, t->cur.n * sizeof *f);
    t->r[t->n++] = (cw_csv_rec){t->cur.line, t->cur.n, f};
    t->cur.n = 0;
    t->cur.line = 0;
}

/* Keep spaces: a stray space is a data error to report, not to hide. */
static int no_space(unsigned char c)
{
    (void)c;
    return 0;
}

static void add_blank(cw_csv_table *t, long line)
{
    if (!grow((void **)&t->blank, &t->cap_blank, t->n_blank, sizeof *t->blank, 16)) {
        t->oom = true;
        return;
    }
    t->blank[t->n_blank++] = line;
}

int cw_csv_read(const char *data, size_t len, cw_csv_table *t, cw_csv_error *err)
{
    memset(err, 0, sizeof *err);
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
        err->oom = true;
        return -1;
    }
    csv_set_space_func(&p, no_space);
    long line = 0;
    size_t at = 0;
    int rc = 0;
    while (at < len) {
        const char *nl = memchr(data + at, '\n', len - at);
        size_t end = nl ? (size_t)(nl - data) + 1 : len;
        line++;
        if (t->cur.line == 0) {
            size_t l = end - at;
            if ((l == 1 && data[at] == '\n') ||
                (l == 2 && data[at] == '\r' && data[at + 1] == '\n')) {
                add_blank(t, line);
                at = end;
                continue;
            }
            t->cur.line = line;
        }
        if (csv_parse(&p, data + at, end - at, on_field, on_record, t) != end - at) {
            err->csv_errno = csv_error(&p);
            err->line = line;
            err->rec_line = t->cur.line;
            rc = -1;
            break;
        }
        at = end;
    }
    if (rc == 0 && csv_fini(&p, on_field, on_record, t) != 0) {
        err->at_end = true;
        err->csv_errno = csv_error(&p);
        err->line = line;
        err->rec_line = t->cur.line ? t->cur.line : line;
        rc = -1;
    }
    csv_free(&p);
    if (rc == 0 && t->oom) {
        err->oom = true;
        rc = -1;
    }
    return rc;
}

void cw_csv_free(cw_csv_table *t)
{
    while (t->pool) {
        cw_csv_blk *n = t->pool->next;
        free(t->pool);
        t->pool = n;
    }
    free(t->cur.f);
    free(t->r);
    free(t->blank);
    memset(t, 0, sizeof *t);
}

const cw_csv_rec *cw_csv_row(const cw_csv_table *t, size_t *at, size_t ncols)
{
    while (++*at < t->n)
        if (t->r[*at].n == ncols)
            return &t->r[*at];
    return NULL;
}

int cw_csv_put(FILE *out, const char *s, unsigned flags)
{
    if (!s)
        s = "";
    size_t n = strlen(s);
    bool quote = strpbrk(s, ",\"\r\n") != NULL ||
                 ((flags & CW_CSV_QUOTE_EDGE_SPACE) && n && (s[0] == ' ' || s[n - 1] == ' '));
    if (quote)
        return csv_fwrite(out, s, n);
    return fputs(s, out) == EOF ? EOF : 0;
}
