/*
 * ab_notify.c - systemd's notification protocol (common/ab_notify.h).
 *
 * $NOTIFY_SOCKET is a filesystem path, or an abstract socket when it
 * starts with '@' (the '@' stands for the leading NUL byte).  Each call
 * opens a socket, sends one datagram and closes it: the daemon sends a
 * few a minute, and a socket kept open would need to follow a service
 * manager that re-execs itself.
 */
#include "common/ab_notify.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int ab_notify(const char *state)
{
    const char *path = getenv("NOTIFY_SOCKET");
    if (!path || !*path)
        return 0;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t len = strlen(path);
    if ((path[0] != '/' && path[0] != '@') || len >= sizeof sa.sun_path) {
        errno = EINVAL;
        return -1;
    }
    memcpy(sa.sun_path, path, len);
    if (path[0] == '@')
        sa.sun_path[0] = '\0';
    socklen_t salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
                                  (path[0] == '/')); /* a path's own NUL */
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    ssize_t n = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa, salen);
    int saved = errno;
    close(fd);
    errno = saved;
    return n < 0 ? -1 : 1;
}

int ab_notifyf(const char *fmt, ...)
{
    /* The daemon's own few lines (a STATUS= of counters), never text a
     * config can grow: cut, not lost, should one ever be longer. */
    char s[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(s, sizeof s, fmt, ap);
    va_end(ap);
    return n < 0 ? -1 : ab_notify(s);
}

int ab_notify_watchdog(uint64_t *usec)
{
    *usec = 0;
    const char *u = getenv("WATCHDOG_USEC"), *p = getenv("WATCHDOG_PID");
    /* Digits only: strtoull would take "-5" for a huge number. */
    if (!u || *u < '0' || *u > '9')
        return 0;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(u, &end, 10);
    if (errno || *end || v == 0)
        return 0;
    /* Set for another process (the environment was inherited). */
    if (p && *p) {
        long pid = strtol(p, &end, 10);
        if (*end || pid != (long)getpid())
            return 0;
    }
    *usec = (uint64_t)v;
    return 1;
}
