/*
 * web_api.c - the JSON API, mirroring the command line:
 *   GET  /api/checks                 like `ackbeat status --json`
 *   GET  /api/checks/NAME            one check
 *   GET  /api/checks/NAME/runs       like `ackbeat history` (?limit=N)
 *   GET  /api/alerts                 like `ackbeat alerts --json` (?all=1)
 *   GET  /api/alerts/ID
 *   POST /api/alerts/ID/dismiss      like `ackbeat dismiss`: {"by", "note", "until"}
 * Errors are JSON too: {"error": "...", "status": N}.
 */
#include "web/web_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/ab_log.h"
#include "common/ab_mem.h"

int64_t web_parse_id(const char *s)
{
    if (!s || !*s || strlen(s) > 18)
        return 0;
    for (const char *p = s; *p; p++)
        if (*p < '0' || *p > '9')
            return 0;
    errno = 0;
    long long v = strtoll(s, NULL, 10);
    return errno || v <= 0 ? 0 : (int64_t)v;
}

json_t *web_json_run(const struct store_run *r)
{
    json_t *j = json_object();
    json_object_set_new(j, "id", json_integer(r->id));
    json_object_set_new(j, "check", web_jstr(r->check));
    json_object_set_new(j, "type", web_jstr(r->type));
    json_object_set_new(j, "trigger", web_jstr(r->trigger));
    json_object_set_new(j, "complete", json_boolean(r->complete));
    json_object_set_new(j, "started", web_jtime(r->started));
    json_object_set_new(j, "execution_ms", json_integer(r->execution_ms));
    json_object_set_new(j, "from_cache", json_boolean(r->from_cache));
    if (r->remedy_note)
        json_object_set_new(j, "remedy_note", web_jstr(r->remedy_note));
    json_t *res = json_array();
    for (size_t i = 0; i < r->nresults; i++) {
        const struct ab_result *x = &r->results[i];
        json_t *o = json_object();
        json_object_set_new(o, "item", web_jstr(x->item ? x->item : ""));
        json_object_set_new(o, "status", json_string(eng_status_name(x->status)));
        json_object_set_new(o, "value", x->has_value ? json_real(x->value) : json_null());
        json_object_set_new(o, "message", web_jstr(x->message));
        json_array_append_new(res, o);
    }
    json_object_set_new(j, "results", res);
    return j;
}

json_t *web_json_alert(const struct store_alert *a, ab_time now)
{
    json_t *j = json_object();
    json_object_set_new(j, "id", json_integer(a->id));
    json_object_set_new(j, "check", web_jstr(a->check));
    json_object_set_new(j, "item", web_jstr(a->item));
    json_object_set_new(j, "kind", web_jstr(a->kind));
    json_object_set_new(j, "priority", json_integer(a->priority));
    json_object_set_new(j, "status", json_string(eng_status_name(a->status)));
    json_object_set_new(j, "message", web_jstr(a->message));
    json_object_set_new(j, "opened", web_jtime(a->opened));
    ab_time end = a->resolved != AB_TIME_NONE ? a->resolved : now;
    json_object_set_new(j, "age_seconds", json_integer(end - a->opened));
    json_object_set_new(j, "last_notified", web_jtime(a->last_notified));
    json_object_set_new(j, "notify_count", json_integer(a->notify_count));
    json_object_set_new(j, "level", json_integer(a->level));
    json_object_set_new(j, "resolved", web_jtime(a->resolved));
    json_object_set_new(j, "dismissed_at", web_jtime(a->dismissed_at));
    json_object_set_new(j, "dismissed_by", web_jstr(a->dismissed_by));
    json_object_set_new(j, "dismiss_note", web_jstr(a->dismiss_note));
    json_object_set_new(j, "dismissed_until", web_jtime(a->dismissed_until));
    json_object_set_new(j, "held_by", web_jstr(a->held_by));
    return j;
}

/* A heartbeat's newest cycle: each person asked and what came back, in
 * the words `acks` uses (engine/eng_words.c), times ISO 8601 UTC. */
static json_t *json_cycle(const struct eng_live_cycle *lc)
{
    const struct store_cycle *c = lc->c;
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(c->id));
    json_object_set_new(o, "status", web_jstr(c->status));
    json_object_set_new(o, "opened", web_jtime(c->opened));
    json_object_set_new(o, "deadline", web_jtime(c->deadline));
    json_object_set_new(o, "confirmed", json_integer((json_int_t)c->confirmed));
    json_object_set_new(o, "quorum", json_integer(c->quorum));
    json_t *rs = json_array();
    for (size_t i = 0; i < c->nrcpts; i++) {
        const struct eng_rcpt_words *rw = &lc->words[i];
        json_t *x = json_object();
        json_object_set_new(x, "address", web_jstr(c->rcpts[i].address));
        json_object_set_new(x, "state", json_string(rw->word));
        json_object_set_new(x, "at", web_jtime(rw->when));
        json_object_set_new(x, "by", rw->by[0] ? web_jstr(rw->by) : json_null());
        json_object_set_new(x, "reason", rw->reason[0] ? web_jstr(rw->reason) : json_null());
        json_object_set_new(x, "flag", rw->flag[0] ? web_jstr(rw->flag) : json_null());
        json_array_append_new(rs, x);
    }
    json_object_set_new(o, "recipients", rs);
    return o;
}

json_t *web_json_check(web *w, const struct eng_live_view *v,
                       const struct eng_live_check *x, ab_time now)
{
    const struct cfg_check *k = x->k;
    json_t *j = json_object();
    json_object_set_new(j, "name", json_string(k->name));
    json_object_set_new(j, "label", web_jstr(k->label ? k->label : k->name));
    json_object_set_new(j, "kind", json_string(cfg_check_kind_name(k->kind)));
    json_object_set_new(j, "status",
                        x->status < 0 ? json_null() : json_string(eng_status_name(x->status)));
    const struct store_run *r = x->last;
    if (r) {
        json_object_set_new(j, "last_run", web_jtime(r->started));
        json_object_set_new(j, "last_run_age_seconds", json_integer(now - r->started));
        json_object_set_new(j, "execution_ms", json_integer(r->execution_ms));
        if (r->nresults && r->results[0].has_value)
            json_object_set_new(j, "value", json_real(r->results[0].value));
        if (r->nresults && r->results[0].message)
            json_object_set_new(j, "message", web_jstr(r->results[0].message));
    } else {
        json_object_set_new(j, "last_run", json_null());
    }
    json_object_set_new(j, "next_run", x->has_sched ? web_jtime(x->next_run) : json_null());
    const struct store_alert *a = x->alert;
    if (a) {
        json_t *ja = json_object();
        json_object_set_new(ja, "id", json_integer(a->id));
        json_object_set_new(ja, "priority", json_integer(a->priority));
        json_object_set_new(ja, "opened", web_jtime(a->opened));
        json_object_set_new(ja, "dismissed", json_boolean(a->dismissed_at != AB_TIME_NONE));
        json_object_set_new(j, "alert", ja);
    }
    /* Issue 18: a silence or a pause shows wherever the check does. */
    int64_t sid = eng_live_silenced(v, k, now);
    ab_time until = AB_TIME_NONE;
    int paused = eng_live_paused(v, k->name, now, &until);
    json_object_set_new(j, "silenced_by", sid ? json_integer(sid) : json_null());
    json_object_set_new(j, "paused", json_boolean(paused));
    json_object_set_new(j, "paused_until", paused ? web_jtime(until) : json_null());
    char pa[1024];
    if (eng_ping_address(w->c, k, pa, sizeof pa))
        json_object_set_new(j, "ping_address", web_jstr(pa));
    if (eng_ping_url(w->c, k, pa, sizeof pa))
        json_object_set_new(j, "ping_url", web_jstr(pa));
    if (k->kind == CFG_HEARTBEAT && x->cycle)
        json_object_set_new(j, "cycle", json_cycle(x->cycle));
    return j;
}

/* Every check, kept for the second and the model's generation. */
static enum ab_err api_checks(web *w, struct web_response *rs, ab_time now)
{
    const struct eng_live_view *v = web_live(w, now);
    if (web_cache_answer(w, "api/checks", v->gen, now, rs))
        return AB_OK;
    json_t *arr = json_array();
    for (size_t i = 0; i < v->nchecks; i++)
        json_array_append_new(arr, web_json_check(w, v, &v->checks[i], now));
    json_t *root = json_object();
    json_object_set_new(root, "now", web_jtime(now));
    json_object_set_new(root, "checks", arr);
    if (v->have_outbox) {
        json_t *ob = json_object();
        json_object_set_new(ob, "queued", json_integer(v->outbox.queued));
        json_object_set_new(ob, "sent", json_integer(v->outbox.sent));
        json_object_set_new(ob, "failed", json_integer(v->outbox.failed));
        json_object_set_new(root, "outbox", ob);
    }
    enum ab_err e = web_reply_json(rs, 200, root);
    if (!e)
        web_cache_keep(w, "api/checks", v->gen, now, rs);
    return e;
}

/* One check from the live model (404 when it is not one). */
enum ab_err web_api_check(web *w, struct web_response *rs, const struct cfg_check *k,
                          ab_time now)
{
    const struct eng_live_view *v = web_live(w, now);
    const struct eng_live_check *x = eng_live_find(v, k->name);
    if (!x)
        return web_reply_jerror(rs, 404, "no check named \"%s\"", k->name);
    return web_reply_json(rs, 200, web_json_check(w, v, x, now));
}

static long arg_limit(const struct web_request *rq, long dflt, long max)
{
    const char *s = web_arg(rq, "limit");
    if (!s)
        return dflt;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 1)
        return -1;
    return v > max ? max : v;
}

static enum ab_err api_runs(web *w, const struct web_request *rq,
                            struct web_response *rs, const struct cfg_check *k)
{
    long limit = arg_limit(rq, 50, 1000);
    if (limit < 0)
        return web_reply_jerror(rs, 400, "limit must be a positive number");
    struct store_run **v = NULL;
    size_t n = 0;
    ab_errmsg em = {{0}};
    if (eng_view_runs(w->e, k->name, (size_t)limit, &v, &n, &em) != AB_OK) {
        ab_log(AB_LOG_ERROR, "web: runs of %s: %s", k->name, em.text);
        return web_reply_jerror(rs, 500, "the state database failed");
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, web_json_run(v[i]));
    eng_view_runs_free(v, n);
    json_t *root = json_object();
    json_object_set_new(root, "check", json_string(k->name));
    json_object_set_new(root, "runs", arr);
    return web_reply_json(rs, 200, root);
}

static enum ab_err api_alerts(web *w, const struct web_request *rq,
                              struct web_response *rs, ab_time now)
{
    const char *all = web_arg(rq, "all");
    int include_closed = all && (strcmp(all, "1") == 0 || strcasecmp(all, "true") == 0 ||
                                 *all == '\0');
    long limit = arg_limit(rq, 1000, 10000);
    if (limit < 0)
        return web_reply_jerror(rs, 400, "limit must be a positive number");
    struct store_alert **v = NULL;
    size_t n = 0;
    ab_errmsg em = {{0}};
    if (eng_view_alerts(w->e, include_closed, (size_t)limit, &v, &n, &em) != AB_OK) {
        ab_log(AB_LOG_ERROR, "web: alerts: %s", em.text);
        return web_reply_jerror(rs, 500, "the state database failed");
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, web_json_alert(v[i], now));
    eng_view_alerts_free(v, n);
    return web_reply_json(rs, 200, arr);
}

static enum ab_err api_alert(web *w, struct web_response *rs, int64_t id, ab_time now)
{
    struct store_alert *a = NULL;
    enum ab_err e = eng_view_alert(w->e, id, &a, NULL);
    if (e == AB_ENOTFOUND)
        return web_reply_jerror(rs, 404, "no alert %lld", (long long)id);
    if (e)
        return web_reply_jerror(rs, 500, "the state database failed");
    json_t *j = web_json_alert(a, now);
    eng_view_alert_free(a);
    return web_reply_json(rs, 200, j);
}

/* Text fields people type: bounded, and no control characters (they end
 * up in mail headers and log lines). */
static int text_ok(const char *s, size_t max, int allow_newlines)
{
    size_t n = strlen(s);
    if (n > max)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 && !(allow_newlines && (c == '\n' || c == '\r' || c == '\t')))
            return 0;
        if (c == 0x7f)
            return 0;
    }
    return 1;
}

enum ab_err web_dismiss(web *w, int64_t id, const char *by, const char *note,
                        const char *until_s, ab_time now, int *status, char *msg,
                        size_t msglen)
{
    ab_time until;
    *status = 400;
    if (!by || !*by || !text_ok(by, 100, 0)) {
        snprintf(msg, msglen, "\"by\" must name who dismisses (at most 100 characters)");
        return AB_EINVAL;
    }
    if (note && !text_ok(note, 2000, 1)) {
        snprintf(msg, msglen, "\"note\" is too long or has control characters");
        return AB_EINVAL;
    }
    if (web_parse_until(until_s, now, &until) < 0) {
        snprintf(msg, msglen, "\"until\" must be a duration such as 4h or a future "
                              "ISO 8601 time");
        return AB_EINVAL;
    }
    ab_errmsg em = {{0}};
    enum ab_err e = eng_dismiss(w->e, id, by, note && *note ? note : NULL, until, now, &em);
    if (e == AB_ENOTFOUND)
        *status = 404;
    else if (e == AB_EINVAL)
        *status = 409;
    else if (e)
        *status = 500;
    else
        *status = 200;
    if (e) {
        snprintf(msg, msglen, "%s", e == AB_ENOTFOUND ? "no such alert" : em.text);
        if (*status == 500)
            ab_log(AB_LOG_ERROR, "web: dismiss %lld: %s", (long long)id, em.text);
        return e;
    }
    ab_log(AB_LOG_INFO, "web: alert %lld %s by %s", (long long)id,
           until == AB_TIME_NONE ? "dismissed" : "snoozed", by);
    return AB_OK;
}

static enum ab_err api_dismiss(web *w, const struct web_request *rq,
                               struct web_response *rs, int64_t id, ab_time now)
{
    json_t *body = NULL;
    if (!web_action_allowed(w, rq, rs, now) || !web_json_body(rq, rs, &body))
        return AB_OK; /* the response says why */
    const char *by = json_string_value(json_object_get(body, "by"));
    json_t *jn = json_object_get(body, "note"), *ju = json_object_get(body, "until");
    if ((jn && !json_is_null(jn) && !json_is_string(jn)) ||
        (ju && !json_is_null(ju) && !json_is_string(ju))) {
        json_decref(body);
        return web_reply_jerror(rs, 400, "\"note\" and \"until\" must be strings");
    }
    int status;
    char msg[512];
    enum ab_err e = web_dismiss(w, id, by, json_string_value(jn),
                                json_string_value(ju), now, &status, msg, sizeof msg);
    json_decref(body);
    if (e)
        return web_reply_jerror(rs, status, "%s", msg);
    return api_alert(w, rs, id, now);
}

enum ab_err web_api(web *w, const struct web_request *rq, struct web_response *rs,
                    char **seg, size_t n, ab_time now)
{
    const char *m = rq->method;
    int get = strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0;
    int post = strcmp(m, "POST") == 0;
    const struct cfg_check *k = NULL;
    int64_t id = 0;
    if (n == 1 && strcmp(seg[0], "nodes") == 0) {
        if (!get) {
            web_reply_jerror(rs, 405, "use GET");
            rs->allow = "GET, HEAD";
            return AB_OK;
        }
        return web_api_nodes(w, rs, now); /* issue 16 (web_page_nodes.c) */
    }
    if (n >= 1 && strcmp(seg[0], "checks") == 0) {
        if (n >= 2 && !(k = cfg_check_find(w->c, seg[1])))
            return web_reply_jerror(rs, 404, "no check named \"%s\"", seg[1]);
        if (n == 1 || n == 2 || (n == 3 && strcmp(seg[2], "runs") == 0)) {
            if (!get) {
                web_reply_jerror(rs, 405, "use GET");
                rs->allow = "GET, HEAD";
                return AB_OK;
            }
            if (n == 1)
                return api_checks(w, rs, now);
            if (n == 2)
                return web_api_check(w, rs, k, now);
            return api_runs(w, rq, rs, k);
        }
    } else if (n >= 1 && strcmp(seg[0], "alerts") == 0) {
        if (n >= 2 && !(id = web_parse_id(seg[1])))
            return web_reply_jerror(rs, 404, "\"%s\" is not an alert number", seg[1]);
        if (n <= 2) {
            if (!get) {
                web_reply_jerror(rs, 405, "use GET");
                rs->allow = "GET, HEAD";
                return AB_OK;
            }
            return n == 1 ? api_alerts(w, rq, rs, now) : api_alert(w, rs, id, now);
        }
        if (n == 3 && strcmp(seg[2], "dismiss") == 0) {
            if (!post) {
                web_reply_jerror(rs, 405, "use POST");
                rs->allow = "POST";
                return AB_OK;
            }
            return api_dismiss(w, rq, rs, id, now);
        }
    }
    return web_reply_jerror(rs, 404, "no such API endpoint");
}
