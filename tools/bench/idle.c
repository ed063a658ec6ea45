/* crosswalk-bench idle: the server's resident memory before and after
 * opening many connections that each answered a ping, and after closing
 * them. */
#include "bench.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* The server's resident set in KiB, from /proc/PID/status: VmRSS, and its
 * anonymous part (heap, stacks: what connections allocate) and file part
 * (mostly LMDB's mapped pages, which come and go with the page cache). */
typedef struct {
    uint64_t rss, anon, file;
} cw_rss;

static cw_rss cw_rss_read(long pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%ld/status", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        cw_die("%s: %s", path, strerror(errno));
    cw_rss r = {0, 0, 0};
    bool found = false;
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "VmRSS: %" SCNu64, &r.rss) == 1)
            found = true;
        sscanf(line, "RssAnon: %" SCNu64, &r.anon);
        sscanf(line, "RssFile: %" SCNu64, &r.file);
    }
    fclose(f);
    if (!found)
        cw_die("%s: no VmRSS line (is %ld a running process?)", path, pid);
    return r;
}

void cw_idle(const cw_opts *o)
{
    if (!o->server || o->pid <= 0)
        cw_die("idle: --server and --pid are required");
    if (o->connections < 1 || o->connections > 100000)
        cw_die("--connections must be 1..100000");
    unsigned n = o->connections;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        cw_die("getrlimit: %s", strerror(errno));
    rlim_t need = (rlim_t)n + 64;
    if (rl.rlim_cur < need) {
        if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need)
            cw_die("idle: %u connections need %lu open files, the hard limit is %lu", n,
                   (unsigned long)need, (unsigned long)rl.rlim_max);
        rl.rlim_cur = need;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            cw_die("setrlimit: %s", strerror(errno));
    }

    /* A first connection answered and closed before the "before" reading,
     * so what the server sets up once (its first request's buffers) is not
     * charged to the idle connections. */
    const char *why;
    int fd0 = cw_connect(o->server);
    if (cw_ping_fd(fd0, 1, &why) != 0)
        cw_die("idle: warm-up ping: %s", why);
    close(fd0);
    cw_sleep_s(o->settle);
    cw_rss before = cw_rss_read(o->pid);

    int *fds = cw_xmalloc(n * sizeof *fds);
    uint64_t t0 = cw_now_ns();
    for (unsigned i = 0; i < n; i++) {
        fds[i] = cw_connect(o->server);
        if (cw_ping_fd(fds[i], i + 1, &why) != 0)
            cw_die("idle: connection %u of %u: %s (crosswalkd needs --max-connections above %u)",
                   i + 1, n, why, n);
    }
    double open_s = (double)(cw_now_ns() - t0) / 1e9;
    cw_sleep_s(o->settle);
    cw_rss open = cw_rss_read(o->pid);
    /* Still connected?  A ping on the first and last after the reading
     * shows the server kept them (an idle timeout would have closed them). */
    if (cw_ping_fd(fds[0], n + 1, &why) != 0 || cw_ping_fd(fds[n - 1], n + 2, &why) != 0)
        cw_die("idle: connections were dropped while idle: %s", why);
    for (unsigned i = 0; i < n; i++)
        close(fds[i]);
    free(fds);
    cw_sleep_s(o->settle);
    cw_rss after = cw_rss_read(o->pid);

    double added_mib = ((double)open.rss - (double)before.rss) / 1024.0;
    double per_kib = ((double)open.rss - (double)before.rss) / n;
    double anon_mib = ((double)open.anon - (double)before.anon) / 1024.0;
    /* The target, 1,000 idle connections in at most 64 MiB, scaled
     * to N: 65.5 KiB a connection. */
    bool met = per_kib * 1000.0 <= 64.0 * 1024.0;
    printf("crosswalk-bench idle: %s, pid %ld, %u connections (each answered one ping; opened in "
           "%.2f s), %.1f s settle\n",
           o->server, o->pid, n, open_s, o->settle);
    printf("%-26s %12s %12s %12s\n", "server KiB", "VmRSS", "RssAnon", "RssFile");
    printf("%-26s %12" PRIu64 " %12" PRIu64 " %12" PRIu64 "\n", "before", before.rss, before.anon,
           before.file);
    printf("%-26s %12" PRIu64 " %12" PRIu64 " %12" PRIu64 "\n", "with connections open", open.rss,
           open.anon, open.file);
    printf("%-26s %12" PRIu64 " %12" PRIu64 " %12" PRIu64 "\n", "after closing them", after.rss,
           after.anon, after.file);
    printf("added VmRSS: %.2f MiB total, %.1f KiB per connection (target <= 64 MiB per 1000, "
           "65.5 KiB each: %s); of it anonymous: %.2f MiB\n",
           added_mib, per_kib, met ? "met" : "missed", anon_mib);
    if (o->json) {
        FILE *f = cw_json_open(o->json);
        cw_json_str(f, "{\"command\": \"idle\", \"server\": ", o->server);
        fprintf(f,
                ", \"pid\": %ld, \"connections\": %u, \"settle_s\": %g, \"open_s\": %.3f, "
                "\"rss_before_kib\": %" PRIu64 ", \"rss_open_kib\": %" PRIu64
                ", \"rss_after_close_kib\": %" PRIu64 ", \"anon_before_kib\": %" PRIu64
                ", \"anon_open_kib\": %" PRIu64 ", \"anon_after_close_kib\": %" PRIu64
                ", \"added_mib\": %.3f, \"added_anon_mib\": %.3f, "
                "\"added_per_connection_kib\": %.2f, \"target_mib_per_1000\": 64, \"met\": %s}\n",
                o->pid, n, o->settle, open_s, before.rss, open.rss, after.rss, before.anon,
                open.anon, after.anon, added_mib, anon_mib, per_kib, met ? "true" : "false");
        cw_json_close(f, o->json);
    }
}
