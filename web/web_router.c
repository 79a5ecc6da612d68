/*
 * web_router.c - one request in, one response out: check the path, pick the
 * handler by method and path.
 *
 * The path arrives percent-decoded.  It is split on '/', and every
 * segment must be made of URL-safe characters (RFC 3986 pchar without
 * '%'): anything else, "." and ".." included, is a 400 before any
 * handler sees it, so no handler ever has to think about traversal or
 * odd bytes.  Unknown paths are 404, a known path with the wrong method
 * 405.  Every answer, good or bad, is a response: the server goes on.
 *
 *   GET  /                          status page
 *   GET  /alerts                    alert inbox
 *   POST /alerts/ID/dismiss         the inbox's form (CSRF token, auth)
 *   POST /checks/NAME/pause|resume  the pause forms, and
 *   POST /silences[/ID/expire]      the silence forms (web_page_silence.c)
 *   GET  /checks/NAME               a check's page
 *   GET|POST /ping/TOKEN[/start|/fail|/EXIT]
 *   POST /report/CHECK              pushed results (JSON, auth)
 *   GET  /api/checks[/NAME[/runs]]  GET /api/alerts[/ID]
 *   POST /api/alerts/ID/dismiss     (JSON, auth)
 *   GET  /metrics                   Prometheus text format
 *   GET  /healthz                   "ok", or 503 while the state is
 *                                   unreachable (web_healthz.c)
 */
#include "web/web_int.h"

#include <string.h>

#include "common/ab_mem.h"

static int seg_char_ok(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return 1;
    return strchr("-._~!$&'()*+,;=:@", c) != NULL && c != '\0';
}

/* Split path into seg (copies in buf).  -1: a bad path (400); -2: too
 * many or too long segments (404: no such resource can exist). */
static int split_path(const char *path, char *buf, size_t buflen, char **seg,
                      size_t *nseg)
{
    *nseg = 0;
    if (!path || path[0] != '/')
        return -1;
    size_t len = strlen(path);
    if (len >= buflen)
        return -2;
    memcpy(buf, path + 1, len);
    char *p = buf;
    if (*p == '\0')
        return 0; /* "/" */
    for (;;) {
        char *slash = strchr(p, '/');
        if (slash)
            *slash = '\0';
        size_t n = strlen(p);
        if (n == 0) {
            /* One trailing slash is forgiven ("/alerts/"); "//" is not. */
            if (!slash && *nseg > 0)
                return 0;
            return -1;
        }
        for (size_t i = 0; i < n; i++)
            if (!seg_char_ok((unsigned char)p[i]))
                return -1;
        if (strcmp(p, ".") == 0 || strcmp(p, "..") == 0)
            return -1;
        if (*nseg == WEB_MAX_SEGS || n > WEB_MAX_SEG_LEN)
            return -2;
        seg[(*nseg)++] = p;
        if (!slash)
            return 0;
        p = slash + 1;
    }
}

static int is(const char *a, const char *b)
{
    return strcmp(a, b) == 0;
}

static enum ab_err bad_method(web *w, const struct web_request *rq,
                              struct web_response *rs, const char *allow, ab_time now)
{
    enum ab_err e = web_reply_error(w, rq, rs, 405, "method not allowed here", now);
    rs->allow = allow;
    return e;
}

enum ab_err web_handle(web *w, const struct web_request *rq, struct web_response *rs)
{
    ab_time now = w->o.now(w->o.now_ud);
    char buf[1024];
    char *seg[WEB_MAX_SEGS];
    size_t n = 0;
    const char *m = rq->method ? rq->method : "";
    int get = is(m, "GET") || is(m, "HEAD"), post = is(m, "POST");

    int sp = split_path(rq->path, buf, sizeof buf, seg, &n);
    if (sp == -1)
        return web_reply_error(w, rq, rs, 400, "bad path", now);
    if (sp == -2)
        return web_reply_error(w, rq, rs, 404, "no such page", now);
    if (rq->body_too_large)
        return web_reply_error(w, rq, rs, 413, "request body too large", now);
    if (rq->args_too_many)
        return web_reply_error(w, rq, rs, 400, "too many query arguments", now);
    web_live_before(w, rq, seg, n); /* so what a handler writes, it shows */

    if (n >= 2 && is(seg[0], "ping"))
        return web_ping(w, rq, rs, seg + 1, n - 1, now);
    /* Badges are embedded in other sites' pages (README files): any Host. */
    if (n >= 2 && is(seg[0], "badge"))
        return web_badge(w, rq, rs, seg + 1, n - 1, now);
    /* Everything below shows or changes state: not for a rebound name
     * (web_host.c). */
    if (!(n == 1 && is(seg[0], "healthz")) && !web_host_allowed(w, rq->host))
        return web_reply_text(rs, 421, "misdirected request: this server does not answer "
                                       "for that Host (see <web allowed-hosts=>)\n");
    if (n >= 1 && is(seg[0], "api")) {
        /* Silences and pauses first (web_api_silence.c), the rest in web_api.c. */
        enum ab_err e;
        if (web_api_silence_route(w, rq, rs, seg + 1, n - 1, now, &e))
            return e;
        return web_api(w, rq, rs, seg + 1, n - 1, now);
    }

    if (n == 0) {
        if (!get)
            return bad_method(w, rq, rs, "GET, HEAD", now);
        return web_page_status(w, rq, rs, now);
    }
    if (n == 1 && is(seg[0], "alerts")) {
        if (!get)
            return bad_method(w, rq, rs, "GET, HEAD", now);
        return web_page_alerts(w, rq, rs, now);
    }
    if (n == 3 && is(seg[0], "alerts") && is(seg[2], "dismiss")) {
        if (!post)
            return bad_method(w, rq, rs, "POST", now);
        return web_form_dismiss(w, rq, rs, seg[1], now);
    }
    {
        /* The pause and silence forms (web_page_silence.c). */
        enum ab_err e;
        if (web_silence_form_route(w, rq, rs, seg, n, now, &e))
            return e;
    }
    if (n == 2 && is(seg[0], "checks")) {
        if (!get)
            return bad_method(w, rq, rs, "GET, HEAD", now);
        return web_page_check(w, rq, rs, seg[1], now);
    }
    if (n == 2 && is(seg[0], "report")) {
        if (!post)
            return bad_method(w, rq, rs, "POST", now);
        return web_report(w, rq, rs, seg[1], now);
    }
    if (n == 1 && is(seg[0], "metrics")) {
        if (!get)
            return bad_method(w, rq, rs, "GET, HEAD", now);
        return web_metrics(w, rs, now);
    }
    if (n == 1 && is(seg[0], "healthz")) {
        if (!get)
            return bad_method(w, rq, rs, "GET, HEAD", now);
        return web_healthz(w, rs, now);
    }
    return web_reply_error(w, rq, rs, 404, "no such page", now);
}
