/* The metrics listener: server.stats' counters and a few facts about the
 * process in Prometheus' text exposition format, served over HTTP at
 * /metrics on the --metrics address.  HTTP is libmicrohttpd's; it runs
 * without a thread of its own, in its epoll mode, driven from the loop: a
 * uv_poll on its epoll descriptor and a uv_timer for its timeouts call
 * MHD_run, so every counter is read on the loop thread that writes it and
 * nothing needs a lock.  The listener takes no token: it is meant for
 * loopback or a scraper's private network, and says so in the docs. */
#include "server.h"
#include "watch.h"

#include <dirent.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* A scraper needs one connection; a few more let a person look too. */
#define METRICS_CONNECTIONS 16
#define METRICS_IDLE_S 10

struct cw_metrics {
    cw_server *s;
    struct MHD_Daemon *d;
    uv_poll_t poll;
    uv_timer_t timer;
    int handles; /* of poll and timer, not closed yet */
};

int cw_metrics_addr(const char *addr, struct sockaddr_storage *ss, cw_err *err)
{
    const char *hp = addr;
    if (strncmp(hp, "tcp://", 6) != 0)
        return cw_err_set(err, CW_EINVAL,
                          "metrics: '%s' is not tcp://HOST:PORT (the metrics are served over "
                          "HTTP on TCP only, e.g. tcp://127.0.0.1:9787)",
                          addr);
    hp += 6;
    char host[128];
    const char *port = strrchr(hp, ':');
    size_t hlen = port ? (size_t)(port - hp) : 0;
    if (hlen >= 2 && hp[0] == '[' && hp[hlen - 1] == ']')
        hp++, hlen -= 2;
    if (!port || hlen == 0 || hlen >= sizeof host || !port[1])
        return cw_err_set(err, CW_EINVAL, "metrics: '%s' is not tcp://HOST:PORT", addr);
    memcpy(host, hp, hlen);
    host[hlen] = '\0';
    if (strcmp(host, "localhost") == 0)
        strcpy(host, "127.0.0.1");
    struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
                             .ai_socktype = SOCK_STREAM},
                    *res = NULL;
    char *end;
    long p = strtol(port + 1, &end, 10);
    if (*end || p < 0 || p > 65535)
        return cw_err_set(err, CW_EINVAL, "metrics: '%s' has a bad port", addr);
    if (getaddrinfo(host, port + 1, &hints, &res) || !res)
        return cw_err_set(err, CW_EINVAL, "metrics: '%s': %s is not an IP address", addr, host);
    memset(ss, 0, sizeof *ss);
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return 0;
}

/* ---- the exposition ---- */

static void family(FILE *f, const char *name, const char *type, const char *help)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void value(FILE *f, const char *name, const char *type, const char *help, double v)
{
    family(f, name, type, help);
    fprintf(f, "%s %.15g\n", name, v);
}

/* One histogram series from log2 microsecond buckets: cumulative counts
 * at each bound in seconds, the last bucket only in +Inf (it holds
 * everything above the bound before it). */
static void histogram(FILE *f, const char *name, const char *label, const uint64_t *lat,
                      uint64_t sum_us)
{
    uint64_t n = 0;
    const char *sep = *label ? "," : "";
    for (int b = 0; b < LAT_BUCKETS - 1; b++) {
        n += lat[b];
        fprintf(f, "%s_bucket{%s%sle=\"%.6f\"} %llu\n", name, label, sep, (double)(1ULL << b) / 1e6,
                (unsigned long long)n);
    }
    n += lat[LAT_BUCKETS - 1];
    fprintf(f, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, label, sep, (unsigned long long)n);
    fprintf(f, "%s_sum%s%s%s %.6f\n", name, *label ? "{" : "", label, *label ? "}" : "",
            (double)sum_us / 1e6);
    fprintf(f, "%s_count%s%s%s %llu\n", name, *label ? "{" : "", label, *label ? "}" : "",
            (unsigned long long)n);
}

/* Per-method counters, only for methods that were called (as server.stats
 * lists them). */
static void per_method(FILE *f, const cw_server *s, const char *name, const char *type,
                       const char *help, size_t offset)
{
    family(f, name, type, help);
    for (size_t i = 0; cw_schema_name(i); i++)
        if (s->mstats[i].requests)
            fprintf(f, "%s{method=\"%s\"} %llu\n", name, cw_schema_name(i),
                    (unsigned long long)*(const uint64_t *)((const char *)&s->mstats[i] + offset));
}

static void process_facts(FILE *f, const cw_server *s)
{
    double up = (double)(uv_now(s->loop) - s->start_ms) / 1000;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    value(f, "process_start_time_seconds", "gauge", "When the process started, in Unix seconds.",
          (double)now.tv_sec + (double)now.tv_nsec / 1e9 - up);
    value(f, "crosswalk_uptime_seconds", "gauge", "Seconds since the server started.", up);
    unsigned long pages_total, pages_rss;
    FILE *statm = fopen("/proc/self/statm", "r");
    if (statm) {
        if (fscanf(statm, "%lu %lu", &pages_total, &pages_rss) == 2)
            value(f, "process_resident_memory_bytes", "gauge", "Resident memory of the process.",
                  (double)pages_rss * (double)sysconf(_SC_PAGESIZE));
        fclose(statm);
    }
    DIR *fds = opendir("/proc/self/fd");
    if (fds) {
        long n = -1; /* the directory's own descriptor */
        while (readdir(fds))
            n++;
        closedir(fds);
        value(f, "process_open_fds", "gauge", "Open file descriptors.", (double)(n - 2));
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        value(f, "process_max_fds", "gauge", "The descriptor limit (soft).", (double)rl.rlim_cur);
}

/* Writes the whole exposition to f.  Loop thread. */
static void render(FILE *f, cw_server *s)
{
    const cw_config *cfg = &s->cfg;
    family(f, "crosswalk_info", "gauge", "The server's version and store schema; always 1.");
    fprintf(f, "crosswalk_info{version=\"%s\",schema=\"%d\"} 1\n", CW_VERSION, CW_SCHEMA_VERSION);
    process_facts(f, s);

    per_method(f, s, "crosswalk_requests_total", "counter",
               "Requests per method (server.stats methods.*.requests).",
               offsetof(cw_method_stats, requests));
    per_method(f, s, "crosswalk_request_errors_total", "counter",
               "Requests per method answered with an error (server.stats methods.*.errors).",
               offsetof(cw_method_stats, errors));
    family(f, "crosswalk_request_duration_seconds", "histogram",
           "Time from reading a request to its answer, every method (server.stats latency_us).");
    histogram(f, "crosswalk_request_duration_seconds", "", s->lat, s->lat_sum_us);
    family(f, "crosswalk_method_duration_seconds", "histogram",
           "Time from reading a request to its answer, per method.");
    for (size_t i = 0; cw_schema_name(i); i++) {
        uint64_t n = 0;
        for (int b = 0; b < LAT_BUCKETS; b++)
            n += s->mstats[i].lat[b];
        if (!n)
            continue;
        char label[96];
        snprintf(label, sizeof label, "method=\"%s\"", cw_schema_name(i));
        histogram(f, "crosswalk_method_duration_seconds", label, s->mstats[i].lat,
                  s->mstats[i].lat_sum_us);
    }
    value(f, "crosswalk_unknown_methods_total", "counter",
          "Requests naming no method (server.stats unknown_methods).", (double)s->unknown_methods);
    value(f, "crosswalk_protocol_errors_total", "counter",
          "Messages refused before a method was found (server.stats protocol_errors).",
          (double)s->protocol_errors);

    value(f, "crosswalk_connections", "gauge", "Open connections (server.stats connections).",
          s->n_conns);
    value(f, "crosswalk_connections_total", "counter",
          "Connections accepted (server.stats connections_total).", (double)s->total_conns);
    value(f, "crosswalk_connections_max", "gauge", "The connection limit (--max-connections).",
          cfg->max_connections);
    value(f, "crosswalk_connections_unauthenticated", "gauge",
          "Open connections that have not authenticated yet (with --auth).", s->n_preauth);
    value(f, "crosswalk_received_bytes_total", "counter",
          "Bytes read from clients (server.stats bytes_in).", (double)s->bytes_in);
    value(f, "crosswalk_sent_bytes_total", "counter",
          "Bytes written to clients (server.stats bytes_out).", (double)s->bytes_out);

    value(f, "crosswalk_commits_total", "counter",
          "Write transactions committed (server.stats commits).", (double)s->commits);
    value(f, "crosswalk_writes_committed_total", "counter",
          "Write requests committed, in any group (server.stats writes_committed).",
          (double)s->grouped_writes);
    cw_watch_counts wc;
    cw_watch_counts_get(s, &wc);
    value(f, "crosswalk_watch_subscriptions", "gauge",
          "Status feed subscriptions open (server.stats watch_subscriptions).",
          (double)wc.subscriptions);
    value(f, "crosswalk_watch_events_total", "counter",
          "Status feed events made (server.stats watch_events).", (double)wc.events);
    value(f, "crosswalk_watch_dropped_total", "counter",
          "Subscribers dropped for not keeping up (server.stats watch_dropped).",
          (double)wc.dropped);
    pthread_mutex_lock(&s->wlock);
    size_t queued = s->wq_len;
    pthread_mutex_unlock(&s->wlock);
    value(f, "crosswalk_write_queue_requests", "gauge",
          "Write requests waiting for the writer thread.", (double)queued);
    value(f, "crosswalk_write_queue_bytes", "gauge",
          "Write requests in flight, counted with their decoded size.", (double)s->job_bytes);
    value(f, "crosswalk_write_queue_limit_bytes", "gauge",
          "The write queue's limit (--max-write-queue).", (double)cfg->max_write_queue);
    value(f, "crosswalk_write_waiting_connections", "gauge",
          "Connections whose next write waits for room in the write queue.", s->n_wait_writer);

    value(f, "crosswalk_memory_used_bytes", "gauge",
          "Input buffers, unsent answers and write requests together.",
          (double)(s->mem_in + s->mem_out + s->job_bytes));
    value(f, "crosswalk_memory_budget_bytes", "gauge", "The memory budget (--max-memory).",
          (double)cfg->max_memory);
    value(f, "crosswalk_memory_at_budget", "gauge",
          "1 while no new message or connection is taken for want of memory.", s->at_budget);

    cw_db_counts n;
    cw_err err = {0};
    if (s->db && cw_db_counts_get(s->db, &n, &err) == 0) {
        value(f, "crosswalk_store_map_size_bytes", "gauge", "The store's current map size.",
              (double)n.map_size);
        value(f, "crosswalk_store_map_used_bytes", "gauge", "Bytes of the map in use.",
              (double)n.map_used);
        value(f, "crosswalk_store_map_max_bytes", "gauge",
              "The largest the map may grow to (--map-max, store.set_map_max).",
              (double)n.map_size_max);
        family(f, "crosswalk_store_records", "gauge", "Records in the store, by kind.");
        const struct {
            const char *kind;
            size_t n;
        } kinds[] = {{"frameworks", n.frameworks},
                     {"requirements", n.requirements},
                     {"mappings", n.mappings},
                     {"joint_mappings", n.joint_mappings},
                     {"orgs", n.orgs},
                     {"controls", n.controls},
                     {"evidence", n.evidence},
                     {"scope", n.scope}};
        for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
            fprintf(f, "crosswalk_store_records{kind=\"%s\"} %zu\n", kinds[i].kind, kinds[i].n);
    }
}

/* ---- HTTP ---- */

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, char *body, size_t len,
                             const char *type)
{
    /* MHD frees body with free() once sent. */
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    enum MHD_Result ok = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **req)
{
    (void)version, (void)upload, (void)req;
    cw_server *s = cls;
    if (*upload_size)
        return MHD_NO; /* a body nobody asked for */
    char *body = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&body, &len);
    if (!f)
        return MHD_NO;
    unsigned status = MHD_HTTP_OK;
    const char *type = "text/plain; charset=utf-8";
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
        status = MHD_HTTP_METHOD_NOT_ALLOWED;
        fputs("method not allowed: the metrics are read with GET /metrics\n", f);
    } else if (strcmp(url, "/metrics") != 0) {
        status = MHD_HTTP_NOT_FOUND;
        fputs("not found: the metrics are at /metrics\n", f);
    } else {
        render(f, s);
        type = "text/plain; version=0.0.4; charset=utf-8";
    }
    if (fclose(f)) {
        free(body);
        return MHD_NO;
    }
    return reply(conn, status, body, len, type);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    CW_LOG_KV((cw_server *)cls, LOG_WARN, "metrics listener", KV_S("error", msg));
}

static void on_mhd_timer(uv_timer_t *t);

/* After every turn of MHD: its next deadline, if it has one (zero when it
 * has work left that no descriptor will announce). */
static void mhd_turn(struct cw_metrics *m)
{
    MHD_run(m->d);
    MHD_UNSIGNED_LONG_LONG ms;
    if (MHD_get_timeout(m->d, &ms) == MHD_YES)
        uv_timer_start(&m->timer, on_mhd_timer, ms, 0);
    else
        uv_timer_stop(&m->timer);
}

static void on_mhd_timer(uv_timer_t *t)
{
    mhd_turn(t->data);
}

static void on_mhd_poll(uv_poll_t *p, int status, int events)
{
    (void)status, (void)events;
    mhd_turn(p->data);
}

int cw_metrics_start(cw_server *s, cw_err *err)
{
    if (!s->cfg.metrics[0])
        return 0;
    struct sockaddr_storage ss;
    int rc = cw_metrics_addr(s->cfg.metrics, &ss, err);
    if (rc)
        return rc;
    struct cw_metrics *m = calloc(1, sizeof *m);
    if (!m)
        return cw_err_set(err, CW_ENOMEM, "out of memory");
    unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    m->s = s;
    /* The logger first: MHD reports on the options after it through it. */
    m->d =
        MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER,
                         on_mhd_log, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                         MHD_OPTION_CONNECTION_LIMIT, (unsigned)METRICS_CONNECTIONS,
                         MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)METRICS_IDLE_S, MHD_OPTION_END);
    const union MHD_DaemonInfo *ep =
        m->d ? MHD_get_daemon_info(m->d, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
    const union MHD_DaemonInfo *port =
        m->d ? MHD_get_daemon_info(m->d, MHD_DAEMON_INFO_BIND_PORT) : NULL;
    if (!ep || !port) {
        if (m->d)
            MHD_stop_daemon(m->d);
        free(m);
        return cw_err_set(err, CW_EINVAL,
                          "metrics: cannot listen on %s (in use, or not an address of this host)",
                          s->cfg.metrics);
    }
    if ((rc = uv_poll_init(s->loop, &m->poll, ep->epoll_fd))) {
        MHD_stop_daemon(m->d);
        free(m);
        return cw_err_set(err, CW_EINVAL, "metrics: cannot watch the listener: %s",
                          uv_strerror(rc));
    }
    uv_timer_init(s->loop, &m->timer);
    m->poll.data = m->timer.data = m;
    m->handles = 2;
    s->metrics = m;
    uv_poll_start(&m->poll, UV_READABLE, on_mhd_poll);
    mhd_turn(m);
    char host[INET6_ADDRSTRLEN] = "";
    getnameinfo((struct sockaddr *)&ss, sizeof ss, host, sizeof host, NULL, 0, NI_NUMERICHOST);
    char url[sizeof host + 32];
    snprintf(url, sizeof url,
             ss.ss_family == AF_INET6 ? "http://[%s]:%u/metrics" : "http://%s:%u/metrics", host,
             (unsigned)port->port);
    CW_LOG_KV(s, LOG_INFO, "metrics listening", KV_S("url", url));
    return 0;
}

static void on_closed(uv_handle_t *h)
{
    struct cw_metrics *m = h->data;
    if (--m->handles)
        return;
    /* Only now: the poll handle no longer watches MHD's epoll descriptor,
     * which stopping the daemon closes. */
    MHD_stop_daemon(m->d);
    free(m);
}

void cw_metrics_stop(cw_server *s)
{
    struct cw_metrics *m = s->metrics;
    if (!m)
        return;
    s->metrics = NULL;
    uv_close((uv_handle_t *)&m->poll, on_closed);
    uv_close((uv_handle_t *)&m->timer, on_closed);
}
