/* Unit tests for the server's log lines and its logs-and-metrics options:
 * values quoted and escaped so that every text line reads back as
 * key=value pairs and every JSON line stays one object (control
 * characters, quotes, bytes that are not UTF-8, a value far larger than a
 * line), levels filtered, journald's priority prefix, a log file reopened
 * after a rename, the latency histograms a finished request counts into,
 * and each option's refusals naming the option. */
#include "helpers.h" /* for T_MAIN only: this file needs no store */

#include "server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct fixture {
    cw_server s;
    char path[64];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->path, sizeof f->path, "/tmp/cw-test-log.XXXXXX");
    int fd = mkstemp(f->path);
    assert_true(fd > 2);
    close(fd);
    f->s.cfg.log_level = LOG_INFO;
    snprintf(f->s.cfg.log_file, sizeof f->s.cfg.log_file, "%s", f->path);
    cw_err err = {0};
    assert_int_equal(cw_log_open(&f->s, &err), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    cw_log_close(&f->s);
    unlink(f->path);
    free(f->s.mstats);
    free(f);
    return 0;
}

/* Everything written to the fixture's log so far (caller frees). */
static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    char *out = strdup(buf);
    assert_non_null(out);
    return out;
}

/* The line after the time stamp (text format). */
static const char *after_time(const char *line)
{
    const char *sp = strchr(line, ' ');
    assert_non_null(sp);
    assert_int_equal(sp - line, 24); /* 2026-12-07T22:00:00.123Z */
    assert_int_equal(line[23], 'Z');
    assert_int_equal(line[19], '.');
    return sp + 1;
}

static void test_text_quoting(void **state)
{
    fixture *f = *state;
    const char bad[] = {'a', (char)0xff, 'b', '\0'};
    CW_LOG_KV(&f->s, LOG_INFO, "hello", KV_S("plain", "tcp://127.0.0.1:7787"),
              KV_S("space", "two words"), KV_S("tricky", "q\"b\\s=\n\t\x01"), KV_S("empty", ""),
              KV_S("bad", bad), KV_I("n", -42), KV_D("ms", 1.5), KV_SN("cut", "abcdef", 3));
    char *out = slurp(f->path);
    assert_string_equal(after_time(out),
                        "info msg=hello plain=tcp://127.0.0.1:7787 space=\"two words\" "
                        "tricky=\"q\\\"b\\\\s=\\n\\t\\u0001\" empty=\"\" bad=\"a\\ufffdb\" n=-42 "
                        "ms=1.500 cut=abc\n");
    free(out);
}

static void test_json_and_levels(void **state)
{
    fixture *f = *state;
    f->s.cfg.log_json = true;
    cw_log(&f->s, LOG_DEBUG, "not shown at info");
    cw_log(&f->s, LOG_WARN, "a \"quoted\" %s", "word");
    CW_LOG_KV(&f->s, LOG_ERROR, "e", KV_S("k", "v"), KV_I("i", 7));
    char *out = slurp(f->path);
    assert_null(strstr(out, "not shown"));
    char *second = strchr(out, '\n');
    assert_non_null(second);
    *second++ = '\0';
    assert_true(strncmp(out, "{\"time\":\"", 9) == 0);
    assert_string_equal(strstr(out, "\"level\""),
                        "\"level\":\"warn\",\"msg\":\"a \\\"quoted\\\" word\"}");
    assert_string_equal(strstr(second, "\"level\""),
                        "\"level\":\"error\",\"msg\":\"e\",\"k\":\"v\",\"i\":7}\n");
    free(out);
}

/* A value far larger than a line is cut inside its quotes: the line still
 * ends the object and holds one newline. */
static void test_huge_value_cut(void **state)
{
    fixture *f = *state;
    size_t n = 100000;
    char *big = malloc(n + 1);
    assert_non_null(big);
    for (size_t i = 0; i < n; i++)
        big[i] = i % 7 == 0 ? '"' : 'x';
    big[n] = '\0';
    for (int json = 0; json < 2; json++) {
        f->s.cfg.log_json = json;
        CW_LOG_KV(&f->s, LOG_INFO, "big", KV_S("v", big), KV_I("after", 1));
    }
    char *out = slurp(f->path);
    char *nl = strchr(out, '\n');
    assert_non_null(nl);
    assert_true(nl - out < 8192);
    assert_int_equal(nl[-1], '"'); /* text: the value closed, nothing after it */
    char *json = nl + 1;
    char *end = strchr(json, '\n');
    assert_non_null(end);
    assert_int_equal(end[1], '\0');
    assert_true(end - json < 8192);
    assert_int_equal(end[-1], '}');
    assert_int_equal(end[-2], '"');
    assert_null(strstr(json, "\"after\""));
    /* an even number of unescaped quotes: every string is closed */
    size_t quotes = 0;
    for (char *p = json; p < end; p++)
        if (*p == '"' && p[-1] != '\\')
            quotes++;
    assert_int_equal(quotes % 2, 0);
    free(out);
    free(big);
}

static void test_journal_prefix(void **state)
{
    fixture *f = *state;
    f->s.log_journal = true;
    cw_log(&f->s, LOG_WARN, "w");
    cw_log(&f->s, LOG_INFO, "i");
    char *out = slurp(f->path);
    assert_string_equal(out, "<4>warn msg=w\n<6>info msg=i\n");
    free(out);
}

static void test_reopen_after_rename(void **state)
{
    fixture *f = *state;
    char moved[80];
    snprintf(moved, sizeof moved, "%s.1", f->path);
    cw_log(&f->s, LOG_INFO, "before");
    assert_int_equal(rename(f->path, moved), 0);
    cw_log(&f->s, LOG_INFO, "still the old file");
    cw_err err = {0};
    assert_int_equal(cw_log_reopen(&f->s, &err), 0);
    cw_log(&f->s, LOG_INFO, "after");
    char *old = slurp(moved), *now = slurp(f->path);
    assert_non_null(strstr(old, "msg=before"));
    assert_non_null(strstr(old, "still the old file"));
    assert_null(strstr(old, "after"));
    assert_string_equal(after_time(now), "info msg=after\n");
    free(old);
    free(now);
    unlink(moved);
    /* a directory that went away: the old descriptor stays in use */
    snprintf(f->s.cfg.log_file, sizeof f->s.cfg.log_file, "/nonexistent-dir/x.log");
    assert_int_equal(cw_log_reopen(&f->s, &err), CW_EINVAL);
    assert_non_null(strstr(err.msg, "log-file: cannot reopen /nonexistent-dir/x.log"));
}

static void test_request_histograms(void **state)
{
    fixture *f = *state;
    f->s.mstats = calloc(cw_method_count(), sizeof *f->s.mstats);
    assert_non_null(f->s.mstats);
    cw_request_rec r = {.peer = "unix",
                        .role = "admin",
                        .method = "ping",
                        .method_index = 1,
                        .start_ns = cw_now_ns(),
                        .timed = true};
    cw_request_done(&f->s, &r);
    r.start_ns = cw_now_ns() - 5000000000ull; /* 5 s: past the last bound */
    cw_request_done(&f->s, &r);
    r.timed = false; /* refused before its handler: logged, not timed */
    cw_request_done(&f->s, &r);
    uint64_t n = 0;
    for (int b = 0; b < LAT_BUCKETS; b++)
        n += f->s.lat[b];
    assert_int_equal(n, 2);
    assert_int_equal(f->s.lat[LAT_BUCKETS - 1], 1);
    assert_int_equal(f->s.mstats[1].lat[LAT_BUCKETS - 1], 1);
    assert_true(f->s.lat_sum_us >= 5000000);
    assert_int_equal(f->s.mstats[1].lat_sum_us, f->s.lat_sum_us);
    /* neither --access-log nor --slow-ms: no line */
    char *out = slurp(f->path);
    assert_string_equal(out, "");
    free(out);
    f->s.cfg.slow_log = true;
    f->s.cfg.slow_ms = 1000;
    r.code = CW_ETOOBIG;
    cw_request_done(&f->s, &r);
    out = slurp(f->path);
    assert_non_null(strstr(out, " warn msg=\"slow request\" conn=0 peer=unix role=admin "
                                "method=ping org=- result=too_large code=9 bytes_in=0 "
                                "bytes_out=0 ms=5"));
    free(out);
}

static void test_options(void **state)
{
    (void)state;
    cw_config cfg = {0};
    cw_err err = {0};
    assert_int_equal(cw_observe_option(&cfg, "log-format", "json", &err), 0);
    assert_true(cfg.log_json);
    assert_int_equal(cw_observe_option(&cfg, "log-format", "xml", &err), CW_EINVAL);
    assert_string_equal(err.msg, "log-format: 'xml' is not text or json");
    assert_int_equal(cw_observe_option(&cfg, "log-level", "debug", &err), 0);
    assert_int_equal(cfg.log_level, LOG_DEBUG);
    assert_int_equal(cw_observe_option(&cfg, "access-log", NULL, &err), 0);
    assert_true(cfg.access_log);
    assert_int_equal(cw_observe_option(&cfg, "access-log", "off", &err), 0);
    assert_false(cfg.access_log);
    assert_int_equal(cw_observe_option(&cfg, "access-log", "perhaps", &err), CW_EINVAL);
    assert_string_equal(err.msg, "access-log: 'perhaps' is not true or false");
    assert_int_equal(cw_observe_option(&cfg, "slow-ms", "0", &err), 0);
    assert_true(cfg.slow_log);
    assert_int_equal(cfg.slow_ms, 0);
    assert_int_equal(cw_observe_option(&cfg, "slow-ms", "12x", &err), CW_EINVAL);
    assert_non_null(strstr(err.msg, "slow-ms: '12x'"));
    assert_int_equal(cw_observe_option(&cfg, "metrics", "tcp://127.0.0.1:9787", &err), 0);
    assert_string_equal(cfg.metrics, "tcp://127.0.0.1:9787");
    assert_int_equal(cw_observe_option(&cfg, "metrics", "tcp://[::1]:0", &err), 0);
    assert_int_equal(cw_observe_option(&cfg, "metrics", "unix:/run/m.sock", &err), CW_EINVAL);
    assert_non_null(strstr(err.msg, "metrics: 'unix:/run/m.sock' is not tcp://HOST:PORT"));
    assert_int_equal(cw_observe_option(&cfg, "log-file", "", &err), CW_EINVAL);
    assert_string_equal(err.msg, "log-file: needs a value");
    assert_int_equal(cw_observe_option(&cfg, "log-file", "/var/log/cw.log", &err), 0);
    assert_string_equal(cfg.log_file, "/var/log/cw.log");
    assert_int_equal(cw_observe_option(&cfg, "listen", "x", &err), CW_ENOENT);
}

T_MAIN("log", cmocka_unit_test_setup_teardown(test_text_quoting, setup, teardown),
       cmocka_unit_test_setup_teardown(test_json_and_levels, setup, teardown),
       cmocka_unit_test_setup_teardown(test_huge_value_cut, setup, teardown),
       cmocka_unit_test_setup_teardown(test_journal_prefix, setup, teardown),
       cmocka_unit_test_setup_teardown(test_reopen_after_rename, setup, teardown),
       cmocka_unit_test_setup_teardown(test_request_histograms, setup, teardown),
       cmocka_unit_test(test_options))
