/*
 * test_engine_hardening.c - nothing a config can grow is cut short without a
 * word: a group of 10,000 people gets every notice and every daily
 * digest, 10,000 ping checks are each judged and each alerted on.  And
 * one notice that cannot be built fails alone: reported, in the outbox
 * as failed, while the others go out.  A report to a ping check keeps
 * its message and refuses an item or a value.  Two new databases never
 * give one Message-ID.  A dependent check's "held by" label goes when its
 * parent recovers.
 *
 * (An alert to a group of 300 once reached 256 of them: a fixed array in
 * the notifier.)  The mail goes to a Maildir; the tests count files.
 */
#include "harness.h"

#include <dirent.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/ab_buf.h"
#include "common/ab_mem.h"
#include "config/cfg.h"
#include "engine/eng.h"
#include "store/store.h"
#include "store/store_alerts.h"
#include "store/store_outbox.h"
#include "store/store_pings.h"
#include "store/store_runs.h"
#include "test_engine_util.h"

/* 10,000 as the issue asks; under valgrind (tests/run-all sets
 * AB_UNDER_VALGRIND) 300, still past the old fixed 256, so that the
 * leak check finishes in seconds rather than a quarter of an hour. */
static int many(void)
{
    return getenv("AB_UNDER_VALGRIND") ? 300 : 10000;
}
#define MANY many()

struct world {
    char dir[512];
    cfg *c;
    store *st;
    eng *e;
};

/* Where the worlds live: tens of thousands of messages and transactions
 * are fsync-bound on disk (two minutes here), so on tmpfs when there is
 * one.  What is tested is what arrives, not how fast. */
static char base[64];
static void rm_base(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", base);
}
static const char *base_dir(void)
{
    if (!base[0]) {
        snprintf(base, sizeof base, "/dev/shm/ackbeat-hardening.XXXXXX");
        if (!mkdtemp(base))
            return t_tmpdir();
        atexit(rm_base);
    }
    return base;
}

/* A world whose config has <recipients> and <checks> as given. */
static int world_new(struct world *w, const char *name, const char *recipients,
                     const char *alerting, const char *checks)
{
    memset(w, 0, sizeof *w);
    snprintf(w->dir, sizeof w->dir, "%s/%s", base_dir(), name);
    char path[1024];
    snprintf(path, sizeof path, "mkdir -p %s/tpl", w->dir);
    if (system(path) != 0)
        return -1;
    ab_buf x;
    ab_buf_init(&x, 64 << 20);
    if (ab_buf_printf(&x,
                      "<ackbeat name=\"test\" timezone=\"UTC\" tick=\"1m\">\n"
                      "  <state path=\"state.db\"/>\n"
                      "  <mail from=\"ackbeat@example.test\" transport=\"maildir:out\"/>\n"
                      "  <templates dir=\"tpl\"/>\n"
                      "  <recipients>\n%s  </recipients>\n"
                      "  <alerting %s/>\n"
                      "  <sources><sqlite name=\"db\" path=\"data.db\"/></sources>\n"
                      "  <checks>\n%s  </checks>\n</ackbeat>\n",
                      recipients, alerting, checks)) {
        ab_buf_free(&x);
        return -1;
    }
    int r = te_open(w->dir, ab_buf_str(&x), &w->c, &w->st, &w->e);
    ab_buf_free(&x);
    return r;
}

static void world_free(struct world *w)
{
    te_close(w->c, w->st, w->e);
}

static int tick(struct world *w, const char *iso, struct eng_tick_stats *s)
{
    ab_errmsg em = {{0}};
    memset(s, 0, sizeof *s);
    if (eng_tick(w->e, T(iso), s, &em) != AB_OK) {
        printf("tick %s: %s\n", iso, em.text);
        return -1;
    }
    return 0;
}

/* Files in the out/new Maildir. */
static int mail_count(struct world *w)
{
    char d[1024];
    snprintf(d, sizeof d, "%s/out/new", w->dir);
    DIR *dir = opendir(d);
    int n = 0;
    struct dirent *de;
    while (dir && (de = readdir(dir)))
        n += de->d_name[0] != '.';
    if (dir)
        closedir(dir);
    return n;
}

static int group_of(ab_buf *b, int n)
{
    int bad = ab_buf_printf(b, "    <group name=\"everyone\">\n") != AB_OK;
    for (int i = 0; i < n; i++)
        bad |= ab_buf_printf(b, "      <member>p%05d@example.test</member>\n", i) != AB_OK;
    bad |= ab_buf_printf(b, "    </group>\n") != AB_OK;
    return bad ? -1 : 0;
}

TEST(a_group_of_ten_thousand_gets_every_notice)
{
    ab_buf r;
    ab_buf_init(&r, 16 << 20);
    CHECK_OK(group_of(&r, MANY));
    struct world w;
    int rc = world_new(&w, "group", ab_buf_str(&r),
                       "notify=\"everyone\" digest-at=\"08:00\"",
                       "    <sql name=\"q\" source=\"db\" crit=\"5\" direction=\"below\">"
                       "<query>SELECT 1</query></sql>\n");
    ab_buf_free(&r);
    CHECK_OK(rc);
    struct eng_tick_stats s;
    CHECK_OK(tick(&w, "2026-12-01T07:00:00Z", &s));
    CHECK_INT(s.alerts_opened, 1);
    CHECK_INT(s.notices_queued, MANY);
    CHECK_INT(mail_count(&w), MANY);
    /* The daily digest goes to each of them too. */
    CHECK_OK(tick(&w, "2026-12-01T08:00:00Z", &s));
    CHECK_INT(s.notices_queued, MANY);
    CHECK_INT(mail_count(&w), 2 * MANY);
    world_free(&w);
}

TEST(ten_thousand_ping_checks_are_each_judged)
{
    ab_buf k;
    ab_buf_init(&k, 16 << 20);
    int bad = 0;
    for (int i = 0; i < MANY; i++)
        bad |= ab_buf_printf(&k, "    <ping name=\"job%05d\" period=\"1d\" grace=\"1h\"/>\n",
                             i) != AB_OK;
    CHECK(!bad);
    struct world w;
    int rc = world_new(&w, "pings", "    <person name=\"ops\" email=\"ops@example.test\"/>\n",
                       "notify=\"ops\"", ab_buf_str(&k));
    ab_buf_free(&k);
    CHECK_OK(rc);
    struct eng_tick_stats s;
    CHECK_OK(tick(&w, "2026-12-01T00:00:00Z", &s));
    ab_errmsg em = {{0}};
    char name[32];
    for (int i = 0; i < MANY; i++) {
        snprintf(name, sizeof name, "job%05d", i);
        CHECK_OK(eng_ping(w.e, name, STORE_PING_SUCCESS, 0, "cli", NULL,
                          T("2026-12-01T02:00:00Z"), &em));
    }
    CHECK_OK(tick(&w, "2026-12-02T02:30:00Z", &s)); /* within period + grace */
    CHECK_INT(s.alerts_opened, 0);
    CHECK_OK(tick(&w, "2026-12-02T03:01:00Z", &s));
    CHECK_INT(s.alerts_opened, MANY);
    struct store_alert **v = NULL;
    size_t n = 0;
    CHECK_OK(store_alert_list(w.st, 0, 0, &v, &n, &em));
    for (size_t i = 0; i < n; i++)
        store_alert_free(v[i]);
    ab_free(v);
    CHECK_INT(n, MANY);
    /* The last of them reports again: its alert alone resolves. */
    snprintf(name, sizeof name, "job%05d", MANY - 1);
    CHECK_OK(eng_ping(w.e, name, STORE_PING_SUCCESS, 0, "cli", NULL,
                      T("2026-12-02T04:00:00Z"), &em));
    CHECK_OK(tick(&w, "2026-12-02T04:01:00Z", &s));
    struct store_alert *a = NULL;
    CHECK(store_alert_find_open(w.st, name, "", &a, NULL) != AB_OK);
    CHECK_OK(store_alert_find_open(w.st, "job00000", "", &a, NULL));
    store_alert_free(a);
    world_free(&w);
}

TEST(a_notice_that_cannot_be_built_fails_alone)
{
    struct world w;
    CHECK_OK(world_new(&w, "unbuilt",
                       "    <person name=\"alice\" email=\"alice@example.test\"/>\n"
                       "    <person name=\"bob\" email=\"bob@example.test\"/>\n",
                       "notify=\"bob\"",
                       "    <sql name=\"bad\" source=\"db\" crit=\"5\" direction=\"below\" "
                       "notify=\"alice\"><query>SELECT 1</query></sql>\n"
                       "    <sql name=\"good\" source=\"db\" crit=\"5\" direction=\"below\">"
                       "<query>SELECT 1</query></sql>\n"));
    /* Check "bad" has a subject template that cannot render; alice, first
     * in the flush's order, gets only its notice. */
    char p[1024];
    snprintf(p, sizeof p, "mkdir -p %s/tpl/bad", w.dir);
    CHECK(system(p) == 0);
    snprintf(p, sizeof p, "%s/tpl/bad/alert-opened.subject.mustache", w.dir);
    FILE *f = fopen(p, "w");
    CHECK(f != NULL);
    fputs("{{> no-such-partial}}", f);
    fclose(f);
    struct eng_tick_stats s;
    CHECK_OK(tick(&w, "2026-12-01T07:00:00Z", &s));
    CHECK_INT(s.alerts_opened, 2);
    CHECK_INT(s.notices_queued, 1); /* bob's */
    CHECK(s.errors >= 1);
    CHECK_INT(mail_count(&w), 1);
    /* Alice's notice is in the outbox as failed, with the reason. */
    struct store_outbox_entry *v = NULL;
    size_t n = 0;
    ab_errmsg em = {{0}};
    CHECK_OK(store_outbox_list(w.st, 1, 0, &v, &n, &em));
    int failed = 0, sent = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i].status == STORE_OUTBOX_FAILED && v[i].nrcpts == 1 &&
            !strcmp(v[i].rcpts[0].rcpt, "alice@example.test") && v[i].last_error &&
            strstr(v[i].last_error, "no-such-partial"))
            failed++;
        sent += v[i].status == STORE_OUTBOX_SENT;
    }
    store_outbox_list_free(v, n);
    CHECK_INT(failed, 1);
    CHECK_INT(sent, 1);
    /* Not retried on every tick: it failed, once. */
    CHECK_OK(tick(&w, "2026-12-01T07:01:00Z", &s));
    CHECK_INT(s.errors, 0);
    world_free(&w);
}

TEST(a_report_to_a_ping_check_keeps_its_message_and_refuses_an_item)
{
    struct world w;
    CHECK_OK(world_new(&w, "report", "    <person name=\"ops\" email=\"ops@example.test\"/>\n",
                       "notify=\"ops\"", "    <ping name=\"backup\" period=\"1d\"/>\n"));
    struct eng_tick_stats s;
    CHECK_OK(tick(&w, "2026-12-01T00:00:00Z", &s));
    ab_errmsg em = {{0}};
    CHECK(eng_report(w.e, "backup", "disk1", AB_HEALTHY, 0, 0, NULL,
                     T("2026-12-01T01:00:00Z"), &em) == AB_EINVAL);
    CHECK_CONTAINS(em.text, "--item");
    CHECK(eng_report(w.e, "backup", "", AB_HEALTHY, 1, 3.5, NULL,
                     T("2026-12-01T01:00:00Z"), &em) == AB_EINVAL);
    CHECK_OK(eng_report(w.e, "backup", "", AB_HEALTHY, 0, 0, "12 GB copied",
                        T("2026-12-01T01:00:00Z"), &em));
    struct store_run *r = NULL;
    CHECK_OK(store_run_last(w.st, "backup", &r, &em));
    CHECK(r->nresults == 1);
    CHECK_CONTAINS(r->results[0].message, "12 GB copied");
    store_run_free(r);
    CHECK_OK(eng_report(w.e, "backup", "", AB_FAILING, 0, 0, "tape jammed",
                        T("2026-12-01T02:00:00Z"), &em));
    struct store_alert *a = NULL;
    CHECK_OK(store_alert_find_open(w.st, "backup", "", &a, NULL));
    CHECK_CONTAINS(a->message, "tape jammed");
    store_alert_free(a);
    world_free(&w);
}

/* The first notice's Message-ID in a fresh world named name. */
static int first_msgid(const char *name, char *out, size_t len)
{
    struct world w;
    if (world_new(&w, name, "    <person name=\"ops\" email=\"ops@example.test\"/>\n",
                  "notify=\"ops\"",
                  "    <sql name=\"q\" source=\"db\" crit=\"5\" direction=\"below\">"
                  "<query>SELECT 1</query></sql>\n"))
        return -1;
    struct eng_tick_stats s;
    struct store_outbox_entry *v = NULL;
    size_t n = 0;
    int rc = tick(&w, "2026-12-01T07:00:00Z", &s) || store_outbox_list(w.st, 1, 0, &v, &n, NULL) ||
             n != 1;
    if (!rc)
        snprintf(out, len, "%s", v[0].message_id);
    store_outbox_list_free(v, n);
    world_free(&w);
    return rc ? -1 : 0;
}

TEST(a_new_database_never_reuses_a_message_id)
{
    char a[256], b[256];
    CHECK_OK(first_msgid("msgid-a", a, sizeof a));
    CHECK_OK(first_msgid("msgid-b", b, sizeof b));
    /* Same alert number, notice and recipient: before, both were
     * <ackbeat.alert1.n1.HASH@example.test>. */
    CHECK_CONTAINS(a, "<ackbeat.alert1.n1.");
    CHECK_CONTAINS(b, "<ackbeat.alert1.n1.");
    CHECK(strcmp(a, b) != 0);
}

static int sql(struct world *w, const char *q)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/data.db", w->dir);
    sqlite3 *db;
    if (sqlite3_open(p, &db) != SQLITE_OK)
        return -1;
    int rc = sqlite3_exec(db, q, NULL, NULL, NULL);
    sqlite3_close(db);
    return rc == SQLITE_OK ? 0 : -1;
}

TEST(held_label_clears_when_the_parent_recovers)
{
    struct world w;
    CHECK_OK(world_new(&w, "held", "    <person name=\"ops\" email=\"ops@example.test\"/>\n",
                       "notify=\"ops\"",
                       "    <sql name=\"parent\" source=\"db\" crit=\"1\" direction=\"below\">"
                       "<query>SELECT count(*) FROM p</query></sql>\n"
                       "    <sql name=\"child\" source=\"db\" crit=\"1\" direction=\"below\" "
                       "depends-on=\"parent\"><query>SELECT count(*) FROM c</query></sql>\n"));
    CHECK_OK(sql(&w, "CREATE TABLE p(x); CREATE TABLE c(x)"));
    struct eng_tick_stats s;
    CHECK_OK(tick(&w, "2026-12-01T00:00:00Z", &s));
    struct store_alert *a = NULL;
    CHECK_OK(store_alert_find_open(w.st, "child", "", &a, NULL));
    CHECK_STR(a->held_by, "parent");
    store_alert_free(a);
    /* The parent recovers; the child is still failing. */
    CHECK_OK(sql(&w, "INSERT INTO p VALUES (1)"));
    CHECK_OK(tick(&w, "2026-12-01T00:05:00Z", &s));
    CHECK(store_alert_find_open(w.st, "parent", "", &a, NULL) != AB_OK);
    CHECK_OK(store_alert_find_open(w.st, "child", "", &a, NULL));
    CHECK(a->held_by == NULL);
    CHECK(a->notify_count >= 1); /* and its notice went out */
    store_alert_free(a);
    world_free(&w);
}
