/*
 * ab_dl.c - the loader behind common/ab_dl.h: dlopen by SONAME, dlsym of
 * each name into the library's table, once per process.
 */
#include "common/ab_dl.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ab_log.h"

/* pthread_once takes no argument: the library being loaded is passed in
 * this thread-local while its once-routine runs. */
static _Thread_local struct ab_dl_lib *loading;

static void load_once(void)
{
    struct ab_dl_lib *l = loading;
    /* RTLD_NOW: a missing symbol is found here, not at some later call;
     * RTLD_LOCAL: its names stay out of the way of plugins'. */
    void *h = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        snprintf(l->why, sizeof l->why, "cannot load %s (%s); install %s", l->soname,
                 e ? e : "not found", l->package);
        return;
    }
    for (size_t i = 0; i < l->n; i++) {
        dlerror();
        void *p = dlsym(h, l->names[i]);
        if (!p) {
            const char *e = dlerror();
            snprintf(l->why, sizeof l->why, "%s has no %s (%s); install %s", l->soname,
                     l->names[i], e ? e : "not found", l->package);
            return; /* the handle stays: dlclose of a half-used library helps nobody */
        }
        l->slots[i] = p;
    }
    __atomic_store_n(&l->ok, 1, __ATOMIC_RELEASE);
}

enum ab_err ab_dl_load(struct ab_dl_lib *l, ab_errmsg *em)
{
    loading = l;
    pthread_once(&l->once, load_once);
    loading = NULL;
    return l->ok ? AB_OK : ab_fail(em, AB_EIO, "%s", l->why);
}

void ab_dl_need(struct ab_dl_lib *l)
{
    /* Every call of the library passes here: one load, no lock. */
    if (__atomic_load_n(&l->ok, __ATOMIC_ACQUIRE))
        return;
    if (ab_dl_load(l, NULL) == AB_OK)
        return;
    ab_log(AB_LOG_ERROR, "%s", l->why);
    fprintf(stderr, "ackbeat: %s\n", l->why);
    exit(69);
}
