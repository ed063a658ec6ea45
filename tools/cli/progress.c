/* progress.c: the one line `load` keeps up to date on a terminal (stderr):
 * which phase it is in (validating the files, then sending or checking
 * them), a bar, the items done of all, the rate, the time taken and the
 * time left at that rate.  It is redrawn at most ten times a second and
 * cut to the terminal's width, and drawn only when stderr is a terminal:
 * logs and pipes get nothing but the summary the command prints. */
#include "cli.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double cw_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void cw_progress_start(cw_progress *p)
{
    memset(p, 0, sizeof *p);
    p->tty = isatty(STDERR_FILENO);
    p->start = cw_seconds();
}

double cw_progress_elapsed(const cw_progress *p)
{
    return cw_seconds() - p->start;
}

/* "1:05" or "1:02:05" for s seconds. */
static void cw_clock(char *buf, size_t cap, double s)
{
    long t = s < 0 ? 0 : (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, cap, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, cap, "%ld:%02ld", t / 60, t % 60);
}

/* "950/s", "12.3k/s", "1.2M/s" */
static void cw_rate(char *buf, size_t cap, double r)
{
    if (r >= 1e6)
        snprintf(buf, cap, "%.1fM/s", r / 1e6);
    else if (r >= 1e4)
        snprintf(buf, cap, "%.0fk/s", r / 1e3);
    else if (r >= 1e3)
        snprintf(buf, cap, "%.1fk/s", r / 1e3);
    else
        snprintf(buf, cap, "%.0f/s", r);
}

void cw_progress_show(cw_progress *p, const char *phase, const char *what, size_t done,
                      size_t total, bool force)
{
    if (!p->tty)
        return;
    double now = cw_seconds();
    if (!force && now - p->drawn < 0.1)
        return;
    p->drawn = now;
    double el = now - p->start;
    char line[512], clock[48];
    cw_clock(clock, sizeof clock, el);
    int n;
    if (total) {
        /* the rate of this phase, from its first item */
        if (p->phase_start == 0 || strcmp(p->phase, phase) != 0) {
            snprintf(p->phase, sizeof p->phase, "%s", phase);
            p->phase_start = now;
        }
        double pel = now - p->phase_start, rate = pel > 0 ? (double)done / pel : 0;
        char bar[21], rs[24], left[64] = "";
        size_t fill = done * 20 / total;
        for (size_t i = 0; i < 20; i++)
            bar[i] = i < fill ? '#' : ' ';
        bar[20] = '\0';
        cw_rate(rs, sizeof rs, rate);
        if (rate > 0 && done < total) {
            char t[48];
            cw_clock(t, sizeof t, (double)(total - done) / rate);
            snprintf(left, sizeof left, ", %s left", t);
        }
        n = snprintf(line, sizeof line, "%s [%s] %zu/%zu items, %s, %s%s  %s", phase, bar, done,
                     total, rs, clock, left, what ? what : "");
    } else {
        n = snprintf(line, sizeof line, "%s %s  %s", phase, what ? what : "", clock);
    }
    int cols = cw_term_columns(STDERR_FILENO);
    size_t len = n < 0 ? 0 : (size_t)n >= sizeof line ? sizeof line - 1 : (size_t)n;
    if (cols > 1 && len >= (size_t)cols)
        len = cw_text_fit(line, (size_t)cols - 1, NULL);
    /* \r, the line, then clear what a longer earlier line left */
    fprintf(stderr, "\r%.*s\033[K", (int)len, line);
    fflush(stderr);
}

void cw_progress_clear(cw_progress *p)
{
    if (p->tty && p->drawn > 0) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    p->drawn = 0;
}
