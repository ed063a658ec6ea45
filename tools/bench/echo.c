/* crosswalk-bench echo and cpu: the baseline a request's server CPU is
 * judged against.  `echo` is the least a msgpack-RPC server on libuv can do
 * for a request: read, unpack, pack [1, msgid, nil, "pong"], write; no
 * dispatch, no auth, no limits.  `cpu` starts it and crosswalkd side by
 * side (each a process of its own, --no-sync for crosswalkd), drives each
 * with the same `run` phases over the same connections, and divides the
 * CPU time each process spent (utime + stime, /proc/PID/stat) by the
 * requests it answered: ping on the echo server, ping and requirement.get
 * on crosswalkd. */
#include "bench.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

/* ---- the echo server ---- */

typedef struct {
    uv_pipe_t pipe;
    msgpack_unpacker up;
} echo_conn;

static void echo_alloc(uv_handle_t *h, size_t want, uv_buf_t *buf)
{
    echo_conn *c = h->data;
    (void)want;
    if (msgpack_unpacker_buffer_capacity(&c->up) < 65536)
        msgpack_unpacker_reserve_buffer(&c->up, 65536);
    *buf = uv_buf_init(msgpack_unpacker_buffer(&c->up),
                       (unsigned)msgpack_unpacker_buffer_capacity(&c->up));
}

static void echo_closed(uv_handle_t *h)
{
    echo_conn *c = h->data;
    msgpack_unpacker_destroy(&c->up);
    free(c);
}

static void echo_written(uv_write_t *w, int status)
{
    (void)status;
    free(w->data);
    free(w);
}

static void echo_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    echo_conn *c = s->data;
    (void)buf;
    if (n < 0) {
        uv_close((uv_handle_t *)s, echo_closed);
        return;
    }
    msgpack_unpacker_buffer_consumed(&c->up, (size_t)n);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    while (msgpack_unpacker_next(&c->up, &u) == MSGPACK_UNPACK_SUCCESS) {
        const msgpack_object *o = &u.data;
        if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 4)
            continue;
        msgpack_pack_array(&pk, 4);
        msgpack_pack_int(&pk, 1);
        msgpack_pack_object(&pk, o->via.array.ptr[1]);
        msgpack_pack_nil(&pk);
        msgpack_pack_str(&pk, 4);
        msgpack_pack_str_body(&pk, "pong", 4);
    }
    msgpack_unpacked_destroy(&u);
    if (!sb.size) {
        msgpack_sbuffer_destroy(&sb);
        return;
    }
    uv_write_t *w = cw_xmalloc(sizeof *w);
    w->data = sb.data; /* the write owns the packed answers */
    uv_buf_t out = uv_buf_init(sb.data, (unsigned)sb.size);
    if (uv_write(w, s, &out, 1, echo_written))
        echo_written(w, -1);
}

static void echo_accept(uv_stream_t *server, int status)
{
    if (status < 0)
        return;
    echo_conn *c = cw_xmalloc(sizeof *c);
    uv_pipe_init(server->loop, &c->pipe, 0);
    c->pipe.data = c;
    msgpack_unpacker_init(&c->up, 65536);
    if (uv_accept(server, (uv_stream_t *)&c->pipe) == 0)
        uv_read_start((uv_stream_t *)&c->pipe, echo_alloc, echo_read);
    else
        uv_close((uv_handle_t *)&c->pipe, echo_closed);
}

static void echo_stop(uv_signal_t *h, int sig)
{
    (void)sig;
    uv_stop(h->loop);
}

void cw_echo(const cw_opts *o)
{
    if (!o->server || strncmp(o->server, "unix:", 5) != 0)
        cw_die("echo: --server unix:PATH is required (the address to listen on)");
    uv_loop_t *loop = uv_default_loop();
    uv_pipe_t server;
    uv_signal_t term;
    uv_pipe_init(loop, &server, 0);
    unlink(o->server + 5);
    if (uv_pipe_bind(&server, o->server + 5) || uv_listen((uv_stream_t *)&server, 512, echo_accept))
        cw_die("echo: cannot listen on %s", o->server);
    uv_signal_init(loop, &term);
    uv_signal_start(&term, echo_stop, SIGTERM);
    uv_run(loop, UV_RUN_DEFAULT);
    unlink(o->server + 5);
    exit(0);
}

/* ---- cpu ---- */

/* CPU seconds (user + system) process pid has used. */
static double cw_cpu_s(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    FILE *f = fopen(path, "r");
    if (!f || !fgets(buf, sizeof buf, f))
        cw_die("%s: cannot read", path);
    fclose(f);
    /* fields after the command's ")" : state is field 3, utime 14, stime 15 */
    const char *p = strrchr(buf, ')');
    unsigned long ut = 0, st = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        cw_die("%s: unexpected format", path);
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* Runs ping (and scenario, when not NULL) against addr; the CPU pid spent
 * per request answered, in µs, for ping and for the scenario. */
static void cw_cpu_of(const cw_opts *o, const char *addr, pid_t pid, const char *scenario,
                      double *ping_us, double *scn_us, cw_figures *pf, cw_figures *sf)
{
    cw_opts r = *o;
    r.server = addr;
    double c0 = cw_cpu_s(pid);
    cw_run_figures(&r, "ping", pf, sf);
    double c1 = cw_cpu_s(pid);
    *ping_us = (c1 - c0) * 1e6 / (double)(pf->sent + sf->sent);
    if (!scenario)
        return;
    cw_figures p2;
    cw_run_figures(&r, scenario, &p2, sf);
    double c2 = cw_cpu_s(pid);
    /* the scenario's phase runs after a ping phase of its own */
    *scn_us = ((c2 - c1) * 1e6 - *ping_us * (double)p2.sent) / (double)sf->sent;
}

void cw_cpu(const cw_opts *o)
{
    if (!o->crosswalkd)
        cw_die("cpu: --crosswalkd is required");
    char dir[] = "/tmp/cw-cpu-XXXXXX";
    if (!mkdtemp(dir))
        cw_die("mkdtemp: %s", strerror(errno));
    char data[64], sock[64], log[64], esock[64], eaddr[80], addr[80];
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(sock, sizeof sock, "%s/sock", dir);
    snprintf(log, sizeof log, "%s/log", dir);
    snprintf(esock, sizeof esock, "%s/echo", dir);
    snprintf(eaddr, sizeof eaddr, "unix:%s", esock);
    snprintf(addr, sizeof addr, "unix:%s", sock);
    if (mkdir(data, 0700))
        cw_die("mkdir %s: %s", data, strerror(errno));

    pid_t echo = fork();
    if (echo < 0)
        cw_die("fork: %s", strerror(errno));
    if (echo == 0) {
        cw_opts e = *o;
        e.server = eaddr;
        cw_echo(&e);
    }
    for (int i = 0; i < 3000 && cw_connect_try(eaddr) < 0; i++)
        cw_sleep_s(0.01);
    static const char *const extra[] = {"--no-sync", NULL};
    double ms;
    pid_t cw = cw_server_start(o, data, sock, log, "cpu", extra, &ms);

    double e_ping, c_ping, c_req = 0, dummy;
    cw_figures ep, es, cp, cs;
    cw_cpu_of(o, eaddr, echo, NULL, &e_ping, &dummy, &ep, &es);
    cw_cpu_of(o, addr, cw, "requirement.get", &c_ping, &c_req, &cp, &cs);

    kill(echo, SIGTERM);
    waitpid(echo, NULL, 0);
    cw_server_stop(cw, log, "cpu");
    cw_rmtree(dir);

    printf("crosswalk-bench cpu: %s, %u connections, pipeline %u, %.1f s per phase: server CPU "
           "(user + system, /proc) per request answered\n",
           o->crosswalkd, o->connections, o->pipeline, o->duration);
    printf("%-34s %12s %14s\n", "", "requests/s", "CPU us/request");
    printf("%-34s %12.0f %14.2f\n", "echo server (libuv + msgpack-c): ping", es.rps, e_ping);
    printf("%-34s %12.0f %14.2f\n", "crosswalkd: ping", cp.rps, c_ping);
    printf("%-34s %12.0f %14.2f\n", "crosswalkd: requirement.get", cs.rps, c_req);
    printf("crosswalkd ping / echo ping: %.2f (target <= 1.2); requirement.get / ping: %.2f "
           "(target <= 1.3)\n",
           e_ping > 0 ? c_ping / e_ping : 0, c_ping > 0 ? c_req / c_ping : 0);
    if (o->json) {
        FILE *f = cw_json_open(o->json);
        fprintf(f,
                "{\"connections\": %u, \"pipeline\": %u, \"duration_s\": %g, \"echo_ping_cpu_us\": "
                "%.3f, \"ping_cpu_us\": %.3f, \"requirement_get_cpu_us\": %.3f, "
                "\"ping_over_echo\": %.3f, \"requirement_get_over_ping\": %.3f}\n",
                o->connections, o->pipeline, o->duration, e_ping, c_ping, c_req,
                e_ping > 0 ? c_ping / e_ping : 0, c_ping > 0 ? c_req / c_ping : 0);
        cw_json_close(f, o->json);
    }
}
