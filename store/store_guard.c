/*
 * store_guard.c - the state file itself: made private, watched, and held by one
 * daemon at a time.
 *
 * The database holds every reply token, so it is created 0600 (SQLite
 * gives its -wal and -shm files the database's mode) in a folder made
 * 0700 when ackbeat has to make it.  A daemon whose file is deleted or
 * replaced under it would go on writing into an unlinked inode and lose
 * everything at exit; store_check_file() notices (device and inode, each
 * tick).  Two daemons on one file would both send every notice;
 * store_lock_daemon() takes an advisory flock(2) on the file, which the
 * kernel drops when the process dies, so a crash leaves no stale lock.
 * flock and SQLite's own POSIX locks do not interact on Linux.
 */
#include "store/store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/ab_mem.h"

/* ":memory:" and URI names are not files we can guard. */
static int is_file(const char *path)
{
    return strcmp(path, ":memory:") != 0 && strncmp(path, "file:", 5) != 0 && *path;
}

/* mkdir -p of path's folder, each missing part 0700. */
static enum ab_err make_folder(const char *path, ab_errmsg *em)
{
    char *dir = ab_strdup(path);
    if (!dir)
        return ab_fail(em, AB_ENOMEM, "out of memory");
    char *slash = strrchr(dir, '/');
    enum ab_err e = AB_OK;
    if (slash && slash != dir) {
        *slash = '\0';
        struct stat sb;
        for (char *p = dir + 1; !e; p++) {
            int end = *p == '\0';
            if (*p != '/' && !end)
                continue;
            *p = '\0';
            if (stat(dir, &sb) != 0 && mkdir(dir, 0700) != 0 && errno != EEXIST)
                e = ab_fail(em, AB_ESTORE, "%s: cannot make the state database's "
                                           "folder: %s", dir, strerror(errno));
            if (end)
                break;
            *p = '/';
        }
    }
    ab_free(dir);
    return e;
}

enum ab_err store_file_prepare(const char *path, ab_errmsg *em)
{
    if (!is_file(path))
        return AB_OK;
    enum ab_err e = make_folder(path, em);
    if (e)
        return e;
    /* Made here, not by SQLite, so that it is 0600 whatever the umask. */
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0)
        close(fd);
    else if (errno != EEXIST)
        return ab_fail(em, AB_ESTORE, "%s: cannot create the state database: %s", path,
                       strerror(errno));
    return AB_OK;
}

enum ab_err store_file_remember(store *st, ab_errmsg *em)
{
    struct stat sb;
    if (!is_file(st->path))
        return AB_OK;
    if (stat(st->path, &sb) != 0)
        return ab_fail(em, AB_ESTORE, "%s: %s", st->path, strerror(errno));
    st->dev = sb.st_dev;
    st->ino = sb.st_ino;
    st->guarded = 1;
    return AB_OK;
}

enum ab_err store_check_file(store *st, ab_errmsg *em)
{
    struct stat sb;
    if (!st->guarded)
        return AB_OK;
    if (stat(st->path, &sb) != 0)
        return ab_fail(em, AB_ESTORE, "%s: the state database is gone (%s): it was "
                                      "deleted or moved while ackbeat was running; "
                                      "stopping rather than writing into a file "
                                      "nobody can open", st->path, strerror(errno));
    if (sb.st_dev != st->dev || sb.st_ino != st->ino)
        return ab_fail(em, AB_ESTORE, "%s: the state database was replaced by another "
                                      "file while ackbeat was running; stopping (a "
                                      "restart opens the new one)", st->path);
    return AB_OK;
}

enum ab_err store_lock_daemon(store *st, ab_errmsg *em)
{
    if (!st->guarded || st->lock_fd >= 0)
        return AB_OK;
    int fd = open(st->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ab_fail(em, AB_ESTORE, "%s: %s", st->path, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int err = errno;
        close(fd);
        if (err == EWOULDBLOCK)
            return ab_fail(em, AB_EBUSY, "%s: another `ackbeat run` is already using "
                                         "this state database; one daemon per "
                                         "database (stop the other first)", st->path);
        return ab_fail(em, AB_ESTORE, "%s: cannot lock: %s", st->path, strerror(err));
    }
    st->lock_fd = fd;
    return AB_OK;
}
