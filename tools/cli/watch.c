/* watch.c: `crosswalk watch`, an organisation's status feed as it happens.
 *
 * It subscribes (watch.subscribe) and then only listens: every
 * status.changed and control.changed notification becomes one line (the
 * time, the framework, the requirement, from -> to and what caused it), or
 * with --json one JSON object a line, flushed at once so that a pipe sees
 * each change when it comes.  The feed numbers its events; the last one
 * seen is what a resumed subscription starts after, so a broken
 * connection is made again once, with since = that event, and a dropped
 * subscription or a connection that cannot be had back ends the command
 * naming the --since to resume with.  SIGINT and SIGTERM end it cleanly
 * (exit 0): the handlers only set a flag, which the reading loop checks
 * between waits of at most half a second.
 *
 * Ownership: the subscription's arguments and every notification are
 * jansson values owned by the function that made them. */
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char cw_help_watch[] =
    "Usage: crosswalk watch --org ORG [--framework FW]... [--controls] [--lag DURATION]\n"
    "                       [--since EVENT] [--json]\n"
    "\n"
    "Subscribes to the organisation's status feed (watch.subscribe) and prints each\n"
    "change as it happens, one line each: the time it was judged at, the framework\n"
    "(or `control`), the requirement (or control), from -> to, and the cause: a\n"
    "write (`evidence.put #12 by local`) or time (`time: E-1 expired`). It runs\n"
    "until interrupted (Ctrl-C or SIGTERM: exit 0). When the connection breaks it\n"
    "reconnects once and resumes after the last event seen, saying so if the\n"
    "server no longer held the events in between. When the server drops the\n"
    "subscription, or the connection cannot be had back, it exits 1 with the\n"
    "--since to resume with.\n"
    "  --framework FW      watch this framework; give it once for each (default:\n"
    "                      every framework, at most 64)\n"
    "  --controls          also print each change of a control's state\n"
    "  --lag DURATION      judge statuses this long before now (90s, 15m, 12h, 30d\n"
    "                      or seconds; default 0)\n"
    "  --since EVENT       resume after this event (the one a previous watch said to\n"
    "                      resume with, or the `event` of the last line of --json)\n"
    "  --json              one JSON object a line: {\"method\": ..., \"params\": ...}\n"
    "                      as the server sent it\n"
    "  --format FMT        table (the default) or json, as --json\n";

/* How long one wait for a notification lasts before the stop flag is
 * looked at again (a signal usually ends the wait at once; this covers one
 * that lands just before it starts). */
#define WATCH_POLL_MS 500
/* How long a reconnection keeps trying: long enough for a server being
 * restarted to listen again. */
#define WATCH_RECONNECT_MS 10000
#define WATCH_RECONNECT_STEP_MS 250

static volatile sig_atomic_t watch_stop;

static void watch_on_signal(int sig)
{
    (void)sig;
    watch_stop = 1;
}

/* What a watch carries from one connection to the next. */
typedef struct watch {
    const cw_ctx *ctx;
    json_t *args; /* watch.subscribe's arguments, since added on resuming */
    bool json;
    bool have_event; /* last_event is known: a resume can start after it */
    json_int_t last_event;
} watch;

static const char *w_str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* Writes s with control characters as spaces, padded to cols display
 * cells: nothing the server sends can move a terminal's cursor. */
static void w_put(FILE *f, const char *s, size_t cols)
{
    for (const char *p = s; *p; p++)
        fputc((unsigned char)*p < 0x20 || *p == 0x7f ? ' ' : *p, f);
    for (size_t w = cw_text_width(s); w < cols; w++)
        fputc(' ', f);
}

/* The cause of a change in words: "evidence.put #12 by local" (with the
 * writes committed together), "time: E-1, E-2 expired; E-3 came to count". */
static void w_cause(FILE *f, json_t *cause)
{
    const char *kind = w_str(cause, "kind");
    if (strcmp(kind, "write") == 0) {
        json_int_t writes = json_integer_value(json_object_get(cause, "writes"));
        fprintf(f, "%s #%lld by ", w_str(cause, "method"),
                (long long)json_integer_value(json_object_get(cause, "seq")));
        w_put(f, w_str(cause, "actor"), 0);
        if (writes > 1)
            fprintf(f, " (the last of %lld writes committed together)", (long long)writes);
        return;
    }
    if (strcmp(kind, "time") != 0) {
        fprintf(f, "%s", *kind ? kind : "?");
        return;
    }
    json_t *lists[2] = {json_object_get(cause, "evidence"), json_object_get(cause, "collected")};
    static const char *const said[2] = {" expired", " came to count"};
    if (json_array_size(lists[0]) + json_array_size(lists[1]) == 0) {
        /* no evidence expired or came: a finding's corrective action fell due */
        fputs("time: a deadline passed", f);
        return;
    }
    fputs("time: ", f);
    bool first = true;
    for (int l = 0; l < 2; l++) {
        size_t n = json_array_size(lists[l]);
        if (n == 0)
            continue;
        fputs(first ? "" : "; ", f);
        first = false;
        for (size_t i = 0; i < n && i < 3; i++) {
            fputs(i ? ", " : "", f);
            w_put(f, w_str(json_array_get(lists[l], i), "id"), 0);
        }
        if (n > 3)
            fprintf(f, " and %zu more", n - 3);
        fputs(said[l], f);
    }
}

/* One change as a line of text. */
static void w_line(FILE *f, json_t *p, bool control)
{
    json_t *from = json_object_get(p, "from"), *to = json_object_get(p, "to");
    w_put(f, w_str(p, "at"), 20);
    fputs("  ", f);
    w_put(f, control ? "control" : w_str(p, "framework"), 14);
    fputs("  ", f);
    w_put(f, w_str(p, "id"), 10);
    fputs("  ", f);
    /* nil: the requirement is new to the catalogue, or left it */
    w_put(f, json_is_string(from) ? json_string_value(from) : "(new)", 0);
    fputs(" -> ", f);
    w_put(f, json_is_string(to) ? json_string_value(to) : "(gone)", 0);
    fputs("  ", f);
    w_cause(f, json_object_get(p, "cause"));
    fputc('\n', f);
}

/* Prints one notification.  Returns -1 to go on listening, else the exit
 * code (the subscription was dropped). */
static int w_note(watch *w, json_t *note)
{
    const char *method = w_str(note, "method");
    json_t *p = json_object_get(note, "params");
    bool status = strcmp(method, "status.changed") == 0;
    bool control = strcmp(method, "control.changed") == 0;
    bool dropped = strcmp(method, "watch.dropped") == 0;
    if (w->json && (status || control || dropped)) {
        json_dumpf(note, stdout, JSON_COMPACT);
        fputc('\n', stdout);
    } else if (status || control) {
        w_line(stdout, p, control);
    }
    fflush(stdout);
    if ((status || control) && json_is_integer(json_object_get(p, "event"))) {
        w->last_event = json_integer_value(json_object_get(p, "event"));
        w->have_event = true;
    }
    if (!dropped)
        return -1;
    fprintf(stderr, "crosswalk watch: the server dropped the subscription: %s\n",
            w_str(p, "reason"));
    fprintf(stderr, "crosswalk watch: resume with --since %lld\n",
            (long long)json_integer_value(json_object_get(p, "resume")));
    return CW_EXIT_ERROR;
}

/* Subscribes on c (resuming after the last event when one is known) and
 * prints what came with the answer.  Returns -1 when subscribed, else the
 * exit code (said). */
static int w_subscribe(watch *w, cw_rpc *c, bool again)
{
    if (w->have_event)
        json_object_set_new(w->args, "since", json_integer(w->last_event));
    json_t *notes = json_array(), *ans = NULL;
    char *msg = NULL;
    int r = cw_rpc_call_keep(c, "watch.subscribe", w->args, notes, &ans, &msg);
    if (r) {
        fprintf(stderr, "crosswalk: %s%s\n", r == CW_RPC_ETRANSPORT ? "connection: " : "",
                msg ? msg : "?");
        if (r == CW_RPC_ESERVER)
            cw_hint_unknown(c, msg);
        if (again && w->have_event)
            fprintf(stderr, "crosswalk watch: resume with --since %lld\n",
                    (long long)w->last_event);
        free(msg);
        json_decref(notes);
        return CW_EXIT_ERROR;
    }
    json_int_t position = json_integer_value(json_object_get(ans, "position"));
    if (json_is_true(json_object_get(ans, "lost")))
        fprintf(stderr,
                "crosswalk watch: events after %lld were missed: the server no longer holds "
                "them (it restarted, or they were too many), so read the coverage afresh; "
                "watching again from event %lld\n",
                (long long)w->last_event, (long long)position);
    else if (again)
        fprintf(stderr, "crosswalk watch: reconnected; resuming after event %lld\n",
                (long long)position);
    /* on standard error in both forms: it says the watch has begun (what
     * a script waits for before it writes) and keeps standard output for
     * the changes alone */
    if (!again) {
        json_t *fws = json_object_get(ans, "frameworks");
        fprintf(stderr, "crosswalk watch: watching %s: ", w_str(ans, "org"));
        size_t i;
        json_t *fw;
        json_array_foreach(fws, i, fw)
        {
            if (i == 3) {
                fprintf(stderr, " and %zu more", json_array_size(fws) - 3);
                break;
            }
            fprintf(stderr, "%s%s", i ? ", " : "", json_string_value(fw));
        }
        fprintf(stderr, "%s from event %lld; Ctrl-C stops\n",
                json_is_true(json_object_get(w->args, "controls")) ? " and its controls" : "",
                (long long)position);
    }
    w->last_event = position;
    w->have_event = true;
    json_decref(ans);
    int rc = -1;
    size_t i;
    json_t *note;
    json_array_foreach(notes, i, note)
    {
        if (rc == -1)
            rc = w_note(w, note);
    }
    json_decref(notes);
    return rc;
}

static void w_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL); /* a signal cuts it short, as it should */
}

/* Dials the server again until it answers or WATCH_RECONNECT_MS pass (or a
 * signal asks to stop): 0 with c open and authenticated, 1 stopped, or
 * CW_EXIT_ERROR (said). */
static int w_redial(watch *w, cw_rpc *c)
{
    char err[512] = "";
    for (long waited = 0; !watch_stop; waited += WATCH_RECONNECT_STEP_MS) {
        if (cw_rpc_open(c, w->ctx->server, 0, err, sizeof err) == 0)
            return cw_ctx_auth(w->ctx, c);
        if (waited >= WATCH_RECONNECT_MS)
            break;
        w_sleep_ms(WATCH_RECONNECT_STEP_MS);
    }
    if (watch_stop)
        return 1;
    fprintf(stderr, "crosswalk: %s\n", err);
    return CW_EXIT_ERROR;
}

/* Listens on c until a signal, a dropped subscription or a broken
 * connection that cannot be mended.  Returns the exit code; c is closed. */
static int w_listen(watch *w, cw_rpc *c)
{
    bool reconnected = false;
    int rc = -1;
    while (rc == -1 && !watch_stop) {
        json_t *note = NULL;
        char *msg = NULL;
        int r = cw_rpc_note_next(c, WATCH_POLL_MS, &note, &msg);
        if (r == CW_RPC_EAGAIN)
            continue;
        if (r == 0) {
            rc = w_note(w, note);
            json_decref(note);
            continue;
        }
        cw_rpc_close(c);
        if (reconnected) {
            fprintf(stderr, "crosswalk watch: %s; resume with --since %lld\n",
                    msg ? msg : "connection lost", (long long)w->last_event);
            free(msg);
            return CW_EXIT_ERROR;
        }
        /* once: a server restarted under us is worth one more try, a
         * connection that keeps breaking is not */
        reconnected = true;
        fprintf(stderr, "crosswalk watch: %s; reconnecting to resume after event %lld\n",
                msg ? msg : "connection lost", (long long)w->last_event);
        free(msg);
        int d = w_redial(w, c);
        if (d == 1)
            return 0;
        if (d) {
            fprintf(stderr, "crosswalk watch: resume with --since %lld\n",
                    (long long)w->last_event);
            return d;
        }
        rc = w_subscribe(w, c, true);
    }
    cw_rpc_close(c);
    return rc == -1 ? 0 : rc;
}

int cw_cmd_watch(const cw_ctx *ctx, int argc, char **argv)
{
    const char *org = NULL, *lag = NULL, *since = NULL;
    bool controls = false, json = false;
    const char *format = NULL;
    cw_strs fws = {0};
    const cw_opt opts[] = {{"--org", NULL, true, &org, NULL, NULL},
                           {"--framework", NULL, true, NULL, NULL, &fws},
                           {"--controls", NULL, false, NULL, &controls, NULL},
                           {"--lag", NULL, true, &lag, NULL, NULL},
                           {"--since", NULL, true, &since, NULL, NULL},
                           {"--json", NULL, false, NULL, &json, NULL},
                           {"--format", NULL, true, &format, NULL, NULL}};
    int rc =
        cw_opts_parse_only("watch", argc, argv, opts, sizeof opts / sizeof opts[0], cw_help_watch);
    if (rc == 0 && format)
        rc = cw_format_json("watch", format, &json);
    if (rc) {
        free(fws.v);
        return rc == 3 ? 0 : rc;
    }
    watch w = {ctx, json_pack("{s:s?}", "org", org), json, false, 0};
    long since_n = since ? cw_parse_count(since) : 0;
    if (!org)
        rc = cw_usage("watch", "--org is required");
    else if (since_n < 0)
        rc = cw_usage("watch", "--since: expected an event number, got '%s'", since);
    else if (lag)
        rc = cw_add_duration("watch", w.args, "as_of_lag", "--lag", lag);
    if (rc == 0 && fws.n) {
        json_t *a = json_array();
        for (size_t i = 0; i < fws.n; i++)
            json_array_append_new(a, json_string(fws.v[i]));
        json_object_set_new(w.args, "frameworks", a);
    }
    free(fws.v);
    if (controls)
        json_object_set_new(w.args, "controls", json_true());
    if (since) {
        w.have_event = true;
        w.last_event = since_n;
    }
    /* Caught before the subscription starts, so that a signal sent as
     * soon as it is announced cannot find the default action still in
     * place.  No SA_RESTART: a signal ends the wait for the next
     * notification (and a connect under way). */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = watch_on_signal;
    sigemptyset(&sa.sa_mask);
    if (rc == 0 && (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL))) {
        fprintf(stderr, "crosswalk watch: cannot catch signals: %s\n", strerror(errno));
        rc = CW_EXIT_ERROR;
    }
    cw_rpc c;
    if (rc == 0 && (rc = cw_ctx_connect(ctx, &c)) == 0) {
        rc = w_subscribe(&w, &c, false);
        if (rc == -1)
            rc = w_listen(&w, &c);
        else
            cw_rpc_close(&c);
    }
    json_decref(w.args);
    return rc;
}
