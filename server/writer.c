/* The writer thread: every write request from every connection is queued
 * here, and whatever has queued up while the previous commit ran is handed
 * to the engine as ONE write group (group commit: one transaction, each
 * request in its own nested transaction so that a failing one leaves the
 * rest of the group intact, cw_write_group).  Answers are released to the
 * loop thread only after the commit is durable.  Recovering from a full
 * map (grow and replay) is the engine's: this file only queues, counts and
 * delivers. */
#include "pack.h"
#include "server.h"
#include "watch.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define MAX_GROUP 1024

void cw_job_free(cw_job *j)
{
    msgpack_unpacked_destroy(&j->msg);
    msgpack_sbuffer_destroy(&j->reply);
    free(j->raw);
    free(j);
}

void cw_writer_submit(cw_server *s, cw_job *j)
{
    pthread_mutex_lock(&s->wlock);
    j->next = NULL;
    if (s->wq_tail)
        s->wq_tail->next = j;
    else
        s->wq_head = j;
    s->wq_tail = j;
    s->wq_len++;
    pthread_cond_signal(&s->wcond);
    pthread_mutex_unlock(&s->wlock);
}

/* code: a CW_E* code */
static void reply_error(cw_job *j, int code, const char *msg)
{
    j->failed = true;
    j->code = code;
    msgpack_sbuffer_clear(&j->reply);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &j->reply, msgpack_sbuffer_write);
    cw_pack_error(&pk, j->msgid, cw_proto_code(code), msg, j->nvim_errors);
}

struct job_call {
    cw_job *j;
    cw_arena *a;
    msgpack_packer *pk;
};

/* The handler of a queued request against w (a job_call). */
static int job_run(cw_wtxn *w, void *ctx, cw_err *err)
{
    struct job_call *jc = ctx;
    /* writes see no session and send nothing by reference */
    cw_server *s = jc->j->conn->srv;
    cw_call k = {s, s->db, w, jc->a, NULL, NULL, NULL};
    return jc->j->m->run(&k, jc->j->args, jc->pk, err);
}

/* One queued request as a write of the group: its handler runs against w,
 * logged (one change log entry when it changes something), and packs its
 * answer, or its error, into j->reply.  The engine runs it again when it
 * replays the group, so the answer starts afresh each time.  The
 * handler's message goes to a cw_err of its own (the engine's is not
 * used). */
static int job_write(cw_wtxn *w, void *ctx, cw_err *unused)
{
    (void)unused;
    cw_job *j = ctx;
    msgpack_sbuffer_clear(&j->reply);
    j->failed = false;
    memset(&j->change, 0, sizeof j->change);
    cw_arena *a = cw_arena_new();
    if (!a) {
        reply_error(j, CW_ENOMEM, "out of memory");
        return CW_ENOMEM;
    }
    msgpack_packer pk;
    msgpack_packer_init(&pk, &j->reply, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 4);
    msgpack_pack_int(&pk, CW_MSG_RESPONSE);
    msgpack_pack_uint64(&pk, j->msgid);
    msgpack_pack_nil(&pk);
    cw_err err = {0};
    struct job_call jc = {j, a, &pk};
    cw_change_who who = {j->actor, j->role, j->m->name};
    int rc = cw_logged_write(w, &who, job_run, &jc, &j->change, &err);
    cw_arena_free(a);
    if (rc && rc != CW_EMAPFULL)
        reply_error(j, rc, err.msg);
    return rc;
}

static void run_group(cw_server *s, cw_job *head, size_t n)
{
    cw_write_op ops[MAX_GROUP];
    size_t i = 0;
    for (cw_job *j = head; j; j = j->next)
        ops[i++] = (cw_write_op){job_write, j, NULL, 0};
    cw_write_report rep;
    cw_err err = {0};
    int rc = cw_write_group(s->db, ops, n, &rep, &err);
    if (rep.grown)
        cw_log(s, LOG_INFO, "storage map grown %u times; %zu writes replayed", rep.grown, n);
    if (rep.resized || rep.readers_cleared)
        cw_log(s, LOG_INFO,
               "storage: map size adopted from another process %u times, %u "
               "reader slots of dead processes freed",
               rep.resized, rep.readers_cleared);
    if (rc == 0) {
        atomic_fetch_add(&s->commits, 1);
        atomic_fetch_add(&s->grouped_writes, n);
        return;
    }
    /* Nothing of the group was committed: every request in it is answered
     * with the group's error (storage_full at the cap) and may be retried
     * later. */
    for (cw_job *j = head; j; j = j->next)
        reply_error(j, rc, err.msg);
    cw_log(s, LOG_ERROR, "%zu writes not stored: %s: %s", n, cw_proto_name(cw_proto_code(rc)),
           err.msg);
}

static void *writer_main(void *arg)
{
    cw_server *s = arg;
    pthread_mutex_lock(&s->wlock);
    for (;;) {
        while (!s->wq_head && !s->writer_stop)
            pthread_cond_wait(&s->wcond, &s->wlock);
        if (!s->wq_head && s->writer_stop)
            break;
        cw_job *head = s->wq_head, *tail = head;
        size_t n = 1;
        while (tail->next && n < MAX_GROUP) {
            tail = tail->next;
            n++;
        }
        s->wq_head = tail->next;
        if (!s->wq_head)
            s->wq_tail = NULL;
        s->wq_len -= n;
        s->writer_busy = true;
        tail->next = NULL;
        pthread_mutex_unlock(&s->wlock);

        run_group(s, head, n);

        pthread_mutex_lock(&s->wlock);
        if (s->done_tail)
            s->done_tail->next = head;
        else
            s->done_head = head;
        s->done_tail = tail;
        s->writer_busy = false;
        pthread_mutex_unlock(&s->wlock);
        uv_async_send(&s->done_async);
        pthread_mutex_lock(&s->wlock);
    }
    pthread_mutex_unlock(&s->wlock);
    return NULL;
}

static void on_done(uv_async_t *h)
{
    cw_server *s = h->data;
    pthread_mutex_lock(&s->wlock);
    cw_job *j = s->done_head;
    s->done_head = s->done_tail = NULL;
    pthread_mutex_unlock(&s->wlock);
    while (j) {
        cw_job *next = j->next;
        if (j->failed)
            s->mstats[j->method_index].errors++;
        else
            cw_watch_committed(s, &j->change, j->m->name, j->actor);
        s->deliver(s, j);
        j = next;
    }
    /* after the answers: a subscriber that wrote reads its answer first */
    cw_watch_flush(s);
}

int cw_writer_start(cw_server *s)
{
    pthread_mutex_init(&s->wlock, NULL);
    pthread_cond_init(&s->wcond, NULL);
    int rc = uv_async_init(s->loop, &s->done_async, on_done);
    if (rc)
        return rc;
    s->done_async.data = s;
    return pthread_create(&s->writer, NULL, writer_main, s);
}

void cw_writer_stop(cw_server *s)
{
    pthread_mutex_lock(&s->wlock);
    s->writer_stop = true;
    pthread_cond_signal(&s->wcond);
    pthread_mutex_unlock(&s->wlock);
    pthread_join(s->writer, NULL);
    /* Deliver what the last group produced. */
    on_done(&s->done_async);
}
