/* Report model: from a server answer to summary, chart and tables.
 *
 * Each report command (coverage, gap, compare, soa, check) gets one builder
 * here that reads the answer documented in server/PROTOCOL.md and fills a
 * format-neutral cw_report: summary key/value lines, a chart of counts by
 * group and status, and tables whose cells are plain strings.  Keeping the
 * shaping here means the five output formats in render.c share one reading
 * of the answer, so a table, its CSV and its HTML never disagree.
 *
 * Explanations follow docs/SEMANTICS.md §2: a requirement's row says which contribution
 * decided its status (control, state, level, via, the mapping path with its
 * composed relationship, the deciding evidence); the detail table lists
 * every contribution.  Answers are read defensively: a missing field shows
 * as an empty cell rather than a crash, since the server may grow fields. */
#include "cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const char *const cw_cov_series[] = {"met",     "partial", "unverified",
                                            "failing", "gap",     "not_applicable"};
enum { CW_COV_NSERIES = 6 };
static const char *const cw_cov_legend_val[] = {
    ("a control linked at level full (directly, through a group, or through a mapping that composes to "
     "equal or superset_of) is effective: implemented, latest evidence not failing, a passing item still "
     "valid; or every member of a joint row (a set of requirements that together are equal to or contain "
     "it) is met"),
    ("an effective control reaches it only at level partial (a partial link, or a mapping composing to "
     "subset_of or intersects_with), or some members of a joint row are in place"),
    "a control reaches it but has no evidence, or its passing evidence has expired",
    "a control reaches it but its latest evidence failed",
    "no implemented control reaches it",
    "excluded by a scope decision (the justification is shown)"};
static const char *const cw_cmp_series[] = {"full", "partial", "unreached"};
static const char *const cw_cmp_legend_val[] = {
    ("satisfying all of the source framework satisfies it in full (a path composing to equal or superset_of, "
     "or a joint row equal or superset_of whose members are all satisfied)"),
    "only paths composing to subset_of or intersects_with, or joint rows partly in place, reach it",
    "no mapping path or joint row reaches it within max_hops"};
static const char *const cw_chk_legend_key[] = {"dangling", "subset_both_ways", "conflict",
                                                "withdrawn_member", "duplicate_member"};
static const char *const cw_chk_legend_val[] = {
    "a crosswalk row or control link names a requirement that does not exist",
    "A subset_of B and B subset_of A are both stated but A equal B is not",
    ("the same pair (or joint row) is stated with different relationships, or a member's own row "
     "to a joint row's target contradicts the set's relationship"),
    "a joint row's set holds a withdrawn requirement: the row can never give met",
    "a joint row's set holds a requirement twice, or one already inside a group member"};

/* ---- small helpers ------------------------------------------------------ */

/* Building a report has no partial result worth keeping, so running out of
 * memory ends the command with the one message every allocation here gives. */
static _Noreturn void cw_oom(void)
{
    fputs("crosswalk: out of memory\n", stderr);
    exit(1);
}

/* Returns a malloc'd copy of s ("" for NULL); the caller frees it. */
static char *cw_xstrdup(const char *s)
{
    char *d = strdup(s ? s : "");
    if (!d)
        cw_oom();
    return d;
}

/* realloc that ends the command when out of memory, so a report's
 * parallel arrays grow without keeping the old block for a failure; p
 * passes to the result, which the caller owns. */
static void *cw_xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (!p)
        cw_oom();
    return p;
}

/* A string view of a JSON scalar: strings as they are, numbers and
 * booleans printed, null/absent as "".  buf backs the printed forms. */
static const char *cw_jtext(json_t *v, char *buf, size_t n)
{
    if (!v)
        return "";
    switch (json_typeof(v)) {
    case JSON_STRING: return json_string_value(v);
    case JSON_INTEGER: snprintf(buf, n, "%lld", (long long)json_integer_value(v)); return buf;
    case JSON_REAL: snprintf(buf, n, "%.1f", json_real_value(v)); return buf;
    case JSON_TRUE: return "yes";
    case JSON_FALSE: return "no";
    default: return "";
    }
}

static const char *cw_js(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : "";
}

static long cw_jl(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (json_is_integer(v))
        return (long)json_integer_value(v);
    if (json_is_real(v))
        return (long)json_real_value(v);
    return 0;
}

/* A growing string on open_memstream; cw_sb_take hands the text over. */
typedef struct cw_sb {
    FILE *f;
    char *p;
    size_t n;
} cw_sb;

static void cw_sb_open(cw_sb *b)
{
    b->p = NULL;
    b->n = 0;
    b->f = open_memstream(&b->p, &b->n);
    if (!b->f)
        cw_oom();
}

static char *cw_sb_take(cw_sb *b)
{
    fclose(b->f);
    return b->p;
}

/* Joins the strings of a JSON array with sep. */
static void cw_join(FILE *f, json_t *arr, const char *sep)
{
    size_t i;
    json_t *e;
    char buf[64];
    json_array_foreach(arr, i, e) fprintf(f, "%s%s", i ? sep : "", cw_jtext(e, buf, sizeof buf));
}

/* cw_join into a new string, for a table cell; the caller frees it. */
static char *cw_joined(json_t *arr, const char *sep)
{
    cw_sb b;
    cw_sb_open(&b);
    cw_join(b.f, arr, sep);
    return cw_sb_take(&b);
}

/* "fw id -rel-> fw id ... [composed X, strength S, inferred]" */
static void cw_path_text(FILE *f, json_t *path)
{
    json_t *from = json_object_get(path, "from");
    fprintf(f, "%s %s", cw_js(from, "framework"), cw_js(from, "id"));
    size_t i;
    json_t *st;
    json_array_foreach(json_object_get(path, "steps"), i, st) fprintf(
        f, " -%s-> %s %s", cw_js(st, "relationship"), cw_js(st, "framework"), cw_js(st, "id"));
    fprintf(f, " [composed %s", cw_js(path, "composed"));
    json_t *s = json_object_get(path, "strength");
    if (json_is_integer(s))
        fprintf(f, ", strength %lld", (long long)json_integer_value(s));
    if (json_is_true(json_object_get(path, "inferred")))
        fputs(", inferred", f);
    fputc(']', f);
}

/* A joint row as "iso27001-2022 {A.5.15, A.8.5} together superset_of CC6.1". */
static void cw_row_text(FILE *f, json_t *row)
{
    fprintf(f, "%s {", cw_js(row, "source_framework"));
    cw_join(f, json_object_get(row, "source"), ", ");
    /* coverage and compare answers leave out the target framework: it is
     * the answer's own */
    fprintf(f, "} together %s", cw_js(row, "relationship"));
    if (*cw_js(row, "target_framework"))
        fprintf(f, " %s", cw_js(row, "target_framework"));
    fprintf(f, " %s", cw_js(row, "target"));
}

/* A joint row's members and their statuses: "A.5.15 met, A.8.3 gap". */
static void cw_members_text(FILE *f, json_t *je)
{
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(je, "members"), i, m)
    {
        fprintf(f, "%s%s %s", i ? ", " : "", cw_js(m, "id"), cw_js(m, "status"));
        if (*cw_js(m, "lowest"))
            fprintf(f, " (lowest under it: %s)", cw_js(m, "lowest"));
        if (*cw_js(m, "why"))
            fprintf(f, " (%s)", cw_js(m, "why"));
        json_t *c = json_object_get(m, "contribution");
        if (json_is_object(c) && *cw_js(c, "control")) {
            fprintf(f, " by control %s", cw_js(c, "control"));
            json_t *ev = json_object_get(c, "evidence");
            if (json_array_size(ev)) {
                fputs(" [", f);
                cw_join(f, ev, ", ");
                fputc(']', f);
            }
        }
    }
}

/* One contribution as a sentence: who, in what state, by which route. */
static void cw_contribution_text(FILE *f, json_t *c)
{
    if (strcmp(cw_js(c, "via"), "joint") == 0) {
        json_t *je = json_object_get(c, "joint");
        fprintf(f, "joint row (gives %s): ", cw_js(c, "gives"));
        cw_row_text(f, json_object_get(je, "row"));
        fprintf(f, "; %ld of %ld members in place: ", cw_jl(je, "in_place"), cw_jl(je, "of"));
        cw_members_text(f, je);
        if (json_is_string(json_object_get(c, "reached_group")))
            fprintf(f, " (through group %s)", cw_js(c, "reached_group"));
        return;
    }
    fprintf(f, "control %s (%s, level %s) via %s", cw_js(c, "control"), cw_js(c, "state"),
            cw_js(c, "level"), cw_js(c, "via"));
    json_t *path = json_object_get(c, "path");
    json_t *link = json_object_get(c, "link");
    if (json_is_object(path)) {
        fputs(": ", f);
        cw_path_text(f, path);
    } else if (json_is_object(link)) {
        fprintf(f, ": link to %s %s at %s", cw_js(link, "framework"), cw_js(link, "id"),
                cw_js(link, "level"));
    }
    json_t *rg = json_object_get(c, "reached_group");
    if (json_is_string(rg))
        fprintf(f, " (through group %s)", json_string_value(rg));
    json_t *ev = json_object_get(c, "evidence");
    if (json_array_size(ev)) {
        fputs("; evidence ", f);
        cw_join(f, ev, ", ");
    }
}

/* ---- tables ------------------------------------------------------------- */

int cw_table_init(cw_table *t, const char *caption, size_t ncols, const char *const *cols)
{
    memset(t, 0, sizeof *t);
    t->caption = cw_xstrdup(caption);
    t->ncols = ncols;
    t->cols = calloc(ncols, sizeof *t->cols);
    if (!t->cols)
        return -1;
    for (size_t i = 0; i < ncols; i++)
        t->cols[i] = cw_xstrdup(cols[i]);
    t->status_col = -1;
    return 0;
}

int cw_table_add(cw_table *t, const char *const *cells)
{
    if (t->nrows == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 16;
        char **p = realloc(t->cells, nc * t->ncols * sizeof *p);
        if (!p)
            return -1;
        t->cells = p;
        t->cap = nc;
    }
    for (size_t i = 0; i < t->ncols; i++)
        t->cells[t->nrows * t->ncols + i] = cw_xstrdup(cells[i]);
    t->nrows++;
    return 0;
}

static void cw_table_free(cw_table *t)
{
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    for (size_t i = 0; i < t->ncols; i++)
        free(t->cols[i]);
    free(t->cells);
    free(t->cols);
    free(t->caption);
}

/* Adds a table to the report and returns it (the pointer stays valid
 * until the next call). */
static cw_table *cw_rep_table(cw_report *r, const char *caption, size_t ncols,
                              const char *const *cols)
{
    r->tables = cw_xrealloc(r->tables, (r->ntables + 1) * sizeof *r->tables);
    cw_table *t = &r->tables[r->ntables++];
    if (cw_table_init(t, caption, ncols, cols))
        cw_oom();
    return t;
}

static void cw_add_row(cw_table *t, const char *const *cells)
{
    if (cw_table_add(t, cells))
        cw_oom();
}

/* cw_add_row for a row some of whose cells the builder composed for it:
 * the table keeps copies, so the ntmp strings of tmp (taken over from the
 * caller, which must not use them again) are freed here. */
static void cw_add_row_free(cw_table *t, const char *const *cells, char *const *tmp, size_t ntmp)
{
    cw_add_row(t, cells);
    for (size_t i = 0; i < ntmp; i++)
        free(tmp[i]);
}

static void cw_sum(cw_report *r, const char *k, const char *v)
{
    r->sum_key = cw_xrealloc(r->sum_key, (r->nsummary + 1) * sizeof *r->sum_key);
    r->sum_val = cw_xrealloc(r->sum_val, (r->nsummary + 1) * sizeof *r->sum_val);
    r->sum_key[r->nsummary] = cw_xstrdup(k);
    r->sum_val[r->nsummary] = cw_xstrdup(v);
    r->nsummary++;
}

static void cw_sum_json(cw_report *r, json_t *o, const char *key)
{
    char buf[64];
    json_t *v = json_object_get(o, key);
    if (!v)
        return;
    const char *t = cw_jtext(v, buf, sizeof buf);
    cw_sum(r, key, json_is_null(v) ? "-" : t);
}

static void cw_sum_counts(cw_report *r, json_t *counts)
{
    for (size_t i = 0; i < CW_COV_NSERIES; i++) {
        char buf[32];
        snprintf(buf, sizeof buf, "%ld", cw_jl(counts, cw_cov_series[i]));
        cw_sum(r, cw_cov_series[i], buf);
    }
}

static void cw_sum_percent(cw_report *r, json_t *o)
{
    char buf[32];
    json_t *p = json_object_get(o, "percent");
    snprintf(buf, sizeof buf, "%.1f%%", json_is_number(p) ? json_number_value(p) : 0.0);
    cw_sum(r, "percent", buf);
}

/* One summary line per key of o, in the order given (keys ends with NULL). */
static void cw_sum_keys(cw_report *r, json_t *o, const char *const *keys)
{
    for (; *keys; keys++)
        cw_sum_json(r, o, *keys);
}

/* Sets the report's title from a printf format; like the other report
 * text it is cut at 511 bytes. */
static void cw_title(cw_report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void cw_title(cw_report *r, const char *fmt, ...)
{
    char title[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(title, sizeof title, fmt, ap);
    va_end(ap);
    r->title = cw_xstrdup(title);
}

/* The status legend: n keys and their explanations (static arrays). */
static void cw_legend(cw_report *r, size_t n, const char *const *keys, const char *const *vals)
{
    r->nlegend = n;
    r->legend_key = keys;
    r->legend_val = vals;
}

/* ---- chart -------------------------------------------------------------- */

static void cw_chart_init(cw_chart *c, const char *const *series, size_t nseries)
{
    memset(c, 0, sizeof *c);
    c->series = series;
    c->nseries = nseries;
}

/* Index of the group named label, added when new. */
static size_t cw_chart_group(cw_chart *c, const char *label)
{
    for (size_t i = 0; i < c->ngroups; i++)
        if (strcmp(c->labels[i], label) == 0)
            return i;
    c->labels = cw_xrealloc(c->labels, (c->ngroups + 1) * sizeof *c->labels);
    c->counts = cw_xrealloc(c->counts, (c->ngroups + 1) * c->nseries * sizeof *c->counts);
    c->labels[c->ngroups] = cw_xstrdup(label);
    memset(&c->counts[c->ngroups * c->nseries], 0, c->nseries * sizeof *c->counts);
    return c->ngroups++;
}

static void cw_chart_add(cw_chart *c, const char *label, const char *series, long n)
{
    size_t g = cw_chart_group(c, label);
    for (size_t s = 0; s < c->nseries; s++)
        if (strcmp(c->series[s], series) == 0)
            c->counts[g * c->nseries + s] += n;
}

/* A per-group table from the chart: counts per series and the percent of
 * the first series among the groups' non-excluded items. */
static void cw_chart_table(cw_report *r, const char *caption, const char *first_col)
{
    cw_chart *c = &r->chart;
    size_t ncols = c->nseries + 3;
    const char *cols[16];
    cols[0] = first_col;
    cols[1] = "total";
    for (size_t s = 0; s < c->nseries; s++)
        cols[2 + s] = c->series[s];
    cols[ncols - 1] = "percent";
    cw_table *t = cw_rep_table(r, caption, ncols, cols);
    char bufs[16][32];
    const char *cells[16];
    for (size_t g = 0; g < c->ngroups; g++) {
        long total = 0, na = 0;
        for (size_t s = 0; s < c->nseries; s++) {
            long n = c->counts[g * c->nseries + s];
            total += n;
            if (strcmp(c->series[s], "not_applicable") == 0)
                na = n;
            snprintf(bufs[2 + s], sizeof bufs[0], "%ld", n);
            cells[2 + s] = bufs[2 + s];
        }
        cells[0] = c->labels[g];
        snprintf(bufs[1], sizeof bufs[0], "%ld", total);
        cells[1] = bufs[1];
        double pct =
            total - na > 0 ? 100.0 * (double)c->counts[g * c->nseries] / (double)(total - na) : 0.0;
        snprintf(bufs[ncols - 1], sizeof bufs[0], "%.1f%%", pct);
        cells[ncols - 1] = bufs[ncols - 1];
        cw_add_row(t, cells);
    }
}

/* ---- coverage ----------------------------------------------------------- */

/* Fills the chart from a coverage answer's groups. */
static void cw_chart_from_groups(cw_chart *c, json_t *groups)
{
    size_t i;
    json_t *g;
    json_array_foreach(groups, i, g)
    {
        const char *id = cw_js(g, "id");
        cw_chart_group(c, id);
        json_t *counts = json_object_get(g, "counts");
        for (size_t s = 0; s < CW_COV_NSERIES; s++)
            cw_chart_add(c, id, cw_cov_series[s], cw_jl(counts, cw_cov_series[s]));
    }
}

static void cw_groups_table(cw_report *r, json_t *groups)
{
    static const char *const cols[] = {"group",          "title",      "assessable", "met",
                                       "partial",        "unverified", "failing",    "gap",
                                       "not_applicable", "percent"};
    cw_table *t = cw_rep_table(r, "Per-group breakdown", 10, cols);
    size_t i;
    json_t *g;
    json_array_foreach(groups, i, g)
    {
        char b[8][32];
        const char *cells[10];
        cells[0] = cw_js(g, "id");
        cells[1] = cw_js(g, "title");
        snprintf(b[0], sizeof b[0], "%ld", cw_jl(g, "assessable"));
        cells[2] = b[0];
        json_t *counts = json_object_get(g, "counts");
        for (size_t s = 0; s < CW_COV_NSERIES; s++) {
            snprintf(b[1 + s], sizeof b[0], "%ld", cw_jl(counts, cw_cov_series[s]));
            cells[3 + s] = b[1 + s];
        }
        json_t *p = json_object_get(g, "percent");
        snprintf(b[7], sizeof b[7], "%.1f%%", json_is_number(p) ? json_number_value(p) : 0.0);
        cells[9] = b[7];
        cw_add_row(t, cells);
    }
}

/* Why a requirement has its status, in one cell. */
static char *cw_requirement_why(json_t *req)
{
    cw_sb b;
    cw_sb_open(&b);
    const char *status = cw_js(req, "status");
    json_t *contribs = json_object_get(req, "contributions");
    json_t *dec = json_object_get(req, "decided_by");
    json_t *held = json_object_get(req, "finding");
    if (strcmp(status, "not_applicable") == 0) {
        fprintf(b.f, "excluded: %s", cw_js(req, "justification"));
    } else if (json_is_object(held)) {
        /* an open nonconformity decides, whatever the controls give */
        fprintf(b.f, "held by open %s %s of audit %s", cw_js(held, "kind"), cw_js(held, "id"),
                cw_js(held, "audit"));
    } else if (json_is_integer(dec) && json_array_get(contribs, (size_t)json_integer_value(dec))) {
        cw_contribution_text(b.f, json_array_get(contribs, (size_t)json_integer_value(dec)));
        size_t n = json_array_size(contribs);
        if (n > 1)
            fprintf(b.f, " (+%zu more)", n - 1);
    } else if (json_array_size(contribs)) {
        fprintf(b.f, "%zu contribution(s), none effective at the needed level",
                json_array_size(contribs));
    } else {
        fputs("no implemented control reaches it", b.f);
    }
    return cw_sb_take(&b);
}

static int cw_build_coverage(cw_report *r, json_t *a, bool detail)
{
    cw_title(r, "Coverage of %s for %s", cw_js(a, "framework"), cw_js(a, "org"));
    static const char *const keys[] = {"org", "framework", "as_of", "max_hops", "assessable", NULL};
    cw_sum_keys(r, a, keys);
    cw_sum_counts(r, json_object_get(a, "counts"));
    cw_sum_percent(r, a);
    cw_chart_init(&r->chart, cw_cov_series, CW_COV_NSERIES);
    json_t *groups = json_object_get(a, "groups");
    cw_chart_from_groups(&r->chart, groups);
    cw_groups_table(r, groups);

    static const char *const rcols[] = {"id", "title", "group", "status", "explanation"};
    r->csv_table = r->ntables;
    cw_table *t = cw_rep_table(r, "Requirements", 5, rcols);
    t->status_col = 3;
    size_t i;
    json_t *q;
    json_array_foreach(json_object_get(a, "requirements"), i, q)
    {
        char *why = cw_requirement_why(q);
        const char *cells[] = {cw_js(q, "id"), cw_js(q, "title"), cw_js(q, "group"),
                               cw_js(q, "status"), why};
        cw_add_row_free(t, cells, (char *[]){why}, 1);
    }
    if (detail) {
        static const char *const dcols[] = {"requirement", "status", "control", "state",
                                            "level",       "via",    "path",    "evidence"};
        cw_table *d = cw_rep_table(r, "Explanation: every contribution", 8, dcols);
        d->status_col = 1;
        json_array_foreach(json_object_get(a, "requirements"), i, q)
        {
            size_t j;
            json_t *c;
            json_array_foreach(json_object_get(q, "contributions"), j, c)
            {
                cw_sb pb, eb;
                cw_sb_open(&pb);
                cw_sb_open(&eb);
                json_t *path = json_object_get(c, "path");
                json_t *link = json_object_get(c, "link");
                json_t *je = json_object_get(c, "joint");
                if (json_is_object(je)) {
                    cw_row_text(pb.f, json_object_get(je, "row"));
                    fputs("; members: ", pb.f);
                    cw_members_text(pb.f, je);
                } else if (json_is_object(path))
                    cw_path_text(pb.f, path);
                else if (json_is_object(link))
                    fprintf(pb.f, "link %s %s (%s)", cw_js(link, "framework"), cw_js(link, "id"),
                            cw_js(link, "level"));
                if (json_is_string(json_object_get(c, "reached_group")))
                    fprintf(pb.f, " through group %s", cw_js(c, "reached_group"));
                cw_join(eb.f, json_object_get(c, "evidence"), ", ");
                char *ps = cw_sb_take(&pb), *es = cw_sb_take(&eb);
                const char *cells[] = {cw_js(q, "id"),
                                       cw_js(q, "status"),
                                       cw_js(c, "control"),
                                       cw_js(c, "state"),
                                       cw_js(c, "level"),
                                       cw_js(c, "via"),
                                       ps,
                                       es};
                cw_add_row_free(d, cells, (char *[]){ps, es}, 2);
            }
        }
    }
    cw_legend(r, CW_COV_NSERIES, cw_cov_series, cw_cov_legend_val);
    return 0;
}

/* ---- gap report --------------------------------------------------------- */

/* "A.8.3 and A.5.18" from a JSON array of ids */
static void cw_and_list(FILE *f, json_t *ids)
{
    size_t n = json_array_size(ids), i;
    json_t *x;
    json_array_foreach(ids, i, x)
        fprintf(f, "%s%s", i ? (i + 1 == n ? " and " : ", ") : "", json_string_value(x));
}

/* One line saying what would close gap g: the missing members of its best
 * joint row, a related requirement that would give it in full, or that
 * nothing in the source framework relates to it (link a control to it
 * directly); failing and unverified controls are named first. */
static char *cw_gap_answer(json_t *a, json_t *g)
{
    cw_sb b;
    cw_sb_open(&b);
    const char *status = cw_js(g, "status"), *src = cw_js(a, "source");
    size_t i;
    json_t *c;
    /* a control that reaches it but is failing or unverified */
    json_array_foreach(json_object_get(g, "controls"), i, c)
    {
        if (strcmp(cw_js(c, "status"), "implemented") != 0)
            continue;
        if (strcmp(status, "failing") == 0 && strcmp(cw_js(c, "state"), "failing") == 0) {
            fprintf(b.f, "control %s is failing: its latest evidence failed; ",
                    cw_js(c, "control"));
            break;
        }
        if (strcmp(status, "unverified") == 0 && strcmp(cw_js(c, "state"), "unverified") == 0) {
            fprintf(b.f, "control %s has no current passing evidence; ", cw_js(c, "control"));
            break;
        }
    }
    /* the joint row (equal or superset_of) with the fewest missing members */
    json_t *best = NULL;
    json_t *je;
    json_array_foreach(json_object_get(g, "joints"), i, je)
    {
        const char *rel = cw_js(json_object_get(je, "row"), "relationship");
        if (strcmp(rel, "equal") && strcmp(rel, "superset_of"))
            continue;
        if (*src && strcmp(cw_js(json_object_get(je, "row"), "source_framework"), src))
            continue;
        if (!best || json_array_size(json_object_get(je, "missing")) <
                         json_array_size(json_object_get(best, "missing")))
            best = je;
    }
    if (best && json_array_size(json_object_get(best, "missing"))) {
        fputs("needs ", b.f);
        cw_and_list(b.f, json_object_get(best, "missing"));
        fprintf(b.f, " (%ld of %ld of the %s set in place)", cw_jl(best, "in_place"),
                cw_jl(best, "of"), cw_js(json_object_get(best, "row"), "source_framework"));
        return cw_sb_take(&b);
    }
    /* a related requirement that would give it in full */
    json_t *full = NULL;
    size_t related = 0;
    json_array_foreach(json_object_get(g, "candidates"), i, c)
    {
        if (*src && strcmp(cw_js(c, "framework"), src))
            continue;
        related++;
        if (!full && strcmp(cw_js(c, "gives"), "full") == 0 &&
            !json_is_true(json_object_get(c, "covered")))
            full = c;
    }
    json_array_foreach(json_object_get(g, "joints"), i, je) related +=
        !*src || !strcmp(cw_js(json_object_get(je, "row"), "source_framework"), src);
    if (full) {
        fprintf(b.f, "needs %s %s", cw_js(full, "framework"), cw_js(full, "id"));
    } else if (related) {
        fprintf(b.f, "%s only partly covers it: link a control to it directly",
                *src ? src : "what relates to it");
    } else {
        fprintf(b.f, "no %s requirement relates to this: link a control to it directly",
                *src ? src : "other framework's");
    }
    return cw_sb_take(&b);
}

static int cw_build_gap(cw_report *r, json_t *a, json_t *cov)
{
    const char *src = cw_js(a, "source");
    cw_title(r, "Gap report: %s for %s%s%s", cw_js(a, "target"), cw_js(a, "org"),
             *src ? " from " : "", src);
    static const char *const keys[] = {"org",      "target",     "source", "as_of",
                                       "max_hops", "assessable", NULL};
    cw_sum_keys(r, a, keys);
    cw_sum_counts(r, json_object_get(a, "counts"));
    cw_sum_percent(r, a);
    char buf[32];
    snprintf(buf, sizeof buf, "%zu", json_array_size(json_object_get(a, "gaps")));
    cw_sum(r, "gaps", buf);
    snprintf(buf, sizeof buf, "%zu", json_array_size(json_object_get(a, "plan")));
    cw_sum(r, "plan steps", buf);
    cw_sum_json(r, a, "closable");

    cw_chart_init(&r->chart, cw_cov_series, CW_COV_NSERIES);
    json_t *gaps = json_object_get(a, "gaps");
    size_t i;
    json_t *g;
    if (cov && json_is_array(json_object_get(cov, "groups"))) {
        cw_chart_from_groups(&r->chart, json_object_get(cov, "groups"));
        cw_groups_table(r, json_object_get(cov, "groups"));
    } else {
        /* Without the coverage breakdown only the open items are known. */
        json_array_foreach(gaps, i, g)
            cw_chart_add(&r->chart, cw_js(g, "group"), cw_js(g, "status"), 1);
        cw_chart_table(r, "Open requirements per group", "group");
    }

    /* One line per unmet requirement saying what would close it, first:
     * that is what a reader of the gap report came for. */
    static const char *const acols[] = {"id", "title", "status", "what is missing"};
    cw_table *ans = cw_rep_table(r, "What is missing, requirement by requirement", 4, acols);
    ans->status_col = 2;
    json_array_foreach(gaps, i, g)
    {
        char *why = cw_gap_answer(a, g);
        const char *cells[] = {cw_js(g, "id"), cw_js(g, "title"), cw_js(g, "status"), why};
        cw_add_row_free(ans, cells, (char *[]){why}, 1);
    }
    /* the chart and breakdown read better after the answers */
    if (r->ntables > 1) {
        cw_table moved = r->tables[r->ntables - 1];
        memmove(&r->tables[1], &r->tables[0], (r->ntables - 1) * sizeof *r->tables);
        r->tables[0] = moved;
    }

    static const char *const gcols[] = {"id", "title", "group", "status", "controls", "candidates"};
    r->csv_table = r->ntables;
    cw_table *t = cw_rep_table(r, "Gaps (not met, not excluded)", 6, gcols);
    t->status_col = 3;
    json_array_foreach(gaps, i, g)
    {
        cw_sb cb, kb;
        cw_sb_open(&cb);
        cw_sb_open(&kb);
        size_t j;
        json_t *c;
        json_array_foreach(json_object_get(g, "controls"), j, c)
        {
            fprintf(cb.f, "%s%s (%s, %s", j ? "; " : "", cw_js(c, "control"), cw_js(c, "status"),
                    cw_js(c, "state"));
            if (*cw_js(c, "level"))
                fprintf(cb.f, ", %s", cw_js(c, "level"));
            fputc(')', cb.f);
        }
        json_array_foreach(json_object_get(g, "candidates"), j, c) fprintf(
            kb.f, "%s%s %s (%s%s)", j ? "; " : "", cw_js(c, "framework"), cw_js(c, "id"),
            cw_js(c, "gives"), json_is_true(json_object_get(c, "covered")) ? ", covered" : "");
        char *cs = cw_sb_take(&cb), *ks = cw_sb_take(&kb);
        const char *cells[] = {
            cw_js(g, "id"), cw_js(g, "title"), cw_js(g, "group"), cw_js(g, "status"), cs, ks};
        cw_add_row_free(t, cells, (char *[]){cs, ks}, 2);
    }

    static const char *const kcols[] = {"gap",   "framework", "id",  "title",
                                        "gives", "covered",   "path"};
    cw_table *k =
        cw_rep_table(r, "Candidates: related requirements and how they reach each gap", 7, kcols);
    json_array_foreach(gaps, i, g)
    {
        size_t j;
        json_t *c;
        json_array_foreach(json_object_get(g, "candidates"), j, c)
        {
            cw_sb pb;
            cw_sb_open(&pb);
            if (json_is_object(json_object_get(c, "path")))
                cw_path_text(pb.f, json_object_get(c, "path"));
            char *ps = cw_sb_take(&pb);
            const char *cells[] = {cw_js(g, "id"),
                                   cw_js(c, "framework"),
                                   cw_js(c, "id"),
                                   cw_js(c, "title"),
                                   cw_js(c, "gives"),
                                   json_is_true(json_object_get(c, "covered")) ? "yes" : "no",
                                   ps};
            cw_add_row_free(k, cells, (char *[]){ps}, 1);
        }
    }

    static const char *const jcols[] = {"gap",     "joint row", "relationship",         "in place",
                                        "missing", "origin",    "why the set covers it"};
    cw_table *jt = cw_rep_table(r, "Joint rows: requirements that together cover a gap", 7, jcols);
    json_array_foreach(gaps, i, g)
    {
        size_t j;
        json_t *je;
        json_array_foreach(json_object_get(g, "joints"), j, je)
        {
            json_t *row = json_object_get(je, "row");
            cw_sb sb, mb;
            cw_sb_open(&sb);
            cw_sb_open(&mb);
            fprintf(sb.f, "%s {", cw_js(row, "source_framework"));
            cw_join(sb.f, json_object_get(row, "source"), ", ");
            fprintf(sb.f, "} -> %s", cw_js(row, "target"));
            cw_join(mb.f, json_object_get(je, "missing"), ", ");
            char *ss = cw_sb_take(&sb), *ms = cw_sb_take(&mb);
            char ip[48];
            snprintf(ip, sizeof ip, "%ld of %ld", cw_jl(je, "in_place"), cw_jl(je, "of"));
            const char *cells[] = {
                cw_js(g, "id"),    ss, cw_js(row, "relationship"), ip, ms, cw_js(row, "origin"),
                cw_js(row, "note")};
            cw_add_row_free(jt, cells, (char *[]){ss, ms}, 2);
        }
    }

    static const char *const pcols[] = {"rank", "satisfy", "title", "closes", "gaps closed"};
    cw_table *p = cw_rep_table(r, "Plan: satisfy these, in order, to close gaps in full", 5, pcols);
    json_array_foreach(json_object_get(a, "plan"), i, g)
    {
        char rb[32], nb[32];
        cw_sb cb, ab, tb;
        cw_sb_open(&cb);
        cw_sb_open(&ab);
        cw_sb_open(&tb);
        cw_join(cb.f, json_object_get(g, "closes"), ", ");
        size_t j;
        json_t *x;
        json_t *adds = json_object_get(g, "adds");
        json_array_foreach(adds, j, x)
        {
            fprintf(ab.f, "%s%s%s%s", j ? (j + 1 == json_array_size(adds) ? " and " : ", ") : "",
                    j ? "" : cw_js(x, "framework"), j ? "" : " ", cw_js(x, "id"));
            fprintf(tb.f, "%s%s", j ? "; " : "", cw_js(x, "title"));
        }
        if (!json_array_size(adds)) {
            fprintf(ab.f, "%s %s", cw_js(g, "framework"), cw_js(g, "id"));
            fputs(cw_js(g, "title"), tb.f);
        }
        if (json_is_object(json_object_get(g, "joint")))
            fprintf(ab.f, " (together, for %s)", cw_js(json_object_get(g, "joint"), "target"));
        char *cs = cw_sb_take(&cb), *as = cw_sb_take(&ab), *ts = cw_sb_take(&tb);
        snprintf(rb, sizeof rb, "%ld", cw_jl(g, "rank"));
        snprintf(nb, sizeof nb, "%zu", json_array_size(json_object_get(g, "closes")));
        const char *cells[] = {rb, as, ts, nb, cs};
        cw_add_row_free(p, cells, (char *[]){cs, as, ts}, 3);
    }
    cw_legend(r, CW_COV_NSERIES, cw_cov_series, cw_cov_legend_val);
    return 0;
}

/* ---- compare ------------------------------------------------------------ */

static int cw_build_compare(cw_report *r, json_t *a)
{
    cw_title(r, "Compare %s -> %s", cw_js(a, "source"), cw_js(a, "target"));
    static const char *const keys[] = {"source", "target",  "max_hops",  "assessable",
                                       "full",   "partial", "unreached", NULL};
    cw_sum_keys(r, a, keys);
    char buf[32];
    long n = cw_jl(a, "assessable");
    snprintf(buf, sizeof buf, "%.1f%%", n > 0 ? 100.0 * (double)cw_jl(a, "full") / (double)n : 0.0);
    cw_sum(r, "percent full", buf);

    cw_chart_init(&r->chart, cw_cmp_series, 3);
    json_t *reqs = json_object_get(a, "requirements");
    size_t i;
    json_t *q;
    json_array_foreach(reqs, i, q) cw_chart_add(&r->chart, cw_js(q, "group"), cw_js(q, "level"), 1);
    cw_chart_table(r, "Per-group breakdown", "group");

    static const char *const cols[] = {"id", "title", "group", "level", "paths", "best paths"};
    r->csv_table = r->ntables;
    cw_table *t = cw_rep_table(r, "Target requirements", 6, cols);
    t->status_col = 3;
    json_array_foreach(reqs, i, q)
    {
        cw_sb pb;
        cw_sb_open(&pb);
        size_t j;
        json_t *p;
        json_array_foreach(json_object_get(q, "paths"), j, p)
        {
            if (j == 3) {
                fputs("; ...", pb.f);
                break;
            }
            if (j)
                fputs("; ", pb.f);
            cw_path_text(pb.f, p);
        }
        size_t np = json_array_size(json_object_get(q, "paths"));
        json_array_foreach(json_object_get(q, "joints"), j, p)
        {
            fputs(np || j ? "; " : "", pb.f);
            cw_row_text(pb.f, json_object_get(p, "row"));
        }
        char *ps = cw_sb_take(&pb);
        char nb[32];
        snprintf(nb, sizeof nb, "%ld",
                 cw_jl(q, "paths_total") + (long)json_array_size(json_object_get(q, "joints")));
        const char *cells[] = {
            cw_js(q, "id"), cw_js(q, "title"), cw_js(q, "group"), cw_js(q, "level"), nb, ps};
        cw_add_row_free(t, cells, (char *[]){ps}, 1);
    }
    cw_legend(r, 3, cw_cmp_series, cw_cmp_legend_val);
    return 0;
}

/* ---- statement of applicability ---------------------------------------- */

static int cw_build_soa(cw_report *r, json_t *a)
{
    cw_title(r, "Statement of Applicability (iso27001-2022) for %s", cw_js(a, "org"));
    static const char *const keys[] = {"org",      "as_of",       "applicable",
                                       "excluded", "implemented", NULL};
    cw_sum_keys(r, a, keys);

    cw_chart_init(&r->chart, cw_cov_series, CW_COV_NSERIES);
    json_t *ctrls = json_object_get(a, "controls");
    size_t i;
    json_t *c;
    json_array_foreach(ctrls, i, c)
    {
        bool applicable = !json_is_false(json_object_get(c, "applicable"));
        cw_chart_add(&r->chart, cw_js(c, "theme"),
                     applicable ? cw_js(c, "status") : "not_applicable", 1);
    }
    cw_chart_table(r, "Per-theme breakdown", "theme");

    static const char *const cols[] = {"id",
                                       "title",
                                       "theme",
                                       "applicable",
                                       "status",
                                       "implementation",
                                       "implementing controls",
                                       "evidence",
                                       "justification"};
    r->csv_table = r->ntables;
    cw_table *t = cw_rep_table(r, "Annex A controls", 9, cols);
    t->status_col = 4;
    json_array_foreach(ctrls, i, c)
    {
        char *is = cw_joined(json_object_get(c, "implementing_controls"), ", ");
        char *es = cw_joined(json_object_get(c, "evidence"), ", ");
        const char *cells[] = {cw_js(c, "id"),
                               cw_js(c, "title"),
                               cw_js(c, "theme"),
                               json_is_false(json_object_get(c, "applicable")) ? "no" : "yes",
                               cw_js(c, "status"),
                               cw_js(c, "implementation"),
                               is,
                               es,
                               cw_js(c, "justification")};
        cw_add_row_free(t, cells, (char *[]){is, es}, 2);
    }
    cw_legend(r, CW_COV_NSERIES, cw_cov_series, cw_cov_legend_val);
    return 0;
}

/* ---- check -------------------------------------------------------------- */

/* The answer is the CLI's own composite {mapping_check, store_check}
 * (store_check null when the token may not call it). */
static int cw_build_check(cw_report *r, json_t *a)
{
    r->title = cw_xstrdup("Consistency check");
    json_t *mc = json_object_get(a, "mapping_check");
    json_t *sc = json_object_get(a, "store_check");
    json_t *findings = json_object_get(mc, "findings");
    char buf[64];
    snprintf(buf, sizeof buf, "%zu", json_array_size(findings));
    cw_sum(r, "mapping findings", buf);
    for (size_t k = 0; k < 3; k++) {
        long n = 0;
        size_t i;
        json_t *f;
        json_array_foreach(findings, i, f) n += strcmp(cw_js(f, "kind"), cw_chk_legend_key[k]) == 0;
        snprintf(buf, sizeof buf, "%ld", n);
        cw_sum(r, cw_chk_legend_key[k], buf);
    }
    if (json_is_object(sc)) {
        cw_sum(r, "store consistent",
               json_is_true(json_object_get(sc, "consistent")) ? "yes" : "no");
        snprintf(buf, sizeof buf, "%ld", cw_jl(sc, "problems"));
        cw_sum(r, "store problems", buf);
        if (json_is_string(json_object_get(sc, "first")))
            cw_sum(r, "first problem", cw_js(sc, "first"));
    } else {
        cw_sum(r, "store check", cw_js(a, "store_check_note"));
    }
    cw_chart_init(&r->chart, cw_chk_legend_key, 3);
    static const char *const cols[] = {"kind", "a", "b", "detail"};
    r->csv_table = r->ntables;
    cw_table *t = cw_rep_table(r, "Crosswalk findings", 4, cols);
    size_t i;
    json_t *f;
    json_array_foreach(findings, i, f)
    {
        char ab[512], bb[512];
        json_t *x = json_object_get(f, "a"), *y = json_object_get(f, "b");
        snprintf(ab, sizeof ab, "%s %s", cw_js(x, "framework"), cw_js(x, "id"));
        snprintf(bb, sizeof bb, "%s %s", cw_js(y, "framework"), cw_js(y, "id"));
        const char *cells[] = {cw_js(f, "kind"), ab, bb, cw_js(f, "detail")};
        cw_add_row(t, cells);
    }
    cw_legend(r, 5, cw_chk_legend_key, cw_chk_legend_val);
    return 0;
}

int cw_report_build(cw_report *r, cw_report_kind kind, json_t *answer, json_t *groups_answer,
                    bool show_detail, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    r->answer = answer;
    if (!json_is_object(answer)) {
        snprintf(err, errlen, "internal: the server's answer is not a map");
        return -1;
    }
    switch (kind) {
    case CW_REP_COVERAGE: return cw_build_coverage(r, answer, show_detail);
    case CW_REP_GAP: return cw_build_gap(r, answer, groups_answer);
    case CW_REP_COMPARE: return cw_build_compare(r, answer);
    case CW_REP_SOA: return cw_build_soa(r, answer);
    case CW_REP_CHECK: return cw_build_check(r, answer);
    }
    snprintf(err, errlen, "internal: unknown report");
    return -1;
}

void cw_report_free(cw_report *r)
{
    free(r->title);
    for (size_t i = 0; i < r->nsummary; i++) {
        free(r->sum_key[i]);
        free(r->sum_val[i]);
    }
    free(r->sum_key);
    free(r->sum_val);
    for (size_t i = 0; i < r->chart.ngroups; i++)
        free(r->chart.labels[i]);
    free(r->chart.labels);
    free(r->chart.counts);
    for (size_t i = 0; i < r->ntables; i++)
        cw_table_free(&r->tables[i]);
    free(r->tables);
    json_decref(r->answer);
    memset(r, 0, sizeof *r);
}
