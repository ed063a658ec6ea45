/* isms.c: the ISMS commands of `crosswalk`: `soa` (the Statement of
 * Applicability with each row's reasons, the version shown and the
 * approvals so far), `risks` (the register and its heat map, or the asset
 * register), `audit checklist` and `audit list` (an internal audit's
 * working paper, the audit programme) and `findings`.  Each asks the
 * server (server/PROTOCOL.md, "ISMS") and builds the report model of
 * cli.h, which render.c writes in every format; the SoA starts from the
 * generic SoA report of report.c and adds to it, and the risk register's
 * HTML gets the heat maps as inline SVG.  The CSV of `risks` (and of
 * `risks --assets`) is the file `crosswalk load --org` reads back
 * (import_isms.c).
 *
 * Ownership: every report, table and string built here belongs to the
 * cw_report and is released by cw_report_free; JSON answers are owned as
 * the comments say. */
#include "cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- the report model ---------------------------------------------------- */

/* A report has no partial result worth keeping: running out of memory ends
 * the command with one message. */
static _Noreturn void isms_oom(void)
{
    fputs("crosswalk: out of memory\n", stderr);
    exit(CW_EXIT_ERROR);
}

static void *isms_grow(void *p, size_t n)
{
    p = realloc(p, n);
    if (!p)
        isms_oom();
    return p;
}

/* A malloc'd string from a printf format and its arguments. */
static char *isms_vfmt(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
static char *isms_vfmt(const char *fmt, va_list ap)
{
    char *s;
    if (vasprintf(&s, fmt, ap) < 0)
        isms_oom();
    return s;
}

static char *isms_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *isms_fmt(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = isms_vfmt(fmt, ap);
    va_end(ap);
    return s;
}

/* One summary line; the value from a printf format. */
static void isms_sum(cw_report *r, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void isms_sum(cw_report *r, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *v = isms_vfmt(fmt, ap);
    va_end(ap);
    r->sum_key = isms_grow(r->sum_key, (r->nsummary + 1) * sizeof *r->sum_key);
    r->sum_val = isms_grow(r->sum_val, (r->nsummary + 1) * sizeof *r->sum_val);
    r->sum_key[r->nsummary] = isms_fmt("%s", key);
    r->sum_val[r->nsummary++] = v;
}

/* A new table at the end of the report (valid until the next one). */
static cw_table *isms_table(cw_report *r, const char *caption, size_t ncols,
                            const char *const *cols)
{
    r->tables = isms_grow(r->tables, (r->ntables + 1) * sizeof *r->tables);
    cw_table *t = &r->tables[r->ntables++];
    if (cw_table_init(t, caption, ncols, cols))
        isms_oom();
    return t;
}

static void isms_row(cw_table *t, const char *const *cells)
{
    if (cw_table_add(t, cells))
        isms_oom();
}

/* Appends a column to a table that already has its rows: vals[i] (taken
 * over) is row i's cell. */
static void isms_column(cw_table *t, const char *name, char **vals)
{
    size_t nc = t->ncols + 1;
    char **cells = isms_grow(NULL, (t->nrows ? t->nrows : 1) * nc * sizeof *cells);
    for (size_t r = 0; r < t->nrows; r++) {
        memcpy(&cells[r * nc], &t->cells[r * t->ncols], t->ncols * sizeof *cells);
        cells[r * nc + t->ncols] = vals[r];
    }
    free(t->cells);
    t->cells = cells;
    if (t->doc) { /* the document forms keep the cells' shape; none for the new column */
        char **doc = isms_grow(NULL, (t->nrows ? t->nrows : 1) * nc * sizeof *doc);
        for (size_t r = 0; r < t->nrows; r++) {
            memcpy(&doc[r * nc], &t->doc[r * t->ncols], t->ncols * sizeof *doc);
            doc[r * nc + t->ncols] = NULL;
        }
        free(t->doc);
        t->doc = doc;
    }
    t->cap = t->nrows;
    t->cols = isms_grow(t->cols, nc * sizeof *t->cols);
    t->cols[t->ncols] = isms_fmt("%s", name);
    t->ncols = nc;
}

/* The status series of the charts, in coverage's order, and what each
 * means. */
static const char *const isms_statuses[] = {"met",     "partial", "unverified",
                                            "failing", "gap",     "not_applicable"};
static const char *const isms_status_meaning[] = {
    "a control linked at level full is effective",
    "an effective control reaches it only partly, or an open minor nonconformity holds it",
    "a control reaches it without current evidence",
    "the latest evidence failed, or an open major nonconformity holds it",
    "no implemented control reaches it",
    "excluded by a scope decision"};

/* Adds n to group's count of status in the report's chart. */
static void isms_chart(cw_chart *c, const char *group, const char *status)
{
    size_t g = 0;
    while (g < c->ngroups && strcmp(c->labels[g], group) != 0)
        g++;
    if (g == c->ngroups) {
        c->labels = isms_grow(c->labels, (g + 1) * sizeof *c->labels);
        c->titles = isms_grow(c->titles, (g + 1) * sizeof *c->titles);
        c->counts = isms_grow(c->counts, (g + 1) * c->nseries * sizeof *c->counts);
        c->labels[g] = isms_fmt("%s", group);
        c->titles[g] = isms_fmt("%s", ""); /* the chart's group titles: none known here */
        memset(&c->counts[g * c->nseries], 0, c->nseries * sizeof *c->counts);
        c->ngroups++;
    }
    for (size_t s = 0; s < c->nseries; s++)
        c->counts[g * c->nseries + s] += strcmp(c->series[s], status) == 0;
}

/* ---- JSON ---------------------------------------------------------------- */

/* A string member ("" when absent or not a string). */
static const char *isms_s(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : "";
}

/* A scalar member as text, malloc'd: strings as they are, integers
 * printed, booleans yes/no, anything else "". */
static char *isms_text(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (json_is_integer(v))
        return isms_fmt("%lld", (long long)json_integer_value(v));
    if (json_is_boolean(v))
        return isms_fmt("%s", json_is_true(v) ? "yes" : "no");
    return isms_fmt("%s", json_is_string(v) ? json_string_value(v) : "");
}

/* The strings of an array member joined by sep, malloc'd; of a member
 * that is an array of maps, each map's "id". */
static char *isms_join(json_t *o, const char *key, const char *sep)
{
    json_t *arr = json_object_get(o, key), *e;
    size_t i, n = 1;
    json_array_foreach(arr, i, e) n +=
        strlen(json_is_string(e) ? json_string_value(e) : isms_s(e, "id")) + strlen(sep);
    char *s = isms_grow(NULL, n);
    s[0] = '\0';
    json_array_foreach(arr, i, e)
    {
        if (i)
            strcat(s, sep);
        strcat(s, json_is_string(e) ? json_string_value(e) : isms_s(e, "id"));
    }
    return s;
}

/* A row of t whose cells are the members keys[0..t->ncols) of o, as
 * text; a list member is joined with "|". */
static void isms_text_row(cw_table *t, json_t *o, const char *const *keys)
{
    char **cells = isms_grow(NULL, t->ncols * sizeof *cells);
    for (size_t c = 0; c < t->ncols; c++)
        cells[c] = json_is_array(json_object_get(o, keys[c])) ? isms_join(o, keys[c], "|")
                                                              : isms_text(o, keys[c]);
    isms_row(t, (const char *const *)cells);
    for (size_t c = 0; c < t->ncols; c++)
        free(cells[c]);
    free(cells);
}

static long isms_l(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? (long)json_integer_value(v) : 0;
}

/* ---- options and the call ---------------------------------------------- */

typedef struct isms_args {
    const char *org, *as_of, *version, *audit, *framework, *requirement, *format, *output;
    json_t *context; /* the SoA's document context (report_context.c), or NULL */
    bool assets;
} isms_args;

enum {
    O_ORG = 1,
    O_AS_OF = 2,
    O_VERSION = 4,
    O_AUDIT = 8,
    O_FRAMEWORK = 16,
    O_REQUIREMENT = 32,
    O_ASSETS = 64
};

/* Parses a command's options (the bits of `which`, plus --format and -o);
 * 0, 3 after help, or the usage error's code. */
static int isms_parse(const char *cmd, int argc, char **argv, unsigned which, const char *help,
                      isms_args *a)
{
    const cw_opt every[] = {{"--org", NULL, true, &a->org, NULL, NULL},
                            {"--as-of", NULL, true, &a->as_of, NULL, NULL},
                            {"--version", NULL, true, &a->version, NULL, NULL},
                            {"--audit", NULL, true, &a->audit, NULL, NULL},
                            {"--framework", NULL, true, &a->framework, NULL, NULL},
                            {"--requirement", NULL, true, &a->requirement, NULL, NULL},
                            {"--assets", NULL, false, NULL, &a->assets, NULL},
                            {"--format", NULL, true, &a->format, NULL, NULL},
                            {"--output", "-o", true, &a->output, NULL, NULL}};
    cw_opt opts[sizeof every / sizeof every[0]];
    size_t n = 0;
    for (size_t i = 0; i < sizeof every / sizeof every[0]; i++)
        if ((which | 128 | 256) & 1u << i)
            opts[n++] = every[i];
    int rc = cw_opts_parse_only(cmd, argc, argv, opts, n, help);
    if (rc == 0 && (which & O_ORG) && !a->org)
        rc = cw_usage(cmd, "--org is required");
    if (rc == 0 && (which & O_AUDIT) && !a->audit && strcmp(cmd, "audit checklist") == 0)
        rc = cw_usage(cmd, "--audit is required");
    return rc;
}

/* The named arguments: org, and each option given of as_of (any form
 * cw_add_time takes), version, audit, framework, requirement. */
static int isms_params(const char *cmd, const isms_args *a, json_t **out)
{
    json_t *p = json_pack("{s:s}", "org", a->org);
    if (!p)
        isms_oom();
    int rc;
    if (a->as_of && (rc = cw_add_time(cmd, p, "as_of", "--as-of", a->as_of))) {
        json_decref(p);
        return rc;
    }
    if (a->version) {
        long v = cw_parse_count(a->version);
        if (v < 1) {
            json_decref(p);
            return cw_usage(cmd, "--version: expected a version number, got '%s'", a->version);
        }
        json_object_set_new(p, "version", json_integer(v));
    }
    const char *const keys[] = {"audit", "framework", "requirement"};
    const char *const vals[] = {a->audit, a->framework, a->requirement};
    for (size_t i = 0; i < 3; i++)
        if (vals[i])
            json_object_set_new(p, keys[i], json_string(vals[i]));
    *out = p;
    return 0;
}

/* The start every command shares: its options parsed, the format picked
 * and the named arguments built (*p, the caller's); 0, 3 after help, or
 * the exit code after the message. */
static int isms_begin(const char *cmd, int argc, char **argv, unsigned which, const char *help,
                      isms_args *a, cw_format *fmt, json_t **p)
{
    int rc = isms_parse(cmd, argc, argv, which, help, a);
    if (rc == 0 && a->as_of && a->version)
        rc = cw_usage(cmd, "--as-of and --version: an approved version is as it was frozen");
    if (rc == 0)
        rc = cw_format_for(cmd, a->format, a->output, fmt);
    return rc ? rc : isms_params(cmd, a, p);
}

/* Calls method with params (borrowed) on a connection of its own; 0 with
 * *res (the caller's), or the exit code after the message. */
static int isms_call(const cw_ctx *ctx, const char *method, json_t *params, json_t **res)
{
    cw_rpc c;
    int rc = cw_ctx_connect(ctx, &c);
    if (rc)
        return rc;
    rc = cw_ctx_call(&c, method, params, res);
    cw_rpc_close(&c);
    return rc;
}

/* Fills a report from the answer ans (the report owns it afterwards). */
typedef void (*isms_build_fn)(cw_report *r, const isms_args *a, json_t *ans, cw_format fmt);

/* What most commands are: begin, ask method, build the report, write it. */
static int isms_command(const cw_ctx *ctx, const char *cmd, int argc, char **argv, unsigned which,
                        const char *help, const char *method, isms_build_fn build)
{
    isms_args a = {0};
    cw_format fmt;
    json_t *p = NULL, *ans = NULL;
    int rc = isms_begin(cmd, argc, argv, which, help, &a, &fmt, &p);
    /* a PDF: said before asking the server anything, as the other reports do */
    if (rc == 0 && fmt == CW_FMT_PDF && !a.output && isatty(STDOUT_FILENO))
        rc = cw_usage(cmd, "--format pdf writes a binary file: give -o FILE.pdf or redirect the "
                           "output");
    if (rc == 0 && fmt == CW_FMT_PDF)
        rc = cw_pdf_check();
    /* the SoA at --as-of: today's controls and scope with evidence as of
     * then, as every report of the client judges a past time */
    if (rc == 0 && a.as_of && strcmp(method, "soa.get") == 0)
        json_object_set_new(p, "as_recorded", json_false());
    if (rc == 0)
        rc = isms_call(ctx, method, p, &ans);
    json_decref(p);
    if (rc)
        return rc == 3 ? 0 : rc;
    /* What the document needs besides the answer, on one connection: the
     * SoA reads as the other reports do (names, versions, the cited
     * controls and evidence with their dates, the organisation's name
     * among them); the other ISMS reports name the organisation. */
    char *org_name = NULL;
    if (fmt != CW_FMT_JSON && (a.org || strcmp(method, "soa.get") == 0)) {
        cw_rpc c;
        if ((rc = cw_ctx_connect(ctx, &c)) != 0) {
            json_decref(ans);
            return rc;
        }
        if (strcmp(method, "soa.get") == 0) {
            rc = cw_report_context(&c, CW_REP_SOA, ans, &a.context);
        } else {
            json_t *q = json_pack("{s:s}", "org", a.org), *o = NULL;
            char *msg = NULL;
            if (q && cw_rpc_call(&c, "org.get", q, &o, &msg) == 0) {
                const char *nm = json_string_value(json_object_get(o, "name"));
                if (nm && *nm && strcmp(nm, a.org) != 0)
                    org_name = isms_fmt("Organisation: %s (%s)", nm, a.org);
            }
            free(msg);
            json_decref(q);
            json_decref(o);
        }
        cw_rpc_close(&c);
        if (rc) {
            json_decref(ans);
            return rc;
        }
    }
    cw_report r;
    memset(&r, 0, sizeof r);
    r.answer = ans;
    build(&r, &a, ans, fmt);
    if (org_name && !r.subtitle)
        r.subtitle = org_name;
    else
        free(org_name);
    rc = cw_emit(ctx, &r, fmt, a.output);
    cw_report_free(&r);
    json_decref(a.context);
    return rc;
}

/* ---- soa ----------------------------------------------------------------- */

static const char isms_help_soa[] =
    "Usage: crosswalk soa --org ORG [--as-of TIME | --version N] [--format FMT] [-o FILE]\n"
    "\n"
    "The ISO/IEC 27001:2022 Statement of Applicability (soa.get): every Annex A\n"
    "control with applicability, justification, its reasons (risk, with the risks\n"
    "that name its controls; legal, contractual, business), status, implementing\n"
    "controls and evidence; the rows included without a reason or excluded without\n"
    "a justification, the controls that treat no risk, and the approved versions.\n"
    "--version N shows approved version N as it was frozen. Approve one with\n"
    "`crosswalk call soa.approve '{\"org\": ORG, \"version\": N, \"approver\": WHO}'`.\n"
    "  --as-of TIME        YYYY-MM-DD, RFC 3339, local time or Unix seconds (default: now)\n"
    "  --format FMT        table|md|csv|json|html (default table)\n"
    "  -o, --output FILE   write to FILE instead of standard output\n";

/* Adds to the generic SoA report what an ISMS reads in it. */
static void isms_soa_more(cw_report *r, json_t *a)
{
    json_t *ctls = json_object_get(a, "controls"), *c;
    size_t n = json_array_size(ctls), i;
    if (r->csv_table < r->ntables && r->tables[r->csv_table].nrows == n) {
        char **reasons = isms_grow(NULL, (n + 1) * sizeof *reasons);
        char **risks = isms_grow(NULL, (n + 1) * sizeof *risks);
        json_array_foreach(ctls, i, c)
        {
            reasons[i] = isms_join(c, "reasons", ", ");
            risks[i] = isms_join(c, "risks", ", ");
        }
        isms_column(&r->tables[r->csv_table], "reasons", reasons);
        isms_column(&r->tables[r->csv_table], "risks", risks);
        free(reasons);
        free(risks);
    }
    json_t *v = json_object_get(a, "version");
    if (json_is_integer(v))
        isms_sum(r, "version", "%lld, approved by %s at %s%s", (long long)json_integer_value(v),
                 isms_s(a, "approver"), isms_s(a, "approved_at"),
                 json_is_true(json_object_get(a, "forced")) ? " (forced)" : "");
    else
        isms_sum(r, "version", "as it stands (not an approved version)");
    isms_sum(r, "sequence", "%ld", isms_l(a, "sequence"));
    json_t *un = json_object_get(a, "unjustified"), *u;
    isms_sum(r, "unjustified rows", "%zu", json_array_size(un));
    json_t *vs = json_object_get(a, "versions");
    json_t *last = json_array_get(vs, json_array_size(vs) - 1);
    if (last)
        isms_sum(r, "latest approved", "version %ld by %s at %s", isms_l(last, "version"),
                 isms_s(last, "approver"), isms_s(last, "approved_at"));
    else
        isms_sum(r, "latest approved", "none yet");
    static const char *const ucols[] = {"id", "why"};
    cw_table *t = isms_table(r, "Rows that need a reason or a justification", 2, ucols);
    json_array_foreach(un, i, u)
    {
        const char *cells[] = {isms_s(u, "id"), isms_s(u, "why")};
        isms_row(t, cells);
    }
    static const char *const ncols[] = {"control"};
    t = isms_table(r, "Controls that treat no risk", 1, ncols);
    json_array_foreach(json_object_get(a, "controls_treating_no_risk"), i, u)
    {
        const char *cells[] = {json_string_value(u)};
        isms_row(t, cells);
    }
    static const char *const vcols[] = {"version",  "approver", "approved at",
                                        "sequence", "forced",   "unjustified rows"};
    t = isms_table(r, "Approved versions", 6, vcols);
    static const char *const vkeys[] = {"version",  "approver", "approved_at",
                                        "sequence", "forced",   "unjustified"};
    json_array_foreach(vs, i, u) isms_text_row(t, u, vkeys);
}

/* The generic SoA report (report.c), then what an ISMS reads in it. */
static void isms_soa_report(cw_report *r, const isms_args *a, json_t *ans, cw_format fmt)
{
    (void)fmt;
    char err[256];
    if (cw_report_build(r, CW_REP_SOA, ans, NULL, a->context, false, err, sizeof err))
        fprintf(stderr, "crosswalk: %s\n", err); /* the answer alone is printed */
    isms_soa_more(r, ans);
}

static int isms_soa(const cw_ctx *ctx, int argc, char **argv)
{
    return isms_command(ctx, "soa", argc, argv, O_ORG | O_AS_OF | O_VERSION, isms_help_soa,
                        "soa.get", isms_soa_report);
}

/* ---- risks --------------------------------------------------------------- */

static const char isms_help_risks[] =
    "Usage: crosswalk risks --org ORG [--as-of TIME] [--assets] [--format FMT] [-o FILE]\n"
    "\n"
    "The risk register (risk.list) with each risk's scores and flags, and the heat\n"
    "map of likelihood against impact before and after treatment (risk.matrix);\n"
    "in HTML the heat maps are drawn as SVG. --assets gives the asset register\n"
    "instead (asset.list). The CSV of either is the file `crosswalk load --org ORG`\n"
    "reads back.\n"
    "  --as-of TIME        when to judge review and acceptance dates (default: now)\n"
    "  --format FMT        table|md|csv|json|html (default table)\n"
    "  -o, --output FILE   write to FILE instead of standard output\n";

/* The columns of the register's CSV, as import_isms.c reads them. */
static const char *const isms_risk_cols[] = {
    "id",          "title",       "description",         "assets",          "threat",    "owner",
    "likelihood",  "impact",      "residual_likelihood", "residual_impact", "treatment", "controls",
    "accepted_by", "accepted_at", "acceptance_expires",  "review_at"};
#define ISMS_RISK_COLS (sizeof isms_risk_cols / sizeof isms_risk_cols[0])

/* The heat map of one pair ("inherent", "residual") as a table: one row
 * per likelihood, highest first, one column per impact. */
static void isms_heat_table(cw_report *r, json_t *m, const char *which)
{
    long n = isms_l(m, "scale");
    json_t *grid = json_object_get(m, which);
    const char *cols[11] = {"likelihood \\ impact"};
    char names[10][4];
    for (long i = 0; i < n && i < 10; i++) {
        snprintf(names[i], sizeof names[i], "%ld", i + 1);
        cols[i + 1] = names[i];
    }
    char *caption = isms_fmt("Heat map, %s (risks per likelihood and impact)", which);
    cw_table *t = isms_table(r, caption, (size_t)n + 1, cols);
    free(caption);
    for (long l = n; l >= 1; l--) {
        char cells[11][24];
        const char *row[11] = {cells[0]};
        snprintf(cells[0], sizeof cells[0], "%ld", l);
        json_t *line = json_array_get(grid, (size_t)(l - 1));
        for (long i = 0; i < n; i++) {
            json_int_t k = json_integer_value(json_array_get(line, (size_t)i));
            snprintf(cells[i + 1], sizeof cells[0], "%lld", (long long)k);
            row[i + 1] = k ? cells[i + 1] : "-";
        }
        isms_row(t, row);
    }
}

/* The register report; the heat maps as tables too unless they are drawn
 * (HTML). */
static void isms_risk_report(cw_report *r, const char *org, json_t *list, json_t *m, bool drawn)
{
    r->title = isms_fmt("Risk register of %s", org);
    json_t *fl = json_object_get(m, "flagged");
    isms_sum(r, "as of", "%s", isms_s(m, "as_of"));
    isms_sum(r, "risks", "%ld", isms_l(m, "risks"));
    isms_sum(r, "scale", "likelihood and impact 1..%ld", isms_l(m, "scale"));
    isms_sum(r, "review overdue", "%ld", isms_l(fl, "review_overdue"));
    isms_sum(r, "acceptance expired", "%ld", isms_l(fl, "acceptance_expired"));
    isms_sum(r, "acceptance pending", "%ld", isms_l(fl, "acceptance_pending"));
    isms_sum(r, "residual not assessed", "%ld", isms_l(m, "residual_unassessed"));
    static const char *const scols[] = {"id",        "title",    "inherent", "residual",
                                        "treatment", "controls", "flags"};
    cw_table *s = isms_table(r, "Scores and flags", 7, scols);
    size_t i;
    json_t *k;
    json_array_foreach(list, i, k)
    {
        char *cells[] = {isms_text(k, "id"),         isms_text(k, "title"),
                         isms_text(k, "inherent"),   isms_text(k, "residual"),
                         isms_text(k, "treatment"),  isms_join(k, "controls", ", "),
                         isms_join(k, "flags", ", ")};
        isms_row(s, (const char *const *)cells);
        for (size_t c = 0; c < 7; c++)
            free(cells[c]);
    }
    if (!drawn) {
        isms_heat_table(r, m, "inherent");
        isms_heat_table(r, m, "residual");
    }
    r->csv_table = r->ntables;
    cw_table *t = isms_table(r, "Risk register", ISMS_RISK_COLS, isms_risk_cols);
    json_array_foreach(list, i, k) isms_text_row(t, k, isms_risk_cols);
}

/* The colour of a heat map cell of score s (likelihood x impact) on a
 * scale of n: green for the lowest scores through amber to red. */
static const char *isms_heat_fill(long s, long n)
{
    double x = (double)s / (double)(n * n);
    return x <= 0.12 ? "#c8e6c9" : x <= 0.3 ? "#fff59d" : x <= 0.55 ? "#ffcc80" : "#ef9a9a";
}

/* One heat map as inline SVG: likelihood up, impact across, each cell
 * coloured by its score and labelled with its count of risks. */
static void isms_heat_svg(FILE *out, json_t *m, const char *which, const char *title)
{
    long n = isms_l(m, "scale");
    double cell = n <= 5 ? 56 : 280.0 / (double)n, left = 64, top = 34;
    double size = cell * (double)n, w = left + size + 16, h = top + size + 46;
    json_t *grid = json_object_get(m, which);
    fprintf(out,
            "<svg class=\"heatmap\" id=\"heatmap-%s\" xmlns=\"http://www.w3.org/2000/svg\" "
            "width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
            "aria-label=\"%s risks by likelihood and impact\">\n"
            "<text x=\"%.0f\" y=\"20\" class=\"ttl\">%s</text>\n",
            which, w, h, w, h, which, left, title);
    for (long l = 1; l <= n; l++)
        for (long i = 1; i <= n; i++) {
            json_int_t k = json_integer_value(
                json_array_get(json_array_get(grid, (size_t)(l - 1)), (size_t)(i - 1)));
            double x = left + cell * (double)(i - 1), y = top + cell * (double)(n - l);
            fprintf(out,
                    "<rect class=\"cell\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                    "fill=\"%s\" stroke=\"#fff\" stroke-width=\"2\"><title>likelihood %ld, impact "
                    "%ld: %lld risk%s</title></rect>\n",
                    x, y, cell, cell, isms_heat_fill(l * i, n), l, i, (long long)k,
                    k == 1 ? "" : "s");
            if (k)
                fprintf(
                    out,
                    "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"n\">%lld</text>\n",
                    x + cell / 2, y + cell / 2 + 6, (long long)k);
        }
    for (long v = 1; v <= n; v++) {
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" class=\"ax\">%ld</text>\n",
                left - 6, top + cell * (double)(n - v) + cell / 2 + 4, v);
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"ax\">%ld</text>\n",
                left + cell * (double)(v - 1) + cell / 2, top + size + 16, v);
    }
    fprintf(
        out,
        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"ax\">impact</text>\n"
        "<text x=\"14\" y=\"%.1f\" text-anchor=\"middle\" class=\"ax\" transform=\"rotate(-90 14 "
        "%.1f)\">likelihood</text>\n</svg>\n",
        left + size / 2, top + size + 36, top + size / 2, top + size / 2);
}

/* Writes the HTML page render.c makes of r with the two heat maps before
 * its first section, so they lead the page. */
static int isms_risk_html(FILE *out, const cw_report *r, json_t *m)
{
    char *page = NULL, *maps = NULL;
    size_t np = 0, nm = 0;
    FILE *f = open_memstream(&page, &np), *g = open_memstream(&maps, &nm);
    if (!f || !g)
        isms_oom();
    int rc = cw_render(f, r, CW_FMT_HTML, false);
    fclose(f);
    fputs("<h2>Heat map</h2>\n<style>svg.heatmap{margin-right:2em}svg.heatmap "
          "text.ttl{font-size:14px;font-weight:600}svg.heatmap text.n{font-size:16px;"
          "font-weight:600}svg.heatmap text.ax{font-size:12px;fill:#333}</style>\n<div "
          "class=\"heatmaps\">\n",
          g);
    isms_heat_svg(g, m, "inherent", "Inherent risk");
    isms_heat_svg(g, m, "residual", "Residual risk (after treatment)");
    fputs("</div>\n", g);
    fclose(g);
    char *at = rc ? NULL : strstr(page, "<h2>");
    if (!at)
        at = rc ? NULL : strstr(page, "</body>");
    if (at) {
        fwrite(page, 1, (size_t)(at - page), out);
        fputs(maps, out);
        fputs(at, out);
    }
    free(page);
    free(maps);
    return at && fflush(out) == 0 && !ferror(out) ? 0 : -1;
}

static void isms_asset_report(cw_report *r, const char *org, json_t *list)
{
    r->title = isms_fmt("Assets of %s", org);
    isms_sum(r, "assets", "%zu", json_array_size(list));
    static const char *const cols[] = {"id", "name", "owner", "classification"};
    r->csv_table = r->ntables;
    cw_table *t = isms_table(r, "Asset register", 4, cols);
    size_t i;
    json_t *k;
    json_array_foreach(list, i, k)
    {
        const char *cells[] = {isms_s(k, "id"), isms_s(k, "name"), isms_s(k, "owner"),
                               isms_s(k, "classification")};
        isms_row(t, cells);
    }
}

static int isms_risks(const cw_ctx *ctx, int argc, char **argv)
{
    isms_args a = {0};
    cw_format fmt;
    json_t *p = NULL, *list = NULL, *m = NULL;
    int rc =
        isms_begin("risks", argc, argv, O_ORG | O_AS_OF | O_ASSETS, isms_help_risks, &a, &fmt, &p);
    if (rc)
        return rc == 3 ? 0 : rc;
    if (a.assets) {
        json_object_del(p, "as_of");
        rc = isms_call(ctx, "asset.list", p, &list);
    } else if (!(rc = isms_call(ctx, "risk.list", p, &list))) {
        rc = isms_call(ctx, "risk.matrix", p, &m);
    }
    json_decref(p);
    if (rc) {
        json_decref(list);
        return rc;
    }
    cw_report r;
    memset(&r, 0, sizeof r);
    if (a.assets) {
        r.answer = list;
        isms_asset_report(&r, a.org, list);
    } else {
        r.answer = json_pack("{s:O,s:O}", "register", list, "matrix", m);
        if (!r.answer)
            isms_oom();
        isms_risk_report(&r, a.org, list, m, fmt == CW_FMT_HTML);
        json_decref(list);
    }
    if (fmt == CW_FMT_HTML && m) {
        FILE *out = a.output ? fopen(a.output, "w") : stdout;
        rc = out ? isms_risk_html(out, &r, m) : -1;
        if (out && a.output && fclose(out))
            rc = -1;
        if (rc) {
            fprintf(stderr, "crosswalk: writing %s failed\n", a.output ? a.output : "the report");
            rc = CW_EXIT_ERROR;
        }
    } else {
        rc = cw_emit(ctx, &r, fmt, a.output);
    }
    json_decref(m);
    cw_report_free(&r);
    return rc;
}

/* ---- audit ----------------------------------------------------------------- */

static const char isms_help_audit[] =
    "Usage: crosswalk audit checklist --org ORG --audit ID [--as-of TIME] [--format FMT] [-o FILE]\n"
    "       crosswalk audit list --org ORG [--format FMT] [-o FILE]\n"
    "\n"
    "checklist: an internal audit's working paper (audit.checklist): every assessed\n"
    "requirement in the audit's scope with what to look for, its current status,\n"
    "the controls and evidence behind it, the findings open on it, and a result\n"
    "column for the auditor to fill (boxes to tick in HTML, empty in CSV).\n"
    "list: the audit programme (audit.list).\n"
    "  --as-of TIME        YYYY-MM-DD, RFC 3339, local time or Unix seconds (default: now)\n"
    "  --format FMT        table|md|csv|json|html (default table)\n"
    "  -o, --output FILE   write to FILE instead of standard output\n";

static void isms_checklist_report(cw_report *r, json_t *a, bool boxes)
{
    json_t *u = json_object_get(a, "audit"), *counts = json_object_get(a, "counts");
    r->title = isms_fmt("Internal audit %s (%s): checklist for %s", isms_s(u, "id"),
                        isms_s(u, "framework"), isms_s(a, "org"));
    char *scope = isms_join(u, "scope", ", ");
    isms_sum(r, "audit", "%s%s%s", isms_s(u, "id"), *isms_s(u, "title") ? ": " : "",
             isms_s(u, "title"));
    isms_sum(r, "framework", "%s", isms_s(u, "framework"));
    isms_sum(r, "scope", "%s", scope);
    free(scope);
    isms_sum(r, "auditor", "%s", *isms_s(u, "auditor") ? isms_s(u, "auditor") : "-");
    isms_sum(r, "status", "%s", isms_s(u, "status"));
    /* the plan as far as the audit has one: both dates, one, or none */
    const char *ps = isms_s(u, "planned_start"), *pe = isms_s(u, "planned_end");
    if (*ps && *pe)
        isms_sum(r, "planned", "%s to %s", ps, pe);
    else if (*ps || *pe)
        isms_sum(r, "planned", "%s %s", *ps ? "from" : "until", *ps ? ps : pe);
    else
        isms_sum(r, "planned", "not scheduled");
    isms_sum(r, "as of", "%s", isms_s(a, "as_of"));
    json_t *items = json_object_get(a, "items");
    isms_sum(r, "requirements to check", "%zu", json_array_size(items));
    for (size_t s = 0; s < 5; s++)
        isms_sum(r, isms_statuses[s], "%ld", isms_l(counts, isms_statuses[s]));
    r->chart.series = isms_statuses;
    r->chart.nseries = 6;
    static const char *const cols[] = {
        "requirement",      "title",         "group",  "what to look for", "status", "controls",
        "current evidence", "open findings", "result", "auditor's notes"};
    r->csv_table = r->ntables;
    cw_table *t = isms_table(r, "Checklist", 10, cols);
    t->status_col = 4;
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        isms_chart(&r->chart, isms_s(it, "group"), isms_s(it, "status"));
        char *ctl = isms_join(it, "controls", ", "), *ev = isms_join(it, "evidence", ", ");
        char *fs = isms_join(it, "findings", ", ");
        const char *cells[] = {isms_s(it, "id"), isms_s(it, "title"), isms_s(it, "group"),
                               isms_s(it, "look_for"), isms_s(it, "status"), ctl, ev, fs,
                               /* each option kept whole when the cell wraps */
                               boxes ? "\u2610\u00a0conforms \u2610\u00a0minor\u00a0NC "
                                       "\u2610\u00a0major\u00a0NC \u2610\u00a0observation"
                                     : "",
                               ""};
        isms_row(t, cells);
        free(ctl);
        free(ev);
        free(fs);
    }
    static const char *const xcols[] = {"requirement"};
    t = isms_table(r, "In scope but excluded by a scope decision", 1, xcols);
    json_array_foreach(json_object_get(a, "excluded"), i, it)
    {
        const char *cells[] = {json_string_value(it)};
        isms_row(t, cells);
    }
    r->nlegend = 6;
    r->legend_key = isms_statuses;
    r->legend_val = isms_status_meaning;
}

static void isms_audits_report(cw_report *r, const char *org, json_t *list)
{
    r->title = isms_fmt("Internal audit programme of %s", org);
    isms_sum(r, "audits", "%zu", json_array_size(list));
    static const char *const cols[] = {
        "id", "title", "framework", "scope", "planned start", "planned end", "auditor", "status"};
    r->csv_table = r->ntables;
    cw_table *t = isms_table(r, "Audits", 8, cols);
    size_t i;
    json_t *u;
    json_array_foreach(list, i, u)
    {
        char *scope = isms_join(u, "scope", ", ");
        const char *cells[] = {isms_s(u, "id"),
                               isms_s(u, "title"),
                               isms_s(u, "framework"),
                               scope,
                               isms_s(u, "planned_start"),
                               isms_s(u, "planned_end"),
                               isms_s(u, "auditor"),
                               isms_s(u, "status")};
        isms_row(t, cells);
        free(scope);
    }
}

static void isms_checklist_build(cw_report *r, const isms_args *a, json_t *ans, cw_format fmt)
{
    (void)a;
    isms_checklist_report(r, ans, fmt == CW_FMT_HTML);
}

static void isms_audits_build(cw_report *r, const isms_args *a, json_t *ans, cw_format fmt)
{
    (void)fmt;
    isms_audits_report(r, a->org, ans);
}

static int isms_audit(const cw_ctx *ctx, int argc, char **argv)
{
    const char *sub = argc > 1 ? argv[1] : NULL;
    bool checklist = sub && strcmp(sub, "checklist") == 0;
    if (!checklist && !(sub && strcmp(sub, "list") == 0)) {
        for (int i = 1; i < argc; i++)
            if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
                fputs(isms_help_audit, stdout);
                return 0;
            }
        if (sub)
            return cw_usage("audit", "unknown subcommand '%s' (checklist or list)", sub);
        return cw_usage("audit", "checklist or list is missing");
    }
    /* the subcommand stands where a command's own name does */
    if (checklist)
        return isms_command(ctx, "audit checklist", argc - 1, argv + 1, O_ORG | O_AUDIT | O_AS_OF,
                            isms_help_audit, "audit.checklist", isms_checklist_build);
    return isms_command(ctx, "audit list", argc - 1, argv + 1, O_ORG, isms_help_audit, "audit.list",
                        isms_audits_build);
}

/* ---- findings ------------------------------------------------------------ */

static const char isms_help_findings[] =
    "Usage: crosswalk findings --org ORG [--audit ID] [--framework FW] [--requirement ID]\n"
    "                          [--as-of TIME] [--format FMT] [-o FILE]\n"
    "\n"
    "The internal audit findings (finding.list): kind, status, the requirement,\n"
    "whether each is open and its corrective action overdue at --as-of, owner,\n"
    "root cause, corrective action, due date and effectiveness check.\n"
    "  --as-of TIME        YYYY-MM-DD, RFC 3339, local time or Unix seconds (default: now)\n"
    "  --format FMT        table|md|csv|json|html (default table)\n"
    "  -o, --output FILE   write to FILE instead of standard output\n";

static void isms_findings_report(cw_report *r, const char *org, json_t *list)
{
    r->title = isms_fmt("Audit findings of %s", org);
    long open = 0, major = 0, minor = 0, overdue = 0;
    size_t i;
    json_t *f;
    json_array_foreach(list, i, f)
    {
        bool o = json_is_true(json_object_get(f, "open"));
        open += o;
        major += o && strcmp(isms_s(f, "kind"), "major_nc") == 0;
        minor += o && strcmp(isms_s(f, "kind"), "minor_nc") == 0;
        overdue += json_is_true(json_object_get(f, "overdue"));
    }
    isms_sum(r, "findings", "%zu", json_array_size(list));
    isms_sum(r, "open", "%ld", open);
    isms_sum(r, "open major nonconformities", "%ld", major);
    isms_sum(r, "open minor nonconformities", "%ld", minor);
    isms_sum(r, "corrective actions overdue", "%ld", overdue);
    static const char *const cols[] = {"id",           "audit",
                                       "framework",    "requirement",
                                       "kind",         "status",
                                       "open",         "overdue",
                                       "raised",       "due",
                                       "closed",       "owner",
                                       "root cause",   "corrective action",
                                       "effectiveness"};
    static const char *const keys[] = {
        "id",        "audit", "framework",  "requirement",       "kind",
        "status",    "open",  "overdue",    "raised_at",         "due_at",
        "closed_at", "owner", "root_cause", "corrective_action", "effectiveness"};
    r->csv_table = r->ntables;
    cw_table *t = isms_table(r, "Findings", 15, cols);
    json_array_foreach(list, i, f) isms_text_row(t, f, keys);
}

static void isms_findings_build(cw_report *r, const isms_args *a, json_t *ans, cw_format fmt)
{
    (void)fmt;
    isms_findings_report(r, a->org, ans);
}

static int isms_findings(const cw_ctx *ctx, int argc, char **argv)
{
    return isms_command(ctx, "findings", argc, argv,
                        O_ORG | O_AS_OF | O_AUDIT | O_FRAMEWORK | O_REQUIREMENT, isms_help_findings,
                        "finding.list", isms_findings_build);
}

/* ---- the commands ------------------------------------------------------- */

static const struct {
    const char *name;
    int (*run)(const cw_ctx *ctx, int argc, char **argv);
} isms_commands[] = {
    {"soa", isms_soa}, {"risks", isms_risks}, {"audit", isms_audit}, {"findings", isms_findings}};

int cw_cmd_isms(const cw_ctx *ctx, const char *cmd, int argc, char **argv)
{
    for (size_t i = 0; i < sizeof isms_commands / sizeof isms_commands[0]; i++)
        if (strcmp(cmd, isms_commands[i].name) == 0)
            return isms_commands[i].run(ctx, argc, argv);
    return cw_usage(NULL, "unknown command '%s'", cmd);
}
