/*
 * ab_fs.c - making Maildir folders (see ab_fs.h).
 */
#include "common/ab_fs.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static enum ab_err mkdir_one(const char *path, ab_errmsg *em)
{
    if (mkdir(path, 0700) == 0 || errno == EEXIST) {
        struct stat sb;
        if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
            return AB_OK;
        return ab_fail(em, AB_ECONFIG, "maildir %s: exists and is not a directory", path);
    }
    return ab_fail(em, AB_EIO, "maildir: cannot create %s: %s", path, strerror(errno));
}

enum ab_err ab_maildir_make(const char *path, ab_errmsg *em)
{
    char p[4096];
    if ((size_t)snprintf(p, sizeof p, "%s", path) >= sizeof p - 4)
        return ab_fail(em, AB_EINVAL, "maildir %.60s...: path too long", path);
    for (char *slash = strchr(p + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
        *slash = 0;
        struct stat sb;
        if (stat(p, &sb) != 0 && mkdir(p, 0700) != 0 && errno != EEXIST) {
            *slash = '/';
            return ab_fail(em, AB_EIO, "maildir: cannot create %s: %s", p, strerror(errno));
        }
        *slash = '/';
    }
    enum ab_err e = mkdir_one(path, em);
    static const char *const sub[] = {"tmp", "new", "cur"};
    for (size_t i = 0; !e && i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", path, sub[i]);
        e = mkdir_one(p, em);
    }
    return e;
}
