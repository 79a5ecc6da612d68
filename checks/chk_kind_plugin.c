/*
 * chk_kind_plugin.c - loadable check plugins (checks/plugin.h): seed 002's
 * HeartbeatAssembly in C.
 *
 * Each run has a child process that dlopen()s the plugin, checks its ABI
 * symbol and version, calls invoke(), and sends the items back over a
 * pipe; the parent only parses.  A plugin that segfaults, hangs, exits or
 * scribbles over memory hurts the child alone, and a timeout kills the
 * child's process group.  The child is a fork of the caller, or, once
 * chk_plugin_host_set() named an executable, a fresh `EXE plugin-host`
 * process: dlopen in a forked copy of a threaded process (the daemon runs
 * a web server thread) could deadlock on a lock another thread held.
 *
 * The pipe carries simple frames, each a header line and raw bytes:
 *   I <abi> <nlen> <llen> <vlen>\n NAME LABEL VERSION   plugin identified
 *   R <status> <has> <value %a> <ilen> <mlen>\n ITEM MSG one item
 *   E <ab_err> <len>\n TEXT                            the host failed
 *   D <rc>\n                                           invoke returned rc
 * Lengths are bytes; items and messages are capped in the child.
 */
#include "checks/chk_int.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checks/plugin.h"
#include "common/ab_mem.h"

#define PL_MAX_ITEM 256
#define PL_MAX_MSG 4096
#define PL_MAX_ITEMS 1000
#define PL_OUT_CAP (1 << 20)
#define PL_PROBE_TIMEOUT 10

struct pl_arg {
    const char *path;
    const char *arg;
    int probe;
};

/* ---- child side ------------------------------------------------------ */

static void pl_write(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            _exit(120); /* the parent is gone */
        c += w;
        n -= (size_t)w;
    }
}

static size_t cap_len(const char *s, size_t max)
{
    return s ? strnlen(s, max) : 0;
}

static void pl_report(void *rctx, const struct ackbeat_item *it)
{
    int fd = *(int *)rctx;
    char hdr[128];
    if (!it)
        return;
    size_t il = cap_len(it->item, PL_MAX_ITEM), ml = cap_len(it->message, PL_MAX_MSG);
    int n = snprintf(hdr, sizeof hdr, "R %d %d %a %zu %zu\n", it->status,
                     it->has_value ? 1 : 0, it->has_value ? it->value : 0.0, il, ml);
    pl_write(fd, hdr, (size_t)n);
    pl_write(fd, it->item ? it->item : "", il);
    pl_write(fd, it->message ? it->message : "", ml);
}

static _Noreturn void pl_die(int fd, enum ab_err code, const char *fmt, ...)
{
    char text[1024], hdr[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    int n = snprintf(hdr, sizeof hdr, "E %d %zu\n", (int)code, strlen(text));
    pl_write(fd, hdr, (size_t)n);
    pl_write(fd, text, strlen(text));
    _exit(3);
}

static void pl_child(void *argp, int fd)
{
    const struct pl_arg *a = argp;
    char hdr[128];
    void *h = dlopen(a->path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        pl_die(fd, AB_EINVAL, "cannot load: %s", dlerror());
        return; /* not reached: pl_die leaves (for readers and cppcheck) */
    }
    const struct ackbeat_plugin *pl = dlsym(h, ACKBEAT_PLUGIN_SYMBOL);
    if (!pl) {
        pl_die(fd, AB_EINVAL, "no symbol %s: not an ackbeat plugin",
               ACKBEAT_PLUGIN_SYMBOL);
        return;
    }
    if (pl->abi != ACKBEAT_PLUGIN_ABI)
        pl_die(fd, AB_EVERSION, "plugin ABI version %d, but ackbeat supports %d",
               pl->abi, ACKBEAT_PLUGIN_ABI);
    size_t nl = cap_len(pl->name, PL_MAX_ITEM), ll = cap_len(pl->label, PL_MAX_ITEM),
           vl = cap_len(pl->version, PL_MAX_ITEM);
    int n = snprintf(hdr, sizeof hdr, "I %d %zu %zu %zu\n", pl->abi, nl, ll, vl);
    pl_write(fd, hdr, (size_t)n);
    pl_write(fd, pl->name ? pl->name : "", nl);
    pl_write(fd, pl->label ? pl->label : "", ll);
    pl_write(fd, pl->version ? pl->version : "", vl);
    int rc = 0;
    if (!a->probe) {
        if (!pl->invoke)
            pl_die(fd, AB_EINVAL, "the plugin has no invoke function");
        rc = pl->invoke(a->arg, pl_report, &fd);
    }
    n = snprintf(hdr, sizeof hdr, "D %d\n", rc);
    pl_write(fd, hdr, (size_t)n);
    _exit(0);
}

/* ---- parent side ----------------------------------------------------- */

struct pl_info {
    int identified, done, rc;
    int err_code;
    char err[1024];
    char name[PL_MAX_ITEM + 1], label[PL_MAX_ITEM + 1];
    int abi;
};

/* Take n bytes at *p (bounded by end) as a string into dst (cap dlen). */
static int take(const char **p, const char *end, size_t n, char *dst, size_t dlen)
{
    if ((size_t)(end - *p) < n)
        return 0;
    if (dst) {
        size_t k = n < dlen - 1 ? n : dlen - 1;
        memcpy(dst, *p, k);
        dst[k] = '\0';
    }
    *p += n;
    return 1;
}

/* Parse the frames in buf; items go to out (unless out is NULL).
 * Returns 0 when the stream is garbled. */
static int pl_parse(const char *buf, size_t len, struct pl_info *info,
                    struct chk_res *out, enum ab_err *e)
{
    const char *p = buf, *end = buf + len;
    size_t nitems = 0;
    *e = AB_OK;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl || nl - p > 120)
            return 0;
        char hdr[128];
        memcpy(hdr, p, (size_t)(nl - p));
        hdr[nl - p] = '\0';
        p = nl + 1;
        if (hdr[0] == 'I') {
            size_t a, b, c;
            char ver[PL_MAX_ITEM + 1];
            if (sscanf(hdr, "I %d %zu %zu %zu", &info->abi, &a, &b, &c) != 4 ||
                !take(&p, end, a, info->name, sizeof info->name) ||
                !take(&p, end, b, info->label, sizeof info->label) ||
                !take(&p, end, c, ver, sizeof ver))
                return 0;
            info->identified = 1;
        } else if (hdr[0] == 'R') {
            int status, has;
            double value;
            size_t il, ml;
            char item[PL_MAX_ITEM + 1], msg[PL_MAX_MSG + 1];
            if (sscanf(hdr, "R %d %d %la %zu %zu", &status, &has, &value, &il, &ml) != 5 ||
                il > PL_MAX_ITEM || ml > PL_MAX_MSG || !take(&p, end, il, item, sizeof item) ||
                !take(&p, end, ml, msg, sizeof msg))
                return 0;
            if (!out || ++nitems > PL_MAX_ITEMS)
                continue;
            if (status < ACKBEAT_HEALTHY || status > ACKBEAT_OFFLINE)
                *e = chk_res_add(out, item, AB_OFFLINE, 0, 0, NULL,
                                 "the plugin reported an invalid status %d", status);
            else /* a NaN or infinite value is no value */
                *e = chk_res_add(out, item, (enum ab_status)status,
                                 has != 0 && isfinite(value), value, NULL, "%s", msg);
            if (*e)
                return 1;
        } else if (hdr[0] == 'E') {
            size_t n;
            if (sscanf(hdr, "E %d %zu", &info->err_code, &n) != 2 ||
                !take(&p, end, n, info->err, sizeof info->err))
                return 0;
        } else if (hdr[0] == 'D') {
            if (sscanf(hdr, "D %d", &info->rc) != 1)
                return 0;
            info->done = 1;
        } else {
            return 0;
        }
    }
    /* Items past the cap are dropped, but not in silence: the check says
     * how many there were, as an item of its own. */
    if (out && nitems > PL_MAX_ITEMS && !*e)
        *e = chk_res_add(out, "~more-items", AB_DEGRADED, 0, 0, NULL,
                         "the plugin reported %zu items; only the first %d are kept",
                         nitems, PL_MAX_ITEMS);
    return 1;
}

static int pl_timeout(const struct cfg_check *c)
{
    return c->timeout > 0 ? (int)c->timeout : CHK_DEFAULT_PROC_TIMEOUT;
}

/* Run the child; on AB_OK r and info describe what happened. */
static char host_exe[4096];

void chk_plugin_host_set(const char *exe)
{
    snprintf(host_exe, sizeof host_exe, "%s", exe ? exe : "");
}

_Noreturn void chk_plugin_host_main(const char *path, const char *arg, int probe)
{
    /* The frames go to the original stdout; whatever the plugin itself
     * prints must not corrupt them, so its stdout and stderr are null. */
    int fd = dup(1);
    int null = open("/dev/null", O_RDWR);
    if (fd < 0 || null < 0)
        _exit(3);
    dup2(null, 1);
    dup2(null, 2);
    struct pl_arg a = {path, arg, probe};
    pl_child(&a, fd);
    _exit(0); /* pl_child does not return */
}

static enum ab_err pl_exec(const char *path, const char *arg, int probe, int timeout_s,
                           struct chk_proc_res *r, ab_errmsg *em)
{
    struct pl_arg a = {path, arg, probe};
    struct chk_proc_spec spec = {0};
    const char *argv[] = {host_exe, "plugin-host", probe ? "--probe" : "--run", path,
                          arg ? arg : "", NULL};
    if (host_exe[0]) {
        spec.argv = argv;
    } else {
        spec.child_fn = pl_child;
        spec.child_arg = &a;
    }
    spec.timeout_s = timeout_s;
    spec.out_cap = PL_OUT_CAP;
    return chk_proc_run(&spec, r, em);
}

static enum ab_err pl_run(chk_ctx *ctx, const struct cfg_check *c, ab_time now,
                          struct chk_res *out, ab_errmsg *em)
{
    struct chk_proc_res r;
    struct pl_info info;
    struct stat sb;
    char how[128];
    const char *name = c->name ? c->name : "?";
    (void)ctx;
    (void)now;
    if (!c->plugin_file || !*c->plugin_file)
        return ab_fail(em, AB_EINVAL, "a plugin check needs a plugin file");
    if (stat(c->plugin_file, &sb) != 0)
        return chk_res_add(out, "", AB_OFFLINE, 0, 0, NULL,
                           "check '%s': plugin %s: %s", name, c->plugin_file,
                           strerror(errno));
    int timeout = pl_timeout(c);
    enum ab_err e = pl_exec(c->plugin_file, c->plugin_arg, 0, timeout, &r, em);
    if (e)
        return e;
    memset(&info, 0, sizeof info);
    struct chk_res items = {0};
    int parsed = pl_parse(r.out, r.outlen, &info, &items, &e);
    chk_proc_describe(&r, timeout, how, sizeof how);
    if (e)
        goto out;
    if (r.end == CHK_PROC_TIMEOUT || r.end == CHK_PROC_SIGNALED ||
        r.end == CHK_PROC_NOSTART) {
        e = chk_res_add(out, "", AB_OFFLINE, 0, 0, NULL, "check '%s': plugin %s %s%s",
                        name, c->plugin_file,
                        r.end == CHK_PROC_SIGNALED ? "crashed: " : "", how);
    } else if (info.err[0]) {
        e = chk_res_add(out, "", AB_OFFLINE, 0, 0, NULL, "check '%s': plugin %s: %s",
                        name, c->plugin_file, info.err);
    } else if (!parsed) {
        e = chk_res_add(out, "", AB_OFFLINE, 0, 0, NULL,
                        "check '%s': plugin %s: garbled results", name, c->plugin_file);
    } else if (!info.done) {
        e = chk_res_add(out, "", AB_OFFLINE, 0, 0, NULL,
                        "check '%s': plugin %s ended (%s) before invoke() returned",
                        name, c->plugin_file, how);
    } else {
        /* Keep what it reported; a failed invoke() adds an Offline item. */
        out->v = items.v;
        out->n = items.n;
        out->cap = items.cap;
        memset(&items, 0, sizeof items);
        if (info.rc != 0)
            e = chk_res_add(out, "", AB_OFFLINE, 0, 0, NULL,
                            "check '%s': plugin %s: invoke() returned %d", name,
                            c->plugin_file, info.rc);
        else if (out->n == 0)
            e = chk_res_add(out, "", AB_OFFLINE, 0, 0, NULL,
                            "check '%s': plugin %s reported no results", name,
                            c->plugin_file);
    }
out:
    chk_res_free(&items);
    chk_proc_res_free(&r);
    return e;
}

enum ab_err chk_plugin_probe(const char *path, ab_errmsg *em)
{
    struct chk_proc_res r;
    struct pl_info info;
    struct stat sb;
    char how[128];
    if (!path || !*path)
        return ab_fail(em, AB_EINVAL, "no plugin file given");
    if (stat(path, &sb) != 0)
        return ab_fail(em, errno == ENOENT ? AB_ENOTFOUND : AB_EIO, "plugin %s: %s",
                       path, strerror(errno));
    enum ab_err e = pl_exec(path, NULL, 1, PL_PROBE_TIMEOUT, &r, em);
    if (e)
        return e;
    memset(&info, 0, sizeof info);
    int parsed = pl_parse(r.out, r.outlen, &info, NULL, &e);
    chk_proc_describe(&r, PL_PROBE_TIMEOUT, how, sizeof how);
    if (r.end == CHK_PROC_TIMEOUT)
        e = ab_fail(em, AB_ETIMEOUT, "plugin %s: loading it %s", path, how);
    else if (r.end != CHK_PROC_EXITED)
        e = ab_fail(em, AB_ECHILD, "plugin %s: loading it failed: %s", path, how);
    else if (info.err[0])
        e = ab_fail(em, info.err_code ? (enum ab_err)info.err_code : AB_EINVAL,
                    "plugin %s: %s", path, info.err);
    else if (!parsed || !info.identified || !info.done)
        e = ab_fail(em, AB_ECHILD, "plugin %s: loading it failed (%s)", path, how);
    else
        e = ab_fail(em, AB_OK, "%s (%s), ABI %d", info.name, info.label, info.abi);
    chk_proc_res_free(&r);
    return e;
}

static enum ab_err pl_validate(chk_ctx *ctx, const struct cfg_check *c, ab_errmsg *em)
{
    (void)ctx;
    if (!c->plugin_file || !*c->plugin_file)
        return ab_fail(em, AB_EINVAL, "a plugin check needs a plugin file");
    return chk_plugin_probe(c->plugin_file, em);
}

const struct chk_kind chk_kind_plugin = {
    .kind = CFG_PLUGIN,
    .run = pl_run,
    .validate = pl_validate,
};
