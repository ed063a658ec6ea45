/* crosswalkd: command line and environment, opening the store (and filling
 * an empty one with the frameworks embedded at build time), starting the
 * listeners and the writer thread, and the orderly shutdown on SIGTERM or
 * SIGINT: stop accepting and reading, let the writer commit what it holds,
 * flush answers under a deadline, close every handle, close the store. */
#include "crosswalk/bundle.h"
#include "server.h"

#include <getopt.h>
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
        "usage: crosswalkd [options]\n"
        "\n"
        "  --listen ADDR        tcp://HOST:PORT or unix:PATH; repeatable (default\n"
        "                       tcp://127.0.0.1:%d; port 0 picks a free port)\n"
        "  --data DIR           data directory (default ./crosswalk-data)\n"
        "  --auth FILE          token file: '<sha256 hex> <admin|editor|auditor> [org] [label]'\n"
        "                       per line; without it only loopback and Unix sockets are served\n"
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
        "Environment: CROSSWALK_LISTEN (comma-separated), CROSSWALK_DATA, CROSSWALK_AUTH.\n",
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

static int parse_size(const char *s, size_t *out)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s)
        return -1;
    if (*end == 'K' || *end == 'k')
        v <<= 10, end++;
    else if (*end == 'M' || *end == 'm')
        v <<= 20, end++;
    else if (*end == 'G' || *end == 'g')
        v <<= 30, end++;
    if (*end == 'i' && end[1] == 'B')
        end += 2;
    else if (*end == 'B')
        end++;
    if (*end)
        return -1;
    *out = (size_t)v;
    return 0;
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
    close_handle((uv_handle_t *)&s->done_async);
    close_handle((uv_handle_t *)&s->idle_timer);
    close_handle((uv_handle_t *)&s->turn);
    close_handle((uv_handle_t *)&s->sigterm);
    close_handle((uv_handle_t *)&s->sigint);
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
    cw_close_listeners(s);
    cw_stop_reading_all(s);
    s->stop_deadline_ms = uv_now(s->loop) + SHUTDOWN_DEADLINE_MS;
    uv_timer_init(s->loop, &s->stop_timer);
    s->stop_timer.data = s;
    uv_timer_start(&s->stop_timer, on_stop_tick, 0, 20);
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

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    static cw_server srv; /* the server context: all mutable state lives here */
    cw_server *s = &srv;
    cw_config *cfg = &s->cfg;
    cfg->data_dir = "./crosswalk-data";
    cfg->max_message = CW_DEFAULT_MAX_MESSAGE;
    cfg->max_depth = CW_DEFAULT_MAX_DEPTH;
    cfg->max_connections = CW_DEFAULT_MAX_CONNECTIONS;
    cfg->max_output = CW_DEFAULT_MAX_OUTPUT;
    cfg->log_level = LOG_INFO;
    cfg->stall_timeout = 10;
    cfg->auth_timeout = CW_DEFAULT_AUTH_TIMEOUT;
    cfg->max_write_queue = CW_DEFAULT_MAX_WRITE_QUEUE;
    cfg->max_memory = CW_DEFAULT_MAX_MEMORY;

    const char *env;
    static char env_listen[2048];
    if ((env = getenv("CROSSWALK_LISTEN")) && *env) {
        snprintf(env_listen, sizeof env_listen, "%s", env);
        for (char *save, *tok = strtok_r(env_listen, ",", &save); tok && cfg->n_listen < MAX_LISTEN;
             tok = strtok_r(NULL, ",", &save))
            cfg->listen[cfg->n_listen++] = tok;
    }
    if ((env = getenv("CROSSWALK_DATA")) && *env)
        cfg->data_dir = env;
    if ((env = getenv("CROSSWALK_AUTH")) && *env)
        cfg->auth_file = env;

    enum {
        O_MAPMAX = 256,
        O_DEPTH,
        O_IDLE,
        O_NOBOOT,
        O_NOSYNC,
        O_HASH,
        O_MAXOUT,
        O_STALL,
        O_AUTHTO,
        O_WQUEUE,
        O_MAXMEM,
        O_OBSERVE /* cw_observe_option, by name */
    };
    static const struct option opts[] = {
        {"listen", required_argument, 0, 'l'},
        {"data", required_argument, 0, 'd'},
        {"auth", required_argument, 0, 'a'},
        {"map-size", required_argument, 0, 'm'},
        {"map-max", required_argument, 0, O_MAPMAX},
        {"max-message", required_argument, 0, 'M'},
        {"max-depth", required_argument, 0, O_DEPTH},
        {"max-connections", required_argument, 0, 'c'},
        {"max-output", required_argument, 0, O_MAXOUT},
        {"idle-timeout", required_argument, 0, O_IDLE},
        {"stall-timeout", required_argument, 0, O_STALL},
        {"auth-timeout", required_argument, 0, O_AUTHTO},
        {"max-write-queue", required_argument, 0, O_WQUEUE},
        {"max-memory", required_argument, 0, O_MAXMEM},
        {"log-level", required_argument, 0, 'L'},
        {"log-format", required_argument, 0, O_OBSERVE},
        {"log-file", required_argument, 0, O_OBSERVE},
        {"access-log", no_argument, 0, O_OBSERVE},
        {"slow-ms", required_argument, 0, O_OBSERVE},
        {"metrics", required_argument, 0, O_OBSERVE},
        {"no-bootstrap", no_argument, 0, O_NOBOOT},
        {"no-sync", no_argument, 0, O_NOSYNC},
        {"hash-token", no_argument, 0, O_HASH},
        {"version", no_argument, 0, 'V'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    bool cli_listen = false;
    int o, li = 0;
    cw_err oerr = {0};
    while ((o = getopt_long(argc, argv, "l:d:a:m:M:c:L:Vh", opts, &li)) != -1) {
        size_t v;
        switch (o) {
        case 'l':
            if (!cli_listen) {
                cfg->n_listen = 0; /* flags replace the environment */
                cli_listen = true;
            }
            if (cfg->n_listen >= MAX_LISTEN) {
                fprintf(stderr, "crosswalkd: at most %d --listen addresses\n", MAX_LISTEN);
                return 2;
            }
            cfg->listen[cfg->n_listen++] = optarg;
            break;
        case 'd': cfg->data_dir = optarg; break;
        case 'a': cfg->auth_file = optarg; break;
        case 'm':
        case O_MAPMAX:
        case 'M':
        case O_MAXOUT:
        case O_WQUEUE:
        case O_MAXMEM:
            if (parse_size(optarg, &v) || v == 0) {
                fprintf(stderr, "crosswalkd: '%s' is not a size (e.g. 1048576, 64M, 2GiB)\n",
                        optarg);
                return 2;
            }
            if (o == 'm')
                cfg->map_size = v;
            else if (o == O_MAPMAX)
                cfg->map_max = v;
            else if (o == 'M')
                cfg->max_message = v;
            else if (o == O_WQUEUE)
                cfg->max_write_queue = v;
            else if (o == O_MAXMEM)
                cfg->max_memory = v;
            else
                cfg->max_output = v;
            break;
        case O_DEPTH:
        case 'c':
        case O_STALL:
        case O_AUTHTO:
        case O_IDLE: {
            char *end;
            long n = strtol(optarg, &end, 10);
            if (*end || n < 0 || n > 10000000 || (o != O_IDLE && n == 0)) {
                fprintf(stderr, "crosswalkd: '%s' is not a valid count\n", optarg);
                return 2;
            }
            if (o == O_DEPTH && n > CW_MAX_DEPTH_LIMIT) {
                fprintf(stderr,
                        "crosswalkd: --max-depth %ld: msgpack-c decodes at most %d levels\n", n,
                        CW_MAX_DEPTH_LIMIT);
                return 2;
            }
            if (o == O_DEPTH)
                cfg->max_depth = (unsigned)n;
            else if (o == O_AUTHTO)
                cfg->auth_timeout = (unsigned)n;
            else if (o == 'c')
                cfg->max_connections = (unsigned)n;
            else if (o == O_STALL)
                cfg->stall_timeout = (unsigned)n;
            else
                cfg->idle_timeout = (unsigned)n;
            break;
        }
        case 'L':
        case O_OBSERVE:
            if (cw_observe_option(cfg, o == 'L' ? "log-level" : opts[li].name, optarg, &oerr)) {
                fprintf(stderr, "crosswalkd: --%s\n", oerr.msg);
                return 2;
            }
            break;
        case O_NOBOOT: cfg->no_bootstrap = true; break;
        case O_NOSYNC: cfg->no_sync = true; break;
        case O_HASH: return hash_token();
        case 'V': printf("crosswalkd %s (schema %d)\n", CW_VERSION, CW_SCHEMA_VERSION); return 0;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "crosswalkd: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    static char default_listen[64];
    if (cfg->n_listen == 0) {
        snprintf(default_listen, sizeof default_listen, "tcp://127.0.0.1:%d", CW_DEFAULT_PORT);
        cfg->listen[cfg->n_listen++] = default_listen;
    }
    cfg->max_output_soft = cfg->max_output / 4;
    if (cfg->max_message < 64)
        cfg->max_message = 64;
    s->loop = uv_default_loop();
    if (cw_observe_start(s, &oerr)) {
        fprintf(stderr, "crosswalkd: --%s\n", oerr.msg);
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
    cw_err err = {0};
    if (cw_methods_check(&err)) {
        cw_log(s, LOG_ERROR, "%s", err.msg);
        return 1;
    }
    if (cfg->auth_file && cw_auth_load(s, cfg->auth_file, &err)) {
        cw_log(s, LOG_ERROR, "%s", err.msg);
        return 1;
    }
    cw_db_options dbo = {.path = cfg->data_dir,
                         .map_size = cfg->map_size,
                         .map_size_max = cfg->map_max,
                         .no_sync = cfg->no_sync};
    if (cw_db_open(&dbo, &s->db, &err)) {
        cw_log(s, LOG_ERROR, "%s", err.msg);
        return 1;
    }
    if (cw_db_is_empty(s->db) && !cfg->no_bootstrap) {
        cw_bulk_stats st;
        uint64_t t0 = cw_now_ns();
        if (cw_bundle_load(s->db, cw_frameworks_bundle, cw_frameworks_bundle_len, &st, &err)) {
            cw_log(s, LOG_ERROR, "loading the embedded frameworks failed: %s", err.msg);
            cw_db_close(s->db);
            return 1;
        }
        cw_log(s, LOG_INFO, "first start: loaded the embedded frameworks (%zu records) in %.1f ms",
               st.created + st.updated, (double)(cw_now_ns() - t0) / 1e6);
    }
    /* The handlers are installed before the "listening" lines: a
     * supervisor (or a test) may send SIGTERM as soon as it reads them, and
     * that must be an orderly stop, not death by the default action. */
    uv_signal_init(s->loop, &s->sigterm);
    uv_signal_init(s->loop, &s->sigint);
    s->sigterm.data = s->sigint.data = s;
    uv_signal_start(&s->sigterm, on_signal, SIGTERM);
    uv_signal_start(&s->sigint, on_signal, SIGINT);
    if (cw_listen_all(s, &err) || cw_metrics_start(s, &err)) {
        cw_log(s, LOG_ERROR, "%s", err.msg);
        cw_close_listeners(s);
        cw_observe_stop(s);
        close_handle((uv_handle_t *)&s->sigterm);
        close_handle((uv_handle_t *)&s->sigint);
        uv_run(s->loop, UV_RUN_NOWAIT);
        cw_db_close(s->db);
        return 1;
    }
    if (cw_writer_start(s)) {
        cw_log(s, LOG_ERROR, "cannot start the writer thread");
        return 1;
    }
    uv_timer_init(s->loop, &s->idle_timer);
    s->idle_timer.data = s;
    uv_timer_start(&s->idle_timer, on_idle_timer, 1000, 1000);
    cw_log(s, LOG_INFO, "crosswalkd %s ready: data=%s auth=%s", CW_VERSION, cfg->data_dir,
           s->auth_required ? "tokens" : "none (loopback and Unix sockets only)");

    uv_run(s->loop, UV_RUN_DEFAULT);

    uv_loop_close(s->loop);
    cw_db_close(s->db);
    cw_render_cache_free(s);
    msgpack_zone_destroy(&s->zone);
    cw_arena_free(s->req_arena);
    free(s->mstats);
    free(s->tokens);
    cw_log(s, LOG_INFO, "stopped");
    cw_log_close(s);
    return 0;
}
