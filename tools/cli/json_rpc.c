/* The CLI's JSON face of the tools' msgpack-RPC client (tools/rpc/).
 *
 * Arguments and answers travel through the rest of the CLI as jansson
 * values, so this file converts JSON to msgpack (integers stay integers,
 * objects become maps with str keys) and msgpack to JSON (str and bin
 * become strings, timestamps become RFC 3339 strings), and waits for the
 * answer with a given msgid, skipping notifications (or keeping those
 * that come first, for a subscriber), or for the next notification.  The
 * client is
 * synchronous: one request at a time (or a few pipelined by `load`) is all
 * a command-line tool needs, and it keeps the error paths simple. */
#include "cli.h"

#include <errno.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include <crosswalk/protocol.h>
#include <crosswalk/time.h>

/* JSON → msgpack (cli.h).  Real numbers that hold an integral value stay
 * reals: the user wrote 1.0 and the server decides whether that is
 * acceptable. */
int cw_json_pack(msgpack_packer *pk, json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        if (msgpack_pack_map(pk, json_object_size(v)))
            return -1;
        const char *k;
        json_t *e;
        json_object_foreach(v, k, e)
        {
            size_t kl = strlen(k);
            if (msgpack_pack_str(pk, kl) || msgpack_pack_str_body(pk, k, kl) || cw_json_pack(pk, e))
                return -1;
        }
        return 0;
    }
    case JSON_ARRAY: {
        if (msgpack_pack_array(pk, json_array_size(v)))
            return -1;
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e)
        {
            if (cw_json_pack(pk, e))
                return -1;
        }
        return 0;
    }
    case JSON_STRING: {
        size_t n = json_string_length(v);
        return msgpack_pack_str(pk, n) || msgpack_pack_str_body(pk, json_string_value(v), n) ? -1
                                                                                             : 0;
    }
    case JSON_INTEGER: return msgpack_pack_int64(pk, (int64_t)json_integer_value(v));
    case JSON_REAL: return msgpack_pack_double(pk, json_real_value(v));
    case JSON_TRUE: return msgpack_pack_true(pk);
    case JSON_FALSE: return msgpack_pack_false(pk);
    case JSON_NULL: return msgpack_pack_nil(pk);
    }
    return -1;
}

/* A string from msgpack bytes; bytes that are not UTF-8 (bin payloads)
 * are shown as hex so the answer can still be printed as JSON. */
static json_t *cw_json_bytes(const char *p, size_t n)
{
    json_t *s = json_stringn(p, n);
    if (s)
        return s;
    char *hex = malloc(n * 2 + 1);
    if (!hex)
        return NULL;
    for (size_t i = 0; i < n; i++)
        snprintf(hex + 2 * i, 3, "%02x", (unsigned char)p[i]);
    s = json_string(hex);
    free(hex);
    return s;
}

/* msgpack → JSON; NULL when out of memory. */
static json_t *cw_to_json(const msgpack_object *o)
{
    switch (o->type) {
    case MSGPACK_OBJECT_NIL: return json_null();
    case MSGPACK_OBJECT_BOOLEAN: return json_boolean(o->via.boolean);
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        /* JSON integers are signed 64-bit in jansson. */
        if (o->via.u64 > (uint64_t)INT64_MAX)
            return json_real((double)o->via.u64);
        return json_integer((json_int_t)o->via.u64);
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: return json_integer((json_int_t)o->via.i64);
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64: return json_real(o->via.f64);
    case MSGPACK_OBJECT_STR: return cw_json_bytes(o->via.str.ptr, o->via.str.size);
    case MSGPACK_OBJECT_BIN: return cw_json_bytes(o->via.bin.ptr, o->via.bin.size);
    case MSGPACK_OBJECT_EXT: {
        msgpack_timestamp ts;
        if (o->via.ext.type == -1 && msgpack_object_to_timestamp(o, &ts)) {
            char buf[64];
            cw_time_format(ts.tv_sec, buf, sizeof buf);
            return json_string(buf);
        }
        return json_null();
    }
    case MSGPACK_OBJECT_ARRAY: {
        json_t *a = json_array();
        for (uint32_t i = 0; a && i < o->via.array.size; i++) {
            json_t *e = cw_to_json(&o->via.array.ptr[i]);
            if (!e || json_array_append_new(a, e)) {
                json_decref(a);
                return NULL;
            }
        }
        return a;
    }
    case MSGPACK_OBJECT_MAP: {
        json_t *m = json_object();
        for (uint32_t i = 0; m && i < o->via.map.size; i++) {
            const msgpack_object *k = &o->via.map.ptr[i].key;
            json_t *ks = NULL;
            if (k->type == MSGPACK_OBJECT_STR || k->type == MSGPACK_OBJECT_BIN)
                ks = cw_json_bytes(k->via.str.ptr, k->via.str.size);
            else {
                /* The protocol promises string keys; render others as text
                 * rather than dropping them. */
                char buf[64];
                if (k->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
                    snprintf(buf, sizeof buf, "%llu", (unsigned long long)k->via.u64);
                else if (k->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
                    snprintf(buf, sizeof buf, "%lld", (long long)k->via.i64);
                else
                    snprintf(buf, sizeof buf, "key%u", (unsigned)i);
                ks = json_string(buf);
            }
            json_t *v = cw_to_json(&o->via.map.ptr[i].val);
            if (!ks || !v || json_object_set_new(m, json_string_value(ks), v)) {
                json_decref(ks);
                json_decref(m);
                return NULL;
            }
            json_decref(ks);
        }
        return m;
    }
    }
    return json_null();
}

static char *cw_strdupf(const char *fmt, const char *a, const char *b)
{
    size_t n = strlen(fmt) + strlen(a) + (b ? strlen(b) : 0) + 1;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, fmt, a, b ? b : "");
    return s;
}

/* Turns the error element of a response into "name: message".  The server
 * sends [code, message]; other shapes are printed as JSON. */
static char *cw_error_text(const msgpack_object *e)
{
    char *s = cw_rpc_error_text(e);
    if (s)
        return s;
    json_t *j = cw_to_json(e);
    char *d = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(j);
    return d ? d : cw_strdupf("%s%s", "internal: unreadable error", NULL);
}

/* Sends one request whose params are either JSON (converted) or bytes
 * already packed as msgpack; *id receives its msgid. */
static int cw_rpc_send_any(cw_rpc *c, const char *method, json_t *params, const char *packed,
                           size_t packed_len, uint32_t *id_out, char **errmsg)
{
    *errmsg = NULL;
    *id_out = cw_rpc_begin_params(c, method, params || packed ? 1 : 0);
    if (params && cw_json_pack(&c->pk, params)) {
        *errmsg = cw_strdupf("%s%s", "out of memory encoding the request", NULL);
        return CW_RPC_ETRANSPORT;
    }
    return cw_rpc_send(c, packed, packed_len, errmsg);
}

/* A notification as JSON: {"method": ..., "params": ...}; NULL out of
 * memory. */
static json_t *cw_note_json(const cw_rpc_note *n)
{
    /* json_object_set_new takes the value even when it fails (a NULL one
     * included), so nothing leaks on the way out. */
    json_t *o = json_object();
    if (o && json_object_set_new(o, "method", json_stringn(n->method, n->method_len)) == 0 &&
        json_object_set_new(o, "params", n->params ? cw_to_json(n->params) : json_null()) == 0)
        return o;
    json_decref(o);
    return NULL;
}

/* Waits for the answer to request id (answers to other ids are skipped:
 * callers wait in the order they sent); notifications that come first
 * are appended to notes as cw_note_json objects, or skipped when notes is
 * NULL. */
static int cw_rpc_wait_keep(cw_rpc *c, uint32_t id, json_t *notes, json_t **result, char **errmsg)
{
    *result = NULL;
    *errmsg = NULL;
    for (;;) {
        msgpack_unpacked msg;
        int rc = cw_rpc_next(c, &msg, errmsg);
        if (rc) {
            msgpack_unpacked_destroy(&msg);
            return rc;
        }
        const msgpack_object *o = &msg.data;
        cw_rpc_note note;
        if (notes && cw_rpc_note_of(o, &note)) {
            json_t *j = cw_note_json(&note);
            msgpack_unpacked_destroy(&msg);
            if (!j || json_array_append_new(notes, j)) {
                *errmsg = cw_strdupf("%s%s", "out of memory decoding a notification", NULL);
                return CW_RPC_ETRANSPORT;
            }
            continue;
        }
        /* Only responses matter here; notifications and anything else
         * are skipped, as the protocol allows the server to send them. */
        if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 4 ||
            o->via.array.ptr[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
            o->via.array.ptr[0].via.u64 != CW_MSG_RESPONSE) {
            msgpack_unpacked_destroy(&msg);
            continue;
        }
        const msgpack_object *mid = &o->via.array.ptr[1];
        const msgpack_object *err = &o->via.array.ptr[2];
        if (mid->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
            (mid->via.u64 != id && mid->via.u64 != 0)) {
            msgpack_unpacked_destroy(&msg);
            continue;
        }
        int ret = 0;
        if (err->type != MSGPACK_OBJECT_NIL) {
            /* msgid 0 carries a connection-level error (parse_error,
             * too_large) for whatever request caused it. */
            *errmsg = cw_error_text(err);
            ret = CW_RPC_ESERVER;
        } else if (mid->via.u64 != id) {
            msgpack_unpacked_destroy(&msg);
            continue;
        } else {
            *result = cw_to_json(&o->via.array.ptr[3]);
            if (!*result) {
                *errmsg = cw_strdupf("%s%s", "out of memory decoding the answer", NULL);
                ret = CW_RPC_ETRANSPORT;
            }
        }
        msgpack_unpacked_destroy(&msg);
        return ret;
    }
}

int cw_rpc_wait(cw_rpc *c, uint32_t id, json_t **result, char **errmsg)
{
    return cw_rpc_wait_keep(c, id, NULL, result, errmsg);
}

int cw_rpc_call(cw_rpc *c, const char *method, json_t *params, json_t **result, char **errmsg)
{
    return cw_rpc_call_keep(c, method, params, NULL, result, errmsg);
}

int cw_rpc_call_keep(cw_rpc *c, const char *method, json_t *params, json_t *notes, json_t **result,
                     char **errmsg)
{
    uint32_t id;
    *result = NULL;
    int rc = cw_rpc_send_any(c, method, params, NULL, 0, &id, errmsg);
    return rc ? rc : cw_rpc_wait_keep(c, id, notes, result, errmsg);
}

int cw_rpc_note_next(cw_rpc *c, int timeout_ms, json_t **note, char **errmsg)
{
    *note = NULL;
    msgpack_unpacked msg;
    cw_rpc_note n;
    int rc = cw_rpc_next_note(c, &msg, &n, timeout_ms, errmsg);
    if (rc == 0 && !(*note = cw_note_json(&n))) {
        *errmsg = cw_strdupf("%s%s", "out of memory decoding a notification", NULL);
        rc = CW_RPC_ETRANSPORT;
    }
    msgpack_unpacked_destroy(&msg);
    return rc;
}

int cw_rpc_send_packed(cw_rpc *c, const char *method, const char *params, size_t len, uint32_t *id,
                       char **errmsg)
{
    return cw_rpc_send_any(c, method, NULL, params, len, id, errmsg);
}
