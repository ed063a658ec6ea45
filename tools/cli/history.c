/* history.c: what changed and what will: `crosswalk log` reads the
 * server's hash-chained change log (log.list, a page at a time until the
 * end unless --limit says otherwise; `log head`, `log verify`, `log
 * compact`), `crosswalk expiring` the evidence that runs out within a time
 * and the statuses that change with it (evidence.expiring), and `crosswalk
 * changes` every status change of a framework over a period
 * (status.changes, continued where the server stopped until the period is
 * whole).
 *
 * The lists are built as a report (cli.h) so that they print as the other
 * commands' tables do, fitted to the terminal and paged there; --json
 * prints the server's answer instead (the pages of a list joined into
 * one).  `log verify` exits 1 when the chain is broken, so a script can
 * run it as a check.
 *
 * Ownership: answers are jansson values owned by the function that asked
 * for them until a report takes them (cw_report.answer). */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include <crosswalk/time.h>

const char cw_help_log[] =
    "Usage: crosswalk log [--org ORG] [--since N] [--limit N] [--json]\n"
    "       crosswalk log head [--json]\n"
    "       crosswalk log verify [--from N] [--to N] [--json]\n"
    "       crosswalk log compact --before TIME [--json]\n"
    "\n"
    "The change log: one entry for every write that changed the store, each\n"
    "holding the hash of the one before (log.list, log.head, log.verify,\n"
    "log.compact).\n"
    "  log                 the entries, oldest first: sequence, time, who (and their\n"
    "                      role), the method, the organisations and the first records\n"
    "                      written; every entry unless --limit is given\n"
    "  log head            the newest entry's sequence, hash and time, and the size\n"
    "                      of the log; note the hash elsewhere to prove later that\n"
    "                      the history up to it was not rewritten\n"
    "  log verify          checks the hash chain: prints ok and the head (exit 0), or\n"
    "                      the first bad sequence and why (exit 1)\n"
    "  log compact         removes the entries written before --before (admin); a\n"
    "                      checkpoint keeps the chain verifiable\n"
    "  --org ORG           only the entries that touched ORG\n"
    "  --since N           the entries after sequence N\n"
    "  --limit N           at most N entries (one page; the next --since is printed)\n"
    "  --from N, --to N    the first and last sequence to verify (default: all kept)\n"
    "  --before TIME       YYYY-MM-DD, RFC 3339, local time or Unix seconds\n"
    "  --json              the server's answer as JSON (log: the pages joined)\n"
    "  --format FMT        table (the default) or json, as --json\n";

const char cw_help_expiring[] =
    "Usage: crosswalk expiring --org ORG --within DURATION [--as-of TIME]\n"
    "                          [--framework FW]... [--json]\n"
    "\n"
    "The evidence that is valid now (or at --as-of) and no longer is DURATION\n"
    "later, and every requirement whose status changes with it: a forecast in\n"
    "which nothing but time changes (evidence.expiring).\n"
    "  --within DURATION   how far ahead to look: 90s, 15m, 12h, 30d or seconds\n"
    "  --as-of TIME        from when (default now): YYYY-MM-DD, RFC 3339, local time\n"
    "                      or Unix seconds\n"
    "  --framework FW      forecast this framework's statuses; give it once for\n"
    "                      each (default every framework)\n"
    "  --json              the server's answer as JSON\n"
    "  --format FMT        table (the default) or json, as --json\n";

const char cw_help_changes[] =
    "Usage: crosswalk changes --org ORG --framework FW --from TIME [--to TIME] [--json]\n"
    "\n"
    "Every status change of FW's requirements for ORG between two times, when it\n"
    "happened and the counts at both ends (status.changes). Evidence and audit\n"
    "findings are seen as they were at each time; controls, links, scope\n"
    "decisions and crosswalks as they are now.\n"
    "  --from TIME         the start of the period\n"
    "  --to TIME           its end (default now)\n"
    "  --json              the server's answer as JSON (continued answers joined)\n"
    "  --format FMT        table (the default) or json, as --json\n";

const char cw_help_diff[] =
    "Usage: crosswalk diff --org ORG --framework FW --from TIME [--to TIME]\n"
    "                     [--today-records] [--json]\n"
    "\n"
    "The requirements of FW whose status for ORG differs between two times, and\n"
    "what changed under each (coverage.diff): a control that contributes on one\n"
    "side only, its state or deciding evidence, how it reaches the requirement, a\n"
    "joint row's members in place, a scope decision, a finding, the catalogue.\n"
    "The controls, links, scope and crosswalks are those recorded at each time.\n"
    "  --from TIME         the earlier time\n"
    "  --to TIME           the later time (default now)\n"
    "  --today-records     judge today's controls, links, scope and crosswalks at\n"
    "                      both times (only evidence and findings then differ)\n"
    "  --json              the server's answer as JSON\n"
    "  --format FMT        table (the default) or json, as --json\n";

const char cw_help_period[] =
    "Usage: crosswalk period --org ORG --framework FW --from TIME [--to TIME]\n"
    "                       [--today-records] [--json]\n"
    "\n"
    "Whether each requirement of FW was met (or out of scope) for ORG throughout a\n"
    "period, the SOC 2 Type II question (coverage.period): the requirements that\n"
    "were not, each stretch with its status and what began it (the start of the\n"
    "period, a write and its change log sequence, or time: evidence collected or\n"
    "expiring, a finding's dates). The controls, links, scope and crosswalks are\n"
    "those recorded at each time.\n"
    "  --from TIME         the start of the period\n"
    "  --to TIME           its end (default now)\n"
    "  --today-records     judge today's controls, links, scope and crosswalks\n"
    "                      throughout (only evidence and findings age)\n"
    "  --json              the server's answer as JSON (continued answers joined)\n"
    "  --format FMT        table (the default) or json, as --json\n";

const char cw_help_readiness[] =
    "Usage: crosswalk readiness --org ORG --framework FW --date TIME [--json]\n"
    "\n"
    "How ORG will stand against FW on a coming date (the next audit) if nobody\n"
    "collects evidence before then: coverage now and on that date (a forecast:\n"
    "evidence ages and findings fall due, nothing else changes), the\n"
    "requirements whose status falls by then, and the evidence to renew first.\n"
    "  --date TIME         the date to forecast: YYYY-MM-DD, RFC 3339, local time\n"
    "                      or Unix seconds; after now\n"
    "  --json              {now, then, expiring}: the three answers as JSON\n"
    "  --format FMT        table (the default) or json, as --json\n";

/* ---- reading answers ---- */

static const char *h_str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static long long h_int(json_t *o, const char *key)
{
    return (long long)json_integer_value(json_object_get(o, key));
}

/* The strings of the array at key, joined with ", " (malloc'd). */
static char *h_join(json_t *o, const char *key)
{
    char *s = cw_fmt("%s", "");
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(o, key), i, e)
    {
        char *t = cw_fmt("%s%s%s", s, i ? ", " : "", json_is_string(e) ? json_string_value(e) : "");
        free(s);
        s = t;
    }
    return s;
}

/* Status counts {met: 3, ...} as "met 3, partial 0, ..." in the order the
 * reports use. */
static char *h_counts(json_t *counts)
{
    static const char *const order[] = {"met",     "partial", "unverified",
                                        "failing", "gap",     "not_applicable"};
    char *s = cw_fmt("%s", "");
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        json_t *n = json_object_get(counts, order[i]);
        if (!json_is_integer(n))
            continue;
        char *t = cw_fmt("%s%s%s %lld", s, *s ? ", " : "", cw_status_label(order[i]),
                         (long long)json_integer_value(n));
        free(s);
        s = t;
    }
    return s;
}

/* Shows r as a table, or its answer as JSON; frees r.  0 or CW_EXIT_ERROR. */
static int h_emit(const cw_ctx *ctx, cw_report *r, bool json)
{
    int rc = cw_emit(ctx, r, json ? CW_FMT_JSON : CW_FMT_TABLE, NULL);
    cw_report_free(r);
    return rc;
}

/* Connects, calls method with p (taken over) and closes: 0 with *res, or
 * CW_EXIT_ERROR (said). */
static int h_call(const cw_ctx *ctx, const char *method, json_t *p, json_t **res)
{
    cw_rpc c;
    int rc = cw_ctx_connect(ctx, &c);
    if (rc == 0) {
        rc = cw_ctx_call(&c, method, p, res);
        cw_rpc_close(&c);
    }
    json_decref(p);
    return rc;
}

/* A sequence number option: adds it as key to p, or a usage error. */
static int h_seq(const char *cmd, json_t *p, const char *key, const char *flag, const char *v)
{
    long n = cw_parse_count(v);
    if (n < 0)
        return cw_usage(cmd, "%s: expected a sequence number, got '%s'", flag, v);
    json_object_set_new(p, key, json_integer(n));
    return 0;
}

/* ---- log ---- */

/* The records an entry names: the first three as "kind org/id", then how
 * many more it wrote (keys_total counts them all, the entry holds 32). */
static char *h_keys(json_t *e)
{
    json_t *keys = json_object_get(e, "keys");
    long long total = h_int(e, "keys_total");
    char *s = cw_fmt("%s", "");
    size_t i, shown = 0;
    json_t *k;
    json_array_foreach(keys, i, k)
    {
        if (i == 3)
            break;
        json_t *org = json_object_get(k, "org");
        /* an organisation's own record is named by its slug alone */
        bool own = strcmp(h_str(k, "kind"), "org") == 0;
        char *t = cw_fmt("%s%s%s %s%s%s", s, i ? ", " : "", h_str(k, "kind"),
                         json_is_string(org) && !own ? json_string_value(org) : "",
                         json_is_string(org) && !own ? "/" : "", h_str(k, "id"));
        free(s);
        s = t;
        shown++;
    }
    if (shown == 0 && total > 0) {
        /* none named here: with --org the server leaves out the records
         * of other organisations and of catalogues */
        free(s);
        s = cw_fmt("%lld record%s", total, total == 1 ? "" : "s");
    } else if (total > (long long)shown) {
        char *t = cw_fmt("%s +%lld more", s, total - (long long)shown);
        free(s);
        s = t;
    }
    return s;
}

static void h_log_report(cw_report *r, json_t *ans, const char *org, bool paged)
{
    r->title = org ? cw_fmt("Change log of %s", org) : cw_fmt("%s", "Change log");
    json_t *entries = json_object_get(ans, "entries");
    static const char *const cols[] = {"seq", "time", "actor", "method", "orgs", "records"};
    cw_table *t = cw_report_table(r, "Entries", 6, cols);
    t->nowrap = 1u | 2u;
    size_t i;
    json_t *e;
    json_array_foreach(entries, i, e)
    {
        char *seq = cw_fmt("%lld", h_int(e, "seq"));
        char *who, *orgs, *recs;
        if (json_is_true(json_object_get(e, "checkpoint"))) {
            who = cw_fmt("%s", "-");
            orgs = cw_fmt("%s", "-");
            recs = cw_fmt("checkpoint: %lld entries before it removed", h_int(e, "removed"));
        } else {
            who = cw_fmt("%s (%s)", h_str(e, "actor"), h_str(e, "role"));
            orgs = h_join(e, "orgs");
            if (json_is_true(json_object_get(e, "catalogue"))) {
                char *o2 = cw_fmt("%s%scatalogue", orgs, *orgs ? ", " : "");
                free(orgs);
                orgs = o2;
            }
            recs = h_keys(e);
        }
        const char *row[] = {seq, h_str(e, "at"), who, h_str(e, "method"), orgs, recs};
        cw_report_row(t, row);
        free(seq);
        free(who);
        free(orgs);
        free(recs);
    }
    json_t *next = json_object_get(ans, "next");
    cw_report_sum(r, "entries", cw_fmt("%zu", json_array_size(entries)));
    if (json_is_integer(next) && !paged)
        cw_report_sum(r, "more",
                      cw_fmt("crosswalk log --since %lld shows the next entries",
                             (long long)json_integer_value(next)));
}

static int h_log_list(const cw_ctx *ctx, int argc, char **argv)
{
    const char *org = NULL, *since = NULL, *limit = NULL;
    bool json = false;
    const char *format = NULL;
    const cw_opt opts[] = {{"--org", NULL, true, &org, NULL, NULL},
                           {"--since", NULL, true, &since, NULL, NULL},
                           {"--limit", NULL, true, &limit, NULL, NULL},
                           {"--json", NULL, false, NULL, &json, NULL},
                           {"--format", NULL, true, &format, NULL, NULL}};
    int rc = cw_opts_parse_only("log", argc, argv, opts, 5, cw_help_log);
    if (rc == 0 && format)
        rc = cw_format_json("log", format, &json);
    if (rc)
        return rc == 3 ? 0 : rc;
    json_t *p = json_object();
    if (org)
        json_object_set_new(p, "org", json_string(org));
    if (since)
        rc = h_seq("log", p, "since", "--since", since);
    long lim = limit ? cw_parse_count(limit) : 0;
    if (rc == 0 && limit && lim <= 0)
        rc = cw_usage("log", "--limit: expected a number of entries from 1, got '%s'", limit);
    if (rc) {
        json_decref(p);
        return rc;
    }
    /* Without --limit every entry, in pages of the largest size worth
     * asking for at once. */
    json_object_set_new(p, "limit", json_integer(limit ? lim : 1000));
    cw_rpc c;
    if ((rc = cw_ctx_connect(ctx, &c)) != 0) {
        json_decref(p);
        return rc;
    }
    json_t *all = NULL;
    for (;;) {
        json_t *page = NULL;
        if ((rc = cw_ctx_call(&c, "log.list", p, &page)) != 0)
            break;
        json_t *next = json_object_get(page, "next");
        if (!all) {
            all = page;
        } else {
            json_array_extend(json_object_get(all, "entries"), json_object_get(page, "entries"));
            json_object_set(all, "next", next);
            json_decref(page);
        }
        /* a page ends early after many entries scanned; go on from where
         * it stopped, unless one page was asked for */
        if (limit || !json_is_integer(next))
            break;
        if (json_integer_value(next) <= json_integer_value(json_object_get(p, "since")))
            break; /* no progress: never loop on a server that repeats itself */
        json_object_set(p, "since", next);
    }
    cw_rpc_close(&c);
    json_decref(p);
    if (rc) {
        json_decref(all);
        return rc;
    }
    cw_report r;
    memset(&r, 0, sizeof r);
    r.answer = all;
    if (!json)
        h_log_report(&r, all, org, !limit);
    return h_emit(ctx, &r, json);
}

static int h_log_head(const cw_ctx *ctx, int argc, char **argv)
{
    bool json = false;
    const char *format = NULL;
    const cw_opt opts[] = {{"--json", NULL, false, NULL, &json, NULL},
                           {"--format", NULL, true, &format, NULL, NULL}};
    int rc = cw_opts_parse_only("log head", argc, argv, opts, 2, cw_help_log);
    if (rc == 0 && format)
        rc = cw_format_json("log head", format, &json);
    if (rc)
        return rc == 3 ? 0 : rc;
    json_t *res;
    if ((rc = h_call(ctx, "log.head", NULL, &res)) != 0)
        return rc;
    if (json)
        json_dumpf(res, stdout, JSON_INDENT(2));
    else if (h_int(res, "seq") == 0)
        printf("the change log is empty");
    else
        printf("head: %lld %s\nat: %s\nentries: %lld (%lld bytes)", h_int(res, "seq"),
               h_str(res, "hash"), h_str(res, "at"), h_int(res, "entries"), h_int(res, "bytes"));
    putchar('\n');
    json_decref(res);
    return 0;
}

static int h_log_verify(const cw_ctx *ctx, int argc, char **argv)
{
    const char *from = NULL, *to = NULL;
    bool json = false;
    const char *format = NULL;
    const cw_opt opts[] = {{"--from", NULL, true, &from, NULL, NULL},
                           {"--to", NULL, true, &to, NULL, NULL},
                           {"--json", NULL, false, NULL, &json, NULL},
                           {"--format", NULL, true, &format, NULL, NULL}};
    int rc = cw_opts_parse_only("log verify", argc, argv, opts, 4, cw_help_log);
    if (rc == 0 && format)
        rc = cw_format_json("log verify", format, &json);
    if (rc)
        return rc == 3 ? 0 : rc;
    json_t *p = json_object(), *res;
    if (from)
        rc = h_seq("log verify", p, "from", "--from", from);
    if (rc == 0 && to)
        rc = h_seq("log verify", p, "to", "--to", to);
    if (rc) {
        json_decref(p);
        return rc;
    }
    if ((rc = h_call(ctx, "log.verify", p, &res)) != 0)
        return rc;
    bool ok = json_is_true(json_object_get(res, "ok"));
    json_t *head = json_object_get(res, "head");
    if (json) {
        json_dumpf(res, stdout, JSON_INDENT(2));
        putchar('\n');
    } else {
        if (ok)
            printf("ok: entries %lld to %lld (%lld kept) chain as written\n", h_int(res, "from"),
                   h_int(res, "to"), h_int(res, "entries"));
        else
            printf("bad: entry %lld: %s\nchecked: entries %lld to %lld\n", h_int(res, "first_bad"),
                   h_str(res, "reason"), h_int(res, "from"), h_int(res, "to"));
        printf("head: %lld %s\n", h_int(head, "seq"), h_str(head, "hash"));
    }
    if (!ok)
        fprintf(stderr, "crosswalk log verify: the change log is broken at entry %lld\n",
                h_int(res, "first_bad"));
    json_decref(res);
    return ok ? 0 : CW_EXIT_ERROR;
}

static int h_log_compact(const cw_ctx *ctx, int argc, char **argv)
{
    const char *before = NULL;
    bool json = false;
    const char *format = NULL;
    const cw_opt opts[] = {{"--before", NULL, true, &before, NULL, NULL},
                           {"--json", NULL, false, NULL, &json, NULL},
                           {"--format", NULL, true, &format, NULL, NULL}};
    int rc = cw_opts_parse_only("log compact", argc, argv, opts, 3, cw_help_log);
    if (rc == 0 && format)
        rc = cw_format_json("log compact", format, &json);
    if (rc)
        return rc == 3 ? 0 : rc;
    if (!before)
        return cw_usage("log compact", "--before is required");
    json_t *p = json_object(), *res;
    if ((rc = cw_add_time("log compact", p, "before", "--before", before)) != 0) {
        json_decref(p);
        return rc;
    }
    if ((rc = h_call(ctx, "log.compact", p, &res)) != 0)
        return rc;
    if (json)
        json_dumpf(res, stdout, JSON_INDENT(2));
    else
        printf("removed %lld entries; a checkpoint holds the hash of the last one, so the log "
               "still verifies",
               h_int(res, "removed"));
    putchar('\n');
    json_decref(res);
    return 0;
}

int cw_cmd_log(const cw_ctx *ctx, int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(const cw_ctx *, int, char **);
    } actions[] = {{"list", h_log_list},
                   {"head", h_log_head},
                   {"verify", h_log_verify},
                   {"compact", h_log_compact}};
    /* An action is the first argument when it is not an option; none is
     * the list. */
    if (argc < 2 || argv[1][0] == '-')
        return h_log_list(ctx, argc, argv);
    for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++)
        if (strcmp(argv[1], actions[i].name) == 0)
            return actions[i].run(ctx, argc - 1, argv + 1);
    const char *names[] = {"list", "head", "verify", "compact"};
    char hint[128];
    if (cw_suggest(argv[1], names, 4, hint, sizeof hint))
        return cw_usage("log", "unknown action '%s'; did you mean %s?", argv[1], hint);
    return cw_usage("log", "unknown action '%s' (head, verify or compact; none lists entries)",
                    argv[1]);
}

/* ---- expiring ---- */

int cw_cmd_expiring(const cw_ctx *ctx, int argc, char **argv)
{
    const char *org = NULL, *within = NULL, *as_of = NULL;
    bool json = false;
    const char *format = NULL;
    cw_strs fws = {0};
    const cw_opt opts[] = {
        {"--org", NULL, true, &org, NULL, NULL},     {"--within", NULL, true, &within, NULL, NULL},
        {"--as-of", NULL, true, &as_of, NULL, NULL}, {"--framework", NULL, true, NULL, NULL, &fws},
        {"--json", NULL, false, NULL, &json, NULL},  {"--format", NULL, true, &format, NULL, NULL}};
    int rc = cw_opts_parse_only("expiring", argc, argv, opts, 6, cw_help_expiring);
    if (rc == 0 && format)
        rc = cw_format_json("expiring", format, &json);
    if (rc) {
        free(fws.v);
        return rc == 3 ? 0 : rc;
    }
    json_t *p = json_pack("{s:s?}", "org", org), *res;
    if (!org || !within)
        rc = cw_usage("expiring", "--org and --within are required");
    if (rc == 0)
        rc = cw_add_duration("expiring", p, "within", "--within", within);
    if (rc == 0 && as_of)
        rc = cw_add_time("expiring", p, "as_of", "--as-of", as_of);
    if (rc == 0 && fws.n) {
        json_t *a = json_array();
        for (size_t i = 0; i < fws.n; i++)
            json_array_append_new(a, json_string(fws.v[i]));
        json_object_set_new(p, "frameworks", a);
    }
    free(fws.v);
    if (rc) {
        json_decref(p);
        return rc;
    }
    if ((rc = h_call(ctx, "evidence.expiring", p, &res)) != 0)
        return rc;
    cw_report r;
    memset(&r, 0, sizeof r);
    r.answer = res;
    if (!json) {
        json_t *items = json_object_get(res, "items"), *reqs = json_object_get(res, "requirements");
        r.title = cw_fmt("Evidence of %s that expires by %s", h_str(res, "org"), h_str(res, "to"));
        cw_report_sum(&r, "from", cw_fmt("%s", h_str(res, "from")));
        cw_report_sum(&r, "to", cw_fmt("%s", h_str(res, "to")));
        size_t ni = json_array_size(items), nr = json_array_size(reqs);
        cw_report_sum(&r, "expiring", cw_fmt("%zu evidence record%s", ni, ni == 1 ? "" : "s"));
        cw_report_sum(&r, "statuses",
                      cw_fmt("%zu requirement%s change%s by then", nr, nr == 1 ? "" : "s",
                             nr == 1 ? "s" : ""));
        static const char *const ecols[] = {"id", "valid until", "result", "controls", "title"};
        cw_table *t = cw_report_table(&r, "Evidence that expires", 5, ecols);
        size_t i;
        json_t *e;
        json_array_foreach(items, i, e)
        {
            char *ctls = h_join(e, "controls");
            const char *row[] = {h_str(e, "id"), h_str(e, "valid_until"), h_str(e, "result"), ctls,
                                 h_str(e, "title")};
            cw_report_row(t, row);
            free(ctls);
        }
        static const char *const rcols[] = {"framework", "id", "now", "then"};
        t = cw_report_table(&r, "Requirements whose status changes", 4, rcols);
        t->status_col = 3;
        json_array_foreach(reqs, i, e)
        {
            const char *row[] = {h_str(e, "framework"), h_str(e, "id"), h_str(e, "from"),
                                 h_str(e, "to")};
            cw_report_row(t, row);
        }
    }
    return h_emit(ctx, &r, json);
}

/* ---- readiness ---- */

/* "met 12, partial 3, ..." of a coverage answer's counts, with its percent. */
static char *h_standing(json_t *cov)
{
    char *counts = h_counts(json_object_get(cov, "counts"));
    char *s =
        cw_fmt("%.1f %% met (%s)", json_number_value(json_object_get(cov, "percent")), counts);
    free(counts);
    return s;
}

int cw_cmd_readiness(const cw_ctx *ctx, int argc, char **argv)
{
    const char *org = NULL, *fw = NULL, *date = NULL;
    bool json = false;
    const char *format = NULL;
    const cw_opt opts[] = {{"--org", NULL, true, &org, NULL, NULL},
                           {"--framework", NULL, true, &fw, NULL, NULL},
                           {"--date", NULL, true, &date, NULL, NULL},
                           {"--json", NULL, false, NULL, &json, NULL},
                           {"--format", NULL, true, &format, NULL, NULL}};
    int rc = cw_opts_parse_only("readiness", argc, argv, opts, 5, cw_help_readiness);
    if (rc == 0 && format)
        rc = cw_format_json("readiness", format, &json);
    if (rc)
        return rc == 3 ? 0 : rc;
    if (!org || !fw || !date)
        return cw_usage("readiness", "--org, --framework and --date are required");
    char when[32];
    cw_time t;
    if (cw_time_arg(date, when, sizeof when) || cw_time_parse(when, strlen(when), &t))
        return cw_usage("readiness",
                        "--date: '%s' is not a time (YYYY-MM-DD, RFC 3339, YYYY-MM-DD HH:MM in "
                        "local time, or Unix seconds)",
                        date);
    cw_time now = cw_now();
    if (t <= now)
        return cw_usage("readiness",
                        "--date: %s is not after now; `crosswalk coverage --as-of` "
                        "shows a past date",
                        when);
    /* The three answers on one connection, the same "now" for all. */
    cw_rpc c;
    if ((rc = cw_ctx_connect(ctx, &c)) != 0)
        return rc;
    json_t *cur = NULL, *then = NULL, *exp = NULL;
    json_t *q_now =
        json_pack("{s:s, s:s, s:I}", "org", org, "framework", fw, "as_of", (json_int_t)now);
    json_t *q_then = json_pack("{s:s, s:s, s:s}", "org", org, "framework", fw, "as_of", when);
    json_t *q_exp = json_pack("{s:s, s:I, s:I, s:[s]}", "org", org, "as_of", (json_int_t)now,
                              "within", (json_int_t)(t - now), "frameworks", fw);
    rc = cw_ctx_call(&c, "coverage.get", q_now, &cur);
    if (rc == 0)
        rc = cw_ctx_call(&c, "coverage.get", q_then, &then);
    if (rc == 0)
        rc = cw_ctx_call(&c, "evidence.expiring", q_exp, &exp);
    json_decref(q_now);
    json_decref(q_then);
    json_decref(q_exp);
    cw_rpc_close(&c);
    if (rc) {
        json_decref(cur);
        json_decref(then);
        json_decref(exp);
        return rc;
    }
    cw_report r;
    memset(&r, 0, sizeof r);
    r.answer = json_pack("{s:o, s:o, s:o}", "now", cur, "then", then, "expiring", exp);
    if (!json) {
        json_t *items = json_object_get(exp, "items"), *reqs = json_object_get(exp, "requirements");
        r.title = cw_fmt("Readiness of %s for %s on %s", org, fw, when);
        cw_report_sum(&r, "now", h_standing(cur));
        cw_report_sum(&r, "on the date", h_standing(then));
        size_t ni = json_array_size(items), nr = json_array_size(reqs);
        cw_report_sum(&r, "falling",
                      cw_fmt("%zu requirement%s change%s status by then", nr, nr == 1 ? "" : "s",
                             nr == 1 ? "s" : ""));
        cw_report_sum(&r, "to renew",
                      cw_fmt("%zu evidence record%s expire%s before the date", ni,
                             ni == 1 ? "" : "s", ni == 1 ? "s" : ""));
        cw_report_sum(&r, "note",
                      cw_fmt("a forecast: evidence ages and findings fall due, nothing else "
                             "changes"));
        static const char *const rcols[] = {"id", "now", "on the date"};
        cw_table *tb = cw_report_table(&r, "Requirements whose status falls", 3, rcols);
        tb->status_col = 2;
        size_t i;
        json_t *e;
        json_array_foreach(reqs, i, e)
        {
            const char *row[] = {h_str(e, "id"), h_str(e, "from"), h_str(e, "to")};
            cw_report_row(tb, row);
        }
        static const char *const ecols[] = {"id", "valid until", "controls", "title"};
        tb = cw_report_table(&r, "Evidence to renew before the date", 4, ecols);
        json_array_foreach(items, i, e)
        {
            char *ctls = h_join(e, "controls");
            const char *row[] = {h_str(e, "id"), h_str(e, "valid_until"), ctls, h_str(e, "title")};
            cw_report_row(tb, row);
            free(ctls);
        }
    }
    return h_emit(ctx, &r, json);
}

/* ---- answers continued over several calls ---- */

/* Folds a continuing answer into the first one (what is particular to
 * the method); h_continued copies complete and resume_from. */
typedef void (*h_merge_fn)(json_t *all, json_t *ans);

/* Calls method with p (taken over) until an answer is complete or
 * max_calls were made, each call going on from the last one's
 * resume_from with the same end (else "now" would move on); the answers
 * are folded into *all.  0, or CW_EXIT_ERROR (said). */
static int h_continued(const cw_ctx *ctx, const char *method, json_t *p, int max_calls,
                       h_merge_fn merge, json_t **all)
{
    *all = NULL;
    cw_rpc c;
    int rc = cw_ctx_connect(ctx, &c);
    bool connected = rc == 0;
    for (int calls = 0; rc == 0 && calls < max_calls; calls++) {
        json_t *ans = NULL;
        if ((rc = cw_ctx_call(&c, method, p, &ans)) != 0)
            break;
        if (!*all) {
            *all = ans;
        } else {
            merge(*all, ans);
            json_object_set(*all, "complete", json_object_get(ans, "complete"));
            json_object_del(*all, "resume_from");
            if (json_object_get(ans, "resume_from"))
                json_object_set(*all, "resume_from", json_object_get(ans, "resume_from"));
            json_decref(ans);
        }
        if (!json_is_false(json_object_get(*all, "complete")) ||
            !json_is_string(json_object_get(*all, "resume_from")))
            break;
        json_object_set(p, "from", json_object_get(*all, "resume_from"));
        json_object_set(p, "to", json_object_get(*all, "to"));
    }
    if (connected)
        cw_rpc_close(&c);
    json_decref(p);
    if (rc) {
        json_decref(*all);
        *all = NULL;
    }
    return rc;
}

/* ---- changes ---- */

/* status.changes evaluates a bounded number of instants per call and says
 * where to continue; a period needing more than this many calls is shown
 * as far as they reached, with the time to continue from. */
#define CHANGES_CALLS_MAX 100

/* The start stays the first answer's; the rest is the latest. */
static void changes_merge(json_t *all, json_t *ans)
{
    json_array_extend(json_object_get(all, "changes"), json_object_get(ans, "changes"));
    json_object_set(all, "end", json_object_get(ans, "end"));
}

int cw_cmd_changes(const cw_ctx *ctx, int argc, char **argv)
{
    const char *org = NULL, *fw = NULL, *from = NULL, *to = NULL;
    bool json = false;
    const char *format = NULL;
    const cw_opt opts[] = {
        {"--org", NULL, true, &org, NULL, NULL},    {"--framework", NULL, true, &fw, NULL, NULL},
        {"--from", NULL, true, &from, NULL, NULL},  {"--to", NULL, true, &to, NULL, NULL},
        {"--json", NULL, false, NULL, &json, NULL}, {"--format", NULL, true, &format, NULL, NULL}};
    int rc = cw_opts_parse_only("changes", argc, argv, opts, 6, cw_help_changes);
    if (rc == 0 && format)
        rc = cw_format_json("changes", format, &json);
    if (rc)
        return rc == 3 ? 0 : rc;
    if (!org || !fw || !from)
        return cw_usage("changes", "--org, --framework and --from are required");
    json_t *p = json_pack("{s:s,s:s}", "org", org, "framework", fw);
    rc = cw_add_time("changes", p, "from", "--from", from);
    if (rc == 0 && to)
        rc = cw_add_time("changes", p, "to", "--to", to);
    if (rc) {
        json_decref(p);
        return rc;
    }
    json_t *all;
    if ((rc = h_continued(ctx, "status.changes", p, CHANGES_CALLS_MAX, changes_merge, &all)))
        return rc;
    cw_report r;
    memset(&r, 0, sizeof r);
    r.answer = all;
    if (!json) {
        json_t *changes = json_object_get(all, "changes");
        r.title = cw_fmt("Status changes of %s for %s", h_str(all, "framework"), h_str(all, "org"));
        cw_report_sum(&r, "from", cw_fmt("%s", h_str(all, "from")));
        cw_report_sum(&r, "to", cw_fmt("%s", h_str(all, "to")));
        cw_report_sum(&r, "at the start", h_counts(json_object_get(all, "start")));
        cw_report_sum(&r, "at the end", h_counts(json_object_get(all, "end")));
        cw_report_sum(&r, "changes", cw_fmt("%zu", json_array_size(changes)));
        if (json_is_false(json_object_get(all, "complete")))
            cw_report_sum(&r, "incomplete",
                          cw_fmt("the server stopped at %s: run again with --from %s",
                                 h_str(all, "resume_from"), h_str(all, "resume_from")));
        cw_report_sum(&r, "sees", cw_fmt("%s", h_str(all, "sees")));
        json_t *w = json_object_get(all, "writes");
        if (w && h_int(w, "count") > 0)
            cw_report_sum(&r, "writes",
                          cw_fmt("%s%lld to the organisation in the period (crosswalk log --org "
                                 "%s): before each, controls, links and scope may have differed",
                                 json_is_false(json_object_get(w, "complete")) ? "at least " : "",
                                 h_int(w, "count"), h_str(all, "org")));
        static const char *const cols[] = {"at", "id", "from", "to"};
        cw_table *t = cw_report_table(&r, "Changes", 4, cols);
        t->status_col = 3;
        size_t i;
        json_t *e;
        json_array_foreach(changes, i, e)
        {
            const char *row[] = {h_str(e, "at"), h_str(e, "id"), h_str(e, "from"), h_str(e, "to")};
            cw_report_row(t, row);
        }
    }
    return h_emit(ctx, &r, json);
}

/* ---- diff and period: recorded history ---- */

/* The options diff and period share, parsed and sent as *p (the caller's
 * to free); 0, 3 (help shown) or a usage error. */
static int h_span(const char *cmd, const char *help, int argc, char **argv, json_t **p, bool *json)
{
    const char *org = NULL, *fw = NULL, *from = NULL, *to = NULL, *format = NULL;
    bool today = false;
    *json = false;
    const cw_opt opts[] = {{"--org", NULL, true, &org, NULL, NULL},
                           {"--framework", NULL, true, &fw, NULL, NULL},
                           {"--from", NULL, true, &from, NULL, NULL},
                           {"--to", NULL, true, &to, NULL, NULL},
                           {"--today-records", NULL, false, NULL, &today, NULL},
                           {"--json", NULL, false, NULL, json, NULL},
                           {"--format", NULL, true, &format, NULL, NULL}};
    int rc = cw_opts_parse_only(cmd, argc, argv, opts, 7, help);
    if (rc == 0 && format)
        rc = cw_format_json(cmd, format, json);
    if (rc)
        return rc;
    if (!org || !fw || !from)
        return cw_usage(cmd, "--org, --framework and --from are required");
    *p = json_pack("{s:s,s:s,s:b}", "org", org, "framework", fw, "as_recorded", !today);
    rc = cw_add_time(cmd, *p, "from", "--from", from);
    if (rc == 0 && to)
        rc = cw_add_time(cmd, *p, "to", "--to", to);
    if (rc) {
        json_decref(*p);
        *p = NULL;
    }
    return rc;
}

/* "control C-1: no longer contributes; evidence added E-2" and the like. */
static char *h_cause(json_t *c)
{
    char *s = cw_fmt("%s %s", h_str(c, "kind"), h_str(c, "id"));
    const char *change = h_str(c, "change");
    if (*change) {
        char *t = cw_fmt("%s: %s", s, change);
        free(s);
        s = t;
    }
    if (*h_str(c, "state_from")) {
        char *t = cw_fmt("%s; state %s -> %s", s, h_str(c, "state_from"), h_str(c, "state_to"));
        free(s);
        s = t;
    }
    static const char *const lists[] = {"evidence_added", "evidence_dropped"};
    for (size_t i = 0; i < 2; i++) {
        if (!json_array_size(json_object_get(c, lists[i])))
            continue;
        char *ids = h_join(c, lists[i]);
        char *t = cw_fmt("%s; %s %s", s, i ? "evidence dropped" : "evidence added", ids);
        free(ids);
        free(s);
        s = t;
    }
    return s;
}

static const char *h_records(json_t *ans)
{
    return json_is_true(json_object_get(ans, "as_recorded"))
               ? "as recorded at each time"
               : "today's, with evidence and findings as of each time";
}

int cw_cmd_diff(const cw_ctx *ctx, int argc, char **argv)
{
    json_t *p = NULL, *ans = NULL;
    bool json;
    int rc = h_span("diff", cw_help_diff, argc, argv, &p, &json);
    if (rc)
        return rc == 3 ? 0 : rc;
    if ((rc = h_call(ctx, "coverage.diff", p, &ans)))
        return rc;
    cw_report r;
    memset(&r, 0, sizeof r);
    r.answer = ans;
    if (!json) {
        json_t *changed = json_object_get(ans, "changed");
        r.title = cw_fmt("What changed in %s for %s", h_str(ans, "framework"), h_str(ans, "org"));
        char *cf = h_counts(json_object_get(ans, "counts_from"));
        char *ct = h_counts(json_object_get(ans, "counts_to"));
        cw_report_sum(&r, "from", cw_fmt("%s: %s", h_str(ans, "from"), cf));
        cw_report_sum(&r, "to", cw_fmt("%s: %s", h_str(ans, "to"), ct));
        free(cf);
        free(ct);
        cw_report_sum(&r, "records", cw_fmt("%s", h_records(ans)));
        cw_report_sum(&r, "changed", cw_fmt("%zu", json_array_size(changed)));
        static const char *const cols[] = {"id", "from", "to", "what changed"};
        cw_table *t = cw_report_table(&r, "Requirements", 4, cols);
        t->status_col = 2;
        size_t i, j;
        json_t *e, *one;
        json_array_foreach(changed, i, e)
        {
            char *why = cw_fmt("%s", "");
            json_array_foreach(json_object_get(e, "causes"), j, one)
            {
                char *c1 = h_cause(one);
                char *joined = cw_fmt("%s%s%s", why, j ? " | " : "", c1);
                free(c1);
                free(why);
                why = joined;
            }
            const char *absent = "(not in the catalogue)";
            const char *row[] = {
                h_str(e, "id"),
                json_is_string(json_object_get(e, "from")) ? h_str(e, "from") : absent,
                json_is_string(json_object_get(e, "to")) ? h_str(e, "to") : absent, why};
            cw_report_row(t, row);
            free(why);
        }
    }
    return h_emit(ctx, &r, json);
}

/* coverage.period judges a bounded number of instants per call and says
 * where to go on; the CLI continues up to this many calls. */
#define PERIOD_CALLS_MAX 50

/* Each requirement's stretches are appended and its end status taken
 * from the latest answer; a stretch cut at one answer's end and continued
 * at the next is joined. */
static void period_merge(json_t *all, json_t *ans)
{
    json_t *reqs = json_object_get(all, "requirements");
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(ans, "requirements"), i, e)
    {
        json_t *mine = NULL, *x;
        size_t j;
        json_array_foreach(reqs, j, x) if (strcmp(h_str(x, "id"), h_str(e, "id")) == 0)
        {
            mine = x;
            break;
        }
        if (!mine) {
            json_array_append(reqs, e);
            continue;
        }
        json_t *st = json_object_get(mine, "not_held"), *more = json_object_get(e, "not_held");
        json_t *last = json_array_size(st) ? json_array_get(st, json_array_size(st) - 1) : NULL;
        json_t *first = json_array_size(more) ? json_array_get(more, 0) : NULL;
        size_t skip = 0;
        if (last && first &&
            json_equal(json_object_get(last, "to"), json_object_get(first, "from")) &&
            json_equal(json_object_get(last, "status"), json_object_get(first, "status")) &&
            strcmp(h_str(json_object_get(first, "cause"), "kind"), "start") == 0) {
            json_object_set(last, "to", json_object_get(first, "to"));
            skip = 1;
        }
        for (size_t k = skip; k < json_array_size(more); k++)
            json_array_append(st, json_array_get(more, k));
        json_object_set(mine, "end", json_object_get(e, "end"));
        json_object_set_new(mine, "held_throughout", json_boolean(json_array_size(st) == 0));
    }
    json_object_set(all, "to", json_object_get(ans, "to"));
    json_object_set_new(all, "instants",
                        json_integer(h_int(all, "instants") + h_int(ans, "instants")));
}

int cw_cmd_period(const cw_ctx *ctx, int argc, char **argv)
{
    json_t *p = NULL;
    bool json;
    int rc = h_span("period", cw_help_period, argc, argv, &p, &json);
    if (rc)
        return rc == 3 ? 0 : rc;
    json_t *all;
    if ((rc = h_continued(ctx, "coverage.period", p, PERIOD_CALLS_MAX, period_merge, &all)))
        return rc;
    /* the counts again, over the joined answer */
    size_t held = 0, n = json_array_size(json_object_get(all, "requirements"));
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(all, "requirements"), i, e) held +=
        json_is_true(json_object_get(e, "held_throughout"));
    json_object_set_new(all, "held_throughout", json_integer((json_int_t)held));
    json_object_set_new(all, "not_held", json_integer((json_int_t)(n - held)));
    cw_report r;
    memset(&r, 0, sizeof r);
    r.answer = all;
    if (!json) {
        r.title = cw_fmt("%s for %s throughout %s to %s", h_str(all, "framework"),
                         h_str(all, "org"), h_str(all, "from"), h_str(all, "to"));
        cw_report_sum(&r, "held throughout", cw_fmt("%zu of %zu requirements", held, n));
        cw_report_sum(&r, "instants judged", cw_fmt("%lld", h_int(all, "instants")));
        cw_report_sum(&r, "records",
                      cw_fmt("%s", json_is_true(json_object_get(all, "as_recorded"))
                                       ? "as recorded at each time"
                                       : "today's, with evidence and findings as of each time"));
        if (json_is_false(json_object_get(all, "complete")))
            cw_report_sum(&r, "incomplete",
                          cw_fmt("stopped at %s: run again with --from %s",
                                 h_str(all, "resume_from"), h_str(all, "resume_from")));
        static const char *const cols[] = {"id", "from", "to", "status", "began with"};
        cw_table *t = cw_report_table(&r, "Stretches not held", 5, cols);
        t->status_col = 3;
        size_t j;
        json_t *s;
        json_array_foreach(json_object_get(all, "requirements"), i, e)
        {
            json_array_foreach(json_object_get(e, "not_held"), j, s)
            {
                json_t *cause = json_object_get(s, "cause");
                char *why;
                if (strcmp(h_str(cause, "kind"), "write") == 0) {
                    char *seqs = cw_fmt("%s", "");
                    size_t k;
                    json_t *q;
                    json_array_foreach(json_object_get(cause, "writes"), k, q)
                    {
                        char *t2 = cw_fmt("%s%s%lld", seqs, k ? ", " : "",
                                          (long long)json_integer_value(q));
                        free(seqs);
                        seqs = t2;
                    }
                    why = cw_fmt("write %s", seqs);
                    free(seqs);
                } else {
                    why = cw_fmt("%s", h_str(cause, "kind"));
                }
                const char *row[] = {h_str(e, "id"), h_str(s, "from"), h_str(s, "to"),
                                     h_str(s, "status"), why};
                cw_report_row(t, row);
                free(why);
            }
        }
    }
    return h_emit(ctx, &r, json);
}
