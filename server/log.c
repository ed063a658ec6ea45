/* The server's log (one line per event on stderr, with an RFC 3339 time
 * and a level) and its clocks: the monotonic nanoseconds every request's
 * latency is measured with, and the latency histogram server.stats shows. */
#include "server.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

void cw_log(const cw_server *s, int level, const char *fmt, ...)
{
    if (level > s->cfg.log_level)
        return;
    static const char *const names[] = {"error", "warn", "info", "debug"};
    char ts[40];
    cw_time_format(cw_now(), ts, sizeof ts);
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    /* one event, one line */
    for (char *p = line; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    fprintf(stderr, "%s %s %s\n", ts, names[level], line);
}

uint64_t cw_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void cw_record_latency(cw_server *s, uint64_t start_ns)
{
    uint64_t us = (cw_now_ns() - start_ns) / 1000;
    int b = 0;
    while (b < LAT_BUCKETS - 1 && (1ULL << b) < us)
        b++;
    s->lat[b]++;
}
