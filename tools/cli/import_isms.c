/* import_isms.c: the ISMS registers as CSV, the files `crosswalk risks
 * --format csv` (and `--assets`) writes, read back into risk.put and
 * asset.put batches for the organisation named by --org:
 *
 *   id,title,description,assets,threat,owner,likelihood,impact,
 *     residual_likelihood,residual_impact,treatment,controls,accepted_by,
 *     accepted_at,acceptance_expires,review_at                    risks
 *   id,name,owner,classification                                   assets
 *
 * Columns are found by name, in any order and case; lists (assets,
 * controls) are separated by '|'; times are RFC 3339 or Unix seconds; an
 * empty cell is a value left out.  Scores are checked against the widest
 * scale (1..10) here: the organisation's own scale is the server's to
 * check.
 *
 * Ownership: what is built belongs to the cw_import (import.h). */
#include "import.h"

#include "csvfile.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const risk_cols[] = {
    "id",          "title",       "description",         "assets",          "threat",    "owner",
    "likelihood",  "impact",      "residual_likelihood", "residual_impact", "treatment", "controls",
    "accepted_by", "accepted_at", "acceptance_expires",  "review_at"};
static const char *const asset_cols[] = {"id", "name", "owner", "classification"};

#define NRISK (sizeof risk_cols / sizeof risk_cols[0])
#define NASSET (sizeof asset_cols / sizeof asset_cols[0])

/* Which column of the header (first line, data[0..n)) each name is:
 * pos[i] for names[i], all of them present and no other name; 0 or -1. */
static int header_of(const char *data, size_t len, const char *const *names, size_t n, int *pos)
{
    size_t end = 0;
    while (end < len && data[end] != '\n' && data[end] != '\r')
        end++;
    for (size_t i = 0; i < n; i++)
        pos[i] = -1;
    int col = 0;
    for (size_t s = 0; s <= end; col++) {
        size_t e = s;
        while (e < end && data[e] != ',')
            e++;
        size_t a = s, b = e;
        while (a < b && isspace((unsigned char)data[a]))
            a++;
        while (b > a && isspace((unsigned char)data[b - 1]))
            b--;
        size_t i = 0;
        while (i < n && !(strlen(names[i]) == b - a && strncasecmp(names[i], data + a, b - a) == 0))
            i++;
        if (i == n || pos[i] >= 0)
            return -1;
        pos[i] = col;
        s = e + 1;
    }
    return col == (int)n ? 0 : -1;
}

int cw_imp_isms_kind(const char *data, size_t len)
{
    int pos[NRISK];
    if (header_of(data, len, risk_cols, NRISK, pos) == 0)
        return 1;
    return header_of(data, len, asset_cols, NASSET, pos) == 0 ? 2 : 0;
}

/* One row being read: where it is, for problems. */
typedef struct row {
    cw_import *imp;
    const char *name;
    long line;
} row;

/* Sets key to the cell when it is not empty. */
static void opt_str(json_t *item, const char *key, const char *v)
{
    if (*v)
        json_object_set_new(item, key, json_string(v));
}

static void opt_time(row *r, json_t *item, const char *key, const char *v)
{
    json_t *t;
    long long unused;
    if (!*v)
        return;
    if (cw_imp_time(v, &t, &unused))
        cw_imp_problem_at(r->imp, r->name, r->line, key,
                          "'%.60s' is not an RFC 3339 time or Unix seconds", v);
    else
        json_object_set_new(item, key, t);
}

/* A score 1..10 (empty: left out unless required). */
static void opt_score(row *r, json_t *item, const char *key, const char *v, bool required)
{
    char *end;
    long s = strtol(v, &end, 10);
    if (!*v && !required)
        return;
    if (!*v || *end || s < 1 || s > 10)
        cw_imp_problem_at(r->imp, r->name, r->line, key, "'%.40s' is not a score 1..10", v);
    else
        json_object_set_new(item, key, json_integer(s));
}

/* Ids separated by '|', each an id the server accepts, none twice. */
static void opt_ids(row *r, json_t *item, const char *key, const char *v)
{
    if (!*v)
        return;
    json_t *arr = json_array();
    char *copy = strdup(v);
    for (char *save, *t = copy ? strtok_r(copy, "|", &save) : NULL; t;
         t = strtok_r(NULL, "|", &save)) {
        const char *why = cw_imp_id_problem(t);
        bool dup = false;
        for (size_t i = 0; i < json_array_size(arr); i++)
            dup |= strcmp(json_string_value(json_array_get(arr, i)), t) == 0;
        if (why || dup)
            cw_imp_problem_at(r->imp, r->name, r->line, key, "'%.60s' %s", t,
                              why ? why : "is named twice");
        else
            json_array_append_new(arr, json_string(t));
    }
    free(copy);
    json_object_set_new(item, key, arr);
}

static json_t *risk_item(row *r, const cw_csv_rec *rec, const int *pos)
{
    const char *f[NRISK];
    for (size_t i = 0; i < NRISK; i++)
        f[i] = rec->f[pos[i]];
    json_t *item = json_object();
    json_object_set_new(item, "id", json_string(f[0]));
    if (!*f[1])
        cw_imp_problem_at(r->imp, r->name, r->line, "title", "a risk needs a title");
    static const size_t texts[] = {1, 2, 4, 5, 12};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        opt_str(item, risk_cols[texts[i]], f[texts[i]]);
    opt_ids(r, item, "assets", f[3]);
    opt_ids(r, item, "controls", f[11]);
    for (size_t i = 6; i <= 9; i++)
        opt_score(r, item, risk_cols[i], f[i], i < 8);
    if (*f[10]) {
        static const char *const words[] = {"mitigate", "transfer", "avoid", "accept"};
        size_t k = 0;
        while (k < 4 && strcmp(words[k], f[10]) != 0)
            k++;
        if (k == 4)
            cw_imp_problem_at(r->imp, r->name, r->line, "treatment",
                              "'%.40s' is not one of mitigate, transfer, avoid, accept", f[10]);
        json_object_set_new(item, "treatment", json_string(f[10]));
    }
    for (size_t i = 13; i < NRISK; i++)
        opt_time(r, item, risk_cols[i], f[i]);
    return item;
}

static json_t *asset_item(row *r, const cw_csv_rec *rec, const int *pos)
{
    (void)r;
    json_t *item = json_object();
    json_object_set_new(item, "id", json_string(rec->f[pos[0]]));
    for (size_t i = 1; i < NASSET; i++)
        opt_str(item, asset_cols[i], rec->f[pos[i]]);
    return item;
}

int cw_imp_isms_csv(cw_import *imp, const char *name, const char *data, size_t len,
                    const cw_import_opts *opts)
{
    int kind = cw_imp_isms_kind(data, len);
    bool risks = kind == 1;
    size_t ncols = risks ? NRISK : NASSET;
    int pos[NRISK];
    header_of(data, len, risks ? risk_cols : asset_cols, ncols, pos);
    imp->format = risks ? "csv-risks" : "csv-assets";
    const char *noun = risks ? "risk" : "asset";
    if (!opts || !opts->org)
        cw_imp_problem(imp, name, "org", "a %s file needs --org: whose register it is", noun);
    cw_csv_table t = {0};
    cw_csv_error e;
    if (cw_csv_read(data, len, &t, &e)) {
        cw_imp_problem_at(imp, name, e.line, "csv", "%s",
                          e.oom ? "out of memory" : "not well-formed CSV");
        cw_csv_free(&t);
        return -1;
    }
    for (size_t i = 1; i < t.n; i++)
        if (t.r[i].n != ncols)
            cw_imp_problem_at(imp, name, t.r[i].line, "row", "has %zu fields, the header has %zu",
                              t.r[i].n, ncols);
    json_t *items = json_array();
    cw_imp_map ids = {0};
    const cw_csv_rec *rec;
    for (size_t at = 0; (rec = cw_csv_row(&t, &at, ncols));) {
        row r = {imp, name, rec->line};
        const char *id = rec->f[pos[0]], *why = cw_imp_id_problem(id);
        long prev;
        if (why)
            cw_imp_problem_at(imp, name, rec->line, "id", "'%.60s' %s", id, why);
        else if (cw_imp_map_put(&ids, id, rec->line, &prev) == 1)
            cw_imp_problem_at(imp, name, rec->line, "id", "'%.60s' already appears on line %ld", id,
                              prev);
        json_array_append_new(items, risks ? risk_item(&r, rec, pos) : asset_item(&r, rec, pos));
    }
    cw_imp_map_free(&ids);
    cw_csv_free(&t);
    if (json_array_size(items) == 0)
        cw_imp_problem_at(imp, name, 1, "file", "no %s rows", noun);
    json_t *base = json_pack("{s:s}", "org", opts && opts->org ? opts->org : "");
    int rc = cw_imp_batches(imp, risks ? "risk.put" : "asset.put", base, "items", items,
                            opts && opts->batch_size ? opts->batch_size : 10000);
    json_decref(base);
    json_decref(items);
    return rc;
}
