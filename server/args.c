/* Reading named arguments out of a request's msgpack map, with one message
 * per mistake naming the field ("framework: expected a string"), times in
 * any of the three accepted forms, and the small packing helpers every
 * handler uses so that answer maps always have string keys. */
#include "server.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

const msgpack_object *arg_get(const msgpack_object *map, const char *key)
{
    if (!map || map->type != MSGPACK_OBJECT_MAP)
        return NULL;
    size_t kl = strlen(key);
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object *k = &map->via.map.ptr[i].key;
        if ((k->type == MSGPACK_OBJECT_STR && k->via.str.size == kl &&
             memcmp(k->via.str.ptr, key, kl) == 0) ||
            (k->type == MSGPACK_OBJECT_BIN && k->via.bin.size == kl &&
             memcmp(k->via.bin.ptr, key, kl) == 0))
            return &map->via.map.ptr[i].val;
    }
    return NULL;
}

static const char *type_name(const msgpack_object *o)
{
    switch (o->type) {
    case MSGPACK_OBJECT_NIL: return "nil";
    case MSGPACK_OBJECT_BOOLEAN: return "a boolean";
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: return "an integer";
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64: return "a float";
    case MSGPACK_OBJECT_STR: return "a string";
    case MSGPACK_OBJECT_BIN: return "binary";
    case MSGPACK_OBJECT_ARRAY: return "an array";
    case MSGPACK_OBJECT_MAP: return "a map";
    default: return "an extension";
    }
}

int obj_to_str(const msgpack_object *o, const char *field, cw_arena *a, const char **out,
               cw_err *err)
{
    if (o->type != MSGPACK_OBJECT_STR)
        return cw_err_set(err, CW_EINVAL, "%s: expected a string, got %s", field, type_name(o));
    if (memchr(o->via.str.ptr, '\0', o->via.str.size))
        return cw_err_set(err, CW_EINVAL, "%s: contains a NUL byte", field);
    *out = cw_arena_strndup(a, o->via.str.ptr, o->via.str.size);
    if (!*out)
        return cw_err_set(err, CW_ENOMEM, "%s: out of memory", field);
    return 0;
}

int arg_str(const msgpack_object *map, const char *key, bool required, cw_arena *a,
            const char **out, cw_err *err)
{
    const msgpack_object *o = arg_get(map, key);
    if (!o || o->type == MSGPACK_OBJECT_NIL) {
        *out = NULL;
        return required ? cw_err_set(err, CW_EINVAL, "%s: missing", key) : 0;
    }
    return obj_to_str(o, key, a, out, err);
}

int arg_int(const msgpack_object *map, const char *key, bool required, int64_t lo, int64_t hi,
            int64_t *out, cw_err *err)
{
    const msgpack_object *o = arg_get(map, key);
    if (!o || o->type == MSGPACK_OBJECT_NIL)
        return required ? cw_err_set(err, CW_EINVAL, "%s: missing", key) : 0;
    int64_t v;
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
        if (o->via.u64 > (uint64_t)INT64_MAX)
            return cw_err_set(err, CW_ERANGE, "%s: %llu is outside %lld..%lld", key,
                              (unsigned long long)o->via.u64, (long long)lo, (long long)hi);
        v = (int64_t)o->via.u64;
    } else if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
        v = o->via.i64;
    } else {
        return cw_err_set(err, CW_EINVAL, "%s: expected an integer, got %s", key, type_name(o));
    }
    if (v < lo || v > hi)
        return cw_err_set(err, CW_ERANGE, "%s: %lld is outside %lld..%lld", key, (long long)v,
                          (long long)lo, (long long)hi);
    *out = v;
    return 0;
}

int arg_bool(const msgpack_object *map, const char *key, bool *out, cw_err *err)
{
    const msgpack_object *o = arg_get(map, key);
    if (!o || o->type == MSGPACK_OBJECT_NIL)
        return 0;
    if (o->type != MSGPACK_OBJECT_BOOLEAN)
        return cw_err_set(err, CW_EINVAL, "%s: expected a boolean, got %s", key, type_name(o));
    *out = o->via.boolean;
    return 0;
}

int obj_to_time(const msgpack_object *o, const char *field, cw_time *out, cw_err *err)
{
    switch (o->type) {
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        if (o->via.u64 > (uint64_t)INT64_MAX / 2)
            return cw_err_set(err, CW_ERANGE, "%s: time out of range", field);
        *out = (cw_time)o->via.u64;
        return 0;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: *out = o->via.i64; return 0;
    case MSGPACK_OBJECT_STR:
        if (cw_time_parse(o->via.str.ptr, o->via.str.size, out))
            return cw_err_set(err, CW_EINVAL,
                              "%s: expected an RFC 3339 time like 2026-01-31T12:00:00Z", field);
        return 0;
    case MSGPACK_OBJECT_EXT:
        if (o->via.ext.type == -1) {
            const unsigned char *p = (const unsigned char *)o->via.ext.ptr;
            uint32_t n = o->via.ext.size;
            uint64_t v = 0;
            for (uint32_t i = 0; i < n && i < 12; i++)
                v = i < 8 ? (v << 8 | p[i]) : v;
            if (n == 4) {
                *out = (cw_time)(uint32_t)v;
                return 0;
            }
            if (n == 8) {
                *out = (cw_time)(v & 0x3ffffffffULL);
                return 0;
            }
            if (n == 12) {
                int64_t sec = 0;
                for (int i = 4; i < 12; i++)
                    sec = (int64_t)((uint64_t)sec << 8 | p[i]);
                *out = sec;
                return 0;
            }
        }
        return cw_err_set(err, CW_EINVAL, "%s: extension type is not a msgpack timestamp", field);
    default:
        return cw_err_set(err, CW_EINVAL,
                          "%s: expected a time (integer seconds, RFC 3339 string or msgpack "
                          "timestamp), got %s",
                          field, type_name(o));
    }
}

int arg_time(const msgpack_object *map, const char *key, bool required, cw_time *out,
             cw_err *err)
{
    const msgpack_object *o = arg_get(map, key);
    if (!o || o->type == MSGPACK_OBJECT_NIL)
        return required ? cw_err_set(err, CW_EINVAL, "%s: missing", key) : 0;
    return obj_to_time(o, key, out, err);
}

int arg_array(const msgpack_object *map, const char *key, bool required,
              const msgpack_object_array **out, cw_err *err)
{
    const msgpack_object *o = arg_get(map, key);
    *out = NULL;
    if (!o || o->type == MSGPACK_OBJECT_NIL)
        return required ? cw_err_set(err, CW_EINVAL, "%s: missing", key) : 0;
    if (o->type != MSGPACK_OBJECT_ARRAY)
        return cw_err_set(err, CW_EINVAL, "%s: expected an array, got %s", key, type_name(o));
    *out = &o->via.array;
    return 0;
}

int arg_check_keys(const msgpack_object *map, const char *allowed, cw_err *err)
{
    if (!map)
        return 0;
    const char *next = NULL; /* the word after the last match */
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object *k = &map->via.map.ptr[i].key;
        const char *p;
        size_t n;
        if (k->type == MSGPACK_OBJECT_STR) {
            p = k->via.str.ptr;
            n = k->via.str.size;
        } else if (k->type == MSGPACK_OBJECT_BIN) {
            p = k->via.bin.ptr;
            n = k->via.bin.size;
        } else {
            return cw_err_set(err, CW_EINVAL, "params: argument names must be strings, got %s",
                              type_name(k));
        }
        /* Runs for every key of every bulk item. Clients send an item's
         * keys in one order, mostly the documented one, so the search
         * starts after the word the previous key matched and wraps round:
         * usually the first word it looks at is the one. */
        bool ok = false;
        const char *start = next && *next ? next : allowed;
        for (const char *a = start; a && n && !ok;) {
            const char *e = a;
            while (*e && *e != ' ')
                e++;
            if ((size_t)(e - a) == n && a[0] == p[0] && memcmp(a, p, n) == 0) {
                ok = true;
                next = *e ? e + 1 : e;
                break;
            }
            a = *e ? e + 1 : allowed; /* past the last word: from the first */
            if (a == start)
                break;
        }
        if (!ok)
            return cw_err_set(err, CW_EINVAL, "%.*s: unknown argument (accepted: %s)",
                              (int)(n > 60 ? 60 : n), p, allowed && *allowed ? allowed : "none");
    }
    return 0;
}

/* ---- packing ---- */

void pk_str(msgpack_packer *pk, const char *s)
{
    if (!s) {
        msgpack_pack_nil(pk);
        return;
    }
    size_t n = strlen(s);
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s, n);
}

void pk_key(msgpack_packer *pk, const char *k)
{
    pk_str(pk, k);
}

void pk_kv_str(msgpack_packer *pk, const char *k, const char *v)
{
    pk_key(pk, k);
    pk_str(pk, v);
}

void pk_kv_int(msgpack_packer *pk, const char *k, int64_t v)
{
    pk_key(pk, k);
    msgpack_pack_int64(pk, v);
}

void pk_kv_bool(msgpack_packer *pk, const char *k, bool v)
{
    pk_key(pk, k);
    if (v)
        msgpack_pack_true(pk);
    else
        msgpack_pack_false(pk);
}

void pk_kv_double(msgpack_packer *pk, const char *k, double v)
{
    pk_key(pk, k);
    msgpack_pack_double(pk, v);
}

void pk_time(msgpack_packer *pk, cw_time t)
{
    char buf[40];
    cw_time_format(t, buf, sizeof buf);
    pk_str(pk, buf);
}

void pk_kv_time(msgpack_packer *pk, const char *k, cw_time t)
{
    pk_key(pk, k);
    pk_time(pk, t);
}

void cw_pack_error(msgpack_packer *pk, uint64_t msgid, int proto_code, const char *msg)
{
    char buf[CW_ERR_MSG_MAX + 48];
    snprintf(buf, sizeof buf, "%s: %s", cw_proto_name(proto_code), msg);
    msgpack_pack_array(pk, 4);
    msgpack_pack_int(pk, CW_MSG_RESPONSE);
    msgpack_pack_uint64(pk, msgid);
    msgpack_pack_array(pk, 2);
    msgpack_pack_int(pk, proto_code);
    pk_str(pk, buf);
    msgpack_pack_nil(pk);
}
