/* Internal interfaces of the `crosswalk` command-line client.
 *
 * The client has three layers, one file each: json_rpc.c speaks
 * msgpack-RPC to crosswalkd through the tools' client (tools/rpc/) and
 * converts between msgpack and jansson values; report.c turns a server answer (coverage, gap report,
 * compare, SoA, check) into a format-neutral report model (summary lines,
 * a chart by group and status, tables); render.c writes that model as an
 * aligned text table, Markdown, CSV or one self-contained HTML file.
 * main.c parses the command line and ties them together; load.c holds the
 * `load` and `export` commands, which need the importers (import.h).
 *
 * Ownership: every cw_* object here is owned by the caller that created it
 * and released with its matching *_free / *_close function; json_t values
 * passed in are borrowed unless a comment says otherwise. */
#ifndef CW_CLI_H
#define CW_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rpc.h"

/* ---- json_rpc.c: JSON over the tools' msgpack-RPC client (rpc.h) ------ */

/* Connect with cw_rpc_open(c, addr, 0, err, errlen) and close with
 * cw_rpc_close (tools/rpc/rpc.h). */

/* Sends one request and waits for its answer.  params (borrowed) is a JSON
 * object of named arguments or NULL for none.  On success *result is a new
 * reference the caller must json_decref.  On failure *errmsg is a malloc'd
 * message the caller frees, and the return value is CW_RPC_ESERVER (the
 * message starts with the error's stable name) or CW_RPC_ETRANSPORT. */
int cw_rpc_call(cw_rpc *c, const char *method, json_t *params, json_t **result, char **errmsg);
/* cw_rpc_call in two halves, so requests can be pipelined: send one whose
 * params are already packed (len bytes, borrowed, one msgpack map of named
 * arguments) and get its msgid; later wait for that msgid's answer (waits
 * must come in the order of the sends).  Results and errors as for
 * cw_rpc_call. */
int cw_rpc_send_packed(cw_rpc *c, const char *method, const char *params, size_t len, uint32_t *id,
                       char **errmsg);
int cw_rpc_wait(cw_rpc *c, uint32_t id, json_t **result, char **errmsg);

/* ---- report.c --------------------------------------------------------- */

/* One table: ncols column names and nrows rows of ncols cells each.  All
 * strings are owned by the table. status_col names the column whose cells
 * are statuses (coloured on a terminal), or -1. */
typedef struct cw_table {
    char *caption;
    size_t ncols;
    char **cols;
    size_t nrows, cap;
    char **cells; /* nrows * ncols */
    int status_col;
} cw_table;

/* A stacked-bar chart: for each group, one count per series. */
typedef struct cw_chart {
    size_t nseries;
    const char *const *series; /* static strings */
    size_t ngroups;
    char **labels;
    long *counts; /* ngroups * nseries */
} cw_chart;

typedef struct cw_report {
    char *title;
    size_t nsummary;
    char **sum_key, **sum_val;
    cw_chart chart;
    size_t ntables;
    cw_table *tables;
    size_t csv_table; /* the table with one row per requirement */
    size_t nlegend;   /* explanation of each status value */
    const char *const *legend_key;
    const char *const *legend_val;
    json_t *answer; /* the server's answer, owned (printed by --format json) */
} cw_report;

typedef enum cw_report_kind {
    CW_REP_COVERAGE,
    CW_REP_GAP,
    CW_REP_COMPARE,
    CW_REP_SOA,
    CW_REP_CHECK
} cw_report_kind;

/* Builds a report from the server's answer.  answer is stolen (owned by
 * the report afterwards); groups_answer (borrowed, may be NULL) is a
 * coverage.get answer whose per-group breakdown feeds the gap report's
 * chart; show_detail adds the per-contribution explanation table to a
 * coverage report.  Returns 0 or -1 when the answer has an unexpected
 * shape (err filled). */
int cw_report_build(cw_report *r, cw_report_kind kind, json_t *answer, json_t *groups_answer,
                    bool show_detail, char *err, size_t errlen);
void cw_report_free(cw_report *r);

/* Helpers shared with render.c. */
int cw_table_init(cw_table *t, const char *caption, size_t ncols, const char *const *cols);
/* Appends one row of ncols strings (copied; NULL becomes ""). */
int cw_table_add(cw_table *t, const char *const *cells);

/* ---- render.c --------------------------------------------------------- */

typedef enum cw_format { CW_FMT_TABLE, CW_FMT_MD, CW_FMT_CSV, CW_FMT_JSON, CW_FMT_HTML } cw_format;

/* Parses a --format value; returns 0 or -1 when unknown. */
int cw_format_parse(const char *s, cw_format *out);
/* Writes r to out in the given format; colour adds ANSI colours to status
 * cells in table format (only ever set when out is a terminal). Returns 0
 * or -1 on a write error. */
int cw_render(FILE *out, const cw_report *r, cw_format fmt, bool colour);
/* Writes s HTML-escaped (& < > " '). */
void cw_html_escape(FILE *out, const char *s);

/* ---- main.c: shared by the commands in main.c and load.c -------------- */

/* Exit codes (tools/cli/README.md). */
enum { CW_EXIT_OK = 0, CW_EXIT_ERROR = 1, CW_EXIT_USAGE = 2 };

/* Where and as whom to connect; filled from the global flags and the
 * environment.  token is owned (malloc'd) or NULL. */
typedef struct cw_ctx {
    const char *server;
    char *token;
} cw_ctx;

/* Connects and, when a token is set, authenticates.  Prints the reason on
 * failure and returns CW_EXIT_ERROR; 0 on success (close with cw_rpc_close). */
int cw_ctx_connect(const cw_ctx *ctx, cw_rpc *c);
/* Calls method and prints a failure as "crosswalk: <server message>".
 * Returns 0 with *result set (caller json_decrefs) or CW_EXIT_ERROR. */
int cw_ctx_call(cw_rpc *c, const char *method, json_t *params, json_t **result);

/* Command-line options of one subcommand.  An option with arg fills
 * *sval (the argv string, borrowed); a flag sets *flag to true. */
typedef struct cw_opt {
    const char *name;  /* "--org" */
    const char *alias; /* "-o" or NULL */
    bool arg;
    const char **sval;
    bool *flag;
} cw_opt;

/* Parses argv[1..argc) against opts (argv[0] is the command's name) with
 * getopt_long, options by their full names only.  Returns 0 with the
 * positionals (borrowed strings) in *pos, a new array the caller frees;
 * otherwise *pos is NULL and the return is CW_EXIT_USAGE after printing
 * the problem, CW_EXIT_ERROR when out of memory, or 3 after printing help
 * (the command then exits 0). */
int cw_opts_parse(const char *cmd, int argc, char **argv, const cw_opt *opts, size_t nopts,
                  const char *help, char ***pos, size_t *npos);
/* cw_opts_parse for a command that takes options only, so a positional
 * is a usage error ("unexpected argument").  Returns 0, or what
 * cw_opts_parse returns otherwise (3 after printing help). */
int cw_opts_parse_only(const char *cmd, int argc, char **argv, const cw_opt *opts, size_t nopts,
                       const char *help);
/* Prints "crosswalk CMD: message" and the --help hint; returns CW_EXIT_USAGE. */
int cw_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Parses a non-negative decimal integer; -1 when s is not one. */
long cw_parse_count(const char *s);

/* Picks the report format from --format, else -o's extension (table when
 * neither says): 0, or the usage error's code after the message. */
int cw_report_format(const char *cmd, const char *format, const char *output, cw_format *fmt);
/* Renders r in fmt to output (a file) or standard output, coloured only on
 * a terminal: 0, or CW_EXIT_ERROR after the message. */
int cw_report_emit(const cw_report *r, cw_format fmt, const char *output);

/* isms.c: the ISMS commands (soa, risks, audit, findings). */
bool cw_isms_owns(const char *cmd);
int cw_cmd_isms(const cw_ctx *ctx, const char *cmd, int argc, char **argv);

/* The commands take argv with their own name at argv[0]. */
/* load.c (built only when the importers exist); the help texts live in
 * main.c so that --help works in a build without them. */
extern const char cw_help_load[];
extern const char cw_help_export[];
int cw_cmd_load(const cw_ctx *ctx, int argc, char **argv);
int cw_cmd_export(const cw_ctx *ctx, int argc, char **argv);

#endif
