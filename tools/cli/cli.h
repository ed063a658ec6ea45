/* Internal interfaces of the `crosswalk` command-line client.
 *
 * The client has three layers: json_rpc.c speaks msgpack-RPC to
 * crosswalkd through the tools' client (tools/rpc/) and converts between
 * msgpack and jansson values; report.c turns a server answer (coverage,
 * gap report, compare, SoA, check), with what report_context.c fetched
 * beside it, into a format-neutral report model (title, summary,
 * provenance, a chart by group and status, tables); render.c writes that
 * model as an aligned text table, Markdown or CSV, and report_html.c as
 * one self-contained HTML document.
 * main.c parses the command line and ties them together; load.c holds the
 * `load` and `export` commands, which need the importers (import.h);
 * watch.c and history.c the commands that follow an organisation over
 * time (the status feed, the change log, expiring evidence, past changes).
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
/* cw_rpc_call for a request after which the server may push
 * notifications (watch.subscribe): those that arrive before the answer
 * are appended to the JSON array notes, each as {"method", "params"}, to
 * be shown after it instead of lost. */
int cw_rpc_call_keep(cw_rpc *c, const char *method, json_t *params, json_t *notes, json_t **result,
                     char **errmsg);
/* Waits up to timeout_ms (-1: no limit; a signal also ends the wait) for
 * the next notification, skipping anything else; *note is a new
 * {"method", "params"} object.  0, CW_RPC_EAGAIN (nothing yet), or
 * CW_RPC_ETRANSPORT with *errmsg set (malloc'd). */
int cw_rpc_note_next(cw_rpc *c, int timeout_ms, json_t **note, char **errmsg);

/* ---- report.c --------------------------------------------------------- */

/* Consecutive rows of a table that a document (HTML) shows behind one
 * closed <details> element: rows [first, first + n), which share their
 * first cell, under the one line summary (owned).  A printout carries the
 * summary line only, so long lists print compactly. */
typedef struct cw_fold {
    size_t first, n;
    char *summary;
} cw_fold;

/* One table: ncols column names and nrows rows of ncols cells each.  All
 * strings are owned by the table. status_col names the column whose cells
 * are statuses (coloured on a terminal), or -1.  The rest are hints for
 * the document formats; the text formats ignore them. */
typedef struct cw_table {
    char *caption;
    size_t ncols;
    char **cols;
    size_t nrows, cap;
    char **cells; /* nrows * ncols */
    int status_col;
    char *intro;     /* a sentence saying how to read the table, or NULL */
    unsigned nowrap; /* bit c set: column c holds ids, never broken across lines */
    unsigned wide;   /* bit c set: column c holds prose and wants room */
    char **doc;      /* NULL, or nrows * ncols: what HTML and Markdown show in place of a
                         cell (NULL: the cell): a count for a list another table holds,
                         titles and dates beside ids */
    size_t nfolds;   /* row groups HTML folds; rows outside every fold are plain */
    cw_fold *folds;
} cw_table;

/* A stacked-bar chart: for each group, one count per series. */
typedef struct cw_chart {
    size_t nseries;
    const char *const *series; /* static strings */
    size_t ngroups;
    char **labels;
    char **titles; /* the group's title per label ("" when unknown) */
    long *counts;  /* ngroups * nseries */
} cw_chart;

typedef struct cw_report {
    char *title;
    char *subtitle; /* one line naming what was asked, or NULL */
    char *lead;     /* the summary in a sentence or two, or NULL */
    size_t nactions;
    char **actions;      /* what to do first, in order */
    char *actions_title; /* heading of that list ("Top 5 actions") */
    size_t nsummary;
    char **sum_key, **sum_val;
    size_t nprov; /* provenance: what the report was made from, by what */
    char **prov_key, **prov_val;
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
 * chart; context (borrowed, may be NULL) is what cw_report_context
 * gathered: names, versions, controls and evidence, without which the
 * report names frameworks by slug and evidence by id; show_detail adds
 * the per-contribution explanation table to a coverage report.  Returns
 * 0 or -1 when the answer has an unexpected shape (err filled). */
int cw_report_build(cw_report *r, cw_report_kind kind, json_t *answer, json_t *groups_answer,
                    json_t *context, bool show_detail, char *err, size_t errlen);
void cw_report_free(cw_report *r);

/* Helpers shared with render.c. */
int cw_table_init(cw_table *t, const char *caption, size_t ncols, const char *const *cols);
/* Appends one row of ncols strings (copied; NULL becomes ""). */
int cw_table_add(cw_table *t, const char *const *cells);
/* The word a reader sees for a status or finding kind ("not applicable"
 * for not_applicable); s itself when it has none.  Static or s. */
const char *cw_status_label(const char *s);

/* ---- report_context.c ------------------------------------------------- */

/* Asks the server, after the report's own call, for what a report needs
 * to read as a document: the server's version (server.info), every
 * framework's name, version, publisher and licence (framework.list), the
 * organisation's name (org.get), the kind of the assessed requirements
 * (requirement.list) and the controls and evidence the answer cites
 * (control.get, evidence.get, pipelined).  *out is a new JSON object the
 * caller json_decrefs.  An item the server refuses (not_found, forbidden)
 * is left out and named under "notes"; a broken connection fails:
 * returns 0, or CW_EXIT_ERROR after printing why. */
int cw_report_context(cw_rpc *c, cw_report_kind kind, json_t *answer, json_t **out);

/* ---- report_html.c ---------------------------------------------------- */

/* Writes r as one self-contained HTML document (inline CSS and SVG, no
 * scripts or external resources) laid out for reading and for print. */
void cw_report_html(FILE *out, const cw_report *r);
/* Writes s HTML-escaped (& < > " '). */
void cw_html_escape(FILE *out, const char *s);

/* ---- report_pdf.c ----------------------------------------------------- */

/* Before anything is asked of the server: whether a Chromium is there to
 * print --format pdf.  Returns 0, or CW_EXIT_ERROR after printing what to
 * install or do instead. */
int cw_pdf_check(void);
/* Writes r to out as PDF: its HTML document printed by headless Chromium.
 * Returns 0, or -1 after printing why. */
int cw_report_pdf(FILE *out, const cw_report *r);

/* ---- render.c --------------------------------------------------------- */

typedef enum cw_format {
    CW_FMT_TABLE,
    CW_FMT_MD,
    CW_FMT_CSV,
    CW_FMT_JSON,
    CW_FMT_HTML,
    CW_FMT_PDF
} cw_format;

/* Parses a --format value; returns 0 or -1 when unknown. */
int cw_format_parse(const char *s, cw_format *out);
/* How a table is shown: colour adds ANSI colours to status cells (only
 * set for a terminal, or --color=always); width is the display width a
 * text table must fit, wrapping its longest columns (0: any width). */
typedef struct cw_view {
    bool colour;
    size_t width;
} cw_view;
/* Writes r to out in the given format (view may be NULL: no colour, any
 * width).  CSV cells that a spreadsheet would take for a formula are
 * written with a ' in front.  Returns 0, -1 on a write error, or -2 when
 * the PDF could not be made (the reason is printed). */
int cw_render(FILE *out, const cw_report *r, cw_format fmt, const cw_view *view);

/* ---- main.c: shared by the commands in main.c and load.c -------------- */

/* Exit codes (tools/cli/README.md). */
enum { CW_EXIT_OK = 0, CW_EXIT_ERROR = 1, CW_EXIT_USAGE = 2 };

typedef enum cw_color { CW_COLOR_AUTO, CW_COLOR_ALWAYS, CW_COLOR_NEVER } cw_color;

/* Where and as whom to connect, and how to show what comes back; filled
 * from the global flags and the environment.  token is owned (malloc'd)
 * or NULL. */
typedef struct cw_ctx {
    const char *server;
    char *token;
    cw_color color; /* --color */
    bool no_pager;  /* --no-pager */
} cw_ctx;

/* ---- term.c: display widths, the pager, colour ------------------------ */

/* Sets the locale text is measured in (call once, first thing). */
void cw_term_init(void);
/* Display cells s takes on a terminal (a control character counts one). */
size_t cw_text_width(const char *s);
/* The same for the first n bytes of s. */
size_t cw_text_width_n(const char *s, size_t n);
/* Bytes of the longest start of s, in whole characters, that takes at most
 * cols cells; *width (may be NULL) gets the cells it takes. */
size_t cw_text_fit(const char *s, size_t cols, size_t *width);
/* The columns of the terminal fd is, 0 when it is none. */
int cw_term_columns(int fd);
/* Parses a --color value (auto, always, never); 0 or -1. */
int cw_color_parse(const char *s, cw_color *out);

/* A command's output: -o FILE, standard output, or the pager.  Write to f
 * between cw_output_open and cw_output_close. */
typedef struct cw_output {
    FILE *f;
    const char *path;  /* -o FILE; NULL for standard output */
    bool colour;       /* for a table: colour the status cells */
    size_t width;      /* for a table: fit this many columns (0: any) */
    const char *pager; /* the text is held in buf and may go through it */
    char *buf;
    size_t len;
} cw_output;
/* Opens path ("-" and NULL mean standard output); table says the output is
 * a text table (colour and width apply).  0, or CW_EXIT_ERROR after saying
 * why the file cannot be written. */
int cw_output_open(cw_output *o, const cw_ctx *ctx, const char *path, bool table);
/* Ends the output: the held text goes through the pager when it is longer
 * than the terminal.  rc is the command's result so far (held text is
 * dropped when it is not 0); returns it, or CW_EXIT_ERROR when writing
 * failed (said). */
int cw_output_close(cw_output *o, int rc);

/* ---- progress.c: the progress line of a load ------------------------- */

typedef struct cw_progress {
    bool tty; /* stderr is a terminal: draw; otherwise nothing is drawn */
    double start, drawn, phase_start;
    char phase[32];
} cw_progress;
/* Starts the clock. */
void cw_progress_start(cw_progress *p);
/* Seconds since cw_progress_start. */
double cw_progress_elapsed(const cw_progress *p);
/* Redraws the line (at most ten times a second unless force): phase, and
 * with total a bar, done of total, the rate since the phase began, the
 * time taken and the time left; what (may be NULL) names the file. */
void cw_progress_show(cw_progress *p, const char *phase, const char *what, size_t done,
                      size_t total, bool force);
/* Clears the line, for a message or the summary to follow. */
void cw_progress_clear(cw_progress *p);

/* ---- args.c: argument conventions ------------------------------------- */

/* A time as a person writes it: Unix seconds, YYYY-MM-DD (UTC midnight),
 * RFC 3339 with any offset, or YYYY-MM-DD[T| ]HH:MM[:SS] in local time.
 * Writes it as RFC 3339 UTC into out (at least 21 bytes); 0 or -1. */
int cw_time_arg(const char *s, char *out, size_t cap);
/* The candidates word may have been meant as: the ones it begins, else the
 * ones a slip or two away; up to three, written "'a', 'b' or 'c'" into
 * out.  Returns how many (0: none near, out empty). */
size_t cw_suggest(const char *word, const char *const *cands, size_t n, char *out, size_t cap);
/* The counts of a bulk answer, in this order, and their sum over a load. */
enum { CW_N_CREATED, CW_N_UPDATED, CW_N_DELETED, CW_N_REJECTED, CW_N_UNCHANGED, CW_N_COUNTS };
/* Adds the bulk counts of answer ans (org.put's created: true counts one)
 * to t. */
void cw_counts_add(json_t *ans, long t[CW_N_COUNTS]);
/* "created 3, updated 1, unchanged 0, rejected 0", or for a dry run "would
 * create 3, update 1, leave 0 unchanged", into buf. */
void cw_counts_text(const long t[CW_N_COUNTS], bool dry, char *buf, size_t cap);
/* Whether a server error msg names one item of a bulk call ("name:
 * list[k]rest"): *k, *name_len (the error name's length) and *rest (what
 * follows the item: "controls[0]: ..." or ": ...", its '.' dropped). */
bool cw_error_item(const char *msg, size_t *k, int *name_len, const char **rest);
/* Reads the whole file path ("-": standard input) into *data (malloc'd,
 * NUL-terminated, *len bytes).  0, or -1 with errno. */
int cw_read_file(const char *path, char **data, size_t *len);
/* After a server error msg naming a framework or organisation that does
 * not exist, prints the ones it may have meant (asking c for the list). */
void cw_hint_unknown(cw_rpc *c, const char *msg);

/* Connects and, when a token is set, authenticates.  Prints the reason on
 * failure and returns CW_EXIT_ERROR; 0 on success (close with cw_rpc_close). */
int cw_ctx_connect(const cw_ctx *ctx, cw_rpc *c);
/* The second half of cw_ctx_connect, for a connection opened otherwise
 * (cw_rpc_open): authenticates when a token is set.  0, or CW_EXIT_ERROR
 * after printing why (c is then closed). */
int cw_ctx_auth(const cw_ctx *ctx, cw_rpc *c);
/* Calls method and prints a failure as "crosswalk: <server message>".
 * Returns 0 with *result set (caller json_decrefs) or CW_EXIT_ERROR. */
int cw_ctx_call(cw_rpc *c, const char *method, json_t *params, json_t **result);

/* ---- compact.c ---- */

/* Turns a coverage answer given with detail: "compact" into the full form
 * (detail: true), in place; an answer in the full form is left as it is. */
void cw_coverage_expand(json_t *answer);

/* Command-line options of one subcommand.  An option with arg fills
 * *sval (the argv string, borrowed); a flag sets *flag to true. */
/* The values of an option that may be given more than once: v is
 * malloc'd (the caller frees it), the strings are argv's. */
typedef struct cw_strs {
    const char **v;
    size_t n;
} cw_strs;

typedef struct cw_opt {
    const char *name;  /* "--org" */
    const char *alias; /* "-o" or NULL */
    bool arg;
    const char **sval;
    bool *flag;
    cw_strs *many; /* instead of sval: every value given, in order */
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

/* --format of the commands that print a table or JSON (watch, log,
 * expiring, readiness, changes): "json" sets *json, "table" clears it;
 * anything else is a usage error of cmd. */
int cw_format_json(const char *cmd, const char *format, bool *json);

/* Adds the time value (any form cw_time_arg takes) as key to the JSON
 * object p; a usage error naming flag when it is none. */
int cw_add_time(const char *cmd, json_t *p, const char *key, const char *flag, const char *value);
/* Adds the duration value (whole seconds, or 90s, 15m, 12h, 30d) as key to
 * p; a usage error naming flag when it is none. */
int cw_add_duration(const char *cmd, json_t *p, const char *key, const char *flag,
                    const char *value);
/* Whether a command's arguments ask for its help (--help or -h), wherever
 * they stand. */
bool cw_asks_help(int argc, char **argv);
/* The format of --format, else the one the -o file's extension names,
 * else table.  0, or a usage error for an unknown --format. */
int cw_format_for(const char *cmd, const char *format, const char *output, cw_format *fmt);
/* Renders r in fmt to -o output ("-" or NULL: standard output, paged on a
 * terminal).  0 or CW_EXIT_ERROR (said). */
int cw_emit(const cw_ctx *ctx, const cw_report *r, cw_format fmt, const char *output);

/* Building a report of summary lines and tables, for the commands whose
 * answers need no report.c builder: every one of these ends the program
 * with "out of memory" rather than return a half-built report. */
_Noreturn void cw_oom_exit(void);
/* A malloc'd string from a printf format. */
char *cw_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Adds a summary line: key (copied) and val (taken over, from cw_fmt). */
void cw_report_sum(cw_report *r, const char *key, char *val);
/* Adds a table of ncols columns; valid until the next one is added. */
cw_table *cw_report_table(cw_report *r, const char *caption, size_t ncols, const char *const *cols);
/* cw_table_add that cannot fail. */
void cw_report_row(cw_table *t, const char *const *cells);

/* ---- json_rpc.c ---- */
/* Packs the JSON value v as msgpack into pk.  0, or -1 out of memory. */
int cw_json_pack(msgpack_packer *pk, json_t *v);

/* ---- load.c: files through the importers ---- */
/* A load of files the way `load` does it (validated first, then sent in
 * batches, refusals named by file and line): org for controls and
 * evidence (created when missing, unless dry_run); dry_run has the server
 * check and count without writing; expect, when given, is the importer
 * format every file must be ("csv-controls"), what its name in words.
 * Returns 0, CW_EXIT_ERROR (said) or CW_EXIT_USAGE. */
typedef struct cw_load_req {
    const char *org;
    bool dry_run;
    const char *expect, *what;
} cw_load_req;
int cw_load_files(const cw_ctx *ctx, const char *cmd, const cw_load_req *req, char **files,
                  size_t nfiles);

/* ---- verbs.c: org, control, evidence, scope ---- */
/* Runs `crosswalk NOUN ACTION ...` (argv[0] is the noun). */
int cw_cmd_noun(const cw_ctx *ctx, int argc, char **argv);
/* Prints the help of noun, or of its action when given; a usage error when
 * there is no such action.  Returns the exit code. */
int cw_noun_help(const char *noun, const char *action);

/* ---- isms.c: the ISMS commands (soa, risks, audit, findings) ---- */
int cw_cmd_isms(const cw_ctx *ctx, const char *cmd, int argc, char **argv);

/* ---- watch.c and history.c: continuous compliance ---- */
/* `watch`: the status feed as it happens (watch.c). */
extern const char cw_help_watch[];
int cw_cmd_watch(const cw_ctx *ctx, int argc, char **argv);
/* `log` (list, head, verify, compact), `expiring` and `changes`: the change
 * log and statuses over time (history.c). */
extern const char cw_help_log[];
extern const char cw_help_expiring[];
extern const char cw_help_changes[];
extern const char cw_help_diff[];
extern const char cw_help_period[];
extern const char cw_help_readiness[];
int cw_cmd_log(const cw_ctx *ctx, int argc, char **argv);
int cw_cmd_expiring(const cw_ctx *ctx, int argc, char **argv);
int cw_cmd_readiness(const cw_ctx *ctx, int argc, char **argv);
int cw_cmd_changes(const cw_ctx *ctx, int argc, char **argv);
int cw_cmd_diff(const cw_ctx *ctx, int argc, char **argv);
int cw_cmd_period(const cw_ctx *ctx, int argc, char **argv);

/* The commands take argv with their own name at argv[0]. */
/* load.c (built only when the importers exist); the help texts live in
 * main.c so that --help works in a build without them. */
extern const char cw_help_load[];
extern const char cw_help_export[];
int cw_cmd_load(const cw_ctx *ctx, int argc, char **argv);
int cw_cmd_export(const cw_ctx *ctx, int argc, char **argv);

#endif
