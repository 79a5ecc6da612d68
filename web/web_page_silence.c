/*
 * web_page_silence.c - silences and pauses on the HTML pages: the status
 * page and a check's page show what holds a check now (an active or
 * pending silence, a pause: who, until when, why), with forms to pause and
 * resume a check and to add and expire a silence:
 *
 *   POST /checks/NAME/pause        by, until ("" = until resumed), note
 *   POST /checks/NAME/resume
 *   POST /silences                 matchers ("check=orders-* tag=finance"),
 *                                  until, by, note, back
 *   POST /silences/ID/expire       back
 *
 * The rules are the dismiss form's (web_alerts.c): same origin, a form
 * body, a CSRF token of ours, and the action auth; the forms are shown
 * only where a browser can authorize (basic auth).  What they change goes
 * through the engine (eng_pause, eng_silence_add, ...), as the API does.
 * Times are the site's, in words.
 */
#include "web/web_int.h"

#include <stdio.h>
#include <string.h>

#include "common/ab_log.h"
#include "common/ab_mem.h"

static void set_human(json_t *o, const char *key, ab_time t, const char *zone)
{
    char buf[AB_HUMAN_LEN];
    if (t != AB_TIME_NONE)
        json_object_set_new(o, key, json_string(ab_time_human(t, zone, buf, sizeof buf)));
}

/* The silences not yet ended at now that concern k (all of them for NULL),
 * from the live model. */
static json_t *silences_json(web *w, const struct eng_live_view *lv,
                             const struct cfg_check *k, ab_time now)
{
    json_t *arr = json_array();
    const struct store_silence *v = lv->silences;
    const char *zone = cfg_global(w->c)->timezone;
    for (size_t i = 0; i < lv->nsilences; i++) {
        /* store_silence_list's "not yet ended", at this request's now. */
        if (v[i].expired != AB_TIME_NONE || v[i].ends <= now)
            continue;
        /* A check's page lists those that match it, now or when they start,
         * for any of its items (an item= silence holds only that item). */
        struct store_silence any = v[i];
        any.item = NULL;
        if (k && !eng_silence_matches(&any, k, NULL, v[i].starts > now ? v[i].starts : now))
            continue;
        json_t *j = json_object();
        char what[512];
        eng_silence_describe(&v[i], what, sizeof what);
        json_object_set_new(j, "id", json_integer(v[i].id));
        json_object_set_new(j, "matchers", json_string(what));
        json_object_set_new(j, "by", web_jstr(v[i].created_by));
        if (v[i].comment)
            json_object_set_new(j, "comment", web_jstr(v[i].comment));
        set_human(j, "until", v[i].ends, zone);
        if (v[i].starts > now) {
            json_object_set_new(j, "pending", json_true());
            set_human(j, "from", v[i].starts, zone);
        }
        json_array_append_new(arr, j);
    }
    return arr;
}

/* The pauses in force at now, of k only when k is given, from the live
 * model. */
static json_t *pauses_json(web *w, const struct eng_live_view *lv,
                           const struct cfg_check *k, ab_time now)
{
    json_t *arr = json_array();
    const struct store_pause *v = lv->pauses;
    const char *zone = cfg_global(w->c)->timezone;
    for (size_t i = 0; i < lv->npauses; i++) {
        if (k && strcmp(v[i].check, k->name))
            continue;
        if (v[i].until != AB_TIME_NONE && v[i].until <= now)
            continue; /* ran out since the model was read */
        json_t *j = json_object();
        json_object_set_new(j, "check", web_jstr(v[i].check));
        json_object_set_new(j, "by", web_jstr(v[i].by));
        if (v[i].note && *v[i].note)
            json_object_set_new(j, "note", web_jstr(v[i].note));
        set_human(j, "until", v[i].until, zone);
        set_human(j, "at", v[i].at, zone);
        json_array_append_new(arr, j);
    }
    return arr;
}

void web_silence_data(web *w, const struct web_request *rq, json_t *d,
                      const struct cfg_check *k, ab_time now)
{
    json_t *h = json_object();
    const struct eng_live_view *lv = web_live(w, now);
    json_t *sil = silences_json(w, lv, k, now), *pau = pauses_json(w, lv, k, now);
    if (json_array_size(sil) || json_array_size(pau))
        json_object_set_new(h, "any", json_true());
    json_object_set_new(h, "silences", sil);
    json_object_set_new(h, "pauses", pau);
    if (k) {
        json_object_set_new(h, "check", web_jstr(k->name));
        if (json_array_size(pau))
            json_object_set_new(h, "paused", json_true());
    }
    char back[300];
    snprintf(back, sizeof back, "%s%s", k ? "/checks/" : "/", k ? k->name : "");
    json_object_set_new(h, "back", web_jstr(back));
    if (web_auth_configured(w) && !(w->pw_hash && cfg_global(w->c)->web.user))
        json_object_set_new(h, "token_only", json_true());
    if (w->pw_hash && cfg_global(w->c)->web.user) {
        char *tok = web_csrf_token(w, now);
        json_object_set_new(h, "can_act", json_true());
        json_object_set_new(h, "csrf", json_string(tok ? tok : ""));
        ab_free(tok);
    }
    const char *done = web_arg(rq, "held");
    if (done && (!strcmp(done, "paused") || !strcmp(done, "resumed") ||
                 !strcmp(done, "silenced") || !strcmp(done, "expired")))
        json_object_set_new(h, "done", json_string(done));
    json_object_set_new(d, "hold", h);
}

static int is_form(const char *ct)
{
    const char *want = "application/x-www-form-urlencoded";
    size_t l = strlen(want);
    return ct && strncasecmp(ct, want, l) == 0 &&
           (ct[l] == '\0' || ct[l] == ';' || ct[l] == ' ');
}

/* The dismiss form's gate.  1 with the form in kv (*buf: ab_free) when it
 * may act; 0 with the response set (*err: its result). */
static int read_form(web *w, const struct web_request *rq, struct web_response *rs,
                     struct web_kv *kv, size_t *n, char **buf, ab_time now, enum ab_err *err)
{
    *buf = NULL;
    *err = AB_OK;
    if (!web_same_origin(w, rq)) {
        *err = web_reply_error(w, rq, rs, 403, "This form was sent from another site.", now);
        return 0;
    }
    if (!is_form(rq->content_type)) {
        *err = web_reply_error(w, rq, rs, 415, "Send the form as "
                                               "application/x-www-form-urlencoded.", now);
        return 0;
    }
    enum ab_err e = web_form_parse(rq->body ? rq->body : "", rq->body_len, kv, WEB_MAX_ARGS,
                                   n, buf);
    if (e) {
        ab_free(*buf);
        *buf = NULL;
        *err = e == AB_ENOMEM ? e : web_reply_error(w, rq, rs, 400, "The form could not be "
                                                                    "read.", now);
        return 0;
    }
    if (!web_csrf_valid(w, web_form_get(kv, *n, "csrf"), now)) {
        *err = web_reply_error(w, rq, rs, 403, "The form had expired or was not ours: "
                                               "please go back, reload and try again.", now);
    } else if (web_action_allowed(w, rq, rs, now)) {
        return 1;
    }
    ab_free(*buf);
    *buf = NULL;
    return 0;
}

/* A name as the forms take it: one line, not empty, of sensible length. */
static int name_ok(const char *s)
{
    return s && *s && strlen(s) <= 100 && !strpbrk(s, "\r\n\t");
}

/* Back to the page the form was on ("/" or "/checks/NAME" only: never
 * somewhere another site chose), saying what was done. */
static enum ab_err done(web *w, struct web_response *rs, const char *back, const char *what,
                        ab_time now)
{
    char loc[400];
    int ours = back && (!strcmp(back, "/") ||
                        (!strncmp(back, "/checks/", 8) && cfg_check_find(w->c, back + 8)));
    snprintf(loc, sizeof loc, "%s?held=%s", ours ? back : "/", what);
    web_after_action(w, now);
    return web_reply_redirect(rs, loc);
}

static enum ab_err pause_form(web *w, const struct web_request *rq, struct web_response *rs,
                              const struct cfg_check *k, int pause, ab_time now)
{
    struct web_kv kv[WEB_MAX_ARGS];
    size_t n = 0;
    char *buf = NULL, back[300];
    enum ab_err e;
    if (!read_form(w, rq, rs, kv, &n, &buf, now, &e))
        return e;
    snprintf(back, sizeof back, "/checks/%s", k->name);
    ab_errmsg em = {{0}};
    if (pause) {
        const char *by = web_form_get(kv, n, "by"), *note = web_form_get(kv, n, "note");
        ab_time until = AB_TIME_NONE;
        if (!name_ok(by) || (note && strlen(note) > 2000) ||
            web_parse_until(web_form_get(kv, n, "until"), now, &until) < 0) {
            ab_free(buf);
            return web_reply_error(w, rq, rs, 400, "Give your name, and how long (such as "
                                                   "2h, or empty: until resumed).", now);
        }
        e = eng_pause(w->e, k->name, until, by, note && *note ? note : NULL, now, &em);
    } else {
        e = eng_resume(w->e, k->name, &em);
    }
    ab_free(buf);
    if (e == AB_ENOTFOUND)
        return web_reply_error(w, rq, rs, 404, "That check is not paused.", now);
    if (e) {
        ab_log(AB_LOG_ERROR, "web: %s %s: %s", pause ? "pause" : "resume", k->name, em.text);
        return web_reply_error(w, rq, rs, 500, "The state database failed.", now);
    }
    ab_log(AB_LOG_INFO, "web: check %s %s", k->name, pause ? "paused" : "resumed");
    return done(w, rs, back, pause ? "paused" : "resumed", now);
}

/* Fill s from the form; 0, or -1 with why in em. */
static int silence_from_form(const struct web_kv *kv, size_t n, ab_time now,
                             struct store_silence *s, ab_errmsg *em)
{
    const char *m = web_form_get(kv, n, "matchers"), *by = web_form_get(kv, n, "by");
    const char *note = web_form_get(kv, n, "note");
    if (!m || !*m || !name_ok(by) || (note && strlen(note) > 2000)) {
        snprintf(em->text, sizeof em->text, "Give matchers (such as check=orders-* "
                                            "tag=finance), how long, and your name.");
        return -1;
    }
    char words[1024];
    snprintf(words, sizeof words, "%s", m);
    char *save = NULL;
    for (char *t = strtok_r(words, " \t,", &save); t; t = strtok_r(NULL, " \t,", &save))
        if (eng_silence_parse(t, s, em) != AB_OK)
            return -1;
    if (web_parse_until(web_form_get(kv, n, "until"), now, &s->ends) < 0 ||
        s->ends == AB_TIME_NONE) {
        snprintf(em->text, sizeof em->text, "How long: a duration such as 2h or 30d, or an "
                                            "ISO 8601 time ahead.");
        return -1;
    }
    s->created_by = (char *)by;
    s->comment = (char *)(note && *note ? note : NULL);
    return 0;
}

static enum ab_err silence_add_form(web *w, const struct web_request *rq,
                                    struct web_response *rs, ab_time now)
{
    struct web_kv kv[WEB_MAX_ARGS];
    size_t n = 0;
    char *buf = NULL;
    enum ab_err e;
    if (!read_form(w, rq, rs, kv, &n, &buf, now, &e))
        return e;
    struct store_silence s = {.starts = now, .created = now, .expired = AB_TIME_NONE};
    ab_errmsg em = {{0}};
    if (silence_from_form(kv, n, now, &s, &em) < 0)
        e = web_reply_error(w, rq, rs, 400, em.text, now);
    else if ((e = eng_silence_add(w->e, &s, &s.id, &em))) {
        ab_log(AB_LOG_ERROR, "web: silence: %s", em.text);
        e = web_reply_error(w, rq, rs, 500, "The state database failed.", now);
    } else {
        ab_log(AB_LOG_INFO, "web: silence #%lld added by %s", (long long)s.id, s.created_by);
        e = done(w, rs, web_form_get(kv, n, "back"), "silenced", now);
    }
    ab_free(s.check_glob);
    ab_free(s.item);
    ab_free(s.tag);
    ab_free(buf);
    return e;
}

static enum ab_err silence_expire_form(web *w, const struct web_request *rq,
                                       struct web_response *rs, int64_t id, ab_time now)
{
    struct web_kv kv[WEB_MAX_ARGS];
    size_t n = 0;
    char *buf = NULL;
    enum ab_err e;
    if (!read_form(w, rq, rs, kv, &n, &buf, now, &e))
        return e;
    ab_errmsg em = {{0}};
    e = eng_silence_expire(w->e, id, now, &em);
    if (e == AB_ENOTFOUND)
        e = web_reply_error(w, rq, rs, 404, "There is no such silence, or it has ended.", now);
    else if (e)
        e = web_reply_error(w, rq, rs, 500, "The state database failed.", now);
    else {
        ab_log(AB_LOG_INFO, "web: silence #%lld expired", (long long)id);
        e = done(w, rs, web_form_get(kv, n, "back"), "expired", now);
    }
    ab_free(buf);
    return e;
}

int web_silence_form_route(web *w, const struct web_request *rq, struct web_response *rs,
                           char **seg, size_t n, ab_time now, enum ab_err *out)
{
    int post = !strcmp(rq->method, "POST");
    int64_t id = n == 3 ? web_parse_id(seg[1]) : 0;
    if (n == 3 && !strcmp(seg[0], "checks") &&
        (!strcmp(seg[2], "pause") || !strcmp(seg[2], "resume"))) {
        const struct cfg_check *k = cfg_check_find(w->c, seg[1]);
        if (!post) {
            rs->allow = "POST";
            *out = web_reply_error(w, rq, rs, 405, "Use the form on the check's page.", now);
        } else {
            *out = k ? pause_form(w, rq, rs, k, !strcmp(seg[2], "pause"), now)
                     : web_reply_error(w, rq, rs, 404, "There is no check of that name.", now);
        }
        return 1;
    }
    if ((n == 1 && !strcmp(seg[0], "silences")) ||
        (n == 3 && !strcmp(seg[0], "silences") && id && !strcmp(seg[2], "expire"))) {
        if (!post) {
            rs->allow = "POST";
            *out = web_reply_error(w, rq, rs, 405, "Use the form on the status page.", now);
        } else {
            *out = n == 1 ? silence_add_form(w, rq, rs, now)
                          : silence_expire_form(w, rq, rs, id, now);
        }
        return 1;
    }
    return 0;
}
