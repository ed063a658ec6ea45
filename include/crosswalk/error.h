/* Error codes shared by every layer of crosswalk.
 *
 * One X-macro table gives each engine error a number, a stable name and the
 * protocol error it surfaces as, so the engine, the server and the tools can
 * never disagree about what a code means.  Engine functions return 0 or a
 * negative CW_E* code and, when given a cw_err, fill it with a message that
 * names the offending field and value. */
#ifndef CROSSWALK_ERROR_H
#define CROSSWALK_ERROR_H

#include <stddef.h>

/* X(name, number, stable name, protocol error name) */
#define CW_ERRNO_MAP(X)                                                       \
    X(EINVAL, -1, "invalid_argument", "invalid_params")                       \
    X(ENOMEM, -2, "out_of_memory", "internal")                                \
    X(ENOFW, -3, "unknown_framework", "not_found")                            \
    X(ENOREQ, -4, "unknown_requirement", "not_found")                         \
    X(ENOORG, -5, "unknown_org", "not_found")                                 \
    X(ENOCTL, -6, "unknown_control", "not_found")                             \
    X(ENOEV, -7, "unknown_evidence", "not_found")                             \
    X(ENOENT, -8, "not_found", "not_found")                                   \
    X(EREL, -9, "bad_relationship", "invalid_params")                         \
    X(ERANGE, -10, "out_of_range", "invalid_params")                          \
    X(EDANGLING, -11, "dangling_endpoint", "invalid_params")                  \
    X(ELINK, -12, "dangling_link", "invalid_params")                          \
    X(EMANDATORY, -13, "mandatory_requirement", "invalid_params")             \
    X(ECONFLICT, -14, "conflict", "conflict")                                 \
    X(EFULL, -15, "storage_full", "storage_full")                             \
    X(EMAPFULL, -16, "map_full", "storage_full")                              \
    X(ESCHEMA, -17, "schema_mismatch", "internal")                            \
    X(ESTORAGE, -18, "storage_error", "internal")                             \
    X(ETOOBIG, -19, "too_large", "too_large")                                 \
    X(ECORRUPT, -20, "corrupt_record", "internal")

enum {
    CW_OK = 0,
#define CW_X_ENUM(n, v, s, p) CW_##n = (v),
    CW_ERRNO_MAP(CW_X_ENUM)
#undef CW_X_ENUM
};

/* Room for one message; long values are truncated with "...". */
#define CW_ERR_MSG_MAX 320

typedef struct cw_err {
    int code;                  /* 0 or a CW_E* code */
    char msg[CW_ERR_MSG_MAX];  /* "field: what was wrong", no error name prefix */
} cw_err;

/* Stable snake_case name of a code ("unknown_framework"); "ok" for 0 and
 * "unknown_error" for anything outside the table.  Static storage. */
const char *cw_strerror(int code);

/* Name of the protocol error the code is answered with ("not_found"). */
const char *cw_protocol_error(int code);

/* Records code and a printf-style message in err (if err is non-NULL) and
 * returns code, so callers can write `return cw_err_set(err, CW_EINVAL, ...)`.
 * A message already present is kept when the new code is 0. */
int cw_err_set(cw_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepends "prefix" to err->msg (used to add "items[3]." to a field name). */
void cw_err_prefix(cw_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Clears err. */
void cw_err_clear(cw_err *err);

#endif
