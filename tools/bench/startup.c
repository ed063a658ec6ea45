/* crosswalk-bench startup: time from exec to the first answered ping, on
 * an empty and on an existing data directory. */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Prints the server's log (its stderr) for a failed start. */
static void cw_dump_log(const char *log)
{
    FILE *f = fopen(log, "r");
    if (!f)
        return;
    char line[512];
    fprintf(stderr, "--- %s\n", log);
    while (fgets(line, sizeof line, f))
        fputs(line, stderr);
    fclose(f);
}

pid_t cw_server_start(const cw_opts *o, const char *data, const char *sock, const char *log,
                      const char *what, const char *const *extra, double *ms)
{
    char listen[4200];
    snprintf(listen, sizeof listen, "unix:%s", sock);
    unlink(sock);
    /* --init: a fresh data directory is created only when asked for */
    const char *argv[24] = {o->crosswalkd, "--init", "--data", data, "--listen", listen};
    size_t argc = 6;
    for (size_t i = 0; extra && extra[i] && argc < 23; i++)
        argv[argc++] = extra[i];
    argv[argc] = NULL;
    uint64_t t0 = cw_now_ns();
    pid_t pid = fork();
    if (pid < 0)
        cw_die("fork: %s", strerror(errno));
    if (pid == 0) {
        int lf = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        int nf = open("/dev/null", O_RDONLY);
        if (lf >= 0) {
            dup2(lf, 1);
            dup2(lf, 2);
        }
        if (nf >= 0)
            dup2(nf, 0);
        execv(o->crosswalkd, (char *const *)argv);
        _exit(127);
    }
    for (uint32_t tries = 1;; tries++) {
        int fd = cw_connect_try(listen);
        if (fd >= 0) {
            const char *why;
            int rc = cw_ping_fd(fd, tries, &why);
            close(fd);
            if (rc == 0) {
                *ms = (double)(cw_now_ns() - t0) / 1e6;
                return pid;
            }
        }
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            cw_dump_log(log);
            cw_die("%s: crosswalkd exited before answering a ping (status %d)", what, st);
        }
        if (cw_now_ns() - t0 > 30ull * 1000000000u) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            cw_dump_log(log);
            cw_die("%s: no ping answer within 30 s", what);
        }
        cw_sleep_s(0.001);
    }
}

void cw_server_stop(pid_t pid, const char *log, const char *what)
{
    if (kill(pid, SIGTERM) != 0)
        cw_die("kill: %s", strerror(errno));
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            cw_die("waitpid: %s", strerror(errno));
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        cw_dump_log(log);
        if (WIFSIGNALED(st))
            cw_die("%s: crosswalkd died of signal %d after SIGTERM", what, WTERMSIG(st));
        cw_die("%s: crosswalkd exited %d after SIGTERM", what, WEXITSTATUS(st));
    }
}

/* Starts crosswalkd on `data` listening on unix:`sock` and returns the
 * milliseconds from fork to the first answered ping; then SIGTERM, and the
 * exit status must be 0. */
static double cw_start_once(const cw_opts *o, const char *data, const char *sock, const char *log,
                            const char *what)
{
    char label[96];
    snprintf(label, sizeof label, "startup (%s)", what);
    double ms;
    pid_t pid = cw_server_start(o, data, sock, log, label, NULL, &ms);
    cw_server_stop(pid, log, label);
    return ms;
}

static int cw_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double cw_median(const double *v, unsigned n)
{
    double *s = cw_xmalloc(n * sizeof *s);
    memcpy(s, v, n * sizeof *s);
    qsort(s, n, sizeof *s, cw_cmp_double);
    double m = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    free(s);
    return m;
}

static double cw_max(const double *v, unsigned n)
{
    double m = v[0];
    for (unsigned i = 1; i < n; i++)
        m = v[i] > m ? v[i] : m;
    return m;
}

static void cw_json_list(FILE *f, const double *v, unsigned n)
{
    fputc('[', f);
    for (unsigned i = 0; i < n; i++)
        fprintf(f, "%s%.2f", i ? ", " : "", v[i]);
    fputc(']', f);
}

void cw_startup(const cw_opts *o)
{
    if (!o->crosswalkd)
        cw_die("startup: --crosswalkd is required");
    if (access(o->crosswalkd, X_OK) != 0)
        cw_die("startup: %s: %s", o->crosswalkd, strerror(errno));
    if (o->runs < 1 || o->runs > 1000)
        cw_die("--runs must be 1..1000");
    double *empty = cw_xmalloc(o->runs * sizeof *empty);
    double *existing = cw_xmalloc(o->runs * sizeof *existing);
    for (unsigned r = 0; r < o->runs; r++) {
        /* Short paths under /tmp: a Unix socket path is limited to 107
         * bytes, which a long $TMPDIR could exceed. */
        char dir[] = "/tmp/cw-start-XXXXXX";
        if (!mkdtemp(dir))
            cw_die("mkdtemp: %s", strerror(errno));
        char data[64], sock[64], log[64];
        snprintf(data, sizeof data, "%s/data", dir);
        snprintf(sock, sizeof sock, "%s/sock", dir);
        snprintf(log, sizeof log, "%s/log", dir);
        empty[r] = cw_start_once(o, data, sock, log, "empty data directory");
        existing[r] = cw_start_once(o, data, sock, log, "existing data directory");
        fprintf(stderr, "startup: run %u: empty %.1f ms, existing %.1f ms\n", r + 1, empty[r],
                existing[r]);
        cw_rmtree(dir);
    }
    double em = cw_median(empty, o->runs), ex = cw_max(empty, o->runs);
    double xm = cw_median(existing, o->runs), xx = cw_max(existing, o->runs);
    bool em_met = em <= 200, xm_met = xm <= 20;
    printf("crosswalk-bench startup: %s, %u runs, fork/exec to the first answered ping over a "
           "Unix socket, fsync on\n",
           o->crosswalkd, o->runs);
    printf("%-24s %10s %10s %10s %8s\n", "data directory", "median ms", "max ms", "target ms",
           "median");
    printf("%-24s %10.1f %10.1f %10s %8s\n", "empty (bootstrap)", em, ex, "<= 200",
           em_met ? "met" : "missed");
    printf("%-24s %10.1f %10.1f %10s %8s\n", "existing", xm, xx, "<= 20",
           xm_met ? "met" : "missed");
    if (o->json) {
        FILE *f = cw_json_open(o->json);
        cw_json_str(f, "{\"command\": \"startup\", \"crosswalkd\": ", o->crosswalkd);
        fprintf(f, ", \"runs\": %u, \"sync\": \"fsync\",\n \"empty\": {\"ms\": ", o->runs);
        cw_json_list(f, empty, o->runs);
        fprintf(f,
                ", \"median_ms\": %.2f, \"max_ms\": %.2f, \"target_ms\": 200, \"met\": %s},\n"
                " \"existing\": {\"ms\": ",
                em, ex, em_met ? "true" : "false");
        cw_json_list(f, existing, o->runs);
        fprintf(f, ", \"median_ms\": %.2f, \"max_ms\": %.2f, \"target_ms\": 20, \"met\": %s}}\n",
                xm, xx, xm_met ? "true" : "false");
        cw_json_close(f, o->json);
    }
    free(empty);
    free(existing);
}
