/* The process around the server (lifecycle.c): one crosswalkd per data
 * directory and per Unix socket path, the data directory made only on
 * request and only once every listener is bound, the sockets a service
 * manager passes (socket activation), and the readiness and stopping
 * messages it waits for (sd_notify).  main.c and conn.c call it; it calls
 * only log.c and libsystemd's sd-daemon functions, which do nothing when
 * the process was not started by systemd. */
#ifndef CW_SERVER_LIFECYCLE_H
#define CW_SERVER_LIFECYCLE_H

#include "crosswalk/error.h"

#include <stdbool.h>
#include <sys/types.h>

struct cw_server;

/* What lifecycle.c keeps in the server context. */
typedef struct cw_life {
    int data_fd; /* the data directory, open and locked, when locked */
    bool locked;
    bool data_missing; /* --init: to be created once every listener is bound */
    bool pid_written;  /* this process wrote the data directory's PID file */
    int n_passed;      /* listening sockets passed at fds 3.. (socket activation) */
} cw_life;

/* The file of a Unix socket this process bound, so that at stop it
 * removes that file and never one that has replaced it since. */
typedef struct cw_sockfile {
    dev_t dev;
    ino_t ino; /* 0: nothing of ours to remove (not bound here, or passed) */
} cw_sockfile;

/* Counts and checks the sockets passed by a service manager (LISTEN_FDS
 * for this process) into s->life.n_passed and removes the variables
 * from the environment.  Each must be a listening stream socket.
 * Returns 0 (also when none were passed) or CW_EINVAL naming the fd. */
int cw_life_passed(struct cw_server *s, cw_err *err);

/* Before any listener is bound: refuses a data directory that does not
 * exist unless --init (then remembers to create it), or that is not a
 * directory, and locks an existing one, refusing it when another process
 * holds it (naming that process's PID).  Creates nothing. */
int cw_life_data_claim(struct cw_server *s, cw_err *err);

/* Once every listener is bound: creates the data directory --init asked
 * for and locks it, then records this process's PID in it. */
int cw_life_data_ready(struct cw_server *s, cw_err *err);

/* At exit: removes the PID file this process wrote and drops the lock. */
void cw_life_data_release(struct cw_server *s);

/* Before binding a Unix socket at path: a live server there refuses the
 * bind (a connect succeeds); a stale socket file (connect refused) is
 * removed; anything else at path that is not a socket is left alone and
 * refused.  Returns 0 when path is free to bind, else CW_EINVAL with
 * addr (the --listen form) in the message. */
int cw_life_unix_claim(const char *path, const char *addr, cw_err *err);

/* Records which file a successful bind made at path. */
void cw_life_unix_bound(const char *path, cw_sockfile *f);

/* Removes path if it is still the file recorded in f. */
void cw_life_unix_remove(const char *path, const cw_sockfile *f);

/* Sends state to the service manager (sd_notify: "READY=1", "STOPPING=1",
 * "STATUS=..."), one assignment per line; nothing without NOTIFY_SOCKET. */
void cw_life_notify(const struct cw_server *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
