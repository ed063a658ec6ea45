/* crosswalkd: the start in its order (settings, config.c; the data
 * directory claimed, then every listener bound, then the directory made
 * and the store opened, filling an empty one with the frameworks embedded
 * at build time, lifecycle.c), the writer thread, SIGHUP (the token file
 * read again), and the orderly shutdown on SIGTERM or SIGINT: stop
 * accepting and reading, let the writer commit what it holds, flush
 * answers under a deadline, close every handle, close the store. */
#include "crosswalk/bundle.h"
#include "server.h"
#include "watch.h"

#include <sodium.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define SHUTDOWN_DEADLINE_MS 10000

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: crosswalkd [--config FILE] [options]\n"
        "\n"
        "  --config FILE        read settings from FILE: one 'key = value' a line, the keys\n"
        "                       named as the options below without '--' (listen may repeat;\n"
        "                       switches take true or false), '#' or ';' comments\n"
        "  --listen ADDR        tcp://HOST:PORT or unix:PATH; repeatable (default\n"
        "                       tcp://127.0.0.1:%d, or only the sockets systemd passes;\n"
        "                       port 0 picks a free port). A Unix socket another server\n"
        "                       answers on is never taken over\n"
        "  --data DIR           data directory (default ./crosswalk-data); it must exist,\n"
        "                       and one server at a time may use it\n"
        "  --init               create the data directory if it does not exist (not its\n"
        "                       parents), once every listener is bound\n"
        "  --auth FILE          token file: '<sha256 hex> <admin|editor|auditor> [org] [label]'\n"
        "                       per line, read again on SIGHUP; without it only loopback and\n"
        "                       Unix sockets are served\n"
        "  --map-size BYTES     initial LMDB map size (default 64 MiB; grows as needed)\n"
        "  --map-max BYTES      largest map size before storage_full (default 64 GiB)\n"
        "  --max-message BYTES  largest request (default %u)\n"
        "  --max-depth N        deepest nesting of arrays and maps (default and most %d)\n"
        "  --max-connections N  simultaneous connections (default %d)\n"
        "  --max-output BYTES   queued answers per connection before it is cut off\n"
        "                       (default %u; reading pauses at a quarter of it)\n"
        "  --max-write-queue BYTES  write requests in flight, counted with their decoded\n"
        "                       size (default %u; a quarter per connection); more wait\n"
        "  --max-memory BYTES   input buffers, unsent answers and write requests together\n"
        "                       (default %u); above it no new message or connection\n"
        "                       is taken until memory is freed\n"
        "  --idle-timeout SECS  close connections idle this long (default 0: never)\n"
        "  --auth-timeout SECS  with --auth, close connections not authenticated this long\n"
        "                       after connecting (default %d)\n"
        "  --stall-timeout SECS cut off a client whose unread answers stay above a quarter\n"
        "                       of --max-output this long (default 10)\n"
        "  --log-level LEVEL    error, warn, info (default) or debug\n"
        "  --log-format FORMAT  text (default: time level msg=... key=value) or json (one\n"
        "                       object per line); under systemd, journald priorities\n"
        "  --log-file PATH      append the log to PATH instead of stderr; SIGHUP reopens it\n"
        "  --access-log         one line per request: method, org, role, result, bytes, ms\n"
        "                       (never arguments or tokens)\n"
        "  --slow-ms MS         a warn line for every request taking MS ms or more (0: all)\n"
        "  --metrics ADDR       with ADDR tcp://HOST:PORT, serve Prometheus metrics at\n"
        "                       http://HOST:PORT/metrics; no auth: keep it on loopback\n"
        "                       (e.g. tcp://127.0.0.1:9787)\n"
        "  --no-bootstrap       do not load the embedded frameworks into an empty store\n"
        "  --no-sync            do not fsync commits (benchmarks only: loses durability)\n"
        "  --hash-token         read a token on stdin, print the line hash for --auth\n"
        "  --version, --help\n"
        "\n"
        "Environment: CROSSWALK_LISTEN (comma-separated), CROSSWALK_DATA, CROSSWALK_AUTH.\n"
        "Precedence: options on the command line, then the --config file, then the\n"
        "environment, then the defaults.\n"
        "Signals: SIGTERM or SIGINT stop in order; SIGHUP reads the --auth file again.\n",
        CW_DEFAULT_PORT, CW_DEFAULT_MAX_MESSAGE, CW_DEFAULT_MAX_DEPTH, CW_DEFAULT_MAX_CONNECTIONS,
        CW_DEFAULT_MAX_OUTPUT, CW_DEFAULT_MAX_WRITE_QUEUE, CW_DEFAULT_MAX_MEMORY,
        CW_DEFAULT_AUTH_TIMEOUT);
}

/* Every connection holds a descriptor; the store, the listeners and the
 * loop need a few more.  The soft limit is raised to what
 * --max-connections needs (up to the hard limit); failing that, fewer
 * connections are admitted, with a warning, so that a client over the
 * limit is answered overloaded instead of an accept failing unseen. */
#define FD_SPARE 64
static void fit_fds(cw_server *s)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl))
        return;
    rlim_t need = (rlim_t)s->cfg.max_connections + FD_SPARE;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
        rlim_t cur = rl.rlim_cur;
        rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need ? rl.rlim_max : need;
        if (setrlimit(RLIMIT_NOFILE, &rl))
            rl.rlim_cur = cur;
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
        unsigned fit = rl.rlim_cur > 2 * FD_SPARE ? (unsigned)(rl.rlim_cur - FD_SPARE) : 1;
        cw_log(s, LOG_WARN,
               "--max-connections %u needs %llu file descriptors and the limit is %llu: "
               "admitting %u connections",
               s->cfg.max_connections, (unsigned long long)need, (unsigned long long)rl.rlim_cur,
               fit);
        s->cfg.max_connections = fit;
    }
}

static void on_idle_timer(uv_timer_t *t)
{
    cw_idle_sweep(t->data);
}

static void close_handle(uv_handle_t *h)
{
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

static void on_stop_tick(uv_timer_t *t)
{
    cw_server *s = t->data;
    pthread_mutex_lock(&s->wlock);
    bool writer_idle = !s->wq_head;
    pthread_mutex_unlock(&s->wlock);
    bool quiet = writer_idle && cw_conns_quiet(s);
    if (!quiet && uv_now(s->loop) < s->stop_deadline_ms)
        return;
    if (!quiet)
        cw_log(s, LOG_WARN, "shutdown deadline passed with answers still queued");
    uv_timer_stop(t);
    /* The writer finishes its last group; its answers are delivered, then
     * every handle closes and the loop ends. */
    cw_writer_stop(s);
    cw_close_all(s);
    cw_watch_free(s);
    close_handle((uv_handle_t *)&s->done_async);
    close_handle((uv_handle_t *)&s->idle_timer);
    close_handle((uv_handle_t *)&s->turn);
    close_handle((uv_handle_t *)&s->sigterm);
    close_handle((uv_handle_t *)&s->sigint);
    close_handle((uv_handle_t *)&s->sighup);
    cw_observe_stop(s);
    close_handle((uv_handle_t *)t);
}

static void on_signal(uv_signal_t *h, int signum)
{
    cw_server *s = h->data;
    if (s->stopping)
        return;
    s->stopping = true;
    cw_log(s, LOG_INFO, "received %s: stopping", signum == SIGTERM ? "SIGTERM" : "SIGINT");
    cw_life_notify(s, "STOPPING=1\nSTATUS=stopping: finishing the requests in flight");
    cw_close_listeners(s);
    cw_stop_reading_all(s);
    s->stop_deadline_ms = uv_now(s->loop) + SHUTDOWN_DEADLINE_MS;
    uv_timer_init(s->loop, &s->stop_timer);
    s->stop_timer.data = s;
    uv_timer_start(&s->stop_timer, on_stop_tick, 0, 20);
}

/* Tells a service manager the server answers (after start and reload). */
static void notify_ready(const cw_server *s)
{
    cw_life_notify(s, "READY=1\nSTATUS=serving %d sockets; data in %s", s->n_listeners,
                   s->cfg.data_dir);
}

/* SIGHUP: the token file is read again (a token rotated without a
 * restart).  A file that does not read keeps the tokens in force. */
static void on_sighup(uv_signal_t *h, int signum)
{
    (void)signum;
    cw_server *s = h->data;
    if (s->stopping)
        return;
    cw_life_notify(s, "RELOADING=1");
    cw_err err = {0};
    if (!s->cfg.auth_file)
        cw_log(s, LOG_INFO, "received SIGHUP: no --auth file to read again");
    else if (cw_auth_load(s, s->cfg.auth_file, &err))
        cw_log(s, LOG_ERROR, "received SIGHUP: %s; keeping the %zu tokens in force", err.msg,
               s->n_tokens);
    else
        cw_log(s, LOG_INFO, "received SIGHUP: %zu tokens read from %s", s->n_tokens,
               s->cfg.auth_file);
    notify_ready(s);
}

static int hash_token(void)
{
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf, stdin);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--;
    if (!n) {
        fprintf(stderr, "crosswalkd: --hash-token: no token on stdin\n");
        return 2;
    }
    unsigned char h[32];
    char hex[2 * sizeof h + 1];
    cw_sha256(buf, n, h);
    printf("%s\n", sodium_bin2hex(hex, sizeof hex, h, sizeof h));
    return 0;
}

/* Opens the store in the claimed data directory and fills it with the
 * embedded frameworks when it is empty. */
static int open_store(cw_server *s, cw_err *err)
{
    cw_db_options dbo = {.path = s->cfg.data_dir,
                         .map_size = s->cfg.map_size,
                         .map_size_max = s->cfg.map_max,
                         .no_sync = s->cfg.no_sync};
    int rc = cw_db_open(&dbo, &s->db, err);
    if (rc || !cw_db_is_empty(s->db) || s->cfg.no_bootstrap)
        return rc;
    cw_bulk_stats st;
    uint64_t t0 = cw_now_ns();
    if ((rc = cw_bundle_load(s->db, cw_frameworks_bundle, cw_frameworks_bundle_len, &st, err))) {
        cw_err_prefix(err, "loading the embedded frameworks failed: ");
        return rc;
    }
    cw_log(s, LOG_INFO, "first start: loaded the embedded frameworks (%zu records) in %.1f ms",
           st.created + st.updated, (double)(cw_now_ns() - t0) / 1e6);
    return 0;
}

/* What a start that did not get to serve must undo: listeners (and the
 * socket files made for them), signal handlers, the store, the lock. */
static int fail_start(cw_server *s, const cw_err *err)
{
    cw_log(s, LOG_ERROR, "%s", err->msg);
    cw_close_listeners(s);
    close_handle((uv_handle_t *)&s->sigterm);
    close_handle((uv_handle_t *)&s->sigint);
    close_handle((uv_handle_t *)&s->sighup);
    cw_observe_stop(s);
    uv_run(s->loop, UV_RUN_NOWAIT);
    if (s->db)
        cw_db_close(s->db);
    cw_life_data_release(s);
    cw_config_free(&s->cfg);
    return 1;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    static cw_server srv; /* the server context: all mutable state lives here */
    cw_server *s = &srv;
    cw_config *cfg = &s->cfg;
    cw_err err = {0};
    cw_action action;
    int rc = cw_config_parse(cfg, argc, argv, &action, &err);
    if (rc || action != CW_RUN) {
        if (rc)
            fprintf(stderr, "crosswalkd: %s\n", err.msg);
        if (rc && action == CW_SHOW_HELP)
            usage(stderr);
        else if (!rc && action == CW_SHOW_HELP)
            usage(stdout);
        else if (!rc && action == CW_SHOW_VERSION)
            printf("crosswalkd %s (schema %d)\n", CW_VERSION, CW_SCHEMA_VERSION);
        else if (!rc && action == CW_HASH_TOKEN)
            rc = hash_token();
        cw_config_free(cfg);
        return rc ? 2 : 0;
    }
    if (cw_life_passed(s, &err) || cw_config_finish(cfg, s->life.n_passed, &err)) {
        fprintf(stderr, "crosswalkd: %s\n", err.msg);
        cw_config_free(cfg);
        return 2;
    }
    /* the log is open before its first line (fit_fds may write one) */
    s->loop = uv_default_loop();
    if (cw_observe_start(s, &err)) {
        fprintf(stderr, "crosswalkd: --%s\n", err.msg);
        cw_config_free(cfg);
        return 2;
    }
    fit_fds(s);
    s->start_ms = uv_now(s->loop);
    s->mstats = calloc(cw_method_count(), sizeof *s->mstats);
    s->req_arena = cw_arena_new();
    if (!s->mstats || !s->req_arena || !msgpack_zone_init(&s->zone, MSGPACK_ZONE_CHUNK_SIZE)) {
        cw_log(s, LOG_ERROR, "out of memory");
        return 1;
    }
    if (cw_methods_check(&err) || (cfg->auth_file && cw_auth_load(s, cfg->auth_file, &err)) ||
        cw_life_data_claim(s, &err)) {
        cw_log(s, LOG_ERROR, "%s", err.msg);
        return 1;
    }
    /* The handlers are installed before the "listening on" lines: a
     * supervisor (or a test) may send SIGTERM as soon as it reads them, and
     * that must be an orderly stop, not death by the default action. */
    uv_signal_init(s->loop, &s->sigterm);
    uv_signal_init(s->loop, &s->sigint);
    uv_signal_init(s->loop, &s->sighup);
    s->sigterm.data = s->sigint.data = s->sighup.data = s;
    uv_signal_start(&s->sigterm, on_signal, SIGTERM);
    uv_signal_start(&s->sigint, on_signal, SIGINT);
    uv_signal_start(&s->sighup, on_sighup, SIGHUP);
    /* Nothing is made in the data directory before every listener is
     * bound: a start that fails there leaves no trace. */
    if (cw_listen_all(s, &err) || cw_metrics_start(s, &err) || cw_life_data_ready(s, &err) ||
        open_store(s, &err))
        return fail_start(s, &err);
    if (cw_writer_start(s)) {
        cw_log(s, LOG_ERROR, "cannot start the writer thread");
        return 1;
    }
    uv_timer_init(s->loop, &s->idle_timer);
    s->idle_timer.data = s;
    uv_timer_start(&s->idle_timer, on_idle_timer, 1000, 1000);
    if (s->life.n_passed)
        cw_log(s, LOG_INFO, "socket activation: serving the %d sockets passed", s->life.n_passed);
    for (int i = 0; i < s->n_listeners; i++)
        CW_LOG_KV(s, LOG_INFO, "listening", KV_S("addr", s->listen_names[i]));
    cw_log(s, LOG_INFO, "crosswalkd %s ready: data=%s auth=%s%s%s", CW_VERSION, cfg->data_dir,
           s->auth_required ? "tokens" : "none (loopback and Unix sockets only)",
           cfg->config_file ? " config=" : "", cfg->config_file ? cfg->config_file : "");
    notify_ready(s);

    uv_run(s->loop, UV_RUN_DEFAULT);

    uv_loop_close(s->loop);
    cw_db_close(s->db);
    cw_life_data_release(s);
    cw_render_cache_free(s);
    msgpack_zone_destroy(&s->zone);
    cw_arena_free(s->req_arena);
    free(s->mstats);
    free(s->tokens);
    cw_log(s, LOG_INFO, "stopped");
    cw_config_free(cfg);
    cw_log_close(s);
    return 0;
}
