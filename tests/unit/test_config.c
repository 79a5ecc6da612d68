/*
 * test_config.c - loading configurations: the full format, seed 002's
 * XML verbatim, and a file full of mistakes that must each be reported
 * with its line.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ab_buf.h"
#include "config/cfg.h"

static cfg *load(const char *rel, ab_buf *errs, enum ab_err *e)
{
    cfg *c = NULL;
    ab_buf_init(errs, 1 << 20);
    *e = cfg_load(t_data(rel), &c, errs);
    return c;
}

TEST(full_config_loads)
{
    ab_buf errs;
    enum ab_err e;
    cfg *c = load("config/full.xml", &errs, &e);
    if (e)
        printf("%s", ab_buf_str(&errs));
    CHECK_OK(e);
    const struct cfg_global *g = cfg_global(c);
    CHECK_STR(g->name, "Test site");
    CHECK_STR(g->timezone, "America/Los_Angeles");
    CHECK_INT(g->tick, 60);
    CHECK_CONTAINS(g->state_path, "/tests/data/config/state.db");
    CHECK_STR(g->mail.transport, "smtp://127.0.0.1:2587");
    CHECK_INT(g->mail.tls, CFG_TLS_REQUIRED);
    CHECK_STR(g->mail.password.env, "ACKBEAT_SMTP_PASSWORD");
    CHECK_INT(g->mail.max_age, 3 * 86400);
    CHECK_INT(g->inbox.enabled, 1);
    CHECK_INT(g->inbox.poll, 120);
    CHECK_INT(g->inbox.nack_from, 2);
    CHECK_STR(g->inbox.ack_from[1], "partner.test");
    CHECK_INT(g->alerting.repeat, 86400);
    /* notify="ops" expands the group: alice and carol. */
    CHECK_INT(g->alerting.notify.n, 2);
    CHECK_STR(g->alerting.notify.v[0], "alice@example.test");
    CHECK_STR(g->alerting.notify.v[1], "carol@example.test");

    CHECK_INT(cfg_check_count(c), 8);
    const struct cfg_check *k = cfg_check_find(c, "orders-fresh");
    CHECK(k != NULL);
    CHECK_INT(k->kind, CFG_FRESHNESS);
    CHECK_STR(k->source->name, "demo");
    CHECK_INT(k->max_age, 2 * 86400);
    CHECK_INT(k->warn_age, 86400);
    CHECK(k->schedule != NULL);
    CHECK_INT(k->notify.n, 2); /* global default */
    k = cfg_check_find(c, "orders-this-month");
    CHECK_INT(k->period, CFG_PERIOD_MONTH);
    CHECK_INT(k->confirm, 2);
    CHECK_INT(k->notify.n, 1);
    k = cfg_check_find(c, "disk");
    CHECK_INT(k->argc, 5);
    CHECK_STR(k->argv[0], "/usr/lib/nagios/plugins/check_disk");
    CHECK_STR(k->type, "Action");
    k = cfg_check_find(c, "monthly-hello");
    CHECK_INT(k->kind, CFG_HEARTBEAT);
    /* coordinators = bob + ops(alice, carol), each once. */
    CHECK_INT(k->to.n, 3);
    CHECK_INT(k->grace, 7 * 86400);
    CHECK_INT(k->reminder, 2 * 86400);
    k = cfg_check_find(c, "backup");
    CHECK_INT(k->ping_period, 86400);
    CHECK_STR(k->depends_on, "disk");
    /* Seed 002's HeartbeatAssembly, verbatim: a plugin check. */
    k = cfg_check_find(c, "FileSystemHealthObject");
    CHECK(k != NULL);
    CHECK_INT(k->kind, CFG_PLUGIN);
    CHECK_STR(k->label, "File System Health Status");
    CHECK_INT(k->cache, 5 * 60);
    CHECK(k->schedule != NULL);
    CHECK_CONTAINS(k->plugin_file, "/tests/data/config/example.so");
    CHECK_INT(cfg_maintenance_count(c), 1);
    char sum[512];
    cfg_summary(c, sum, sizeof sum);
    CHECK_CONTAINS(sum, "8 checks");
    cfg_free(c);
    ab_buf_free(&errs);
}

TEST(every_mistake_is_reported_with_its_line)
{
    ab_buf errs;
    enum ab_err e;
    cfg *c = load("config/bad.xml", &errs, &e);
    CHECK(c == NULL);
    CHECK_INT(e, AB_ECONFIG);
    const char *t = ab_buf_str(&errs);
    printf("%s", t); /* shown with -v failures; documents the messages */
    CHECK_CONTAINS(t, "bad.xml:2: ");                       /* bad zone / tick */
    CHECK_CONTAINS(t, "tick=\"soon\" is not a duration");
    CHECK_CONTAINS(t, "Mars/Olympus");
    CHECK_CONTAINS(t, "bad.xml:3: mail: from=\"not-an-address\" is not an email address");
    CHECK_CONTAINS(t, "carrier-pigeon");
    CHECK_CONTAINS(t, "password= is not allowed");
    CHECK_CONTAINS(t, "bad.xml:4: inbox: reply-address=\"beat+x@example.test\" must not contain '+'");
    CHECK_CONTAINS(t, "\"mallory\" is not a person, a group, a channel or an email address");
    CHECK_CONTAINS(t, "Funday");
    CHECK_CONTAINS(t, "25:00:00");
    CHECK_CONTAINS(t, "bad.xml:21: schedule bad-rrule");
    CHECK_CONTAINS(t, "bad.xml:22: schedule bad-cron");
    CHECK_CONTAINS(t, "bad.xml:23: maintenance:");
    CHECK_CONTAINS(t, "missing.ics");
    CHECK_CONTAINS(t, "bad.xml:28: check orders: source=\"nowhere\" is not defined");
    CHECK_CONTAINS(t, "table=\"orders; DROP TABLE x\" is not a plain SQL name");
    CHECK_CONTAINS(t, "max-age=\"two days\" is not a duration");
    CHECK_CONTAINS(t, "bad.xml:29: check orders: defined twice (first on line 28)");
    CHECK_CONTAINS(t, "schedule \"Nope\" is neither");
    CHECK_CONTAINS(t, "warn=10 is beyond crit=5");
    CHECK_CONTAINS(t, "quorum=5 but only");
    CHECK_CONTAINS(t, "\"nobody\" is not a person");
    CHECK_CONTAINS(t, "reminder must be shorter than grace");
    CHECK_CONTAINS(t, "depends-on=\"ghost\" is not a check");
    CHECK_CONTAINS(t, "bad.xml:35:"); /* <frshness>: the schema speaks */
    CHECK_CONTAINS(t, "bad.xml:37: check p2: token= is already check p1's (line 36); "
                      "each ping check needs a token of its own");
    /* Sorted by line: the tick error comes before the mail error. */
    CHECK(strstr(t, "bad.xml:2:") < strstr(t, "bad.xml:3:"));
    ab_buf_free(&errs);
}

TEST(malformed_xml_names_the_line)
{
    char path[512];
    snprintf(path, sizeof path, "%s/broken.xml", t_tmpdir());
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    fputs("<ackbeat>\n  <checks>\n    <freshness name=\"a\"\n  </checks>\n</ackbeat>\n", f);
    fclose(f);
    cfg *c = NULL;
    ab_buf errs;
    ab_buf_init(&errs, 1 << 16);
    CHECK_INT(cfg_load(path, &c, &errs), AB_ECONFIG);
    CHECK_CONTAINS(ab_buf_str(&errs), "broken.xml:");
    CHECK_CONTAINS(ab_buf_str(&errs), "XML:");
    ab_buf_free(&errs);
}

TEST(missing_file_is_an_io_error)
{
    cfg *c = NULL;
    ab_buf errs;
    ab_buf_init(&errs, 1 << 16);
    CHECK_INT(cfg_load("/nonexistent/ackbeat.xml", &c, &errs), AB_EIO);
    CHECK_CONTAINS(ab_buf_str(&errs), "/nonexistent/ackbeat.xml: cannot read");
    ab_buf_free(&errs);
}

TEST(secrets_from_env_and_file)
{
    char path[512];
    snprintf(path, sizeof path, "%s/pw", t_tmpdir());
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    fputs("s3cret\nignored second line\n", f);
    fclose(f);
    struct cfg_secret s = {.file = path};
    char *v = NULL;
    ab_errmsg em = {{0}};
    CHECK_OK(cfg_secret_read(&s, &v, &em));
    CHECK_STR(v, "s3cret");
    free(v);
    setenv("AB_TEST_SECRET", "from-env", 1);
    struct cfg_secret s2 = {.env = "AB_TEST_SECRET"};
    CHECK_OK(cfg_secret_read(&s2, &v, &em));
    CHECK_STR(v, "from-env");
    free(v);
    struct cfg_secret s3 = {.env = "AB_TEST_SECRET_UNSET"};
    CHECK_INT(cfg_secret_read(&s3, &v, &em), AB_ENOTFOUND);
    CHECK_CONTAINS(em.text, "AB_TEST_SECRET_UNSET");
}

/* A config with one <inbox> whose extra attributes are inbox_attrs,
 * written to the scratch dir as name and loaded. */
static cfg *load_inbox(const char *name, const char *inbox_attrs, ab_buf *errs,
                       enum ab_err *e)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", t_tmpdir(), name);
    FILE *f = fopen(path, "w");
    if (!f) {
        *e = AB_EIO;
        return NULL;
    }
    fprintf(f, "<ackbeat name=\"b\" timezone=\"UTC\">\n"
               "  <state path=\"state.db\"/>\n"
               "  <mail from=\"ackbeat@example.test\" transport=\"maildir:out\"/>\n"
               "  <inbox url=\"maildir:in\" reply-address=\"heartbeat@example.test\"\n"
               "         %s/>\n"
               "</ackbeat>\n",
            inbox_attrs);
    fclose(f);
    cfg *c = NULL;
    ab_buf_init(errs, 1 << 16);
    *e = cfg_load(path, &c, errs);
    return c;
}

/* bounce-address= is the base of the VERP envelope sender: optional, and
 * it must take a +TOKEN as the reply address does. */
TEST(bounce_address)
{
    ab_buf errs;
    enum ab_err e;
    cfg *c = load_inbox("bounce-none.xml", "", &errs, &e);
    CHECK_OK(e);
    CHECK(cfg_global(c)->inbox.bounce_address == NULL);
    cfg_free(c);
    ab_buf_free(&errs);

    c = load_inbox("bounce-ok.xml", "bounce-address=\"bounces@mx.example.test\"", &errs, &e);
    CHECK_OK(e);
    CHECK_STR(cfg_global(c)->inbox.bounce_address, "bounces@mx.example.test");
    cfg_free(c);
    ab_buf_free(&errs);

    static const struct {
        const char *value, *why;
    } bad[] = {
        {"bounces", "is not an email address"},
        {"bounces+x@example.test", "must not contain '+': ackbeat adds +TOKEN itself"},
        {"b..x@example.test", "is not an email address"},
        {"b\xc3\xa4r@example.test", "is not an email address"},
        {"bounces@", "is not an email address"},
        {"a-local-part-of-forty-characters-long-x@example.test",
         "has a local part too long to carry +TOKEN"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char attr[200], want[300], name[64];
        snprintf(attr, sizeof attr, "bounce-address=\"%s\"", bad[i].value);
        snprintf(name, sizeof name, "bounce-bad%zu.xml", i);
        c = load_inbox(name, attr, &errs, &e);
        CHECK(c == NULL);
        CHECK_INT(e, AB_ECONFIG);
        snprintf(want, sizeof want, "%s:5: inbox: bounce-address=\"%s\" %s", name,
                 bad[i].value, bad[i].why);
        CHECK_CONTAINS(ab_buf_str(&errs), want);
        ab_buf_free(&errs);
    }
}

/* authserv-id= is one word, the name our MX writes first in its
 * Authentication-Results header. */
TEST(authserv_id)
{
    ab_buf errs;
    enum ab_err e;
    cfg *c = load_inbox("auth-ok.xml", "authserv-id=\"mx.example.test\"", &errs, &e);
    CHECK_OK(e);
    CHECK_STR(cfg_global(c)->inbox.authserv_id, "mx.example.test");
    cfg_free(c);
    ab_buf_free(&errs);
    c = load_inbox("auth-bad.xml", "authserv-id=\"mx.example.test; dmarc=pass\"", &errs, &e);
    CHECK(e != AB_OK);
    CHECK_CONTAINS(ab_buf_str(&errs), "auth-bad.xml:5: inbox: authserv-id=");
    CHECK_CONTAINS(ab_buf_str(&errs), "must be one word");
    cfg_free(c);
    ab_buf_free(&errs);
}

/* grace= needs a calendar period, and must be shorter than it. */
static enum ab_err load_check(const char *name, const char *check, ab_buf *errs)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", t_tmpdir(), name);
    FILE *f = fopen(path, "w");
    if (!f)
        return AB_EIO;
    fprintf(f, "<ackbeat name=\"g\" timezone=\"UTC\">\n"
               "  <state path=\"state.db\"/>\n"
               "  <sources><sqlite name=\"db\" path=\"d.db\"/></sources>\n"
               "  <checks>\n    %s\n  </checks>\n</ackbeat>\n",
            check);
    fclose(f);
    cfg *c = NULL;
    ab_buf_init(errs, 1 << 16);
    enum ab_err e = cfg_load(path, &c, errs);
    cfg_free(c);
    return e;
}

TEST(grace_needs_a_period_shorter_than_it)
{
    ab_buf errs;
    CHECK_OK(load_check("g-ok.xml", "<count name=\"m\" source=\"db\" table=\"t\" column=\"ts\" "
                                    "period=\"month\" min=\"1\" grace=\"4d\"/>", &errs));
    ab_buf_free(&errs);
    CHECK(load_check("g-nop.xml", "<count name=\"m\" source=\"db\" table=\"t\" column=\"ts\" "
                                  "window=\"30d\" min=\"1\" grace=\"4d\"/>", &errs) != AB_OK);
    CHECK_CONTAINS(ab_buf_str(&errs), "g-nop.xml:5:");
    CHECK_CONTAINS(ab_buf_str(&errs), "grace= needs period=");
    ab_buf_free(&errs);
    CHECK(load_check("g-long.xml", "<count name=\"w\" source=\"db\" table=\"t\" column=\"ts\" "
                                   "period=\"week\" min=\"1\" grace=\"8d\"/>", &errs) != AB_OK);
    CHECK_CONTAINS(ab_buf_str(&errs), "grace must be shorter than the period");
    ab_buf_free(&errs);
}
