/*
 * web_ingest.c - what targets send us: pings from jobs that report in
 * (Healthchecks-style, a dead man's switch) and results pushed by a
 * target for itself (seed 001: the target sends its results back).
 *
 *   GET|POST /ping/TOKEN          the job finished well
 *   GET|POST /ping/TOKEN/start    it started
 *   GET|POST /ping/TOKEN/fail     it finished badly
 *   GET|POST /ping/TOKEN/EXIT     it finished with exit code EXIT (0-255)
 *   ...?rid=UUID                  of the run with this id (start and finish)
 *   POST /report/CHECK            {"status":"Failing","value":3,"message":"..."}
 *                                 or {"items":[{"item":"a","status":"Healthy"},...]}
 *
 * A ping's token is its only credential: an unknown token is a plain 404,
 * and the lookup (web_tokens.c) goes by the token's keyed digest, so
 * the answer takes the same time whichever token was guessed.
 * A report is an action: it needs the bearer token or basic auth.
 */
#include "web/web_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/ab_log.h"
#include "common/ab_mem.h"

#define MAX_ITEMS 1000
#define PING_DETAIL_MAX 1000

void web_after_action(web *w, ab_time now)
{
    if (!w->o.wake)
        return;
    /* Only mail that is due now is worth waking the daemon for; a
     * message waiting for its retry time is not. */
    if (eng_view_outbox_due(w->e, now))
        w->o.wake(w->o.wake_ud);
}

static const struct cfg_check *find_by_token(web *w, const char *token)
{
    if (!w->tokens && !(w->tokens = web_tokens_new(w)))
        return NULL;
    return web_tokens_find(w, w->tokens, token);
}

/* The POST body as a ping's detail: printable, cut to a sane length. */
static char *ping_detail(const struct web_request *rq)
{
    if (!rq->body || rq->body_len == 0)
        return NULL;
    size_t n = rq->body_len < PING_DETAIL_MAX ? rq->body_len : PING_DETAIL_MAX;
    char *d = ab_strndup(rq->body, n);
    if (!d)
        return NULL;
    for (char *p = d; *p; p++)
        if ((unsigned char)*p < 0x20 && *p != '\n' && *p != '\t')
            *p = ' ';
    return d;
}

enum ab_err web_ping(web *w, const struct web_request *rq, struct web_response *rs,
                     char **seg, size_t n, ab_time now)
{
    const char *m = rq->method;
    if (strcmp(m, "GET") && strcmp(m, "HEAD") && strcmp(m, "POST")) {
        web_reply_text(rs, 405, "use GET or POST\n");
        rs->allow = "GET, HEAD, POST";
        return AB_OK;
    }
    if (n > 2)
        return web_reply_text(rs, 404, "not found\n");
    enum store_ping_kind kind = STORE_PING_SUCCESS;
    int code = 0;
    if (n == 2) {
        const char *a = seg[1];
        if (strcmp(a, "start") == 0) {
            kind = STORE_PING_START;
        } else if (strcmp(a, "fail") == 0) {
            kind = STORE_PING_FAIL;
        } else {
            size_t len = strlen(a);
            if (len == 0 || len > 3 || strspn(a, "0123456789") != len)
                return web_reply_text(rs, 404, "not found\n");
            code = (a[0] - '0');
            for (size_t i = 1; i < len; i++)
                code = code * 10 + (a[i] - '0');
            if (code > 255)
                return web_reply_text(rs, 400, "an exit code is 0 to 255\n");
            kind = STORE_PING_EXIT;
        }
    }
    const struct cfg_check *k = find_by_token(w, seg[0]);
    if (!k)
        return web_reply_text(rs, 404, "not found\n");
    /* ?rid=UUID pairs a start with its finish (engine/eng_pingrun.c). */
    const char *rid = web_arg(rq, "rid");
    if (rid && !eng_rid_valid(rid))
        return web_reply_text(rs, 400,
                              "rid= must be a UUID (8-4-4-4-12 hex digits, e.g. "
                              "3f2b8c1e-5d4a-4e6f-9a7b-1c2d3e4f5a6b), the same for "
                              "a run's start and its finish\n");
    char *detail = ping_detail(rq);
    if (w->pw) {
        /* Served by the server: queued for the committer (web_pingq.c),
         * answered after the commit that holds it. */
        struct web_pingq_wait *pw = w->pw;
        pw->detail = detail;
        pw->rid = rid ? ab_strdup(rid) : NULL;
        if (rid && !pw->rid)
            return AB_ENOMEM;
        pw->in = (struct eng_ping_in){.check = k->name, .kind = kind, .exit_code = code,
                                      .via = "http", .detail = detail, .rid = pw->rid,
                                      .at = now};
        pw->deferred = 1;
    } else {
        /* One transaction for the ping and everything it leads to. */
        ab_errmsg em = {{0}};
        eng_live_touch(w->live, k->name); /* so what it writes, the next page shows */
        enum ab_err e =
            rid ? eng_ping_rid_atomic(w->e, k->name, kind, code, "http", detail, rid, now, &em)
                : eng_ping_atomic(w->e, k->name, kind, code, "http", detail, now, &em);
        ab_free(detail);
        if (e) {
            ab_log(AB_LOG_ERROR, "web: ping %s: %s", k->name, em.text);
            /* The database away or busy is a 503 a pinger retries after. */
            if (e == AB_EBUSY || e == AB_ESTORE) {
                enum ab_err re =
                    web_reply_text(rs, 503, "could not record the ping; try again\n");
                rs->retry_after = "5";
                return re;
            }
            return web_reply_text(rs, 500, "could not record the ping\n");
        }
        web_after_action(w, now);
    }
    enum ab_err r = web_reply_text(rs, 200, "OK\n");
    rs->no_store = 1;
    return r;
}

int web_json_body(const struct web_request *rq, struct web_response *rs, json_t **out)
{
    *out = NULL;
    const char *ct = rq->content_type;
    /* Requiring the JSON media type is also CSRF protection: a page on
     * another site cannot send it without a CORS preflight, which we
     * never grant. */
    size_t l = strlen("application/json");
    if (!ct || strncasecmp(ct, "application/json", l) != 0 ||
        (ct[l] != '\0' && ct[l] != ';' && ct[l] != ' ')) {
        web_reply_jerror(rs, 415, "send the body as Content-Type: application/json");
        return 0;
    }
    json_error_t je;
    json_t *j = json_loadb(rq->body ? rq->body : "", rq->body_len,
                           JSON_REJECT_DUPLICATES, &je);
    if (!j) {
        web_reply_jerror(rs, 400, "bad JSON at line %d column %d: %s", je.line,
                         je.column, je.text);
        return 0;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        web_reply_jerror(rs, 400, "the body must be a JSON object");
        return 0;
    }
    *out = j;
    return 1;
}

/* Validate one result object into *it; an error message or NULL. */
static const char *parse_item(json_t *o, struct eng_report_item *it, char *buf,
                              size_t len)
{
    if (!json_is_object(o))
        return "each item must be a JSON object";
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) {
        if (strcmp(key, "item") && strcmp(key, "status") && strcmp(key, "value") &&
            strcmp(key, "message")) {
            snprintf(buf, len, "unknown field \"%.60s\" (item, status, value, message)", key);
            return buf;
        }
    }
    json_t *ji = json_object_get(o, "item"), *js = json_object_get(o, "status");
    json_t *jv = json_object_get(o, "value"), *jm = json_object_get(o, "message");
    if (ji && !json_is_string(ji))
        return "\"item\" must be a string";
    it->item = ji ? json_string_value(ji) : "";
    if (strlen(it->item) > 200 || strchr(it->item, '\n'))
        return "\"item\" must be one line of at most 200 characters";
    int s = json_is_string(js) ? eng_status_parse(json_string_value(js)) : -1;
    if (s < 0)
        return "\"status\" must be Healthy, Degraded, Failing or Offline";
    it->status = (enum ab_status)s;
    it->has_value = jv && !json_is_null(jv);
    if (it->has_value && !json_is_number(jv))
        return "\"value\" must be a number";
    it->value = it->has_value ? json_number_value(jv) : 0;
    if (jm && !json_is_null(jm) && !json_is_string(jm))
        return "\"message\" must be a string";
    it->message = json_is_string(jm) ? json_string_value(jm) : NULL;
    if (it->message && strlen(it->message) > 4000)
        return "\"message\" is longer than 4000 characters";
    return NULL;
}

enum ab_err web_report(web *w, const struct web_request *rq,
                       struct web_response *rs, const char *check, ab_time now)
{
    json_t *body = NULL;
    if (!web_action_allowed(w, rq, rs, now) || !web_json_body(rq, rs, &body))
        return AB_OK;
    const struct cfg_check *k = cfg_check_find(w->c, check);
    struct eng_report_item *items = NULL;
    size_t n = 0;
    char buf[128];
    const char *bad = NULL;
    int status = 400;
    json_t *arr = json_object_get(body, "items");
    if (!k) {
        status = 404;
        bad = "no such check";
    } else if (arr) {
        if (json_object_size(body) != 1)
            bad = "with \"items\", put every field inside the items";
        else if (!json_is_array(arr) || json_array_size(arr) == 0)
            bad = "\"items\" must be a non-empty array";
        else if (json_array_size(arr) > MAX_ITEMS)
            bad = "at most 1000 items per report";
        n = bad ? 0 : json_array_size(arr);
    } else {
        n = 1;
    }
    if (!bad && !(items = ab_calloc(n ? n : 1, sizeof *items))) {
        json_decref(body);
        return AB_ENOMEM;
    }
    /* Validate everything before recording anything: a report is taken
     * whole or refused whole. */
    for (size_t i = 0; i < n && !bad; i++)
        bad = parse_item(arr ? json_array_get(arr, i) : body, &items[i], buf, sizeof buf);
    if (bad) {
        ab_free(items);
        json_decref(body);
        return status == 404 ? web_reply_jerror(rs, 404, "no check named \"%s\"", check)
                             : web_reply_jerror(rs, 400, "%s", bad);
    }
    ab_errmsg em = {{0}};
    /* The whole report in one transaction: recorded whole or not at all. */
    enum ab_err e = eng_report_atomic(w->e, k->name, items, n, now, &em);
    json_t *out = json_array();
    for (size_t i = 0; i < n && !e; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "item", web_jstr(items[i].item));
        json_object_set_new(o, "status", json_string(eng_status_name(items[i].status)));
        json_array_append_new(out, o);
    }
    ab_free(items);
    json_decref(body);
    if (e) {
        json_decref(out);
        ab_log(AB_LOG_ERROR, "web: report %s: %s", check, em.text);
        return web_reply_jerror(rs,
                                e == AB_EINVAL                     ? 400
                                : e == AB_EBUSY || e == AB_ESTORE ? 503
                                                                  : 500,
                                "nothing recorded: %s",
                                e == AB_EINVAL ? em.text : "the state database failed");
    }
    web_after_action(w, now);
    ab_log(AB_LOG_INFO, "web: report %s: %zu result(s)", k->name, n);
    json_t *root = json_object();
    json_object_set_new(root, "check", json_string(k->name));
    json_object_set_new(root, "recorded", json_integer((json_int_t)n));
    json_object_set_new(root, "results", out);
    return web_reply_json(rs, 200, root);
}
