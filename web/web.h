/*
 * web.h - the HTTP side of ackbeat (libmicrohttpd): the status page, the
 * alert inbox and a check's page (HTML from Mustache templates in
 * web/pages), pings (/ping/TOKEN...), pushed results (POST /report/CHECK),
 * a JSON API (/api/...) and Prometheus metrics (/metrics).
 *
 * Threads and state.  The server runs libmicrohttpd's own polling thread:
 * ONE thread answers every request, in turn.  It owns its own store
 * handle (a second SQLite connection to the same WAL file) and its own
 * engine, built from the config it was started with, so nothing mutable
 * is shared with the daemon's loop; writes from both serialise in SQLite
 * (BEGIN IMMEDIATE and the busy timeout), exactly as two ackbeat
 * processes would.  The only thing the two threads share is the config
 * model, which is immutable.  A reload stops the server thread (joined)
 * before the old model may be freed, and starts it again on the new one
 * with the same listening socket, so no request sees a freed model and
 * no connection is refused in between.  The engine inside the server
 * never drains the outbox (one drainer per outbox: the daemon); it calls
 * the optional wake callback so the daemon sends at once.
 *
 * Time is a parameter: web/ never reads the clock; every request asks
 * the clock callback of struct web_opts.
 *
 * Security.  GET pages, the JSON reads and /metrics are open (the
 * listener is on loopback unless configured otherwise).  Every action
 * (dismiss, report, API writes) needs `Authorization: Bearer TOKEN` (the
 * <web token-file|token-env>) or HTTP basic auth against the crypt(3)
 * hash of <web user password-hash-file|-env>; with neither configured,
 * actions are refused (403).  A ping needs only its check's unguessable
 * token.  The HTML form also carries an HMAC token keyed by a per-process
 * random secret, and any action whose Origin (or Referer) names another
 * host is refused.  Bodies are capped (413), slow clients time out, the
 * number of connections is limited.
 */
#ifndef AB_WEB_H
#define AB_WEB_H

#include <stddef.h>

#include "common/ab_err.h"
#include "common/ab_time.h"
#include "config/cfg.h"

typedef struct web web;

/* The clock: called from the server thread for every request. */
typedef ab_time (*web_clock_fn)(void *ud);

/* Defaults of struct web_opts' limits. */
#define WEB_DEFAULT_MAX_BODY ((size_t)64 << 10) /* bytes per request body */
#define WEB_DEFAULT_MAX_CONNS 256u
#define WEB_DEFAULT_TIMEOUT 30u                 /* seconds of client silence */

struct web_opts {
    web_clock_fn now;      /* required */
    void *now_ud;
    /* Called from the server thread after an action may have queued mail
     * (an alert opened by a ping or report), so the daemon drains the
     * outbox now rather than at its next tick.  May be NULL. */
    void (*wake)(void *ud);
    void *wake_ud;
    const char *template_dir; /* default message templates (eng_new), may be NULL */
    ab_time started;       /* the daemon's start (eng_set_started); 0: unknown */
    /* The page templates.  NULL: AB_DATADIR/web/pages when installed,
     * else web/pages of the source tree found from template_dir.  A
     * folder "web" inside the config's <templates dir> overrides single
     * pages. */
    const char *pages_dir;
    const char *listen;    /* "ADDR:PORT" instead of the config's (tests: port 0) */
    size_t max_body;       /* 0: WEB_DEFAULT_MAX_BODY */
    unsigned max_conns;    /* 0: WEB_DEFAULT_MAX_CONNS */
    unsigned timeout;      /* 0: WEB_DEFAULT_TIMEOUT */
};

/*
 * Build a server for config c (borrowed: it must outlive the server or
 * the next web_apply): open its own store and engine, compile the pages,
 * read the token and password hash, make the per-process CSRF secret.
 * Does not listen yet (web_handle works without a socket).  opts is
 * copied; its strings must stay valid for the life of the server.
 * Caller frees with web_free.
 */
enum ab_err web_new(const cfg *c, const struct web_opts *opts, web **out,
                    ab_errmsg *em) AB_MUST_CHECK;

/* Start listening (the address of opts->listen or <web listen>) and
 * serving in the server thread.  AB_EIO when the address cannot be bound. */
enum ab_err web_listen(web *w, ab_errmsg *em) AB_MUST_CHECK;

/* The TCP port listened on (0 when not listening). */
unsigned web_port(const web *w);

/* Stop the thread (in-flight requests finish or are cut), close
 * everything.  NULL is a no-op. */
void web_free(web *w);

/*
 * What the daemon calls at start-up and after each reload: make *wp
 * match config c.  c without <web>: stop and free *wp (NULL after).
 * *wp NULL: web_new + web_listen.  Otherwise restart on the new model,
 * keeping the listening socket when the address did not change.  On
 * failure (em says why: a port in use, a token file that cannot be read)
 * nothing refers to c, and *wp is left as it was: the previous server
 * serves on, on the previous model, which the caller must keep alive
 * until a later web_apply succeeds or web_free.  Only when even the
 * previous server could not serve again (logged) is *wp NULL.
 */
enum ab_err web_apply(web **wp, const cfg *c, const struct web_opts *opts,
                      ab_errmsg *em) AB_MUST_CHECK;

/* Another thread of this process changed the state (the daemon's loop,
 * after a tick): the pages show it from the next request on, without
 * waiting for the pace of outside changes (web/web_live.c).  Safe from
 * any thread; NULL does nothing. */
void web_state_changed(web *w);

/* ---- one request without a socket (unit tests, fuzzing) --------------- */

struct web_kv {
    const char *key, *value;
};

/* A request as the server thread sees it; everything borrowed. */
struct web_request {
    const char *method;        /* "GET", "HEAD", "POST", ... */
    const char *path;          /* percent-decoded path, no query string */
    const struct web_kv *args; /* decoded query arguments */
    size_t nargs;
    const char *host;          /* headers, NULL when absent */
    const char *authorization;
    const char *content_type;
    const char *origin;
    const char *referer;
    const char *user_agent;
    const char *body;          /* NUL-terminated as well */
    size_t body_len;
    int body_too_large;        /* the body went past max_body and was dropped */
    int args_too_many;         /* more query arguments than are kept (16): 400 */
};

struct web_response {
    int status;                /* 200, 303, 400, ... */
    const char *content_type;  /* static string */
    char *body;                /* ab_malloc'ed, NUL-terminated; may be NULL */
    size_t len;
    char *location;            /* for 303; ab_malloc'ed or NULL */
    const char *www_authenticate; /* for 401; static or NULL */
    const char *allow;         /* for 405; static or NULL */
    int no_store;              /* Cache-Control: no-store */
    const char *cache_control; /* otherwise this Cache-Control; static or NULL */
    const char *retry_after;   /* for 503; static or NULL */
};

/*
 * Answer rq into rs (zeroed by the caller; free with web_response_free).
 * Always fills a response, a 4xx/5xx one when the request is bad; the
 * return value is AB_ENOMEM only when even that could not be built.
 */
enum ab_err web_handle(web *w, const struct web_request *rq,
                       struct web_response *rs) AB_MUST_CHECK;
void web_response_free(struct web_response *rs);

/* A CSRF token for the dismiss form at now, as the pages embed it (for
 * tests and scripts that post the form). Caller ab_free's it. */
char *web_csrf_token(web *w, ab_time now);

#endif
