/*
 * test_mailer_claims.c - the outbox shared by several drains (issue 16):
 * two drains on one state (two nodes, two threads) never both send a
 * message; a node's claim holds until its lease ran out and is then
 * taken, once; a claim of a process of this host that is gone is taken at
 * once (a daemon killed and restarted is a new node).  SQLite, and
 * PostgreSQL when AB_TEST_PG_URI is set (t_state).
 */
#include <dirent.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/ab_mem.h"
#include "common/ab_node.h"
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

static const struct mail_addr TO[] = {{"alice@example.test", "Alice"}};

static int put(store *st, const char *subject, ab_time now, int64_t *id)
{
    struct mail_msg_spec s = {
        .from = "ackbeat@example.test",
        .to = TO,
        .nto = 1,
        .subject = subject,
        .text = "body\n",
        .date = T_NOW,
    };
    ab_errmsg em;
    if (mail_outbox_put(st, &s, "test", subject, now, id, NULL, &em) != AB_OK) {
        t_fail(__FILE__, __LINE__, "put: %s", em.text);
        return -1;
    }
    return 0;
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
/* A second handle on open_store(name)'s state, as another node has. */
static store *open_again(const char *name)
{
    char p[600];
    snprintf(p, sizeof p, "%s/%s.db", t_tmpdir(), name);
    store *st = NULL;
    ab_errmsg em;
    if (store_open(t_state(p), &st, &em) != AB_OK)
        t_fail(__FILE__, __LINE__, "store_open again: %s", em.text);
    return st;
}

struct node_drain {
    store *st;
    const struct cfg_mail *mc;
    const char *node;
    struct mail_drain_stats stats;
    enum ab_err e;
};

static void *drain_thread(void *arg)
{
    struct node_drain *nd = arg;
    nd->e = mail_outbox_drain_as(nd->st, nd->mc, nd->node, T_NOW, 0, &nd->stats, NULL);
    return NULL;
}

TEST(two_drains_never_send_a_row_twice)
{
    enum { N = 60 };
    store *a = open_store("twodrains");
    store *b = open_again("twodrains");
    char url[600], newdir[700];
    snprintf(url, sizeof url, "maildir:%s/two-md", t_tmpdir());
    snprintf(newdir, sizeof newdir, "%s/two-md/new", t_tmpdir());
    struct cfg_mail mc = test_mail_cfg(url);
    for (int i = 0; i < N; i++) {
        char subj[32];
        snprintf(subj, sizeof subj, "m%d", i);
        CHECK(put(a, subj, T_NOW, NULL) == 0);
    }
    struct node_drain x = {a, &mc, "node-a", {0}, AB_OK},
                      y = {b, &mc, "node-b", {0}, AB_OK};
    pthread_t ta, tb;
    CHECK(pthread_create(&ta, NULL, drain_thread, &x) == 0);
    CHECK(pthread_create(&tb, NULL, drain_thread, &y) == 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    CHECK_OK(x.e);
    CHECK_OK(y.e);
    /* Every message once: attempted by one drain, one file each. */
    CHECK_INT(x.stats.attempted + y.stats.attempted, N);
    CHECK_INT(x.stats.sent + y.stats.sent, N);
    CHECK_INT(count_files(newdir), N);
    struct store_outbox_counts c;
    CHECK_OK(store_outbox_counts(a, &c, NULL));
    CHECK_INT(c.sent, N);
    CHECK_INT(c.queued, 0);
    store_close(b);
    store_close(a);
}

TEST(a_claim_holds_until_its_lease_runs_out)
{
    store *st = open_store("lease");
    char url[600], newdir[700];
    snprintf(url, sizeof url, "maildir:%s/lease-md", t_tmpdir());
    snprintf(newdir, sizeof newdir, "%s/lease-md/new", t_tmpdir());
    struct cfg_mail mc = test_mail_cfg(url);
    int64_t id, other;
    CHECK(put(st, "held", T_NOW, &id) == 0);
    CHECK(put(st, "free", T_NOW, &other) == 0);
    /* A node that died while sending one: its claim until T_NOW + 100. */
    int64_t *ids = NULL;
    size_t n = 0;
    CHECK_OK(store_outbox_claim(st, "dead", T_NOW, T_NOW + 100, 1, &ids, &n, NULL));
    CHECK_INT(n, 1);
    CHECK_INT(ids[0], id); /* oldest first */
    ab_free(ids);
    struct mail_drain_stats stats;
    CHECK_OK(mail_outbox_drain_as(st, &mc, "alive", T_NOW + 50, 0, &stats, NULL));
    CHECK_INT(stats.attempted, 1); /* only the free one */
    CHECK_INT(count_files(newdir), 1);
    ab_errmsg em;
    CHECK_INT(mail_outbox_send_one(st, &mc, id, T_NOW + 50, &stats, &em), AB_EEXIST);
    CHECK_CONTAINS(em.text, "dead");
    /* Its lease ran out: taken, sent once, the claim cleared. */
    CHECK_OK(mail_outbox_drain_as(st, &mc, "alive", T_NOW + 101, 0, &stats, NULL));
    CHECK_INT(stats.sent, 1);
    CHECK_INT(count_files(newdir), 2);
    CHECK_OK(store_outbox_claim(st, "dead", T_NOW + 200, T_NOW + 300, 0, &ids, &n, NULL));
    CHECK_INT(n, 0);
    store_close(st);
}

TEST(a_dead_process_of_this_host_holds_nothing)
{
    store *st = open_store("gone");
    char url[600], newdir[700];
    snprintf(url, sizeof url, "maildir:%s/gone-md", t_tmpdir());
    snprintf(newdir, sizeof newdir, "%s/gone-md/new", t_tmpdir());
    struct cfg_mail mc = test_mail_cfg(url);
    int64_t id;
    CHECK(put(st, "orphan", T_NOW, &id) == 0);
    /* A process of this host that held it and is gone: a child, reaped. */
    pid_t child = fork();
    if (child == 0)
        _exit(0);
    CHECK(child > 0);
    waitpid(child, NULL, 0);
    char me[320], dead[340];
    ab_node_default(me, sizeof me);
    snprintf(dead, sizeof dead, "%.*s:%ld", (int)(strrchr(me, ':') - me), me,
             (long)child);
    CHECK(ab_node_gone(dead, NULL));
    CHECK(!ab_node_gone(me, NULL));
    CHECK(!ab_node_gone("elsewhere:1234", NULL));
    int64_t *ids = NULL;
    size_t n = 0;
    CHECK_OK(store_outbox_claim(st, dead, T_NOW, T_NOW + 3600, 0, &ids, &n, NULL));
    CHECK_INT(n, 1);
    ab_free(ids);
    /* Long before the lease ran out, the restarted drain sends it. */
    struct mail_drain_stats stats;
    CHECK_OK(mail_outbox_drain_as(st, &mc, "restarted", T_NOW + 1, 0, &stats, NULL));
    CHECK_INT(stats.sent, 1);
    CHECK_INT(count_files(newdir), 1);
    /* One held by a live process elsewhere is left alone. */
    CHECK(put(st, "held elsewhere", T_NOW, &id) == 0);
    CHECK_OK(
        store_outbox_claim(st, "elsewhere:1234", T_NOW, T_NOW + 3600, 0, &ids, &n, NULL));
    ab_free(ids);
    CHECK_OK(mail_outbox_drain_as(st, &mc, "restarted", T_NOW + 2, 0, &stats, NULL));
    CHECK_INT(stats.attempted, 0);
    store_close(st);
}
