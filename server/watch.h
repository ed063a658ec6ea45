/* The status feed (watch.c): subscriptions to an organisation's statuses
 * and control states, pushed as notifications on the subscriber's
 * connection, evaluated after commits and when time changes a state.
 * Loop thread only. */
#ifndef CW_WATCH_H
#define CW_WATCH_H

#include "crosswalk/changelog.h"
#include "crosswalk/error.h"
#include "crosswalk/model.h"
#include "crosswalk/time.h"

#include <stdbool.h>
#include <stdint.h>

struct cw_server;
struct cw_conn;

#define CW_WATCH_PER_CONN 16
#define CW_WATCH_FWS_MAX 64

typedef struct cw_watch_request {
    const char *org;
    bool all_frameworks; /* every framework (frameworks not given) */
    const char **frameworks;
    size_t n_frameworks;
    int64_t lag;   /* seconds the evaluation runs behind now */
    bool controls; /* control.changed events too */
    bool has_since;
    uint64_t since; /* the last event received before */
} cw_watch_request;

typedef struct cw_watch_reply {
    uint64_t subscription;
    uint64_t position; /* events after this one follow */
    bool resumed;      /* since was honoured: what was missed follows */
    bool lost;         /* since was given but is no longer in the journal */
    size_t n_frameworks;
    char frameworks[CW_WATCH_FWS_MAX][CW_MAX_SLUG + 1];
    cw_time until; /* the next time a state changes on its own */
} cw_watch_reply;

/* The frameworks rq names must exist (the caller checks them). */
int cw_watch_subscribe(struct cw_server *s, struct cw_conn *c, const cw_watch_request *rq,
                       cw_watch_reply *out, cw_err *err);
/* Ends subscription id of c, if it has one (*found says). */
void cw_watch_unsubscribe(struct cw_server *s, struct cw_conn *c, uint64_t id, bool *found);
/* A write committed (its log entry's info); cw_watch_flush evaluates the
 * groups the commits touched and sends the events. */
void cw_watch_committed(struct cw_server *s, const cw_change_info *ci, const char *method,
                        const char *actor);
void cw_watch_flush(struct cw_server *s);
/* c's output drained: send subscribers there what they are owed. */
void cw_watch_writable(struct cw_server *s, struct cw_conn *c);
void cw_watch_conn_closed(struct cw_server *s, struct cw_conn *c);

typedef struct cw_watch_counts {
    uint64_t groups, subscriptions, events, dropped;
} cw_watch_counts;
void cw_watch_counts_get(struct cw_server *s, cw_watch_counts *st);
void cw_watch_free(struct cw_server *s);

#endif
