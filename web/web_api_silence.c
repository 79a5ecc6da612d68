/*
 * web_api_silence.c - silences and pauses over the JSON API:
 *
 *   GET  /api/silences[?all=1]        the silences not yet ended (or all)
 *   POST /api/silences                {"matchers": ["check=orders-*", "tag=t"],
 *                                      "until": "30d", "from": T, "by": P, "note": N}
 *   POST /api/silences/ID/expire      end one now
 *   POST /api/checks/NAME/pause       {"by": P, "until": "2h" | T | null, "note": N}
 *   POST /api/checks/NAME/resume
 *
 * Every POST is an action: the bearer token (or basic auth and same
 * origin), as for dismiss.  The rules are the CLI's (engine/eng_silence.c).
 */
#include "web/web_int.h"

#include <stdio.h>
#include <string.h>

#include "common/ab_log.h"
#include "common/ab_mem.h"

json_t *web_json_silence(const struct store_silence *s, ab_time now)
{
    json_t *j = json_object();
    char what[512];
    eng_silence_describe(s, what, sizeof what);
    json_object_set_new(j, "id", json_integer(s->id));
    json_object_set_new(j, "matchers", json_string(what));
    json_object_set_new(j, "check", web_jstr(s->check_glob));
    json_object_set_new(j, "item", web_jstr(s->item));
    json_object_set_new(j, "tag", web_jstr(s->tag));
    json_object_set_new(j, "starts", web_jtime(s->starts));
    json_object_set_new(j, "ends", web_jtime(s->ends));
    json_object_set_new(j, "expired", web_jtime(s->expired));
    json_object_set_new(j, "created_by", web_jstr(s->created_by));
    json_object_set_new(j, "comment", web_jstr(s->comment));
    const char *state = s->expired != AB_TIME_NONE ? "expired"
                        : now >= s->ends           ? "ended"
                        : now < s->starts          ? "pending"
                                                   : "active";
    json_object_set_new(j, "state", json_string(state));
    return j;
}

static enum ab_err list(web *w, const struct web_request *rq, struct web_response *rs,
                        ab_time now)
{
    const char *all = web_arg(rq, "all");
    struct store_silence *v = NULL;
    size_t n = 0;
    ab_errmsg em = {{0}};
    if (eng_view_silences(w->e, all && !strcmp(all, "1"), now, &v, &n, &em) != AB_OK)
        return web_reply_jerror(rs, 500, "%s", em.text);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, web_json_silence(&v[i], now));
    eng_view_silences_free(v, n);
    return web_reply_json(rs, 200, arr);
}

static const char *str(json_t *body, const char *key, int *bad)
{
    json_t *v = json_object_get(body, key);
    if (v && !json_is_null(v) && !json_is_string(v))
        *bad = 1;
    return json_string_value(v);
}

static enum ab_err add(web *w, const struct web_request *rq, struct web_response *rs,
                       ab_time now)
{
    json_t *body = NULL;
    if (!web_action_allowed(w, rq, rs, now) || !web_json_body(rq, rs, &body))
        return AB_OK; /* the response says why */
    struct store_silence s = {.starts = now, .created = now, .expired = AB_TIME_NONE};
    ab_errmsg em = {{0}};
    int bad = 0, status = 400;
    const char *by = str(body, "by", &bad), *note = str(body, "note", &bad);
    const char *until = str(body, "until", &bad), *from = str(body, "from", &bad);
    json_t *m = json_object_get(body, "matchers");
    enum ab_err e = AB_EINVAL;
    /* Kept and printed as given: one line, of a sensible length. */
    if (!bad && ((by && (strlen(by) > 100 || strpbrk(by, "\r\n\t"))) ||
                 (note && strlen(note) > 2000)))
        bad = 1;
    if (bad || !json_is_array(m) || !json_array_size(m) || !by || !*by || !until) {
        snprintf(em.text, sizeof em.text, "give \"matchers\" (a list such as "
                                          "[\"check=orders-*\"]), \"until\" and \"by\"");
        goto out;
    }
    size_t i;
    json_t *x;
    json_array_foreach(m, i, x) {
        if (!json_is_string(x) || eng_silence_parse(json_string_value(x), &s, &em) != AB_OK) {
            if (!json_is_string(x))
                snprintf(em.text, sizeof em.text, "each matcher is a string");
            goto out;
        }
    }
    if ((from && web_parse_until(from, now, &s.starts) < 0) ||
        web_parse_until(until, now, &s.ends) < 0 || s.ends == AB_TIME_NONE ||
        s.ends <= s.starts) {
        snprintf(em.text, sizeof em.text, "\"from\" and \"until\" must be durations such as "
                                          "30d or ISO 8601 times, until after from");
        goto out;
    }
    s.created_by = (char *)by;
    s.comment = (char *)(note && *note ? note : NULL);
    e = eng_silence_add(w->e, &s, &s.id, &em);
    status = e ? 500 : 201;
out:
    if (!e) {
        ab_log(AB_LOG_INFO, "web: silence #%lld added by %s", (long long)s.id, by);
        web_after_action(w, now);
        e = web_reply_json(rs, 201, web_json_silence(&s, now));
    } else {
        e = web_reply_jerror(rs, status, "%s", em.text);
    }
    s.created_by = s.comment = NULL;
    ab_free(s.check_glob);
    ab_free(s.item);
    ab_free(s.tag);
    json_decref(body);
    return e;
}

static enum ab_err expire(web *w, const struct web_request *rq, struct web_response *rs,
                          int64_t id, ab_time now)
{
    if (!web_action_allowed(w, rq, rs, now))
        return AB_OK;
    ab_errmsg em = {{0}};
    enum ab_err e = eng_silence_expire(w->e, id, now, &em);
    if (e)
        return web_reply_jerror(rs, e == AB_ENOTFOUND ? 404 : 500, "%s", em.text);
    ab_log(AB_LOG_INFO, "web: silence #%lld expired", (long long)id);
    json_t *j = json_object();
    json_object_set_new(j, "id", json_integer(id));
    json_object_set_new(j, "expired", web_jtime(now));
    return web_reply_json(rs, 200, j);
}

static enum ab_err silences(web *w, const struct web_request *rq, struct web_response *rs,
                            char **seg, size_t n, ab_time now)
{
    int get = !strcmp(rq->method, "GET") || !strcmp(rq->method, "HEAD");
    int post = !strcmp(rq->method, "POST");
    if (n == 1) {
        if (get)
            return list(w, rq, rs, now);
        if (post)
            return add(w, rq, rs, now);
        rs->allow = "GET, HEAD, POST";
        return web_reply_jerror(rs, 405, "use GET or POST");
    }
    int64_t id = web_parse_id(seg[1]);
    if (n == 3 && id && !strcmp(seg[2], "expire")) {
        if (post)
            return expire(w, rq, rs, id, now);
        rs->allow = "POST";
        return web_reply_jerror(rs, 405, "use POST");
    }
    return web_reply_jerror(rs, 404, "no such API endpoint");
}

static enum ab_err pause_resume(web *w, const struct web_request *rq,
                                struct web_response *rs, const struct cfg_check *k, int pause,
                                ab_time now)
{
    if (strcmp(rq->method, "POST") != 0) {
        rs->allow = "POST";
        return web_reply_jerror(rs, 405, "use POST");
    }
    json_t *body = NULL;
    if (!web_action_allowed(w, rq, rs, now) ||
        (pause && !web_json_body(rq, rs, &body)))
        return AB_OK;
    ab_errmsg em = {{0}};
    enum ab_err e;
    if (pause) {
        int bad = 0;
        const char *by = str(body, "by", &bad), *until = str(body, "until", &bad);
        const char *note = str(body, "note", &bad);
        ab_time t = AB_TIME_NONE;
        if (bad || !by || !*by || strlen(by) > 100 || strpbrk(by, "\r\n\t") ||
            (note && strlen(note) > 2000) || (until && web_parse_until(until, now, &t) < 0)) {
            json_decref(body);
            return web_reply_jerror(rs, 400, "give \"by\", and \"until\" as a duration or "
                                             "an ISO 8601 time (or null: until resumed)");
        }
        e = eng_pause(w->e, k->name, t, by, note, now, &em);
        json_decref(body);
    } else {
        e = eng_resume(w->e, k->name, &em);
    }
    if (e)
        return web_reply_jerror(rs, e == AB_ENOTFOUND ? 404 : 500, "%s", em.text);
    ab_log(AB_LOG_INFO, "web: check %s %s", k->name, pause ? "paused" : "resumed");
    web_after_action(w, now);
    return web_api_check(w, rs, k, now);
}

int web_api_silence_route(web *w, const struct web_request *rq, struct web_response *rs,
                          char **seg, size_t n, ab_time now, enum ab_err *out)
{
    if (n >= 1 && !strcmp(seg[0], "silences")) {
        *out = silences(w, rq, rs, seg, n, now);
        return 1;
    }
    if (n == 3 && !strcmp(seg[0], "checks") &&
        (!strcmp(seg[2], "pause") || !strcmp(seg[2], "resume"))) {
        const struct cfg_check *k = cfg_check_find(w->c, seg[1]);
        *out = k ? pause_resume(w, rq, rs, k, !strcmp(seg[2], "pause"), now)
                 : web_reply_jerror(rs, 404, "no check named \"%s\"", seg[1]);
        return 1;
    }
    return 0;
}
