/* `crosswalk`: the command-line client of crosswalkd.
 *
 * Parses the global flags (--server, --token-file, with CROSSWALK_SERVER and
 * CROSSWALK_TOKEN standing in; --color, --no-pager, --version), picks the
 * command and runs it.  Every command talks to the server only through
 * msgpack-RPC (json_rpc.c): `call` sends any method, the report commands
 * (coverage, gap, compare, check) fetch an answer and render it (report.c,
 * render.c), the ISMS commands (soa, risks, audit, findings) do the same in
 * isms.c, `load` / `export` (load.c) move files through the importers,
 * org / control / evidence / scope (verbs.c) list, show, write and delete
 * one kind of record each, `watch` (watch.c) prints the status feed as it
 * comes and `log`, `expiring` and `changes` (history.c) read the change
 * log and statuses over time.  `help`, `version` and an unknown command's
 * nearest names are answered here.
 *
 * Exit codes (tools/cli/README.md): 0 ok, 1 server or data error (the server's
 * message, which starts with the error name, is printed), 2 usage error.
 * Output format: table by default, fitted to the terminal's width and paged
 * when longer than its height, coloured statuses on a terminal; otherwise
 * the same table without colour or paging; `--format json` gives the
 * server's answer. */
#include "cli.h"

#include "opt.h"

#include <crosswalk/protocol.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define CW_STR_(x) #x
#define CW_STR(x) CW_STR_(x)
#define CW_DEFAULT_SERVER "tcp://127.0.0.1:" CW_STR(CW_DEFAULT_PORT)

static const char cw_help_main[] =
    "Usage: crosswalk [--server ADDR] [--token-file FILE] [--color WHEN] [--no-pager]\n"
    "                 COMMAND [ARGS...]\n"
    "\n"
    "Client of the crosswalkd control-mapping server (msgpack-RPC).\n"
    "\n"
    "Global options:\n"
    "  --server ADDR       tcp://HOST:PORT or unix:PATH (env CROSSWALK_SERVER,\n"
    "                      default " CW_DEFAULT_SERVER ")\n"
    "  --token-file FILE   read the bearer token from FILE and authenticate first\n"
    "                      (env CROSSWALK_TOKEN holds the token itself)\n"
    "  --color WHEN        auto (default: on a terminal, unless NO_COLOR is set and\n"
    "                      not empty), always or never\n"
    "  --no-pager          never page: long output on a terminal otherwise goes\n"
    "                      through $PAGER (default less -FRX)\n"
    "  --version           print the client's version\n"
    "  -h, --help          this help; `crosswalk help COMMAND` for a command\n"
    "\n"
    "Commands:\n"
    "  call METHOD [JSON]  call any method, print the answer as JSON\n"
    "  load FILE...        validate and load catalogues, crosswalks, evidence\n"
    "  export              write crosswalks as CSV or OSCAL mapping-collection JSON\n"
    "  coverage            coverage of a framework for an organisation\n"
    "  gap                 gap report against a target framework\n"
    "  compare             how far one framework reaches another (no organisation)\n"
    "  soa                 ISO/IEC 27001:2022 Statement of Applicability, reasons, versions\n"
    "  risks               the risk register and its heat map (or --assets)\n"
    "  audit               an internal audit's checklist; the audit programme\n"
    "  findings            internal audit findings and overdue corrective actions\n"
    "  check               crosswalk consistency (and the store, for admins)\n"
    "  watch               an organisation's status changes as they happen\n"
    "  log                 the change log: its entries, head and hash chain check\n"
    "  expiring            evidence that expires soon and the statuses it changes\n"
    "  readiness           coverage on a coming date (the next audit), and what to renew\n"
    "  changes             every status change of a framework over a period\n"
    "  diff                what changed between two times, requirement by requirement\n"
    "  period              whether each requirement held throughout a period\n"
    "  org                 list, show, write or delete organisations\n"
    "  control             list, show, write or delete an organisation's controls\n"
    "  evidence            list, show, write or delete an organisation's evidence\n"
    "  scope               list, show, write or delete scope decisions (the SoA's\n"
    "                      exclusions and the justifications of what is in)\n"
    "  version             the client's and the server's versions\n"
    "  help [COMMAND]      this help, or a command's\n"
    "\n"
    "Report formats (--format): table (default; fitted to the terminal, coloured\n"
    "there, plain when piped), md, csv (one row per requirement), json (the\n"
    "server's answer), html (one self-contained document with an SVG chart, to\n"
    "read or print), pdf (that document printed by Chromium, when installed). With\n"
    "-o FILE and no --format, the format follows the extension (.html .md .csv\n"
    ".json .pdf); -o - is standard output.\n"
    "\n"
    "Times (--as-of and the like): YYYY-MM-DD (midnight UTC), RFC 3339 with any\n"
    "offset, YYYY-MM-DD HH:MM[:SS] in local time, or Unix seconds.\n"
    "\n"
    "Exit status: 0 ok, 1 server or data error, 2 usage error.\n";

static const char cw_help_call[] =
    "Usage: crosswalk call METHOD ['{\"named\": \"arguments\"}']\n"
    "\n"
    "Calls any crosswalkd method (server/PROTOCOL.md) with the JSON object as its\n"
    "named arguments (none when omitted) and prints the answer as indented JSON.\n"
    "Example: crosswalk call requirement.get '{\"framework\": \"soc2-2017\", \"id\": \"CC6.1\"}'\n";

#define CW_REPORT_OPTS_HELP                                                                        \
    "  --format FMT        table|md|csv|json|html|pdf (default table; see crosswalk --help)\n"     \
    "  -o, --output FILE   write to FILE instead of standard output (- is standard output)\n"

static const char cw_help_coverage[] =
    "Usage: crosswalk coverage --org ORG --framework FW [--as-of TIME [--as-recorded]]\n"
    "                          [--max-hops N] [--detail] [--format FMT] [-o FILE]\n"
    "\n"
    "Coverage of FW for ORG (coverage.get): counts and percent, a per-group\n"
    "breakdown and one row per requirement with the contribution that decided\n"
    "its status. --detail adds every contribution: control, state, level, via,\n"
    "the mapping path with its composed relationship, the evidence ids.\n"
    "  --as-of TIME        YYYY-MM-DD, RFC 3339, local time or Unix seconds (default: now)\n"
    "  --as-recorded       judge the controls, links, scope and crosswalks as they were\n"
    "                      recorded at --as-of (default: today's, with evidence as of then)\n"
    "  --max-hops N        crosswalk steps to follow, 1..3 (server default 1)\n" CW_REPORT_OPTS_HELP;

static const char cw_help_gap[] =
    "Usage: crosswalk gap --org ORG --target FW [--source FW] [--as-of TIME [--as-recorded]]\n"
    "                     [--max-hops N] [--format FMT] [-o FILE]\n"
    "\n"
    "Gap report (gap.report): every target requirement not met and not excluded,\n"
    "its candidates in every other framework with the mapping path, the planned\n"
    "or partial controls touching it, and a ranked plan of what to satisfy next\n"
    "and which gaps each step closes in full.\n"
    "  --source FW         propose plan steps from FW only (the candidates of each\n"
    "                      gap are still listed from every framework)\n"
    "  --as-of TIME        YYYY-MM-DD, RFC 3339, local time or Unix seconds (default: now)\n"
    "  --as-recorded       judge the controls, links, scope and crosswalks as they were\n"
    "                      recorded at --as-of (default: today's, with evidence as of then)\n"
    "  --max-hops N        crosswalk steps to follow, 1..3 (server default 2)\n" CW_REPORT_OPTS_HELP;

static const char cw_help_compare[] =
    "Usage: crosswalk compare --source FW --target FW [--max-hops N] [--as-of TIME]\n"
    "                         [--format FMT] [-o FILE]\n"
    "\n"
    "Without any organisation (framework.compare): if all of the source were\n"
    "satisfied, which target requirements would be full, partial or unreached.\n"
    "  --max-hops N        crosswalk steps to follow, 1..3 (server default 1)\n"
    "  --as-of TIME        the catalogues and crosswalks as they were recorded then\n" CW_REPORT_OPTS_HELP;

static const char cw_help_check[] =
    "Usage: crosswalk check [--framework FW] [--format FMT] [-o FILE]\n"
    "\n"
    "Crosswalk consistency (mapping.check: dangling ids, subset both ways,\n"
    "conflicting relationships), plus the store's index check (store.check)\n"
    "when the token may call it (admin, or no auth). Findings are reported and\n"
    "exit 0; an inconsistent store exits 1.\n" CW_REPORT_OPTS_HELP;

/* Reads the token: the first line of the file, surrounding blanks removed. */
static int cw_read_token(const char *path, char **out)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "crosswalk: --token-file %s: %s\n", path, strerror(errno));
        return CW_EXIT_ERROR;
    }
    char buf[4096];
    if (!fgets(buf, sizeof buf, f))
        buf[0] = '\0';
    fclose(f);
    char *s = buf, *e = buf + strlen(buf);
    while (*s && isspace((unsigned char)*s))
        s++;
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    if (!*s) {
        fprintf(stderr, "crosswalk: --token-file %s: the file holds no token\n", path);
        return CW_EXIT_ERROR;
    }
    *out = strdup(s);
    return *out ? 0 : CW_EXIT_ERROR;
}

/* ---- call --------------------------------------------------------------- */

static int cw_cmd_call(const cw_ctx *ctx, int argc, char **argv)
{
    char **pos;
    size_t npos;
    int rc = cw_opts_parse("call", argc, argv, NULL, 0, cw_help_call, &pos, &npos);
    if (rc == 3)
        return 0;
    if (rc || npos < 1 || npos > 2) {
        free(pos);
        return rc ? rc : cw_usage("call", npos < 1 ? "METHOD is missing" : "too many arguments");
    }
    json_t *params = NULL;
    if (npos == 2) {
        json_error_t je;
        params = json_loads(pos[1], JSON_DECODE_ANY, &je);
        if (!params) {
            rc = cw_usage("call", "arguments are not JSON: %s (column %d)", je.text, je.column);
            free(pos);
            return rc;
        }
        if (!json_is_object(params)) {
            json_decref(params);
            free(pos);
            return cw_usage("call", "arguments must be a JSON object of named arguments");
        }
    }
    cw_rpc c;
    rc = cw_ctx_connect(ctx, &c);
    if (rc == 0) {
        json_t *res = NULL;
        rc = cw_ctx_call(&c, pos[0], params, &res);
        cw_output o;
        if (rc == 0 && (rc = cw_output_open(&o, ctx, NULL, false)) == 0) {
            json_dumpf(res, o.f, JSON_INDENT(2) | JSON_ENCODE_ANY);
            fputc('\n', o.f);
            rc = cw_output_close(&o, rc);
        }
        json_decref(res);
        cw_rpc_close(&c);
    }
    json_decref(params);
    free(pos);
    return rc;
}

/* ---- reports ------------------------------------------------------------ */

typedef struct cw_report_args {
    const char *org, *framework, *target, *source, *as_of, *max_hops, *format, *output;
    bool detail, as_recorded;
} cw_report_args;

/* Adds as_of (any form cw_time_arg takes, sent as RFC 3339 UTC) and
 * max_hops. */
static int cw_add_time_hops(const char *cmd, json_t *p, const cw_report_args *a)
{
    int rc;
    if (a->as_of && (rc = cw_add_time(cmd, p, "as_of", "--as-of", a->as_of)))
        return rc;
    if (a->as_recorded && !a->as_of)
        return cw_usage(cmd, "--as-recorded needs --as-of: the records as they were when");
    /* The client's reports judge today's records at --as-of (evidence
     * loaded today about last quarter is what they are for) unless
     * --as-recorded asks for the records as they were; compare's as_of is
     * always the catalogues as they were. */
    if (a->as_of && strcmp(cmd, "compare") != 0)
        json_object_set_new(p, "as_recorded", json_boolean(a->as_recorded));
    if (a->max_hops) {
        long h = cw_parse_count(a->max_hops);
        if (h < 0)
            return cw_usage(cmd, "--max-hops: expected a number, got '%s'", a->max_hops);
        json_object_set_new(p, "max_hops", json_integer(h));
    }
    return 0;
}

/* The value given for the report argument named key (NULL when not given). */
static const char *cw_report_arg(const cw_report_args *a, const char *key)
{
    if (strcmp(key, "org") == 0)
        return a->org;
    if (strcmp(key, "framework") == 0)
        return a->framework;
    return strcmp(key, "target") == 0 ? a->target : a->source;
}

static int cw_cmd_report(const cw_ctx *ctx, const char *cmd, int argc, char **argv)
{
    cw_report_args a;
    memset(&a, 0, sizeof a);
    /* Every report option; bit i of a report's opts below selects every[i],
     * and --format and --output (the last two) go with every report. */
    const cw_opt every[] = {{"--org", NULL, true, &a.org, NULL, NULL},
                            {"--framework", NULL, true, &a.framework, NULL, NULL},
                            {"--target", NULL, true, &a.target, NULL, NULL},
                            {"--source", NULL, true, &a.source, NULL, NULL},
                            {"--as-of", NULL, true, &a.as_of, NULL, NULL},
                            {"--max-hops", NULL, true, &a.max_hops, NULL, NULL},
                            {"--detail", NULL, false, NULL, &a.detail, NULL},
                            {"--as-recorded", NULL, false, NULL, &a.as_recorded, NULL},
                            {"--format", NULL, true, &a.format, NULL, NULL},
                            {"--output", "-o", true, &a.output, NULL, NULL}};
    enum {
        ORG = 1,
        FRAMEWORK = 2,
        TARGET = 4,
        SOURCE = 8,
        AS_OF = 16,
        MAX_HOPS = 32,
        DETAIL = 64,
        AS_RECORDED = 128
    };
    enum { FORMAT_OUTPUT = 256 | 512 };
    /* Each report: its options, its method, the arguments it sends in
     * this order (the first need of them required, else the usage error
     * missing).  The last entry, check, also stands for any other name. */
    static const struct {
        const char *cmd;
        cw_report_kind kind;
        const char *help;
        unsigned opts;
        const char *method;
        const char *keys[3];
        size_t need;
        const char *missing;
    } reports[] = {
        {"coverage",
         CW_REP_COVERAGE,
         cw_help_coverage,
         ORG | FRAMEWORK | AS_OF | MAX_HOPS | DETAIL | AS_RECORDED,
         "coverage.get",
         {"org", "framework"},
         2,
         "--org and --framework are required"},
        {"gap",
         CW_REP_GAP,
         cw_help_gap,
         ORG | TARGET | SOURCE | AS_OF | MAX_HOPS | AS_RECORDED,
         "gap.report",
         {"org", "target", "source"},
         2,
         "--org and --target are required"},
        {"compare",
         CW_REP_COMPARE,
         cw_help_compare,
         SOURCE | TARGET | MAX_HOPS | AS_OF,
         "framework.compare",
         {"source", "target"},
         2,
         "--source and --target are required"},
        {"check", CW_REP_CHECK, cw_help_check, FRAMEWORK, "mapping.check", {"framework"}, 0, NULL}};
    size_t k = 0;
    while (k + 1 < sizeof reports / sizeof reports[0] && strcmp(cmd, reports[k].cmd) != 0)
        k++;
    cw_report_kind kind = reports[k].kind;
    cw_opt opts[sizeof every / sizeof every[0]];
    size_t n = 0;
    for (size_t i = 0; i < sizeof every / sizeof every[0]; i++)
        if ((reports[k].opts | FORMAT_OUTPUT) & 1u << i)
            opts[n++] = every[i];

    int rc = cw_opts_parse_only(cmd, argc, argv, opts, n, reports[k].help);
    if (rc)
        return rc == 3 ? 0 : rc;

    cw_format fmt;
    if ((rc = cw_format_for(cmd, a.format, a.output, &fmt)) != 0)
        return rc;
    if (fmt == CW_FMT_PDF && !a.output && isatty(STDOUT_FILENO))
        return cw_usage(cmd, "--format pdf writes a binary file: give -o FILE.pdf or redirect the "
                             "output");
    if (fmt == CW_FMT_PDF && (rc = cw_pdf_check()) != 0)
        return rc;
    const char *method = reports[k].method;
    json_t *p = json_object();
    bool missing = false;
    for (size_t i = 0; i < 3 && reports[k].keys[i]; i++) {
        const char *v = cw_report_arg(&a, reports[k].keys[i]);
        missing |= i < reports[k].need && !v;
        if (v)
            json_object_set_new(p, reports[k].keys[i], json_string(v));
    }
    if (missing)
        rc = cw_usage(cmd, "%s", reports[k].missing);
    /* Every format but json shows one row per requirement, which needs
     * the detailed answer; json gives exactly what was asked. */
    if (kind == CW_REP_COVERAGE && (a.detail || fmt != CW_FMT_JSON))
        json_object_set_new(p, "detail", json_string("compact"));
    if (rc == 0)
        rc = cw_add_time_hops(cmd, p, &a);
    if (rc) {
        json_decref(p);
        return rc;
    }

    cw_rpc c;
    if ((rc = cw_ctx_connect(ctx, &c)) != 0) {
        json_decref(p);
        return rc;
    }
    json_t *answer = NULL, *groups = NULL;
    rc = cw_ctx_call(&c, method, p, &answer);
    json_decref(p);
    /* asked for in the compact form (half the bytes), read in the full */
    if (rc == 0 && kind == CW_REP_COVERAGE)
        cw_coverage_expand(answer);
    if (rc == 0 && kind == CW_REP_GAP && fmt != CW_FMT_JSON) {
        /* The gap answer lists only what is open; the chart and the
         * per-group table need every group, so ask coverage for the same
         * target, time and hops. */
        json_t *q = json_pack("{s:s,s:O,s:O,s:O,s:b}", "org", a.org, "framework",
                              json_object_get(answer, "target"), "as_of",
                              json_object_get(answer, "as_of"), "max_hops",
                              json_object_get(answer, "max_hops"), "as_recorded", a.as_recorded);
        rc = q ? cw_ctx_call(&c, "coverage.get", q, &groups) : CW_EXIT_ERROR;
        json_decref(q);
    }
    if (rc == 0 && kind == CW_REP_CHECK) {
        json_t *sc = NULL, *all = json_object();
        char *msg = NULL;
        int src = cw_rpc_call(&c, "store.check", NULL, &sc, &msg);
        json_object_set_new(all, "mapping_check", answer);
        answer = all;
        if (src == 0) {
            json_object_set_new(all, "store_check", sc);
        } else if (src == CW_RPC_ESERVER && msg && strncmp(msg, "forbidden", 9) == 0) {
            /* Only admins may check the store; the crosswalk part stands. */
            json_object_set_new(all, "store_check", json_null());
            json_object_set_new(all, "store_check_note",
                                json_string("not permitted for this token (admin only)"));
        } else {
            fprintf(stderr, "crosswalk: %s\n", msg ? msg : "store.check failed");
            rc = CW_EXIT_ERROR;
        }
        free(msg);
    }
    /* Names, versions, controls and evidence, so the report reads as a
     * document (report_context.c); json is the answer alone. */
    json_t *context = NULL;
    if (rc == 0 && fmt != CW_FMT_JSON)
        rc = cw_report_context(&c, kind, answer, &context);
    cw_rpc_close(&c);
    if (rc) {
        json_decref(answer);
        json_decref(groups);
        json_decref(context);
        return rc;
    }
    bool inconsistent =
        kind == CW_REP_CHECK &&
        json_is_false(json_object_get(json_object_get(answer, "store_check"), "consistent"));
    cw_report r;
    char err[256];
    if (cw_report_build(&r, kind, answer, groups, context, a.detail, err, sizeof err)) {
        fprintf(stderr, "crosswalk: %s\n", err);
        rc = CW_EXIT_ERROR;
    } else {
        rc = cw_emit(ctx, &r, fmt, a.output);
    }
    cw_report_free(&r);
    json_decref(groups);
    json_decref(context);
    if (rc == 0 && inconsistent) {
        fprintf(stderr, "crosswalk: store.check: the store is inconsistent\n");
        rc = CW_EXIT_ERROR;
    }
    return rc;
}

/* ---- version and help --------------------------------------------------- */

static const char cw_help_version[] =
    "Usage: crosswalk version [--client]\n"
    "\n"
    "Prints this client's version, then the server's (server.info: version and\n"
    "store schema) and its address. --client prints the client's alone, without\n"
    "connecting. Exit status 1 when the server cannot be reached.\n";

static const char cw_help_help[] =
    "Usage: crosswalk help [COMMAND [ACTION]]\n"
    "\n"
    "Prints the overview of every command, or the help of one command (the same\n"
    "as `crosswalk COMMAND --help`): `crosswalk help gap`, `crosswalk help scope\n"
    "put`.\n";

static int cw_cmd_version(const cw_ctx *ctx, int argc, char **argv)
{
    bool client = false;
    const cw_opt opts[] = {{"--client", NULL, false, NULL, &client, NULL}};
    int rc = cw_opts_parse_only("version", argc, argv, opts, 1, cw_help_version);
    if (rc)
        return rc == 3 ? 0 : rc;
    printf("crosswalk %s\n", CW_CLI_VERSION);
    if (client)
        return 0;
    cw_rpc c;
    if ((rc = cw_ctx_connect(ctx, &c)) != 0)
        return rc;
    json_t *info = NULL;
    rc = cw_ctx_call(&c, "server.info", NULL, &info);
    cw_rpc_close(&c);
    if (rc == 0)
        printf("crosswalkd %s (store schema %lld) at %s\n",
               json_string_value(json_object_get(info, "version")),
               (long long)json_integer_value(json_object_get(info, "schema_version")), ctx->server);
    json_decref(info);
    return rc;
}

/* Every command: name, what it does (the overview lists them in this
 * order), how it runs, and its help (NULL: it has actions, whose help
 * verbs.c gives). */
typedef struct cw_command {
    const char *name;
    int (*run)(const cw_ctx *ctx, int argc, char **argv);
    const char *help;
} cw_command;

static int cw_cmd_help(const cw_ctx *ctx, int argc, char **argv);
static int cw_run_report(const cw_ctx *ctx, int argc, char **argv)
{
    return cw_cmd_report(ctx, argv[0], argc, argv);
}

/* The ISMS commands (isms.c) read their own options and give their own
 * help. */
static int cw_run_isms(const cw_ctx *ctx, int argc, char **argv)
{
    return cw_cmd_isms(ctx, argv[0], argc, argv);
}

static const cw_command cw_commands[] = {
    {"call", cw_cmd_call, cw_help_call},
    {"load", cw_cmd_load, cw_help_load},
    {"export", cw_cmd_export, cw_help_export},
    {"coverage", cw_run_report, cw_help_coverage},
    {"gap", cw_run_report, cw_help_gap},
    {"compare", cw_run_report, cw_help_compare},
    {"soa", cw_run_isms, NULL},
    {"check", cw_run_report, cw_help_check},
    {"risks", cw_run_isms, NULL},
    {"audit", cw_run_isms, NULL},
    {"findings", cw_run_isms, NULL},
    {"watch", cw_cmd_watch, cw_help_watch},
    {"log", cw_cmd_log, cw_help_log},
    {"expiring", cw_cmd_expiring, cw_help_expiring},
    {"changes", cw_cmd_changes, cw_help_changes},
    {"diff", cw_cmd_diff, cw_help_diff},
    {"period", cw_cmd_period, cw_help_period},
    {"readiness", cw_cmd_readiness, cw_help_readiness},
    {"org", cw_cmd_noun, NULL},
    {"control", cw_cmd_noun, NULL},
    {"evidence", cw_cmd_noun, NULL},
    {"scope", cw_cmd_noun, NULL},
    {"version", cw_cmd_version, cw_help_version},
    {"help", cw_cmd_help, cw_help_help},
};
#define CW_NCOMMANDS (sizeof cw_commands / sizeof cw_commands[0])

/* The command called name, or NULL after a usage error naming the ones it
 * may have meant (for help, exit code in *rc). */
static const cw_command *cw_command_find(const char *name, int *rc)
{
    const char *names[CW_NCOMMANDS];
    for (size_t k = 0; k < CW_NCOMMANDS; k++) {
        if (strcmp(name, cw_commands[k].name) == 0)
            return &cw_commands[k];
        names[k] = cw_commands[k].name;
    }
    char hint[256];
    if (cw_suggest(name, names, CW_NCOMMANDS, hint, sizeof hint))
        *rc = cw_usage(NULL, "unknown command '%s'; did you mean %s?", name, hint);
    else
        *rc = cw_usage(NULL, "unknown command '%s'", name);
    return NULL;
}

static int cw_cmd_help(const cw_ctx *ctx, int argc, char **argv)
{
    (void)ctx;
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(cw_help_help, stdout);
        return 0;
    }
    if (argc < 2) {
        fputs(cw_help_main, stdout);
        return 0;
    }
    if (argc > 3)
        return cw_usage("help", "too many arguments: crosswalk help [COMMAND [ACTION]]");
    int rc = 0;
    const cw_command *cmd = cw_command_find(argv[1], &rc);
    if (!cmd)
        return rc;
    if (cmd->help && argc > 2 && cmd->run == cw_cmd_log) {
        /* log's one help covers its actions; the action is still checked */
        char *hv[] = {(char *)cmd->name, argv[2], (char *)"--help", NULL};
        return cmd->run(ctx, 3, hv);
    }
    if (cmd->help) {
        if (argc > 2)
            return cw_usage("help", "'%s' has no actions", cmd->name);
        fputs(cmd->help, stdout);
        return 0;
    }
    if (cmd->run == cw_run_isms) {
        char *hv[] = {(char *)cmd->name, (char *)"--help", NULL};
        return cmd->run(ctx, 2, hv);
    }
    return cw_noun_help(cmd->name, argc > 2 ? argv[2] : NULL);
}

int main(int argc, char **argv)
{
    cw_term_init();
    cw_ctx ctx = {getenv("CROSSWALK_SERVER"), NULL, CW_COLOR_AUTO, false};
    const char *token_file = NULL;
    bool version = false;
    static const struct option longs[] = {{"server", required_argument, NULL, 's'},
                                          {"token-file", required_argument, NULL, 't'},
                                          {"color", required_argument, NULL, 'c'},
                                          {"no-pager", no_argument, NULL, 'P'},
                                          {"version", no_argument, NULL, 'V'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    cw_opt_reader g;
    cw_opt_init(&g, argc, argv, "h", longs);
    const char *cmd = NULL;
    for (int c, len; !cmd && (c = cw_opt_next(&g)) != CW_OPT_END;) {
        const char *w = cw_opt_name(&g, &len);
        if (c == 'h') {
            fputs(cw_help_main, stdout);
            return 0;
        } else if (c == 's')
            ctx.server = g.arg;
        else if (c == 't')
            token_file = g.arg;
        else if (c == 'c' && cw_color_parse(g.arg, &ctx.color))
            return cw_usage(NULL, "--color: expected auto, always or never, got '%s'", g.arg);
        else if (c == 'c')
            continue;
        else if (c == 'P')
            ctx.no_pager = true;
        else if (c == 'V')
            version = true;
        else if (c == CW_OPT_POS && g.arg[0] != '-')
            cmd = g.arg;
        else if (c == CW_OPT_MISSING)
            return cw_usage(NULL, "%.*s needs a value", len, w);
        else
            return cw_usage(NULL, "unknown option '%.*s'", len, w);
    }
    if (version) {
        printf("crosswalk %s\n", CW_CLI_VERSION);
        return 0;
    }
    /* Global options end at the command: "--" is no separator here. */
    if (!cmd && strcmp(g.word, "--") == 0)
        return cw_usage(NULL, "unknown option '--'");
    if (!cmd)
        return cw_usage(NULL, "no command given");
    if (!ctx.server || !*ctx.server)
        ctx.server = CW_DEFAULT_SERVER;
    /* A command's arguments start with its name, as main's do. */
    int sub_argc = argc - g.next + 1;
    char **sub_argv = argv + g.next - 1;
    int rc = 0;
    const cw_command *command = cw_command_find(cmd, &rc);
    if (!command)
        return rc;

    /* The token is read only now so that --help and usage errors never
     * depend on the file. */
    if (!cw_asks_help(sub_argc, sub_argv) && command->run != cw_cmd_help) {
        if (token_file) {
            rc = cw_read_token(token_file, &ctx.token);
            if (rc)
                return rc;
        } else if (getenv("CROSSWALK_TOKEN") && *getenv("CROSSWALK_TOKEN")) {
            ctx.token = strdup(getenv("CROSSWALK_TOKEN"));
        }
    }
    rc = command->run(&ctx, sub_argc, sub_argv);
    free(ctx.token);
    return rc;
}
