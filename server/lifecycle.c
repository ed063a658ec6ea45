/* What stands between crosswalkd and the machine it runs on.  A server
 * takes its data directory with an exclusive lock (flock on the directory
 * itself, so that taking it creates nothing) and writes its PID there for
 * the next one to name when it is refused; LMDB alone would let two
 * servers share one store without a word.  A Unix socket path is probed
 * before it is bound: a socket that still answers belongs to a live
 * server and is never unlinked, only a dead one is replaced.  A missing
 * data directory is an error unless --init, and even then it is made only
 * after every listener is bound, so a start that fails leaves nothing
 * behind.  Under systemd the sockets may come ready-made (socket
 * activation) and readiness and stopping are reported with sd_notify. */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#define PID_FILE "crosswalkd.pid"

int cw_life_passed(cw_server *s, cw_err *err)
{
    s->life.n_passed = 0;
    int n = sd_listen_fds(1);
    if (n < 0)
        return cw_err_set(err, CW_EINVAL, "socket activation: LISTEN_FDS: %s", strerror(-n));
    if (n > MAX_LISTEN)
        return cw_err_set(err, CW_EINVAL, "socket activation: %d sockets passed, at most %d", n,
                          MAX_LISTEN);
    for (int i = 0; i < n; i++) {
        int fd = SD_LISTEN_FDS_START + i;
        if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0)
            return cw_err_set(err, CW_EINVAL,
                              "socket activation: fd %d is not a listening stream socket "
                              "(crosswalkd serves ListenStream= sockets only)",
                              fd);
    }
    s->life.n_passed = n;
    return 0;
}

/* ---- the data directory ---- */

/* The PID the holder of the lock wrote, or 0 when it has not yet. */
static long holder_pid(int dir_fd)
{
    int fd = openat(dir_fd, PID_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return 0;
    char buf[32];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    long pid = strtol(buf, NULL, 10);
    return pid > 0 ? pid : 0;
}

/* Opens the data directory and takes its lock: the lock goes with the
 * open descriptor, kept until exit, so a killed server frees it at once. */
static int open_locked(cw_server *s, cw_err *err)
{
    const char *dir = s->cfg.data_dir;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT)
            return cw_err_set(err, CW_EINVAL,
                              "data: '%s' does not exist; check the path, or give --init to "
                              "create a new data directory there",
                              dir);
        if (e == ENOTDIR)
            return cw_err_set(err, CW_EINVAL, "data: '%s' is not a directory", dir);
        return cw_err_set(err, CW_EINVAL, "data: cannot open '%s': %s", dir, strerror(e));
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        long pid = e == EWOULDBLOCK ? holder_pid(fd) : 0;
        close(fd);
        if (e != EWOULDBLOCK)
            return cw_err_set(err, CW_EINVAL, "data: cannot lock '%s': %s", dir, strerror(e));
        if (pid)
            return cw_err_set(err, CW_EINVAL,
                              "data: '%s' is in use by another crosswalkd (PID %ld); stop it "
                              "first or give another --data",
                              dir, pid);
        return cw_err_set(err, CW_EINVAL,
                          "data: '%s' is in use by another crosswalkd (still starting: its PID "
                          "is not recorded yet); give another --data",
                          dir);
    }
    s->life.data_fd = fd;
    s->life.locked = true;
    return 0;
}

int cw_life_data_claim(cw_server *s, cw_err *err)
{
    const char *dir = s->cfg.data_dir;
    s->life.data_missing = false;
    struct stat st;
    if (s->cfg.init && stat(dir, &st) != 0 && errno == ENOENT) {
        /* --init makes the directory, never its parents: a mistyped
         * parent is as likely as a mistyped name. */
        char copy[4096];
        snprintf(copy, sizeof copy, "%s", dir);
        const char *parent = dirname(copy);
        if (stat(parent, &st) != 0 || !S_ISDIR(st.st_mode))
            return cw_err_set(err, CW_EINVAL,
                              "data: cannot create '%s': '%s' is not an existing directory "
                              "(--init makes the data directory itself, not its parents)",
                              dir, parent);
        s->life.data_missing = true;
        return 0;
    }
    return open_locked(s, err);
}

int cw_life_data_ready(cw_server *s, cw_err *err)
{
    const char *dir = s->cfg.data_dir;
    if (s->life.data_missing) {
        /* Another server given --init for the same path may win the
         * race to make it; the lock below decides which one runs. */
        if (mkdir(dir, 0700) != 0 && errno != EEXIST)
            return cw_err_set(err, CW_EINVAL, "data: cannot create '%s': %s", dir, strerror(errno));
        int rc = open_locked(s, err);
        if (rc)
            return rc;
        s->life.data_missing = false;
        cw_log(s, LOG_INFO, "data: created %s (--init)", dir);
    }
    int fd = openat(s->life.data_fd, PID_FILE,
                    O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0)
        return cw_err_set(err, CW_EINVAL, "data: cannot write '%s/%s': %s", dir, PID_FILE,
                          strerror(errno));
    char line[32];
    int n = snprintf(line, sizeof line, "%ld\n", (long)getpid());
    ssize_t w = write(fd, line, (size_t)n);
    int e = errno;
    close(fd);
    if (w != n)
        return cw_err_set(err, CW_EINVAL, "data: cannot write '%s/%s': %s", dir, PID_FILE,
                          w < 0 ? strerror(e) : "short write");
    s->life.pid_written = true;
    return 0;
}

void cw_life_data_release(cw_server *s)
{
    if (!s->life.locked)
        return;
    if (s->life.pid_written)
        unlinkat(s->life.data_fd, PID_FILE, 0);
    close(s->life.data_fd);
    s->life.locked = s->life.pid_written = false;
}

/* ---- Unix socket paths ---- */

int cw_life_unix_claim(const char *path, const char *addr, cw_err *err)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        if (errno == ENOENT)
            return 0;
        return cw_err_set(err, CW_EINVAL, "listen: %s: %s", addr, strerror(errno));
    }
    if (!S_ISSOCK(st.st_mode))
        return cw_err_set(err, CW_EINVAL, "listen: %s: '%s' exists and is not a socket", addr,
                          path);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path)
        return cw_err_set(err, CW_EINVAL, "listen: %s: the path is longer than %zu bytes", addr,
                          sizeof sa.sun_path - 1);
    memcpy(sa.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return cw_err_set(err, CW_EINVAL, "listen: %s: socket: %s", addr, strerror(errno));
    int rc = connect(fd, (struct sockaddr *)&sa, sizeof sa);
    int e = errno;
    struct ucred peer = {0};
    socklen_t len = sizeof peer;
    if (rc == 0)
        getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &len);
    close(fd);
    if (rc == 0 && peer.pid > 0)
        return cw_err_set(err, CW_EINVAL,
                          "listen: %s: a server (PID %ld) is listening there; stop it first or "
                          "choose another path",
                          addr, (long)peer.pid);
    if (rc == 0 || e == EAGAIN)
        return cw_err_set(err, CW_EINVAL,
                          "listen: %s: a server is listening there; stop it first or choose "
                          "another path",
                          addr);
    if (e != ECONNREFUSED)
        return cw_err_set(err, CW_EINVAL,
                          "listen: %s: cannot tell whether the socket is in use: %s", addr,
                          strerror(e));
    /* Nobody answers: the socket file of a server that is gone. */
    if (unlink(path) != 0 && errno != ENOENT)
        return cw_err_set(err, CW_EINVAL, "listen: %s: cannot remove the stale socket: %s", addr,
                          strerror(errno));
    return 0;
}

void cw_life_unix_bound(const char *path, cw_sockfile *f)
{
    struct stat st;
    f->dev = 0;
    f->ino = 0;
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
        f->dev = st.st_dev;
        f->ino = st.st_ino;
    }
}

void cw_life_unix_remove(const char *path, const cw_sockfile *f)
{
    struct stat st;
    if (f->ino && lstat(path, &st) == 0 && st.st_dev == f->dev && st.st_ino == f->ino)
        unlink(path);
}

/* ---- the service manager ---- */

void cw_life_notify(const cw_server *s, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int rc = sd_notify(0, msg);
    if (rc < 0)
        cw_log(s, LOG_WARN, "sd_notify: %s", strerror(-rc));
}
