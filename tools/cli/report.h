/* What report.c and report_words.c share: the builder's state and the
 * helpers and sentences the builders write with.  Private to the report
 * model; the rest of the CLI sees cli.h only.
 *
 * Strings returned as const char * are borrowed (from the answer, the
 * context or the builder's state, living as long as they do); char *
 * results are malloc'd and the caller frees them.  Running out of memory
 * ends the command (cw_oom): a report has no partial result to keep. */
#ifndef CW_REPORT_H
#define CW_REPORT_H

#include "cli.h"

/* The state a report is built with. */
typedef struct cw_bctx {
    cw_report *r;
    json_t *a;         /* the answer (borrowed) */
    json_t *ctx;       /* report_context.c's object (borrowed, may be NULL) */
    const char *home;  /* the report's own framework: its ids are written bare */
    const char *as_of; /* the answer's time, to tell expired evidence */
    json_t *shortname; /* slug -> short name, computed once */
    json_t *cited;     /* slug -> true: frameworks the report names */
    json_t *rows;      /* row key -> origin: crosswalk rows the report cites */
} cw_bctx;

/* A growing string on open_memstream; cw_sb_take hands the text over. */
typedef struct cw_sb {
    FILE *f;
    char *p;
    size_t n;
} cw_sb;

/* ---- helpers ------------------------------------------------------------ */

_Noreturn void cw_oom(void);
/* A malloc'd copy of s ("" for NULL). */
char *cw_xstrdup(const char *s);
/* realloc, or the end of the command. */
void *cw_xrealloc(void *p, size_t n);
/* o[key] when it is a string, else "". */
const char *cw_js(json_t *o, const char *key);
/* o[key] when it is a number, else 0. */
long cw_jl(json_t *o, const char *key);
void cw_sb_open(cw_sb *b);
/* Closes the stream; the text is the caller's to free. */
char *cw_sb_take(cw_sb *b);
/* The scalars of a JSON array joined with sep; cw_joined as a new string. */
void cw_join(FILE *f, json_t *arr, const char *sep);
char *cw_joined(json_t *arr, const char *sep);
/* "A.8.3, A.5.17 and A.5.18" from a JSON array of ids. */
void cw_and_list(FILE *f, json_t *ids);
/* "2026-11-20 00:00 UTC" from an answer's RFC 3339 UTC time, into buf. */
const char *cw_moment(const char *t, char *buf, size_t n);

/* ---- names -------------------------------------------------------------- */

/* framework.list's map of a framework, or NULL. */
json_t *cw_fw_info(cw_bctx *b, const char *slug);
/* A framework's short name ("SOC 2"), else its slug; noted as cited. */
const char *cw_fw_short(cw_bctx *b, const char *slug);
/* A framework's full name, else its slug; noted as cited. */
const char *cw_fw_name(cw_bctx *b, const char *slug);
/* The organisation's name, else its slug. */
const char *cw_org_name(cw_bctx *b);
/* A requirement: bare when of the report's own framework, else after
 * its framework's short name ("ISO/IEC 27001:2022 A.8.15"). */
void cw_req(cw_bctx *b, FILE *f, const char *fw, const char *id);
/* "61 SOC 2 criteria": n requirements of the assessed framework fw (its
 * short name), with what the framework calls them. */
void cw_count_kind(cw_bctx *b, FILE *f, long n, const char *fw);

/* ---- sentences ---------------------------------------------------------- */

/* A relationship in words, for one requirement ("covers part of") or a
 * set ("cover part of"). Static. */
const char *cw_rel_words(const char *rel, bool plural);
/* A path: "ISO/IEC 27001:2022 A.5.15 matches CC6.1 (strength 8/10)". */
void cw_path_words(cw_bctx *b, FILE *f, json_t *path);
/* A joint row: "ISO/IEC 27001:2022 A.5.15 and A.8.5 together cover all of
 * CC6.1"; target_fw names the target's framework when the row does not. */
void cw_row_words(cw_bctx *b, FILE *f, json_t *row, const char *target_fw);
/* Evidence ids with their results and dates, "; " between them. */
void cw_evidence_list(cw_bctx *b, FILE *f, json_t *ids);
/* "AC-1 (Access control)". */
void cw_control_words(cw_bctx *b, FILE *f, const char *id);
/* A control's state with the evidence that decided it: "failing (EV-3
 * “Nessus scan” failed, collected 2026-11-03)". */
void cw_control_state_words(cw_bctx *b, FILE *f, const char *id, const char *state);
/* A joint row's members in place (with what put them there) and missing. */
void cw_members_words(cw_bctx *b, FILE *f, json_t *je);
/* One contribution: control, state, route, evidence; or a set. */
void cw_contribution_words(cw_bctx *b, FILE *f, json_t *c);

#endif
