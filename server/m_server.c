/* The server's own methods: ping, auth (which changes the caller's
 * session), what the server is (server.info), what it speaks
 * (server.schema, straight from methods.def), what it has done
 * (server.stats), and the store's administration (store.check,
 * store.set_map_max). */
#include "pack.h"
#include "crosswalk/history.h"
#include "server.h"
#include "watch.h"

#include <stdio.h>
#include <string.h>

int cw_h_ping(cw_call *k, const cw_args_ping *args, msgpack_packer *pk, cw_err *err)
{
    (void)k, (void)args, (void)err;
    pk_str(pk, "pong");
    return 0;
}

/* What the caller may see: before auth (with --auth) only what a client
 * needs to authenticate; the organisations' counts and the storage's use
 * (which moves with every tenant's writes) only to an admin or, without
 * --auth, to anyone on the trusted socket. */
int cw_h_server_info(cw_call *k, const cw_args_server_info *args, msgpack_packer *pk, cw_err *err)
{
    (void)args;
    cw_server *s = k->s;
    const cw_config *cfg = &s->cfg;
    if (k->who->role == ROLE_NONE) {
        msgpack_pack_map(pk, 4);
        pk_kv_str(pk, "version", CW_VERSION);
        pk_kv_int(pk, "schema_version", CW_SCHEMA_VERSION);
        pk_kv_bool(pk, "auth_required", s->auth_required);
        pk_key(pk, "limits");
        msgpack_pack_map(pk, 2);
        pk_kv_int(pk, "max_message",
                  cfg->max_message < CW_PREAUTH_MAX_MESSAGE ? (int64_t)cfg->max_message
                                                            : CW_PREAUTH_MAX_MESSAGE);
        pk_kv_int(pk, "auth_timeout_s", cfg->auth_timeout);
        return 0;
    }
    bool all = k->who->role == ROLE_ADMIN;
    cw_db_counts n;
    int rc = cw_db_counts_get(k->db, &n, err);
    if (rc)
        return rc;
    msgpack_pack_map(pk, all ? 8 : 7);
    pk_kv_str(pk, "version", CW_VERSION);
    pk_kv_int(pk, "schema_version", CW_SCHEMA_VERSION);
    pk_kv_int(pk, "uptime_s", (int64_t)((uv_now(s->loop) - s->start_ms) / 1000));
    pk_kv_bool(pk, "auth_required", s->auth_required);
    pk_key(pk, "limits");
    msgpack_pack_map(pk, 11);
    pk_kv_int(pk, "max_message", (int64_t)cfg->max_message);
    pk_kv_int(pk, "max_message_before_auth", CW_PREAUTH_MAX_MESSAGE);
    pk_kv_int(pk, "decode_ratio", CW_FRAME_DECODE_RATIO);
    pk_kv_int(pk, "max_depth", cfg->max_depth);
    pk_kv_int(pk, "max_connections", cfg->max_connections);
    pk_kv_int(pk, "max_output", (int64_t)cfg->max_output);
    pk_kv_int(pk, "max_write_queue", (int64_t)cfg->max_write_queue);
    pk_kv_int(pk, "max_memory", (int64_t)cfg->max_memory);
    pk_kv_int(pk, "idle_timeout_s", cfg->idle_timeout);
    pk_kv_int(pk, "auth_timeout_s", cfg->auth_timeout);
    pk_kv_int(pk, "max_hops", CW_MAX_HOPS);
    pk_key(pk, "counts");
    msgpack_pack_map(pk, all ? 8 : 4);
    pk_kv_int(pk, "frameworks", (int64_t)n.frameworks);
    pk_kv_int(pk, "requirements", (int64_t)n.requirements);
    pk_kv_int(pk, "mappings", (int64_t)n.mappings);
    pk_kv_int(pk, "joint_mappings", (int64_t)n.joint_mappings);
    if (all) {
        pk_kv_int(pk, "orgs", (int64_t)n.orgs);
        pk_kv_int(pk, "controls", (int64_t)n.controls);
        pk_kv_int(pk, "evidence", (int64_t)n.evidence);
        pk_kv_int(pk, "scope", (int64_t)n.scope);
        pk_key(pk, "storage");
        cw_time kept;
        size_t versions, bytes;
        cw_err herr = {0};
        bool hist = cw_history_info(k->db, &kept, &versions, &bytes, &herr) == 0;
        msgpack_pack_map(pk, 3 + 3 * hist);
        pk_kv_int(pk, "map_size", (int64_t)n.map_size);
        pk_kv_int(pk, "map_used", (int64_t)n.map_used);
        pk_kv_int(pk, "map_size_max", (int64_t)n.map_size_max);
        if (hist) {
            pk_kv_int(pk, "history_versions", (int64_t)versions);
            pk_kv_int(pk, "history_bytes", (int64_t)bytes);
            /* the oldest time answered as recorded: nil until a fold */
            pk_key(pk, "history_kept_from");
            if (kept == CW_TIME_MIN)
                msgpack_pack_nil(pk);
            else
                pk_time(pk, kept);
        }
    }
    pk_key(pk, "errors");
    static const struct {
        int code;
        const char *name, *meaning;
    } errs[] = {
#define CW_X_INFO(n, c, s, d) {c, s, d},
        CW_PROTO_ERRORS(CW_X_INFO)
#undef CW_X_INFO
    };
    msgpack_pack_array(pk, sizeof errs / sizeof errs[0]);
    for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++) {
        msgpack_pack_map(pk, 3);
        pk_kv_int(pk, "code", errs[i].code);
        pk_kv_str(pk, "name", errs[i].name);
        pk_kv_str(pk, "meaning", errs[i].meaning);
    }
    return 0;
}

int cw_h_server_schema(cw_call *k, const cw_args_server_schema *args, msgpack_packer *pk,
                       cw_err *err)
{
    (void)k, (void)args, (void)err;
    cw_schema_pack(pk);
    return 0;
}

int cw_h_server_stats(cw_call *k, const cw_args_server_stats *args, msgpack_packer *pk, cw_err *err)
{
    (void)args, (void)err;
    cw_server *s = k->s;
    msgpack_pack_map(pk, 13);
    size_t used = 0;
    for (size_t i = 0; cw_schema_name(i); i++)
        used += s->mstats[i].requests > 0;
    pk_key(pk, "methods");
    msgpack_pack_map(pk, used);
    for (size_t i = 0; cw_schema_name(i); i++) {
        if (!s->mstats[i].requests)
            continue;
        pk_key(pk, cw_schema_name(i));
        msgpack_pack_map(pk, 2);
        pk_kv_int(pk, "requests", (int64_t)s->mstats[i].requests);
        pk_kv_int(pk, "errors", (int64_t)s->mstats[i].errors);
    }
    pk_key(pk, "latency_us");
    size_t nb = 0;
    for (int i = 0; i < LAT_BUCKETS; i++)
        nb += s->lat[i] > 0;
    msgpack_pack_map(pk, nb);
    for (int i = 0; i < LAT_BUCKETS; i++) {
        if (!s->lat[i])
            continue;
        char key[32];
        snprintf(key, sizeof key, "le_%llu", 1ULL << i);
        pk_kv_int(pk, key, (int64_t)s->lat[i]);
    }
    pk_kv_int(pk, "connections", s->n_conns);
    pk_kv_int(pk, "connections_total", (int64_t)s->total_conns);
    pk_kv_int(pk, "bytes_in", (int64_t)s->bytes_in);
    pk_kv_int(pk, "bytes_out", (int64_t)s->bytes_out);
    pk_kv_int(pk, "commits", (int64_t)s->commits);
    pk_kv_int(pk, "writes_committed", (int64_t)s->grouped_writes);
    pk_kv_int(pk, "unknown_methods", (int64_t)s->unknown_methods);
    pk_kv_int(pk, "protocol_errors", (int64_t)s->protocol_errors);
    cw_watch_counts wc;
    cw_watch_counts_get(s, &wc);
    pk_kv_int(pk, "watch_subscriptions", (int64_t)wc.subscriptions);
    pk_kv_int(pk, "watch_events", (int64_t)wc.events);
    pk_kv_int(pk, "watch_dropped", (int64_t)wc.dropped);
    return 0;
}

int cw_h_auth(cw_call *k, const cw_args_auth *args, msgpack_packer *pk, cw_err *err)
{
    cw_server *s = k->s;
    cw_session *who = k->who;
    if (!s->auth_required) {
        who->role = ROLE_ADMIN;
    } else {
        if (!cw_auth_may_try(s, who)) {
            who->auth_failures++;
            who->role = ROLE_NONE;
            who->org[0] = '\0';
            cw_auth_failed(s, who, true);
            return cw_err_set(err, CW_EAUTH,
                              "token: too many failed attempts from this address; one more "
                              "is allowed each second");
        }
        const cw_token *t = cw_auth_find(s, args->token, strlen(args->token));
        if (!t) {
            cw_auth_failed(s, who, false);
            /* A wrong token must not leave an earlier identity in force:
             * a client that meant to switch tokens would otherwise go on
             * acting with the old one without noticing. */
            who->auth_failures++;
            who->role = ROLE_NONE;
            who->org[0] = '\0';
            return cw_err_set(err, CW_EAUTH, "token: not recognised");
        }
        who->role = t->role;
        snprintf(who->org, sizeof who->org, "%s", t->org);
        snprintf(who->actor, sizeof who->actor, "%s", t->name);
        cw_log(s, LOG_INFO, "auth conn=%llu token=%s role=%s org=%s",
               (unsigned long long)who->conn_id, t->name, cw_role_name(t->role),
               t->org[0] ? t->org : "-");
    }
    msgpack_pack_map(pk, 2);
    pk_kv_str(pk, "role", cw_role_name(who->role));
    pk_kv_str(pk, "org", who->org[0] ? who->org : NULL);
    return 0;
}

int cw_h_hello(cw_call *k, const cw_args_hello *args, msgpack_packer *pk, cw_err *err)
{
    (void)err;
    cw_session *who = k->who;
    if (args->has_errors)
        who->nvim_errors = args->errors;
    if (args->client) {
        /* Printable bytes only: one client cannot forge log lines. */
        char name[81];
        size_t n = 0;
        for (const char *c = args->client; *c && n + 1 < sizeof name; c++)
            name[n++] = (unsigned char)*c >= 0x20 && *c != 0x7f ? *c : '?';
        name[n] = '\0';
        cw_log(k->s, LOG_INFO, "hello conn=%llu client=%s errors=%s",
               (unsigned long long)who->conn_id, name, who->nvim_errors ? "nvim" : "standard");
    }
    msgpack_pack_map(pk, 3);
    pk_kv_str(pk, "server", "crosswalkd");
    pk_kv_str(pk, "version", CW_VERSION);
    pk_kv_str(pk, "errors", who->nvim_errors ? "nvim" : "standard");
    return 0;
}

int cw_h_store_check(cw_call *k, const cw_args_store_check *args, msgpack_packer *pk, cw_err *err)
{
    (void)args;
    size_t problems;
    cw_err detail = {0};
    int rc = cw_db_check(k->db, &problems, &detail);
    if (rc)
        return cw_err_set(err, rc, "%s", detail.msg);
    msgpack_pack_map(pk, 3);
    pk_kv_bool(pk, "consistent", problems == 0);
    pk_kv_int(pk, "problems", (int64_t)problems);
    pk_kv_str(pk, "first", problems ? detail.msg : NULL);
    return 0;
}

/* Raising the cap at run time is how an operator recovers from storage_full
 * without a restart: the next write that meets MDB_MAP_FULL grows into the
 * new room.  The cap never shrinks here, since the map may already be larger. */
int cw_h_store_set_map_max(cw_call *k, const cw_args_store_set_map_max *args, msgpack_packer *pk,
                           cw_err *err)
{
    cw_db_counts n;
    int rc;
    if ((rc = cw_db_counts_get(k->db, &n, err)))
        return rc;
    if ((uint64_t)args->bytes < n.map_size_max)
        return cw_err_set(err, CW_ERANGE,
                          "bytes: %lld is below the current cap of %zu; the cap only grows",
                          (long long)args->bytes, n.map_size_max);
    cw_db_set_map_max(k->db, (size_t)args->bytes);
    cw_log(k->s, LOG_INFO, "map size cap raised to %lld bytes", (long long)args->bytes);
    msgpack_pack_map(pk, 2);
    pk_kv_int(pk, "map_size", (int64_t)n.map_size);
    pk_kv_int(pk, "map_size_max", args->bytes);
    return 0;
}
