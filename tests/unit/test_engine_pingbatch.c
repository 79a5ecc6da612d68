/*
 * test_engine_pingbatch.c - a batch of pings (eng_ping_batch, the web's
 * group commit) means what the same pings taken one at a time mean.
 *
 * Two worlds get the same pings: one through eng_ping, one ping at a
 * time, the other in one batch.  Debouncing (confirm=, recover=) counts
 * every ping in both, so alerts open and resolve at the same instants;
 * every ping is stored; the check's last run names the newest report; a
 * run of identical pings past the point where the check is settled is
 * judged once at its end, not once a ping; and a ping the engine refuses
 * is undone alone, the rest of the batch kept.
 */
#include "harness.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/ab_mem.h"
#include "store/store_alerts.h"
#include "store/store_metrics.h"
#include "store/store_runs.h"
#include "test_engine_util.h"

struct world {
    cfg *c;
    store *st;
    eng *e;
};

static int world_new(struct world *w, const char *name)
{
    memset(w, 0, sizeof *w);
    char dir[600];
    snprintf(dir, sizeof dir, "%s/%s", t_tmpdir(), name);
    mkdir(dir, 0700);
    const char *xml =
        "<ackbeat name=\"test\" timezone=\"UTC\" tick=\"1m\">\n"
        "  <state path=\"state.db\"/>\n"
        "  <mail from=\"ackbeat@example.test\" transport=\"maildir:out\"/>\n"
        "  <recipients><person name=\"ops\" email=\"ops@example.test\"/></recipients>\n"
        "  <alerting notify=\"ops\"/>\n"
        "  <checks>\n"
        "    <ping name=\"job\" period=\"1d\" grace=\"1h\" confirm=\"2\" recover=\"3\"/>\n"
        "    <ping name=\"other\" period=\"1d\" grace=\"1h\"/>\n"
        "    <command name=\"plain\" command=\"/bin/true\"/>\n"
        "  </checks>\n</ackbeat>\n";
    if (te_open(dir, xml, &w->c, &w->st, &w->e) != 0)
        return -1;
    eng_set_send(w->e, 0);
    return 0;
}

static void world_free(struct world *w)
{
    te_close(w->c, w->st, w->e);
}

/* The pings of a test: a check, what it says, at a second past base. */
struct p {
    const char *check;
    enum store_ping_kind kind;
    int sec;
};

static ab_time at(int sec)
{
    return T("2026-12-01T08:00:00Z") + sec;
}

static int one_at_a_time(struct world *w, const struct p *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        ab_errmsg em = {{0}};
        if (eng_ping(w->e, v[i].check, v[i].kind, 0, "http", NULL, at(v[i].sec), &em)) {
            printf("    ping %zu: %s\n", i, em.text);
            return -1;
        }
    }
    return 0;
}

/* v as one batch; each ping's err into errs (when not NULL). */
static int batched(struct world *w, const struct p *v, size_t n, enum ab_err *errs)
{
    struct eng_ping_in *in = ab_calloc(n, sizeof *in);
    ab_errmsg em = {{0}};
    if (!in)
        return -1;
    for (size_t i = 0; i < n; i++)
        in[i] = (struct eng_ping_in){.check = v[i].check, .kind = v[i].kind, .via = "http",
                                     .at = at(v[i].sec)};
    enum ab_err e = eng_ping_batch(w->e, in, n, &em);
    for (size_t i = 0; errs && i < n; i++)
        errs[i] = in[i].err;
    ab_free(in);
    if (e != AB_OK) {
        printf("    commit: %s\n", em.text);
        return -1;
    }
    return 0;
}

/* Every alert of check, "opened@sec resolved@sec" each, oldest first. */
static void alerts_of(struct world *w, const char *check, char *out, size_t len)
{
    struct store_alert **v = NULL;
    size_t n = 0;
    out[0] = '\0';
    if (store_alert_list(w->st, 1, 0, &v, &n, NULL) != AB_OK)
        return;
    for (size_t i = n; i-- > 0;) {
        const struct store_alert *a = v[i];
        if (strcmp(a->check, check) != 0)
            continue;
        size_t used = strlen(out);
        snprintf(out + used, len - used, "%s@%lld/%s@%lld ", ab_status_name(a->status),
                 (long long)(a->opened - at(0)),
                 a->resolved == AB_TIME_NONE ? "open" : "resolved",
                 a->resolved == AB_TIME_NONE ? -1LL : (long long)(a->resolved - at(0)));
    }
    for (size_t i = 0; i < n; i++)
        store_alert_free(v[i]);
    ab_free(v);
}

/* The pings stored for check, of every kind. */
static long pings_of(struct world *w, const char *check)
{
    struct store_metric_counts c;
    long total = -1;
    if (store_metric_counts(w->st, &c, NULL) == AB_OK) {
        total = 0;
        for (size_t i = 0; i < c.npings; i++)
            if (strcmp(c.pings[i].name, check) == 0)
                total += (long)c.pings[i].n;
    }
    store_metric_counts_free(&c);
    return total;
}

static int runs_of(struct world *w, const char *check)
{
    struct store_run **v = NULL;
    size_t n = 0;
    if (store_run_history(w->st, check, 1000, &v, &n, NULL) != AB_OK)
        return -1;
    for (size_t i = 0; i < n; i++)
        store_run_free(v[i]);
    ab_free(v);
    return (int)n;
}

/* The message of check's last run ("" when none). */
static void last_message(struct world *w, const char *check, char *out, size_t len)
{
    struct store_run *r = NULL;
    out[0] = '\0';
    if (store_run_last(w->st, check, &r, NULL) == AB_OK && r->nresults > 0)
        snprintf(out, len, "%s", r->results[0].message ? r->results[0].message : "");
    store_run_free(r);
}

/* Two worlds, NAME_single and NAME_batch, given v one at a time and as
 * one batch; 0 when both took it. */
static int twins(struct world *a, struct world *b, const char *name, const struct p *v,
                 size_t n)
{
    char na[64], nb[64];
    snprintf(na, sizeof na, "%s_single", name);
    snprintf(nb, sizeof nb, "%s_batch", name);
    if (world_new(a, na) || world_new(b, nb))
        return -1;
    return one_at_a_time(a, v, n) || batched(b, v, n, NULL) ? -1 : 0;
}

TEST(a_batch_debounces_every_ping_as_one_at_a_time_does)
{
    /* confirm=2: the second failure opens the alert; recover=3: the
     * third success resolves it.  Then a long run of successes. */
    static const struct p v[] = {
        {"job", STORE_PING_SUCCESS, 0}, {"job", STORE_PING_FAIL, 1},
        {"job", STORE_PING_FAIL, 2},    {"job", STORE_PING_FAIL, 3},
        {"job", STORE_PING_SUCCESS, 4}, {"job", STORE_PING_SUCCESS, 5},
        {"job", STORE_PING_SUCCESS, 6}, {"job", STORE_PING_SUCCESS, 7},
        {"job", STORE_PING_SUCCESS, 8}, {"job", STORE_PING_SUCCESS, 9},
    };
    size_t n = sizeof v / sizeof v[0];
    struct world a, b;
    CHECK_OK(twins(&a, &b, "debounce", v, n));
    char sa[512], sb[512];
    alerts_of(&a, "job", sa, sizeof sa);
    alerts_of(&b, "job", sb, sizeof sb);
    /* Opened by the second failure (second 2), resolved by the third
     * success (second 6): not by the first of each. */
    CHECK_STR(sa, "Failing@2/resolved@6 ");
    CHECK_STR(sb, sa);
    CHECK_INT(pings_of(&a, "job"), (long)n);
    CHECK_INT(pings_of(&b, "job"), (long)n);
    char ma[512], mb[512];
    last_message(&a, "job", ma, sizeof ma);
    last_message(&b, "job", mb, sizeof mb);
    CHECK_CONTAINS(mb, "2026-12-01T08:00:09Z");
    CHECK_STR(mb, ma);
    /* Settled after the third success: the fourth and fifth are stored
     * but not each a run; the last one is. */
    int ra = runs_of(&a, "job"), rb = runs_of(&b, "job");
    CHECK_INT(ra, (int)n);
    CHECK_INT(rb, (int)n - 2);
    world_free(&a);
    world_free(&b);
}

TEST(a_long_burst_of_one_check_is_judged_at_its_end)
{
    struct p v[500];
    size_t n = sizeof v / sizeof v[0];
    for (size_t i = 0; i < n; i++)
        v[i] = (struct p){"other", STORE_PING_SUCCESS, (int)i};
    struct world w;
    CHECK_OK(world_new(&w, "burst"));
    CHECK_OK(batched(&w, v, n, NULL));
    CHECK_INT(pings_of(&w, "other"), (long)n);
    /* recover=1: settled at the first ping, then judged at the last. */
    CHECK_INT(runs_of(&w, "other"), 2);
    char m[512];
    last_message(&w, "other", m, sizeof m);
    CHECK_CONTAINS(m, "2026-12-01T08:08:19Z"); /* second 499 */
    world_free(&w);
}

TEST(pings_of_several_checks_interleaved_keep_each_checks_order)
{
    static const struct p v[] = {
        {"job", STORE_PING_FAIL, 0},   {"other", STORE_PING_FAIL, 0},
        {"job", STORE_PING_FAIL, 1},   {"other", STORE_PING_SUCCESS, 1},
        {"job", STORE_PING_SUCCESS, 2}, {"other", STORE_PING_FAIL, 2},
    };
    size_t n = sizeof v / sizeof v[0];
    struct world a, b;
    CHECK_OK(twins(&a, &b, "mixed", v, n));
    char sa[512], sb[512];
    alerts_of(&a, "other", sa, sizeof sa);
    alerts_of(&b, "other", sb, sizeof sb);
    CHECK_STR(sa, "Failing@0/resolved@1 Failing@2/open@-1 ");
    CHECK_STR(sb, sa);
    alerts_of(&a, "job", sa, sizeof sa);
    alerts_of(&b, "job", sb, sizeof sb);
    CHECK_STR(sa, "Failing@1/open@-1 ");
    CHECK_STR(sb, sa);
    CHECK_INT(runs_of(&b, "job"), runs_of(&a, "job"));
    world_free(&a);
    world_free(&b);
}

TEST(a_refused_ping_is_undone_alone)
{
    /* "plain" is not a ping check, "gone" no check at all: refused, and
     * the pings around them stay. */
    static const struct p v[] = {
        {"other", STORE_PING_SUCCESS, 0}, {"plain", STORE_PING_SUCCESS, 1},
        {"other", STORE_PING_SUCCESS, 2}, {"gone", STORE_PING_SUCCESS, 3},
        {"other", STORE_PING_FAIL, 4},
    };
    size_t n = sizeof v / sizeof v[0];
    enum ab_err errs[5];
    struct world w;
    CHECK_OK(world_new(&w, "refused"));
    CHECK_OK(batched(&w, v, n, errs));
    CHECK_INT(errs[0], AB_OK);
    CHECK_INT(errs[1], AB_EINVAL);
    CHECK_INT(errs[2], AB_OK);
    CHECK_INT(errs[3], AB_ENOTFOUND);
    CHECK_INT(errs[4], AB_OK);
    CHECK_INT(pings_of(&w, "other"), 3);
    char s[512];
    alerts_of(&w, "other", s, sizeof s);
    CHECK_STR(s, "Failing@4/open@-1 ");
    world_free(&w);
}



TEST(a_batch_of_one_refused_run_leaves_no_transaction_open)
{
    /* A batch that is one run has no savepoint of its own: when the run
     * is refused, the transaction is undone whole, and the next batch
     * (and a plain ping) are written as if nothing had happened. */
    static const struct p bad[] = {{"plain", STORE_PING_SUCCESS, 0},
                                   {"plain", STORE_PING_SUCCESS, 0}};
    static const struct p good[] = {{"other", STORE_PING_SUCCESS, 1},
                                    {"other", STORE_PING_SUCCESS, 1},
                                    {"other", STORE_PING_SUCCESS, 2}};
    enum ab_err errs[3];
    struct world w;
    CHECK_OK(world_new(&w, "onerun"));
    CHECK_OK(batched(&w, bad, 2, errs));
    CHECK_INT(errs[0], AB_EINVAL);
    CHECK_INT(errs[1], AB_EINVAL);
    CHECK_INT(pings_of(&w, "plain"), 0);
    errs[0] = errs[1] = errs[2] = AB_EINVAL;
    CHECK_OK(batched(&w, good, 3, errs));
    CHECK_INT(errs[0], AB_OK);
    CHECK_INT(errs[2], AB_OK);
    CHECK_INT(pings_of(&w, "other"), 3);
    ab_errmsg em = {{0}};
    CHECK_OK(eng_ping(w.e, "other", STORE_PING_FAIL, 0, "http", NULL, at(3), &em));
    CHECK_INT(pings_of(&w, "other"), 4);
    /* Durable: a second connection to the state sees all four. */
    CHECK_INT(t_state_int(cfg_global(w.c)->state_path,
                          "SELECT count(*) FROM pings WHERE check_name = 'other'"),
              4);
    world_free(&w);
}

TEST(a_burst_within_one_second_is_what_one_at_a_time_makes_of_it)
{
    /* Successes: 20 in second 0, then a batch of 20 in second 0 and 20 in
     * second 1.  One at a time, a run each second (the rest of a second's
     * verdicts repeat its first's); the second batch's first verdict
     * records nothing, and its last, a second later, must still be
     * judged: the same runs, message and alerts. */
    struct p v[60];
    for (int i = 0; i < 60; i++)
        v[i] = (struct p){"other", STORE_PING_SUCCESS, i < 40 ? 0 : 1};
    struct world a, b;
    CHECK_OK(world_new(&a, "second_single"));
    CHECK_OK(world_new(&b, "second_batch"));
    CHECK_OK(one_at_a_time(&a, v, 60));
    CHECK_OK(batched(&b, v, 20, NULL));
    CHECK_OK(batched(&b, v + 20, 40, NULL));
    CHECK_INT(pings_of(&b, "other"), 60);
    CHECK_INT(runs_of(&a, "other"), 2);
    CHECK_INT(runs_of(&b, "other"), runs_of(&a, "other"));
    char ma[512], mb[512];
    last_message(&a, "other", ma, sizeof ma);
    last_message(&b, "other", mb, sizeof mb);
    CHECK_CONTAINS(mb, "2026-12-01T08:00:01Z");
    CHECK_STR(mb, ma);
    alerts_of(&a, "other", ma, sizeof ma);
    alerts_of(&b, "other", mb, sizeof mb);
    CHECK_STR(mb, ma);
    world_free(&a);
    world_free(&b);
}

TEST(a_verdict_that_opens_an_alert_queues_its_mail_at_once)
{
    /* "other" (confirm=1): the first failure opens the alert, and its
     * notice is mail by the time the batch is committed; failures that
     * follow make no notice, and no mail. */
    static const struct p fail1[] = {{"other", STORE_PING_SUCCESS, 0},
                                      {"other", STORE_PING_FAIL, 1}};
    static const struct p fail2[] = {{"other", STORE_PING_FAIL, 2},
                                      {"other", STORE_PING_FAIL, 3}};
    struct world w;
    CHECK_OK(world_new(&w, "mailnow"));
    uint64_t m0 = eng_mail_queued(w.e);
    CHECK_OK(batched(&w, fail1, 2, NULL));
    CHECK_INT(eng_mail_queued(w.e), m0 + 1);
    CHECK_INT(t_state_int(cfg_global(w.c)->state_path, "SELECT count(*) FROM outbox"), 1);
    CHECK_OK(batched(&w, fail2, 2, NULL));
    CHECK_INT(eng_mail_queued(w.e), m0 + 1);
    CHECK_INT(t_state_int(cfg_global(w.c)->state_path, "SELECT count(*) FROM outbox"), 1);
    world_free(&w);
}

TEST(bursts_of_one_second_debounce_as_one_at_a_time_does)
{
    /* "job": confirm=2, recover=3.  Each second's burst is one batch
     * (stored at once, judged once): as one at a time, a second's pings
     * are one verdict, so ten failures in second 1 do not open the
     * alert, the failures of second 2 do, and three seconds of
     * successes resolve it. */
    struct p v[64];
    size_t n = 0, cut[8], ncut = 0;
    static const struct {
        enum store_ping_kind kind;
        int sec, count;
    } bursts[] = {{STORE_PING_SUCCESS, 0, 3}, {STORE_PING_FAIL, 1, 10},
                  {STORE_PING_FAIL, 2, 5},    {STORE_PING_SUCCESS, 3, 4},
                  {STORE_PING_SUCCESS, 4, 4}, {STORE_PING_SUCCESS, 5, 4}};
    for (size_t b = 0; b < sizeof bursts / sizeof bursts[0]; b++) {
        for (int c = 0; c < bursts[b].count; c++)
            v[n++] = (struct p){"job", bursts[b].kind, bursts[b].sec};
        cut[ncut++] = n;
    }
    struct world a, b;
    CHECK_OK(world_new(&a, "bursts_single"));
    CHECK_OK(world_new(&b, "bursts_batch"));
    CHECK_OK(one_at_a_time(&a, v, n));
    for (size_t c = 0, from = 0; c < ncut; from = cut[c++])
        CHECK_OK(batched(&b, v + from, cut[c] - from, NULL));
    char sa[512], sb[512];
    alerts_of(&a, "job", sa, sizeof sa);
    alerts_of(&b, "job", sb, sizeof sb);
    CHECK_STR(sa, "Failing@2/resolved@5 ");
    CHECK_STR(sb, sa);
    CHECK_INT(pings_of(&b, "job"), (long)n);
    CHECK_INT(runs_of(&a, "job"), 6);
    CHECK_INT(runs_of(&b, "job"), runs_of(&a, "job"));
    last_message(&a, "job", sa, sizeof sa);
    last_message(&b, "job", sb, sizeof sb);
    CHECK_STR(sb, sa);
    world_free(&a);
    world_free(&b);
}
