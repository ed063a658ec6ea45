/* import_csv.c: the project's own CSV formats, and the crosswalk CSV export.
 *
 * The file is parsed by the tools' CSV reader (tools/lib/csvfile.c, the
 * one fwbundle reads the shipped frameworks with: libcsv in strict mode,
 * RFC 4180 quoting; spaces are kept so that a value beginning or ending
 * with a space can be reported; every record knows the line it starts
 * on).  The header line decides the format:
 *   id,parent,kind,title,description,attributes[,assessable,status]
 *                                                          catalogue
 *   source_framework,source_id,...,origin[,note]           crosswalk
 *   id,controls,kind,title,source,uri,sha256,...,result    evidence
 *   id,title,owner,status,links                            controls
 * Catalogue and crosswalk rows follow frameworks/README.md exactly; the
 * evidence and controls formats are documented in the CLI README.  Every
 * field of every row is checked and each problem is reported as
 * file:line, field, message; the rows become one catalog.load batch, or
 * mapping.load / evidence.load / control.put batches of at most
 * batch_size items.  Blank lines between records are skipped.
 *
 * A crosswalk row whose source_id holds ids joined by '|' is a joint row
 * (its set of 2..64 sources together relate to the target).
 *
 * cw_export_csv writes the rows of a mapping.export answer in the
 * crosswalk format with the note column, quoting fields as RFC 4180
 * requires (libcsv's csv_fwrite, through cw_csv_put).
 *
 * Ownership: the parsed table is freed before returning; batches belong to
 * the cw_import. */
#include "import.h"

#include "csvfile.h"

#include <crosswalk/model.h>

#include <csv.h>
#include <msgpack.h>
#include <stdarg.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef cw_csv_rec rec;
typedef cw_csv_table table;

/* Parses data into t (tools/lib/csvfile.c); returns 0 or -1 with a problem
 * recorded. */
static int parse_csv(cw_import *imp, const char *name, const char *data, size_t len, table *t)
{
    cw_csv_error e;
    if (cw_csv_read(data, len, t, &e) == 0)
        return 0;
    if (e.oom)
        cw_imp_problem(imp, name, "file", "out of memory");
    else if (e.at_end)
        cw_imp_problem_at(imp, name, e.rec_line, "csv", "unterminated quoted field");
    else
        cw_imp_problem_at(imp, name, e.line, "csv", "%s", csv_strerror(e.csv_errno));
    return -1;
}

/* ---- field checks ---- */

typedef struct ctx {
    cw_import *imp;
    const char *name;
    long line;
    int bad; /* problems on the current row */
} ctx;

static void bad(ctx *c, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void bad(ctx *c, const char *field, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cw_imp_problem_at(c->imp, c->name, c->line, field, "%s", msg);
    c->bad = 1;
}

/* An identifier in the project's CSV files: non-empty, no white space, at
 * most 128 bytes, no control characters. */
static int check_id(ctx *c, const char *field, const char *v, int whole)
{
    const char *why = cw_imp_id_problem(v);
    if (!why) {
        /* Spaces at either end of a whole field are reported once, by the
         * shared check; parts of a list are checked here in full. */
        size_t n = strlen(v);
        for (size_t i = whole ? 1 : 0; i + (whole ? 1 : 0) < n; i++)
            if (isspace((unsigned char)v[i])) {
                why = "must not contain spaces";
                break;
            }
    }
    if (why) {
        bad(c, field, "'%.60s' %s", v, why);
        return -1;
    }
    return 0;
}

static int check_slug(ctx *c, const char *field, const char *v)
{
    if (!cw_slug_ok(v)) {
        bad(c, field,
            "'%.60s' is not a framework slug (lower-case letters, digits, '.' and '-', "
            "starting with a letter)",
            v);
        return -1;
    }
    return 0;
}

static json_t *jstr(const char *s)
{
    return json_string(s);
}

static void set_opt(json_t *o, const char *key, const char *v)
{
    if (v && *v)
        json_object_set_new(o, key, jstr(v));
}

static int lower_snake(const char *s)
{
    if (!(*s >= 'a' && *s <= 'z'))
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    return 1;
}

/* Splits s at sep into a malloc'd vector of malloc'd strings (empty parts
 * kept).  Returns the count or (size_t)-1. */
static size_t split(const char *s, char sep, char ***out)
{
    size_t n = 1;
    for (const char *p = s; *p; p++)
        n += *p == sep;
    char **v = calloc(n, sizeof *v);
    if (!v)
        return (size_t)-1;
    size_t i = 0;
    const char *start = s;
    for (const char *p = s;; p++) {
        if (*p == sep || *p == '\0') {
            size_t l = (size_t)(p - start);
            v[i] = malloc(l + 1);
            if (!v[i]) {
                for (size_t k = 0; k < i; k++)
                    free(v[k]);
                free(v);
                return (size_t)-1;
            }
            memcpy(v[i], start, l);
            v[i][l] = '\0';
            i++;
            start = p + 1;
            if (*p == '\0')
                break;
        }
    }
    *out = v;
    return n;
}

static void split_free(char **v, size_t n)
{
    if (n == (size_t)-1)
        return;
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* attributes: name=value|value;name=value -> {name: [values]} */
static json_t *parse_attributes(ctx *c, const char *s)
{
    json_t *obj = json_object();
    char **items;
    size_t n = split(s, ';', &items);
    if (n == (size_t)-1)
        return obj;
    for (size_t i = 0; i < n; i++) {
        char *eq = strchr(items[i], '=');
        if (!eq) {
            bad(c, "attributes", "item '%.60s' is not name=value", items[i]);
            continue;
        }
        *eq = '\0';
        const char *nm = items[i];
        if (!lower_snake(nm)) {
            bad(c, "attributes", "name '%.60s' is not lower_snake_case", nm);
            continue;
        }
        if (json_object_get(obj, nm)) {
            bad(c, "attributes", "name '%.60s' appears twice", nm);
            continue;
        }
        char **vals;
        size_t nv = split(eq + 1, '|', &vals);
        if (nv == (size_t)-1)
            continue;
        json_t *arr = json_array();
        for (size_t k = 0; k < nv; k++) {
            size_t l = strlen(vals[k]);
            if (l == 0)
                bad(c, "attributes", "'%.60s' has an empty value", nm);
            else if (strchr(vals[k], '='))
                bad(c, "attributes", "value '%.60s' of '%.60s' contains '='", vals[k], nm);
            else if (isspace((unsigned char)vals[k][0]) || isspace((unsigned char)vals[k][l - 1]))
                bad(c, "attributes", "value '%.60s' of '%.60s' begins or ends with a space",
                    vals[k], nm);
            else
                json_array_append_new(arr, jstr(vals[k]));
        }
        split_free(vals, nv);
        json_object_set_new(obj, nm, arr);
    }
    split_free(items, n);
    return obj;
}

/* ---- the four formats ---- */

/* A catalogue may add the columns assessable and status; a crosswalk may
 * add note.  The shorter headers are still read, so files written for an
 * earlier version load unchanged. */
enum fmt { F_CATALOG, F_CROSSWALK, F_EVIDENCE, F_CONTROLS, F_CATALOG8, F_CROSSWALK9 };
static const char *const evidence_cols[] = {"id",          "controls", "kind",   "title",
                                            "source",      "uri",      "sha256", "collected_at",
                                            "valid_until", "result"};
static const char *const controls_cols[] = {"id", "title", "owner", "status", "links"};
static const char *const *const headers[] = {cw_csv_catalog_cols, cw_csv_crosswalk_cols,
                                             evidence_cols,       controls_cols,
                                             cw_csv_catalog_cols, cw_csv_crosswalk_cols};
static const size_t ncols[] = {CW_CSV_CATALOG_BASE, CW_CSV_CROSSWALK_BASE, 10, 5,
                               CW_CSV_CATALOG_COLS, CW_CSV_CROSSWALK_COLS};
static const char *const format_names[] = {"csv-catalog",  "csv-crosswalk", "csv-evidence",
                                           "csv-controls", "csv-catalog",   "csv-crosswalk"};

/* Which format a header is, read as people write headers: names in any
 * case and order, surrounding spaces ignored, the optional columns
 * anywhere or absent, unnamed columns ignored when they hold nothing.
 * When the header is not the format's own, every row of the header's
 * width is put in the format's full column order (*cells holds the new
 * field vectors, pointing into t's strings; the caller frees it).
 * Returns the format, or -1 with a problem saying what is missing or
 * unknown and the expected header. */
static int header_format(cw_import *imp, const char *name, table *t, char ***cells)
{
    static char empty[1];
    static const int full[] = {F_CATALOG8, F_CROSSWALK9, F_EVIDENCE, F_CONTROLS};
    static const size_t base[] = {CW_CSV_CATALOG_BASE, CW_CSV_CROSSWALK_BASE, 10, 5};
    size_t m = t->n ? t->r[0].n : 0;
    int best = -1, best_hits = -1, pos[64];
    if (m == 0 || m > 64)
        goto unknown;
    for (int k = 0; k < 4; k++) {
        int fk = full[k], hits = 0;
        bool ok = true, seen[16] = {false};
        for (size_t j = 0; j < m; j++) {
            const char *h = t->r[0].f[j];
            while (isspace((unsigned char)*h))
                h++;
            size_t hl = strlen(h);
            while (hl && isspace((unsigned char)h[hl - 1]))
                hl--;
            pos[j] = -1;
            if (hl == 0)
                continue; /* an unnamed column: must hold nothing */
            for (size_t c = 0; c < ncols[fk]; c++)
                if (strlen(headers[fk][c]) == hl && strncasecmp(h, headers[fk][c], hl) == 0)
                    pos[j] = (int)c;
            if (pos[j] < 0 || seen[pos[j]])
                ok = false;
            else
                seen[pos[j]] = true, hits++;
        }
        for (size_t c = 0; c < base[k]; c++)
            ok = ok && seen[c];
        if (ok) {
            /* The format's own header (base or full form): nothing to do. */
            if ((m == base[k] || m == ncols[fk])) {
                bool same = true;
                for (size_t j = 0; j < m; j++)
                    same = same && pos[j] == (int)j && strcmp(t->r[0].f[j], headers[fk][j]) == 0;
                if (same)
                    return m == base[k] ? (fk == F_CATALOG8     ? F_CATALOG
                                           : fk == F_CROSSWALK9 ? F_CROSSWALK
                                                                : fk)
                                        : fk;
            }
            size_t w = ncols[fk], bad_rows = 0;
            for (size_t i = 1; i < t->n; i++) {
                if (t->r[i].n != m) {
                    cw_imp_problem_at(imp, name, t->r[i].line, "row",
                                      "has %zu fields, the header has %zu", t->r[i].n, m);
                    bad_rows++;
                    continue;
                }
                for (size_t j = 0; j < m; j++)
                    if (pos[j] < 0 && t->r[i].f[j][0]) {
                        cw_imp_problem_at(imp, name, t->r[i].line, "row",
                                          "column %zu has no name in the header but holds '%.40s'",
                                          j + 1, t->r[i].f[j]);
                        bad_rows++;
                    }
            }
            if (bad_rows)
                return -1;
            if (!(*cells = calloc(t->n * w + 1, sizeof **cells)))
                return -1;
            for (size_t i = 0; i < t->n; i++) {
                char **v = *cells + i * w;
                for (size_t c = 0; c < w; c++)
                    v[c] = i == 0 ? (char *)headers[fk][c] : empty;
                if (i > 0)
                    for (size_t j = 0; j < m; j++)
                        if (pos[j] >= 0)
                            v[pos[j]] = t->r[i].f[j];
                t->r[i].f = v;
                t->r[i].n = w;
            }
            return fk;
        }
        if (hits > best_hits)
            best = fk, best_hits = hits;
    }
    if (best >= 0 && best_hits >= 2) {
        char missing[512] = "", expected[512] = "";
        for (size_t c = 0; c < ncols[best]; c++) {
            bool there = false;
            for (size_t j = 0; j < m; j++)
                there = there || strcasecmp(t->r[0].f[j], headers[best][c]) == 0;
            size_t b = best == F_CATALOG8     ? CW_CSV_CATALOG_BASE
                       : best == F_CROSSWALK9 ? CW_CSV_CROSSWALK_BASE
                                              : ncols[best];
            if (!there && c < b)
                snprintf(missing + strlen(missing), sizeof missing - strlen(missing), "%s%s",
                         *missing ? ", " : "", headers[best][c]);
            snprintf(expected + strlen(expected), sizeof expected - strlen(expected), "%s%s",
                     c ? "," : "", headers[best][c]);
        }
        cw_imp_problem_at(
            imp, name, 1, "header", "a %s header %s%s%s (expected %s, in any order and case)",
            format_names[best] + 4, *missing ? "without " : "with a column it does not have",
            missing, *missing ? "" : "", expected);
        return -1;
    }
unknown:
    if (m == 1 && strchr(t->r[0].f[0], ';'))
        cw_imp_problem_at(imp, name, 1, "header",
                          "the columns are separated by ';': crosswalk reads ',' (save the file "
                          "as CSV with commas)");
    else
        cw_imp_problem_at(imp, name, 1, "header",
                          "not a crosswalk CSV header (expected the catalogue, crosswalk, "
                          "evidence or controls header)");
    return -1;
}

/* The framework slug of a catalogue file: <slug>.catalog.csv */
static int slug_from_name(const char *path, char *out, size_t outlen)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    const char *suf = ".catalog.csv";
    size_t n = strlen(b), sl = strlen(suf);
    if (n <= sl || strcmp(b + n - sl, suf) != 0 || n - sl >= outlen)
        return -1;
    memcpy(out, b, n - sl);
    out[n - sl] = '\0';
    return cw_slug_ok(out) ? 0 : -1;
}

static int do_catalog(cw_import *imp, const char *name, table *t, const cw_import_opts *o,
                      size_t cols)
{
    char slug[CW_IMP_MAX_SLUG + 1];
    if (o->framework) {
        if (!cw_slug_ok(o->framework)) {
            cw_imp_problem_at(imp, name, 1, "framework", "'%.60s' is not a framework slug",
                              o->framework);
            return 0;
        }
        snprintf(slug, sizeof slug, "%s", o->framework);
    } else if (slug_from_name(name, slug, sizeof slug)) {
        cw_imp_problem_at(imp, name, 1, "framework",
                          "cannot tell the framework: name the file <slug>.catalog.csv or give "
                          "the framework slug");
        slug[0] = '\0';
    }
    cw_imp_map all = {0}, seen = {0};
    const rec *r;
    for (size_t at = 0; (r = cw_csv_row(t, &at, cols));)
        cw_imp_map_put(&all, r->f[0], r->line, NULL);
    json_t *reqs = json_array();
    for (size_t at = 0; (r = cw_csv_row(t, &at, cols));) {
        ctx c = {imp, name, r->line, 0};
        const char *id = r->f[0], *parent = r->f[1], *kind = r->f[2], *title = r->f[3],
                   *desc = r->f[4], *attrs = r->f[5];
        const char *assess = cols > 6 ? r->f[6] : "", *status = cols > 6 ? r->f[7] : "";
        long prev;
        if (check_id(&c, "id", id, 1) == 0 && cw_imp_map_put(&seen, id, r->line, &prev) == 1)
            bad(&c, "id", "'%.60s' already appears on line %ld", id, prev);
        if (*parent) {
            long pl;
            if (strcmp(parent, id) == 0)
                bad(&c, "parent", "'%.60s' is the row itself", parent);
            else if (cw_imp_map_get(&seen, parent, NULL))
                ;
            else if (cw_imp_map_get(&all, parent, &pl))
                bad(&c, "parent", "'%.60s' comes later (line %ld); parents must come first", parent,
                    pl);
            else
                bad(&c, "parent", "no row with id '%.60s'", parent);
        }
        if (!cw_kind_ok(kind)) {
            char list[256];
            cw_names_join(cw_kind_names, list, sizeof list);
            bad(&c, "kind", "'%.60s' is not one of %s", kind, list);
        }
        if (!*title)
            bad(&c, "title", "must not be empty");
        json_t *req = json_object();
        json_object_set_new(req, "id", jstr(id));
        set_opt(req, "parent", parent);
        set_opt(req, "kind", kind);
        set_opt(req, "title", title);
        set_opt(req, "description", desc);
        if (*attrs)
            json_object_set_new(req, "attributes", parse_attributes(&c, attrs));
        /* empty: decided by the tree (a row without children is assessed) */
        if (strcmp(assess, "true") == 0 || strcmp(assess, "false") == 0)
            json_object_set_new(req, "assessable", json_boolean(assess[0] == 't'));
        else if (*assess)
            bad(&c, "assessable", "'%.60s' is not true, false or empty", assess);
        if (strcmp(status, "active") == 0 || strcmp(status, "withdrawn") == 0)
            json_object_set_new(req, "status", jstr(status));
        else if (*status)
            bad(&c, "status", "'%.60s' is not active, withdrawn or empty", status);
        json_array_append_new(reqs, req);
    }
    cw_imp_map_free(&all);
    cw_imp_map_free(&seen);
    if (json_array_size(reqs) == 0)
        cw_imp_problem_at(imp, name, 1, "file", "no requirement rows");
    json_t *p = json_object();
    json_object_set_new(p, "framework", jstr(slug));
    json_object_set_new(p, "requirements", reqs);
    return cw_imp_batch(imp, "catalog.load", p, json_array_size(reqs));
}

/* source_id of a joint row: 2..64 ids joined by '|' ("A.5.15|A.8.5"),
 * none twice, not the target.  Returns the JSON array of ids (new
 * reference) or NULL when sid is one id. */
static json_t *joint_sources(ctx *c, const char *sid, const char *sf, const char *tf,
                             const char *tid)
{
    if (!strchr(sid, '|'))
        return NULL;
    json_t *ids = json_array();
    char *copy = strdup(sid);
    for (char *id = copy, *next; id; id = next) {
        next = strchr(id, '|');
        if (next)
            *next++ = '\0';
        if (check_id(c, "source_id", id, 1))
            continue;
        size_t k;
        json_t *x;
        json_array_foreach(ids, k, x) if (strcmp(json_string_value(x), id) == 0)
            bad(c, "source_id", "'%.60s' appears twice in the set", id);
        if (strcmp(sf, tf) == 0 && strcmp(id, tid) == 0)
            bad(c, "source_id", "the set holds its own target '%.60s'", id);
        json_array_append_new(ids, jstr(id));
    }
    free(copy);
    if (json_array_size(ids) > 64)
        bad(c, "source_id", "a joint row has at most 64 ids, this one %zu", json_array_size(ids));
    return ids;
}

static int do_crosswalk(cw_import *imp, const char *name, table *t, const cw_import_opts *o,
                        size_t cols)
{
    cw_imp_map pairs = {0};
    json_t *rows = json_array();
    const rec *r;
    for (size_t at = 0; (r = cw_csv_row(t, &at, cols));) {
        ctx c = {imp, name, r->line, 0};
        const char *sf = r->f[0], *sid = r->f[1], *tf = r->f[2], *tid = r->f[3], *rel = r->f[4],
                   *str = r->f[5], *rat = r->f[6], *origin = r->f[7];
        const char *note = cols > 8 ? r->f[8] : "";
        check_slug(&c, "source_framework", sf);
        json_t *set = joint_sources(&c, sid, sf, tf, tid);
        if (!set)
            check_id(&c, "source_id", sid, 1);
        check_slug(&c, "target_framework", tf);
        check_id(&c, "target_id", tid, 1);
        cw_rel relv;
        if (cw_rel_parse(rel, &relv))
            bad(&c, "relationship",
                "'%.60s' is not one of equal, subset_of, superset_of, intersects_with, "
                "not_related",
                rel);
        long strength = 0;
        if (*str) {
            char *end;
            strength = strtol(str, &end, 10);
            if (*end || !isdigit((unsigned char)str[0]) || strength < 1 || strength > 10) {
                bad(&c, "strength", "'%.60s' is not an integer from 1 to 10", str);
                strength = 0;
            }
        }
        if (*rat && !cw_rationale_ok(rat))
            bad(&c, "rationale", "'%.60s' is not one of syntactic, semantic, functional", rat);
        if (!*origin)
            bad(&c, "origin", "must not be empty (use crosswalk-authored for your own rows)");
        if (!set && strcmp(sf, tf) == 0 && strcmp(sid, tid) == 0)
            bad(&c, "target_id", "maps '%.60s' to itself", sid);
        if (strlen(note) > 1024)
            bad(&c, "note", "longer than 1024 bytes");
        size_t kl = strlen(sf) + strlen(sid) + strlen(tf) + strlen(tid) + strlen(origin) + 5;
        char *key = malloc(kl);
        if (key) {
            long prev;
            snprintf(key, kl, "%s%c%s%c%s%c%s%c%s", sf, 1, sid, 1, tf, 1, tid, 1, origin);
            if (cw_imp_map_put(&pairs, key, r->line, &prev) == 1)
                bad(&c, "target_id",
                    "the pair %.40s/%.40s -> %.40s/%.40s already appears on line %ld", sf, sid, tf,
                    tid, prev);
            free(key);
        }
        json_t *m = json_object();
        json_object_set_new(m, "source_framework", jstr(sf));
        json_object_set_new(m, "source", set ? set : jstr(sid));
        json_object_set_new(m, "target_framework", jstr(tf));
        json_object_set_new(m, "target", jstr(tid));
        json_object_set_new(m, "relationship", jstr(rel));
        cw_imp_mapping_tail(m, strength, rat, origin);
        set_opt(m, "note", note);
        json_array_append_new(rows, m);
    }
    cw_imp_map_free(&pairs);
    if (json_array_size(rows) == 0)
        cw_imp_problem_at(imp, name, 1, "file", "no crosswalk rows");
    return cw_imp_mapping_batches(imp, rows, o->batch_size);
}

static int need_org(cw_import *imp, const char *name, const cw_import_opts *o, const char *what)
{
    if (!o->org || !*o->org) {
        cw_imp_problem_at(imp, name, 1, "org", "%s files need an organisation (--org)", what);
        return -1;
    }
    if (cw_imp_id_problem(o->org)) {
        cw_imp_problem_at(imp, name, 1, "org", "'%.60s' %s", o->org, cw_imp_id_problem(o->org));
        return -1;
    }
    return 0;
}

static void pk_s(msgpack_packer *pk, const char *s)
{
    size_t n = strlen(s);
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s, n);
}

/* A time field as the JSON path sends it: integer seconds as an integer,
 * RFC 3339 text unchanged. */
static void pk_time(msgpack_packer *pk, const char *s, long long epoch)
{
    if (strspn(s, "0123456789") == strlen(s))
        msgpack_pack_int64(pk, epoch);
    else
        pk_s(pk, s);
}

/* Evidence rows go straight into msgpack batches (see cw_import_batch). */
static int do_evidence(cw_import *imp, const char *name, table *t, const cw_import_opts *o)
{
    need_org(imp, name, o, "evidence");
    cw_imp_map ids = {0};
    size_t bs = o->batch_size ? o->batch_size : 10000, in_batch = 0, rows = 0;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    const char *org = o->org ? o->org : "";
    int rc = 0;
    const rec *r;
    for (size_t at = 0; rc == 0 && (r = cw_csv_row(t, &at, ncols[F_EVIDENCE]));) {
        ctx c = {imp, name, r->line, 0};
        const char *id = r->f[0], *controls = r->f[1], *kind = r->f[2], *title = r->f[3],
                   *source = r->f[4], *uri = r->f[5], *sha = r->f[6], *coll = r->f[7],
                   *valid = r->f[8], *result = r->f[9];
        rows++;
        long prev;
        if (check_id(&c, "id", id, 1) == 0 && cw_imp_map_put(&ids, id, r->line, &prev) == 1)
            bad(&c, "id", "'%.60s' already appears on line %ld", id, prev);
        char **ctl = NULL;
        size_t nctl = 0;
        if (!*controls) {
            bad(&c, "controls", "must name at least one control");
        } else if ((nctl = split(controls, '|', &ctl)) == (size_t)-1) {
            rc = -1;
            break;
        } else {
            for (size_t k = 0; k < nctl; k++) {
                if (check_id(&c, "controls", ctl[k], 0))
                    continue;
                for (size_t j = 0; j < k; j++)
                    if (strcmp(ctl[j], ctl[k]) == 0) {
                        bad(&c, "controls", "'%.60s' is named twice", ctl[k]);
                        break;
                    }
            }
        }
        if (*kind && !lower_snake(kind))
            bad(&c, "kind",
                "'%.60s' is not a lower-case word (document, log, test, screenshot, "
                "attestation, scan, ticket, ...)",
                kind);
        char low[65] = "";
        if (*sha) {
            size_t l = strlen(sha);
            if (l != 64 || strspn(sha, "0123456789abcdefABCDEF") != 64) {
                bad(&c, "sha256", "'%.70s' is not 64 hexadecimal digits", sha);
            } else {
                for (size_t k = 0; k < 64; k++)
                    low[k] = (char)tolower((unsigned char)sha[k]);
                low[64] = '\0';
            }
        }
        long long t0 = 0, t1 = 0;
        int have_t0 = 0;
        if (!*coll) {
            bad(&c, "collected_at", "must not be empty");
        } else if (cw_imp_time(coll, NULL, &t0)) {
            bad(&c, "collected_at", "'%.60s' is not an RFC 3339 time or integer Unix seconds",
                coll);
        } else {
            have_t0 = 1;
        }
        if (*valid) {
            if (cw_imp_time(valid, NULL, &t1))
                bad(&c, "valid_until", "'%.60s' is not an RFC 3339 time or integer Unix seconds",
                    valid);
            else if (have_t0 && t1 < t0)
                bad(&c, "valid_until", "'%.60s' is before collected_at", valid);
        }
        if (strcmp(result, "pass") && strcmp(result, "fail") && strcmp(result, "unknown"))
            bad(&c, "result", "'%.60s' is not one of pass, fail, unknown", result);
        if (!c.bad && !imp->n_problems) {
            /* Keys in the order and with the omissions of the JSON form. */
            const char *opt[] = {kind, title, source, uri, low};
            const char *optk[] = {"kind", "title", "source", "uri", "sha256"};
            size_t nk = 4 + (*valid ? 1 : 0);
            for (int k = 0; k < 5; k++)
                nk += *opt[k] != '\0';
            msgpack_pack_map(&pk, nk);
            pk_s(&pk, "id");
            pk_s(&pk, id);
            pk_s(&pk, "controls");
            msgpack_pack_array(&pk, nctl);
            for (size_t k = 0; k < nctl; k++)
                pk_s(&pk, ctl[k]);
            for (int k = 0; k < 5; k++)
                if (*opt[k]) {
                    pk_s(&pk, optk[k]);
                    pk_s(&pk, opt[k]);
                }
            pk_s(&pk, "collected_at");
            pk_time(&pk, coll, t0);
            if (*valid) {
                pk_s(&pk, "valid_until");
                pk_time(&pk, valid, t1);
            }
            pk_s(&pk, "result");
            pk_s(&pk, result);
            if (++in_batch == bs) {
                rc = cw_imp_packed_batch(imp, "evidence.load", org, "items", sb.data, sb.size,
                                         in_batch);
                msgpack_sbuffer_clear(&sb);
                in_batch = 0;
            }
        }
        if (nctl != (size_t)-1)
            split_free(ctl, nctl);
    }
    if (rc == 0 && in_batch)
        rc = cw_imp_packed_batch(imp, "evidence.load", org, "items", sb.data, sb.size, in_batch);
    msgpack_sbuffer_destroy(&sb);
    cw_imp_map_free(&ids);
    if (rows == 0)
        cw_imp_problem_at(imp, name, 1, "file", "no evidence rows");
    return rc;
}

static int do_controls(cw_import *imp, const char *name, table *t, const cw_import_opts *o)
{
    need_org(imp, name, o, "controls");
    cw_imp_map ids = {0};
    json_t *items = json_array();
    const rec *r;
    for (size_t at = 0; (r = cw_csv_row(t, &at, ncols[F_CONTROLS]));) {
        ctx c = {imp, name, r->line, 0};
        const char *id = r->f[0], *title = r->f[1], *owner = r->f[2], *status = r->f[3],
                   *links = r->f[4];
        long prev;
        if (check_id(&c, "id", id, 1) == 0 && cw_imp_map_put(&ids, id, r->line, &prev) == 1)
            bad(&c, "id", "'%.60s' already appears on line %ld", id, prev);
        if (*status && strcmp(status, "implemented") && strcmp(status, "planned") &&
            strcmp(status, "not_implemented"))
            bad(&c, "status", "'%.60s' is not one of implemented, planned, not_implemented",
                status);
        json_t *ctl = json_object();
        json_object_set_new(ctl, "id", jstr(id));
        set_opt(ctl, "title", title);
        set_opt(ctl, "owner", owner);
        set_opt(ctl, "status", status);
        if (*links) {
            json_t *arr = json_array();
            char **v;
            size_t n = split(links, '|', &v);
            for (size_t k = 0; n != (size_t)-1 && k < n; k++) {
                char *l = v[k], *slash = strchr(l, '/');
                const char *level = "full";
                if (!slash) {
                    bad(&c, "links", "'%.60s' is not framework/id[:full|:partial]", l);
                    continue;
                }
                *slash = '\0';
                char *rid = slash + 1, *colon = strrchr(rid, ':');
                if (colon) {
                    if (strcmp(colon + 1, "full") && strcmp(colon + 1, "partial")) {
                        bad(&c, "links", "level '%.40s' of '%.40s/%.60s' is not full or partial",
                            colon + 1, l, rid);
                        continue;
                    }
                    *colon = '\0';
                    level = colon + 1;
                }
                if (check_slug(&c, "links", l) || check_id(&c, "links", rid, 0))
                    continue;
                int dup = 0;
                for (size_t j = 0; j < json_array_size(arr); j++) {
                    json_t *x = json_array_get(arr, j);
                    dup |= strcmp(json_string_value(json_object_get(x, "framework")), l) == 0 &&
                           strcmp(json_string_value(json_object_get(x, "id")), rid) == 0;
                }
                if (dup) {
                    bad(&c, "links", "%.60s/%.60s is linked twice", l, rid);
                    continue;
                }
                json_array_append_new(
                    arr, json_pack("{s:s,s:s,s:s}", "framework", l, "id", rid, "level", level));
            }
            split_free(v, n);
            json_object_set_new(ctl, "links", arr);
        }
        json_array_append_new(items, ctl);
    }
    cw_imp_map_free(&ids);
    if (json_array_size(items) == 0)
        cw_imp_problem_at(imp, name, 1, "file", "no control rows");
    json_t *base = json_object();
    json_object_set_new(base, "org", jstr(o->org ? o->org : ""));
    int rc = cw_imp_batches(imp, "control.put", base, "controls", items, o->batch_size);
    json_decref(base);
    json_decref(items);
    return rc;
}

int cw_imp_csv(cw_import *imp, const char *name, const char *data, size_t len,
               const cw_import_opts *opts)
{
    table t = {0};
    if (parse_csv(imp, name, data, len, &t)) {
        cw_csv_free(&t);
        return -1;
    }
    char **cells = NULL; /* the rows put in the format's column order, when they were not */
    int f = header_format(imp, name, &t, &cells);
    if (f < 0) {
        cw_csv_free(&t);
        free(cells);
        return -1;
    }
    imp->format = format_names[f];
    /* Checks every format shares: field count, no surrounding spaces. */
    for (size_t i = 1; i < t.n; i++) {
        rec *r = &t.r[i];
        ctx c = {imp, name, r->line, 0};
        if (r->n != ncols[f]) {
            bad(&c, "row", "has %zu fields, the header has %zu", r->n, ncols[f]);
            continue;
        }
        for (size_t j = 0; j < r->n; j++) {
            size_t l = strlen(r->f[j]);
            if (l && (isspace((unsigned char)r->f[j][0]) || isspace((unsigned char)r->f[j][l - 1])))
                bad(&c, headers[f][j], "'%.60s' begins or ends with a space", r->f[j]);
        }
    }
    int rc;
    switch (f) {
    case F_CATALOG:
    case F_CATALOG8: rc = do_catalog(imp, name, &t, opts, ncols[f]); break;
    case F_CROSSWALK:
    case F_CROSSWALK9: rc = do_crosswalk(imp, name, &t, opts, ncols[f]); break;
    case F_EVIDENCE: rc = do_evidence(imp, name, &t, opts); break;
    default: rc = do_controls(imp, name, &t, opts); break;
    }
    cw_csv_free(&t);
    free(cells);
    if (rc) {
        cw_imp_problem(imp, name, "file", "out of memory");
        return -1;
    }
    return 0;
}

/* ---- export ---- */

static void put_field(FILE *out, const char *s, int last)
{
    cw_csv_put(out, s, 0);
    fputc(last ? '\n' : ',', out);
}

int cw_export_csv(FILE *out, json_t *rows)
{
    if (!json_is_array(rows))
        return -1;
    fputs("source_framework,source_id,target_framework,target_id,relationship,strength,rationale,"
          "origin,note\n",
          out);
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        json_t *src = json_object_get(r, "source"), *st = json_object_get(r, "strength");
        char strength[24] = "";
        if (json_is_integer(st))
            snprintf(strength, sizeof strength, "%lld", (long long)json_integer_value(st));
        /* a joint row's set joined with '|' */
        char *sid = NULL;
        if (json_is_array(src)) {
            size_t len = 1, k;
            json_t *x;
            json_array_foreach(src, k, x) len +=
                strlen(json_string_value(x) ? json_string_value(x) : "") + 1;
            sid = calloc(1, len);
            json_array_foreach(src, k, x)
            {
                if (sid && k)
                    strcat(sid, "|");
                if (sid && json_string_value(x))
                    strcat(sid, json_string_value(x));
            }
        }
        put_field(out, json_string_value(json_object_get(r, "source_framework")), 0);
        put_field(out, sid ? sid : json_string_value(src), 0);
        put_field(out, json_string_value(json_object_get(r, "target_framework")), 0);
        put_field(out, json_string_value(json_object_get(r, "target")), 0);
        put_field(out, json_string_value(json_object_get(r, "relationship")), 0);
        put_field(out, strength, 0);
        put_field(out, json_string_value(json_object_get(r, "rationale")), 0);
        put_field(out, json_string_value(json_object_get(r, "origin")), 0);
        put_field(out, json_string_value(json_object_get(r, "note")), 1);
        free(sid);
    }
    return ferror(out) ? -1 : 0;
}
