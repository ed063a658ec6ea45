/* A stand-in for a full disk, preloaded into crosswalkd by test_bounds.py:
 * while the file named by CW_DISKFULL_FLAG exists, every write to a file
 * named data.mdb fails with ENOSPC, as it would on a filesystem with no
 * space left (or with EIO, as some filesystems report it, when
 * CW_DISKFULL_EIO is set).  Nothing else changes, so the test sees exactly what the
 * server does when a commit cannot be written. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static bool refused(int fd)
{
    const char *flag = getenv("CW_DISKFULL_FLAG");
    if (!flag || access(flag, F_OK) != 0)
        return false;
    char link[64], path[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n < 0)
        return false;
    path[n] = '\0';
    size_t len = (size_t)n;
    return len >= 8 && strcmp(path + len - 8, "data.mdb") == 0;
}

#define PASS(name, ret, params, args)                                                              \
    ret name params                                                                                \
    {                                                                                              \
        if (refused(fd)) {                                                                         \
            errno = getenv("CW_DISKFULL_EIO") ? EIO : ENOSPC;                                      \
            return -1;                                                                             \
        }                                                                                          \
        static ret(*real) params;                                                                  \
        if (!real)                                                                                 \
            *(void **)&real = dlsym(RTLD_NEXT, #name);                                             \
        return real args;                                                                          \
    }

PASS(write, ssize_t, (int fd, const void *buf, size_t n), (fd, buf, n))
PASS(pwrite, ssize_t, (int fd, const void *buf, size_t n, off_t off), (fd, buf, n, off))
PASS(pwrite64, ssize_t, (int fd, const void *buf, size_t n, off_t off), (fd, buf, n, off))
PASS(writev, ssize_t, (int fd, const struct iovec *iov, int cnt), (fd, iov, cnt))
PASS(pwritev, ssize_t, (int fd, const struct iovec *iov, int cnt, off_t off), (fd, iov, cnt, off))
