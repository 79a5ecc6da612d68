/*
 * web_alerts.c - the alert inbox: open alerts by priority with their age and
 * last notification, a form per alert to dismiss or snooze it with a name
 * and a note, and the history of resolved alerts.
 *
 * The form posts to /alerts/ID/dismiss with a CSRF token (an HMAC of the
 * time it was issued, under the per-process key) and, like every action,
 * needs basic auth or the bearer token; a browser asks for the password
 * on the 401 and posts again.  Success answers 303 back to the inbox
 * (post/redirect/get), so a reload does not post twice.
 */
#include "web/web_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/ab_log.h"
#include "common/ab_mem.h"

#define HISTORY_ON_PAGE 50

/* What people said about an open alert (reply commands "note ..." and
 * other replies to its notices), oldest first. */
static void add_notes(web *w, json_t *o, int64_t id, ab_time now)
{
    struct store_alert_ev *ev = NULL;
    size_t n = 0;
    if (eng_view_alert_notes(w->e, id, 10, &ev, &n, NULL) != AB_OK || n == 0) {
        eng_view_alert_notes_free(ev, n);
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *x = json_object();
        web_set_time(x, "at", ev[i].at, now);
        json_object_set_new(x, "by", web_jstr(ev[i].by ? ev[i].by : "someone"));
        json_object_set_new(x, "text", web_jstr(ev[i].detail ? ev[i].detail : ""));
        json_object_set_new(x, "kind", web_jstr(ev[i].event));
        json_array_append_new(arr, x);
    }
    eng_view_alert_notes_free(ev, n);
    json_object_set_new(o, "notes", arr);
}

static json_t *alert_obj(const struct store_alert *a, ab_time now)
{
    json_t *o = json_object();
    char span[32];
    json_object_set_new(o, "id", json_integer(a->id));
    json_object_set_new(o, "check", web_jstr(a->check));
    if (a->item && *a->item)
        json_object_set_new(o, "item", web_jstr(a->item));
    json_object_set_new(o, "kind", web_jstr(a->kind));
    json_object_set_new(o, "priority", json_integer(a->priority));
    json_object_set_new(o, "status", json_string(eng_status_name(a->status)));
    json_object_set_new(o, "cls", json_string(web_status_class((int)a->status)));
    json_object_set_new(o, "message", web_jstr(a->message));
    web_set_time(o, "opened", a->opened, now);
    ab_time end = a->resolved != AB_TIME_NONE ? a->resolved : now;
    web_fmt_span(end - a->opened, span, sizeof span);
    json_object_set_new(o, "age", json_string(span));
    web_set_time(o, "notified", a->last_notified, now);
    json_object_set_new(o, "notify_count", json_integer(a->notify_count));
    if (a->level > 0)
        json_object_set_new(o, "escalated", json_integer(a->level));
    web_set_time(o, "resolved", a->resolved, now);
    if (a->held_by)
        json_object_set_new(o, "held_by", web_jstr(a->held_by));
    if (a->dismissed_at != AB_TIME_NONE) {
        json_t *d = json_object();
        json_object_set_new(d, "by", web_jstr(a->dismissed_by ? a->dismissed_by : "?"));
        if (a->dismiss_note)
            json_object_set_new(d, "note", web_jstr(a->dismiss_note));
        web_set_time(d, "at", a->dismissed_at, now);
        if (a->dismissed_until != AB_TIME_NONE) {
            web_set_time(d, "until", a->dismissed_until, now);
            if (a->dismissed_until <= now)
                json_object_set_new(d, "expired", json_true());
        }
        json_object_set_new(o, "dismissed", d);
    }
    return o;
}

static enum ab_err render(web *w, const struct web_request *rq,
                          struct web_response *rs, int status, const char *error,
                          ab_time now)
{
    struct store_webq_alert_counts ac;
    ab_errmsg em = {{0}};
    struct store_alert **v = NULL;
    size_t n = 0;
    if (eng_view_alert_counts(w->e, now, &ac, &em) != AB_OK ||
        eng_view_alerts(w->e, 1, (size_t)ac.open + HISTORY_ON_PAGE, &v, &n, &em) !=
            AB_OK) {
        ab_log(AB_LOG_ERROR, "web: alerts: %s", em.text);
        return web_reply_error(w, rq, rs, 500, "The state database failed.", now);
    }
    json_t *d = json_object(), *open = json_array(), *hist = json_array(),
           *quiet = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = alert_obj(v[i], now);
        if (v[i]->resolved == AB_TIME_NONE)
            add_notes(w, o, v[i]->id, now);
        /* Alerts that need someone come first; dismissed ones (and
         * snoozes still running) after them, still in priority order. */
        int dismissed = v[i]->dismissed_at != AB_TIME_NONE &&
                        (v[i]->dismissed_until == AB_TIME_NONE ||
                         v[i]->dismissed_until > now);
        json_array_append_new(v[i]->resolved != AB_TIME_NONE ? hist
                              : dismissed                    ? quiet
                                                             : open,
                              o);
    }
    eng_view_alerts_free(v, n);
    json_array_extend(open, quiet);
    json_decref(quiet);
    json_object_set_new(d, "title", json_string("Alerts"));
    json_object_set_new(d, "open", open);
    json_object_set_new(d, "history", hist);
    json_object_set_new(d, "open_count", json_integer(ac.open));
    /* The form only where a browser can authorize it: basic auth (it asks
     * for the password and sends the form again).  A bearer token it
     * cannot send, so with token auth alone the form is not shown (it
     * used to be, and every dismiss failed with 401). */
    if (web_auth_configured(w) && !(w->pw_hash && cfg_global(w->c)->web.user))
        json_object_set_new(d, "token_only", json_true());
    if (w->pw_hash && cfg_global(w->c)->web.user) {
        char *tok = web_csrf_token(w, now);
        json_object_set_new(d, "can_act", json_true());
        json_object_set_new(d, "csrf", json_string(tok ? tok : ""));
        ab_free(tok);
    }
    const char *done = web_arg(rq, "done"), *act = web_arg(rq, "act");
    int64_t done_id = web_parse_id(done);
    if (error) {
        json_object_set_new(d, "flash", json_string(error));
        json_object_set_new(d, "flash_cls", json_string("failing"));
    } else if (done_id) {
        char msg[128];
        snprintf(msg, sizeof msg, "Alert #%lld %s.", (long long)done_id,
                 act && strcmp(act, "snoozed") == 0 ? "snoozed" : "dismissed");
        json_object_set_new(d, "flash", json_string(msg));
        json_object_set_new(d, "flash_cls", json_string("healthy"));
    }
    return web_reply_page(w, rs, status, "alerts", d, now);
}

enum ab_err web_page_alerts(web *w, const struct web_request *rq,
                            struct web_response *rs, ab_time now)
{
    return render(w, rq, rs, 200, NULL, now);
}

static int is_form(const char *ct)
{
    const char *want = "application/x-www-form-urlencoded";
    size_t l = strlen(want);
    return ct && strncasecmp(ct, want, l) == 0 &&
           (ct[l] == '\0' || ct[l] == ';' || ct[l] == ' ');
}

enum ab_err web_form_dismiss(web *w, const struct web_request *rq,
                             struct web_response *rs, const char *id_s, ab_time now)
{
    int64_t id = web_parse_id(id_s);
    if (!id)
        return web_reply_error(w, rq, rs, 404, "There is no such alert.", now);
    if (!web_same_origin(w, rq))
        return web_reply_error(w, rq, rs, 403, "This form was sent from another site.", now);
    if (!is_form(rq->content_type))
        return web_reply_error(w, rq, rs, 415, "Send the form as "
                                               "application/x-www-form-urlencoded.", now);
    struct web_kv kv[WEB_MAX_ARGS];
    size_t n = 0;
    char *fbuf = NULL;
    enum ab_err e = web_form_parse(rq->body ? rq->body : "", rq->body_len, kv,
                                   WEB_MAX_ARGS, &n, &fbuf);
    if (e == AB_ENOMEM)
        return e;
    if (e) {
        ab_free(fbuf);
        return web_reply_error(w, rq, rs, 400, "The form could not be read.", now);
    }
    if (!web_csrf_valid(w, web_form_get(kv, n, "csrf"), now)) {
        ab_free(fbuf);
        return render(w, rq, rs, 403, "The form had expired or was not ours: "
                                      "please try again.", now);
    }
    if (!web_action_allowed(w, rq, rs, now)) {
        ab_free(fbuf);
        return AB_OK;
    }
    const char *until = web_form_get(kv, n, "until");
    int snoozed = until && *until && strcasecmp(until, "resolved") != 0;
    int status;
    char msg[512];
    e = web_dismiss(w, id, web_form_get(kv, n, "by"), web_form_get(kv, n, "note"),
                    until, now, &status, msg, sizeof msg);
    ab_free(fbuf);
    if (e) {
        char text[600];
        snprintf(text, sizeof text, "Alert #%lld: %s", (long long)id, msg);
        return render(w, rq, rs, status, text, now);
    }
    web_after_action(w, now);
    char loc[96];
    snprintf(loc, sizeof loc, "/alerts?done=%lld&act=%s", (long long)id,
             snoozed ? "snoozed" : "dismissed");
    return web_reply_redirect(rs, loc);
}
