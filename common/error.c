/* The error table's lookups and the helpers that fill a cw_err.  Messages are
 * formatted once, at the point where the offending field is known, so that a
 * client sees exactly which argument and value were wrong. */
#include "crosswalk/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *cw_strerror(int code)
{
    switch (code) {
    case CW_OK: return "ok";
#define CW_X_NAME(n, v, s, p)                                                                      \
    case CW_##n: return s;
        CW_ERRNO_MAP(CW_X_NAME)
#undef CW_X_NAME
    default: return "unknown_error";
    }
}

int cw_proto_code(int code)
{
    switch (code) {
#define CW_X_PROTO(n, v, s, p)                                                                     \
    case CW_##n: return p;
        CW_ERRNO_MAP(CW_X_PROTO)
#undef CW_X_PROTO
    default: return CW_PE_INTERNAL;
    }
}

const char *cw_proto_name(int proto_code)
{
    switch (proto_code) {
#define CW_X_PNAME(n, c, s, d)                                                                     \
    case CW_PE_##n: return s;
        CW_PROTO_ERRORS(CW_X_PNAME)
#undef CW_X_PNAME
    default: return "internal";
    }
}

int cw_err_set(cw_err *err, int code, const char *fmt, ...)
{
    if (!err)
        return code;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof err->msg)
        memcpy(err->msg + sizeof err->msg - 4, "...", 4);
    return code;
}

void cw_err_prefix(cw_err *err, const char *fmt, ...)
{
    if (!err)
        return;
    char pre[96];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t pl = strlen(pre), ml = strlen(err->msg);
    if (pl + ml + 1 > sizeof err->msg)
        ml = sizeof err->msg - pl - 1;
    memmove(err->msg + pl, err->msg, ml);
    memcpy(err->msg, pre, pl);
    err->msg[pl + ml] = '\0';
}

void cw_err_clear(cw_err *err)
{
    if (err) {
        err->code = 0;
        err->msg[0] = '\0';
    }
}
