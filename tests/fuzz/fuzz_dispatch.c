/* libFuzzer target for full request handling: bytes are framed, decoded and
 * dispatched exactly as the server does for a connection, against a real
 * engine store with the shipped frameworks loaded once.  Writes run inline
 * (no writer thread).  The first input byte picks the role and whether auth
 * is required, so permission paths are explored too.  Any crash, sanitizer
 * report or a response that is not a well-formed msgpack-RPC answer is a
 * finding. */
#include "crosswalk/bundle.h"
#include "server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cw_server srv;
static cw_conn conn;
static msgpack_sbuffer answers; /* everything conn was answered, in order */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    /* The store goes under $TMPDIR (run_fuzzer.sh points it at a directory
     * it removes afterwards), else /tmp. */
    const char *tmp = getenv("TMPDIR");
    static char path[4096];
    snprintf(path, sizeof path, "%s/cwfuzz.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(path))
        abort();
    srv.cfg.log_level = -1;
    srv.cfg.max_message = 1 << 20;
    srv.cfg.max_depth = 32;
    srv.cfg.max_connections = 10;
    srv.loop = uv_default_loop();
    srv.mstats = calloc(cw_method_count(), sizeof *srv.mstats);
    srv.inline_writes = true;
    srv.req_arena = cw_arena_new();
    cw_db_options o = {
        .path = path, .map_size = 8u << 20, .map_size_max = 256u << 20, .no_sync = true};
    cw_err err = {0};
    if (cw_db_open(&o, &srv.db, &err) ||
        cw_bundle_load(srv.db, cw_frameworks_bundle, cw_frameworks_bundle_len, NULL, &err)) {
        fprintf(stderr, "fuzz init: %s\n", err.msg);
        abort();
    }
    conn.srv = &srv;
    conn.refs = 1;
    cw_out_init(&conn.out);
    msgpack_sbuffer_init(&answers);
    return 0;
}

static void check_answers(void)
{
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    while (off < answers.size) {
        if (msgpack_unpack_next(&u, answers.data, answers.size, &off) != MSGPACK_UNPACK_SUCCESS)
            abort();
        const msgpack_object *o = &u.data;
        if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 4 ||
            o->via.array.ptr[0].via.u64 != 1)
            abort();
        const msgpack_object *e = &o->via.array.ptr[2];
        if (e->type != MSGPACK_OBJECT_NIL &&
            (e->type != MSGPACK_OBJECT_ARRAY || e->via.array.size != 2 ||
             e->via.array.ptr[1].type != MSGPACK_OBJECT_STR))
            abort();
    }
    msgpack_unpacked_destroy(&u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    srv.auth_required = data[0] & 4;
    conn.who.role = (cw_role)(data[0] % 4);
    snprintf(conn.who.org, sizeof conn.who.org, "%s", data[0] & 8 ? "acme" : "");
    conn.who.auth_failures = 0;
    conn.pending_writes = 0;
    data++;
    size--;
    cw_frame f;
    cw_frame_init(&f, srv.cfg.max_message, srv.cfg.max_depth);
    size_t off = 0;
    while (off < size) {
        size_t len;
        int r = cw_frame_scan(&f, data + off, size - off, &len);
        if (r != CW_FRAME_DONE)
            break;
        msgpack_unpacked u;
        msgpack_unpacked_init(&u);
        size_t uoff = 0;
        if (msgpack_unpack_next(&u, (const char *)data + off, len, &uoff) !=
            MSGPACK_UNPACK_SUCCESS) {
            msgpack_unpacked_destroy(&u);
            break;
        }
        if (cw_dispatch(&srv, &conn, &u, (const char *)data + off, len, NULL) == DISPATCH_BLOCKED)
            msgpack_unpacked_destroy(&u);
        off += len;
    }
    cw_out_take(&conn.out, &answers);
    check_answers();
    msgpack_sbuffer_clear(&answers);
    return 0;
}
