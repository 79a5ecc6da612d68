/*
 * test_web.c - the web module without a socket: routing and bad paths,
 * auth (bearer, basic against a crypt(3) hash, none configured), the
 * Origin check, CSRF tokens on the dismiss form, HTML escaping, JSON
 * bodies (good, bad, wrong type), pings, reports, the JSON API and the
 * Prometheus format.  test_web_http.c does the same over real sockets.
 */
#include "harness.h"

#include <regex.h>

#include "store/store.h"
#include "store/store_alerts.h"
#include "store/store_runs.h"
#include "test_web_util.h"
#include "web/web_int.h"

struct fx {
    const char *dir;
    cfg *c;
    web *w;
    struct web_response rs;
};

static int fx_open(struct fx *f, const char *name, int auth)
{
    memset(f, 0, sizeof *f);
    tw_now_value = TW_NOW;
    f->dir = tw_setup(name, auth);
    f->c = tw_config(f->dir);
    if (!f->c)
        return -1;
    struct web_opts o = tw_opts();
    ab_errmsg em = {{0}};
    if (web_new(f->c, &o, &f->w, &em) != AB_OK) {
        fprintf(stderr, "web_new: %s\n", em.text);
        return -1;
    }
    return 0;
}

static void fx_close(struct fx *f)
{
    web_response_free(&f->rs);
    web_free(f->w);
    cfg_free(f->c);
}

/* Open a Failing alert on backup through a report; returns its id. */
static int64_t open_alert(struct fx *f)
{
    if (POSTJ(f->w, "/report/backup", "{\"status\":\"Failing\",\"message\":\"disk full\"}",
              "Bearer " TW_TOKEN, &f->rs) != 200)
        return 0;
    store *st;
    if (store_open(t_state(tw_path(f->dir, "state.db")), &st, NULL) != AB_OK)
        return 0;
    struct store_alert *a = NULL;
    int64_t id = 0;
    if (store_alert_find_open(st, "backup", "", &a, NULL) == AB_OK)
        id = a->id;
    store_alert_free(a);
    store_close(st);
    return id;
}

TEST(routing_pages_and_errors)
{
    struct fx f;
    CHECK(fx_open(&f, "routing", 1) == 0);
    CHECK_INT(GET(f.w, "/", &f.rs), 200);
    CHECK_CONTAINS(f.rs.content_type, "text/html");
    CHECK_CONTAINS(f.rs.body, "href=\"/checks/backup\"");
    CHECK_CONTAINS(f.rs.body, "Nightly backup");
    CHECK_CONTAINS(f.rs.body, "Test &amp; Co"); /* site name, escaped */
    CHECK_INT(GET(f.w, "/alerts", &f.rs), 200);
    CHECK_CONTAINS(f.rs.body, "No open alerts");
    CHECK_INT(GET(f.w, "/alerts/", &f.rs), 200); /* one trailing slash is fine */
    CHECK_INT(GET(f.w, "/checks/backup", &f.rs), 200);
    CHECK_CONTAINS(f.rs.body, "No runs yet");
    CHECK_INT(GET(f.w, "/checks/nope", &f.rs), 404);
    CHECK_CONTAINS(f.rs.body, "no check of that name");
    CHECK_INT(GET(f.w, "/nothing/here", &f.rs), 404);
    CHECK_INT(GET(f.w, "/healthz", &f.rs), 200);
    CHECK_STR(f.rs.body, "ok\n");
    CHECK_INT(tw_do(f.w, (struct tw_req){.method = "HEAD", .path = "/"}, &f.rs), 200);
    CHECK_INT(tw_do(f.w, (struct tw_req){.method = "POST", .path = "/"}, &f.rs), 405);
    CHECK_STR(f.rs.allow, "GET, HEAD");
    CHECK_INT(tw_do(f.w, (struct tw_req){.method = "DELETE", .path = "/api/alerts/1/dismiss"},
                    &f.rs), 405);
    CHECK_INT(GET(f.w, "/api/nothing", &f.rs), 404);
    CHECK_CONTAINS(f.rs.content_type, "application/json");
    fx_close(&f);
}

TEST(bad_paths_are_refused)
{
    struct fx f;
    CHECK(fx_open(&f, "paths", 1) == 0);
    static const char *const bad[] = {
        "/../etc/passwd", "/checks/..", "/checks/../../state.db", "/checks/.",
        "//", "/checks//backup", "/checks/a b", "/checks/a\\b", "/checks/\x01",
        "/checks/%2e%2e", "/checks/\xc3\xa9", "relative", "", "/ping/..",
        "/api/checks/../alerts",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int st = GET(f.w, bad[i], &f.rs);
        if (st != 400) {
            t_fail(__FILE__, __LINE__, "path \"%s\" gave %d, expected 400", bad[i], st);
            return;
        }
    }
    /* Too deep or too long: nothing can live there. */
    CHECK_INT(GET(f.w, "/a/b/c/d/e/f/g/h/i/j", &f.rs), 404);
    char longp[400];
    memset(longp, 'a', sizeof longp - 1);
    longp[0] = '/';
    longp[sizeof longp - 1] = '\0';
    CHECK_INT(GET(f.w, longp, &f.rs), 404);
    /* And the server still answers. */
    CHECK_INT(GET(f.w, "/", &f.rs), 200);
    fx_close(&f);
}

TEST(html_is_escaped)
{
    struct fx f;
    CHECK(fx_open(&f, "escape", 1) == 0);
    const char *body = "{\"status\":\"Failing\",\"message\":\"<script>alert('x')</script>&\\\"\"}";
    CHECK_INT(POSTJ(f.w, "/report/backup", body, "Bearer " TW_TOKEN, &f.rs), 200);
    const char *pages[] = {"/", "/alerts", "/checks/backup"};
    for (size_t i = 0; i < 3; i++) {
        CHECK_INT(GET(f.w, pages[i], &f.rs), 200);
        CHECK_CONTAINS(f.rs.body, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;");
        CHECK(!strstr(f.rs.body, "<script>"));
    }
    /* Through the API the same text comes back as data, not markup. */
    CHECK_INT(GET(f.w, "/api/checks/backup", &f.rs), 200);
    CHECK_CONTAINS(f.rs.body, "<script>alert('x')</script>&\\\"");
    fx_close(&f);
}

TEST(alert_inbox_shows_notes_escaped)
{
    struct fx f;
    CHECK(fx_open(&f, "notes", 1) == 0);
    int64_t id = open_alert(&f);
    CHECK(id > 0);
    store *st;
    CHECK_OK(store_open(t_state(tw_path(f.dir, "state.db")), &st, NULL));
    CHECK_OK(store_alert_event(st, id, 1796367600, "note", "kim@example.test",
                               "vendor <b>late</b>, fix Friday", NULL));
    CHECK_OK(store_alert_event(st, id, 1796367660, "notified", NULL, "not a note", NULL));
    store_close(st);
    CHECK_INT(GET(f.w, "/alerts", &f.rs), 200);
    CHECK_CONTAINS(f.rs.body, "<ul class=\"notes\">");
    CHECK_CONTAINS(f.rs.body, "kim@example.test");
    CHECK_CONTAINS(f.rs.body, "vendor &lt;b&gt;late&lt;/b&gt;, fix Friday");
    CHECK(!strstr(f.rs.body, "not a note"));
    fx_close(&f);
}

TEST(actions_need_auth)
{
    struct fx f;
    CHECK(fx_open(&f, "auth", 1) == 0);
    const char *ok = "{\"status\":\"Healthy\",\"value\":1}";
    CHECK_INT(POSTJ(f.w, "/report/backup", ok, NULL, &f.rs), 401);
    CHECK_CONTAINS(f.rs.www_authenticate, "Basic");
    CHECK_CONTAINS(f.rs.body, "\"error\"");
    CHECK_INT(POSTJ(f.w, "/report/backup", ok, "Bearer wrong-token-0123456789", &f.rs), 401);
    CHECK_INT(POSTJ(f.w, "/report/backup", ok, "Bearer " TW_TOKEN "x", &f.rs), 401);
    CHECK_INT(POSTJ(f.w, "/report/backup", ok, "Bearer ", &f.rs), 401);
    CHECK_INT(POSTJ(f.w, "/report/backup", ok, "Token " TW_TOKEN, &f.rs), 401);
    CHECK_INT(POSTJ(f.w, "/report/backup", ok, "Bearer " TW_TOKEN, &f.rs), 200);
    CHECK_INT(POSTJ(f.w, "/report/backup", ok, "bearer " TW_TOKEN, &f.rs), 200);
    CHECK_INT(POSTJ(f.w, "/report/backup", ok, TW_BASIC, &f.rs), 200);
    /* kim:wrong horse, bob:correct horse, no colon, not base64 */
    CHECK_INT(POSTJ(f.w, "/report/backup", ok, "Basic a2ltOndyb25nIGhvcnNl", &f.rs), 401);
    CHECK_INT(POSTJ(f.w, "/report/backup", ok, "Basic Ym9iOmNvcnJlY3QgaG9yc2U=", &f.rs), 401);
    CHECK_INT(POSTJ(f.w, "/report/backup", ok, "Basic a2lt", &f.rs), 401);
    CHECK_INT(POSTJ(f.w, "/report/backup", ok, "Basic !!!!", &f.rs), 401);
    /* Reads stay open. */
    CHECK_INT(GET(f.w, "/api/checks", &f.rs), 200);
    CHECK_INT(GET(f.w, "/metrics", &f.rs), 200);
    fx_close(&f);
}

TEST(actions_refused_without_auth_configured)
{
    struct fx f;
    CHECK(fx_open(&f, "noauth", 0) == 0);
    CHECK_INT(POSTJ(f.w, "/report/backup", "{\"status\":\"Healthy\"}", "Bearer " TW_TOKEN,
                    &f.rs), 403);
    CHECK_CONTAINS(f.rs.body, "actions are disabled");
    CHECK_INT(GET(f.w, "/alerts", &f.rs), 200);
    CHECK(!strstr(f.rs.body, "<form"));
    CHECK_CONTAINS(f.rs.body, "dismissing needs");
    /* Pings need no more than their token. */
    CHECK_INT(GET(f.w, "/ping/" TW_PING, &f.rs), 200);
    fx_close(&f);
}

TEST(other_sites_cannot_act)
{
    struct fx f;
    CHECK(fx_open(&f, "origin", 1) == 0);
    struct tw_req r = {.method = "POST", .path = "/report/backup",
                       .body = "{\"status\":\"Healthy\"}", .ctype = "application/json",
                       .auth = "Bearer " TW_TOKEN, .origin = "http://evil.example"};
    CHECK_INT(tw_do(f.w, r, &f.rs), 403);
    r.origin = "null";
    CHECK_INT(tw_do(f.w, r, &f.rs), 403);
    r.origin = "http://127.0.0.1:18031";
    CHECK_INT(tw_do(f.w, r, &f.rs), 200);
    /* Behind a proxy: the public origin of <web base-url> is ours too. */
    r.origin = "https://ackbeat.example.org";
    CHECK_INT(tw_do(f.w, r, &f.rs), 200);
    r.origin = "https://ackbeat.example.org.evil.example";
    CHECK_INT(tw_do(f.w, r, &f.rs), 403);
    r.origin = NULL;
    r.referer = "http://evil.example/page";
    CHECK_INT(tw_do(f.w, r, &f.rs), 403);
    r.referer = "http://127.0.0.1:18031/alerts";
    CHECK_INT(tw_do(f.w, r, &f.rs), 200);
    r.referer = NULL;
    /* A form-encoded or text/plain body (what a cross-site form can
     * send without a preflight) is not JSON: 415. */
    r.ctype = "text/plain";
    r.origin = NULL;
    CHECK_INT(tw_do(f.w, r, &f.rs), 415);
    r.ctype = "application/x-www-form-urlencoded";
    CHECK_INT(tw_do(f.w, r, &f.rs), 415);
    r.ctype = "application/jsonx";
    CHECK_INT(tw_do(f.w, r, &f.rs), 415);
    r.ctype = "application/json; charset=utf-8";
    CHECK_INT(tw_do(f.w, r, &f.rs), 200);
    fx_close(&f);
}

TEST(report_json_bodies)
{
    struct fx f;
    CHECK(fx_open(&f, "report", 1) == 0);
    const char *a = "Bearer " TW_TOKEN;
    static const struct {
        const char *body;
        int status;
        const char *says;
    } cases[] = {
        {"{", 400, "bad JSON"},
        {"", 400, "bad JSON"},
        {"[1,2]", 400, "JSON object"},
        {"{\"status\":\"Fine\"}", 400, "Healthy, Degraded"},
        {"{\"status\":\"Failing\",\"value\":\"3\"}", 400, "must be a number"},
        {"{\"status\":\"Failing\",\"colour\":1}", 400, "unknown field"},
        {"{\"status\":\"Failing\",\"status\":\"Healthy\"}", 400, "duplicate"},
        {"{\"items\":[]}", 400, "non-empty"},
        {"{\"items\":[{\"item\":\"a\",\"status\":\"Healthy\"},{\"item\":\"b\"}]}", 400, "status"},
        {"{\"items\":[{\"status\":\"Healthy\"}],\"status\":\"Healthy\"}", 400, "inside the items"},
        {"{\"item\":\"a\\nb\",\"status\":\"Healthy\"}", 400, "one line"},
        {"{\"status\":\"degraded\",\"value\":3.5,\"message\":\"slow\"}", 200, "\"recorded\": 1"},
        {"{\"items\":[{\"item\":\"eu\",\"status\":\"Healthy\",\"value\":1},"
         "{\"item\":\"us\",\"status\":\"Failing\",\"value\":null,\"message\":null}]}",
         200, "\"recorded\": 2"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int st = POSTJ(f.w, "/report/backup", cases[i].body, a, &f.rs);
        if (st != cases[i].status || !f.rs.body || !strstr(f.rs.body, cases[i].says)) {
            t_fail(__FILE__, __LINE__, "body %s: %d %s", cases[i].body, st,
                   f.rs.body ? f.rs.body : "(none)");
            return;
        }
        CHECK_CONTAINS(f.rs.content_type, "application/json");
    }
    CHECK_INT(POSTJ(f.w, "/report/nope", "{\"status\":\"Healthy\"}", a, &f.rs), 404);
    /* The failed bodies recorded nothing; the good ones three results. */
    CHECK_INT(GET(f.w, "/api/checks/backup/runs", &f.rs), 200);
    CHECK_CONTAINS(f.rs.body, "\"item\": \"us\"");
    CHECK_CONTAINS(f.rs.body, "\"item\": \"eu\"");
    CHECK_CONTAINS(f.rs.body, "\"status\": \"Degraded\"");
    CHECK_CONTAINS(f.rs.body, "\"value\": 3.5");
    CHECK_INT(tw_do(f.w, (struct tw_req){.path = "/api/checks/backup/runs",
                                         .query_key = "limit", .query_val = "1"},
                    &f.rs), 200);
    CHECK(!strstr(f.rs.body, "\"Degraded\""));
    CHECK_INT(tw_do(f.w, (struct tw_req){.path = "/api/checks/backup/runs",
                                         .query_key = "limit", .query_val = "x"},
                    &f.rs), 400);
    fx_close(&f);
}

TEST(pings)
{
    struct fx f;
    CHECK(fx_open(&f, "pings", 1) == 0);
    CHECK_INT(GET(f.w, "/ping/" TW_PING "/start", &f.rs), 200);
    CHECK_STR(f.rs.body, "OK\n");
    tw_now_value += 60;
    CHECK_INT(GET(f.w, "/ping/" TW_PING, &f.rs), 200);
    CHECK_INT(GET(f.w, "/api/checks/nightly", &f.rs), 200);
    CHECK_CONTAINS(f.rs.body, "\"status\": \"Healthy\"");
    tw_now_value += 60;
    CHECK_INT(tw_do(f.w, (struct tw_req){.method = "POST", .path = "/ping/" TW_PING "/3",
                                         .body = "exit 3: tar failed"}, &f.rs), 200);
    CHECK_INT(GET(f.w, "/api/checks/nightly", &f.rs), 200);
    CHECK_CONTAINS(f.rs.body, "\"status\": \"Failing\"");
    CHECK_CONTAINS(f.rs.body, "exit code 3");
    tw_now_value += 60;
    CHECK_INT(GET(f.w, "/ping/" TW_PING "/0", &f.rs), 200);
    CHECK_INT(GET(f.w, "/ping/" TW_PING "/fail", &f.rs), 200);
    CHECK_INT(GET(f.w, "/ping/" TW_PING "/256", &f.rs), 400);
    CHECK_INT(GET(f.w, "/ping/" TW_PING "/1000", &f.rs), 404);
    CHECK_INT(GET(f.w, "/ping/" TW_PING "/bogus", &f.rs), 404);
    CHECK_INT(GET(f.w, "/ping/" TW_PING "/fail/x", &f.rs), 404);
    CHECK_INT(GET(f.w, "/ping/unknown-token-0123456789", &f.rs), 404);
    CHECK_INT(GET(f.w, "/ping/" TW_PING "x", &f.rs), 404);
    CHECK_INT(GET(f.w, "/ping/ping-nightly", &f.rs), 404);
    CHECK_INT(tw_do(f.w, (struct tw_req){.method = "PUT", .path = "/ping/" TW_PING}, &f.rs),
              405);
    /* A ping check's page shows the pings. */
    CHECK_INT(GET(f.w, "/checks/nightly", &f.rs), 200);
    CHECK_CONTAINS(f.rs.body, "Last finish");
    CHECK_CONTAINS(f.rs.body, "via http");
    fx_close(&f);
}

TEST(dismiss_form_with_csrf)
{
    struct fx f;
    CHECK(fx_open(&f, "csrf", 1) == 0);
    int64_t id = open_alert(&f);
    CHECK(id > 0);
    CHECK_INT(GET(f.w, "/alerts", &f.rs), 200);
    CHECK_CONTAINS(f.rs.body, "disk full");
    CHECK_CONTAINS(f.rs.body, "name=\"csrf\"");
    char action[64];
    snprintf(action, sizeof action, "/alerts/%lld/dismiss", (long long)id);
    CHECK_CONTAINS(f.rs.body, action);
    char *tok = web_csrf_token(f.w, tw_now_value);
    CHECK(tok);
    CHECK_CONTAINS(f.rs.body, tok);

    char body[512];
    struct tw_req r = {.method = "POST", .path = action, .body = body,
                       .ctype = "application/x-www-form-urlencoded", .auth = TW_BASIC,
                       .origin = "http://127.0.0.1:18031"};
    /* No token, a forged one, a stale one: refused. */
    snprintf(body, sizeof body, "by=Kim&note=on+it");
    CHECK_INT(tw_do(f.w, r, &f.rs), 403);
    CHECK_CONTAINS(f.rs.body, "expired");
    snprintf(body, sizeof body, "csrf=%lld.0000000000000000000000000000000000000000&by=Kim",
             (long long)tw_now_value);
    CHECK_INT(tw_do(f.w, r, &f.rs), 403);
    char *old = web_csrf_token(f.w, tw_now_value - 2 * 86400);
    snprintf(body, sizeof body, "csrf=%s&by=Kim", old);
    ab_free(old);
    CHECK_INT(tw_do(f.w, r, &f.rs), 403);
    /* A good token from another site's page, or without auth: refused. */
    snprintf(body, sizeof body, "csrf=%s&by=Kim&note=rebooted%%20it%%21&until=", tok);
    r.origin = "http://evil.example";
    CHECK_INT(tw_do(f.w, r, &f.rs), 403);
    r.origin = NULL;
    r.auth = NULL;
    CHECK_INT(tw_do(f.w, r, &f.rs), 401);
    CHECK_CONTAINS(f.rs.www_authenticate, "Basic realm=");
    /* No name: a 400 with the inbox shown again. */
    r.auth = TW_BASIC;
    char noname[256];
    snprintf(noname, sizeof noname, "csrf=%s&by=&note=x", tok);
    r.body = noname;
    CHECK_INT(tw_do(f.w, r, &f.rs), 400);
    CHECK_CONTAINS(f.rs.body, "must name who dismisses");
    /* The real thing, the way a browser sends it. */
    r.body = body;
    r.origin = "http://127.0.0.1:18031";
    CHECK_INT(tw_do(f.w, r, &f.rs), 303);
    char loc[64];
    snprintf(loc, sizeof loc, "/alerts?done=%lld&act=dismissed", (long long)id);
    CHECK_STR(f.rs.location, loc);
    CHECK_INT(GET(f.w, "/api/alerts", &f.rs), 200);
    CHECK_CONTAINS(f.rs.body, "\"dismissed_by\": \"Kim\"");
    CHECK_CONTAINS(f.rs.body, "\"dismiss_note\": \"rebooted it!\"");
    char q[32];
    snprintf(q, sizeof q, "%lld", (long long)id);
    CHECK_INT(tw_do(f.w, (struct tw_req){.path = "/alerts", .query_key = "done",
                                         .query_val = q}, &f.rs), 200);
    CHECK_CONTAINS(f.rs.body, "dismissed.");
    CHECK_CONTAINS(f.rs.body, "Dismissed by <b>Kim</b>");
    /* The nav badge no longer counts it. */
    CHECK(!strstr(f.rs.body, "class=\"badge\""));
    ab_free(tok);
    /* Not a number, no such alert. */
    CHECK_INT(tw_do(f.w, (struct tw_req){.method = "POST", .path = "/alerts/x/dismiss"},
                    &f.rs), 404);
    fx_close(&f);
}

TEST(api_dismiss_and_snooze)
{
    struct fx f;
    CHECK(fx_open(&f, "apidismiss", 1) == 0);
    int64_t id = open_alert(&f);
    CHECK(id > 0);
    char path[64];
    snprintf(path, sizeof path, "/api/alerts/%lld/dismiss", (long long)id);
    const char *a = "Bearer " TW_TOKEN;
    CHECK_INT(POSTJ(f.w, path, "{\"note\":\"x\"}", a, &f.rs), 400);
    CHECK_INT(POSTJ(f.w, path, "{\"by\":\"Lee\",\"until\":\"soon\"}", a, &f.rs), 400);
    CHECK_INT(POSTJ(f.w, path, "{\"by\":\"Lee\",\"until\":\"2020-01-01T00:00:00Z\"}", a, &f.rs),
              400);
    CHECK_INT(POSTJ(f.w, path, "{\"by\":\"Lee\",\"note\":5}", a, &f.rs), 400);
    CHECK_INT(POSTJ(f.w, path, "{\"by\":\"Lee\\u0007\"}", a, &f.rs), 400);
    CHECK_INT(POSTJ(f.w, path, "{\"by\":\"Lee\",\"note\":\"later\",\"until\":\"4h\"}", a, &f.rs),
              200);
    CHECK_CONTAINS(f.rs.body, "\"dismissed_by\": \"Lee\"");
    CHECK_CONTAINS(f.rs.body, "\"dismissed_until\": \"2026-12-01T12:00:00Z\"");
    CHECK_INT(POSTJ(f.w, "/api/alerts/999/dismiss", "{\"by\":\"Lee\"}", a, &f.rs), 404);
    CHECK_INT(POSTJ(f.w, "/api/alerts/0/dismiss", "{\"by\":\"Lee\"}", a, &f.rs), 404);
    CHECK_INT(POSTJ(f.w, path, "{\"by\":\"Lee\"}", NULL, &f.rs), 401);
    CHECK_INT(GET(f.w, path, &f.rs), 405);
    /* Resolved alerts cannot be dismissed: 409. */
    CHECK_INT(POSTJ(f.w, "/report/backup", "{\"status\":\"Healthy\"}", a, &f.rs), 200);
    CHECK_INT(POSTJ(f.w, path, "{\"by\":\"Lee\"}", a, &f.rs), 409);
    snprintf(path, sizeof path, "/api/alerts/%lld", (long long)id);
    CHECK_INT(GET(f.w, path, &f.rs), 200);
    CHECK(!strstr(f.rs.body, "\"resolved\": null"));
    CHECK_INT(GET(f.w, "/api/alerts", &f.rs), 200);
    CHECK_STR(f.rs.body, "[]\n");
    CHECK_INT(tw_do(f.w, (struct tw_req){.path = "/api/alerts", .query_key = "all",
                                         .query_val = "1"}, &f.rs), 200);
    CHECK_CONTAINS(f.rs.body, "\"check\": \"backup\"");
    /* The inbox's history lists it. */
    CHECK_INT(GET(f.w, "/alerts", &f.rs), 200);
    CHECK_CONTAINS(f.rs.body, "History");
    CHECK_CONTAINS(f.rs.body, "by Lee");
    fx_close(&f);
}

TEST(metrics_format)
{
    struct fx f;
    CHECK(fx_open(&f, "metrics", 1) == 0);
    CHECK_INT(POSTJ(f.w, "/report/backup", "{\"status\":\"Failing\",\"value\":42}",
                    "Bearer " TW_TOKEN, &f.rs), 200);
    tw_now_value += 90;
    CHECK_INT(GET(f.w, "/metrics", &f.rs), 200);
    CHECK_STR(f.rs.content_type, "text/plain; version=0.0.4; charset=utf-8");
    const char *m = f.rs.body;
    CHECK_CONTAINS(m, "# TYPE ackbeat_check_status gauge\n");
    CHECK_CONTAINS(m, "ackbeat_check_status{check=\"backup\",kind=\"command\"} 2\n");
    CHECK_CONTAINS(m, "ackbeat_check_status{check=\"orders\",kind=\"freshness\"} -1\n");
    CHECK_CONTAINS(m, "ackbeat_check_last_run_age_seconds{check=\"backup\"} 90\n");
    CHECK_CONTAINS(m, "ackbeat_check_last_run_age_seconds{check=\"orders\"} NaN\n");
    CHECK_CONTAINS(m, "ackbeat_check_value{check=\"backup\"} 42\n");
    CHECK_CONTAINS(m, "ackbeat_check_execution_seconds{check=\"backup\"} 0\n");
    CHECK_CONTAINS(m, "ackbeat_alerts_open{priority=\"2\"} 1\n");
    CHECK_CONTAINS(m, "ackbeat_outbox_messages{status=\"queued\"} 1\n");
    CHECK_CONTAINS(m, "ackbeat_outbox_oldest_queued_age_seconds 90\n");
    /* Every line is a comment or NAME{LABELS} VALUE, and every metric's
     * samples follow its own TYPE line. */
    regex_t re;
    CHECK(regcomp(&re,
                  "^(# (HELP|TYPE) [a-z_]+ .+|[a-z_]+(\\{[a-z_]+=\"[^\"]*\"(,[a-z_]+=\"[^\"]*\")*\\})? "
                  "(-?[0-9]+(\\.[0-9]+)?(e[-+]?[0-9]+)?|NaN))$",
                  REG_EXTENDED | REG_NOSUB) == 0);
    char *copy = ab_strdup(m), *save = NULL, typed[64] = "";
    int lines = 0, bad = 0;
    for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        lines++;
        if (regexec(&re, l, 0, NULL, 0) != 0) {
            printf("    bad line: %s\n", l);
            bad++;
        }
        if (strncmp(l, "# TYPE ", 7) == 0)
            sscanf(l + 7, "%63s", typed);
        else if (l[0] != '#' && strncmp(l, typed, strlen(typed)) != 0) {
            printf("    %s not under its TYPE (%s)\n", l, typed);
            bad++;
        }
    }
    ab_free(copy);
    regfree(&re);
    CHECK(lines > 20);
    CHECK_INT(bad, 0);
    fx_close(&f);
}

TEST(heartbeat_cycles_on_status)
{
    struct fx f;
    CHECK(fx_open(&f, "cycles", 1) == 0);
    const char *sql =
        "INSERT INTO cycles(id, check_name, opened, deadline, quorum, status) VALUES "
        " (1, 'monthly', '2026-12-01T07:00:00Z', '2026-12-08T07:00:00Z', 2, 'Pending');"
        "INSERT INTO tokens(token, cycle_id, recipient, issued) VALUES"
        " ('aaaaaaaaaaaaaaaaaaaaaaaaaa', 1, 'kim@test.example', '2026-12-01T07:00:00Z'),"
        " ('bbbbbbbbbbbbbbbbbbbbbbbbbb', 1, 'lee@test.example', '2026-12-01T07:00:00Z'),"
        " ('cccccccccccccccccccccccccc', 1, 'gone@test.example', '2026-12-01T07:00:00Z'),"
        " ('dddddddddddddddddddddddddd', 1, 'ooo@test.example', '2026-12-01T07:00:00Z'),"
        " ('eeeeeeeeeeeeeeeeeeeeeeeeee', 1, 'max@test.example', '2026-12-01T07:00:00Z');"
        "UPDATE tokens SET bounced_at = '2026-12-01T07:01:00Z', bounce_detail = "
        " '550 <gone> no such user' WHERE recipient LIKE 'gone%';"
        "UPDATE tokens SET autoreply_at = '2026-12-01T07:02:00Z', autoreply_detail = "
        " 'Out of office' WHERE recipient LIKE 'ooo%';"
        "INSERT INTO acks(token, cycle_id, by_addr, for_addr, at) VALUES"
        " ('aaaaaaaaaaaaaaaaaaaaaaaaaa', 1, 'kim@test.example', 'kim@test.example',"
        "  '2026-12-01T07:30:00Z'),"
        " ('bbbbbbbbbbbbbbbbbbbbbbbbbb', 1, 'boss@test.example', 'lee@test.example',"
        "  '2026-12-01T07:40:00Z');";
    CHECK_OK(t_state_exec(tw_path(f.dir, "state.db"), sql));
    CHECK_OK(t_state_ids_past(tw_path(f.dir, "state.db"), "cycles"));
    CHECK_INT(GET(f.w, "/", &f.rs), 200);
    const char *b = f.rs.body;
    CHECK_CONTAINS(b, "Heartbeats");
    CHECK_CONTAINS(b, "<b>2/5</b> confirmed, 2 needed");
    CHECK_CONTAINS(b, "kim@test.example <span class=\"state healthy\">confirmed</span>");
    CHECK_CONTAINS(b, "lee@test.example <span class=\"state healthy\">confirmed</span> "
                      "<span class=\"sub\">by boss@test.example</span>");
    CHECK_CONTAINS(b, "gone@test.example <span class=\"state failing\">bounced</span>");
    CHECK_CONTAINS(b, "550 &lt;gone&gt; no such user");
    CHECK_CONTAINS(b, "ooo@test.example <span class=\"state degraded\">auto-reply only</span>");
    CHECK_CONTAINS(b, "max@test.example <span class=\"state unknown\">waiting</span>");
    CHECK_INT(GET(f.w, "/checks/monthly", &f.rs), 200);
    CHECK_CONTAINS(f.rs.body, "Heartbeat cycles");
    fx_close(&f);
}

TEST(body_too_large_and_not_utf8)
{
    struct fx f;
    CHECK(fx_open(&f, "large", 1) == 0);
    struct web_request rq = {.method = "POST", .path = "/report/backup",
                             .body_too_large = 1, .body = ""};
    CHECK_OK(web_handle(f.w, &rq, &f.rs));
    CHECK_INT(f.rs.status, 413);
    /* More query arguments than are kept: refused, not silently cut. */
    web_response_free(&f.rs);
    memset(&f.rs, 0, sizeof f.rs);
    struct web_request many = {.method = "GET", .path = "/api/checks", .args_too_many = 1,
                               .body = ""};
    CHECK_OK(web_handle(f.w, &many, &f.rs));
    CHECK_INT(f.rs.status, 400);
    /* A message that is not UTF-8 still shows (with U+FFFD). */
    store *st;
    CHECK_OK(store_open(t_state(tw_path(f.dir, "state.db")), &st, NULL));
    int64_t rid;
    struct ab_result res = {.item = "", .status = AB_DEGRADED,
                               .message = "caf\xe9 \xff"};
    CHECK_OK(store_run_begin(st, "backup", "Information", "schedule", TW_NOW, &rid, NULL));
    CHECK_OK(store_run_complete(st, rid, 5, 0, &res, 1, NULL, NULL));
    store_close(st);
    CHECK_INT(GET(f.w, "/checks/backup", &f.rs), 200);
    CHECK_CONTAINS(f.rs.body, "caf\xef\xbf\xbd \xef\xbf\xbd");
    CHECK_INT(GET(f.w, "/api/checks/backup/runs", &f.rs), 200);
    CHECK_CONTAINS(f.rs.body, "caf\xef\xbf\xbd");
    fx_close(&f);
}

TEST(chart_svg)
{
    struct fx f;
    CHECK(fx_open(&f, "chart", 1) == 0);
    const char *a = "Bearer " TW_TOKEN;
    char body[128];
    for (int i = 0; i < 12; i++) {
        snprintf(body, sizeof body, "{\"status\":\"%s\",\"value\":%d}",
                 i % 5 == 4 ? "Failing" : "Healthy", i * i);
        CHECK_INT(POSTJ(f.w, "/report/backup", body, a, &f.rs), 200);
        tw_now_value += 3600;
    }
    CHECK_INT(GET(f.w, "/checks/backup", &f.rs), 200);
    const char *b = f.rs.body;
    CHECK_CONTAINS(b, "<svg class=\"chart\" viewBox=\"0 0 640 222\"");
    CHECK_CONTAINS(b, "aria-label=\"values and execution times of the last 12 runs\"");
    CHECK_CONTAINS(b, "<polyline class=\"line\"");
    CHECK_CONTAINS(b, "fill=\"#d64545\"><title>12-01 12:00 Failing: 16</title>");
    CHECK_CONTAINS(b, ">121</text>");
    int circles = 0;
    for (const char *p = b; (p = strstr(p, "<circle")); p++)
        circles++;
    CHECK_INT(circles, 12);
    fx_close(&f);
}

static int wakes;
static void count_wake(void *ud)
{
    (void)ud;
    wakes++;
}

TEST(wakes_the_daemon_when_mail_is_due)
{
    tw_now_value = TW_NOW;
    const char *dir = tw_setup("wake", 1);
    cfg *c = tw_config(dir);
    CHECK(c);
    struct web_opts o = tw_opts();
    o.wake = count_wake;
    web *w = NULL;
    struct web_response rs = {0};
    CHECK_OK(web_new(c, &o, &w, NULL));
    wakes = 0;
    /* A good ping queues nothing: no wake. */
    CHECK_INT(GET(w, "/ping/" TW_PING, &rs), 200);
    CHECK_INT(wakes, 0);
    /* A failed one opens an alert whose notice is due now. */
    tw_now_value += 60;
    CHECK_INT(GET(w, "/ping/" TW_PING "/fail", &rs), 200);
    CHECK_INT(wakes, 1);
    /* The web's engine queued it but did not send it: the daemon does. */
    CHECK_INT(GET(w, "/metrics", &rs), 200);
    CHECK_CONTAINS(rs.body, "ackbeat_outbox_messages{status=\"queued\"} 1\n");
    web_response_free(&rs);
    web_free(w);
    cfg_free(c);
}

/* With a bearer token only, a browser cannot authorize the dismiss form:
 * it is not shown (it was, and every dismiss failed with 401), the page
 * says how to dismiss instead, and the API takes the token. */
TEST(dismiss_form_not_shown_with_token_auth_only)
{
    struct fx f;
    CHECK(fx_open(&f, "tokenonly", 2) == 0);
    CHECK_INT(GET(f.w, "/alerts", &f.rs), 200);
    CHECK(!strstr(f.rs.body, "<form"));
    CHECK_CONTAINS(f.rs.body, "a browser cannot send the token");
    CHECK_INT(POSTJ(f.w, "/report/backup", "{\"status\":\"Healthy\"}", "Bearer " TW_TOKEN,
                    &f.rs), 200);
    fx_close(&f);
}
