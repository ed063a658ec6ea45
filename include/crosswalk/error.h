/* Error codes shared by every layer of crosswalk.
 *
 * One X-macro table gives each error a number, a stable name and the
 * protocol error it is answered with (a CW_PE_* constant, so a typo does
 * not compile), and the engine, the server and the tools can never
 * disagree about what a code means.  Functions return 0 or a negative CW_E*
 * code and, when given a cw_err, fill it with a message that names the
 * offending field and value; only the server's dispatcher turns one into
 * an answer. */
#ifndef CROSSWALK_ERROR_H
#define CROSSWALK_ERROR_H

#include "crosswalk/protocol.h"

#include <stddef.h>

/* X(name, number, stable name, protocol error) */
#define CW_ERRNO_MAP(X)                                                                            \
    X(EINVAL, -1, "invalid_argument", CW_PE_INVALID_PARAMS)                                        \
    X(ENOMEM, -2, "out_of_memory", CW_PE_INTERNAL)                                                 \
    X(ENOFW, -3, "unknown_framework", CW_PE_NOT_FOUND)                                             \
    X(ENOREQ, -4, "unknown_requirement", CW_PE_NOT_FOUND)                                          \
    X(ENOORG, -5, "unknown_org", CW_PE_NOT_FOUND)                                                  \
    X(ENOCTL, -6, "unknown_control", CW_PE_NOT_FOUND)                                              \
    X(ENOEV, -7, "unknown_evidence", CW_PE_NOT_FOUND)                                              \
    X(ENOENT, -8, "not_found", CW_PE_NOT_FOUND)                                                    \
    X(EREL, -9, "bad_relationship", CW_PE_INVALID_PARAMS)                                          \
    X(ERANGE, -10, "out_of_range", CW_PE_INVALID_PARAMS)                                           \
    X(EDANGLING, -11, "dangling_endpoint", CW_PE_INVALID_PARAMS)                                   \
    X(ELINK, -12, "dangling_link", CW_PE_INVALID_PARAMS)                                           \
    X(EMANDATORY, -13, "mandatory_requirement", CW_PE_INVALID_PARAMS)                              \
    X(ECONFLICT, -14, "conflict", CW_PE_CONFLICT)                                                  \
    X(EFULL, -15, "storage_full", CW_PE_STORAGE_FULL)                                              \
    X(EMAPFULL, -16, "map_full", CW_PE_STORAGE_FULL)                                               \
    X(ESCHEMA, -17, "schema_mismatch", CW_PE_INTERNAL)                                             \
    X(ESTORAGE, -18, "storage_error", CW_PE_INTERNAL)                                              \
    X(ETOOBIG, -19, "too_large", CW_PE_TOO_LARGE)                                                  \
    X(ECORRUPT, -20, "corrupt_record", CW_PE_INTERNAL)                                             \
    /* raised by the server's dispatcher, never by the engine */                                   \
    X(EAUTH, -21, "auth_failed", CW_PE_UNAUTHENTICATED)                                            \
    X(EUNAUTH, -22, "unauthenticated", CW_PE_UNAUTHENTICATED)                                      \
    X(EFORBIDDEN, -23, "forbidden", CW_PE_FORBIDDEN)                                               \
    X(ENOMETHOD, -24, "unknown_method", CW_PE_METHOD_NOT_FOUND)                                    \
    X(EREQUEST, -25, "invalid_request", CW_PE_INVALID_REQUEST)                                     \
    X(EOVERLOAD, -26, "overloaded", CW_PE_OVERLOADED)                                              \
    X(EPARSE, -27, "parse_error", CW_PE_PARSE_ERROR)

enum {
    CW_OK = 0,
#define CW_X_ENUM(n, v, s, p) CW_##n = (v),
    CW_ERRNO_MAP(CW_X_ENUM)
#undef CW_X_ENUM
};

/* Room for one message; long values are truncated with "...". */
#define CW_ERR_MSG_MAX 320

typedef struct cw_err {
    int code;                 /* 0 or a CW_E* code */
    char msg[CW_ERR_MSG_MAX]; /* "field: what was wrong", no error name prefix */
} cw_err;

/* Stable snake_case name of a code ("unknown_framework"); "ok" for 0 and
 * "unknown_error" for anything outside the table.  Static storage. */
const char *cw_strerror(int code);

/* The protocol error (CW_PE_*) the code is answered with; CW_PE_INTERNAL
 * for anything outside the table. */
int cw_proto_code(int code);

/* Stable name of a protocol error code ("not_found"); "internal" for an
 * unknown one.  Static storage. */
const char *cw_proto_name(int proto_code);

/* Records code and a printf-style message in err (if err is non-NULL) and
 * returns code, so callers can write `return cw_err_set(err, CW_EINVAL, ...)`.
 * A message already present is kept when the new code is 0. */
int cw_err_set(cw_err *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Prepends "prefix" to err->msg (used to add "items[3]." to a field name). */
void cw_err_prefix(cw_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Clears err. */
void cw_err_clear(cw_err *err);

#endif
