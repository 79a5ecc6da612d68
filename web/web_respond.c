/*
 * web_respond.c - building responses: text, JSON, redirects, and HTML pages
 * rendered from the Mustache templates in web/pages (TPL_HTML: every
 * {{value}} is escaped; the pages use {{{...}}} only for the chart SVG,
 * which web/web_svg.c builds from numbers and escaped text).
 */
#include "web/web_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/ab_log.h"
#include "common/ab_mem.h"

static void reset(struct web_response *rs)
{
    ab_free(rs->body);
    ab_free(rs->location);
    memset(rs, 0, sizeof *rs);
}

void web_response_free(struct web_response *rs)
{
    if (!rs)
        return;
    ab_free(rs->body);
    ab_free(rs->location);
    rs->body = NULL;
    rs->location = NULL;
}

static enum ab_err set_body(struct web_response *rs, int status, const char *ctype,
                            char *body, size_t len)
{
    reset(rs);
    rs->status = status;
    rs->content_type = ctype;
    rs->body = body;
    rs->len = len;
    return body ? AB_OK : AB_ENOMEM;
}

enum ab_err web_reply_text(struct web_response *rs, int status, const char *text)
{
    char *b = ab_strdup(text);
    return set_body(rs, status, "text/plain; charset=utf-8", b, b ? strlen(b) : 0);
}

enum ab_err web_reply_json(struct web_response *rs, int status, json_t *j)
{
    if (!j)
        return set_body(rs, 500, "application/json", NULL, 0);
    /* jansson allocates with malloc; copy into our allocator so that
     * web_response_free has one owner and one free function. */
    char *txt = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(j);
    char *b = NULL;
    size_t len = 0;
    if (txt) {
        len = strlen(txt);
        b = ab_malloc(len + 2);
        if (b) {
            memcpy(b, txt, len);
            b[len++] = '\n';
            b[len] = '\0';
        }
        free(txt);
    }
    enum ab_err e = set_body(rs, status, "application/json", b, len);
    rs->no_store = 1;
    return e;
}

enum ab_err web_reply_jerror(struct web_response *rs, int status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *j = json_object();
    json_object_set_new(j, "error", json_string(msg));
    json_object_set_new(j, "status", json_integer(status));
    return web_reply_json(rs, status, j);
}

enum ab_err web_reply_redirect(struct web_response *rs, const char *location)
{
    enum ab_err e = web_reply_text(rs, 303, "see other\n");
    rs->location = ab_strdup(location);
    rs->no_store = 1;
    return e ? e : rs->location ? AB_OK : AB_ENOMEM;
}

/* Fields every page's layout uses. */
static void add_common(web *w, json_t *d, const char *page, ab_time now)
{
    const char *site = cfg_global(w->c)->name;
    char iso[AB_ISO_LEN];
    json_object_set_new(d, "site", json_string(site && *site ? site : "ackbeat"));
    json_object_set_new(d, "now", json_string(ab_time_format(now, iso, sizeof iso)));
    json_object_set_new(d, "version", json_string(AB_VERSION));
    char key[32];
    snprintf(key, sizeof key, "nav_%s", page);
    json_object_set_new(d, key, json_true());
    /* From the live read model: every page has this header, and asking
     * the store for each check's status per page was most of a page's
     * cost with many checks. */
    const struct eng_live_view *v = web_live(w, now);
    struct store_webq_alert_counts ac;
    eng_live_alert_counts(v, now, &ac);
    if (ac.active > 0)
        json_object_set_new(d, "nav_alert_count", json_integer(ac.active));
    /* The header's dot: red when anything fails (Failing or Offline),
     * amber when something is Degraded, grey before any result. */
    int worst = eng_live_worst(v);
    const char *cls = worst < 0                  ? "unknown"
                      : worst >= AB_FAILING   ? "failing"
                      : worst == AB_DEGRADED  ? "degraded"
                                                 : "healthy";
    json_object_set_new(d, "site_cls", json_string(cls));
    json_object_set_new(d, "site_state", json_string(worst < 0              ? "no results yet"
                                                     : worst >= AB_FAILING ? "something fails"
                                                     : worst == AB_DEGRADED
                                                         ? "something is degraded"
                                                         : "all healthy"));
}

enum ab_err web_reply_page(web *w, struct web_response *rs, int status,
                           const char *page, json_t *data, ab_time now)
{
    if (!data)
        return set_body(rs, 500, "text/plain", NULL, 0);
    add_common(w, data, page, now);
    ab_buf out;
    ab_buf_init(&out, 8u << 20);
    ab_errmsg em = {{0}};
    enum ab_err e = tpl_set_render(w->pages, page, "html", NULL, NULL, data, &out, &em);
    json_decref(data);
    if (e) {
        ab_buf_free(&out);
        ab_log(AB_LOG_ERROR, "web: page %s: %s", page, em.text);
        return web_reply_text(rs, 500, "internal error: a page template failed "
                                       "(see the log)\n");
    }
    size_t len = out.len;
    char *b = ab_buf_steal(&out);
    if (!b)
        b = ab_strdup("");
    e = set_body(rs, status, "text/html; charset=utf-8", b, len);
    rs->no_store = 1;
    return e;
}

static int wants_json(const char *path)
{
    return path && (strncmp(path, "/api/", 5) == 0 || strcmp(path, "/api") == 0 ||
                    strncmp(path, "/report/", 8) == 0);
}

static int wants_text(const char *path)
{
    return path && (strncmp(path, "/ping/", 6) == 0 || strcmp(path, "/metrics") == 0);
}

static const char *reason(int status)
{
    switch (status) {
    case 400: return "Bad request";
    case 401: return "Authorization required";
    case 403: return "Forbidden";
    case 404: return "Not found";
    case 405: return "Method not allowed";
    case 413: return "Request body too large";
    case 415: return "Unsupported media type";
    default: return status >= 500 ? "Server error" : "Error";
    }
}

enum ab_err web_reply_error(web *w, const struct web_request *rq,
                            struct web_response *rs, int status,
                            const char *message, ab_time now)
{
    const char *path = rq ? rq->path : NULL;
    if (wants_json(path))
        return web_reply_jerror(rs, status, "%s", message);
    if (wants_text(path) || !w || !w->pages) {
        char buf[600];
        snprintf(buf, sizeof buf, "%s\n", message);
        return web_reply_text(rs, status, buf);
    }
    json_t *d = json_object();
    json_object_set_new(d, "title", json_string(reason(status)));
    json_object_set_new(d, "status", json_integer(status));
    json_object_set_new(d, "message", json_string(message));
    return web_reply_page(w, rs, status, "error", d, now);
}
