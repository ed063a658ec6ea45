/* One request from its envelope to its answer: the msgpack-RPC envelope is
 * checked, the method looked up in the table, its argument names checked
 * against the schema, the caller's permissions against the method's flags;
 * then a read is answered here, on the loop thread, and a write becomes a
 * job for the writer thread.  Every refusal is a CW_E* code with a message
 * naming what was wrong, and cw_answer_error is the one place a code turns
 * into an answer. */
#include "pack.h"
#include "server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_AUTH_FAILURES 3

void cw_answer_error(cw_conn *c, uint64_t msgid, int code, const char *msg)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, &c->out.buf, msgpack_sbuffer_write);
    cw_pack_error(&pk, msgid, cw_proto_code(code), msg, c->who.nvim_errors);
}

/* The end of one request on c: its latency (timed: it reached its
 * handler) and its access or slow-request line, which names the
 * organisation the call is about, from its org argument when that is a
 * plausible name or else from the token, and never any other argument. */
static void request_done(cw_server *s, const cw_conn *c, const cw_method *m,
                         const msgpack_object *args, int code, size_t in, size_t out,
                         uint64_t start, bool timed)
{
    cw_request_rec r = {.conn = c->id,
                        .peer = c->peer,
                        .role = cw_role_name(c->who.role),
                        .method = m ? m->name : NULL,
                        .method_index = m ? (long)(m - cw_method_at(0)) : -1,
                        .code = code,
                        .bytes_in = in,
                        .bytes_out = out,
                        .start_ns = start,
                        .timed = timed};
    if (s->cfg.access_log || s->cfg.slow_log) {
        const msgpack_object *org = args ? cw_arg_get(args, "org") : NULL;
        if (org && org->type == MSGPACK_OBJECT_STR && org->via.str.size > 0 &&
            org->via.str.size <= CW_MAX_SLUG) {
            r.org = org->via.str.ptr;
            r.org_len = org->via.str.size;
        } else if (c->who.org[0]) {
            r.org = c->who.org;
            r.org_len = strlen(c->who.org);
        }
    }
    cw_request_done(s, &r);
}

void cw_job_done(cw_server *s, const cw_job *j)
{
    request_done(s, j->conn, j->m, j->args, j->failed ? j->code : 0, j->raw_len, j->reply.size,
                 j->start_ns, true);
}

void cw_refuse_message(cw_server *s, cw_conn *c, int code, const char *why, size_t bytes_in)
{
    size_t before = cw_out_pending(&c->out);
    s->protocol_errors++;
    cw_answer_error(c, 0, code, why);
    request_done(s, c, NULL, NULL, code, bytes_in, cw_out_pending(&c->out) - before, cw_now_ns(),
                 false);
}

/* The envelope [0, msgid, method, params]: fills *msgid (0 when it cannot
 * be read), *m and *args, or returns the refusal.  *skip is set for client
 * responses and notifications, which need no answer. */
static int envelope(cw_server *s, const msgpack_object *o, msgpack_zone *z, uint64_t *msgid,
                    const cw_method **m, const msgpack_object **args, bool *skip, cw_err *err)
{
    *skip = false;
    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size < 3)
        return cw_err_set(err, CW_EREQUEST, "expected [0, msgid, method, params]");
    const msgpack_object *e = o->via.array.ptr;
    if (e[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return cw_err_set(err, CW_EREQUEST, "message type must be 0 (request), 1 or 2");
    if (e[0].via.u64 == CW_MSG_RESPONSE || e[0].via.u64 == CW_MSG_NOTIFY) {
        /* e.g. a client announcing itself */
        *skip = true;
        return 0;
    }
    if (e[1].type == MSGPACK_OBJECT_POSITIVE_INTEGER && e[1].via.u64 <= UINT32_MAX)
        *msgid = e[1].via.u64;
    if (e[0].via.u64 != CW_MSG_REQUEST || o->via.array.size != 4)
        return cw_err_set(err, CW_EREQUEST, "a request is [0, msgid, method, params]");
    if (e[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER || e[1].via.u64 > UINT32_MAX)
        return cw_err_set(err, CW_EREQUEST, "msgid: expected an unsigned 32-bit integer");
    const char *name;
    size_t nlen;
    if (e[2].type == MSGPACK_OBJECT_STR) {
        name = e[2].via.str.ptr;
        nlen = e[2].via.str.size;
    } else if (e[2].type == MSGPACK_OBJECT_BIN) {
        name = e[2].via.bin.ptr;
        nlen = e[2].via.bin.size;
    } else {
        return cw_err_set(err, CW_EREQUEST, "method: expected a string");
    }
    *m = cw_method_find(name, nlen);
    if (!*m) {
        s->unknown_methods++;
        /* Echo the name back printable, whatever bytes it held. */
        char shown[65];
        size_t sl = nlen > 64 ? 64 : nlen;
        for (size_t i = 0; i < sl; i++)
            shown[i] = name[i] >= 0x20 && name[i] < 0x7f ? name[i] : '?';
        shown[sl] = '\0';
        return cw_err_set(err, CW_ENOMETHOD,
                          "'%s' is not a method (server.info lists the protocol)", shown);
    }
    return cw_params_args(*m, &e[3], z, args, err);
}

/* Permissions (PROTOCOL.md, "Authentication and roles"). */
static int permitted(const cw_server *s, const cw_session *who, const cw_method *m,
                     const msgpack_object *args, cw_err *err)
{
    if (!s->auth_required || (m->flags & M_OPEN))
        return 0;
    if (who->role == ROLE_NONE)
        return cw_err_set(err, CW_EUNAUTH, "call auth with a token first");
    if ((m->flags & M_ADMIN) && who->role != ROLE_ADMIN)
        return cw_err_set(err, CW_EFORBIDDEN, "%s needs the admin role", m->name);
    if ((m->flags & M_EDITOR) && who->role == ROLE_AUDITOR)
        return cw_err_set(err, CW_EFORBIDDEN,
                          "%s needs the editor role; this token is an auditor's", m->name);
    if ((m->flags & M_ORG) && who->role != ROLE_ADMIN) {
        const msgpack_object *org = cw_arg_get(args, "org");
        if (org && org->type == MSGPACK_OBJECT_STR &&
            (org->via.str.size != strlen(who->org) ||
             memcmp(org->via.str.ptr, who->org, org->via.str.size) != 0))
            return cw_err_set(err, CW_EFORBIDDEN, "org: this token may only use organisation '%s'",
                              who->org);
    }
    return 0;
}

/* The writer's queue budget: a connection may have a quarter of
 * --max-write-queue in flight, all connections together all of it; a
 * write that would pass either waits (its connection stops reading) until
 * jobs are delivered.  One job always fits an empty queue, or a message
 * the limits admit could never run. */
static bool writer_full(const cw_server *s, const cw_conn *c)
{
    size_t cost = c->msg_cost, all = s->cfg.max_write_queue;
    return (c->job_bytes && c->job_bytes + cost > all / 4) ||
           (s->job_bytes && s->job_bytes + cost > all);
}

/* A write becomes a job.  msgpack-c's strings point into the bytes they
 * were decoded from, and the connection's input buffer is reused as soon
 * as dispatch returns: the job decodes its own copy, unless the caller
 * already decoded this message from a copy of its own (large messages),
 * which the job then adopts with its objects. */
static int submit_write(cw_server *s, cw_conn *c, const cw_method *m, uint64_t msgid,
                        msgpack_unpacked *u, const char *raw, size_t raw_len, char **own_raw,
                        uint64_t start, cw_err *err)
{
    if (s->stopping)
        return cw_err_set(err, CW_EOVERLOAD, "the server is shutting down");
    cw_job *j = calloc(1, sizeof *j);
    if (j && own_raw && *own_raw) {
        j->raw = *own_raw;
        *own_raw = NULL;
        j->msg = *u;
        u->zone = NULL;
    } else {
        char *copy = j ? malloc(raw_len) : NULL;
        if (!copy) {
            free(j);
            return cw_err_set(err, CW_ENOMEM, "out of memory");
        }
        memcpy(copy, raw, raw_len);
        j->raw = copy;
        msgpack_unpacked_init(&j->msg);
        size_t joff = 0;
        if (msgpack_unpack_next(&j->msg, copy, raw_len, &joff) != MSGPACK_UNPACK_SUCCESS) {
            msgpack_unpacked_destroy(&j->msg);
            free(copy);
            free(j);
            return cw_err_set(err, CW_ENOMEM, "could not re-read the request");
        }
    }
    msgpack_unpacked_destroy(u);
    /* The same params as the envelope read, now in the job's own objects. */
    if (cw_params_args(m, &j->msg.data.via.array.ptr[3], j->msg.zone, &j->args, err)) {
        cw_job_free(j);
        return err->code;
    }
    j->conn = c;
    j->msgid = msgid;
    j->m = m;
    j->method_index = (size_t)(m - cw_method_at(0));
    j->nvim_errors = c->who.nvim_errors;
    snprintf(j->actor, sizeof j->actor, "%s", c->who.actor);
    j->role = cw_role_name(c->who.role);
    j->start_ns = start;
    j->raw_len = raw_len;
    j->cost = c->msg_cost;
    c->job_bytes += j->cost;
    s->job_bytes += j->cost;
    msgpack_sbuffer_init(&j->reply);
    c->refs++;
    c->pending_writes++;
    cw_writer_submit(s, j);
    return 0;
}

/* A read (or, without a writer thread, a write) answered now.  The answer
 * is packed straight into the connection's output (large answers would
 * otherwise be grown and copied twice); an error rolls the output back to
 * where this answer began.  Returns the code it was answered with. */
static int answer_now(cw_server *s, cw_conn *c, const cw_method *m, uint64_t msgid,
                      const msgpack_object *args)
{
    cw_arena *a = s->req_arena;
    size_t mark = c->out.buf.size;
    msgpack_packer pk;
    msgpack_packer_init(&pk, &c->out.buf, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 4);
    msgpack_pack_int(&pk, CW_MSG_RESPONSE);
    msgpack_pack_uint64(&pk, msgid);
    msgpack_pack_nil(&pk);
    cw_err err = {0};
    cw_call k = {s, s->db, NULL, a, &c->who, &c->out, c};
    size_t before = cw_out_pending(&c->out), segs = c->out.nsegs;
    int rc = a ? m->run(&k, args, &pk, &err) : cw_err_set(&err, CW_ENOMEM, "out of memory");
    /* An answer the connection could never hold is refused, not cut off
     * mid-way: the client learns its size and asks for less.  (A shared
     * body is sent by reference and cannot be taken back; those are
     * coverage answers far below any output limit.) */
    size_t len = cw_out_pending(&c->out) - before;
    if (rc == 0 && len > s->cfg.max_output && c->out.nsegs == segs)
        rc = cw_err_set(&err, CW_ETOOBIG,
                        "the answer is %zu bytes, more than the %zu-byte output limit "
                        "(--max-output); ask for a page at a time (limit, cursor) or less",
                        len, s->cfg.max_output);
    if (rc != 0) {
        c->out.buf.size = mark;
        s->mstats[m - cw_method_at(0)].errors++;
        cw_answer_error(c, msgid, rc, err.msg);
        if (rc == CW_EAUTH && c->who.auth_failures >= MAX_AUTH_FAILURES) {
            cw_log(s, LOG_DEBUG, "conn=%llu peer=%s: %u failed auth attempts, closing",
                   (unsigned long long)c->id, c->peer, c->who.auth_failures);
            c->close_after_flush = true;
        }
    }
    if (a)
        cw_arena_reset(a); /* keeps its first block for the next request */
    return rc;
}

int cw_dispatch(cw_server *s, cw_conn *c, msgpack_unpacked *u, const char *raw, size_t raw_len,
                char **own_raw)
{
    uint64_t start = cw_now_ns();
    uint64_t msgid = 0;
    const cw_method *m = NULL;
    const msgpack_object *args = NULL;
    bool skip;
    cw_err err = {0};
    int rc = envelope(s, &u->data, u->zone ? u->zone : &s->zone, &msgid, &m, &args, &skip, &err);
    if (skip) {
        msgpack_unpacked_destroy(u);
        return DISPATCH_DONE;
    }
    if (m) {
        /* Reads behind this connection's pending writes wait for them, so
         * a client always reads its own acknowledged writes. */
        if (c->pending_writes && !(m->flags & M_WRITE))
            return DISPATCH_BLOCKED;
        if ((m->flags & M_WRITE) && !s->inline_writes && writer_full(s, c))
            return DISPATCH_WAIT;
        s->mstats[m - cw_method_at(0)].requests++;
    }
    size_t out0 = cw_out_pending(&c->out);
    if (rc == 0)
        rc = cw_check_keys(args, m->keys + (*m->keys == ' '), &err);
    if (rc == 0)
        rc = permitted(s, &c->who, m, args, &err);
    if (rc == 0 && (m->flags & M_WRITE) && !s->inline_writes) {
        rc = submit_write(s, c, m, msgid, u, raw, raw_len, own_raw, start, &err);
        if (rc == 0)
            return DISPATCH_DONE;
    }
    if (rc == 0) {
        rc = answer_now(s, c, m, msgid, args);
        request_done(s, c, m, args, rc, raw_len, cw_out_pending(&c->out) - out0, start, true);
        msgpack_unpacked_destroy(u);
        return DISPATCH_DONE;
    }
    if (m)
        s->mstats[m - cw_method_at(0)].errors++;
    else
        s->protocol_errors++;
    cw_answer_error(c, msgid, rc, err.msg);
    request_done(s, c, m, args, rc, raw_len, cw_out_pending(&c->out) - out0, start, false);
    msgpack_unpacked_destroy(u);
    return DISPATCH_DONE;
}
