/*
 * test_engine_claims.c - several nodes on one state (issue 16): two or
 * three engines, each a node of its own name (eng_set_node), on one
 * SQLite file or, with AB_TEST_PG_URI, one PostgreSQL schema.
 *
 * A due check is run by exactly one node for a due time, ticked one
 * after the other or by three processes at the same instant; a node that
 * died running a check (SIGKILL mid-run) holds its claim until the lease
 * (a tick plus the timeouts up to the check's end) ran out, and another
 * node takes it at its first tick after that, its very first fire too; the leader's lease moves when its holder
 * leaves (eng_leave) or stops renewing it; retention and the self-watch's
 * daily message are done once a day whichever node leads.
 */
#include "harness.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/ab_buf.h"
#include "common/ab_mem.h"
#include "common/ab_node.h"
#include "config/cfg.h"
#include "engine/eng.h"
#include "engine/eng_int.h"
#include "store/store.h"
#include "test_engine_util.h"

struct world {
    char dir[512];
    char path[600];   /* the state as the test names it (t_state* key) */
    char state[2048]; /* what store_open takes: the file or its URI */
    cfg *c;
};

struct node {
    store *st;
    eng *e;
};

/* Load DIR/file, a config of xml; NULL when it does not load. */
static cfg *load_config(const struct world *w, const char *file, const char *xml)
{
    char cpath[700];
    snprintf(cpath, sizeof cpath, "%s/%s", w->dir, file);
    write_file(cpath, xml);
    ab_buf errs;
    ab_buf_init(&errs, 1 << 16);
    cfg *c = NULL;
    if (cfg_load(cpath, &c, &errs) != AB_OK)
        printf("%.2000s", ab_buf_str(&errs));
    ab_buf_free(&errs);
    return c;
}

/* The world's config with extra (more checks) in <checks>: two checks
 * every tick (one failing), and "slow" at 08:00 each day, a script that
 * hangs while the file DIR/hang exists (its pid in DIR/slow.pid). */
static cfg *world_config(const struct world *w, const char *file, const char *extra)
{
    char xml[8192];
    snprintf(xml, sizeof xml,
             "<ackbeat name=\"claims\" timezone=\"UTC\" tick=\"1m\">\n"
             "  %s\n"
             "  <mail from=\"ackbeat@example.test\" transport=\"maildir:out\"/>\n"
             "  <inbox url=\"maildir:inbox\" reply-address=\"ackbeat@example.test\"/>\n"
             "  <recipients><person name=\"ops\" email=\"ops@example.test\"/></recipients>\n"
             "  <alerting notify=\"ops\" repeat=\"1d\"/>\n"
             "  <watchdog admin=\"ops\" daily=\"08:00\"/>\n"
             "  <schedule name=\"at8\" rrule=\"FREQ=DAILY;BYHOUR=8;BYMINUTE=0;BYSECOND=0\"/>\n"
             "  <checks>\n"
             "    <command name=\"good\" command=\"/bin/true\"/>\n"
             "    <command name=\"bad\" command=\"/bin/false\"/>\n"
             "    <command name=\"slow\" command=\"%s/slow.sh\" schedule=\"at8\" "
             "timeout=\"10s\"/>\n"
             "%s  </checks>\n</ackbeat>\n",
             t_state_tag(w->path), w->dir, extra);
    return load_config(w, file, xml);
}

/* A fresh state, the world's folders and its config with extra. */
static int world_make(struct world *w, const char *name, const char *extra)
{
    memset(w, 0, sizeof *w);
    snprintf(w->dir, sizeof w->dir, "%s/%s", t_tmpdir(), name);
    snprintf(w->path, sizeof w->path, "%s/state.db", w->dir);
    char cmd[2048], script[700], text[2048];
    snprintf(cmd, sizeof cmd,
             "mkdir -p %s/out/new %s/out/cur %s/out/tmp %s/inbox/new %s/inbox/cur "
             "%s/inbox/tmp",
             w->dir, w->dir, w->dir, w->dir, w->dir, w->dir);
    if (system(cmd) != 0)
        return -1;
    snprintf(w->state, sizeof w->state, "%s", t_state_fresh(w->path));
    snprintf(script, sizeof script, "%s/slow.sh", w->dir);
    snprintf(text, sizeof text,
             "#!/bin/sh\necho $$ >%s/slow.pid\n[ -e %s/hang ] && exec sleep 30\nexit 0\n",
             w->dir, w->dir);
    write_file(script, text);
    chmod(script, 0755);
    w->c = world_config(w, "ackbeat.xml", extra);
    return w->c ? 0 : -1;
}

static int world_new(struct world *w, const char *name)
{
    return world_make(w, name, "");
}

static void world_free(struct world *w)
{
    cfg_free(w->c);
}

/* A node of w named name, with its own connection to the state. */
static int node_open(struct world *w, const char *name, struct node *n)
{
    ab_errmsg em = {{0}};
    memset(n, 0, sizeof *n);
    if (store_open(w->state, &n->st, &em) != AB_OK ||
        eng_new(w->c, n->st, templates(), &n->e, &em) != AB_OK ||
        eng_set_node(n->e, name, &em) != AB_OK) {
        printf("    node %s: %s\n", name, em.text);
        return -1;
    }
    eng_set_send(n->e, 0); /* the outbox is counted, not delivered */
    return 0;
}

static void node_close(struct node *n)
{
    eng_free(n->e);
    store_close(n->st);
}

static int tick(struct node *n, const char *iso, struct eng_tick_stats *s)
{
    ab_errmsg em = {{0}};
    if (eng_tick(n->e, T(iso), s, &em) != AB_OK) {
        printf("    tick %s on %s: %s\n", iso, eng_node_name(n->e), em.text);
        return -1;
    }
    return 0;
}

static int tick_at(struct node *n, ab_time t, struct eng_tick_stats *s)
{
    char iso[AB_ISO_LEN];
    return tick(n, ab_time_format(t, iso, sizeof iso), s);
}

static long long count(struct world *w, const char *sql)
{
    return t_state_int(w->path, sql);
}

/* Runs of check since a time (ISO text compares in order). */
static long long runs_of(struct world *w, const char *check, const char *since)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM runs WHERE check_name = '%s' AND started >= '%s'", check,
             since);
    return count(w, sql);
}

/* Who holds the leader's lease now ("" for nobody); free it. */
static char *leader(struct world *w)
{
    char *t = t_state_text(w->path, "SELECT node FROM leases WHERE name = 'leader'");
    if (t && *t)
        t[strcspn(t, "\n")] = '\0';
    return t;
}

TEST(a_due_check_runs_on_one_node_for_each_due_time)
{
    struct world w;
    struct node a, b;
    CHECK_OK(world_new(&w, "one"));
    CHECK_OK(node_open(&w, "node-a", &a));
    CHECK_OK(node_open(&w, "node-b", &b));
    const char *at[] = {"2026-12-01T07:00:00Z", "2026-12-01T07:01:00Z",
                        "2026-12-01T07:02:00Z", "2026-12-01T07:03:00Z"};
    for (int i = 0; i < 4; i++) {
        /* Each node in turn ticks first; the other finds both claimed. */
        struct node *first = i % 2 ? &b : &a, *second = i % 2 ? &a : &b;
        struct eng_tick_stats s1, s2;
        CHECK_OK(tick(first, at[i], &s1));
        CHECK_OK(tick(second, at[i], &s2));
        CHECK_INT(s1.checks_run, 2);
        CHECK_INT(s1.checks_elsewhere, 0);
        CHECK_INT(s2.checks_run, 0); /* not due any more, or claimed */
    }
    CHECK_INT(runs_of(&w, "good", ""), 4);
    CHECK_INT(runs_of(&w, "bad", ""), 4);
    /* One alert for the failing check, one notice of it queued. */
    CHECK_INT(count(&w, "SELECT count(*) FROM alerts WHERE check_name = 'bad'"), 1);
    CHECK_INT(count(&w, "SELECT count(*) FROM outbox WHERE kind = 'alert-opened'"), 1);
    /* Every claim done, by the node that ran it. */
    CHECK_INT(count(&w, "SELECT count(*) FROM claims WHERE kind = 'check' AND done = 1"), 8);
    CHECK_INT(count(&w, "SELECT count(*) FROM claims WHERE kind = 'check' AND done = 1 "
                        "AND node = 'node-b'"),
              4);
    node_close(&a);
    node_close(&b);
    world_free(&w);
}

/* Three processes, each its own node and connection, tick the same
 * minutes at the same instant (released together through a pipe). */
static int race_child(struct world *w, int i, int gate)
{
    char name[32], c;
    struct node n;
    snprintf(name, sizeof name, "race-%d", i);
    if (node_open(w, name, &n) != 0)
        return 1;
    int bad = read(gate, &c, 1) != 0; /* EOF: go */
    const char *at[] = {"2026-12-01T07:10:00Z", "2026-12-01T07:11:00Z",
                        "2026-12-01T07:12:00Z"};
    int ran = 0;
    for (int k = 0; k < 3 && !bad; k++) {
        struct eng_tick_stats s;
        bad = tick(&n, at[k], &s) != 0;
        ran += (int)s.checks_run;
    }
    node_close(&n);
    return bad ? 255 : ran; /* the exit status: how many runs it made */
}

TEST(three_nodes_ticking_at_once_run_each_check_once)
{
    struct world w;
    CHECK_OK(world_new(&w, "race"));
    struct node first;
    CHECK_OK(node_open(&w, "migrator", &first)); /* the schema made before the race */
    node_close(&first);
    for (int round = 0; round < 3; round++) {
        int gate[2];
        CHECK(pipe(gate) == 0);
        pid_t kids[3];
        for (int i = 0; i < 3; i++) {
            kids[i] = fork();
            if (kids[i] == 0) {
                close(gate[1]);
                _exit(race_child(&w, i, gate[0]));
            }
        }
        close(gate[0]);
        usleep(200 * 1000); /* every child connected and waiting */
        close(gate[1]);
        int bad = 0, ran = 0;
        for (int i = 0; i < 3; i++) {
            int st = 0;
            if (kids[i] < 0 || waitpid(kids[i], &st, 0) < 0 || !WIFEXITED(st) ||
                WEXITSTATUS(st) == 255)
                bad++;
            else
                ran += WEXITSTATUS(st);
        }
        CHECK_INT(bad, 0);
        /* Two checks, three minutes: six runs among them, then none. */
        CHECK_INT(ran, round ? 0 : 6);
        /* The same minutes each round: claimed and done in the first. */
        CHECK_INT(runs_of(&w, "good", ""), 3);
        CHECK_INT(runs_of(&w, "bad", ""), 3);
    }
    CHECK_INT(count(&w, "SELECT count(*) FROM alerts WHERE check_name = 'bad'"), 1);
    CHECK_INT(count(&w, "SELECT count(*) FROM outbox WHERE kind = 'alert-opened'"), 1);
    CHECK_INT(count(&w, "SELECT count(*) FROM nodes WHERE name LIKE 'race-%'"), 3);
    world_free(&w);
}

/* Wait up to secs for sql to count one row; 0 when it did. */
static int wait_for_one(struct world *w, const char *sql, int secs)
{
    for (int i = 0; i < secs * 20; i++) {
        if (count(w, sql) == 1)
            return 0;
        usleep(50 * 1000);
    }
    return -1;
}

/* A node ("doomed") killed while it runs slow's 08:00 fire; node-b takes
 * the claim at its first tick after the lease.  known: node-b had ticked
 * before, so the 08:00 fire time was written as next due; else doomed
 * met the check first, at 08:00 itself. */
static void dead_node_case(const char *name, int known)
{
    struct world w;
    CHECK_OK(world_new(&w, name));
    char hang[700], pidf[700];
    snprintf(hang, sizeof hang, "%s/hang", w.dir);
    snprintf(pidf, sizeof pidf, "%s/slow.pid", w.dir);
    write_file(hang, "");
    struct node b;
    struct eng_tick_stats s;
    CHECK_OK(node_open(&w, "node-b", &b)); /* migrated before the fork */
    if (known)
        CHECK_OK(tick(&b, "2026-12-01T07:59:00Z", &s));
    pid_t kid = fork();
    if (kid == 0) {
        struct node a;
        struct eng_tick_stats cs;
        _exit(node_open(&w, "doomed", &a) != 0 || tick(&a, "2026-12-01T08:00:00Z", &cs) != 0);
    }
    CHECK(kid > 0);
    /* Killed while "slow" hangs: its claim taken, not done. */
    int seen = wait_for_one(&w,
                            "SELECT count(*) FROM claims WHERE kind = 'check' AND "
                            "name = 'slow' AND node = 'doomed' AND done = 0",
                            20);
    for (int i = 0; i < 100 && access(pidf, F_OK) != 0; i++)
        usleep(50 * 1000);
    kill(kid, SIGKILL);
    waitpid(kid, NULL, 0);
    char *pid = read_file(pidf);
    if (pid && atoi(pid) > 0)
        kill(atoi(pid), SIGKILL); /* the script's sleep, orphaned */
    ab_free(pid);
    unlink(hang);
    CHECK_INT(seen, 0);
    long long before = runs_of(&w, "slow", "");
    /* Its lease: a tick plus the timeouts of its group up to slow's end
     * (eng_due_group.c), counted from 08:00. */
    char *lt = t_state_text(w.path, "SELECT lease_until FROM claims WHERE name = 'slow'");
    ab_time lease = AB_TIME_NONE;
    CHECK(lt && ab_time_parse(strtok(lt, "\n"), &lease) == AB_OK);
    free(lt);
    CHECK(lease > T("2026-12-01T08:01:00Z") && lease < T("2026-12-01T08:10:00Z"));
    /* Within it: not run here, however often this node ticks. */
    CHECK_OK(tick(&b, "2026-12-01T08:00:30Z", &s));
    CHECK(s.checks_elsewhere >= 1); /* slow (good and bad too, if read as due) */
    CHECK_INT(runs_of(&w, "slow", ""), before);
    for (ab_time t = T("2026-12-01T08:01:00Z"); t <= lease; t += 60) {
        CHECK_OK(tick_at(&b, t, &s));
        CHECK_INT(runs_of(&w, "slow", ""), before);
    }
    /* The first tick after it ran out: taken over, run, done. */
    ab_time next = lease + 60 - (lease % 60);
    CHECK_OK(tick_at(&b, next, &s));
    CHECK_INT(runs_of(&w, "slow", ""), before + 1);
    CHECK_INT(count(&w, "SELECT count(*) FROM claims WHERE kind = 'check' AND "
                        "name = 'slow' AND node = 'node-b' AND done = 1"),
              1);
    /* The 08:00 run is had: not again that day. */
    CHECK_OK(tick_at(&b, next + 60, &s));
    CHECK_INT(runs_of(&w, "slow", ""), before + 1);
    node_close(&b);
    world_free(&w);
}

TEST(a_dead_nodes_claim_is_taken_one_tick_after_its_lease)
{
    dead_node_case("dead", 1);
}

/* The check's very first fire: doomed is the first to see it, at its own
 * instant, and dies running it.  Its fire time was kept as due with the
 * claim (eng_due.c), so node-b, meeting it after, still runs the 08:00
 * fire instead of skipping to the next day's. */
TEST(a_dead_nodes_claim_of_a_first_fire_is_taken_too)
{
    dead_node_case("deadfirst", 0);
}

TEST(the_leader_lease_moves_when_its_holder_leaves_or_stops)
{
    struct world w;
    struct node a, b;
    struct eng_tick_stats s;
    CHECK_OK(world_new(&w, "lead"));
    CHECK_OK(node_open(&w, "node-a", &a));
    CHECK_OK(node_open(&w, "node-b", &b));
    char *l;
    CHECK_OK(tick(&a, "2026-12-01T09:00:00Z", &s));
    CHECK_OK(tick(&b, "2026-12-01T09:00:10Z", &s));
    CHECK_STR((l = leader(&w)), "node-a");
    free(l);
    /* A clean exit gives it up at once: the next tick of b takes it. */
    CHECK_OK(eng_leave(a.e, NULL));
    CHECK_STR((l = leader(&w)), "");
    free(l);
    CHECK_OK(tick(&b, "2026-12-01T09:01:00Z", &s));
    CHECK_STR((l = leader(&w)), "node-b");
    free(l);
    CHECK_OK(tick(&a, "2026-12-01T09:01:30Z", &s));
    CHECK_STR((l = leader(&w)), "node-b");
    free(l);
    /* b stops ticking: its lease (one tick, to 09:02) holds until it
     * ran out, then a takes over. */
    CHECK_OK(tick(&a, "2026-12-01T09:02:00Z", &s));
    CHECK_STR((l = leader(&w)), "node-b");
    free(l);
    CHECK_OK(tick(&a, "2026-12-01T09:03:00Z", &s));
    CHECK_STR((l = leader(&w)), "node-a");
    free(l);
    /* The nodes table says the same. */
    struct eng_nodes_view nv;
    CHECK_OK(eng_view_nodes(a.e, T("2026-12-01T09:03:00Z"), &nv, NULL));
    int a_leads = 0, b_leads = 0;
    for (size_t i = 0; i < nv.n; i++) {
        a_leads += !strcmp(nv.v[i].name, "node-a") && nv.v[i].leader;
        b_leads += !strcmp(nv.v[i].name, "node-b") && nv.v[i].leader;
    }
    eng_view_nodes_free(&nv);
    CHECK_INT(a_leads, 1);
    CHECK_INT(b_leads, 0);
    node_close(&a);
    node_close(&b);
    world_free(&w);
}

TEST(retention_runs_once_a_day_whichever_node_leads)
{
    struct world w;
    struct node a, b;
    struct eng_tick_stats s;
    CHECK_OK(world_new(&w, "retain"));
    CHECK_OK(node_open(&w, "node-a", &a));
    CHECK_OK(node_open(&w, "node-b", &b));
    const char *q = "SELECT count(*) FROM claims WHERE kind = 'daily' AND name = 'retention'";
    CHECK_OK(tick(&a, "2026-12-01T09:00:00Z", &s));
    CHECK_INT(count(&w, q), 1);
    /* Another leader the same day, which even finds no record of the day's
     * purge (as a leader that took over mid-purge might): the day's claim
     * is done, so it does not purge again. */
    CHECK_OK(eng_leave(a.e, NULL));
    CHECK_INT(t_state_exec(w.path, "DELETE FROM check_schedule WHERE check_name = '~purge'"),
              0);
    CHECK_OK(tick(&b, "2026-12-01T15:00:00Z", &s));
    CHECK_STR(eng_is_leader(b.e) ? "b leads" : "not", "b leads");
    CHECK_INT(count(&w, q), 1);
    CHECK_INT(count(&w, "SELECT count(*) FROM check_schedule WHERE check_name = '~purge'"), 0);
    /* Asked directly: the day is had, the next is not. */
    int got = 1;
    CHECK_OK(eng_daily_claim(a.e, "retention", T("2026-12-01T23:00:00Z"),
                             T("2026-12-01T23:00:00Z"), &got, NULL));
    CHECK_INT(got, 0);
    /* The next day b purges, once, however often it ticks. */
    CHECK_OK(tick(&b, "2026-12-02T09:00:00Z", &s));
    CHECK_OK(tick(&b, "2026-12-02T09:01:00Z", &s));
    CHECK_INT(count(&w, q), 2);
    CHECK_INT(count(&w, "SELECT count(*) FROM claims WHERE kind = 'daily' AND "
                        "name = 'retention' AND node = 'node-b' AND done = 1"),
              1);
    node_close(&a);
    node_close(&b);
    world_free(&w);
}

TEST(the_daily_message_goes_once_whichever_node_leads)
{
    struct world w;
    struct node a, b;
    struct eng_tick_stats s;
    CHECK_OK(world_new(&w, "daily"));
    CHECK_OK(node_open(&w, "node-a", &a));
    CHECK_OK(node_open(&w, "node-b", &b));
    const char *q = "SELECT count(*) FROM outbox WHERE kind = 'watchdog'";
    eng_selfwatch *wa = eng_selfwatch_new(T("2026-12-01T08:00:05Z"));
    eng_selfwatch *wb = eng_selfwatch_new(T("2026-12-01T08:00:05Z"));
    CHECK(wa && wb);
    CHECK_OK(tick(&a, "2026-12-01T08:00:20Z", &s));
    eng_selfwatch_daily(wa, a.e, "host-a", T("2026-12-01T08:00:30Z"));
    eng_selfwatch_daily(wb, b.e, "host-b", T("2026-12-01T08:00:30Z")); /* not the leader */
    CHECK_INT(count(&w, q), 1);
    /* a leaves; b leads and is asked for the same day: had already. */
    CHECK_OK(eng_leave(a.e, NULL));
    CHECK_OK(tick(&b, "2026-12-01T08:01:00Z", &s));
    eng_selfwatch_daily(wb, b.e, "host-b", T("2026-12-01T08:01:10Z"));
    CHECK_INT(count(&w, q), 1);
    /* The next day's, from b; a (not leading) adds none. */
    CHECK_OK(tick(&b, "2026-12-02T08:00:20Z", &s));
    eng_selfwatch_daily(wb, b.e, "host-b", T("2026-12-02T08:00:30Z"));
    eng_selfwatch_daily(wa, a.e, "host-a", T("2026-12-02T08:00:40Z"));
    CHECK_INT(count(&w, q), 2);
    CHECK_INT(count(&w, "SELECT count(*) FROM claims WHERE kind = 'daily' AND "
                        "name = 'selfwatch' AND done = 1"),
              2);
    eng_selfwatch_free(wa);
    eng_selfwatch_free(wb);
    node_close(&a);
    node_close(&b);
    world_free(&w);
}

/* A heartbeat at 08:00 each day to ops. */
static const char hb_xml[] =
    "    <heartbeat name=\"hb\" schedule=\"at8\" to=\"ops\" grace=\"1d\"/>\n";

static long long cycles(struct world *w)
{
    return count(w, "SELECT count(*) FROM cycles WHERE check_name = 'hb'");
}

/* Hold the leader's lease for node until until (ISO), as a node that
 * died holding it would have left it. */
static int lease_held_by(struct world *w, const char *node, const char *until)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "INSERT INTO leases(name, node, since, until) VALUES ('leader', '%s', "
             "'2026-12-01T07:00:00Z', '%s') ON CONFLICT (name) DO UPDATE SET "
             "node = excluded.node, until = excluded.until",
             node, until);
    return t_state_exec(w->path, sql);
}

/* The CI failure of stop 24 (t_92, seed 18319): no node led while the
 * 08:00 fire time passed (the leader killed, its lease waited out); the
 * nodes that ticked meanwhile had the heartbeat in their config.  The
 * leader that came after met the heartbeat at its first tick, took it for
 * a new check, and skipped the month's fire.  Every node now writes the
 * check as known at its first tick, so the leader serves the fire late. */
TEST(a_fire_time_passed_while_nobody_led_is_served_by_the_next_leader)
{
    struct world w;
    struct node a;
    struct eng_tick_stats s;
    CHECK_OK(world_make(&w, "noleader", hb_xml));
    CHECK_OK(node_open(&w, "node-a", &a));
    CHECK_INT(lease_held_by(&w, "ghost", "2026-12-01T08:03:30Z"), 0);
    CHECK_OK(tick(&a, "2026-12-01T07:59:00Z", &s));
    CHECK(!eng_is_leader(a.e));
    CHECK_OK(tick(&a, "2026-12-01T08:01:00Z", &s));
    CHECK(!eng_is_leader(a.e));
    CHECK_INT(cycles(&w), 0);
    /* The lease ran out: a leads, and the 08:00 fire is served, once. */
    CHECK_OK(tick(&a, "2026-12-01T08:04:00Z", &s));
    CHECK(eng_is_leader(a.e));
    CHECK_INT(cycles(&w), 1);
    CHECK_OK(tick(&a, "2026-12-01T08:05:00Z", &s));
    CHECK_INT(cycles(&w), 1);
    /* A second node, new to the state then, adds no cycle of its own. */
    struct node b;
    CHECK_OK(node_open(&w, "node-b", &b));
    CHECK_OK(eng_leave(a.e, NULL));
    CHECK_OK(tick(&b, "2026-12-01T08:06:00Z", &s));
    CHECK(eng_is_leader(b.e));
    CHECK_INT(cycles(&w), 1);
    /* The next day's, from b. */
    CHECK_OK(tick(&b, "2026-12-02T08:00:00Z", &s));
    CHECK_INT(cycles(&w), 2);
    node_close(&a);
    node_close(&b);
    world_free(&w);
}

/* A daemon started at 07:59:30 whose first tick comes at 08:00:10 (a slow
 * start: many checks, a state being recovered) knew the heartbeat before
 * 08:00: that fire is served.  A check added by a reload is known from
 * the reload's first tick, not from the daemon's start: a fire before it
 * existed is not one it missed. */
TEST(a_check_is_known_from_the_daemons_start_or_from_its_reload)
{
    struct world w;
    struct node a;
    struct eng_tick_stats s;
    CHECK_OK(world_make(&w, "known", hb_xml));
    CHECK_OK(node_open(&w, "node-a", &a));
    eng_set_started(a.e, T("2026-12-01T07:59:30Z"));
    CHECK_OK(tick(&a, "2026-12-01T08:00:10Z", &s));
    CHECK_INT(cycles(&w), 1);
    char *first = t_state_text(w.path, "SELECT first_seen FROM check_schedule "
                                       "WHERE check_name = 'hb'");
    CHECK(first && !strncmp(first, "2026-12-01T07:59:30", 19));
    free(first);
    node_close(&a);
    world_free(&w);

    /* Reload: started at 07:00 without the heartbeat, reloaded with it at
     * 09:00; 08:00 was before it was there. */
    CHECK_OK(world_make(&w, "reload", ""));
    CHECK_OK(node_open(&w, "node-a", &a));
    eng_set_started(a.e, T("2026-12-01T07:00:00Z"));
    CHECK_OK(tick(&a, "2026-12-01T07:00:00Z", &s));
    cfg *more = world_config(&w, "more.xml", hb_xml);
    CHECK(more != NULL);
    CHECK_OK(eng_set_config(a.e, more, NULL));
    CHECK_OK(tick(&a, "2026-12-01T09:00:00Z", &s));
    CHECK_OK(tick(&a, "2026-12-01T09:01:00Z", &s));
    CHECK_INT(cycles(&w), 0);
    CHECK_OK(tick(&a, "2026-12-02T08:00:00Z", &s));
    CHECK_INT(cycles(&w), 1);
    node_close(&a);
    cfg_free(more);
    world_free(&w);
}

/* The leader killed and restarted on this host is a new node (HOST:PID):
 * the lease of the dead PID is void at once, as its outbox rows are.  A
 * holder on another host, or a PID that lives, keeps it to its end. */
TEST(a_leader_of_this_host_that_is_gone_is_replaced_at_once)
{
    struct world w;
    struct node a;
    struct eng_tick_stats s;
    CHECK_OK(world_new(&w, "gone"));
    CHECK_OK(node_open(&w, "node-a", &a));
    pid_t kid = fork();
    if (kid == 0)
        _exit(0);
    CHECK(kid > 0);
    waitpid(kid, NULL, 0);
    char me[320], dead[400], host[300];
    ab_node_default(me, sizeof me);
    snprintf(host, sizeof host, "%.*s", (int)(strrchr(me, ':') - me), me);
    snprintf(dead, sizeof dead, "%s:%ld", host, (long)kid);
    char *l;
    /* Another host's holder: waited for. */
    char other[400];
    snprintf(other, sizeof other, "not-%s:%ld", host, (long)kid);
    CHECK_INT(lease_held_by(&w, other, "2026-12-01T09:30:00Z"), 0);
    CHECK_OK(tick(&a, "2026-12-01T09:00:00Z", &s));
    CHECK(!eng_is_leader(a.e));
    /* This host's, alive (this very process): waited for. */
    CHECK_INT(lease_held_by(&w, me, "2026-12-01T09:30:00Z"), 0);
    CHECK_OK(tick(&a, "2026-12-01T09:01:00Z", &s));
    CHECK(!eng_is_leader(a.e));
    CHECK_STR((l = leader(&w)), me);
    free(l);
    /* This host's, gone: taken at once. */
    CHECK_INT(lease_held_by(&w, dead, "2026-12-01T09:30:00Z"), 0);
    CHECK_OK(tick(&a, "2026-12-01T09:02:00Z", &s));
    CHECK(eng_is_leader(a.e));
    CHECK_STR((l = leader(&w)), "node-a");
    free(l);
    node_close(&a);
    world_free(&w);
}
