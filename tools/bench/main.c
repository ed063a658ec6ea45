/* crosswalk-bench: the benchmark tool of issue 7.  Its jobs are all done
 * purely over the msgpack-RPC protocol (it never links the engine, so what
 * it measures is what a real client sees):
 *
 *   gen           builds a deterministic dataset (gen.c);
 *   evidence-csv  writes a large evidence CSV in the CLI's import format for
 *                 `crosswalk load` timing (evidence_csv.c);
 *   run           a closed-loop load generator, every scenario read as a
 *                 ratio to ping in the same run (run.c);
 *   load          evidence.load of a million generated items in batches
 *                 against a raw LMDB put loop as the baseline (load.c);
 *   idle          the server's resident memory before and after opening
 *                 many connections that each answered a ping (idle.c);
 *   startup       time from exec to the first answered ping, on an empty
 *                 and on an existing data directory (startup.c).
 *
 * This file reads the command line (getopt_long through tools/lib/opt.c:
 * every option is accepted by every subcommand, by its full name) and
 * starts the subcommand; the shared parts are in shared.c and items.c.
 * Sockets are plain POSIX with poll(); msgpack-c packs requests and the
 * tools' RPC client (tools/rpc/) reads answers. */
#include "bench.h"

#include "opt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static unsigned long long cw_num(const char *flag, const char *v)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno || *end || end == v)
        cw_die("%s: '%s' is not a non-negative integer", flag, v);
    return n;
}

static double cw_dnum(const char *flag, const char *v)
{
    char *end;
    double d = strtod(v, &end);
    if (*end || end == v || d < 0)
        cw_die("%s: '%s' is not a non-negative number", flag, v);
    return d;
}

static void cw_usage(FILE *f)
{
    fputs(
        "usage:\n"
        "  crosswalk-bench gen --server ADDR [--seed N] [--controls 400] [--evidence 20000]\n"
        "                      [--orgs 3] [--exclusions 8] [--batch 10000] [--findings 0]\n"
        "  crosswalk-bench evidence-csv --rows N --org O -o FILE [--seed N] [--controls 400]\n"
        "  crosswalk-bench run --server ADDR [--connections 50] [--pipeline 1] [--duration 10]\n"
        "                      [--warmup 2] [--scenario NAME]... [--json FILE] [--orgs 3]\n"
        "                      [--controls 400] [--seed N] [--threads 1]\n"
        "      --threads: client threads, each driving its share of the connections (so\n"
        "      reading large answers does not make the client the bottleneck)\n"
        "  crosswalk-bench load --server ADDR --org O [--items 1000000] [--batch 10000]\n"
        "                      [--pipeline 1] [--seed N] [--controls 400] [--data-dir DIR]\n"
        "                      [--no-sync] [--json FILE]\n"
        "      evidence.load of --items generated items (ids LD-0000001..) in batches of\n"
        "      --batch, --pipeline requests in flight (the next batch is packed while the\n"
        "      server works), then the same records put into a fresh local LMDB environment\n"
        "      in transactions of --batch (the raw put loop baseline; beside DIR, the\n"
        "      server's data directory, when given, else in $TMPDIR or /tmp), fsync'd on\n"
        "      commit unless --no-sync (use it exactly when crosswalkd runs with --no-sync)\n"
        "  crosswalk-bench idle --server ADDR --pid PID [--connections 1000] [--settle 1]\n"
        "                      [--json FILE]\n"
        "      the server's VmRSS (/proc/PID/status) before and after opening --connections\n"
        "      connections that each answered one ping, and after closing them; crosswalkd\n"
        "      must allow them (--max-connections above N; default 4096)\n"
        "  crosswalk-bench startup --crosswalkd PATH [--runs 5] [--json FILE]\n"
        "      time from fork/exec of PATH --data DIR --listen unix:SOCK (fsync on) to the\n"
        "      first answered ping, on an empty data directory and again on the one it\n"
        "      left; each start is stopped with SIGTERM and must exit 0\n"
        "  crosswalk-bench scale --crosswalkd PATH [--steps 20000,200000,2000000]\n"
        "                      [--tenants 1000] [--tenant-evidence 2000] [--controls 400]\n"
        "                      [--duration 10] [--warmup 2] [--json FILE]\n"
        "      one organisation with each --steps count of evidence items, then --tenants\n"
        "      organisations of --tenant-evidence items each, each on a crosswalkd of its own\n"
        "      (--no-sync, a fresh data directory under /tmp): load time, server RSS, store\n"
        "      size and the latency of coverage.get with a different as_of every request\n"
        "      (no memo), against the first step's and against ping\n"
        "  crosswalk-bench cpu --crosswalkd PATH [--connections 50] [--pipeline 1]\n"
        "                      [--duration 10] [--warmup 2] [--json FILE]\n"
        "      the CPU (user + system, /proc) a server spends per request answered: a\n"
        "      minimal libuv + msgpack-c echo server (crosswalk-bench echo) on ping, then\n"
        "      crosswalkd (--no-sync, fresh data directory) on ping and requirement.get,\n"
        "      each its own process under the same load\n"
        "  crosswalk-bench echo --server unix:PATH\n"
        "      that echo server, answering every request with \"pong\" until SIGTERM\n"
        "scenarios: requirement.get coverage-summary coverage-detail coverage-compact gap compare\n"
        "           evidence-put\n"
        "           (the default set), evidence-put-serial (only when named: one connection\n"
        "           writing one item at a time), coverage-uncached (only when named: as_of a\n"
        "           random second of the last 30 days, so no answer is memoised); ping always\n"
        "           runs first as the baseline\n"
        "  crosswalk-bench feed --crosswalkd PATH [--subscribers 100] [--never-read 1]\n"
        "                      [--connections 4] [--duration 5] [--warmup 1] [--json FILE]\n"
        "      the status feed: writers (--connections, at most 8) flip requirement statuses\n"
        "      with evidence.put; writes/s alone, beside --never-read subscribers that never\n"
        "      read, and with --subscribers reading ones, and the latency of each\n"
        "      status.changed event after its commit (p50, p90, p99, max)\n"
        "ADDR: tcp://HOST:PORT, HOST:PORT or unix:PATH\n",
        f);
}

static const struct option cw_longs[] = {{"server", required_argument, NULL, 'S'},
                                         {"seed", required_argument, NULL, 's'},
                                         {"orgs", required_argument, NULL, 'O'},
                                         {"controls", required_argument, NULL, 'C'},
                                         {"evidence", required_argument, NULL, 'E'},
                                         {"batch", required_argument, NULL, 'B'},
                                         {"exclusions", required_argument, NULL, 'X'},
                                         {"findings", required_argument, NULL, 'F'},
                                         {"rows", required_argument, NULL, 'R'},
                                         {"org", required_argument, NULL, 'g'},
                                         {"output", required_argument, NULL, 'o'},
                                         {"connections", required_argument, NULL, 'c'},
                                         {"pipeline", required_argument, NULL, 'p'},
                                         {"threads", required_argument, NULL, 't'},
                                         {"duration", required_argument, NULL, 'd'},
                                         {"warmup", required_argument, NULL, 'w'},
                                         {"json", required_argument, NULL, 'j'},
                                         {"items", required_argument, NULL, 'i'},
                                         {"data-dir", required_argument, NULL, 'D'},
                                         {"pid", required_argument, NULL, 'P'},
                                         {"settle", required_argument, NULL, 'e'},
                                         {"crosswalkd", required_argument, NULL, 'x'},
                                         {"runs", required_argument, NULL, 'r'},
                                         {"steps", required_argument, NULL, 'T'},
                                         {"tenants", required_argument, NULL, 'm'},
                                         {"tenant-evidence", required_argument, NULL, 'v'},
                                         {"scenario", required_argument, NULL, 'n'},
                                         {"subscribers", required_argument, NULL, 'u'},
                                         {"never-read", required_argument, NULL, 'z'},
                                         {"no-sync", no_argument, NULL, 'N'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};

/* What the options are when not given; idle's --connections is the
 * exception (cw_parse). */
static const cw_opts cw_defaults = {.seed = 1,
                                    .orgs = 3,
                                    .controls = 400,
                                    .evidence = 20000,
                                    .batch = 10000,
                                    .exclusions = 8,
                                    .connections = 50,
                                    .pipeline = 1,
                                    .threads = 1,
                                    .items = 1000000,
                                    .settle = 1,
                                    .runs = 5,
                                    .duration = 10,
                                    .warmup = 2};

/* Reads the options after the subcommand (argv[1]).  Every option but
 * --no-sync and --help takes a value, so a word that is no option is
 * reported as one that lacks its value when it is last, and as unknown
 * otherwise. */
static void cw_parse(cw_opts *o, int argc, char **argv)
{
    *o = cw_defaults;
    if (strcmp(argv[1], "idle") == 0)
        o->connections = 1000;
    cw_opt_reader g;
    cw_opt_init(&g, argc - 1, argv + 1, "ho:", cw_longs);
    for (int c; (c = cw_opt_next(&g)) != CW_OPT_END || strcmp(g.word, "--") == 0;) {
        int len;
        const char *w = cw_opt_name(&g, &len);
        char a[64]; /* the option as written, for messages */
        snprintf(a, sizeof a, "%.*s", len, w);
        const char *v = g.arg;
        switch (c) {
        case 'h': cw_usage(stdout); exit(0);
        case 'N': o->no_sync = true; break;
        case 'S': o->server = v; break;
        case 's': o->seed = cw_num(a, v); break;
        case 'O': o->orgs = (unsigned)cw_num(a, v); break;
        case 'C': o->controls = (unsigned)cw_num(a, v); break;
        case 'E': o->evidence = (unsigned)cw_num(a, v); break;
        case 'B': o->batch = (unsigned)cw_num(a, v); break;
        case 'X': o->exclusions = (unsigned)cw_num(a, v); break;
        case 'F': o->findings = (unsigned)cw_num(a, v); break;
        case 'R': o->rows = cw_num(a, v); break;
        case 'g': o->org = v; break;
        case 'o': o->out = v; break;
        case 'c': o->connections = (unsigned)cw_num(a, v); break;
        case 'p': o->pipeline = (unsigned)cw_num(a, v); break;
        case 't': o->threads = (unsigned)cw_num(a, v); break;
        case 'd': o->duration = cw_dnum(a, v); break;
        case 'w': o->warmup = cw_dnum(a, v); break;
        case 'j': o->json = v; break;
        case 'i': o->items = cw_num(a, v); break;
        case 'D': o->data_dir = v; break;
        case 'P': o->pid = (long)cw_num(a, v); break;
        case 'e': o->settle = cw_dnum(a, v); break;
        case 'x': o->crosswalkd = v; break;
        case 'r': o->runs = (unsigned)cw_num(a, v); break;
        case 'T': o->steps = v; break;
        case 'm': o->tenants = (unsigned)cw_num(a, v); break;
        case 'v': o->tenant_evidence = (unsigned)cw_num(a, v); break;
        case 'u': o->subscribers = (unsigned)cw_num(a, v); break;
        case 'z': o->never_read = (unsigned)cw_num(a, v); break;
        case 'n':
            if (o->nscenarios == sizeof o->scenarios / sizeof o->scenarios[0])
                cw_die("too many --scenario");
            o->scenarios[o->nscenarios++] = v;
            break;
        default: /* unknown, a positional, "--", or a value for --no-sync / --help */
            if (g.at + 1 >= g.argc)
                cw_die("%s needs a value (or unknown option)", g.word);
            cw_die("unknown option %s (--help lists them)", g.word);
        }
    }
    if (o->orgs < 1 || o->orgs > 100000)
        cw_die("--orgs must be 1..100000");
    if (o->controls < 1 || o->controls > 9999)
        cw_die("--controls must be 1..9999 (ids are C-0001..C-9999)");
    if (o->batch < 1)
        cw_die("--batch must be at least 1");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        cw_usage(stderr);
        return 2;
    }
    cw_opts o;
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        cw_usage(stdout);
        return 0;
    }
    static const struct {
        const char *name;
        void (*run)(const cw_opts *o);
    } cmds[] = {{"gen", cw_gen},     {"evidence-csv", cw_evidence_csv},
                {"run", cw_run},     {"load", cw_load},
                {"idle", cw_idle},   {"startup", cw_startup},
                {"scale", cw_scale}, {"echo", cw_echo},
                {"cpu", cw_cpu},     {"feed", cw_feed}};
    /* options first: a bad option is reported even under an unknown command */
    cw_parse(&o, argc, argv);
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (strcmp(cmd, cmds[i].name) == 0) {
            cmds[i].run(&o);
            return 0;
        }
    cw_usage(stderr);
    return 2;
}
