/*
 * test_channels.c - channels/: the notice's JSON, each kind's body, the
 * HMAC-SHA256 signature, the command channel through a real program and
 * the drain's retry and give-up, and the config's rules for channels.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "channels/chan.h"
#include "common/ab_buf.h"
#include "common/ab_mem.h"
#include "config/cfg.h"
#include "store/store.h"
#include "store/store_deliveries.h"
#include "store/store_outbox.h"
#include "tests/unit/harness.h"
#include "tests/unit/test_pg_util.h"

static ab_time T(const char *iso)
{
    ab_time t = 0;
    if (ab_time_parse(iso, &t) != AB_OK)
        abort();
    return t;
}

static void write_file(const char *path, const char *text, int mode)
{
    FILE *f = fopen(path, "w");
    if (!f)
        abort();
    fputs(text, f);
    fclose(f);
    chmod(path, (mode_t)mode);
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    ab_buf b;
    ab_buf_init(&b, 0);
    char tmp[4096];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        if (ab_buf_append(&b, tmp, n))
            break;
    fclose(f);
    return ab_buf_steal(&b);
}

static const char *const told[] = {"alice@example.test", "channel:ops-hook"};

static struct chan_notice sample(void)
{
    struct chan_notice n = {
        .site = "lab",
        .check = "orders-fresh",
        .item = "eu",
        .status = "Failing",
        .notice = "alert-escalated",
        .message = "newest row is 3 hours old",
        .priority = 2,
        .level = 1,
        .alert_id = 7,
        .alert_url = "http://127.0.0.1:8025/alerts#alert-7",
        .zone = "Europe/Berlin",
        .at = T("2026-07-01T12:00:00Z"),
        .opened = T("2026-07-01T10:00:00Z"),
        .resolved = AB_TIME_NONE,
        .told_before = told,
        .ntold_before = 2,
    };
    return n;
}

TEST(hmac_sha256_matches_rfc_4231)
{
    char hex[65];
    /* RFC 4231, test case 2. */
    CHECK_OK(chan_sign("Jefe", "what do ya want for nothing?", 28, hex, NULL));
    CHECK_STR(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(notice_json_has_every_field_sorted_with_utc_and_local_times)
{
    struct chan_notice n = sample();
    ab_buf b;
    ab_buf_init(&b, 0);
    CHECK_OK(chan_notice_json(&n, &b, NULL));
    const char *s = ab_buf_str(&b);
    /* Sorted keys: the same notice is the same bytes, so it signs the same. */
    CHECK(!strncmp(s, "{\"alert_id\":7,\"alert_url\":", 26));
    CHECK_CONTAINS(s, "\"check\":\"orders-fresh\"");
    CHECK_CONTAINS(s, "\"item\":\"eu\"");
    CHECK_CONTAINS(s, "\"status\":\"Failing\"");
    CHECK_CONTAINS(s, "\"priority\":2");
    CHECK_CONTAINS(s, "\"level\":1");
    CHECK_CONTAINS(s, "\"notice\":\"alert-escalated\"");
    CHECK_CONTAINS(s, "\"opened_utc\":\"2026-07-01T10:00:00Z\"");
    CHECK_CONTAINS(s, "\"opened_local\":\"Wednesday 1 July 2026, 12:00 CEST\"");
    CHECK_CONTAINS(s, "\"time_utc\":\"2026-07-01T12:00:00Z\"");
    CHECK_CONTAINS(s, "\"told_before\":[\"alice@example.test\",\"channel:ops-hook\"]");
    CHECK(!strstr(s, "resolved_utc"));
    CHECK(!strchr(s, '\n'));
    json_t *o = json_loads(s, 0, NULL);
    CHECK(o != NULL);
    CHECK_STR(json_string_value(json_object_get(o, "text")),
              "[lab] orders-fresh/eu escalated: Failing (priority 2, level 1): newest row "
              "is 3 hours old");
    json_decref(o);
    ab_buf_free(&b);
}

TEST(slack_ntfy_and_matrix_bodies)
{
    struct chan_notice n = sample();
    n.notice = "alert-opened";
    n.level = 0;
    ab_buf b;
    ab_buf_init(&b, 0);
    struct cfg_channel slack = {.name = "chat", .kind = "slack",
                                .url = "http://127.0.0.1:1/hooks/x"};
    CHECK_OK(chan_build(&slack, &n, &b, NULL));
    json_t *o = json_loads(ab_buf_str(&b), 0, NULL);
    CHECK(o && json_object_size(o) == 1);
    CHECK_STR(json_string_value(json_object_get(o, "text")),
              "[lab] orders-fresh/eu is Failing (priority 2): newest row is 3 hours old\n"
              "<http://127.0.0.1:8025/alerts#alert-7|alert 7>");
    json_decref(o);

    struct cfg_channel ntfy = {.name = "phone", .kind = "ntfy",
                               .url = "http://127.0.0.1:1/ackbeat-alerts"};
    CHECK_OK(chan_build(&ntfy, &n, &b, NULL));
    o = json_loads(ab_buf_str(&b), 0, NULL);
    CHECK(o != NULL);
    CHECK_STR(json_string_value(json_object_get(o, "topic")), "ackbeat-alerts");
    CHECK_STR(json_string_value(json_object_get(o, "title")), "orders-fresh/eu Failing");
    CHECK_INT(json_integer_value(json_object_get(o, "priority")), 4);
    CHECK_STR(json_string_value(json_object_get(o, "click")),
              "http://127.0.0.1:8025/alerts#alert-7");
    json_decref(o);
    struct cfg_channel bad = {.name = "x", .kind = "ntfy", .url = "http://127.0.0.1:1/"};
    CHECK(chan_build(&bad, &n, &b, NULL) == AB_EINVAL);

    struct cfg_channel mx = {.name = "room", .kind = "matrix", .url = "http://127.0.0.1:1",
                             .room = "!abc:example.test"};
    CHECK_OK(chan_build(&mx, &n, &b, NULL));
    CHECK_STR(ab_buf_str(&b), "{\"body\":\"[lab] orders-fresh/eu is Failing (priority 2): "
                              "newest row is 3 hours old\",\"msgtype\":\"m.text\"}");

    struct cfg_channel odd = {.name = "x", .kind = "carrier-pigeon"};
    CHECK(chan_build(&odd, &n, &b, NULL) == AB_ECONFIG);
    ab_buf_free(&b);
}

TEST(webhook_body_is_the_json_or_its_template)
{
    struct chan_notice n = sample();
    ab_buf b;
    ab_buf_init(&b, 0);
    struct cfg_channel hook = {.name = "ops-hook", .kind = "webhook",
                               .url = "http://127.0.0.1:1/h"};
    CHECK_OK(chan_build(&hook, &n, &b, NULL));
    ab_buf j;
    ab_buf_init(&j, 0);
    CHECK_OK(chan_notice_json(&n, &j, NULL));
    CHECK_STR(ab_buf_str(&b), ab_buf_str(&j));

    char path[512];
    snprintf(path, sizeof path, "%s/hook.json.mustache", t_tmpdir());
    write_file(path, "{\"summary\": \"{{check}} & {{status}}\", \"id\": {{alert_id}}}", 0644);
    hook.template_path = path;
    CHECK_OK(chan_build(&hook, &n, &b, NULL));
    /* Text mode: no HTML escapes in a JSON body. */
    CHECK_STR(ab_buf_str(&b), "{\"summary\": \"orders-fresh & Failing\", \"id\": 7}");
    write_file(path, "{{#check}}unclosed", 0644);
    CHECK(chan_build(&hook, &n, &b, NULL) == AB_ETEMPLATE);
    ab_buf_free(&j);
    ab_buf_free(&b);
}

/* A config with a command channel running script, and its store. */
static int world(const char *script, cfg **c, store **st)
{
    char path[512], sp[512], xml[4096];
    snprintf(sp, sizeof sp, "%s/notify.sh", t_tmpdir());
    write_file(sp, script, 0755);
    snprintf(xml, sizeof xml,
             "<ackbeat name=\"lab\">\n"
             "  <state path=\"%s/state.db\"/>\n"
             "  <recipients>\n"
             "    <command name=\"pager\" run=\"%s first second\" timeout=\"2s\"/>\n"
             "  </recipients>\n"
             "  <alerting notify=\"pager\"/>\n"
             "</ackbeat>\n",
             t_tmpdir(), sp);
    snprintf(path, sizeof path, "%s/ackbeat.xml", t_tmpdir());
    write_file(path, xml, 0644);
    char db[600];
    snprintf(db, sizeof db, "%s/state.db", t_tmpdir());
    remove(db);
    ab_buf errs;
    ab_buf_init(&errs, 1 << 16);
    ab_errmsg em = {{0}};
    if (cfg_load(path, c, &errs) != AB_OK) {
        printf("%s", ab_buf_str(&errs));
        ab_buf_free(&errs);
        return -1;
    }
    ab_buf_free(&errs);
    if (store_open(t_state_fresh(db), st, &em) != AB_OK) {
        printf("%s\n", em.text);
        return -1;
    }
    return 0;
}

static struct store_delivery *only_delivery(store *st)
{
    struct store_delivery **v = NULL;
    size_t n = 0;
    if (store_delivery_list(st, 1, 0, &v, &n, NULL) != AB_OK || n != 1) {
        store_deliveries_free(v, n);
        return NULL;
    }
    struct store_delivery *d = v[0];
    ab_free(v);
    return d;
}

TEST(command_gets_json_on_stdin_and_env_and_is_sent_once)
{
    char script[1024];
    snprintf(script, sizeof script,
             "#!/bin/sh\ncat > %s/stdin.json\n"
             "echo \"$1 $2|$ACKBEAT_CHECK|$ACKBEAT_STATUS|$ACKBEAT_PRIORITY|$ACKBEAT_ALERT_ID|"
             "$ACKBEAT_DELIVERY\" >> %s/env.txt\n",
             t_tmpdir(), t_tmpdir());
    cfg *c = NULL;
    store *st = NULL;
    CHECK(world(script, &c, &st) == 0);
    const struct cfg_channel *ch = cfg_channel_find(c, "pager");
    CHECK(ch && !strcmp(ch->kind, "command"));
    CHECK(cfg_channel_of(c, "channel:pager") == ch);
    CHECK(cfg_channel_of(c, "pager@example.test") == NULL);
    CHECK_INT(cfg_global(c)->alerting.notify.n, 1);
    CHECK_STR(cfg_global(c)->alerting.notify.v[0], "channel:pager");

    struct chan_notice n = sample();
    ab_time now = T("2026-07-01T12:00:00Z");
    CHECK_OK(chan_queue(st, ch, &n, "txn-1", now, NULL));
    /* The same notice again is refused: sent once. */
    CHECK(chan_queue(st, ch, &n, "txn-1", now, NULL) == AB_EEXIST);
    struct chan_drain_stats s;
    CHECK_OK(chan_drain(st, c, now, 60, 0, &s, NULL));
    CHECK_INT(s.sent, 1);
    CHECK_OK(chan_drain(st, c, now + 3600, 60, 0, &s, NULL));
    CHECK_INT(s.attempted, 0);
    char path[512];
    snprintf(path, sizeof path, "%s/env.txt", t_tmpdir());
    char *env = read_all(path);
    CHECK_STR(env, "first second|orders-fresh|Failing|2|7|txn-1\n");
    free(env);
    snprintf(path, sizeof path, "%s/stdin.json", t_tmpdir());
    char *in = read_all(path);
    CHECK_CONTAINS(in, "\"check\":\"orders-fresh\"");
    free(in);
    store_close(st);
    cfg_free(c);
}

TEST(command_failure_is_retried_with_backoff_then_given_up)
{
    cfg *c = NULL;
    store *st = NULL;
    CHECK(world("#!/bin/sh\necho 'pager gateway down' >&2\nexit 3\n", &c, &st) == 0);
    const struct cfg_channel *ch = cfg_channel_find(c, "pager");
    struct chan_notice n = sample();
    ab_time now = T("2026-07-01T12:00:00Z");
    CHECK_OK(chan_queue(st, ch, &n, "txn-2", now, NULL));
    struct chan_drain_stats s;
    CHECK_OK(chan_drain(st, c, now, 60, 3600, &s, NULL));
    CHECK_INT(s.deferred, 1);
    struct store_delivery *d = only_delivery(st);
    CHECK(d != NULL);
    CHECK_INT(d->status, STORE_OUTBOX_QUEUED);
    CHECK_INT(d->attempts, 1);
    /* 60 s +- 20 %. */
    CHECK(d->next_attempt >= now + 48 && d->next_attempt <= now + 72);
    CHECK_CONTAINS(d->last_error, "command pager: exit 3: pager gateway down");
    store_delivery_free(d);
    /* Not due yet: nothing tried. */
    CHECK_OK(chan_drain(st, c, now + 30, 60, 3600, &s, NULL));
    CHECK_INT(s.attempted, 0);
    /* Past max-age: given up, with the reason. */
    CHECK_OK(chan_drain(st, c, now + 7200, 60, 3600, &s, NULL));
    CHECK_INT(s.failed, 1);
    d = only_delivery(st);
    CHECK(d != NULL);
    CHECK_INT(d->status, STORE_OUTBOX_FAILED);
    CHECK_CONTAINS(d->last_error, "gave up after 2 attempts");
    store_delivery_free(d);
    store_close(st);
    cfg_free(c);
}

TEST(command_that_hangs_is_killed_at_its_timeout)
{
    cfg *c = NULL;
    store *st = NULL;
    CHECK(world("#!/bin/sh\nsleep 30\n", &c, &st) == 0);
    struct chan_notice n = sample();
    ab_time now = T("2026-07-01T12:00:00Z");
    CHECK_OK(chan_queue(st, cfg_channel_find(c, "pager"), &n, "txn-3", now, NULL));
    struct chan_drain_stats s;
    CHECK_OK(chan_drain(st, c, now, 60, 0, &s, NULL));
    CHECK_INT(s.deferred, 1);
    CHECK_CONTAINS(s.last_error.text, "timed out after 2s");
    store_close(st);
    cfg_free(c);
}

/* Several nodes on one state (issue 16): a delivery claimed by a node
 * is left alone by another until the claim's lease ran out. */
TEST(a_claimed_delivery_waits_for_its_lease)
{
    char script[1024];
    snprintf(script, sizeof script, "#!/bin/sh\necho sent >> %s/claimed.txt\n", t_tmpdir());
    cfg *c = NULL;
    store *st = NULL;
    CHECK(world(script, &c, &st) == 0);
    struct chan_notice n = sample();
    ab_time now = T("2026-07-01T12:00:00Z");
    CHECK_OK(chan_queue(st, cfg_channel_find(c, "pager"), &n, "txn-9", now, NULL));
    int64_t *ids = NULL;
    size_t k = 0;
    CHECK_OK(store_delivery_claim(st, "dead", now, now + 100, 0, &ids, &k, NULL));
    CHECK_INT(k, 1);
    ab_free(ids);
    struct chan_drain_stats s;
    CHECK_OK(chan_drain_as(st, c, "alive", now + 50, 60, 0, &s, NULL));
    CHECK_INT(s.attempted, 0);
    CHECK_OK(chan_drain_as(st, c, "alive", now + 101, 60, 0, &s, NULL));
    CHECK_INT(s.sent, 1);
    char path[512];
    snprintf(path, sizeof path, "%s/claimed.txt", t_tmpdir());
    char *out = read_all(path);
    CHECK_STR(out, "sent\n");
    free(out);
    /* Sent: the claim is gone with the attempt, nobody takes it again. */
    CHECK_OK(store_delivery_claim(st, "dead", now + 200, now + 300, 0, &ids, &k, NULL));
    CHECK_INT(k, 0);
    store_close(st);
    cfg_free(c);
}

static int load_errors(const char *body, ab_buf *errs)
{
    char path[512], xml[4096];
    snprintf(xml, sizeof xml,
             "<ackbeat name=\"lab\">\n  <state path=\"%s/state.db\"/>\n"
             "  <mail from=\"a@example.test\" transport=\"maildir:%s/md\"/>\n%s</ackbeat>\n",
             t_tmpdir(), t_tmpdir(), body);
    snprintf(path, sizeof path, "%s/bad.xml", t_tmpdir());
    write_file(path, xml, 0644);
    cfg *c = NULL;
    ab_buf_reset(errs);
    enum ab_err e = cfg_load(path, &c, errs);
    cfg_free(c);
    return e != AB_OK;
}

TEST(config_rules_for_channels)
{
    ab_buf errs;
    ab_buf_init(&errs, 1 << 16);
    /* A heartbeat asks people: a channel cannot answer. */
    CHECK(load_errors("  <recipients><slack name=\"chat\" url=\"http://127.0.0.1:1/x\"/>"
                      "</recipients>\n"
                      "  <checks><heartbeat name=\"hb\" to=\"chat\" schedule=\"x\"/></checks>\n",
                      &errs));
    CHECK_CONTAINS(ab_buf_str(&errs), "\"chat\" is a slack channel");
    CHECK(load_errors("  <recipients><webhook name=\"h\" url=\"ftp://127.0.0.1/x\"/>"
                      "</recipients>\n", &errs));
    CHECK_CONTAINS(ab_buf_str(&errs), "is not an http:// or https:// URL");
    CHECK(load_errors("  <recipients><command name=\"p\" run=\"notify-send hi\"/>"
                      "</recipients>\n", &errs));
    CHECK_CONTAINS(ab_buf_str(&errs), "must start with an absolute path");
    CHECK(load_errors("  <recipients><person name=\"alice\" email=\"alice@example.test\"/>"
                      "</recipients>\n  <alerting fallback=\"alice\"/>\n", &errs));
    CHECK_CONTAINS(ab_buf_str(&errs), "fallback= must name one channel");
    CHECK(!load_errors("  <recipients><ntfy name=\"phone\" url=\"http://127.0.0.1:1/t\"/>"
                       "<group name=\"ops\"><member>phone</member></group></recipients>\n"
                       "  <alerting notify=\"ops\" fallback=\"phone\" fallback-after=\"5m\"/>\n",
                       &errs));
    ab_buf_free(&errs);
}
