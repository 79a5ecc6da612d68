/*
 * test_mailer_outbox.c - the outbox: what is stored, when it is due, how
 * each attempt is recorded (sent, deferred with backoff, failed per
 * recipient, given up after the maximum age), that a broken transport
 * defers the batch without hammering the server, and that a failing
 * state database loses nothing.  A real store in t_tmpdir(); transports
 * are Maildir and the scripted fake SMTP server.
 */
#include <dirent.h>
#include <sys/stat.h>
#include <time.h>

#include "common/ab_buf.h"
#include "common/ab_mem.h"
#include "harness.h"
#include "mailer/mail.h"
#include "store/store.h"
#include "store/store_outbox.h"
#include "test_mailer_fake.h"
#include "test_pg_util.h"

#define T_NOW 1796112000 /* 2026-12-01T08:00:00Z */

static store *open_store(const char *name)
{
    char p[600];
    snprintf(p, sizeof p, "%s/%s.db", t_tmpdir(), name);
    unlink(p);
    store *st = NULL;
    ab_errmsg em;
    if (store_open(t_state(p), &st, &em) != AB_OK)
        t_fail(__FILE__, __LINE__, "store_open: %s", em.text);
    return st;
}

static const struct mail_addr TO2[] = {{"alice@example.test", "Alice"},
                                       {"bob@example.test", NULL}};

static struct mail_msg_spec spec(const char *subject, size_t nto)
{
    struct mail_msg_spec s = {
        .from = "ackbeat@example.test",
        .to = TO2,
        .nto = nto,
        .subject = subject,
        .text = "body\n",
        .date = T_NOW,
    };
    return s;
}

static int put(store *st, const char *subject, size_t nto, ab_time now, int64_t *id)
{
    struct mail_msg_spec s = spec(subject, nto);
    ab_errmsg em;
    if (mail_outbox_put(st, &s, "test", subject, now, id, NULL, &em) != AB_OK) {
        t_fail(__FILE__, __LINE__, "put: %s", em.text);
        return -1;
    }
    return 0;
}

/* The listing entry for id (with --all), or NULL; frees nothing: the
 * caller frees the list. */
static struct store_outbox_entry *find(struct store_outbox_entry *v, size_t n, int64_t id)
{
    for (size_t i = 0; i < n; i++)
        if (v[i].id == id)
            return &v[i];
    return NULL;
}

static const char *rcpt_status(struct store_outbox_entry *e, const char *rcpt)
{
    for (size_t i = 0; e && i < e->nrcpts; i++)
        if (strcmp(e->rcpts[i].rcpt, rcpt) == 0)
            return store_outbox_status_name(e->rcpts[i].status);
    return "?";
}

static int count_files(const char *dir)
{
    int n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *de;
    while ((de = readdir(d)))
        if (de->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

/* The stored sender (the drain's MAIL FROM) is envelope_from when set,
 * From otherwise; a bad one is refused before anything is stored. */
TEST(put_stores_the_envelope_sender)
{
    store *st = open_store("put-envelope");
    CHECK(st != NULL);
    struct mail_msg_spec s = spec("verp", 1);
    s.envelope_from = "heartbeat+abcdefghijklmnopqrstuvwxyz@example.test";
    int64_t id;
    CHECK_OK(mail_outbox_put(st, &s, "heartbeat-request", "1", T_NOW, &id, NULL, NULL));
    struct store_outbox_msg *m;
    CHECK_OK(store_outbox_get(st, id, &m, NULL));
    int same = strcmp(m->sender, s.envelope_from) == 0;
    int in_body = strstr(m->body, "heartbeat+") != NULL;
    store_outbox_msg_free(m);
    CHECK(same);
    CHECK(!in_body);

    s = spec("bad verp", 1);
    s.envelope_from = "not an address";
    ab_errmsg em;
    CHECK_INT(mail_outbox_put(st, &s, "test", NULL, T_NOW, NULL, NULL, &em), AB_EINVAL);
    CHECK_CONTAINS(em.text, "envelope sender");
    struct store_outbox_counts oc = {0};
    CHECK_OK(store_outbox_counts(st, &oc, NULL));
    CHECK_INT(oc.queued, 1);
    store_close(st);
}

TEST(put_stores_message_and_recipients)
{
    store *st = open_store("put");
    CHECK(st != NULL);
    struct mail_msg_spec s = spec("hello", 2);
    int64_t id;
    char msgid[MAIL_MSGID_MAX];
    CHECK_OK(mail_outbox_put(st, &s, "alert", "orders.fresh", T_NOW, &id, msgid, NULL));
    struct store_outbox_msg *m;
    CHECK_OK(store_outbox_get(st, id, &m, NULL));
    CHECK_INT(m->status, STORE_OUTBOX_QUEUED);
    CHECK_STR(m->message_id, msgid);
    CHECK_STR(m->sender, "ackbeat@example.test");
    CHECK_STR(m->kind, "alert");
    CHECK_STR(m->ref, "orders.fresh");
    CHECK_STR(m->subject, "hello");
    CHECK_INT(m->nrcpts, 2);
    CHECK_INT(m->nrcpts_total, 2);
    CHECK_STR(m->rcpts[0], "alice@example.test");
    CHECK_STR(m->rcpts[1], "bob@example.test");
    CHECK_INT(m->created, T_NOW);
    CHECK_INT(m->attempts, 0);
    CHECK_CONTAINS(m->body, "Subject: hello\r\n");
    CHECK_INT(strlen(m->body), m->len);
    store_outbox_msg_free(m);

    /* Same Message-ID twice. */
    s.message_id = msgid;
    ab_errmsg em;
    CHECK_INT(mail_outbox_put(st, &s, NULL, NULL, T_NOW, NULL, NULL, &em), AB_EEXIST);
    /* A bad message is not stored at all. */
    s.message_id = NULL;
    s.subject = "x\r\nBcc: y@example.test";
    CHECK_INT(mail_outbox_put(st, &s, NULL, NULL, T_NOW, NULL, NULL, &em), AB_EINVAL);

    struct store_outbox_counts c;
    CHECK_OK(store_outbox_counts(st, &c, NULL));
    CHECK_INT(c.queued, 1);
    CHECK_INT(c.sent, 0);
    CHECK_INT(c.failed, 0);
    CHECK_INT(c.oldest_queued, T_NOW);

    int64_t *ids;
    size_t n;
    CHECK_OK(store_outbox_due(st, T_NOW - 1, 0, &ids, &n, NULL));
    CHECK_INT(n, 0);
    CHECK_OK(store_outbox_due(st, T_NOW, 0, &ids, &n, NULL));
    CHECK_INT(n, 1);
    CHECK_INT(ids[0], id);
    ab_free(ids);
    CHECK_INT(store_outbox_get(st, id + 100, &m, NULL), AB_ENOTFOUND);
    store_close(st);
}

TEST(drain_through_maildir_marks_sent)
{
    store *st = open_store("maildir");
    char url[600], newdir[700];
    snprintf(url, sizeof url, "maildir:%s/outbox-md", t_tmpdir());
    snprintf(newdir, sizeof newdir, "%s/outbox-md/new", t_tmpdir());
    struct cfg_mail mc = test_mail_cfg(url);
    int64_t a, b, c;
    CHECK(put(st, "one", 2, T_NOW, &a) == 0);
    CHECK(put(st, "two", 1, T_NOW + 10, &b) == 0);
    CHECK(put(st, "later", 1, T_NOW + 1000, &c) == 0);
    struct mail_drain_stats stats;
    CHECK_OK(mail_outbox_drain(st, &mc, T_NOW + 60, 0, &stats, NULL));
    CHECK_INT(stats.attempted, 2);
    CHECK_INT(stats.sent, 2);
    CHECK_INT(stats.rcpt_sent, 3);
    CHECK_INT(stats.deferred, 0);
    CHECK_INT(count_files(newdir), 2);

    struct store_outbox_entry *v;
    size_t n;
    CHECK_OK(store_outbox_list(st, 0, 0, &v, &n, NULL));
    CHECK_INT(n, 1); /* only "later" is still queued */
    CHECK_INT(v[0].id, c);
    store_outbox_list_free(v, n);
    CHECK_OK(store_outbox_list(st, 1, 0, &v, &n, NULL));
    CHECK_INT(n, 3);
    CHECK_INT(v[0].id, a); /* oldest first */
    struct store_outbox_entry *e = find(v, n, a);
    CHECK_INT(e->status, STORE_OUTBOX_SENT);
    CHECK_INT(e->sent_at, T_NOW + 60);
    CHECK_INT(e->attempts, 1);
    CHECK_STR(rcpt_status(e, "alice@example.test"), "sent");
    CHECK_STR(rcpt_status(e, "bob@example.test"), "sent");
    store_outbox_list_free(v, n);
    /* --all with a limit keeps the newest. */
    CHECK_OK(store_outbox_list(st, 1, 2, &v, &n, NULL));
    CHECK_INT(n, 2);
    CHECK_INT(v[0].id, b);
    CHECK_INT(v[1].id, c);
    store_outbox_list_free(v, n);

    /* Nothing due: no transport is even opened (a bad one would fail). */
    struct cfg_mail bad = test_mail_cfg("bogus:");
    CHECK_OK(mail_outbox_drain(st, &bad, T_NOW + 60, 0, &stats, NULL));
    CHECK_INT(stats.attempted, 0);

    /* A limit. */
    CHECK(put(st, "l1", 1, T_NOW, NULL) == 0);
    CHECK(put(st, "l2", 1, T_NOW, NULL) == 0);
    CHECK_OK(mail_outbox_drain(st, &mc, T_NOW + 60, 1, &stats, NULL));
    CHECK_INT(stats.sent, 1);
    struct store_outbox_counts cnt;
    CHECK_OK(store_outbox_counts(st, &cnt, NULL));
    CHECK_INT(cnt.sent, 3);
    CHECK_INT(cnt.queued, 2);
    CHECK_INT(cnt.oldest_queued, T_NOW);
    store_close(st);
}

TEST(temporary_failure_backs_off_then_gives_up)
{
    store *st = open_store("backoff");
    /* A server that is not there. */
    struct fake f;
    CHECK(fake_start(&f, t_tmpdir(), "ob-gone", NULL) == 0);
    fake_stop(&f);
    char url[200];
    snprintf(url, sizeof url, "smtp://127.0.0.1:%d", f.port);
    struct cfg_mail mc = test_mail_cfg(url);
    mc.max_age = 600;
    int64_t id;
    CHECK(put(st, "retry me", 1, T_NOW, &id) == 0);

    struct mail_drain_stats stats;
    CHECK_OK(mail_outbox_drain(st, &mc, T_NOW, 0, &stats, NULL));
    CHECK_INT(stats.deferred, 1);
    CHECK_CONTAINS(stats.last_error.text, "127.0.0.1");
    struct store_outbox_entry *v;
    size_t n;
    CHECK_OK(store_outbox_list(st, 0, 0, &v, &n, NULL));
    CHECK_INT(n, 1);
    CHECK_INT(v[0].status, STORE_OUTBOX_QUEUED);
    CHECK_INT(v[0].attempts, 1);
    ab_time next = v[0].next_attempt;
    CHECK(next >= T_NOW + 48 && next <= T_NOW + 72);
    CHECK(v[0].last_error != NULL);
    CHECK_CONTAINS(v[0].last_error, "onnect");
    CHECK(v[0].rcpts[0].last_error != NULL);
    store_outbox_list_free(v, n);

    /* Not due yet: untouched. */
    CHECK_OK(mail_outbox_drain(st, &mc, next - 1, 0, &stats, NULL));
    CHECK_INT(stats.attempted, 0);
    /* Due: second attempt, about twice the wait. */
    CHECK_OK(mail_outbox_drain(st, &mc, next, 0, &stats, NULL));
    CHECK_INT(stats.deferred, 1);
    CHECK_OK(store_outbox_list(st, 0, 0, &v, &n, NULL));
    CHECK_INT(v[0].attempts, 2);
    CHECK(v[0].next_attempt >= next + 96 && v[0].next_attempt <= next + 144);
    store_outbox_list_free(v, n);

    /* The last retry is no later than the maximum age ... */
    CHECK_OK(mail_outbox_drain(st, &mc, T_NOW + 590, 0, &stats, NULL));
    CHECK_OK(store_outbox_list(st, 0, 0, &v, &n, NULL));
    CHECK_INT(v[0].next_attempt, T_NOW + 600);
    store_outbox_list_free(v, n);
    /* ... and at the maximum age it gives up, with the last error. */
    CHECK_OK(mail_outbox_drain(st, &mc, T_NOW + 600, 0, &stats, NULL));
    CHECK_INT(stats.failed, 1);
    CHECK_INT(stats.rcpt_failed, 1);
    CHECK_OK(store_outbox_list(st, 0, 0, &v, &n, NULL));
    CHECK_INT(n, 1);
    CHECK_INT(v[0].status, STORE_OUTBOX_FAILED);
    CHECK_INT(v[0].attempts, 4);
    CHECK_CONTAINS(v[0].last_error, "gave up after 4 attempts in 10m");
    CHECK_STR(rcpt_status(&v[0], "alice@example.test"), "failed");
    CHECK_INT(v[0].sent_at, AB_TIME_NONE);
    store_outbox_list_free(v, n);
    struct store_outbox_counts c;
    CHECK_OK(store_outbox_counts(st, &c, NULL));
    CHECK_INT(c.failed, 1);
    CHECK_INT(c.queued, 0);
    CHECK_INT(c.oldest_queued, AB_TIME_NONE);
    /* Failed stays failed. */
    CHECK_OK(mail_outbox_drain(st, &mc, T_NOW + 99999, 0, &stats, NULL));
    CHECK_INT(stats.attempted, 0);
    store_close(st);
}

TEST(permanent_550_for_one_recipient_is_recorded_against_it)
{
    store *st = open_store("r550");
    struct fake f;
    const char *args[] = {"--rcpt", "bob@example.test=550 5.1.1 <bob@example.test>: "
                                    "Recipient address rejected: User unknown",
                          NULL};
    CHECK(fake_start(&f, t_tmpdir(), "ob-550", args) == 0);
    char url[200];
    snprintf(url, sizeof url, "smtp://127.0.0.1:%d/client.test", f.port);
    struct cfg_mail mc = test_mail_cfg(url);
    int64_t id;
    CHECK(put(st, "to both", 2, T_NOW, &id) == 0);
    struct mail_drain_stats stats;
    CHECK_OK(mail_outbox_drain(st, &mc, T_NOW, 0, &stats, NULL));
    fake_stop(&f);
    CHECK_INT(stats.failed, 1);
    CHECK_INT(stats.rcpt_sent, 1);
    CHECK_INT(stats.rcpt_failed, 1);
    struct store_outbox_entry *v;
    size_t n;
    CHECK_OK(store_outbox_list(st, 1, 0, &v, &n, NULL));
    CHECK_INT(v[0].status, STORE_OUTBOX_FAILED);
    CHECK_STR(rcpt_status(&v[0], "alice@example.test"), "sent");
    CHECK_STR(rcpt_status(&v[0], "bob@example.test"), "failed");
    CHECK(v[0].rcpts[1].last_error != NULL);
    CHECK_CONTAINS(v[0].rcpts[1].last_error, "550 5.1.1");
    CHECK(v[0].rcpts[0].last_error == NULL);
    CHECK_CONTAINS(v[0].last_error, "User unknown");
    store_outbox_list_free(v, n);
    char *tr = slurp(f.transcript, NULL);
    int data = count_str(tr, "D: ");
    free(tr);
    CHECK_INT(data, 1); /* alice got it */
    store_close(st);
}

TEST(partial_delivery_retries_only_the_rest)
{
    store *st = open_store("partial");
    struct fake f;
    const char *args[] = {"--rcpt", "bob@example.test=451 4.3.0 Try later", NULL};
    CHECK(fake_start(&f, t_tmpdir(), "ob-451", args) == 0);
    char url[200];
    snprintf(url, sizeof url, "smtp://127.0.0.1:%d/client.test", f.port);
    struct cfg_mail mc = test_mail_cfg(url);
    int64_t id;
    CHECK(put(st, "to both", 2, T_NOW, &id) == 0);
    struct mail_drain_stats stats;
    CHECK_OK(mail_outbox_drain(st, &mc, T_NOW, 0, &stats, NULL));
    fake_stop(&f);
    CHECK_INT(stats.deferred, 1);
    CHECK_INT(stats.rcpt_sent, 1);
    struct store_outbox_msg *m;
    CHECK_OK(store_outbox_get(st, id, &m, NULL));
    CHECK_INT(m->nrcpts, 1);
    CHECK_STR(m->rcpts[0], "bob@example.test");
    CHECK_INT(m->nrcpts_total, 2);
    store_outbox_msg_free(m);

    /* The server recovers: only bob is sent to. */
    CHECK(fake_start(&f, t_tmpdir(), "ob-451b", NULL) == 0);
    snprintf(url, sizeof url, "smtp://127.0.0.1:%d/client.test", f.port);
    mc = test_mail_cfg(url);
    CHECK_OK(mail_outbox_drain(st, &mc, T_NOW + 3600, 0, &stats, NULL));
    fake_stop(&f);
    CHECK_INT(stats.sent, 1);
    char *tr = slurp(f.transcript, NULL);
    int bob = count_str(tr, "RCPT TO:<bob@example.test>"),
        alice = count_str(tr, "RCPT TO:<alice@example.test>");
    free(tr);
    CHECK_INT(bob, 1);
    CHECK_INT(alice, 0);
    struct store_outbox_entry *v;
    size_t n;
    CHECK_OK(store_outbox_list(st, 1, 0, &v, &n, NULL));
    CHECK_INT(v[0].status, STORE_OUTBOX_SENT);
    CHECK_INT(v[0].attempts, 2);
    CHECK_STR(rcpt_status(&v[0], "bob@example.test"), "sent");
    store_outbox_list_free(v, n);
    store_close(st);
}

TEST(hanging_server_defers_the_whole_batch_once)
{
    store *st = open_store("hang");
    struct fake f;
    const char *args[] = {"--mode", "hang", NULL};
    CHECK(fake_start(&f, t_tmpdir(), "ob-hang", args) == 0);
    char url[200];
    snprintf(url, sizeof url, "smtp://127.0.0.1:%d/client.test", f.port);
    struct cfg_mail mc = test_mail_cfg(url);
    mc.timeout = 1;
    for (int i = 0; i < 3; i++)
        CHECK(put(st, "batch", 1, T_NOW, NULL) == 0);
    struct mail_drain_stats stats;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_OK(mail_outbox_drain(st, &mc, T_NOW, 0, &stats, NULL));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    fake_stop(&f);
    CHECK(t1.tv_sec - t0.tv_sec < 5);
    CHECK_INT(stats.attempted, 3);
    CHECK_INT(stats.deferred, 3);
    CHECK_INT(stats.sent, 0);
    char *tr = slurp(f.transcript, NULL);
    int conns = count_str(tr, "--- connection");
    free(tr);
    CHECK_INT(conns, 1);
    struct store_outbox_entry *v;
    size_t n;
    CHECK_OK(store_outbox_list(st, 0, 0, &v, &n, NULL));
    CHECK_INT(n, 3);
    for (size_t i = 0; i < n; i++) {
        CHECK_INT(v[i].status, STORE_OUTBOX_QUEUED);
        CHECK_CONTAINS(v[i].last_error, "timed out");
    }
    store_outbox_list_free(v, n);
    store_close(st);
}

/* A backlog is sent over several connections (mail_lanes.c); this
 * server takes one connection at a time, so the extra ones wait for a
 * banner until they time out, and what they held is sent over the first:
 * every message once, none deferred. */
TEST(backlog_over_a_one_connection_server_sends_each_once)
{
    struct fake f;
    CHECK(fake_start(&f, t_tmpdir(), "backlog", NULL) == 0);
    store *st = open_store("backlog");
    char url[200];
    snprintf(url, sizeof url, "smtp://127.0.0.1:%d/client.test", f.port);
    struct cfg_mail mc = test_mail_cfg(url);
    mc.timeout = 2;
    enum { N = 70 }; /* groups of 1, 2, 4, 8, 16, then a whole one of 32 */
    for (int i = 0; i < N; i++) {
        char subject[32];
        snprintf(subject, sizeof subject, "backlog %d", i);
        CHECK(put(st, subject, 1, T_NOW, NULL) == 0);
    }
    struct mail_drain_stats stats;
    CHECK_OK(mail_outbox_drain(st, &mc, T_NOW, 0, &stats, NULL));
    fake_stop(&f);
    CHECK_INT(stats.attempted, N);
    CHECK_INT(stats.sent, N);
    CHECK_INT(stats.deferred, 0);
    struct store_outbox_counts c;
    CHECK_OK(store_outbox_counts(st, &c, NULL));
    CHECK_INT(c.sent, N);
    CHECK_INT(c.queued, 0);
    char *tr = slurp(f.transcript, NULL);
    CHECK(tr != NULL);
    int data = count_str(tr, "\nD: ");
    free(tr);
    CHECK_INT(data, N);
    store_close(st);
}

TEST(unusable_transport_is_reported_and_recorded)
{
    store *st = open_store("badtransport");
    struct cfg_mail mc = test_mail_cfg("smtp://127.0.0.1:25?auth=bogus");
    CHECK(put(st, "x", 1, T_NOW, NULL) == 0);
    struct mail_drain_stats stats;
    ab_errmsg em;
    CHECK_INT(mail_outbox_drain(st, &mc, T_NOW, 0, &stats, &em), AB_ECONFIG);
    CHECK_CONTAINS(em.text, "auth=plain");
    CHECK_INT(stats.deferred, 1);
    struct store_outbox_entry *v;
    size_t n;
    CHECK_OK(store_outbox_list(st, 0, 0, &v, &n, NULL));
    CHECK_INT(v[0].status, STORE_OUTBOX_QUEUED);
    CHECK_CONTAINS(v[0].last_error, "auth=plain");
    store_outbox_list_free(v, n);
    store_close(st);
}

TEST(store_failure_loses_nothing)
{
    store *st = open_store("storefail");
    char url[600], newdir[700];
    snprintf(url, sizeof url, "maildir:%s/sf-md", t_tmpdir());
    snprintf(newdir, sizeof newdir, "%s/sf-md/new", t_tmpdir());
    struct cfg_mail mc = test_mail_cfg(url);
    int64_t id;
    CHECK(put(st, "keep me", 1, T_NOW, &id) == 0);
    /* Let the reads succeed and fail the recording. */
    int failed_once = 0;
    for (long k = 0; k < 20 && !failed_once; k++) {
        store_fail_after(st, k);
        struct mail_drain_stats stats;
        enum ab_err e = mail_outbox_drain(st, &mc, T_NOW, 0, &stats, NULL);
        store_fail_after(st, -1);
        if (e != AB_OK) {
            failed_once = 1;
            CHECK(e == AB_ESTORE || e == AB_EBUSY);
        }
        struct store_outbox_msg *m;
        CHECK_OK(store_outbox_get(st, id, &m, NULL));
        int status = m->status;
        store_outbox_msg_free(m);
        if (status == STORE_OUTBOX_SENT)
            break;
        CHECK_INT(status, STORE_OUTBOX_QUEUED);
    }
    CHECK(failed_once);
    /* It may have been delivered before the failed commit (a duplicate
     * later), but it is still there to be sent. */
    struct mail_drain_stats stats;
    CHECK_OK(mail_outbox_drain(st, &mc, T_NOW + 7200, 0, &stats, NULL));
    struct store_outbox_counts c;
    CHECK_OK(store_outbox_counts(st, &c, NULL));
    CHECK_INT(c.sent, 1);
    CHECK(count_files(newdir) >= 1);
    store_close(st);
}

TEST(send_one_ignores_the_schedule)
{
    store *st = open_store("sendone");
    char url[600];
    snprintf(url, sizeof url, "maildir:%s/so-md", t_tmpdir());
    struct cfg_mail mc = test_mail_cfg(url);
    int64_t id;
    CHECK(put(st, "now", 1, T_NOW + 5000, &id) == 0);
    struct mail_drain_stats stats;
    CHECK_OK(mail_outbox_send_one(st, &mc, id, T_NOW, &stats, NULL));
    CHECK_INT(stats.sent, 1);
    ab_errmsg em;
    CHECK_INT(mail_outbox_send_one(st, &mc, id, T_NOW, &stats, &em), AB_ENOTFOUND);
    CHECK_CONTAINS(em.text, "sent");
    CHECK_INT(mail_outbox_send_one(st, &mc, id + 9, T_NOW, &stats, &em), AB_ENOTFOUND);
    store_close(st);
}

TEST(record_settles_states)
{
    store *st = open_store("record");
    static const char *const rc[] = {"a@example.test", "b@example.test", "a@example.test"};
    int64_t id;
    CHECK_OK(store_outbox_put(st, "x\r\n", 3, "<r1@example.test>", "s@example.test", rc, 3,
                              NULL, NULL, NULL, T_NOW, &id, NULL));
    struct store_outbox_msg *m;
    CHECK_OK(store_outbox_get(st, id, &m, NULL));
    CHECK_INT(m->nrcpts, 2); /* the duplicate is stored once */
    store_outbox_msg_free(m);
    struct store_outbox_rcpt_update up[] = {{"a@example.test", STORE_OUTBOX_SENT, NULL},
                                            {"b@example.test", STORE_OUTBOX_QUEUED, "451 later"}};
    struct store_outbox_attempt a = {.rcpts = up, .nrcpts = 2, .now = T_NOW,
                                     .next_attempt = T_NOW + 60, .error = "451 later"};
    enum store_outbox_status s;
    CHECK_OK(store_outbox_record(st, id, &a, &s, NULL));
    CHECK_INT(s, STORE_OUTBOX_QUEUED);
    /* A late report for a, already sent, changes nothing. */
    up[0].status = STORE_OUTBOX_FAILED;
    up[1].status = STORE_OUTBOX_SENT;
    up[1].error = NULL;
    a.error = NULL;
    CHECK_OK(store_outbox_record(st, id, &a, &s, NULL));
    CHECK_INT(s, STORE_OUTBOX_SENT);
    struct store_outbox_entry *v;
    size_t n;
    CHECK_OK(store_outbox_list(st, 1, 0, &v, &n, NULL));
    CHECK_STR(rcpt_status(&v[0], "a@example.test"), "sent");
    CHECK_STR(rcpt_status(&v[0], "b@example.test"), "sent");
    CHECK_STR(v[0].last_error, "451 later"); /* history kept */
    CHECK_INT(v[0].attempts, 2);
    store_outbox_list_free(v, n);
    /* Settled messages are not changed again. */
    CHECK_INT(store_outbox_record(st, id, &a, &s, NULL), AB_ENOTFOUND);
    CHECK_INT(store_outbox_put(st, "x", 1, "<r2@example.test>", "s@example.test", rc, 0,
                               NULL, NULL, NULL, T_NOW, NULL, NULL),
              AB_EINVAL);
    CHECK_STR(store_outbox_status_name(STORE_OUTBOX_FAILED), "failed");
    store_close(st);
}

TEST(purge_keeps_what_is_queued)
{
    store *st = open_store("purge");
    char url[600];
    snprintf(url, sizeof url, "maildir:%s/purge-md", t_tmpdir());
    struct cfg_mail mc = test_mail_cfg(url);
    CHECK(put(st, "old sent", 1, T_NOW, NULL) == 0);
    struct mail_drain_stats stats;
    CHECK_OK(mail_outbox_drain(st, &mc, T_NOW, 0, &stats, NULL));
    CHECK_INT(stats.sent, 1);
    CHECK(put(st, "old queued", 1, T_NOW + 10, NULL) == 0);
    CHECK(put(st, "new", 1, T_NOW + 86400, NULL) == 0);
    int64_t n = -1;
    CHECK_OK(store_outbox_purge(st, T_NOW + 3600, &n, NULL));
    CHECK_INT(n, 1);
    struct store_outbox_counts c;
    CHECK_OK(store_outbox_counts(st, &c, NULL));
    CHECK_INT(c.sent, 0);
    CHECK_INT(c.queued, 2);
    store_close(st);
}
