/* What a report needs besides the answer to its one question.
 *
 * A coverage, gap or SoA answer names frameworks by slug, the organisation
 * by slug, and controls and evidence by id; a document for an auditor
 * names them in words and says when each piece of evidence was collected,
 * failed or expired, and where the report came from.  The protocol
 * already offers all of it, so this file asks for it with ordinary calls
 * after the report's own: server.info (the server's version),
 * framework.list (names, versions, publishers, licence notes),
 * org.get (the organisation's name), requirement.list (what the assessed
 * framework calls its requirements) and one control.get or evidence.get
 * per control or evidence item the answer cites, sent a window at a time
 * so a large organisation costs round trips per window, not per item.
 * The result is one JSON object that report.c reads; anything the server
 * refuses is left out and named under "notes", so a token that may read
 * the report but not, say, server.info still gets its report. */
#include "cli.h"

#include <crosswalk/time.h>

#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

/* Requests in flight at once: small enough that the answers never fill
 * the server's output allowance for one connection, large enough that
 * a thousand evidence items take a few dozen round trips. */
enum { CW_CTX_WINDOW = 64 };

/* Notes what could not be fetched, with the server's message; past the
 * first ten only how many more, so a report stays readable when, say,
 * every evidence item is refused. */
static void cw_ctx_note(json_t *ctx, const char *what, const char *msg)
{
    json_t *notes = json_object_get(ctx, "notes");
    if (!notes) {
        notes = json_array();
        json_object_set_new(ctx, "notes", notes);
    }
    if (json_array_size(notes) >= 10) {
        json_t *more = json_object_get(ctx, "notes_more");
        json_object_set_new(ctx, "notes_more",
                            json_integer(json_is_integer(more) ? json_integer_value(more) + 1 : 1));
        return;
    }
    char line[512];
    snprintf(line, sizeof line, "%s: %s", what, msg ? msg : "refused");
    json_array_append_new(notes, json_string(line));
}

/* A call whose refusal costs the report only a detail: the server's error
 * becomes a note and *res stays NULL (returns 0); a broken connection is
 * printed and returns CW_EXIT_ERROR. *res (when set) is the caller's. */
static int cw_ctx_ask(cw_rpc *c, json_t *ctx, const char *what, const char *method, json_t *params,
                      json_t **res)
{
    char *msg = NULL;
    int rc = cw_rpc_call(c, method, params, res, &msg);
    if (rc == CW_RPC_ESERVER) {
        cw_ctx_note(ctx, what, msg);
        rc = 0;
    } else if (rc) {
        fprintf(stderr, "crosswalk: connection: %s\n", msg ? msg : "?");
        rc = CW_EXIT_ERROR;
    }
    free(msg);
    return rc;
}

static void cw_pack_str(msgpack_packer *pk, const char *s)
{
    size_t n = strlen(s);
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s, n);
}

/* Adds the string s (when it is a non-empty JSON string) to the set. */
static void cw_set_add(json_t *set, json_t *s)
{
    if (json_is_string(s) && json_string_length(s))
        json_object_set_new(set, json_string_value(s), json_true());
}

static void cw_set_add_all(json_t *set, json_t *arr)
{
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e) cw_set_add(set, e);
}

/* Asks `method` {org, id[, as_of[, as_recorded]]} for every id of the set `ids` and
 * stores each answer in dst under its id; a refused item is a note.
 * Requests travel CW_CTX_WINDOW at a time and their answers are read in
 * the order sent. Returns 0 or CW_EXIT_ERROR (printed). */
static int cw_ctx_each(cw_rpc *c, json_t *ctx, const char *method, const char *org,
                       const char *as_of, bool recorded, json_t *ids, json_t *dst)
{
    size_t n = json_object_size(ids), k = 0;
    const char **names = calloc(n ? n : 1, sizeof *names);
    uint32_t *msgid = calloc(CW_CTX_WINDOW, sizeof *msgid);
    if (!names || !msgid) {
        free(names);
        free(msgid);
        fputs("crosswalk: out of memory\n", stderr);
        return CW_EXIT_ERROR;
    }
    const char *key;
    json_t *v;
    json_object_foreach(ids, key, v) names[k++] = key;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    int rc = 0;
    for (size_t at = 0; rc == 0 && at < n; at += CW_CTX_WINDOW) {
        size_t m = n - at < CW_CTX_WINDOW ? n - at : CW_CTX_WINDOW, sent = 0;
        char *msg = NULL;
        for (; sent < m; sent++) {
            msgpack_sbuffer_clear(&sb);
            msgpack_pack_map(&pk, 2 + 2 * (as_of != NULL));
            cw_pack_str(&pk, "org");
            cw_pack_str(&pk, org);
            cw_pack_str(&pk, "id");
            cw_pack_str(&pk, names[at + sent]);
            if (as_of) {
                cw_pack_str(&pk, "as_of");
                cw_pack_str(&pk, as_of);
            }
            if (as_of) {
                /* the controls as the answer saw them */
                cw_pack_str(&pk, "as_recorded");
                if (recorded)
                    msgpack_pack_true(&pk);
                else
                    msgpack_pack_false(&pk);
            }
            if (cw_rpc_send_packed(c, method, sb.data, sb.size, &msgid[sent], &msg))
                break;
        }
        for (size_t j = 0; j < sent && !msg; j++) {
            json_t *res = NULL;
            int r = cw_rpc_wait(c, msgid[j], &res, &msg);
            if (r == CW_RPC_ESERVER) {
                char what[192];
                snprintf(what, sizeof what, "%s %s", method, names[at + j]);
                cw_ctx_note(ctx, what, msg);
                free(msg);
                msg = NULL;
            } else if (r == 0) {
                json_object_set_new(dst, names[at + j], res);
            }
        }
        if (msg) {
            fprintf(stderr, "crosswalk: connection: %s\n", msg);
            free(msg);
            rc = CW_EXIT_ERROR;
        }
    }
    msgpack_sbuffer_destroy(&sb);
    free(names);
    free(msgid);
    return rc;
}

/* The controls and evidence items an answer cites, as sets. */
static void cw_ctx_cited(cw_report_kind kind, json_t *a, json_t *controls, json_t *evidence)
{
    size_t i, j, k;
    json_t *q, *c, *m;
    switch (kind) {
    case CW_REP_COVERAGE:
        json_array_foreach(json_object_get(a, "requirements"), i, q)
        {
            json_array_foreach(json_object_get(q, "contributions"), j, c)
            {
                cw_set_add(controls, json_object_get(c, "control"));
                cw_set_add_all(evidence, json_object_get(c, "evidence"));
                json_t *members = json_object_get(json_object_get(c, "joint"), "members");
                json_array_foreach(members, k, m)
                {
                    json_t *mc = json_object_get(m, "contribution");
                    cw_set_add(controls, json_object_get(mc, "control"));
                    cw_set_add_all(evidence, json_object_get(mc, "evidence"));
                }
            }
        }
        break;
    case CW_REP_GAP:
        json_array_foreach(json_object_get(a, "gaps"), i, q)
        {
            json_array_foreach(json_object_get(q, "controls"), j, c)
                cw_set_add(controls, json_object_get(c, "control"));
        }
        break;
    case CW_REP_SOA:
        json_array_foreach(json_object_get(a, "controls"), i, q)
        {
            cw_set_add_all(controls, json_object_get(q, "implementing_controls"));
            cw_set_add_all(evidence, json_object_get(q, "evidence"));
        }
        break;
    case CW_REP_COMPARE:
    case CW_REP_CHECK: break;
    }
}

/* What the framework calls its assessed requirements, when they all have
 * one kind ("criterion"): stored as ctx.kind. */
static int cw_ctx_kind(cw_rpc *c, json_t *ctx, const char *framework)
{
    json_t *p = json_pack("{s:s,s:b}", "framework", framework, "assessable_only", 1), *res = NULL;
    int rc = cw_ctx_ask(c, ctx, "requirement.list", "requirement.list", p, &res);
    json_decref(p);
    const char *kind = NULL;
    size_t i;
    json_t *q;
    json_array_foreach(res, i, q)
    {
        const char *k = json_string_value(json_object_get(q, "kind"));
        if (!k || (kind && strcmp(k, kind) != 0)) {
            kind = NULL;
            break;
        }
        kind = k;
    }
    if (kind && *kind)
        json_object_set_new(ctx, "kind", json_string(kind));
    json_decref(res);
    return rc;
}

int cw_report_context(cw_rpc *c, cw_report_kind kind, json_t *answer, json_t **out)
{
    json_t *ctx = json_object();
    *out = ctx;
    json_object_set_new(ctx, "client_version", json_string(CW_VERSION));
    /* SOURCE_DATE_EPOCH (as for export) makes a report reproducible. */
    cw_time now = cw_now();
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    char *end = NULL;
    long long t = sde && *sde ? strtoll(sde, &end, 10) : -1;
    if (end && !*end && t >= 0 && t <= CW_TIME_MAX)
        now = (cw_time)t;
    char when[32];
    cw_time_format(now, when, sizeof when);
    json_object_set_new(ctx, "generated_at", json_string(when));

    json_t *res = NULL;
    int rc = cw_ctx_ask(c, ctx, "server.info", "server.info", NULL, &res);
    if (rc == 0 && json_is_string(json_object_get(res, "version")))
        json_object_set(ctx, "server_version", json_object_get(res, "version"));
    json_decref(res);
    res = NULL;

    json_t *fws = json_object();
    json_object_set_new(ctx, "frameworks", fws);
    if (rc == 0)
        rc = cw_ctx_ask(c, ctx, "framework.list", "framework.list", NULL, &res);
    size_t i;
    json_t *f;
    json_array_foreach(res, i, f)
    {
        const char *slug = json_string_value(json_object_get(f, "framework"));
        if (slug)
            json_object_set(fws, slug, f);
    }
    json_decref(res);
    res = NULL;

    const char *org = json_string_value(json_object_get(answer, "org"));
    if (rc == 0 && org) {
        json_t *p = json_pack("{s:s}", "org", org);
        rc = cw_ctx_ask(c, ctx, "org.get", "org.get", p, &res);
        json_decref(p);
        if (json_is_string(json_object_get(res, "name")))
            json_object_set(ctx, "org_name", json_object_get(res, "name"));
        json_decref(res);
    }

    const char *assessed = json_string_value(
        json_object_get(answer, kind == CW_REP_COVERAGE ? "framework" : "target"));
    if (rc == 0 && assessed && kind != CW_REP_SOA && kind != CW_REP_CHECK)
        rc = cw_ctx_kind(c, ctx, assessed);

    json_t *want_c = json_object(), *want_e = json_object();
    json_t *controls = json_object(), *evidence = json_object();
    json_object_set_new(ctx, "controls", controls);
    json_object_set_new(ctx, "evidence", evidence);
    cw_ctx_cited(kind, answer, want_c, want_e);
    const char *as_of = json_string_value(json_object_get(answer, "as_of"));
    if (rc == 0 && org && json_object_size(want_c))
        rc = cw_ctx_each(c, ctx, "control.get", org, as_of,
                         json_is_true(json_object_get(answer, "as_recorded")), want_c, controls);
    /* A control's deciding evidence at as_of is what explains its state
     * where the answer names only the control (the gap report). */
    const char *id;
    json_t *ctl;
    json_object_foreach(controls, id, ctl) cw_set_add_all(want_e, json_object_get(ctl, "evidence"));
    if (rc == 0 && org && json_object_size(want_e))
        rc = cw_ctx_each(c, ctx, "evidence.get", org, NULL, false, want_e, evidence);
    json_decref(want_c);
    json_decref(want_e);
    return rc;
}
