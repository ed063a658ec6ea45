/* msgpack-RPC protocol constants shared by crosswalkd and its clients:
 * message types, the stable error codes every answer uses, and default
 * limits.  The numbers never change once published (server/PROTOCOL.md). */
#ifndef CROSSWALK_PROTOCOL_H
#define CROSSWALK_PROTOCOL_H

#define CW_MSG_REQUEST 0
#define CW_MSG_RESPONSE 1
#define CW_MSG_NOTIFY 2

/* X(NAME, code, "stable_name", "what it means") */
#define CW_PROTO_ERRORS(X)                                                                         \
    X(PARSE_ERROR, 1, "parse_error", "the bytes are not valid msgpack; connection closed")         \
    X(INVALID_REQUEST, 2, "invalid_request", "valid msgpack but not a msgpack-RPC message")        \
    X(METHOD_NOT_FOUND, 3, "method_not_found", "no method of that name")                           \
    X(INVALID_PARAMS, 4, "invalid_params", "an argument is missing or wrong; names it")            \
    X(NOT_FOUND, 5, "not_found", "the framework, requirement, org or item does not exist")         \
    X(CONFLICT, 6, "conflict", "the request contradicts itself or the stored data")                \
    X(UNAUTHENTICATED, 7, "unauthenticated", "no valid token on this connection")                  \
    X(FORBIDDEN, 8, "forbidden", "the token's role or organisation does not allow it")             \
    X(TOO_LARGE, 9, "too_large", "message, string, count or nesting beyond the limits")            \
    X(OVERLOADED, 10, "overloaded", "too many connections or queued requests")                     \
    X(STORAGE_FULL, 11, "storage_full", "the store reached its size cap")                          \
    X(INTERNAL, 12, "internal", "an unexpected server-side failure")

enum {
#define CW_X_PROTO_ENUM(n, c, s, d) CW_PE_##n = (c),
    CW_PROTO_ERRORS(CW_X_PROTO_ENUM)
#undef CW_X_PROTO_ENUM
};

#define CW_DEFAULT_PORT 7787
#define CW_DEFAULT_MAX_MESSAGE (16u << 20)
#define CW_DEFAULT_MAX_DEPTH 32
#define CW_DEFAULT_MAX_CONNECTIONS 4096
#define CW_DEFAULT_MAX_OUTPUT (64u << 20)
#define CW_DEFAULT_MAX_WRITE_QUEUE (256u << 20)
#define CW_DEFAULT_MAX_MEMORY (1u << 30)
#define CW_DEFAULT_AUTH_TIMEOUT 10
/* msgpack-c decodes with a fixed stack of this many nested containers. */
#define CW_MAX_DEPTH_LIMIT 32
/* The largest message a connection may send before it has authenticated. */
#define CW_PREAUTH_MAX_MESSAGE (64u << 10)

#endif
