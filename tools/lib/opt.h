/* Command-line options for the tools, read with getopt_long.
 *
 * The tools' options are words spelled out in full: getopt_long alone
 * would also take an unambiguous prefix ("--conn" for "--connections") and
 * glued short options ("-ofile"); cw_opt_next refuses both, so a typo is
 * reported instead of guessed.  Arguments are read in order (optstring
 * "-:"): a positional comes back as CW_OPT_POS, "--" ends the options, and
 * a missing value is told apart from an unknown option, so each tool keeps
 * its own messages and exit codes.  --name=value and --name value both
 * work for an option that takes a value.
 *
 * Ownership: a cw_opt_reader borrows argv and the option tables; what it
 * hands back (arg, word) points into argv. */
#ifndef CW_TOOLS_OPT_H
#define CW_TOOLS_OPT_H

#include <getopt.h>

/* cw_opt_next results besides an option's val. */
#define CW_OPT_END (-1)     /* no more options; positionals after "--" from g->next */
#define CW_OPT_POS 1        /* a positional in g->arg */
#define CW_OPT_UNKNOWN '?'  /* g->word is not an option of the tool */
#define CW_OPT_MISSING ':'  /* g->word takes a value and none follows */
#define CW_OPT_NOVALUE (-2) /* g->word gives a value to an option without one; its val in g->val */

typedef struct cw_opt_reader {
    int argc;
    char **argv;                /* argv[0] is the program or command: skipped */
    const char *shorts;         /* getopt short options, e.g. "ho:" (no leading '-' or ':') */
    const struct option *longs; /* ends with a zeroed entry */
    const char *arg;            /* the option's value or the positional */
    const char *word;           /* the argv element being read, for messages */
    int at;                     /* its index in argv (argc when there is none) */
    int val;                    /* with CW_OPT_NOVALUE: the option's val */
    int next; /* index of the next argv element (after CW_OPT_END: the first positional left) */
    char optstring[64];
    int started;
} cw_opt_reader;

/* Prepares g to read argv[1..argc) against shorts and longs. */
void cw_opt_init(cw_opt_reader *g, int argc, char **argv, const char *shorts,
                 const struct option *longs);
/* The next option's val, or one of the CW_OPT_* results above. */
int cw_opt_next(cw_opt_reader *g);
/* The name of g->word as an option: up to '=' for "--name=value";
 * *len receives its length (for "%.*s"). */
const char *cw_opt_name(const cw_opt_reader *g, int *len);

#endif
