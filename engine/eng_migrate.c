/*
 * eng_migrate.c - `ackbeat migrate`: one state copied into another (a
 * SQLite file into PostgreSQL, or back), for cli/, which never holds the
 * store (docs/layers).
 *
 * Both are opened here, which migrates each to this binary's schema
 * version first, as the copy needs.  A file source is locked as a daemon
 * locks it, so that the copy refuses to run under a live `ackbeat run`
 * (whose writes after the copy would be lost); the copy itself is
 * store_copy's (store/store_copy.c).
 */
#include "engine/eng.h"

#include <string.h>

#include "common/ab_mem.h"
#include "store/store.h"

/* A password for a URL, or NULL; messages name the URL without it. */
static enum ab_err open_side(const char *locator, const char *password, store **st,
                             ab_errmsg *em)
{
    return store_open_with(locator, store_is_url(locator) ? password : NULL, st, em);
}

enum ab_err eng_migrate(const char *from, const char *from_password, const char *to,
                        const char *to_password, eng_migrate_progress fn, void *ud,
                        ab_errmsg *em)
{
    if (strcmp(from, to) == 0)
        return ab_fail(em, AB_EINVAL, "--from and --to name the same state");
    store *src = NULL, *dst = NULL;
    enum ab_err e = open_side(from, from_password, &src, em);
    if (!e)
        e = store_lock_daemon(src, em);
    if (!e)
        e = open_side(to, to_password, &dst, em);
    if (!e)
        e = store_lock_daemon(dst, em);
    if (!e)
        e = store_copy(src, dst, fn, ud, em);
    if (dst)
        store_close(dst);
    if (src)
        store_close(src);
    return e;
}

char *eng_locator_display(const char *locator)
{
    return store_url_display(locator);
}
