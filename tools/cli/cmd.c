/* cmd.c: what every command of the `crosswalk` client shares, so that the
 * commands (main.c's, verbs.c, isms.c, load.c, watch.c, history.c) all
 * call down to one floor and never into each other: usage errors, option
 * parsing, the connection and its calls, times and durations given on the
 * command line, the output format, the building of a simple report and
 * its writing, and the load and export commands' stand-ins in a build
 * without the importers.
 *
 * Ownership: nothing here keeps what it is given; results are the
 * caller's (see each function in cli.h). */
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

const char cw_help_load[] =
    "Usage: crosswalk load [--org ORG] [--framework FW] [--dry-run] [--batch-size N]\n"
    "                      [--encoding CHARSET] [--replace]\n"
    "                      [--source-framework FW] [--target-framework FW]\n"
    "                      [--catalog CATALOG.json] FILE...\n"
    "\n"
    "Loads catalogues, crosswalks, controls and evidence. The format of each file\n"
    "is recognised from its content: the project's CSV files (catalogue,\n"
    "crosswalk, controls, evidence), OSCAL catalog JSON or XML, OSCAL profile\n"
    "JSON (with --catalog), OSCAL 1.2 mapping-collection JSON or XML, GRC YAML.\n"
    "Every file is validated first; if any has a problem, each is printed as\n"
    "`where: field: message` and nothing is loaded (exit 1). Each batch is one\n"
    "atomic bulk call; a batch the server refuses is named by the file and line\n"
    "of the row it refused. FILE - is standard input. On a terminal a progress\n"
    "line shows the items sent, the rate, the time taken and the time left; a\n"
    "summary (created, updated, unchanged, rejected) is always printed.\n"
    "  --org ORG           organisation for controls and evidence files; created\n"
    "                      (org.put) when it does not exist yet\n"
    "  --framework FW      framework slug for catalogue files (overrides the file's)\n"
    "  --dry-run           validate, then have the server check every batch as a\n"
    "                      real load would (references included) and write nothing\n"
    "  --batch-size N      items per bulk call (default 10000)\n"
    "  --replace           merge a catalogue into an existing framework of the same\n"
    "                      slug that the file does not own (another publisher or\n"
    "                      name; a shipped catalogue); without it such a load is\n"
    "                      refused, saying what would change\n"
    "  --source-framework FW, --target-framework FW\n"
    "                      the frameworks of an OSCAL mapping-collection's sources and\n"
    "                      targets (instead of what its resources say)\n"
    "  --catalog CATALOG.json\n"
    "                      the OSCAL JSON catalog an OSCAL profile imports: the\n"
    "                      profile loads as a catalogue of the controls it selects\n"
    "                      (merge and modify are not applied; notes say so)\n"
    "  --encoding CHARSET  the files' character set when not UTF-8 (e.g. cp1252,\n"
    "                      latin1): converted before reading; without it a file that\n"
    "                      is not UTF-8 is refused with the line and column\n";

const char cw_help_export[] =
    "Usage: crosswalk export --framework FW [--target-framework FW] [--format csv|oscal]\n"
    "                        [-o FILE]\n"
    "\n"
    "Writes the direct crosswalk rows of FW (mapping.list, max_hops 1), optionally\n"
    "only those to the target framework, as the project's crosswalk CSV (default)\n"
    "or as an OSCAL 1.2 mapping-collection JSON document. Both load back with\n"
    "`crosswalk load`. With -o FILE.json and no --format, oscal is used.\n";

int cw_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "crosswalk%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'crosswalk%s%s --help'.\n", cmd ? " " : "", cmd ? cmd : "");
    return CW_EXIT_USAGE;
}

long cw_parse_count(const char *s)
{
    if (!s || !*s)
        return -1;
    for (const char *p = s; *p; p++)
        if (!isdigit((unsigned char)*p))
            return -1;
    errno = 0;
    long v = strtol(s, NULL, 10);
    return errno ? -1 : v;
}

/* The cw_opt an option read by getopt_long stands for: its long name
 * ("--org") or its alias ("-o"), as written in word (up to any '='). */
static const cw_opt *cw_opt_of(const cw_opt *opts, size_t nopts, const char *word, int len)
{
    for (size_t k = 0; k < nopts; k++)
        if ((strlen(opts[k].name) == (size_t)len &&
             strncmp(opts[k].name, word, (size_t)len) == 0) ||
            (opts[k].alias && strlen(opts[k].alias) == (size_t)len &&
             strncmp(opts[k].alias, word, (size_t)len) == 0))
            return &opts[k];
    return NULL;
}

/* The usage error for an option cmd does not have, with the ones it may
 * have meant. */
static int cw_unknown_option(const char *cmd, const cw_opt *opts, size_t nopts, const char *w,
                             int len)
{
    const char *names[64];
    size_t n = 0;
    for (size_t k = 0; k < nopts && n < 63; k++)
        names[n++] = opts[k].name;
    names[n++] = "--help";
    char word[128], hint[256];
    snprintf(word, sizeof word, "%.*s", len, w);
    if (strncmp(word, "--", 2) == 0 && cw_suggest(word, names, n, hint, sizeof hint))
        return cw_usage(cmd, "unknown option '%s'; did you mean %s?", word, hint);
    return cw_usage(cmd, "unknown option '%s'", word);
}

int cw_opts_parse(const char *cmd, int argc, char **argv, const cw_opt *opts, size_t nopts,
                  const char *help, char ***pos_out, size_t *npos)
{
    *npos = 0;
    char **pos = *pos_out = calloc((size_t)argc + 1, sizeof *pos);
    if (!pos)
        return CW_EXIT_ERROR;
    /* getopt_long's tables: each option by its long name (val 256 + its
     * index), an alias as a short option, and --help / -h. */
    struct option *longs = calloc(nopts + 2, sizeof *longs);
    char shorts[64] = "h";
    if (!longs)
        return CW_EXIT_ERROR;
    for (size_t k = 0; k < nopts; k++) {
        longs[k] = (struct option){opts[k].name + 2, opts[k].arg ? required_argument : no_argument,
                                   NULL, 256 + (int)k};
        size_t l = strlen(shorts);
        if (opts[k].alias && l + 3 < sizeof shorts)
            snprintf(shorts + l, sizeof shorts - l, "%c%s", opts[k].alias[1],
                     opts[k].arg ? ":" : "");
    }
    longs[nopts] = (struct option){"help", no_argument, NULL, 'h'};
    cw_opt_reader g;
    cw_opt_init(&g, argc, argv, shorts, longs);
    int c, rc = 0, len;
    while (rc == 0 && (c = cw_opt_next(&g)) != CW_OPT_END) {
        if (c == CW_OPT_POS) {
            pos[(*npos)++] = (char *)g.arg;
            continue;
        }
        if (c == 'h') {
            rc = 3;
            break;
        }
        const char *w = cw_opt_name(&g, &len);
        const cw_opt *o = c >= 256 ? &opts[c - 256] : cw_opt_of(opts, nopts, w, len);
        if (c == CW_OPT_NOVALUE && g.val != 'h')
            rc = cw_usage(cmd, "%s takes no value", opts[g.val - 256].name);
        else if (c == CW_OPT_MISSING && o)
            rc = cw_usage(cmd, "%s needs a value", o->name);
        else if (!o || c == CW_OPT_UNKNOWN || c == CW_OPT_NOVALUE)
            rc = cw_unknown_option(cmd, opts, nopts, w, len);
        else if (o->many) {
            const char **v = realloc(o->many->v, (o->many->n + 1) * sizeof *v);
            if (!v)
                rc = CW_EXIT_ERROR;
            else
                (o->many->v = v)[o->many->n++] = g.arg;
        } else if (o->arg)
            *o->sval = g.arg;
        else
            *o->flag = true;
    }
    /* After "--" everything is positional. */
    for (int i = g.next; rc == 0 && i < argc; i++)
        pos[(*npos)++] = argv[i];
    free(longs);
    if (rc == 3)
        fputs(help, stdout);
    if (rc) {
        free(pos);
        *pos_out = NULL;
    }
    return rc;
}

int cw_opts_parse_only(const char *cmd, int argc, char **argv, const cw_opt *opts, size_t nopts,
                       const char *help)
{
    char **pos;
    size_t npos;
    int rc = cw_opts_parse(cmd, argc, argv, opts, nopts, help, &pos, &npos);
    if (rc == 0 && npos > 0)
        rc = cw_usage(cmd, "unexpected argument '%s'", pos[0]);
    free(pos);
    return rc;
}

int cw_ctx_call(cw_rpc *c, const char *method, json_t *params, json_t **result)
{
    char *msg = NULL;
    int rc = cw_rpc_call(c, method, params, result, &msg);
    if (rc == 0)
        return 0;
    fprintf(stderr, "crosswalk: %s%s\n", rc == CW_RPC_ETRANSPORT ? "connection: " : "",
            msg ? msg : "?");
    if (rc == CW_RPC_ESERVER)
        cw_hint_unknown(c, msg);
    free(msg);
    return CW_EXIT_ERROR;
}

int cw_format_json(const char *cmd, const char *format, bool *json)
{
    if (strcmp(format, "json") == 0)
        *json = true;
    else if (strcmp(format, "table") == 0)
        *json = false;
    else
        return cw_usage(cmd, "--format: expected table or json, got '%s'", format);
    return 0;
}

int cw_add_time(const char *cmd, json_t *p, const char *key, const char *flag, const char *value)
{
    char t[32];
    if (cw_time_arg(value, t, sizeof t))
        return cw_usage(cmd,
                        "%s: '%s' is not a time (YYYY-MM-DD, RFC 3339 such as "
                        "2026-12-01T09:30:00+01:00, YYYY-MM-DD HH:MM in local time, or Unix "
                        "seconds)",
                        flag, value);
    json_object_set_new(p, key, json_string(t));
    return 0;
}

int cw_ctx_auth(const cw_ctx *ctx, cw_rpc *c)
{
    if (!ctx->token)
        return 0;
    json_t *p = json_pack("{s:s}", "token", ctx->token), *res = NULL;
    int rc = cw_ctx_call(c, "auth", p, &res);
    json_decref(p);
    json_decref(res);
    if (rc)
        cw_rpc_close(c);
    return rc;
}

int cw_ctx_connect(const cw_ctx *ctx, cw_rpc *c)
{
    char err[512];
    if (cw_rpc_open(c, ctx->server, 0, err, sizeof err)) {
        fprintf(stderr, "crosswalk: %s\n", err);
        return CW_EXIT_ERROR;
    }
    return cw_ctx_auth(ctx, c);
}

int cw_add_duration(const char *cmd, json_t *p, const char *key, const char *flag,
                    const char *value)
{
    /* The server's forms (PROTOCOL.md, "duration"): whole seconds, sent as
     * a number, or a number and one unit letter, sent as written; the
     * server checks the range. */
    size_t digits = strspn(value, "0123456789");
    long secs = cw_parse_count(value);
    if (digits > 0 && digits <= 12 && value[digits] == '\0' && secs >= 0) {
        json_object_set_new(p, key, json_integer(secs));
        return 0;
    }
    if (digits > 0 && digits <= 12 && value[digits] && strchr("smhd", value[digits]) &&
        value[digits + 1] == '\0') {
        json_object_set_new(p, key, json_string(value));
        return 0;
    }
    return cw_usage(cmd,
                    "%s: '%s' is not a duration (seconds, or a number followed by s, m, h or d: "
                    "90s, 15m, 12h, 30d)",
                    flag, value);
}

int cw_format_for(const char *cmd, const char *format, const char *output, cw_format *fmt)
{
    if (format) {
        if (cw_format_parse(format, fmt))
            return cw_usage(cmd, "--format: expected table, md, csv, json, html or pdf, got '%s'",
                            format);
        return 0;
    }
    *fmt = CW_FMT_TABLE;
    const char *dot = output && strcmp(output, "-") ? strrchr(output, '.') : NULL;
    if (dot) {
        if (strcasecmp(dot, ".html") == 0 || strcasecmp(dot, ".htm") == 0)
            *fmt = CW_FMT_HTML;
        else if (strcasecmp(dot, ".md") == 0)
            *fmt = CW_FMT_MD;
        else if (strcasecmp(dot, ".csv") == 0)
            *fmt = CW_FMT_CSV;
        else if (strcasecmp(dot, ".json") == 0)
            *fmt = CW_FMT_JSON;
        else if (strcasecmp(dot, ".pdf") == 0)
            *fmt = CW_FMT_PDF;
    }
    return 0;
}

int cw_emit(const cw_ctx *ctx, const cw_report *r, cw_format fmt, const char *output)
{
    cw_output o;
    int rc = cw_output_open(&o, ctx, output, fmt == CW_FMT_TABLE);
    if (rc)
        return rc;
    cw_view v = {o.colour, o.width};
    int wr = cw_render(o.f, r, fmt, &v);
    if (wr)
        rc = CW_EXIT_ERROR;
    if (wr && wr != -2) /* a PDF that could not be made was explained already */
        fprintf(stderr, "crosswalk: writing %s failed: %s\n", o.path ? o.path : "the report",
                strerror(errno));
    return cw_output_close(&o, rc);
}

/* ---- building a report of a few tables (cli.h) ---- */

_Noreturn void cw_oom_exit(void)
{
    fputs("crosswalk: out of memory\n", stderr);
    exit(CW_EXIT_ERROR);
}

char *cw_fmt(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        cw_oom_exit();
    return s;
}

void cw_report_sum(cw_report *r, const char *key, char *val)
{
    char **k = realloc(r->sum_key, (r->nsummary + 1) * sizeof *k);
    if (k)
        r->sum_key = k;
    char **v = k ? realloc(r->sum_val, (r->nsummary + 1) * sizeof *v) : NULL;
    if (!v)
        cw_oom_exit();
    r->sum_val = v;
    r->sum_key[r->nsummary] = cw_fmt("%s", key);
    r->sum_val[r->nsummary++] = val;
}

cw_table *cw_report_table(cw_report *r, const char *caption, size_t ncols, const char *const *cols)
{
    cw_table *t = realloc(r->tables, (r->ntables + 1) * sizeof *t);
    if (!t)
        cw_oom_exit();
    r->tables = t;
    t = &r->tables[r->ntables];
    if (cw_table_init(t, caption, ncols, cols))
        cw_oom_exit();
    r->ntables++;
    return t;
}

void cw_report_row(cw_table *t, const char *const *cells)
{
    if (cw_table_add(t, cells))
        cw_oom_exit();
}

bool cw_asks_help(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return true;
    return false;
}

#ifndef CW_HAVE_IMPORT
/* Built without the importers: say so rather than pretend, but still give
 * the command's help when asked. */
static int cw_unavailable(int argc, char **argv, const char *help, const char *why)
{
    if (cw_asks_help(argc, argv)) {
        fputs(help, stdout);
        return 0;
    }
    fputs(why, stderr);
    return CW_EXIT_ERROR;
}
int cw_cmd_load(const cw_ctx *ctx, int argc, char **argv)
{
    (void)ctx;
    return cw_unavailable(
        argc, argv, cw_help_load,
        "crosswalk load: this build has no importers (tools/cli/import.h missing)\n");
}
int cw_cmd_export(const cw_ctx *ctx, int argc, char **argv)
{
    (void)ctx;
    return cw_unavailable(
        argc, argv, cw_help_export,
        "crosswalk export: this build has no exporters (tools/cli/import.h missing)\n");
}
int cw_load_files(const cw_ctx *ctx, const char *cmd, const cw_load_req *req, char **files,
                  size_t nfiles)
{
    (void)ctx, (void)req, (void)files, (void)nfiles;
    fprintf(stderr, "crosswalk %s: --file needs the importers, which this build has not\n", cmd);
    return CW_EXIT_ERROR;
}
#endif
