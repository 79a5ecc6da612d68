/*
 * web.c - building a server for a config (its own store, engine, pages,
 * secrets), freeing it, and web_apply(): what the daemon calls at start
 * and after each reload so that the server always runs on a model that
 * is alive.  A reload whose <web> cannot serve (a port in use, a token
 * file that cannot be read) leaves the previous server serving on the
 * previous model: a typo in a reload must not take the pages, pings and
 * API away until the next restart.
 */
#include "web/web_int.h"

#include <crypt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/ab_log.h"
#include "common/ab_mem.h"

/* Every page the server renders; all must compile at start-up, so that
 * a broken template is a start-up error, not a 500 on first visit. */
static const char *const pages[] = {"status", "alerts", "check", "error"};

static int is_dir(const char *p)
{
    struct stat sb;
    return p && stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* The page folder: given, installed, or beside the default templates in
 * a source tree (templates/default -> web/pages). */
static const char *find_pages(const struct web_opts *o, char *buf, size_t len)
{
    if (o->pages_dir)
        return o->pages_dir;
    if (is_dir(AB_DATADIR "/web/pages"))
        return AB_DATADIR "/web/pages";
    if (o->template_dir) {
        snprintf(buf, len, "%s/../../web/pages", o->template_dir);
        if (is_dir(buf))
            return buf;
    }
    return NULL;
}

static enum ab_err open_pages(web *w, ab_errmsg *em)
{
    char found[PATH_MAX], user[PATH_MAX];
    const char *dirs[2];
    size_t n = 0;
    const char *tdir = cfg_global(w->c)->templates_dir;
    if (tdir) {
        snprintf(user, sizeof user, "%s/web", tdir);
        if (is_dir(user))
            dirs[n++] = user;
    }
    const char *pdir = find_pages(&w->o, found, sizeof found);
    if (!pdir)
        return ab_fail(em, AB_ECONFIG, "web: cannot find the page templates (web/pages); "
                                       "install them or set the pages folder");
    dirs[n++] = pdir;
    enum ab_err e = tpl_set_new(dirs, n, &w->pages, em);
    for (size_t i = 0; !e && i < sizeof pages / sizeof pages[0]; i++) {
        const tpl *t;
        e = tpl_set_get(w->pages, pages[i], "html", NULL, NULL, &t, em);
    }
    struct tpl_set_scope scope = {.set = w->pages};
    const tpl *t;
    if (!e)
        e = tpl_set_load_partial(&scope, "layout", &t, em);
    if (e)
        ab_failctx(em, e, "web pages");
    return e;
}

static enum ab_err read_secrets(web *w, ab_errmsg *em)
{
    const struct cfg_web *cw = &cfg_global(w->c)->web;
    enum ab_err e = cfg_secret_read(&cw->token, &w->token, em);
    if (e)
        return e;
    /* An empty or short token would be guessable: refuse to start. */
    if (w->token && strlen(w->token) < 16)
        return ab_fail(em, AB_ECONFIG, "web: the token must be at least 16 characters");
    if (!cw->user)
        return AB_OK;
    if ((e = cfg_secret_read(&cw->password_hash, &w->pw_hash, em)))
        return e;
    if (!w->pw_hash)
        return ab_fail(em, AB_ECONFIG, "web: user=%s has no password hash", cw->user);
    /* A hash crypt(3) cannot use would lock everyone out silently. */
    struct crypt_data *cd = ab_calloc(1, sizeof *cd);
    if (!cd)
        return ab_fail(em, AB_ENOMEM, "out of memory");
    const char *h = crypt_r("probe", w->pw_hash, cd);
    int ok = h && h[0] != '*' && w->pw_hash[0] == '$';
    ab_free(cd);
    if (!ok)
        return ab_fail(em, AB_ECONFIG, "web: the password hash is not a crypt(3) hash "
                                       "(make one with: mkpasswd -m yescrypt)");
    return AB_OK;
}

enum ab_err web_new(const cfg *c, const struct web_opts *opts, web **out, ab_errmsg *em)
{
    *out = NULL;
    if (!opts || !opts->now)
        return ab_fail(em, AB_EINVAL, "web: no clock given");
    web *w = ab_calloc(1, sizeof *w);
    if (!w)
        return ab_fail(em, AB_ENOMEM, "out of memory");
    w->o = *opts;
    w->c = c;
    w->listen_fd = -1;
    enum ab_err e = AB_OK;
    if (getrandom(w->key, sizeof w->key, 0) != (ssize_t)sizeof w->key) {
        e = ab_fail(em, AB_EIO, "web: no randomness from the OS");
        goto out;
    }
    if ((e = read_secrets(w, em)))
        goto out;
    /* Our own engine on our own connection to the state file. */
    if ((e = eng_open(c, opts->template_dir, 0, &w->e, em)))
        goto out;
    /* One drainer per outbox: the daemon.  We queue and wake it. */
    eng_set_send(w->e, 0);
    if (opts->started)
        eng_set_started(w->e, opts->started);
    if ((e = web_live_open(w, em)))
        goto out;
    if ((e = open_pages(w, em)))
        goto out;
    *out = w;
    return AB_OK;
out:
    web_free(w);
    return e;
}

static void wipe_free(char *s)
{
    if (s)
        explicit_bzero(s, strlen(s));
    ab_free(s);
}

void web_free(web *w)
{
    if (!w)
        return;
    web_server_stop(w, 0);
    if (w->listen_fd >= 0)
        close(w->listen_fd);
    web_live_close(w); /* before the engine it reads */
    web_tokens_free(w->tokens);
    eng_free(w->e);    /* and the state it opened */
    tpl_set_free(w->pages);
    wipe_free(w->token);
    wipe_free(w->pw_hash);
    explicit_bzero(w->key, sizeof w->key);
    ab_free(w);
}

/* Serve old's config again after a reload failed; fd: the listening
 * socket taken back from it, or -1 to bind its address afresh.  0 when it
 * serves. */
static int restart_old(web *old, int fd)
{
    ab_errmsg em = {{0}};
    old->listen_fd = fd;
    if (web_listen(old, &em) == AB_OK)
        return 0;
    if (fd >= 0) {
        /* The socket may be gone with the failed start: bind again. */
        old->listen_fd = -1;
        if (web_listen(old, &em) == AB_OK)
            return 0;
    }
    ab_log(AB_LOG_ERROR, "web: the previous server cannot serve again either: %s",
           em.text);
    return -1;
}

/* Does "ADDR:PORT" name port? */
static int same_port(const char *listen, unsigned port)
{
    const char *colon = strrchr(listen, ':');
    char *end;
    unsigned long p = colon ? strtoul(colon + 1, &end, 10) : 0;
    return colon && *end == '\0' && p == port;
}

/*
 * Move serving from old to nw (both built).  On failure em says why nw
 * cannot serve and old serves on as before (*old_lost 0), or, when even
 * that failed, nothing serves (*old_lost 1).
 */
static enum ab_err take_over(web *old, web *nw, int *old_lost, ab_errmsg *em)
{
    *old_lost = 0;
    enum ab_err e;
    if (strcmp(web_listen_addr(old), web_listen_addr(nw)) == 0) {
        /* The same address: hand the socket over, so that no connection
         * is refused in between. */
        nw->listen_fd = web_server_stop(old, 1);
        if ((e = web_listen(nw, em)) == AB_OK)
            return AB_OK;
        int fd = nw->listen_fd;
        nw->listen_fd = -1;
        *old_lost = restart_old(old, fd) != 0;
        return e;
    }
    /* Another address: bind it while the old one still serves, so that a
     * port in use leaves the old server as it was. */
    if ((e = web_listen(nw, em)) == AB_OK)
        return AB_OK;
    /* The new address may overlap the old one on the same port (*:8025
     * after 127.0.0.1:8025): once more with the old one stopped.  Any
     * other port is taken by someone else: the old one serves on. */
    if (!same_port(web_listen_addr(nw), web_port(old)))
        return e;
    web_server_stop(old, 0);
    ab_errmsg again = {{0}};
    if (web_listen(nw, &again) == AB_OK)
        return AB_OK;
    *old_lost = restart_old(old, -1) != 0;
    return e;
}

enum ab_err web_apply(web **wp, const cfg *c, const struct web_opts *opts, ab_errmsg *em)
{
    web *old = *wp;
    if (!cfg_global(c)->web.enabled) {
        web_free(old);
        *wp = NULL;
        return AB_OK;
    }
    /* Build the new one first, while the old one serves on: a token file
     * that cannot be read, a page that does not compile or a state file
     * that does not open leaves the old server serving. */
    web *nw = NULL;
    enum ab_err e = web_new(c, opts, &nw, em);
    if (e)
        return e;
    if (!old) {
        if ((e = web_listen(nw, em))) {
            web_free(nw);
            return e;
        }
        *wp = nw;
        return AB_OK;
    }
    /* Forms rendered before the reload stay valid. */
    memcpy(nw->key, old->key, sizeof nw->key);
    int old_lost;
    if ((e = take_over(old, nw, &old_lost, em))) {
        web_free(nw);
        if (old_lost) {
            web_free(old);
            *wp = NULL;
        }
        return e;
    }
    web_free(old); /* the old model is unreferenced from here on */
    *wp = nw;
    return AB_OK;
}
