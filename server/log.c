/* The server's log and its clocks.  Every line is one event with a time,
 * a level, a message and named fields, written in one format for the whole
 * run: logfmt-style text (`2026-12-07T22:00:00.123Z info msg=listening
 * addr=tcp://127.0.0.1:7787`) or one JSON object per line.  When stderr is
 * the systemd journal, lines start with a `<N>` syslog priority and carry
 * no time (the journal records its own).  Lines are built on the stack and
 * handed to the kernel in one write, so the writer thread may log while the
 * loop thread does, and a --log-file is reopened by putting the new file
 * on the same descriptor (dup2), never by closing it under a writer.  Also
 * here: the end of every request (latency histograms, access and
 * slow-request lines) and the monotonic clock requests are timed with. */
#include "server.h"

#include "crosswalk/check.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES 8192
/* Room kept for what closes a line (quote, brace, newline) whatever was
 * cut before it. */
#define LINE_RESERVE 8

static const char *const level_names[] = {"error", "warn", "info", "debug"};
/* sd-daemon.h's SD_ERR, SD_WARNING, SD_INFO and SD_DEBUG */
static const char journal_prio[] = {'3', '4', '6', '7'};

typedef struct line {
    char buf[LINE_MAX_BYTES];
    size_t len;
    bool json;
    bool full; /* something was cut: nothing more goes in but the closing */
} line;

static size_t room(const line *l)
{
    size_t cap = sizeof l->buf - LINE_RESERVE;
    return l->full || l->len >= cap ? 0 : cap - l->len;
}

static void put(line *l, const char *s, size_t n)
{
    if (n > room(l)) {
        n = room(l);
        l->full = true;
    }
    memcpy(l->buf + l->len, s, n);
    l->len += n;
}

static void puts_(line *l, const char *s)
{
    put(l, s, strlen(s));
}

/* A text value needs quotes when it is empty or holds a space, a quote, an
 * equals sign, a backslash, a control character or bytes that are not
 * UTF-8; JSON strings are always quoted. */
static bool needs_quotes(const char *s, size_t n)
{
    if (n == 0 || cw_utf8_bad(s, n) != n)
        return true;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch <= ' ' || ch == '"' || ch == '=' || ch == '\\' || ch == 0x7f)
            return true;
    }
    return false;
}

/* Appends s[0..n) as a value: escaped the same way in both formats (JSON's
 * escapes, which logfmt readers accept), bytes that are not UTF-8 as
 * U+FFFD, cut short rather than overflow the line. */
static void put_value(line *l, const char *s, size_t n)
{
    bool quote = l->json || needs_quotes(s, n);
    if (room(l) < 2) {
        l->full = true;
        return;
    }
    if (quote)
        put(l, "\"", 1);
    size_t i = 0;
    while (i < n) {
        size_t good = i + cw_utf8_bad(s + i, n - i);
        for (; i < good; i++) {
            unsigned char ch = (unsigned char)s[i];
            char esc[8];
            const char *out = esc;
            size_t len = 2;
            esc[0] = '\\';
            if (ch == '"' || ch == '\\')
                esc[1] = (char)ch;
            else if (ch == '\n')
                esc[1] = 'n';
            else if (ch == '\r')
                esc[1] = 'r';
            else if (ch == '\t')
                esc[1] = 't';
            else if (ch < 0x20 || ch == 0x7f)
                len = (size_t)snprintf(esc, sizeof esc, "\\u%04x", ch);
            else
                out = s + i, len = 1;
            if (len > room(l)) {
                l->full = true;
                goto cut;
            }
            put(l, out, len);
        }
        if (i < n) {
            if (room(l) < 6) {
                l->full = true;
                goto cut;
            }
            puts_(l, "\\ufffd");
            i++;
        }
    }
cut:
    if (quote)
        l->buf[l->len++] = '"'; /* within LINE_RESERVE */
}

static void put_field(line *l, const cw_kv *f)
{
    char num[48];
    /* A field starts only where its key and a short value fit, so a JSON
     * line stays an object however much was cut. */
    if (room(l) < strlen(f->key) + sizeof num + 8) {
        l->full = true;
        return;
    }
    if (l->json) {
        puts_(l, ",");
        put_value(l, f->key, strlen(f->key));
        puts_(l, ":");
    } else {
        puts_(l, " ");
        puts_(l, f->key);
        puts_(l, "=");
    }
    switch (f->type) {
    case 'i': snprintf(num, sizeof num, "%lld", (long long)f->i); break;
    case 'd': snprintf(num, sizeof num, "%.3f", f->d); break;
    default: put_value(l, f->s ? f->s : "", f->s ? (f->n ? f->n : strlen(f->s)) : 0); return;
    }
    puts_(l, num);
}

/* The descriptor lines go to. */
static int log_fd(const cw_server *s)
{
    return s->log_fd > 0 ? s->log_fd : STDERR_FILENO;
}

static void emit(const cw_server *s, int level, const char *msg, const cw_kv *kv, size_t n)
{
    if (level < LOG_ERROR || level > LOG_DEBUG)
        level = LOG_ERROR;
    line l;
    l.len = 0;
    l.json = s->cfg.log_json;
    l.full = false;
    if (s->log_journal) {
        char prio[4] = {'<', journal_prio[level], '>', '\0'};
        puts_(&l, prio);
    }
    char ts[40] = "";
    if (!s->log_journal) {
        struct timespec now;
        struct tm tm;
        clock_gettime(CLOCK_REALTIME, &now);
        gmtime_r(&now.tv_sec, &tm);
        size_t k = strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(ts + k, sizeof ts - k, ".%03ldZ", now.tv_nsec / 1000000);
    }
    if (l.json) {
        puts_(&l, "{");
        if (*ts) {
            puts_(&l, "\"time\":\"");
            puts_(&l, ts);
            puts_(&l, "\",");
        }
        puts_(&l, "\"level\":\"");
        puts_(&l, level_names[level]);
        puts_(&l, "\",\"msg\":");
    } else {
        if (*ts) {
            puts_(&l, ts);
            puts_(&l, " ");
        }
        puts_(&l, level_names[level]);
        puts_(&l, " msg=");
    }
    put_value(&l, msg, strlen(msg));
    for (size_t i = 0; i < n; i++)
        put_field(&l, &kv[i]);
    if (l.json)
        l.buf[l.len++] = '}';
    l.buf[l.len++] = '\n';
    /* One write per line: lines of two threads never interleave. */
    for (size_t off = 0; off < l.len;) {
        ssize_t w = write(log_fd(s), l.buf + off, l.len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        off += (size_t)w;
    }
}

void cw_log(const cw_server *s, int level, const char *fmt, ...)
{
    if (level > s->cfg.log_level)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    emit(s, level, msg, NULL, 0);
}

void cw_log_kv(const cw_server *s, int level, const char *msg, const cw_kv *kv, size_t n)
{
    if (level <= s->cfg.log_level)
        emit(s, level, msg, kv, n);
}

/* Opens path for appending on a descriptor above 2 (so that it is never
 * mistaken for stderr, and stdin, stdout and stderr stay what they were).
 * Returns the descriptor, or -1 with errno set. */
static int open_log(const char *path)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd >= 0 && fd <= STDERR_FILENO) {
        int high = fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
        int e = errno;
        close(fd);
        errno = e;
        fd = high;
    }
    return fd;
}

/* systemd sets JOURNAL_STREAM to "DEV:INODE" of the stream it connected
 * stderr to; a stderr that is still that stream writes to the journal. */
static bool stderr_is_journal(void)
{
    const char *js = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;
    if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st))
        return false;
    return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

int cw_log_open(cw_server *s, cw_err *err)
{
    if (!s->cfg.log_file[0]) {
        s->log_journal = stderr_is_journal();
        return 0;
    }
    int fd = open_log(s->cfg.log_file);
    if (fd < 0)
        return cw_err_set(err, CW_EINVAL, "log-file: cannot open %s: %s", s->cfg.log_file,
                          strerror(errno));
    s->log_fd = fd;
    return 0;
}

int cw_log_reopen(cw_server *s, cw_err *err)
{
    if (!s->log_fd)
        return 0;
    int fd = open_log(s->cfg.log_file);
    if (fd < 0)
        return cw_err_set(err, CW_EINVAL, "log-file: cannot reopen %s: %s", s->cfg.log_file,
                          strerror(errno));
    /* In place: a line being written by another thread goes to the old
     * file or the new one, never to a closed descriptor. */
    int rc = dup2(fd, s->log_fd) < 0 ? errno : 0;
    close(fd);
    if (rc)
        return cw_err_set(err, CW_EINVAL, "log-file: cannot reopen %s: %s", s->cfg.log_file,
                          strerror(rc));
    return 0;
}

void cw_log_close(cw_server *s)
{
    if (s->log_fd > 0)
        close(s->log_fd);
    s->log_fd = 0;
}

uint64_t cw_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Bucket b holds latencies above 2^(b-1) and up to 2^b microseconds; the
 * last one everything above the one before it. */
static void record_latency(cw_server *s, long method, uint64_t us)
{
    int b = 0;
    while (b < LAT_BUCKETS - 1 && (1ULL << b) < us)
        b++;
    s->lat[b]++;
    s->lat_sum_us += us;
    if (method >= 0) {
        s->mstats[method].lat[b]++;
        s->mstats[method].lat_sum_us += us;
    }
}

void cw_request_done(cw_server *s, const cw_request_rec *r)
{
    uint64_t ns = cw_now_ns() - r->start_ns;
    if (r->timed)
        record_latency(s, r->method_index, ns / 1000);
    double ms = (double)ns / 1e6;
    bool slow = s->cfg.slow_log && ms >= (double)s->cfg.slow_ms;
    if (!slow && !s->cfg.access_log)
        return;
    /* What the call was and how it ended; never its arguments (the org
     * excepted) nor the token that authenticated it. */
    cw_kv f[] = {
        KV_I("conn", r->conn),
        KV_S("peer", r->peer),
        KV_S("role", r->role),
        KV_S("method", r->method ? r->method : "-"),
        KV_SN("org", r->org ? r->org : "-", r->org ? r->org_len : 1),
        KV_S("result", r->code ? cw_proto_name(cw_proto_code(r->code)) : "ok"),
        KV_I("code", r->code ? cw_proto_code(r->code) : 0),
        KV_I("bytes_in", r->bytes_in),
        KV_I("bytes_out", r->bytes_out),
        KV_D("ms", ms),
    };
    emit(s, slow ? LOG_WARN : LOG_INFO, slow ? "slow request" : "request", f,
         sizeof f / sizeof f[0]);
}
