/* Options read with getopt_long, by full name only (opt.h). */
#include "opt.h"

#include <stdio.h>
#include <string.h>

void cw_opt_init(cw_opt_reader *g, int argc, char **argv, const char *shorts,
                 const struct option *longs)
{
    memset(g, 0, sizeof *g);
    g->argc = argc;
    g->argv = argv;
    g->shorts = shorts;
    g->longs = longs;
    g->next = 1;
    /* '-': positionals come back in order as 1; ':': a missing value is
     * ':' rather than '?'. */
    snprintf(g->optstring, sizeof g->optstring, "-:%s", shorts ? shorts : "");
}

const char *cw_opt_name(const cw_opt_reader *g, int *len)
{
    const char *eq = strncmp(g->word, "--", 2) == 0 ? strchr(g->word, '=') : NULL;
    *len = eq ? (int)(eq - g->word) : (int)strlen(g->word);
    return g->word;
}

/* The long option spelled exactly as name (n bytes), or NULL. */
static const struct option *find_long(const struct option *longs, const char *name, size_t n)
{
    for (; longs && longs->name; longs++)
        if (strlen(longs->name) == n && strncmp(longs->name, name, n) == 0)
            return longs;
    return NULL;
}

int cw_opt_next(cw_opt_reader *g)
{
    if (!g->started) {
        optind = 0; /* GNU: start afresh (another reader may have run before) */
        g->started = 1;
    } else {
        optind = g->next;
    }
    opterr = 0;
    int at = g->next > 0 ? g->next : 1;
    int idx = -1;
    int c = getopt_long(g->argc, g->argv, g->optstring, g->longs, &idx);
    g->next = optind;
    g->arg = optarg;
    g->word = at < g->argc ? g->argv[at] : "";
    g->at = at < g->argc ? at : g->argc;
    if (c == -1)
        return CW_OPT_END;
    if (c == 1)
        return CW_OPT_POS;
    if (c == ':')
        return CW_OPT_MISSING;
    const char *w = g->word;
    if (strncmp(w, "--", 2) == 0) {
        size_t n = strcspn(w + 2, "=");
        const struct option *o = find_long(g->longs, w + 2, n);
        if (c == '?') {
            if (o && o->has_arg == no_argument && w[2 + n] == '=') {
                g->val = o->val;
                return CW_OPT_NOVALUE;
            }
            return CW_OPT_UNKNOWN;
        }
        /* getopt_long also takes a unique prefix: only the full name counts. */
        return o && idx >= 0 && o == &g->longs[idx] ? c : CW_OPT_UNKNOWN;
    }
    /* A short option stands alone: "-o FILE", never "-oFILE" or "-ab". */
    if (c == '?' || strlen(w) != 2)
        return CW_OPT_UNKNOWN;
    return c;
}
