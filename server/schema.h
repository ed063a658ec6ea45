/* What methods.def declares, made into C: a typed argument struct per
 * method, the decoders that fill one from a request's msgpack map (naming
 * the field of every mistake), the method table, and the call context a
 * handler runs in.  Handlers see their arguments decoded and checked; the
 * dispatcher (dispatch.c) and the writer run the decoders before them. */
#ifndef CW_SCHEMA_H
#define CW_SCHEMA_H

#include "crosswalk/arena.h"
#include "crosswalk/db.h"
#include "crosswalk/error.h"
#include "crosswalk/isms_model.h"
#include "crosswalk/model.h"

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "methods.def"

#define CW_REQ 1
#define CW_OPT 0

/* Method flags.  A method without M_WRITE is answered on the loop thread. */
enum {
    M_WRITE = 1,   /* runs on the writer thread, in a group commit */
    M_ADMIN = 2,   /* admin role only */
    M_ORG = 4,     /* org-scoped: the org argument must be the token's org */
    M_OPEN = 8,    /* allowed before authentication */
    M_EDITOR = 16, /* needs the editor role (or admin): auditors are refused */
    M_POS = 32,    /* takes its arguments positionally too (methods.def) */
};

/* requirement.list's attribute filter: "key" or "key=value". */
typedef struct cw_attr_filter {
    const char *key, *value; /* value NULL: any value */
} cw_attr_filter;

/* mapping.delete's source: one id, or a joint row's set. */
typedef struct cw_source_arg {
    const char *one;
    const char **set;
    size_t n;
} cw_source_arg;

/* The values of a DETAIL argument. */
enum { CW_DETAIL_NONE = 0, CW_DETAIL_FULL = 1, CW_DETAIL_COMPACT = 2 };

/* What a dry run takes as written before it (the assume item): placeholders
 * for what an earlier call of the same load would have created, put in the
 * dry run's own transaction and discarded with it. */
typedef struct cw_assume {
    bool org;              /* the call's organisation */
    const char **controls; /* controls of the call's organisation */
    size_t n_controls;
    cw_ref *requirements;
    size_t n_requirements;
} cw_assume;

/* Argument types: X(TYPE, C type, "what a client sends").  The decoder of
 * TYPE is cw_dec_<TYPE>. */
#define CW_ARG_TYPES(X)                                                                            \
    X(STR, const char *, "string")                                                                 \
    X(SLUG, const char *, "slug: non-empty, at most 64 bytes, no control characters")              \
    X(ID, const char *, "id: non-empty, at most 128 bytes, no control characters")                 \
    X(ORIGIN, const char *, "origin: non-empty, at most 256 bytes, no control characters")         \
    X(BOOL, bool, "boolean")                                                                       \
    X(DETAIL, int, "boolean, or \"full\" or \"compact\"")                                          \
    X(TIME, cw_time, "time: RFC 3339 string, integer seconds or msgpack timestamp")                \
    X(HOPS, int, "integer 1..3")                                                                   \
    X(BYTES, int64_t, "integer, at least 1")                                                       \
    X(COUNT, int, "integer 1..10000")                                                              \
    X(PAGE, int, "integer 1..100000")                                                              \
    X(OFFSET, int64_t, "integer, at least 0")                                                      \
    X(DURATION, int64_t, "seconds: integer 0..3153600000, or a string such as 90s, 15m, 12h, 30d") \
    X(TEXT, const char *, "text: non-empty, at most 128 bytes, no control characters")             \
    X(ATTRFILTER, cw_attr_filter, "string: key or key=value")                                      \
    X(DELSOURCE, cw_source_arg, "id, or an array of 2..64 ids")                                    \
    X(REL, cw_rel, "equal, subset_of, superset_of, intersects_with or not_related")                \
    X(STRENGTH, int, "integer 1..10")                                                              \
    X(LEVEL, cw_level, "full or partial")                                                          \
    X(CTLSTATUS, cw_ctl_status, "implemented, planned or not_implemented")                         \
    X(RESULT, cw_result, "pass, fail or unknown")                                                  \
    X(APPLIC, bool, "boolean")                                                                     \
    X(ASSUME, cw_assume, "map: an assume item")                                                    \
    X(ERRSHAPE, bool, "standard or nvim")                                                           \
    X(IDS, cw_ids, "id or [ids]")                                                                  \
    X(WHEN, cw_when, "time: RFC 3339 string, integer seconds or msgpack timestamp")                \
    X(SCORE, int, "integer 1..10 (within the organisation's risk scale)")                          \
    X(SCALE, int, "integer 2..10")                                                                 \
    X(VERSION, int, "integer 1..1000000")                                                          \
    X(TREATMENT, cw_treatment, "mitigate, transfer, avoid or accept")                              \
    X(AUDITSTATUS, cw_audit_status, "planned, in_progress or closed")                              \
    X(FINDKIND, cw_finding_kind, "major_nc, minor_nc, observation or opportunity")                 \
    X(FINDSTATUS, cw_finding_status, "open, action_planned, verified or closed")                   \
    X(EFFECT, cw_effectiveness, "effective or not_effective")                                      \
    X(REASONS, unsigned, "legal, contractual or business, or a list of them")

/* Types decoded into a whole item: X(TYPE, item C type, "what a client sends"). */
#define CW_ITEM_ARG_TYPES(X)                                                                       \
    X(ATTRS, cw_requirement, "map of name to string or list of strings")                           \
    X(ASSESS, cw_requirement, "boolean or nil")                                                    \
    X(REQSTATUS, cw_requirement, "active or withdrawn")                                            \
    X(SOURCES, cw_mapping, "id, or an array of 2..64 ids (or {framework?, id} maps)")              \
    X(EVCONTROLS, cw_evidence, "control id or list of control ids")                                \
    X(VALID, cw_evidence, "time, or nil for no expiry")                                            \
    X(LINKS, cw_control, "list of link items")                                                     \
    X(ASSUMEIDS, cw_assume, "list of control ids")                                                 \
    X(ASSUMEREFS, cw_assume, "list of {framework, id} maps")

/* A value decoder: o is the key's value, present and not nil (the
 * generated decoders look it up, refuse it missing when required and set
 * has_<key>).  path ("controls[3]." or "") is put in front of the field in
 * any message.  Strings are copied into a; an item-type decoder (the
 * second list) fills its part of the whole item. */
#define CW_X_DEC(T, ctype, doc)                                                                    \
    int cw_dec_##T(const msgpack_object *o, const char *path, const char *key, cw_arena *a,        \
                   ctype *out, cw_err *err);
CW_ARG_TYPES(CW_X_DEC)
CW_ITEM_ARG_TYPES(CW_X_DEC)
#undef CW_X_DEC

/* Item decoders: cw_item_<item>(map, path, arena, out, err) fills *out
 * (zeroed first) from one item map; the caller has checked it is a map
 * with known keys. */
#define CW_X_ITEM(item, ctype, doc)                                                                \
    int cw_item_##item(const msgpack_object *m, const char *path, cw_arena *a, ctype *out,         \
                       cw_err *err);
CW_ITEMS(CW_X_ITEM)
#undef CW_X_ITEM

/* The argument structs: cw_args_<id>, one member per argument (has_<key>
 * set when it was given), a list as <key> and n_<key>, and for a
 * single-or-list argument also bulk (true when the list form was used). */
#define CW_X_ITYPE(item, ctype, doc) typedef ctype cw_itype_##item;
CW_ITEMS(CW_X_ITYPE)
#undef CW_X_ITYPE
#define CW_X_CT(T, ctype, doc) typedef ctype cw_ctype_##T;
CW_ARG_TYPES(CW_X_CT)
#undef CW_X_CT
#define CW_S_A(T, key, req, doc)                                                                   \
    cw_ctype_##T key;                                                                              \
    bool has_##key;
#define CW_S_L(key, item, req, doc)                                                                \
    cw_itype_##item *key;                                                                          \
    size_t n_##key;
#define CW_S_B(key, item, req, doc)                                                                \
    cw_itype_##item *key;                                                                          \
    size_t n_##key;                                                                                \
    bool bulk;
#define CW_X_ARGS(id, name, flags, doc)                                                            \
    typedef struct cw_args_##id {                                                                  \
        char unused_; /* a method may have no arguments */                                         \
        CW_ARGS_##id(CW_S_A, CW_S_L, CW_S_B)                                                       \
    } cw_args_##id;
CW_METHODS(CW_X_ARGS)
#undef CW_X_ARGS
#undef CW_S_A
#undef CW_S_L
#undef CW_S_B

struct cw_server;
struct cw_session;
struct cw_out;

/* What a handler runs with.  Reads get no write transaction; no handler
 * gets the connection: who is the caller's identity (auth changes it), and
 * out the connection's output, for answers sent by reference. */
typedef struct cw_call {
    struct cw_server *s;
    cw_db *db;
    cw_wtxn *w;  /* M_WRITE methods: the group's transaction; else NULL */
    cw_arena *a; /* lives for this request only */
    struct cw_session *who;
    struct cw_out *out; /* NULL on the writer thread */
    /* The caller's connection, for the status feed's subscriptions only
     * (watch.c); NULL on the writer thread. */
    struct cw_conn *conn;
} cw_call;

/* Handlers: pack the result into pk and return 0, or return a CW_E* code
 * with err filled and nothing packed. */
#define CW_X_H(id, name, flags, doc)                                                               \
    int cw_h_##id(cw_call *k, const cw_args_##id *args, msgpack_packer *pk, cw_err *err);
CW_METHODS(CW_X_H)
#undef CW_X_H

/* Argument decoders: cw_decode_<id> fills *out (zeroed first) from the
 * request's argument map (NULL when none was given); strings and lists go
 * into a.  The caller has checked the map's keys (cw_check_keys against
 * CW_METHOD_KEYS). */
#define CW_X_DECODE(id, name, flags, doc)                                                          \
    int cw_decode_##id(const msgpack_object *map, cw_arena *a, cw_args_##id *out, cw_err *err);
CW_METHODS(CW_X_DECODE)
#undef CW_X_DECODE

/* A method's accepted keys as one string literal, each with a space in
 * front ("" for none: skip the first character when there is one).  A
 * single-or-list argument accepts the item's fields too. */
#define CW_K_F(T, key, member, req, doc) " " #key
#define CW_K_C(T, key, req, doc) " " #key
#define CW_K_A(T, key, req, doc) " " #key
#define CW_K_L(key, item, req, doc) " " #key
#define CW_K_B(key, item, req, doc) CW_KB_##req(key, item)
#define CW_KB_CW_OPT(key, item) CW_ITEM_##item(CW_K_F, CW_K_C) " " #key
#define CW_KB_CW_REQ(key, item) " " #key
#define CW_METHOD_KEYS(id) ("" CW_ARGS_##id(CW_K_A, CW_K_L, CW_K_B))

/* One method of the table (methods.c): run decodes the arguments into an
 * arena struct and calls the handler. */
typedef struct cw_method {
    const char *name;
    unsigned flags;
    const char *keys;         /* accepted argument names, space separated */
    const char *const *names; /* the arguments in declared (positional) order, NULL-ended */
    int (*run)(cw_call *k, const msgpack_object *args, msgpack_packer *pk, cw_err *err);
} cw_method;

const cw_method *cw_method_find(const char *name, size_t len);
size_t cw_method_count(void);
const cw_method *cw_method_at(size_t i);
/* 0 when the table is sorted by name (bsearch relies on it); checked at
 * start-up. */
int cw_methods_check(cw_err *err);

/* The name of the i-th method in declaration order (the table's order),
 * NULL past the end. */
const char *cw_schema_name(size_t i);

/* Packs the whole schema as server.schema answers it. */
void cw_schema_pack(msgpack_packer *pk);

/* The named arguments of method m given params, the request's params
 * array: NULL for [] and [nil], the map of [{named arguments}], or for an
 * M_POS method its positional values under their names (nil values left
 * out), as a map built in z.  invalid_params naming params otherwise. */
int cw_params_args(const cw_method *m, const msgpack_object *params, msgpack_zone *z,
                   const msgpack_object **args, cw_err *err);

/* Checks that map's keys are all in allowed (space separated); else
 * "<key>: unknown argument (accepted: ...)".  Keys must be strings. */
int cw_check_keys(const msgpack_object *map, const char *allowed, cw_err *err);

/* A time in any accepted form (integer seconds, RFC 3339 string, msgpack
 * timestamp); "field: ..." in err otherwise. */
int cw_to_time(const msgpack_object *o, const char *field, cw_time *out, cw_err *err);

/* The value of key in map (string or binary keys), or NULL. */
const msgpack_object *cw_arg_get(const msgpack_object *map, const char *key);

#endif
