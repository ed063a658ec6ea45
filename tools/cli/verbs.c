/* verbs.c: `crosswalk org|control|evidence|scope list|get|put|delete`, one
 * kind of record at a time, so that nobody has to write a method's JSON by
 * hand to add a control, record evidence or decide the scope of the
 * Statement of Applicability.
 *
 * list and get show what the server answers as a table (or in any report
 * format: md, csv, json, html), one row per record or one per field; the
 * long lists (controls, evidence) are read a page at a time, so no list
 * is too large to answer.  put writes one record from flags, or a file of
 * them: the project's controls and evidence CSV go through the importers
 * and the `load` machinery (load.c), and a scope CSV (framework, id,
 * applicable, justification) is read here, each row checked and every
 * problem named by file and line before anything is sent.  put --dry-run
 * has the server check and count without writing.  delete removes the
 * records named.
 *
 * Every action's options come from one table (cw_vopts); an action takes
 * the ones its bits select, so `crosswalk control put --help` and its
 * parser cannot disagree. */
#include "cli.h"

#include "csvfile.h"

#include <crosswalk/check.h>
#include <crosswalk/model.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* What the options of every action fill. */
typedef struct vargs {
    const char *org, *framework, *format, *output, *file, *as_of, *name, *title, *owner, *status,
        *kind, *source, *uri, *sha256, *collected_at, *valid_until, *result, *justification,
        *control;
    cw_strs links, controls, reasons;
    bool dry_run, include, exclude;
} vargs;

/* The options, by bit. */
enum {
    O_ORG = 1u << 0,
    O_FRAMEWORK = 1u << 1,
    O_FORMAT = 1u << 2, /* --format and -o */
    O_FILE = 1u << 3,
    O_DRY = 1u << 4,
    O_AS_OF = 1u << 5,
    O_NAME = 1u << 6,
    O_CONTROL = 1u << 7, /* --control C: one control's evidence */
    O_CTL_FIELDS = 1u << 8,
    O_EV_FIELDS = 1u << 9,
    O_SCOPE_FIELDS = 1u << 10,
};

/* The option table for a; mask selects what an action takes. */
static size_t cw_vopts(vargs *a, unsigned mask, cw_opt *out)
{
    const struct {
        unsigned bit;
        cw_opt o;
    } all[] = {
        {O_ORG, {"--org", NULL, true, &a->org, NULL, NULL}},
        {O_FRAMEWORK, {"--framework", NULL, true, &a->framework, NULL, NULL}},
        {O_FORMAT, {"--format", NULL, true, &a->format, NULL, NULL}},
        {O_FORMAT, {"--output", "-o", true, &a->output, NULL, NULL}},
        {O_FILE, {"--file", NULL, true, &a->file, NULL, NULL}},
        {O_DRY, {"--dry-run", NULL, false, NULL, &a->dry_run, NULL}},
        {O_AS_OF, {"--as-of", NULL, true, &a->as_of, NULL, NULL}},
        {O_NAME, {"--name", NULL, true, &a->name, NULL, NULL}},
        {O_CONTROL, {"--control", NULL, true, &a->control, NULL, NULL}},
        {O_CTL_FIELDS, {"--title", NULL, true, &a->title, NULL, NULL}},
        {O_CTL_FIELDS, {"--owner", NULL, true, &a->owner, NULL, NULL}},
        {O_CTL_FIELDS, {"--status", NULL, true, &a->status, NULL, NULL}},
        {O_CTL_FIELDS, {"--link", NULL, true, NULL, NULL, &a->links}},
        {O_EV_FIELDS, {"--control", NULL, true, NULL, NULL, &a->controls}},
        {O_EV_FIELDS, {"--collected-at", NULL, true, &a->collected_at, NULL, NULL}},
        {O_EV_FIELDS, {"--result", NULL, true, &a->result, NULL, NULL}},
        {O_EV_FIELDS, {"--valid-until", NULL, true, &a->valid_until, NULL, NULL}},
        {O_EV_FIELDS, {"--kind", NULL, true, &a->kind, NULL, NULL}},
        {O_EV_FIELDS, {"--title", NULL, true, &a->title, NULL, NULL}},
        {O_EV_FIELDS, {"--source", NULL, true, &a->source, NULL, NULL}},
        {O_EV_FIELDS, {"--uri", NULL, true, &a->uri, NULL, NULL}},
        {O_EV_FIELDS, {"--sha256", NULL, true, &a->sha256, NULL, NULL}},
        {O_SCOPE_FIELDS, {"--exclude", NULL, false, NULL, &a->exclude, NULL}},
        {O_SCOPE_FIELDS, {"--include", NULL, false, NULL, &a->include, NULL}},
        {O_SCOPE_FIELDS, {"--justification", NULL, true, &a->justification, NULL, NULL}},
        {O_SCOPE_FIELDS, {"--reason", NULL, true, NULL, NULL, &a->reasons}},
    };
    size_t n = 0;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (mask & all[i].bit)
            out[n++] = all[i].o;
    return n;
}

#define OUT_HELP                                                                                   \
    "  --format FMT        table|md|csv|json|html (default table)\n"                               \
    "  -o, --output FILE   write to FILE instead of standard output (- is standard output)\n"
#define DRY_HELP                                                                                   \
    "  --dry-run           have the server check and count what would be written;\n"               \
    "                      nothing is written\n"

static const char h_org[] =
    "Usage: crosswalk org ACTION ...\n"
    "\n"
    "Organisations (org.list, org.get, org.put, org.delete):\n"
    "  org list                      every organisation the token may see\n"
    "  org get ORG                   one organisation\n"
    "  org put ORG [--name NAME]     create it, or rename it\n"
    "  org delete ORG                delete it with all its controls, evidence and\n"
    "                                scope decisions (admin)\n"
    "`crosswalk help org ACTION` for each.\n";
static const char h_org_list[] = "Usage: crosswalk org list [--format FMT] [-o FILE]\n"
                                 "\n"
                                 "Lists the organisations the token may see (org.list).\n" OUT_HELP;
static const char h_org_get[] =
    "Usage: crosswalk org get ORG [--format FMT] [-o FILE]\n"
    "\n"
    "Shows one organisation (org.get); ORG may also be --org ORG.\n" OUT_HELP;
static const char h_org_put[] = "Usage: crosswalk org put ORG [--name NAME] [--dry-run]\n"
                                "\n"
                                "Creates the organisation ORG (a slug), or renames it (org.put).\n"
                                "  --name NAME         its display name\n" DRY_HELP;
static const char h_org_delete[] =
    "Usage: crosswalk org delete ORG\n"
    "\n"
    "Deletes ORG and every control, evidence record and scope decision it holds\n"
    "(org.delete; admin role).\n";

static const char h_control[] =
    "Usage: crosswalk control ACTION --org ORG ...\n"
    "\n"
    "An organisation's controls (control.list, control.get, control.put,\n"
    "control.delete):\n"
    "  control list --org ORG            every control, with its links\n"
    "  control get --org ORG ID          one control, with its state and the\n"
    "                                    evidence that decides it\n"
    "  control put --org ORG ID [...]    write one control from flags\n"
    "  control put --org ORG --file F    write the controls of a controls CSV\n"
    "  control delete --org ORG ID...    delete controls (their evidence stays)\n"
    "`crosswalk help control ACTION` for each.\n";
static const char h_control_list[] =
    "Usage: crosswalk control list --org ORG [--format FMT] [-o FILE]\n"
    "\n"
    "Lists the organisation's controls by id, with owner, status and links\n"
    "(control.list, a page at a time).\n" OUT_HELP;
static const char h_control_get[] =
    "Usage: crosswalk control get --org ORG ID [--as-of TIME] [--format FMT] [-o FILE]\n"
    "\n"
    "Shows one control: its fields, its links, its state at --as-of (default now:\n"
    "effective, unverified, stale, failing or inactive) and the evidence that\n"
    "decides it (control.get).\n"
    "  --as-of TIME        YYYY-MM-DD, RFC 3339, local time or Unix seconds\n" OUT_HELP;
static const char h_control_put[] =
    "Usage: crosswalk control put --org ORG ID [--title T] [--owner O] [--status S]\n"
    "                             [--link FW/ID[:full|:partial]]... [--dry-run]\n"
    "       crosswalk control put --org ORG --file CONTROLS.csv [--dry-run]\n"
    "\n"
    "Writes one control from its flags, or every control of a controls CSV\n"
    "(id,title,owner,status,links; - reads standard input) as `crosswalk load`\n"
    "would (control.put).  A put replaces the control: a field not given is\n"
    "empty, and the links are exactly those given.\n"
    "  --title T           short title\n"
    "  --owner O           who answers for it\n"
    "  --status S          implemented (default), planned or not_implemented\n"
    "  --link FW/ID[:LEVEL]\n"
    "                      a requirement it claims, at level full (default) or\n"
    "                      partial; give --link once for each\n"
    "  --file FILE         a controls CSV instead of one control's flags\n" DRY_HELP;
static const char h_control_delete[] = "Usage: crosswalk control delete --org ORG ID...\n"
                                       "\n"
                                       "Deletes the controls (control.delete); the evidence "
                                       "behind them stays.\n";

static const char h_evidence[] =
    "Usage: crosswalk evidence ACTION --org ORG ...\n"
    "\n"
    "An organisation's evidence (evidence.list, evidence.get, evidence.put,\n"
    "evidence.delete):\n"
    "  evidence list --org ORG [--control C]  every record, or one control's\n"
    "  evidence get --org ORG ID              one record\n"
    "  evidence put --org ORG ID [...]        write one record from flags\n"
    "  evidence put --org ORG --file F        write the records of an evidence CSV\n"
    "  evidence delete --org ORG ID...        delete records\n"
    "`crosswalk help evidence ACTION` for each.\n";
static const char h_evidence_list[] =
    "Usage: crosswalk evidence list --org ORG [--control C] [--format FMT] [-o FILE]\n"
    "\n"
    "Lists the organisation's evidence by id (a page at a time), or one\n"
    "control's by collection time (evidence.list).\n"
    "  --control C         only the evidence behind control C\n" OUT_HELP;
static const char h_evidence_get[] =
    "Usage: crosswalk evidence get --org ORG ID [--format FMT] [-o FILE]\n"
    "\n"
    "Shows one evidence record (evidence.get).\n" OUT_HELP;
static const char h_evidence_put[] =
    "Usage: crosswalk evidence put --org ORG ID --control C [--control C2]...\n"
    "                              --collected-at TIME --result pass|fail|unknown\n"
    "                              [--valid-until TIME] [--kind K] [--title T]\n"
    "                              [--source S] [--uri U] [--sha256 HEX] [--dry-run]\n"
    "       crosswalk evidence put --org ORG --file EVIDENCE.csv [--dry-run]\n"
    "\n"
    "Writes one evidence record from its flags, or every record of an evidence\n"
    "CSV (id,controls,kind,title,source,uri,sha256,collected_at,valid_until,\n"
    "result; - reads standard input) as `crosswalk load` would (evidence.put).\n"
    "  --control C         a control it bears on; give --control once for each\n"
    "  --collected-at TIME when it was collected\n"
    "  --result R          pass, fail or unknown\n"
    "  --valid-until TIME  the last moment it counts (default: no expiry)\n"
    "  --kind K            document, log, test, screenshot, attestation, scan, ...\n"
    "  --title T, --source S, --uri U, --sha256 HEX\n"
    "                      what it is, where it came from and is kept, its hash\n"
    "  --file FILE         an evidence CSV instead of one record's flags\n"
    "Times: YYYY-MM-DD, RFC 3339, local time or Unix seconds.\n" DRY_HELP;
static const char h_evidence_delete[] = "Usage: crosswalk evidence delete --org ORG ID...\n"
                                        "\n"
                                        "Deletes the evidence records (evidence.delete).\n";

static const char h_scope[] =
    "Usage: crosswalk scope ACTION --org ORG ...\n"
    "\n"
    "Scope decisions: which assessed requirements are excluded (not applicable,\n"
    "with a justification: the Statement of Applicability's exclusions) and why\n"
    "those that are in are in (scope.list, scope.put, scope.delete):\n"
    "  scope list --org ORG [--framework FW]\n"
    "  scope get --org ORG --framework FW ID\n"
    "  scope put --org ORG --framework FW --exclude|--include --justification J ID...\n"
    "  scope put --org ORG --file SCOPE.csv\n"
    "  scope delete --org ORG --framework FW ID...\n"
    "`crosswalk help scope ACTION` for each.\n";
static const char h_scope_list[] =
    "Usage: crosswalk scope list --org ORG [--framework FW] [--format FMT] [-o FILE]\n"
    "\n"
    "Lists the organisation's scope decisions (scope.list).\n"
    "  --framework FW      only this framework's\n" OUT_HELP;
static const char h_scope_get[] =
    "Usage: crosswalk scope get --org ORG --framework FW ID [--format FMT] [-o FILE]\n"
    "\n"
    "Shows the decision on one requirement (from scope.list).\n" OUT_HELP;
static const char h_scope_put[] =
    "Usage: crosswalk scope put --org ORG --framework FW --exclude|--include\n"
    "                           [--justification TEXT] [--reason R]... [--dry-run] ID...\n"
    "       crosswalk scope put --org ORG --file SCOPE.csv [--dry-run]\n"
    "\n"
    "Records scope decisions (scope.put): --exclude makes each requirement ID not\n"
    "applicable, --include records that it is in (and why). Only assessed\n"
    "requirements are decided, each alone (not its children); in iso27001-2022\n"
    "only Annex A controls can be excluded.\n"
    "  --framework FW      the requirements' framework\n"
    "  --exclude           not applicable\n"
    "  --include           applicable (a justification for the SoA)\n"
    "  --justification J   why, as the Statement of Applicability shows it\n"
    "  --reason R          with --include: legal, contractual or business (the SoA's\n"
    "                      reasons besides the risks its controls treat); once for each\n"
    "  --file FILE         a scope CSV (- reads standard input) with the header\n"
    "                      framework,id,applicable,justification (any order and\n"
    "                      case); applicable is true or false (yes, no, 1, 0)\n" DRY_HELP;
static const char h_scope_delete[] =
    "Usage: crosswalk scope delete --org ORG --framework FW ID...\n"
    "\n"
    "Deletes the decisions on the requirements (scope.delete): they are\n"
    "assessed again.\n";

/* ---- output ----------------------------------------------------------- */

/* Writes a value of an answer as one table cell: strings as they are,
 * lists joined, a link as fw/id:level, nil or an empty list as "-". */
static void cw_cell_put(FILE *f, json_t *v)
{
    if (json_is_string(v)) {
        fputs(json_string_value(v), f);
    } else if (json_is_integer(v)) {
        fprintf(f, "%lld", (long long)json_integer_value(v));
    } else if (json_is_boolean(v)) {
        fputs(json_is_true(v) ? "true" : "false", f);
    } else if (json_is_array(v) && json_array_size(v)) {
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e)
        {
            fputs(i ? ", " : "", f);
            if (json_is_object(e) && json_object_get(e, "framework"))
                fprintf(f, "%s/%s:%s", json_string_value(json_object_get(e, "framework")),
                        json_string_value(json_object_get(e, "id")),
                        json_string_value(json_object_get(e, "level")));
            else
                cw_cell_put(f, e);
        }
    } else {
        fputc('-', f);
    }
}

/* The cell of v, malloc'd (the caller frees it), or NULL out of memory. */
static char *cw_cell(json_t *v)
{
    char *s = NULL;
    size_t n;
    FILE *f = open_memstream(&s, &n);
    if (!f)
        return NULL;
    cw_cell_put(f, v);
    if (fclose(f)) {
        free(s);
        return NULL;
    }
    return s;
}

/* Shows answer (taken over) in a's format: one row per record of a list
 * answer, with the fields keys as columns; one row per field (of keys) of
 * a single record. */
static int cw_show(const cw_ctx *ctx, const char *cmd, const vargs *a, const char *title,
                   json_t *answer, const char *const *keys, size_t nkeys)
{
    cw_format fmt;
    int rc = cw_format_for(cmd, a->format, a->output, &fmt);
    if (rc) {
        json_decref(answer);
        return rc;
    }
    cw_report r;
    memset(&r, 0, sizeof r);
    r.title = strdup(title);
    r.tables = calloc(1, sizeof *r.tables);
    r.answer = answer;
    bool list = json_is_array(answer);
    static const char *const kv[] = {"field", "value"};
    rc = !r.title || !r.tables ||
         cw_table_init(r.tables, list ? "records" : "fields", list ? nkeys : 2, list ? keys : kv);
    if (rc == 0)
        r.ntables = 1;
    char *cells[16] = {0};
    rc |= nkeys > 16;
    size_t i;
    json_t *rec;
    if (rc == 0 && list) {
        json_array_foreach(answer, i, rec)
        {
            for (size_t k = 0; k < nkeys; k++) {
                free(cells[k]);
                rc |= !(cells[k] = cw_cell(json_object_get(rec, keys[k])));
            }
            if (rc == 0)
                rc = cw_table_add(r.tables, (const char *const *)cells);
        }
    } else if (rc == 0) {
        for (size_t k = 0; rc == 0 && k < nkeys; k++) {
            json_t *v = json_object_get(answer, keys[k]);
            if (!v)
                continue;
            free(cells[0]);
            rc |= !(cells[0] = cw_cell(v));
            const char *row[] = {keys[k], cells[0]};
            if (rc == 0)
                rc = cw_table_add(r.tables, row);
        }
    }
    for (size_t k = 0; k < 16; k++)
        free(cells[k]);
    if (rc) {
        fprintf(stderr, "crosswalk: out of memory\n");
        rc = CW_EXIT_ERROR;
    } else {
        rc = cw_emit(ctx, &r, fmt, a->output);
    }
    cw_report_free(&r);
    return rc;
}

/* Calls method with params (taken over); 0 with *res, or CW_EXIT_ERROR
 * (said, with the names the user may have meant). */
static int cw_vcall(const cw_ctx *ctx, const char *method, json_t *params, json_t **res)
{
    cw_rpc c;
    int rc = cw_ctx_connect(ctx, &c);
    if (rc == 0) {
        rc = cw_ctx_call(&c, method, params, res);
        cw_rpc_close(&c);
    }
    json_decref(params);
    return rc;
}

/* The whole of a paged list (control.list, evidence.list): pages of 1000
 * records after the previous page's last id, until one comes back short. */
static int cw_vlist_pages(const cw_ctx *ctx, const char *method, json_t *params, json_t **all)
{
    enum { PAGE = 1000 };
    cw_rpc c;
    int rc = cw_ctx_connect(ctx, &c);
    bool open = rc == 0;
    *all = json_array();
    json_object_set_new(params, "limit", json_integer(PAGE));
    while (rc == 0) {
        json_t *page = NULL;
        if ((rc = cw_ctx_call(&c, method, params, &page)) != 0)
            break;
        size_t n = json_array_size(page);
        json_array_extend(*all, page);
        json_t *last = json_object_get(json_array_get(page, n ? n - 1 : 0), "id");
        if (n == PAGE && json_is_string(last))
            json_object_set(params, "cursor", last);
        json_decref(page);
        if (n < PAGE)
            break;
    }
    if (open)
        cw_rpc_close(&c);
    json_decref(params);
    if (rc) {
        json_decref(*all);
        *all = NULL;
    }
    return rc;
}

/* Prints what a write did: "acme: controls: created 1, updated 0,
 * unchanged 0, rejected 0", with the dry run's wording. */
static void cw_wrote(const char *org, const char *what, json_t *res, bool dry)
{
    long t[CW_N_COUNTS] = {0};
    cw_counts_add(res, t);
    char text[160];
    cw_counts_text(t, dry, text, sizeof text);
    printf("%s%s%s: %s%s\n", org ? org : "", org ? ": " : "", what, text,
           dry ? " (dry run; nothing written)" : "");
}

/* ---- the actions ------------------------------------------------------ */

typedef struct vctx {
    const cw_ctx *ctx;
    const char *cmd; /* "control put", for messages */
    vargs *a;
    char **pos;
    size_t npos;
} vctx;

/* The organisation: --org, or (org commands) the first argument. */
static const char *v_org(vctx *v, bool positional)
{
    if (positional && v->npos == 1 && !v->a->org)
        return v->pos[0];
    return v->a->org;
}

static int v_need(vctx *v, bool cond, const char *what)
{
    return cond ? 0 : cw_usage(v->cmd, "%s", what);
}

static const char *const org_keys[] = {"org", "name"};
static const char *const ctl_keys[] = {"id",    "title", "owner",   "status",
                                       "links", "state", "evidence"};
static const char *const ev_keys[] = {"id",  "controls", "kind",         "title",  "source",
                                      "uri", "sha256",   "collected_at", "result", "valid_until"};
static const char *const scope_keys[] = {"framework", "id", "applicable", "justification"};

static int org_list(vctx *v)
{
    json_t *res;
    int rc = cw_vcall(v->ctx, "org.list", NULL, &res);
    return rc ? rc : cw_show(v->ctx, v->cmd, v->a, "Organisations", res, org_keys, 2);
}

static int org_get(vctx *v)
{
    const char *org = v_org(v, true);
    int rc = v_need(v, org && v->npos <= (v->a->org ? 0u : 1u), "give one ORG");
    json_t *res;
    if (rc || (rc = cw_vcall(v->ctx, "org.get", json_pack("{s:s}", "org", org), &res)))
        return rc;
    char title[160];
    snprintf(title, sizeof title, "Organisation %s", org);
    return cw_show(v->ctx, v->cmd, v->a, title, res, org_keys, 2);
}

static int org_put(vctx *v)
{
    const char *org = v_org(v, true);
    int rc = v_need(v, org && v->npos <= (v->a->org ? 0u : 1u), "give one ORG");
    if (rc)
        return rc;
    json_t *p = json_pack("{s:s}", "org", org), *res;
    if (v->a->name)
        json_object_set_new(p, "name", json_string(v->a->name));
    if (v->a->dry_run)
        json_object_set_new(p, "dry_run", json_true());
    if ((rc = cw_vcall(v->ctx, "org.put", p, &res)))
        return rc;
    bool created = json_is_true(json_object_get(res, "created"));
    printf("%s: organisation %s%s\n", org,
           v->a->dry_run ? (created ? "would be created" : "would be updated")
                         : (created ? "created" : "updated"),
           v->a->dry_run ? " (dry run; nothing written)" : "");
    json_decref(res);
    return 0;
}

static int org_delete(vctx *v)
{
    const char *org = v_org(v, true);
    int rc = v_need(v, org && v->npos <= (v->a->org ? 0u : 1u), "give one ORG");
    json_t *res;
    if (rc || (rc = cw_vcall(v->ctx, "org.delete", json_pack("{s:s}", "org", org), &res)))
        return rc;
    printf("%s: organisation deleted, with %lld records\n", org,
           (long long)json_integer_value(json_object_get(res, "deleted")));
    json_decref(res);
    return 0;
}

static int ctl_list(vctx *v)
{
    int rc = v_need(v, v->a->org && !v->npos, "--org is required, and no ID");
    json_t *all;
    if (rc ||
        (rc = cw_vlist_pages(v->ctx, "control.list", json_pack("{s:s}", "org", v->a->org), &all)))
        return rc;
    char title[160];
    snprintf(title, sizeof title, "Controls of %s", v->a->org);
    return cw_show(v->ctx, v->cmd, v->a, title, all, ctl_keys, 5);
}

static int ctl_get(vctx *v)
{
    int rc = v_need(v, v->a->org && v->npos == 1, "--org and one control ID are required");
    json_t *p = rc ? NULL : json_pack("{s:s,s:s}", "org", v->a->org, "id", v->pos[0]), *res;
    if (!rc && v->a->as_of) {
        rc = cw_add_time(v->cmd, p, "as_of", "--as-of", v->a->as_of);
        /* today's control, its state at --as-of */
        json_object_set_new(p, "as_recorded", json_false());
    }
    if (rc) {
        json_decref(p);
        return rc;
    }
    if ((rc = cw_vcall(v->ctx, "control.get", p, &res)))
        return rc;
    char title[300];
    snprintf(title, sizeof title, "Control %s of %s", v->pos[0], v->a->org);
    return cw_show(v->ctx, v->cmd, v->a, title, res, ctl_keys, 7);
}

/* A --link value FW/ID[:full|:partial] as a link item; NULL after a usage
 * error. */
static json_t *v_link(vctx *v, const char *s, int *rc)
{
    const char *slash = strchr(s, '/');
    /* a level only at the end: an id may hold ':' itself */
    const char *colon = slash ? strrchr(slash, ':') : NULL;
    if (colon && strcmp(colon, ":full") && strcmp(colon, ":partial"))
        colon = NULL;
    const char *level = colon ? colon + 1 : "full";
    if (!slash || slash == s || slash[1] == '\0' || colon == slash + 1) {
        *rc = cw_usage(v->cmd, "--link: expected FRAMEWORK/ID[:full|:partial], got '%s'", s);
        return NULL;
    }
    size_t il = colon ? (size_t)(colon - slash - 1) : strlen(slash + 1);
    return json_pack("{s:s%,s:s%,s:s}", "framework", s, (size_t)(slash - s), "id", slash + 1, il,
                     "level", level);
}

/* Sets each field of fields[n] that was given (a flag's value) in p. */
static void v_fields(json_t *p, const char *const (*fields)[2], size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (fields[i][1])
            json_object_set_new(p, fields[i][0], json_string(fields[i][1]));
}

/* Writes one record: method with p (taken over; rc a usage error found
 * while building it), marked a dry run when asked, and says what it did
 * to what. */
static int v_write(vctx *v, int rc, json_t *p, const char *method, const char *what)
{
    if (rc) {
        json_decref(p);
        return rc;
    }
    if (v->a->dry_run)
        json_object_set_new(p, "dry_run", json_true());
    json_t *res;
    if ((rc = cw_vcall(v->ctx, method, p, &res)))
        return rc;
    cw_wrote(v->a->org, what, res, v->a->dry_run);
    json_decref(res);
    return 0;
}

/* put --file: the project's CSV of that kind, loaded as `load` would. */
static int v_put_file(vctx *v, const char *format, const char *what)
{
    if (v->npos)
        return cw_usage(v->cmd, "give either --file or an ID with its flags, not both");
    cw_load_req req = {v->a->org, v->a->dry_run, format, what};
    char *files[] = {(char *)v->a->file};
    return cw_load_files(v->ctx, v->cmd, &req, files, 1);
}

static int ctl_put(vctx *v)
{
    vargs *a = v->a;
    int rc = v_need(v, a->org != NULL, "--org is required");
    if (!rc && a->file)
        return v_put_file(v, "csv-controls", "a controls CSV (id,title,owner,status,links)");
    if (!rc)
        rc = v_need(v, v->npos == 1, "give one control ID (or --file CONTROLS.csv)");
    if (rc)
        return rc;
    json_t *p = json_pack("{s:s,s:s}", "org", a->org, "id", v->pos[0]), *links = json_array();
    const char *const fields[][2] = {
        {"title", a->title}, {"owner", a->owner}, {"status", a->status}};
    v_fields(p, fields, 3);
    for (size_t i = 0; rc == 0 && i < a->links.n; i++) {
        json_t *l = v_link(v, a->links.v[i], &rc);
        if (l)
            json_array_append_new(links, l);
    }
    json_object_set_new(p, "links", links);
    return v_write(v, rc, p, "control.put", "controls");
}

/* Deletes each ID with method, args {org, [framework,] id}. */
static int v_delete(vctx *v, const char *method, const char *noun, bool framework)
{
    int rc = v_need(v, v->a->org && v->npos > 0, "--org and at least one ID are required");
    if (!rc && framework)
        rc = v_need(v, v->a->framework != NULL, "--framework is required");
    for (size_t i = 0; rc == 0 && i < v->npos; i++) {
        json_t *p = json_pack("{s:s,s:s}", "org", v->a->org, "id", v->pos[i]), *res;
        if (framework)
            json_object_set_new(p, "framework", json_string(v->a->framework));
        if ((rc = cw_vcall(v->ctx, method, p, &res)) == 0)
            printf("%s: %s %s%s%s deleted\n", v->a->org, noun, framework ? v->a->framework : "",
                   framework ? " " : "", v->pos[i]);
        json_decref(res);
    }
    return rc;
}

static int ctl_delete(vctx *v)
{
    return v_delete(v, "control.delete", "control", false);
}

static int ev_list(vctx *v)
{
    int rc = v_need(v, v->a->org && !v->npos, "--org is required, and no ID");
    if (rc)
        return rc;
    json_t *p = json_pack("{s:s}", "org", v->a->org), *all;
    if (v->a->control) {
        json_object_set_new(p, "control", json_string(v->a->control));
        rc = cw_vcall(v->ctx, "evidence.list", p, &all); /* one control's: whole */
    } else {
        rc = cw_vlist_pages(v->ctx, "evidence.list", p, &all);
    }
    if (rc)
        return rc;
    char title[300];
    snprintf(title, sizeof title, "Evidence of %s%s%s", v->a->org,
             v->a->control ? ", control " : "", v->a->control ? v->a->control : "");
    return cw_show(v->ctx, v->cmd, v->a, title, all, ev_keys, 10);
}

static int ev_get(vctx *v)
{
    int rc = v_need(v, v->a->org && v->npos == 1, "--org and one evidence ID are required");
    json_t *res;
    if (rc || (rc = cw_vcall(v->ctx, "evidence.get",
                             json_pack("{s:s,s:s}", "org", v->a->org, "id", v->pos[0]), &res)))
        return rc;
    char title[300];
    snprintf(title, sizeof title, "Evidence %s of %s", v->pos[0], v->a->org);
    return cw_show(v->ctx, v->cmd, v->a, title, res, ev_keys, 10);
}

static int ev_put(vctx *v)
{
    vargs *a = v->a;
    int rc = v_need(v, a->org != NULL, "--org is required");
    if (!rc && a->file)
        return v_put_file(v, "csv-evidence",
                          "an evidence CSV (id,controls,kind,title,source,uri,sha256,"
                          "collected_at,valid_until,result)");
    if (!rc)
        rc = v_need(v, v->npos == 1, "give one evidence ID (or --file EVIDENCE.csv)");
    if (!rc)
        rc = v_need(v, a->controls.n && a->collected_at && a->result,
                    "--control, --collected-at and --result are required");
    if (rc)
        return rc;
    json_t *p = json_pack("{s:s,s:s,s:s}", "org", a->org, "id", v->pos[0], "result", a->result),
           *ctl = json_array();
    for (size_t i = 0; i < a->controls.n; i++)
        json_array_append_new(ctl, json_string(a->controls.v[i]));
    json_object_set_new(p, "controls", ctl);
    const char *const fields[][2] = {{"kind", a->kind},
                                     {"title", a->title},
                                     {"source", a->source},
                                     {"uri", a->uri},
                                     {"sha256", a->sha256}};
    v_fields(p, fields, 5);
    rc = cw_add_time(v->cmd, p, "collected_at", "--collected-at", a->collected_at);
    if (!rc && a->valid_until)
        rc = cw_add_time(v->cmd, p, "valid_until", "--valid-until", a->valid_until);
    return v_write(v, rc, p, "evidence.put", "evidence");
}

static int ev_delete(vctx *v)
{
    return v_delete(v, "evidence.delete", "evidence", false);
}

static int scope_list(vctx *v)
{
    int rc = v_need(v, v->a->org && !v->npos, "--org is required, and no ID");
    if (rc)
        return rc;
    json_t *p = json_pack("{s:s}", "org", v->a->org), *res;
    if (v->a->framework)
        json_object_set_new(p, "framework", json_string(v->a->framework));
    if ((rc = cw_vcall(v->ctx, "scope.list", p, &res)))
        return rc;
    char title[160];
    snprintf(title, sizeof title, "Scope decisions of %s", v->a->org);
    return cw_show(v->ctx, v->cmd, v->a, title, res, scope_keys, 4);
}

static int scope_get(vctx *v)
{
    int rc = v_need(v, v->a->org && v->a->framework && v->npos == 1,
                    "--org, --framework and one requirement ID are required");
    json_t *res;
    if (rc || (rc = cw_vcall(v->ctx, "scope.list",
                             json_pack("{s:s,s:s}", "org", v->a->org, "framework", v->a->framework),
                             &res)))
        return rc;
    json_t *hit = NULL, *d;
    size_t i;
    json_array_foreach(res, i, d) if (!hit && strcmp(json_string_value(json_object_get(d, "id")),
                                                     v->pos[0]) == 0) hit = json_incref(d);
    json_decref(res);
    if (!hit) {
        fprintf(stderr,
                "crosswalk: not_found: id: no scope decision on %s %s in organisation '%s' (it "
                "is assessed as usual)\n",
                v->a->framework, v->pos[0], v->a->org);
        return CW_EXIT_ERROR;
    }
    char title[300];
    snprintf(title, sizeof title, "Scope of %s %s for %s", v->a->framework, v->pos[0], v->a->org);
    return cw_show(v->ctx, v->cmd, v->a, title, hit, scope_keys, 4);
}

/* applicable in a scope CSV: true/false, yes/no, 1/0 in any case. */
static int v_applicable(const char *s, bool *out)
{
    static const char *const yes[] = {"true", "yes", "y", "1"}, *const no[] = {"false", "no", "n",
                                                                               "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0)
            return *out = true, 0;
        if (strcasecmp(s, no[i]) == 0)
            return *out = false, 0;
    }
    return -1;
}

/* One problem of a scope CSV, as `load` prints them. */
static void v_problem(size_t *n, const char *file, long line, const char *field, const char *fmt,
                      ...) __attribute__((format(printf, 5, 6)));
static void v_problem(size_t *n, const char *file, long line, const char *field, const char *fmt,
                      ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s:%ld: %s: ", file, line, field);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    (*n)++;
}

/* Reads a scope CSV into items (a JSON array of scope items) and the line
 * of each; every problem is printed as file:line: field: message and
 * counted.  The header names the columns in any case and order, spaces
 * around them ignored; justification may be left out. */
static size_t v_scope_csv(const char *file, json_t *items, long **lines)
{
    char *data;
    size_t len, problems = 0;
    if (cw_read_file(file, &data, &len)) {
        fprintf(stderr, "%s: file: cannot read: %s\n", file, strerror(errno));
        return 1;
    }
    size_t bad = cw_utf8_bad(data, len);
    if (bad < len) {
        long line = 1;
        for (size_t i = 0; i < bad; i++)
            line += data[i] == '\n';
        v_problem(&problems, file, line, "file",
                  "byte 0x%02x is not UTF-8 (save the file as UTF-8)", (unsigned char)data[bad]);
        free(data);
        return problems;
    }
    cw_csv_table t = {0};
    cw_csv_error e;
    static const char *const cols[] = {"framework", "id", "applicable", "justification"};
    int at[4] = {-1, -1, -1, -1};
    if (cw_csv_read(data, len, &t, &e)) {
        v_problem(&problems, file, e.line, "csv", "%s",
                  e.at_end ? "unterminated quoted field" : "not valid CSV");
    } else if (t.n == 0) {
        v_problem(&problems, file, 1, "file", "%s", "is empty");
    } else {
        for (size_t c = 0; c < t.r[0].n; c++) {
            char name[64];
            const char *h = t.r[0].f[c];
            while (isspace((unsigned char)*h))
                h++;
            snprintf(name, sizeof name, "%s", h);
            for (size_t k = strlen(name); k > 0 && isspace((unsigned char)name[k - 1]); k--)
                name[k - 1] = '\0';
            for (int k = 0; k < 4; k++)
                if (strcasecmp(name, cols[k]) == 0)
                    at[k] = (int)c;
        }
        for (int k = 0; k < 3; k++)
            if (at[k] < 0)
                v_problem(&problems, file, t.r[0].line, "header",
                          "has no column %s (expected framework,id,applicable,justification)",
                          cols[k]);
    }
    *lines = calloc(t.n + 1, sizeof **lines);
    bool header_ok = problems == 0;
    for (size_t r = 1; header_ok && *lines && r < t.n; r++) {
        const cw_csv_rec *rec = &t.r[r];
        if (rec->n != t.r[0].n) {
            v_problem(&problems, file, rec->line, "row", "has %zu fields, the header %zu", rec->n,
                      t.r[0].n);
            continue;
        }
        const char *fw = rec->f[at[0]], *id = rec->f[at[1]], *ap = rec->f[at[2]];
        const char *just = at[3] >= 0 ? rec->f[at[3]] : "";
        size_t before = problems;
        if (!cw_slug_ok(fw))
            v_problem(&problems, file, rec->line, "framework", "'%.60s' is not a framework slug",
                      fw);
        if (cw_check_name("id", id, CW_MAX_ID, NULL))
            v_problem(&problems, file, rec->line, "id",
                      "'%.60s' is not a requirement id (empty, too long or with control "
                      "characters)",
                      id);
        bool applicable = false;
        if (v_applicable(ap, &applicable))
            v_problem(&problems, file, rec->line, "applicable",
                      "'%.40s' is not true or false (yes, no, 1, 0): false excludes the "
                      "requirement, true records why it is in",
                      ap);
        for (size_t k = 0; problems == before && k < json_array_size(items); k++) {
            json_t *o = json_array_get(items, k);
            if (strcmp(json_string_value(json_object_get(o, "framework")), fw) == 0 &&
                strcmp(json_string_value(json_object_get(o, "id")), id) == 0) {
                v_problem(&problems, file, rec->line, "id",
                          "%.40s %.60s is decided already on line %ld", fw, id, (*lines)[k]);
            }
        }
        if (problems == before) {
            (*lines)[json_array_size(items)] = rec->line;
            json_array_append_new(items,
                                  json_pack("{s:s,s:s,s:b,s:s}", "framework", fw, "id", id,
                                            "applicable", applicable, "justification", just));
        }
    }
    if (problems == 0 && json_array_size(items) == 0)
        v_problem(&problems, file, 1, "file", "%s", "has no decisions");
    cw_csv_free(&t);
    free(data);
    return problems;
}

/* Sends scope items in batches.  A refusal that names an item is shown
 * at that item's line in file (lines given), or at its requirement. */
static int v_scope_send(vctx *v, json_t *items, const long *lines, const char *file)
{
    enum { BATCH = 10000 };
    size_t n = json_array_size(items);
    long t[CW_N_COUNTS] = {0};
    cw_rpc c;
    int rc = cw_ctx_connect(v->ctx, &c);
    if (rc)
        return rc;
    for (size_t at = 0; rc == 0 && at < n; at += BATCH) {
        json_t *slice = json_array(), *res = NULL;
        for (size_t k = at; k < n && k < at + BATCH; k++)
            json_array_append(slice, json_array_get(items, k));
        json_t *p = json_pack("{s:s,s:o}", "org", v->a->org, "items", slice);
        if (v->a->dry_run)
            json_object_set_new(p, "dry_run", json_true());
        char *msg = NULL;
        int r = cw_rpc_call(&c, "scope.put", p, &res, &msg);
        json_decref(p);
        size_t k;
        int nl;
        const char *rest;
        if (r == 0) {
            cw_counts_add(res, t);
        } else if (r == CW_RPC_ESERVER && cw_error_item(msg, &k, &nl, &rest) && at + k < n) {
            json_t *it = json_array_get(items, at + k);
            if (lines)
                fprintf(stderr, "crosswalk: %s:%ld: %.*s: %s\n", file, lines[at + k], nl, msg,
                        rest);
            else
                fprintf(stderr, "crosswalk: %s %s: %.*s: %s\n",
                        json_string_value(json_object_get(it, "framework")),
                        json_string_value(json_object_get(it, "id")), nl, msg, rest);
        } else {
            fprintf(stderr, "crosswalk: %s%s\n", r == CW_RPC_ETRANSPORT ? "connection: " : "",
                    msg ? msg : "scope.put failed");
        }
        if (r == CW_RPC_ESERVER)
            cw_hint_unknown(&c, msg);
        if (r && at && lines)
            fprintf(stderr, "crosswalk: the decisions before line %ld are stored\n", lines[at]);
        rc = r ? CW_EXIT_ERROR : 0;
        free(msg);
        json_decref(res);
    }
    cw_rpc_close(&c);
    if (rc == 0) {
        char text[160];
        cw_counts_text(t, v->a->dry_run, text, sizeof text);
        printf("%s: scope decisions: %s%s\n", v->a->org, text,
               v->a->dry_run ? " (dry run; nothing written)" : "");
    }
    return rc;
}

static int scope_put(vctx *v)
{
    vargs *a = v->a;
    int rc = v_need(v, a->org != NULL, "--org is required");
    json_t *items = json_array();
    long *lines = NULL;
    if (!rc && a->file) {
        rc = v->npos || a->framework || a->include || a->exclude || a->justification || a->reasons.n
                 ? cw_usage(v->cmd, "--file takes the decisions from the file: give no ID, "
                                    "--framework, --include, --exclude, --justification or "
                                    "--reason")
                 : 0;
        size_t problems = rc ? 0 : v_scope_csv(a->file, items, &lines);
        if (problems) {
            fprintf(stderr, "crosswalk scope put: %zu problem%s; nothing written\n", problems,
                    problems == 1 ? "" : "s");
            rc = CW_EXIT_ERROR;
        }
    } else if (!rc) {
        rc = v_need(v, a->framework && v->npos > 0,
                    "--framework and at least one requirement ID are required (or --file "
                    "SCOPE.csv)");
        if (!rc)
            rc = v_need(v, a->include != a->exclude,
                        "give --exclude (not applicable) or --include (applicable, with why)");
        if (!rc)
            rc = v_need(v, !a->reasons.n || a->include,
                        "--reason says why a requirement is in: give it with --include");
        for (size_t i = 0; rc == 0 && i < v->npos; i++) {
            json_t *it = json_pack("{s:s,s:s,s:b,s:s}", "framework", a->framework, "id", v->pos[i],
                                   "applicable", a->include, "justification",
                                   a->justification ? a->justification : "");
            if (a->reasons.n) {
                json_t *rs = json_array();
                for (size_t k = 0; k < a->reasons.n; k++)
                    json_array_append_new(rs, json_string(a->reasons.v[k]));
                json_object_set_new(it, "reasons", rs);
            }
            json_array_append_new(items, it);
        }
    }
    if (rc == 0)
        rc = v_scope_send(v, items, lines, a->file);
    json_decref(items);
    free(lines);
    return rc;
}

static int scope_delete(vctx *v)
{
    return v_delete(v, "scope.delete", "scope decision on", true);
}

/* ---- the table of actions --------------------------------------------- */

typedef struct vaction {
    const char *noun, *action;
    unsigned opts;
    int (*run)(vctx *v);
    const char *help;
} vaction;

static const vaction actions[] = {
    {"org", NULL, 0, NULL, h_org},
    {"org", "list", O_FORMAT, org_list, h_org_list},
    {"org", "get", O_ORG | O_FORMAT, org_get, h_org_get},
    {"org", "put", O_ORG | O_NAME | O_DRY, org_put, h_org_put},
    {"org", "delete", O_ORG, org_delete, h_org_delete},
    {"control", NULL, 0, NULL, h_control},
    {"control", "list", O_ORG | O_FORMAT, ctl_list, h_control_list},
    {"control", "get", O_ORG | O_AS_OF | O_FORMAT, ctl_get, h_control_get},
    {"control", "put", O_ORG | O_CTL_FIELDS | O_FILE | O_DRY, ctl_put, h_control_put},
    {"control", "delete", O_ORG, ctl_delete, h_control_delete},
    {"evidence", NULL, 0, NULL, h_evidence},
    {"evidence", "list", O_ORG | O_CONTROL | O_FORMAT, ev_list, h_evidence_list},
    {"evidence", "get", O_ORG | O_FORMAT, ev_get, h_evidence_get},
    {"evidence", "put", O_ORG | O_EV_FIELDS | O_FILE | O_DRY, ev_put, h_evidence_put},
    {"evidence", "delete", O_ORG, ev_delete, h_evidence_delete},
    {"scope", NULL, 0, NULL, h_scope},
    {"scope", "list", O_ORG | O_FRAMEWORK | O_FORMAT, scope_list, h_scope_list},
    {"scope", "get", O_ORG | O_FRAMEWORK | O_FORMAT, scope_get, h_scope_get},
    {"scope", "put", O_ORG | O_FRAMEWORK | O_SCOPE_FIELDS | O_FILE | O_DRY, scope_put, h_scope_put},
    {"scope", "delete", O_ORG | O_FRAMEWORK, scope_delete, h_scope_delete},
};
#define NACTIONS (sizeof actions / sizeof actions[0])

/* The entry of noun's action (NULL: the noun's own), or NULL after a usage
 * error naming the actions it may have meant. */
static const vaction *cw_action(const char *noun, const char *action, int *rc)
{
    const char *names[8];
    size_t n = 0;
    for (size_t i = 0; i < NACTIONS; i++) {
        if (strcmp(actions[i].noun, noun) != 0)
            continue;
        if (!action ? !actions[i].action
                    : actions[i].action && strcmp(actions[i].action, action) == 0)
            return &actions[i];
        if (actions[i].action && n < 8)
            names[n++] = actions[i].action;
    }
    char hint[128];
    if (!action)
        *rc = cw_usage(noun, "unknown command");
    else if (cw_suggest(action, names, n, hint, sizeof hint))
        *rc = cw_usage(noun, "unknown action '%s'; did you mean %s?", action, hint);
    else
        *rc = cw_usage(noun, "unknown action '%s' (list, get, put or delete)", action);
    return NULL;
}

int cw_noun_help(const char *noun, const char *action)
{
    int rc = 0;
    const vaction *va = cw_action(noun, action, &rc);
    if (va)
        fputs(va->help, stdout);
    return rc;
}

int cw_cmd_noun(const cw_ctx *ctx, int argc, char **argv)
{
    const char *noun = argv[0];
    int rc = 0;
    if (argc < 2)
        return cw_usage(noun, "give an action: list, get, put or delete");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
        return cw_noun_help(noun, NULL);
    const vaction *va = cw_action(noun, argv[1], &rc);
    if (!va)
        return rc;
    char cmd[64];
    snprintf(cmd, sizeof cmd, "%s %s", noun, va->action);
    vargs a;
    memset(&a, 0, sizeof a);
    cw_opt opts[32];
    size_t nopts = cw_vopts(&a, va->opts, opts);
    char **pos;
    size_t npos;
    rc = cw_opts_parse(cmd, argc - 1, argv + 1, opts, nopts, va->help, &pos, &npos);
    if (rc == 0) {
        vctx v = {ctx, cmd, &a, pos, npos};
        rc = va->run(&v);
    }
    free(pos);
    free(a.links.v);
    free(a.controls.v);
    free(a.reasons.v);
    return rc == 3 ? 0 : rc;
}
