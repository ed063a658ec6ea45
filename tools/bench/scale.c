/* crosswalk-bench scale: how the cost of answering grows with data.  Two
 * parts, each on a crosswalkd of its own (fresh data directory, --no-sync:
 * loading speed is `load`'s business, not this one's):
 *
 * 1. one organisation of --controls controls holding each --steps count of
 *    evidence items in turn (default 20,000, 200,000 and 2,000,000): the
 *    latency of a coverage.get that no memo answers (scenario
 *    coverage-uncached, a different as_of each time), with ping in the same
 *    run, the server's RSS and the store's size; the figure that matters is
 *    each step's p50 over the first step's, which should stay near 1 since
 *    the cost should follow the number of controls, not of evidence items;
 * 2. --tenants organisations (default 1,000) of --controls controls and
 *    --tenant-evidence items each (default 2,000): RSS and store size once
 *    loaded, and the same uncached coverage latency over random ones.
 *
 * Datasets come from `gen` (the same generator), figures from `run`'s
 * measuring loop, all through the protocol. */
#include "bench.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    const char *what;
    unsigned orgs, evidence;
    double load_s, rss_mib, store_mib;
    cw_figures ping, cov;
} cw_step;

/* VmRSS of pid in MiB, or -1. */
static double cw_rss_mib(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
    FILE *f = fopen(path, "r");
    double kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kib = strtod(line + 6, NULL);
    if (f)
        fclose(f);
    return kib < 0 ? -1 : kib / 1024;
}

/* Bytes the store's data file takes on disk, in MiB (LMDB's file is
 * sparse up to the map size, so its length says nothing). */
static double cw_store_mib(const char *data)
{
    char path[4200];
    struct stat st;
    snprintf(path, sizeof path, "%s/data.mdb", data);
    if (stat(path, &st) != 0)
        return -1;
    return (double)st.st_blocks * 512 / (1024.0 * 1024.0);
}

static void cw_scale_step(const cw_opts *o, cw_step *st)
{
    char dir[] = "/tmp/cw-scale-XXXXXX";
    if (!mkdtemp(dir))
        cw_die("mkdtemp: %s", strerror(errno));
    char data[64], sock[64], log[64], addr[80];
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(sock, sizeof sock, "%s/sock", dir);
    snprintf(log, sizeof log, "%s/log", dir);
    snprintf(addr, sizeof addr, "unix:%s", sock);
    if (mkdir(data, 0700) != 0)
        cw_die("mkdir %s: %s", data, strerror(errno));
    static const char *const extra[] = {"--no-sync",         "--map-size", "64G",
                                        "--max-connections", "64",         NULL};
    double ms;
    pid_t pid = cw_server_start(o, data, sock, log, st->what, extra, &ms);

    cw_opts g = *o;
    g.server = addr;
    g.orgs = st->orgs;
    g.evidence = st->evidence;
    uint64_t t0 = cw_now_ns();
    cw_gen(&g);
    st->load_s = (double)(cw_now_ns() - t0) / 1e9;
    st->rss_mib = cw_rss_mib(pid);
    st->store_mib = cw_store_mib(data);

    cw_opts r = g;
    r.connections = 1;
    r.pipeline = 1;
    r.threads = 1;
    cw_run_figures(&r, "coverage-uncached", &st->ping, &st->cov);
    cw_server_stop(pid, log, st->what);
    cw_rmtree(dir);
    fprintf(stderr,
            "scale: %s: loaded in %.1f s, RSS %.0f MiB, store %.0f MiB, coverage p50 %.0f us\n",
            st->what, st->load_s, st->rss_mib, st->store_mib, st->cov.p50_us);
}

void cw_scale(const cw_opts *o)
{
    if (!o->crosswalkd)
        cw_die("scale: --crosswalkd is required");
    if (access(o->crosswalkd, X_OK) != 0)
        cw_die("scale: %s: %s", o->crosswalkd, strerror(errno));
    cw_step steps[9];
    char names[9][48];
    unsigned n = 0;
    const char *list = o->steps ? o->steps : "20000,200000,2000000";
    for (const char *p = list; *p && n < 8;) {
        char *end;
        unsigned long v = strtoul(p, &end, 10);
        if (end == p || v < 1 || v > 100000000 || (*end && *end != ','))
            cw_die("--steps: '%s' is not a list of evidence counts (e.g. 20000,200000)", list);
        snprintf(names[n], sizeof names[n], "1 org, %lu evidence", v);
        steps[n] = (cw_step){.what = names[n], .orgs = 1, .evidence = (unsigned)v};
        n++;
        p = *end ? end + 1 : end;
    }
    unsigned tenants = o->tenants ? o->tenants : 1000;
    unsigned per = o->tenant_evidence ? o->tenant_evidence : 2000;
    snprintf(names[n], sizeof names[n], "%u orgs, %u evidence each", tenants, per);
    steps[n] = (cw_step){.what = names[n], .orgs = tenants, .evidence = per};
    n++;
    for (unsigned i = 0; i < n; i++)
        cw_scale_step(o, &steps[i]);

    printf("crosswalk-bench scale: %s, %u controls per org, coverage.get nist-csf-2.0 max_hops 1 "
           "with a different as_of each request (no memo), 1 connection, %.0f s\n",
           o->crosswalkd, o->controls, o->duration);
    printf("%-32s %8s %8s %9s %10s %10s %9s %9s\n", "data", "load s", "RSS MiB", "store MiB",
           "cov p50 us", "cov p99 us", "x step 1", "x ping");
    for (unsigned i = 0; i < n; i++) {
        const cw_step *s = &steps[i];
        printf("%-32s %8.1f %8.0f %9.0f %10.0f %10.0f %9.2f %9.4f\n", s->what, s->load_s,
               s->rss_mib, s->store_mib, s->cov.p50_us, s->cov.p99_us,
               steps[0].cov.p50_us > 0 ? s->cov.p50_us / steps[0].cov.p50_us : 0,
               s->ping.rps > 0 ? s->cov.rps / s->ping.rps : 0);
    }
    if (o->json) {
        FILE *f = cw_json_open(o->json);
        cw_json_str(f, "{\"crosswalkd\": ", o->crosswalkd);
        fprintf(f, ", \"controls\": %u, \"duration_s\": %g, \"steps\": [", o->controls,
                o->duration);
        for (unsigned i = 0; i < n; i++) {
            const cw_step *s = &steps[i];
            cw_json_str(f, i ? ",\n  {\"what\": " : "\n  {\"what\": ", s->what);
            fprintf(f,
                    ", \"orgs\": %u, \"evidence_per_org\": %u, \"load_s\": %.2f, \"rss_mib\": "
                    "%.1f, \"store_mib\": %.1f, \"coverage_p50_us\": %.1f, \"coverage_p99_us\": "
                    "%.1f, \"coverage_per_s\": %.1f, \"ping_per_s\": %.1f, \"errors\": %llu}",
                    s->orgs, s->evidence, s->load_s, s->rss_mib, s->store_mib, s->cov.p50_us,
                    s->cov.p99_us, s->cov.rps, s->ping.rps,
                    (unsigned long long)(s->cov.errors + s->ping.errors));
        }
        fprintf(f, "\n]}\n");
        cw_json_close(f, o->json);
    }
    for (unsigned i = 0; i < n; i++)
        if (steps[i].cov.errors || steps[i].ping.errors)
            cw_die("scale: %s: error answers", steps[i].what);
}
