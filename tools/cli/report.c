/* Report model: from a server answer to a document's parts.
 *
 * Each report command (coverage, gap, compare, soa, check) gets one builder
 * here that reads the answer documented in server/PROTOCOL.md, with the
 * names, versions, controls and evidence report_context.c fetched beside
 * it, and fills a format-neutral cw_report: a title naming the
 * organisation and frameworks, a summary sentence and the first actions,
 * key/value summary lines, the provenance (versions, time, hops, the
 * frameworks' publishers and licence notes, the crosswalk rows' origins),
 * a chart of counts by group and status, and tables whose cells are plain
 * strings, with hints for the document formats (short forms, folded row
 * groups, id columns).  Keeping the shaping here means the output formats
 * in render.c and report_html.c share one reading of the answer, so a
 * table, its CSV and its HTML never disagree.
 *
 * Text is written for a reader, not a parser, in the words of
 * report_words.c: frameworks by name, crosswalk paths as sentences,
 * evidence with its result and dates.
 *
 * Explanations follow docs/SEMANTICS.md §2: a requirement's row says which
 * contribution decided its status (control, state, route, the deciding
 * evidence); the detail table lists every contribution.  Answers are read
 * defensively: a missing field shows as an empty cell rather than a
 * crash, since the server may grow fields. */
#include "report.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const char *const cw_cov_series[] = {"met",     "partial", "unverified",
                                            "failing", "gap",     "not_applicable"};
enum { CW_COV_NSERIES = 6 };
static const char *const cw_cov_legend_val[] = {
    ("an effective control reaches it in full: linked to it, or to a group above it, at level full, "
     "or through crosswalk rows that match it or cover all of it; or every member of a set of "
     "requirements that together match it or cover all of it is met. Effective means implemented, "
     "the latest evidence not failed and a passing item still valid"),
    ("an effective control reaches it only in part: a link at level partial, or crosswalk rows that "
     "are part of it or cover part of it; or some members of a set that together cover it are in "
     "place"),
    "a control reaches it but has no evidence, or its passing evidence has expired",
    "a control reaches it but its latest evidence failed",
    "no implemented control reaches it",
    "excluded by a scope decision (the justification is shown)"};
static const char *const cw_cmp_series[] = {"full", "partial", "unreached"};
static const char *const cw_cmp_legend_val[] = {
    ("satisfying all of the source framework satisfies it in full: crosswalk rows that match it or "
     "cover all of it, or a set of requirements that together do, every member satisfied"),
    ("only crosswalk rows that are part of it or cover part of it reach it, or sets partly in "
     "place"),
    "no crosswalk row or set reaches it within the steps followed"};
static const char *const cw_chk_legend_key[] = {"dangling", "subset_both_ways", "conflict",
                                                "withdrawn_member", "duplicate_member"};
static const char *const cw_chk_legend_val[] = {
    "a crosswalk row or control link names a requirement that does not exist",
    "A is stated to be part of B and B part of A, but not that they match",
    ("the same pair (or set and target) is stated with different relationships, or a member's own "
     "row to a set's target contradicts the set's relationship"),
    "a set of requirements holds a withdrawn one: it can never be met in full",
    "a set of requirements holds one twice, or one already inside a group member"};

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
        if (t->doc) {
            p = realloc(t->doc, nc * t->ncols * sizeof *p);
            if (!p)
                return -1;
            memset(p + t->cap * t->ncols, 0, (nc - t->cap) * t->ncols * sizeof *p);
            t->doc = p;
        }
        t->cap = nc;
    }
    for (size_t i = 0; i < t->ncols; i++)
        t->cells[t->nrows * t->ncols + i] = cw_xstrdup(cells[i]);
    t->nrows++;
    return 0;
}

/* Gives the last row's cell col a form of its own for the documents;
 * text is taken over (freed here or with the table). */
static void cw_table_doc(cw_table *t, size_t col, char *text)
{
    if (!t->doc) {
        t->doc = calloc(t->cap * t->ncols, sizeof *t->doc);
        if (!t->doc)
            cw_oom();
    }
    size_t at = (t->nrows - 1) * t->ncols + col;
    free(t->doc[at]);
    t->doc[at] = text;
}

/* Folds the rows added since row `first` under summary (copied); nothing
 * when there are none. */
static void cw_table_fold(cw_table *t, size_t first, const char *summary)
{
    if (t->nrows <= first)
        return;
    t->folds = cw_xrealloc(t->folds, (t->nfolds + 1) * sizeof *t->folds);
    t->folds[t->nfolds++] = (cw_fold){first, t->nrows - first, cw_xstrdup(summary)};
}

static void cw_table_free(cw_table *t)
{
    for (size_t i = 0; i < t->nrows * t->ncols; i++) {
        free(t->cells[i]);
        if (t->doc)
            free(t->doc[i]);
    }
    for (size_t i = 0; i < t->ncols; i++)
        free(t->cols[i]);
    for (size_t i = 0; i < t->nfolds; i++)
        free(t->folds[i].summary);
    free(t->folds);
    free(t->doc);
    free(t->cells);
    free(t->cols);
    free(t->caption);
    free(t->intro);
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

/* ---- summary, provenance, lead ------------------------------------------ */

/* Appends k: v (copied) to the parallel arrays keys and vals. */
static void cw_kv(size_t *n, char ***keys, char ***vals, const char *k, const char *v)
{
    *keys = cw_xrealloc(*keys, (*n + 1) * sizeof **keys);
    *vals = cw_xrealloc(*vals, (*n + 1) * sizeof **vals);
    (*keys)[*n] = cw_xstrdup(k);
    (*vals)[*n] = cw_xstrdup(v);
    (*n)++;
}

static void cw_sum(cw_report *r, const char *k, const char *v)
{
    cw_kv(&r->nsummary, &r->sum_key, &r->sum_val, k, v);
}

static void cw_prov(cw_report *r, const char *k, const char *v)
{
    cw_kv(&r->nprov, &r->prov_key, &r->prov_val, k, v);
}

static void cw_sum_long(cw_report *r, const char *k, long v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%ld", v);
    cw_sum(r, k, buf);
}

static void cw_sum_counts(cw_report *r, json_t *counts)
{
    for (size_t i = 0; i < CW_COV_NSERIES; i++)
        cw_sum_long(r, cw_status_label(cw_cov_series[i]), cw_jl(counts, cw_cov_series[i]));
}

static double cw_percent(json_t *o)
{
    json_t *p = json_object_get(o, "percent");
    return json_is_number(p) ? json_number_value(p) : 0.0;
}

static void cw_sum_percent(cw_report *r, json_t *o)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%.1f%%", cw_percent(o));
    cw_sum(r, "percent", buf);
}

/* The summary lines every organisation report starts with. */
static void cw_sum_head(cw_bctx *b, const char *fw_key, const char *fw)
{
    char buf[600], when[64];
    const char *org = cw_js(b->a, "org");
    if (strcmp(cw_org_name(b), org) != 0)
        snprintf(buf, sizeof buf, "%s (%s)", cw_org_name(b), org);
    else
        snprintf(buf, sizeof buf, "%s", org);
    cw_sum(b->r, "organisation", buf);
    if (fw)
        cw_sum(b->r, fw_key, cw_fw_name(b, fw));
    cw_sum(b->r, "as of", cw_moment(cw_js(b->a, "as_of"), when, sizeof when));
    if (json_is_integer(json_object_get(b->a, "max_hops")))
        cw_sum_long(b->r, "crosswalk steps", cw_jl(b->a, "max_hops"));
}

/* "1 met, 8 partial, 52 gaps": the non-zero counts of a coverage map in
 * status order (met always, so a reader sees it is none). */
static void cw_counts_words(FILE *f, json_t *counts, const char *const *series, size_t n)
{
    bool first = true;
    for (size_t s = 0; s < n; s++) {
        long v = cw_jl(counts, series[s]);
        if (!v && s)
            continue;
        fprintf(f, "%s%ld %s", first ? "" : ", ", v, cw_status_label(series[s]));
        if (v != 1 && (strcmp(series[s], "gap") == 0))
            fputc('s', f);
        first = false;
    }
}

static void cw_action(cw_report *r, char *text)
{
    r->actions = cw_xrealloc(r->actions, (r->nactions + 1) * sizeof *r->actions);
    r->actions[r->nactions++] = text;
}

/* A framework as the provenance names it: "AICPA Trust Services Criteria
 * (SOC 2), version 2017 TSC ..., published by AICPA". */
static char *cw_fw_provenance(cw_bctx *b, const char *slug)
{
    json_t *fw = cw_fw_info(b, slug);
    cw_sb s;
    cw_sb_open(&s);
    fputs(cw_fw_name(b, slug), s.f);
    if (*cw_js(fw, "version"))
        fprintf(s.f, ", version %s", cw_js(fw, "version"));
    if (*cw_js(fw, "publisher"))
        fprintf(s.f, ", published by %s", cw_js(fw, "publisher"));
    fprintf(s.f, " [%s]", slug);
    return cw_sb_take(&s);
}

/* The provenance block: what the report was made from and by what.  Run
 * last, once the builders have noted every framework and row they cite. */
static void cw_provenance(cw_bctx *b)
{
    cw_report *r = b->r;
    char buf[700], when[64];
    json_t *ctx = b->ctx;
    if (*cw_js(b->a, "org")) {
        if (strcmp(cw_org_name(b), cw_js(b->a, "org")) != 0)
            snprintf(buf, sizeof buf, "%s (known to crosswalkd as %s)", cw_org_name(b),
                     cw_js(b->a, "org"));
        else
            snprintf(buf, sizeof buf, "%s (no other name recorded)", cw_org_name(b));
        cw_prov(r, "Organisation", buf);
    }
    cw_sb s;
    cw_sb_open(&s);
    fputs("crosswalk", s.f);
    if (*cw_js(ctx, "client_version"))
        fprintf(s.f, " %s", cw_js(ctx, "client_version"));
    if (*cw_js(ctx, "server_version"))
        fprintf(s.f, " from crosswalkd %s", cw_js(ctx, "server_version"));
    if (*cw_js(ctx, "generated_at"))
        fprintf(s.f, ", on %s", cw_moment(cw_js(ctx, "generated_at"), when, sizeof when));
    char *v = cw_sb_take(&s);
    cw_prov(r, "Produced by", v);
    free(v);
    if (*cw_js(b->a, "as_of")) {
        snprintf(buf, sizeof buf, "%s; evidence collected later is not counted",
                 cw_moment(cw_js(b->a, "as_of"), when, sizeof when));
        cw_prov(r, "Assessed as of", buf);
    }
    if (json_is_integer(json_object_get(b->a, "max_hops"))) {
        long h = cw_jl(b->a, "max_hops");
        snprintf(buf, sizeof buf,
                 h > 1 ? "at most %ld crosswalk steps per path (a path of more than one step is "
                         "inferred, and marked so)"
                       : "%ld crosswalk step: direct rows only, nothing inferred",
                 h);
        cw_prov(r, "Crosswalk steps followed", buf);
    }
    /* every framework the report names, with its publisher's terms */
    const char *slug;
    json_t *x;
    json_t *cited = json_deep_copy(b->cited);
    json_object_foreach(cited, slug, x)
    {
        json_t *fw = cw_fw_info(b, slug);
        char *p = cw_fw_provenance(b, slug);
        cw_sb t;
        cw_sb_open(&t);
        fputs(p, t.f);
        if (*cw_js(fw, "licence"))
            fprintf(t.f, ". %s", cw_js(fw, "licence"));
        char *text = cw_sb_take(&t);
        snprintf(buf, sizeof buf, "Framework: %s", cw_fw_short(b, slug));
        cw_prov(r, buf, text);
        free(text);
        free(p);
    }
    json_decref(cited);
    /* the crosswalk rows cited, counted by origin */
    json_t *origins = json_object();
    json_object_foreach(b->rows, slug, x)
    {
        const char *o = json_string_value(x);
        json_object_set_new(origins, o, json_integer(cw_jl(origins, o) + 1));
    }
    if (json_object_size(origins)) {
        cw_sb o;
        cw_sb_open(&o);
        bool first = true;
        json_object_foreach(origins, slug, x)
        {
            fprintf(o.f, "%s%s: %lld row%s", first ? "" : "; ", slug,
                    (long long)json_integer_value(x), json_integer_value(x) == 1 ? "" : "s");
            first = false;
        }
        fputs(" (crosswalk-authored rows were written for this project or by its users; the "
              "others reproduce the published mapping named)",
              o.f);
        char *text = cw_sb_take(&o);
        cw_prov(r, "Crosswalk rows cited, by origin", text);
        free(text);
    }
    json_decref(origins);
    long nc = (long)json_object_size(json_object_get(ctx, "controls"));
    long ne = (long)json_object_size(json_object_get(ctx, "evidence"));
    if (*cw_js(b->a, "org")) {
        snprintf(buf, sizeof buf,
                 "the controls, evidence and scope decisions crosswalkd holds for %s; %ld "
                 "control%s and %ld evidence item%s cited",
                 cw_org_name(b), nc, nc == 1 ? "" : "s", ne, ne == 1 ? "" : "s");
        cw_prov(r, "Organisation data", buf);
    }
    size_t i;
    json_array_foreach(json_object_get(ctx, "notes"), i, x)
        cw_prov(r, "Not available", json_string_value(x));
    if (cw_jl(ctx, "notes_more")) {
        snprintf(buf, sizeof buf, "%ld more items the server refused", cw_jl(ctx, "notes_more"));
        cw_prov(r, "Not available", buf);
    }
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
    c->titles = cw_xrealloc(c->titles, (c->ngroups + 1) * sizeof *c->titles);
    c->counts = cw_xrealloc(c->counts, (c->ngroups + 1) * c->nseries * sizeof *c->counts);
    c->labels[c->ngroups] = cw_xstrdup(label);
    c->titles[c->ngroups] = cw_xstrdup("");
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
        cols[2 + s] = cw_status_label(c->series[s]);
    cols[ncols - 1] = "percent";
    cw_table *t = cw_rep_table(r, caption, ncols, cols);
    t->nowrap = 1;
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

/* The total of each series over every group, into totals[nseries]. */
static void cw_chart_totals(const cw_chart *c, long *totals)
{
    for (size_t s = 0; s < c->nseries; s++) {
        totals[s] = 0;
        for (size_t g = 0; g < c->ngroups; g++)
            totals[s] += c->counts[g * c->nseries + s];
    }
}

/* Fills the chart from a coverage answer's groups. */
static void cw_chart_from_groups(cw_chart *c, json_t *groups)
{
    size_t i;
    json_t *g;
    json_array_foreach(groups, i, g)
    {
        const char *id = cw_js(g, "id");
        size_t k = cw_chart_group(c, id);
        free(c->titles[k]);
        c->titles[k] = cw_xstrdup(cw_js(g, "title"));
        json_t *counts = json_object_get(g, "counts");
        for (size_t s = 0; s < CW_COV_NSERIES; s++)
            cw_chart_add(c, id, cw_cov_series[s], cw_jl(counts, cw_cov_series[s]));
    }
}

static void cw_groups_table(cw_report *r, json_t *groups)
{
    const char *cols[10] = {"group", "title", "assessed"};
    for (size_t s = 0; s < CW_COV_NSERIES; s++)
        cols[3 + s] = cw_status_label(cw_cov_series[s]);
    cols[9] = "percent";
    cw_table *t = cw_rep_table(r, "Per-group breakdown", 10, cols);
    t->nowrap = 1;
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
        snprintf(b[7], sizeof b[7], "%.1f%%", cw_percent(g));
        cells[9] = b[7];
        cw_add_row(t, cells);
    }
}

/* The status legend: n keys and their explanations (static arrays). */
static void cw_legend(cw_report *r, size_t n, const char *const *keys, const char *const *vals)
{
    r->nlegend = n;
    r->legend_key = keys;
    r->legend_val = vals;
}

/* Sets a string field of the report from a printf format; like the other
 * report text it is cut at 1023 bytes. */
static void cw_setf(char **dst, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void cw_setf(char **dst, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    free(*dst);
    *dst = cw_xstrdup(text);
}

/* ---- coverage ----------------------------------------------------------- */

/* Why a requirement has its status, in one cell. */
static char *cw_requirement_why(cw_bctx *b, json_t *req)
{
    cw_sb s;
    cw_sb_open(&s);
    const char *status = cw_js(req, "status");
    json_t *contribs = json_object_get(req, "contributions");
    json_t *dec = json_object_get(req, "decided_by");
    json_t *held = json_object_get(req, "finding");
    if (strcmp(status, "not_applicable") == 0) {
        fprintf(s.f, "excluded: %s", cw_js(req, "justification"));
    } else if (json_is_object(held)) {
        /* an open nonconformity decides, whatever the controls give */
        fprintf(s.f, "held by open %s %s of audit %s", cw_js(held, "kind"), cw_js(held, "id"),
                cw_js(held, "audit"));
    } else if (json_is_integer(dec) && json_array_get(contribs, (size_t)json_integer_value(dec))) {
        cw_contribution_words(b, s.f, json_array_get(contribs, (size_t)json_integer_value(dec)));
        size_t n = json_array_size(contribs);
        if (n > 1)
            fprintf(s.f, " (and %zu more contribution%s)", n - 1, n == 2 ? "" : "s");
    } else if (json_array_size(contribs)) {
        fprintf(s.f, "%zu contribution%s, none effective at the needed level",
                json_array_size(contribs), json_array_size(contribs) == 1 ? "" : "s");
    } else {
        fputs("no implemented control reaches it", s.f);
    }
    return cw_sb_take(&s);
}

/* The coverage or gap lead: "61 SOC 2 criteria: 1 met, 8 partial, 52
 * gaps (1.6% met)." */
static void cw_lead_counts(cw_bctx *b, FILE *f, const char *fw)
{
    cw_count_kind(b, f, cw_jl(b->a, "assessable"), cw_fw_short(b, fw));
    fputs(": ", f);
    cw_counts_words(f, json_object_get(b->a, "counts"), cw_cov_series, CW_COV_NSERIES);
    fprintf(f, " (%.1f%% met).", cw_percent(b->a));
}

static int cw_build_coverage(cw_bctx *b, bool detail)
{
    cw_report *r = b->r;
    json_t *a = b->a;
    const char *fw = cw_js(a, "framework");
    char when[64];
    cw_setf(&r->title, "Coverage of %s for %s", cw_fw_short(b, fw), cw_org_name(b));
    cw_setf(&r->subtitle, "%s, as of %s", cw_fw_name(b, fw),
            cw_moment(cw_js(a, "as_of"), when, sizeof when));
    cw_sum_head(b, "framework", fw);
    cw_sum_long(r, "assessed", cw_jl(a, "assessable"));
    cw_sum_counts(r, json_object_get(a, "counts"));
    cw_sum_percent(r, a);
    cw_sb lead;
    cw_sb_open(&lead);
    cw_lead_counts(b, lead.f, fw);
    r->lead = cw_sb_take(&lead);

    cw_chart_init(&r->chart, cw_cov_series, CW_COV_NSERIES);
    json_t *groups = json_object_get(a, "groups");
    cw_chart_from_groups(&r->chart, groups);

    static const char *const rcols[] = {"id", "title", "group", "status", "explanation"};
    r->csv_table = r->ntables;
    cw_table *t = cw_rep_table(r, "Requirements", 5, rcols);
    t->status_col = 3;
    t->nowrap = 1 | 4;
    t->wide = 16;
    t->intro = cw_xstrdup("Each requirement with the contribution that decided its status: the "
                          "control, its state, the route that carried it and the deciding "
                          "evidence with its dates.");
    size_t i;
    json_t *q;
    json_array_foreach(json_object_get(a, "requirements"), i, q)
    {
        char *why = cw_requirement_why(b, q);
        const char *st = cw_js(q, "status");
        /* what needs attention first: evidence that failed or is missing */
        if (r->nactions < 5 && (strcmp(st, "failing") == 0 || strcmp(st, "unverified") == 0)) {
            cw_sb s;
            cw_sb_open(&s);
            fprintf(s.f, "%s %s is %s: %s", cw_js(q, "id"), cw_js(q, "title"), st, why);
            cw_action(r, cw_sb_take(&s));
        }
        const char *cells[] = {cw_js(q, "id"), cw_js(q, "title"), cw_js(q, "group"), st, why};
        cw_add_row_free(t, cells, (char *[]){why}, 1);
    }
    if (r->nactions)
        r->actions_title = cw_xstrdup("Needs attention: failing or unverified");
    cw_groups_table(r, groups);
    if (detail) {
        static const char *const dcols[] = {"requirement", "status", "control", "state",
                                            "level",       "via",    "route",   "evidence"};
        cw_table *d = cw_rep_table(r, "Explanation: every contribution", 8, dcols);
        d->status_col = 1;
        d->nowrap = 1 | 4;
        d->intro = cw_xstrdup("Every control, crosswalk path and set of requirements that reaches "
                              "each requirement, grouped by requirement.");
        json_array_foreach(json_object_get(a, "requirements"), i, q)
        {
            size_t j, first = d->nrows;
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
                    cw_row_words(b, pb.f, json_object_get(je, "row"), b->home);
                    fputs("; ", pb.f);
                    cw_members_words(b, pb.f, je);
                } else if (json_is_object(path)) {
                    cw_path_words(b, pb.f, path);
                } else if (json_is_object(link)) {
                    fputs("link to ", pb.f);
                    cw_req(b, pb.f, cw_js(link, "framework"), cw_js(link, "id"));
                    fprintf(pb.f, " (%s)", cw_js(link, "level"));
                }
                if (json_is_string(json_object_get(c, "reached_group")))
                    fprintf(pb.f, " through group %s", cw_js(c, "reached_group"));
                cw_evidence_list(b, eb.f, json_object_get(c, "evidence"));
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
            char sum[512];
            size_t n = d->nrows - first;
            snprintf(sum, sizeof sum, "%s %s: %s, %zu contribution%s", cw_js(q, "id"),
                     cw_js(q, "title"), cw_status_label(cw_js(q, "status")), n, n == 1 ? "" : "s");
            cw_table_fold(d, first, sum);
        }
    }
    cw_legend(r, CW_COV_NSERIES, cw_cov_series, cw_cov_legend_val);
    return 0;
}

/* ---- gap report --------------------------------------------------------- */

/* One line saying what would close gap g: the missing members of its best
 * set, a related requirement that would give it in full, or that nothing
 * in the source framework relates to it (link a control to it directly);
 * failing and unverified controls are named first, with the evidence
 * that makes them so. */
static char *cw_gap_answer(cw_bctx *b, json_t *g)
{
    cw_sb s;
    cw_sb_open(&s);
    json_t *a = b->a;
    const char *status = cw_js(g, "status"), *src = cw_js(a, "source");
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(g, "controls"), i, c)
    {
        if (strcmp(cw_js(c, "status"), "implemented") != 0)
            continue;
        const char *state = cw_js(c, "state");
        if ((strcmp(status, "failing") == 0 && strcmp(state, "failing") == 0) ||
            (strcmp(status, "unverified") == 0 && strcmp(state, "unverified") == 0)) {
            fputs("control ", s.f);
            cw_control_words(b, s.f, cw_js(c, "control"));
            fputs(" is ", s.f);
            cw_control_state_words(b, s.f, cw_js(c, "control"), state);
            fputs("; ", s.f);
            break;
        }
    }
    /* the set (matching or covering all of it) with the fewest missing */
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
    /* whichever needs fewer requirements: one that gives it in full, or
     * the missing members of a set */
    size_t nmissing = best ? json_array_size(json_object_get(best, "missing")) : 0;
    if (nmissing && !(full && nmissing > 1)) {
        fputs("needs ", s.f);
        const char *sfw = cw_js(json_object_get(best, "row"), "source_framework");
        if (*sfw)
            fprintf(s.f, "%s ", cw_fw_short(b, sfw));
        cw_and_list(s.f, json_object_get(best, "missing"));
        fprintf(s.f, " (%ld of the %ld that together %s it in place)", cw_jl(best, "in_place"),
                cw_jl(best, "of"),
                cw_rel_words(cw_js(json_object_get(best, "row"), "relationship"), true));
        return cw_sb_take(&s);
    }
    json_array_foreach(json_object_get(g, "joints"), i, je) related +=
        !*src || !strcmp(cw_js(json_object_get(je, "row"), "source_framework"), src);
    if (full) {
        fputs("needs ", s.f);
        cw_req(b, s.f, cw_js(full, "framework"), cw_js(full, "id"));
        if (*cw_js(full, "title"))
            fprintf(s.f, " (%s)", cw_js(full, "title"));
        json_t *path = json_object_get(full, "path");
        if (json_is_object(path))
            fprintf(s.f, ", which %s it", cw_rel_words(cw_js(path, "composed"), false));
    } else if (related) {
        fprintf(s.f, "%s only partly covers it: link a control to it directly",
                *src ? cw_fw_short(b, src) : "what relates to it");
    } else if (*src) {
        fprintf(s.f, "no %s requirement relates to it: link a control to it directly",
                cw_fw_short(b, src));
    } else {
        fputs("no requirement of another framework relates to it: link a control to it directly",
              s.f);
    }
    return cw_sb_take(&s);
}

/* The controls touching gap g that do not meet it, in words, each once
 * (the answer lists a control once per route that reaches the gap). */
static char *cw_gap_controls(cw_bctx *b, json_t *g)
{
    cw_sb s;
    cw_sb_open(&s);
    json_t *seen = json_object();
    size_t j;
    json_t *c;
    json_array_foreach(json_object_get(g, "controls"), j, c)
    {
        const char *id = cw_js(c, "control");
        if (json_object_get(seen, id))
            continue;
        json_object_set_new(seen, id, json_true());
        fputs(json_object_size(seen) > 1 ? "; " : "", s.f);
        cw_control_words(b, s.f, id);
        fputs(": ", s.f);
        const char *st = cw_js(c, "status");
        if (strcmp(st, "implemented") != 0)
            fputs(strcmp(st, "planned") == 0 ? "planned" : "not implemented", s.f);
        else
            cw_control_state_words(b, s.f, id, cw_js(c, "state"));
        if (strcmp(cw_js(c, "level"), "partial") == 0)
            fputs(", reaches it only in part", s.f);
    }
    json_decref(seen);
    return cw_sb_take(&s);
}

/* The title of gap `id` in the answer, or "". */
static const char *cw_gap_title(json_t *a, const char *id)
{
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(a, "gaps"), i,
                       g) if (strcmp(cw_js(g, "id"), id) == 0) return cw_js(g, "title");
    return "";
}

/* A plan step's requirements: "ISO/IEC 27001:2022 A.8.6 and A.8.16";
 * with titles, "A.8.6 Capacity management and A.8.16 Monitoring
 * activities". */
static void cw_step_adds(cw_bctx *b, FILE *f, json_t *step, bool titles)
{
    json_t *adds = json_object_get(step, "adds");
    size_t n = json_array_size(adds), j;
    json_t *x;
    json_array_foreach(adds, j, x)
    {
        fputs(j ? (j + 1 == n ? " and " : ", ") : "", f);
        if (j)
            fputs(cw_js(x, "id"), f);
        else
            cw_req(b, f, cw_js(x, "framework"), cw_js(x, "id"));
        if (titles && *cw_js(x, "title"))
            fprintf(f, " %s", cw_js(x, "title"));
    }
    if (!n) {
        cw_req(b, f, cw_js(step, "framework"), cw_js(step, "id"));
        if (titles && *cw_js(step, "title"))
            fprintf(f, " %s", cw_js(step, "title"));
    }
}

static void cw_gap_lead(cw_bctx *b)
{
    cw_report *r = b->r;
    json_t *a = b->a;
    cw_sb s;
    cw_sb_open(&s);
    cw_lead_counts(b, s.f, cw_js(a, "target"));
    size_t ngaps = json_array_size(json_object_get(a, "gaps"));
    size_t nplan = json_array_size(json_object_get(a, "plan"));
    fprintf(s.f, " %zu %s open (not met, not excluded)", ngaps, ngaps == 1 ? "is" : "are");
    if (nplan)
        fprintf(s.f, "; the plan's %zu step%s close %ld of them in full.", nplan,
                nplan == 1 ? "" : "s", cw_jl(a, "closable"));
    else
        fputs("; no step of another framework closes one in full.", s.f);
    r->lead = cw_sb_take(&s);

    size_t i;
    json_t *step;
    json_array_foreach(json_object_get(a, "plan"), i, step)
    {
        if (i == 5)
            break;
        cw_sb t;
        cw_sb_open(&t);
        fputs("Satisfy ", t.f);
        cw_step_adds(b, t.f, step, true);
        if (json_array_size(json_object_get(step, "adds")) > 1)
            fputs(" together", t.f);
        fputs(": closes ", t.f);
        json_t *closes = json_object_get(step, "closes");
        size_t j;
        json_t *x;
        json_array_foreach(closes, j, x)
        {
            if (j == 3) {
                fprintf(t.f, " and %zu more", json_array_size(closes) - 3);
                break;
            }
            const char *id = json_string_value(x) ? json_string_value(x) : "";
            fprintf(t.f, "%s%s", j ? (j + 1 == json_array_size(closes) ? " and " : ", ") : "", id);
            if (*cw_gap_title(a, id))
                fprintf(t.f, " (%s)", cw_gap_title(a, id));
        }
        fputc('.', t.f);
        cw_action(r, cw_sb_take(&t));
    }
    if (r->nactions)
        cw_setf(&r->actions_title, "Top %zu action%s", r->nactions, r->nactions == 1 ? "" : "s");
}

static int cw_build_gap(cw_bctx *b, json_t *cov)
{
    cw_report *r = b->r;
    json_t *a = b->a;
    const char *src = cw_js(a, "source"), *target = cw_js(a, "target");
    char when[64];
    if (*src) {
        cw_setf(&r->title, "Gap report: %s for %s, from %s", cw_fw_short(b, target), cw_org_name(b),
                cw_fw_short(b, src));
        cw_setf(&r->subtitle,
                "What %s still needs for %s, and which %s requirements would close it, as of %s",
                cw_org_name(b), cw_fw_name(b, target), cw_fw_short(b, src),
                cw_moment(cw_js(a, "as_of"), when, sizeof when));
    } else {
        cw_setf(&r->title, "Gap report: %s for %s", cw_fw_short(b, target), cw_org_name(b));
        cw_setf(&r->subtitle, "What %s still needs for %s, as of %s", cw_org_name(b),
                cw_fw_name(b, target), cw_moment(cw_js(a, "as_of"), when, sizeof when));
    }
    cw_sum_head(b, "target", target);
    if (*src)
        cw_sum(r, "source", cw_fw_name(b, src));
    cw_sum_long(r, "assessed", cw_jl(a, "assessable"));
    cw_sum_counts(r, json_object_get(a, "counts"));
    cw_sum_percent(r, a);
    json_t *gaps = json_object_get(a, "gaps");
    cw_sum_long(r, "gaps", (long)json_array_size(gaps));
    cw_sum_long(r, "plan steps", (long)json_array_size(json_object_get(a, "plan")));
    cw_sum_long(r, "closable in full", cw_jl(a, "closable"));
    cw_gap_lead(b);

    cw_chart_init(&r->chart, cw_cov_series, CW_COV_NSERIES);
    size_t i;
    json_t *g;
    if (cov && json_is_array(json_object_get(cov, "groups"))) {
        cw_chart_from_groups(&r->chart, json_object_get(cov, "groups"));
    } else {
        /* Without the coverage breakdown only the open items are known. */
        json_array_foreach(gaps, i, g)
            cw_chart_add(&r->chart, cw_js(g, "group"), cw_js(g, "status"), 1);
    }

    /* One row per unmet requirement saying what would close it first: that
     * is what a reader of the gap report came for. */
    static const char *const gcols[] = {"id",       "title",      "group",          "status",
                                        "controls", "candidates", "what is missing"};
    r->csv_table = r->ntables;
    cw_table *t = cw_rep_table(r, "What is missing, requirement by requirement", 7, gcols);
    t->status_col = 3;
    t->nowrap = 1 | 4;
    t->wide = 2 | 64;
    t->intro = cw_xstrdup("Every requirement not met and not excluded: the controls that touch "
                          "it without meeting it, the related requirements of other frameworks "
                          "(each with its path in the candidates below), and what would close it.");
    json_array_foreach(gaps, i, g)
    {
        cw_sb kb, sb;
        cw_sb_open(&kb);
        cw_sb_open(&sb);
        size_t j, nfull = 0, ncov = 0;
        json_t *c;
        json_t *cands = json_object_get(g, "candidates");
        json_array_foreach(cands, j, c)
        {
            fputs(j ? "; " : "", kb.f);
            cw_req(b, kb.f, cw_js(c, "framework"), cw_js(c, "id"));
            fprintf(kb.f, " (%s%s)", cw_js(c, "gives"),
                    json_is_true(json_object_get(c, "covered")) ? ", covered" : "");
            ncov += json_is_true(json_object_get(c, "covered"));
            if (strcmp(cw_js(c, "gives"), "full") == 0)
                fprintf(sb.f, "%s%s", nfull++ ? ", " : "", cw_js(c, "id"));
        }
        char *ks = cw_sb_take(&kb), *full = cw_sb_take(&sb);
        char *cs = cw_gap_controls(b, g), *why = cw_gap_answer(b, g);
        const char *cells[] = {
            cw_js(g, "id"), cw_js(g, "title"), cw_js(g, "group"), cw_js(g, "status"), cs, ks, why};
        cw_add_row(t, cells);
        /* The document shows the candidates counted; the Candidates table
         * below holds each with its path. */
        cw_sb db;
        cw_sb_open(&db);
        size_t n = json_array_size(cands);
        if (!n)
            fputs("none", db.f);
        else if (nfull)
            fprintf(db.f, "%zu; in full: %s", n, full);
        else
            fprintf(db.f, "%zu, none in full", n);
        if (ncov)
            fprintf(db.f, "; %zu covered already", ncov);
        cw_table_doc(t, 5, cw_sb_take(&db));
        free(ks);
        free(full);
        free(cs);
        free(why);
    }

    static const char *const pcols[] = {"rank", "satisfy", "title", "closes", "gaps closed"};
    cw_table *p = cw_rep_table(r, "Plan: satisfy these, in order, to close gaps in full", 5, pcols);
    p->nowrap = 1 | 8;
    p->intro = cw_xstrdup("Each step names what to satisfy (link an effective control at level "
                          "full); a step of several requirements completes a set that together "
                          "covers a gap. Steps are ranked by gaps closed per requirement added.");
    json_array_foreach(json_object_get(a, "plan"), i, g)
    {
        char rb[32], nb[32];
        cw_sb cb, ab, tb;
        cw_sb_open(&cb);
        cw_sb_open(&ab);
        cw_sb_open(&tb);
        cw_join(cb.f, json_object_get(g, "closes"), ", ");
        cw_step_adds(b, ab.f, g, false);
        size_t j;
        json_t *x;
        json_array_foreach(json_object_get(g, "adds"), j, x)
            fprintf(tb.f, "%s%s", j ? "; " : "", cw_js(x, "title"));
        if (!json_array_size(json_object_get(g, "adds")))
            fputs(cw_js(g, "title"), tb.f);
        if (json_is_object(json_object_get(g, "joint")))
            fprintf(ab.f, " (together, for %s)", cw_js(json_object_get(g, "joint"), "target"));
        char *cs = cw_sb_take(&cb), *as = cw_sb_take(&ab), *ts = cw_sb_take(&tb);
        snprintf(rb, sizeof rb, "%ld", cw_jl(g, "rank"));
        snprintf(nb, sizeof nb, "%zu", json_array_size(json_object_get(g, "closes")));
        const char *cells[] = {rb, as, ts, nb, cs};
        cw_add_row_free(p, cells, (char *[]){cs, as, ts}, 3);
    }

    if (cov && json_is_array(json_object_get(cov, "groups")))
        cw_groups_table(r, json_object_get(cov, "groups"));
    else
        cw_chart_table(r, "Open requirements per group", "group");

    static const char *const kcols[] = {"gap",   "framework", "id",  "title",
                                        "gives", "covered",   "path"};
    cw_table *k =
        cw_rep_table(r, "Candidates: related requirements and how they reach each gap", 7, kcols);
    k->nowrap = 1 | 4;
    k->intro = cw_xstrdup("For each gap, the requirements of other frameworks with a crosswalk "
                          "path to it, what satisfying each would give, and whether the "
                          "organisation covers it already.");
    json_array_foreach(gaps, i, g)
    {
        size_t j, first = k->nrows, nfull = 0;
        json_t *c;
        cw_sb fb;
        cw_sb_open(&fb);
        json_array_foreach(json_object_get(g, "candidates"), j, c)
        {
            cw_sb pb;
            cw_sb_open(&pb);
            if (json_is_object(json_object_get(c, "path")))
                cw_path_words(b, pb.f, json_object_get(c, "path"));
            char *ps = cw_sb_take(&pb);
            if (strcmp(cw_js(c, "gives"), "full") == 0 && nfull++ < 4)
                fprintf(fb.f, "%s%s", nfull > 1 ? ", " : "", cw_js(c, "id"));
            const char *cells[] = {cw_js(g, "id"),
                                   cw_fw_short(b, cw_js(c, "framework")),
                                   cw_js(c, "id"),
                                   cw_js(c, "title"),
                                   cw_js(c, "gives"),
                                   json_is_true(json_object_get(c, "covered")) ? "yes" : "no",
                                   ps};
            cw_add_row_free(k, cells, (char *[]){ps}, 1);
        }
        char *fs = cw_sb_take(&fb);
        char sum[768];
        size_t n = k->nrows - first;
        snprintf(sum, sizeof sum, "%s %s: %zu candidate%s, %s%s%s", cw_js(g, "id"),
                 cw_js(g, "title"), n, n == 1 ? "" : "s",
                 nfull ? "in full: " : "none gives it in full", fs, nfull > 4 ? ", ..." : "");
        cw_table_fold(k, first, sum);
        free(fs);
    }

    static const char *const jcols[] = {"gap",    "set of requirements",  "in place", "missing",
                                        "origin", "why the set covers it"};
    cw_table *jt = cw_rep_table(r, "Joint rows: requirements that together cover a gap", 6, jcols);
    jt->nowrap = 1 | 4;
    jt->intro = cw_xstrdup("Sets of requirements that only together cover a gap, with the "
                           "members in place and those still missing.");
    json_array_foreach(gaps, i, g)
    {
        size_t j, first = jt->nrows, best = (size_t)-1;
        json_t *je;
        json_array_foreach(json_object_get(g, "joints"), j, je)
        {
            json_t *row = json_object_get(je, "row");
            cw_sb sb, mb;
            cw_sb_open(&sb);
            cw_sb_open(&mb);
            cw_row_words(b, sb.f, row, cw_js(a, "target"));
            cw_join(mb.f, json_object_get(je, "missing"), ", ");
            char *ss = cw_sb_take(&sb), *ms = cw_sb_take(&mb);
            char ip[48];
            snprintf(ip, sizeof ip, "%ld of %ld", cw_jl(je, "in_place"), cw_jl(je, "of"));
            best = best < json_array_size(json_object_get(je, "missing"))
                       ? best
                       : json_array_size(json_object_get(je, "missing"));
            const char *cells[] = {cw_js(g, "id"),    ss, ip, ms, cw_js(row, "origin"),
                                   cw_js(row, "note")};
            cw_add_row_free(jt, cells, (char *[]){ss, ms}, 2);
        }
        char sum[512];
        size_t n = jt->nrows - first;
        snprintf(sum, sizeof sum, "%s %s: %zu set%s, %s%zu member%s missing", cw_js(g, "id"),
                 cw_js(g, "title"), n, n == 1 ? "" : "s", n == 1 ? "" : "the closest with ", best,
                 best == 1 ? "" : "s");
        cw_table_fold(jt, first, sum);
    }
    cw_legend(r, CW_COV_NSERIES, cw_cov_series, cw_cov_legend_val);
    return 0;
}

/* ---- compare ------------------------------------------------------------ */

static int cw_build_compare(cw_bctx *b)
{
    cw_report *r = b->r;
    json_t *a = b->a;
    const char *src = cw_js(a, "source"), *target = cw_js(a, "target");
    cw_setf(&r->title, "%s compared with %s", cw_fw_short(b, src), cw_fw_short(b, target));
    cw_setf(&r->subtitle, "How far satisfying all of %s reaches %s, without any organisation",
            cw_fw_name(b, src), cw_fw_name(b, target));
    cw_sum(r, "source", cw_fw_name(b, src));
    cw_sum(r, "target", cw_fw_name(b, target));
    cw_sum_long(r, "crosswalk steps", cw_jl(a, "max_hops"));
    cw_sum_long(r, "assessed", cw_jl(a, "assessable"));
    cw_sum_long(r, "full", cw_jl(a, "full"));
    cw_sum_long(r, "partial", cw_jl(a, "partial"));
    cw_sum_long(r, "unreached", cw_jl(a, "unreached"));
    char buf[32];
    long n = cw_jl(a, "assessable");
    double pct = n > 0 ? 100.0 * (double)cw_jl(a, "full") / (double)n : 0.0;
    snprintf(buf, sizeof buf, "%.1f%%", pct);
    cw_sum(r, "percent full", buf);
    cw_sb lead;
    cw_sb_open(&lead);
    fprintf(lead.f, "Satisfying all of %s would reach, of the ", cw_fw_short(b, src));
    cw_count_kind(b, lead.f, n, cw_fw_short(b, target));
    fprintf(lead.f, ", %ld in full, %ld in part and %ld not at all (%.1f%% in full).",
            cw_jl(a, "full"), cw_jl(a, "partial"), cw_jl(a, "unreached"), pct);
    r->lead = cw_sb_take(&lead);

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
    t->nowrap = 1 | 4;
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
            cw_path_words(b, pb.f, p);
        }
        size_t np = json_array_size(json_object_get(q, "paths"));
        json_array_foreach(json_object_get(q, "joints"), j, p)
        {
            fputs(np || j ? "; " : "", pb.f);
            cw_row_words(b, pb.f, json_object_get(p, "row"), target);
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

static int cw_build_soa(cw_bctx *b)
{
    cw_report *r = b->r;
    json_t *a = b->a;
    char when[64];
    cw_setf(&r->title, "Statement of Applicability for %s", cw_org_name(b));
    cw_setf(&r->subtitle, "The 93 Annex A controls of %s, as of %s", cw_fw_name(b, "iso27001-2022"),
            cw_moment(cw_js(a, "as_of"), when, sizeof when));
    cw_sum_head(b, "framework", "iso27001-2022");
    cw_sum_long(r, "applicable", cw_jl(a, "applicable"));
    cw_sum_long(r, "excluded", cw_jl(a, "excluded"));
    cw_sum_long(r, "implemented", cw_jl(a, "implemented"));

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
    long totals[CW_COV_NSERIES];
    cw_chart_totals(&r->chart, totals);
    cw_sb lead;
    cw_sb_open(&lead);
    fprintf(lead.f,
            "%zu Annex A controls of %s: %ld applicable, %ld excluded, %ld implemented. By "
            "status: ",
            json_array_size(ctrls), cw_fw_short(b, "iso27001-2022"), cw_jl(a, "applicable"),
            cw_jl(a, "excluded"), cw_jl(a, "implemented"));
    json_t *tot = json_object();
    for (size_t s = 0; s < CW_COV_NSERIES; s++)
        json_object_set_new(tot, cw_cov_series[s], json_integer(totals[s]));
    cw_counts_words(lead.f, tot, cw_cov_series, CW_COV_NSERIES);
    json_decref(tot);
    fputc('.', lead.f);
    r->lead = cw_sb_take(&lead);

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
    t->nowrap = 1 | 4;
    t->wide = 2 | 64 | 128 | 256;
    t->intro = cw_xstrdup("Each Annex A control: whether it applies and why, its status, the "
                          "organisation's controls that implement it and the evidence behind "
                          "them, with its dates.");
    json_array_foreach(ctrls, i, c)
    {
        char *is = cw_joined(json_object_get(c, "implementing_controls"), ", ");
        char *es = cw_joined(json_object_get(c, "evidence"), ", ");
        const char *st = cw_js(c, "status");
        bool applicable = !json_is_false(json_object_get(c, "applicable"));
        const char *cells[] = {cw_js(c, "id"),
                               cw_js(c, "title"),
                               cw_js(c, "theme"),
                               applicable ? "yes" : "no",
                               st,
                               cw_js(c, "implementation"),
                               is,
                               es,
                               cw_js(c, "justification")};
        cw_add_row_free(t, cells, (char *[]){is, es}, 2);
        cw_sb ib, eb;
        cw_sb_open(&ib);
        cw_sb_open(&eb);
        size_t j;
        json_t *x;
        json_array_foreach(json_object_get(c, "implementing_controls"), j, x)
        {
            const char *id = json_string_value(x) ? json_string_value(x) : "";
            fputs(j ? "; " : "", ib.f);
            cw_control_words(b, ib.f, id);
            json_t *ctl = json_object_get(json_object_get(b->ctx, "controls"), id);
            if (*cw_js(ctl, "state"))
                fprintf(ib.f, ", %s", cw_js(ctl, "state"));
        }
        cw_evidence_list(b, eb.f, json_object_get(c, "evidence"));
        char *ids = cw_sb_take(&ib), *evs = cw_sb_take(&eb);
        if (applicable && r->nactions < 5 &&
            (strcmp(st, "failing") == 0 || strcmp(st, "unverified") == 0)) {
            cw_sb s;
            cw_sb_open(&s);
            fprintf(s.f, "%s %s is %s: %s%s%s", cw_js(c, "id"), cw_js(c, "title"), st, ids,
                    *evs ? "; evidence " : "", evs);
            cw_action(r, cw_sb_take(&s));
        }
        cw_table_doc(t, 6, ids);
        cw_table_doc(t, 7, evs);
    }
    if (r->nactions)
        r->actions_title = cw_xstrdup("Needs attention: failing or unverified");
    cw_chart_table(r, "Per-theme breakdown", "theme");
    cw_legend(r, CW_COV_NSERIES, cw_cov_series, cw_cov_legend_val);
    return 0;
}

/* ---- check -------------------------------------------------------------- */

/* The answer is the CLI's own composite {mapping_check, store_check}
 * (store_check null when the token may not call it). */
static int cw_build_check(cw_bctx *b)
{
    cw_report *r = b->r;
    json_t *a = b->a;
    r->title = cw_xstrdup("Consistency check");
    json_t *mc = json_object_get(a, "mapping_check");
    json_t *sc = json_object_get(a, "store_check");
    json_t *findings = json_object_get(mc, "findings");
    cw_sum_long(r, "mapping findings", (long)json_array_size(findings));
    for (size_t k = 0; k < 3; k++) {
        long n = 0;
        size_t i;
        json_t *f;
        json_array_foreach(findings, i, f) n += strcmp(cw_js(f, "kind"), cw_chk_legend_key[k]) == 0;
        cw_sum_long(r, cw_status_label(cw_chk_legend_key[k]), n);
    }
    cw_sb lead;
    cw_sb_open(&lead);
    fprintf(lead.f, "%zu crosswalk finding%s.", json_array_size(findings),
            json_array_size(findings) == 1 ? "" : "s");
    if (json_is_object(sc)) {
        bool ok = json_is_true(json_object_get(sc, "consistent"));
        cw_sum(r, "store consistent", ok ? "yes" : "no");
        cw_sum_long(r, "store problems", cw_jl(sc, "problems"));
        if (json_is_string(json_object_get(sc, "first")))
            cw_sum(r, "first problem", cw_js(sc, "first"));
        fprintf(lead.f, " The store's indexes %s.",
                ok ? "agree with its records" : "disagree with its records");
    } else {
        cw_sum(r, "store check", cw_js(a, "store_check_note"));
    }
    r->lead = cw_sb_take(&lead);
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
        snprintf(ab, sizeof ab, "%s %s", cw_fw_short(b, cw_js(x, "framework")), cw_js(x, "id"));
        snprintf(bb, sizeof bb, "%s %s", cw_fw_short(b, cw_js(y, "framework")), cw_js(y, "id"));
        const char *cells[] = {cw_js(f, "kind"), ab, bb, cw_js(f, "detail")};
        cw_add_row(t, cells);
    }
    cw_legend(r, 5, cw_chk_legend_key, cw_chk_legend_val);
    return 0;
}

int cw_report_build(cw_report *r, cw_report_kind kind, json_t *answer, json_t *groups_answer,
                    json_t *context, bool show_detail, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    r->answer = answer;
    if (!json_is_object(answer)) {
        snprintf(err, errlen, "internal: the server's answer is not a map");
        return -1;
    }
    cw_bctx b = {r,
                 answer,
                 context,
                 NULL,
                 json_string_value(json_object_get(answer, "as_of")),
                 json_object(),
                 json_object(),
                 json_object()};
    if (!b.shortname || !b.cited || !b.rows)
        cw_oom();
    int rc = -1;
    switch (kind) {
    case CW_REP_COVERAGE:
        b.home = cw_js(answer, "framework");
        rc = cw_build_coverage(&b, show_detail);
        break;
    case CW_REP_GAP:
        b.home = cw_js(answer, "target");
        rc = cw_build_gap(&b, groups_answer);
        break;
    case CW_REP_COMPARE:
        b.home = cw_js(answer, "target");
        rc = cw_build_compare(&b);
        break;
    case CW_REP_SOA:
        b.home = "iso27001-2022";
        rc = cw_build_soa(&b);
        break;
    case CW_REP_CHECK: rc = cw_build_check(&b); break;
    default: snprintf(err, errlen, "internal: unknown report");
    }
    if (rc == 0)
        cw_provenance(&b);
    json_decref(b.shortname);
    json_decref(b.cited);
    json_decref(b.rows);
    return rc;
}

void cw_report_free(cw_report *r)
{
    free(r->title);
    free(r->subtitle);
    free(r->lead);
    free(r->actions_title);
    for (size_t i = 0; i < r->nactions; i++)
        free(r->actions[i]);
    free(r->actions);
    for (size_t i = 0; i < r->nsummary; i++) {
        free(r->sum_key[i]);
        free(r->sum_val[i]);
    }
    free(r->sum_key);
    free(r->sum_val);
    for (size_t i = 0; i < r->nprov; i++) {
        free(r->prov_key[i]);
        free(r->prov_val[i]);
    }
    free(r->prov_key);
    free(r->prov_val);
    for (size_t i = 0; i < r->chart.ngroups; i++) {
        free(r->chart.labels[i]);
        free(r->chart.titles[i]);
    }
    free(r->chart.labels);
    free(r->chart.titles);
    free(r->chart.counts);
    for (size_t i = 0; i < r->ntables; i++)
        cw_table_free(&r->tables[i]);
    free(r->tables);
    json_decref(r->answer);
    memset(r, 0, sizeof *r);
}
