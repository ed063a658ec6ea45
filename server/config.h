/* crosswalkd's settings (config.c): every setting is named once, as a
 * command-line flag and, under the same name without the dashes, as a key
 * of the configuration file.  They are taken from, in rising precedence:
 * the built-in defaults, the environment (CROSSWALK_LISTEN, CROSSWALK_DATA,
 * CROSSWALK_AUTH), the file given with --config, the command line. */
#ifndef CW_SERVER_CONFIG_H
#define CW_SERVER_CONFIG_H

#include "crosswalk/error.h"

struct cw_config;

/* What main does once the command line is read. */
typedef enum cw_action {
    CW_RUN,          /* start the server */
    CW_SHOW_HELP,    /* --help */
    CW_SHOW_VERSION, /* --version */
    CW_HASH_TOKEN    /* --hash-token */
} cw_action;

/* Fills cfg from the defaults, the environment, the --config file and the
 * other flags, in that order, and sets *action (CW_SHOW_HELP also with an
 * error that is a misuse of the command line).  Returns 0, or CW_EINVAL
 * with err naming the flag ("--max-depth: ..."), the environment variable
 * or the file, line and key ("crosswalkd.conf:7: max-depth: ...") and
 * what was wrong; CW_ENOMEM.  Strings cfg points to live in argv, the
 * environment or cfg->strings, which cfg owns: cw_config_free releases it
 * (also after a failure). */
int cw_config_parse(struct cw_config *cfg, int argc, char **argv, cw_action *action, cw_err *err);

/* Completes cfg once the sockets a service manager passed are counted:
 * the default address when neither a listen setting nor a passed socket
 * says where to serve, and the limits derived from others. */
int cw_config_finish(struct cw_config *cfg, int n_passed, cw_err *err);

void cw_config_free(struct cw_config *cfg);

#endif
