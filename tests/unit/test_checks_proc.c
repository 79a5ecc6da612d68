/*
 * test_checks_proc.c - the check kinds that run something: command
 * (shell scripts and the real monitoring-plugins programs), plugin (the
 * example plugin and test plugins that crash, hang, have the wrong ABI,
 * report three items), and the remedy of Action checks.
 *
 * Plugins are found under $B (the build folder, "build" by default):
 * $B/checks/plugins/example.so and $B/tests/plugins/NAME.so.
 */
#include "harness.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "test_checks_util.h"

#define NAGIOS "/usr/lib/nagios/plugins/"

static const ab_time NOW = 1795348800; /* 2026-11-22T12:00:00Z */

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct cfg_check shell_check(const char *line)
{
    struct cfg_check c = mkcheck("cmd", CFG_COMMAND, NULL);
    c.shell = line;
    c.timeout = 10;
    return c;
}

/* ---- command: the protocol ------------------------------------------- */

TEST(command_exit_codes_map_to_statuses)
{
    chk_ctx *ctx = chk_ctx_new();
    struct cfg_check c = shell_check("echo 'OK - all good | a=1;5;10'; exit 0");
    EXPECT(ctx, &c, NOW, AB_HEALTHY, "OK - all good");
    c.shell = "echo 'WARNING - slow'; exit 1";
    EXPECT(ctx, &c, NOW, AB_DEGRADED, "WARNING - slow");
    c.shell = "echo 'CRITICAL - down'; exit 2";
    EXPECT(ctx, &c, NOW, AB_FAILING, "CRITICAL - down");
    c.shell = "echo 'UNKNOWN - no idea'; exit 3";
    EXPECT(ctx, &c, NOW, AB_OFFLINE, "UNKNOWN - no idea");
    c.shell = "echo 'weird'; exit 7";
    EXPECT(ctx, &c, NOW, AB_OFFLINE, "exit 7: weird");
    c.shell = "exit 2";
    EXPECT(ctx, &c, NOW, AB_FAILING, "(no output");
    c.shell = "echo dying; kill -SEGV $$";
    EXPECT(ctx, &c, NOW, AB_OFFLINE, "killed by signal 11 (SIGSEGV): dying");
    chk_ctx_free(ctx);
}

TEST(command_without_shell_is_not_interpreted)
{
    chk_ctx *ctx = chk_ctx_new();
    const char *argv[] = {"echo", "hello; exit 2 | x=1", NULL};
    struct cfg_check c = mkcheck("echo", CFG_COMMAND, NULL);
    c.argv = argv;
    c.argc = 2;
    /* The '|' is perfdata, not a pipe: echo ran via PATH with one argument. */
    EXPECT(ctx, &c, NOW, AB_HEALTHY, "hello; exit 2");
    const char *missing[] = {"/nonexistent/check_thing", "-w", "1", NULL};
    c.argv = missing;
    EXPECT(ctx, &c, NOW, AB_OFFLINE,
           "cannot run /nonexistent/check_thing: No such file or directory");
    const char *noexec[] = {tpath("not-executable"), NULL};
    FILE *f = fopen(noexec[0], "w");
    CHECK(f);
    fputs("#!/bin/sh\necho should not run\n", f);
    fclose(f);
    chmod(noexec[0], 0644);
    c.argv = noexec;
    EXPECT(ctx, &c, NOW, AB_OFFLINE, "Permission denied");
    chk_ctx_free(ctx);
}

TEST(command_perfdata_items)
{
    chk_ctx *ctx = chk_ctx_new();
    struct cfg_check c = shell_check(
        "printf 'DISK CRITICAL - /data full | /=40%%;80;90;0;100\\n/data 99%%\\n"
        "/home 10%% | /data=99%%;80;90;0;100\\n/home=10%%;80;90 /home=11;;\\n'; exit 2");
    struct chk_outcome *o = run(ctx, &c, NOW);
    CHECK(o);
    CHECK_INT(o->status, AB_FAILING);
    CHECK_INT(o->nresults, 5);
    CHECK_STR(o->results[0].item, "");
    CHECK_STR(o->results[0].message, "DISK CRITICAL - /data full");
    CHECK_STR(o->results[0].perfdata,
              "/=40%;80;90;0;100  /data=99%;80;90;0;100 /home=10%;80;90 /home=11;;");
    CHECK(o->results[0].has_value && o->results[0].value == 40);
    /* The exit code rules, but items within their thresholds are not blamed. */
    const struct ab_result *r = item(o, "/");
    CHECK(r && r->status == AB_HEALTHY && r->value == 40);
    r = item(o, "/data");
    CHECK(r && r->status == AB_FAILING && r->value == 99);
    CHECK_STR(r->message, "/data=99%;80;90;0;100");
    r = item(o, "/home");
    CHECK(r && r->status == AB_HEALTHY);
    /* A repeated label gets a unique item name. */
    r = item(o, "/home#2");
    CHECK(r && r->status == AB_FAILING && r->value == 11);
    chk_outcome_free(o);
    /* UNKNOWN: every item Offline. */
    c.shell = "echo 'UNKNOWN | a=1;5;10'; exit 3";
    o = run(ctx, &c, NOW);
    CHECK(o);
    CHECK(item(o, "a") && item(o, "a")->status == AB_OFFLINE);
    chk_outcome_free(o);
    chk_ctx_free(ctx);
}

TEST(command_output_is_capped_not_blocking)
{
    chk_ctx *ctx = chk_ctx_new();
    struct cfg_check c = shell_check("yes | head -c 5000000; echo; exit 1");
    double t0 = mono_s();
    EXPECT(ctx, &c, NOW, AB_DEGRADED, "y");
    CHECK(mono_s() - t0 < 5);
    chk_ctx_free(ctx);
}

static int alive(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    int live = 1;
    if (fgets(line, sizeof line, f)) {
        const char *rp = strrchr(line, ')');
        live = !(rp && rp[1] == ' ' && rp[2] == 'Z'); /* zombies are dead */
    }
    fclose(f);
    return live;
}

static pid_t read_pid(const char *path)
{
    FILE *f = fopen(path, "r");
    long pid = 0;
    if (f) {
        if (fscanf(f, "%ld", &pid) != 1)
            pid = 0;
        fclose(f);
    }
    return (pid_t)pid;
}

TEST(command_timeout_kills_the_process_group)
{
    chk_ctx *ctx = chk_ctx_new();
    char line[512];
    const char *pf = tpath("bg.pid");
    snprintf(line, sizeof line, "sleep 60 & echo $! > %s; echo started; sleep 60", pf);
    struct cfg_check c = shell_check(line);
    c.timeout = 1;
    double t0 = mono_s();
    EXPECT(ctx, &c, NOW, AB_OFFLINE, "timed out after 1s");
    double dt = mono_s() - t0;
    CHECK(dt >= 0.9 && dt < 2.5);
    pid_t bg = read_pid(pf);
    CHECK(bg > 0);
    /* The background sleep was in the group: it is gone too. */
    for (int i = 0; i < 100 && alive(bg); i++)
        usleep(20000);
    CHECK(!alive(bg));
    chk_ctx_free(ctx);
}

TEST(command_leaving_a_chatty_child_behind)
{
    chk_ctx *ctx = chk_ctx_new();
    /* The program exits at once; what it left running keeps writing. */
    struct cfg_check c = shell_check("echo 'OK - done'; (while :; do echo spam; done) & exit 0");
    c.timeout = 5;
    double t0 = mono_s();
    EXPECT(ctx, &c, NOW, AB_HEALTHY, "OK - done");
    CHECK(mono_s() - t0 < 2);
    chk_ctx_free(ctx);
}

TEST(command_ignoring_sigterm_gets_sigkill)
{
    chk_ctx *ctx = chk_ctx_new();
    struct cfg_check c = shell_check("trap '' TERM; sleep 60");
    c.timeout = 1;
    double t0 = mono_s();
    EXPECT(ctx, &c, NOW, AB_OFFLINE, "timed out after 1s");
    double dt = mono_s() - t0;
    CHECK(dt >= 2.9 && dt < 5); /* 1 s timeout + 2 s grace */
    chk_ctx_free(ctx);
}

/* ---- command: the real monitoring-plugins ------------------------------ */

TEST(monitoring_plugins_check_disk)
{
    if (access(NAGIOS "check_disk", X_OK) != 0)
        SKIP("%scheck_disk not installed (monitoring-plugins)", NAGIOS);
    chk_ctx *ctx = chk_ctx_new();
    const char *ok[] = {NAGIOS "check_disk", "-w", "0%", "-c", "0%", "-p", "/", NULL};
    const char *warn[] = {NAGIOS "check_disk", "-w", "100%", "-c", "0%", "-p", "/", NULL};
    const char *crit[] = {NAGIOS "check_disk", "-w", "100%", "-c", "100%", "-p", "/", NULL};
    struct cfg_check c = mkcheck("disk", CFG_COMMAND, NULL);
    c.timeout = 20;
    c.argv = ok;
    struct chk_outcome *o = run(ctx, &c, NOW);
    CHECK(o);
    CHECK_INT(o->status, AB_HEALTHY);
    CHECK_CONTAINS(o->results[0].message, "DISK OK");
    CHECK(item(o, "/") && item(o, "/")->has_value && item(o, "/")->value > 0);
    chk_outcome_free(o);
    c.argv = warn;
    EXPECT(ctx, &c, NOW, AB_DEGRADED, "DISK WARNING");
    c.argv = crit;
    EXPECT(ctx, &c, NOW, AB_FAILING, "DISK CRITICAL");
    chk_ctx_free(ctx);
}

TEST(monitoring_plugins_check_file_age)
{
    if (access(NAGIOS "check_file_age", X_OK) != 0)
        SKIP("%scheck_file_age not installed (monitoring-plugins)", NAGIOS);
    chk_ctx *ctx = chk_ctx_new();
    const char *f = tpath("aging");
    FILE *fp = fopen(f, "w");
    CHECK(fp);
    fclose(fp);
    const char *argv[] = {NAGIOS "check_file_age", "-f", f, "-w", "60", "-c", "120", NULL};
    struct cfg_check c = mkcheck("age", CFG_COMMAND, NULL);
    c.argv = argv;
    c.timeout = 20;
    EXPECT(ctx, &c, NOW, AB_HEALTHY, "FILE_AGE OK");
    /* The file's age is real time (mtime vs the clock): set it back. */
    struct timespec ts[2];
    clock_gettime(CLOCK_REALTIME, &ts[0]);
    ts[0].tv_sec -= 90;
    ts[1] = ts[0];
    CHECK(utimensat(AT_FDCWD, f, ts, 0) == 0);
    struct chk_outcome *o = run(ctx, &c, NOW);
    CHECK(o);
    CHECK_INT(o->status, AB_DEGRADED);
    CHECK(item(o, "age") && item(o, "age")->value >= 90);
    CHECK(item(o, "size") != NULL);
    chk_outcome_free(o);
    ts[0].tv_sec -= 200;
    ts[1] = ts[0];
    CHECK(utimensat(AT_FDCWD, f, ts, 0) == 0);
    EXPECT(ctx, &c, NOW, AB_FAILING, "FILE_AGE CRITICAL");
    argv[2] = tpath("no-such-file");
    EXPECT(ctx, &c, NOW, AB_FAILING, "File not found");
    chk_ctx_free(ctx);
}

TEST(monitoring_plugins_check_procs)
{
    if (access(NAGIOS "check_procs", X_OK) != 0)
        SKIP("%scheck_procs not installed (monitoring-plugins)", NAGIOS);
    chk_ctx *ctx = chk_ctx_new();
    const char *ok[] = {NAGIOS "check_procs", "-w", "100000", "-c", "200000", NULL};
    const char *warn[] = {NAGIOS "check_procs", "-w", "0", "-c", "200000", NULL};
    const char *bad[] = {NAGIOS "check_procs", "--bogus", NULL};
    struct cfg_check c = mkcheck("procs", CFG_COMMAND, NULL);
    c.timeout = 20;
    c.argv = ok;
    struct chk_outcome *o = run(ctx, &c, NOW);
    CHECK(o);
    CHECK_INT(o->status, AB_HEALTHY);
    CHECK_CONTAINS(o->results[0].message, "PROCS OK");
    CHECK(item(o, "procs") && item(o, "procs")->value >= 1);
    chk_outcome_free(o);
    c.argv = warn;
    EXPECT(ctx, &c, NOW, AB_DEGRADED, "PROCS WARNING");
    c.argv = bad; /* usage error: UNKNOWN (3) */
    EXPECT(ctx, &c, NOW, AB_OFFLINE, NULL);
    chk_ctx_free(ctx);
}

TEST(command_validate)
{
    ab_errmsg em = {{0}};
    const char *argv[] = {"/nonexistent/prog", NULL};
    struct cfg_check c = mkcheck("cmdv", CFG_COMMAND, NULL);
    c.argv = argv;
    CHECK_INT(chk_validate(&c, NULL, &em), AB_ENOTFOUND);
    CHECK_CONTAINS(em.text, "check 'cmdv': program /nonexistent/prog");
    argv[0] = "sh";
    CHECK_OK(chk_validate(&c, NULL, &em));
    argv[0] = "no-such-program-anywhere";
    CHECK_INT(chk_validate(&c, NULL, &em), AB_ENOTFOUND);
    c.argv = NULL;
    CHECK_INT(chk_validate(&c, NULL, &em), AB_EINVAL);
    c.shell = "true";
    CHECK_OK(chk_validate(&c, NULL, &em));
}

/* ---- plugins ----------------------------------------------------------- */

static const char *plugin(const char *dir, const char *name)
{
    static char p[4][512];
    static int k;
    const char *b = getenv("B");
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s/%s.so", b && *b ? b : "build", dir, name);
    return p[k];
}

static struct cfg_check plugin_check(const char *file, const char *arg)
{
    struct cfg_check c = mkcheck("plug", CFG_PLUGIN, NULL);
    c.plugin_file = file;
    c.plugin_arg = arg;
    c.timeout = 10;
    return c;
}

TEST(plugin_example_reports_two_items)
{
    const char *f = plugin("checks/plugins", "example");
    CHECK(access(f, R_OK) == 0); /* built by `make plugins` */
    chk_ctx *ctx = chk_ctx_new();
    struct cfg_check c = plugin_check(f, "/");
    struct chk_outcome *o = run(ctx, &c, NOW);
    CHECK(o);
    CHECK_INT(o->nresults, 2);
    const struct ab_result *d = item(o, "disk"), *l = item(o, "load");
    CHECK(d && d->has_value && d->value > 0 && d->value <= 100);
    CHECK_CONTAINS(d->message, "free on /");
    CHECK(l && l->has_value && l->value >= 0);
    CHECK_CONTAINS(l->message, "load ");
    chk_outcome_free(o);
    c.plugin_arg = "/no/such/dir";
    o = run(ctx, &c, NOW);
    CHECK(o);
    CHECK(item(o, "disk") && item(o, "disk")->status == AB_OFFLINE);
    CHECK_INT(o->status, AB_OFFLINE);
    chk_outcome_free(o);
    chk_ctx_free(ctx);
}

TEST(plugin_three_items)
{
    chk_ctx *ctx = chk_ctx_new();
    struct cfg_check c = plugin_check(plugin("tests/plugins", "three"), "hello");
    struct chk_outcome *o = run(ctx, &c, NOW);
    CHECK(o);
    CHECK_INT(o->nresults, 3);
    CHECK_INT(o->status, AB_FAILING);
    const struct ab_result *a = item(o, "alpha"), *b = item(o, "beta"), *g = item(o, "gamma");
    CHECK(a && a->status == AB_HEALTHY && a->has_value && a->value == 1.5);
    CHECK_STR(a->message, "alpha is fine");
    CHECK(b && b->status == AB_DEGRADED && b->value == -2);
    CHECK(g && g->status == AB_FAILING && !g->has_value);
    CHECK_STR(g->message, "hello"); /* the argument reached the plugin */
    chk_outcome_free(o);
    c.plugin_arg = NULL;
    o = run(ctx, &c, NOW);
    CHECK(o && item(o, "gamma"));
    CHECK_STR(item(o, "gamma")->message, "gamma has no arg");
    chk_outcome_free(o);
    chk_ctx_free(ctx);
}

/* Past the cap of 1000 items the rest are dropped, and the check says so. */
TEST(plugin_items_past_the_cap_are_reported)
{
    chk_ctx *ctx = chk_ctx_new();
    struct cfg_check c = plugin_check(plugin("tests/plugins", "three"), "many");
    struct chk_outcome *o = run(ctx, &c, NOW);
    CHECK(o);
    CHECK_INT(o->nresults, 1001);
    const struct ab_result *m = item(o, "~more-items");
    CHECK(m && m->status == AB_DEGRADED);
    CHECK_CONTAINS(m->message, "reported 1500 items; only the first 1000 are kept");
    chk_outcome_free(o);
    chk_ctx_free(ctx);
}

TEST(plugin_failures_are_offline)
{
    chk_ctx *ctx = chk_ctx_new();
    struct cfg_check c = plugin_check(plugin("tests/plugins", "three"), "fail");
    struct chk_outcome *o = run(ctx, &c, NOW);
    CHECK(o);
    CHECK_INT(o->nresults, 3);
    CHECK_INT(o->status, AB_OFFLINE);
    CHECK(item(o, "alpha") && item(o, "beta"));
    CHECK_CONTAINS(item(o, "")->message, "invoke() returned 7");
    chk_outcome_free(o);
    c.plugin_arg = "exit";
    EXPECT(ctx, &c, NOW, AB_OFFLINE, "before invoke() returned");
    /* exit() in the plugin must not run our atexit handlers (the
     * harness's removes the scratch directory). */
    CHECK(access(t_tmpdir(), F_OK) == 0);
    c.plugin_arg = "bad";
    o = run(ctx, &c, NOW);
    CHECK(o && item(o, "gamma"));
    CHECK_INT(item(o, "gamma")->status, AB_OFFLINE);
    CHECK_CONTAINS(item(o, "gamma")->message, "invalid status 42");
    chk_outcome_free(o);
    c = plugin_check(plugin("tests/plugins", "crash"), NULL);
    EXPECT(ctx, &c, NOW, AB_OFFLINE, "check 'plug': plugin ");
    EXPECT(ctx, &c, NOW, AB_OFFLINE, "crash.so crashed: killed by signal 11 (SIGSEGV)");
    c = plugin_check(plugin("tests/plugins", "wrong_abi"), NULL);
    EXPECT(ctx, &c, NOW, AB_OFFLINE, "wrong_abi.so: plugin ABI version 99, but ackbeat supports 1");
    c = plugin_check(plugin("tests/plugins", "no_symbol"), NULL);
    EXPECT(ctx, &c, NOW, AB_OFFLINE, "no symbol ackbeat_plugin_v1");
    c = plugin_check(tpath("missing.so"), NULL);
    EXPECT(ctx, &c, NOW, AB_OFFLINE, "missing.so: No such file or directory");
    FILE *f = fopen(tpath("text.so"), "w");
    CHECK(f);
    fputs("not an ELF file\n", f);
    fclose(f);
    c = plugin_check(tpath("text.so"), NULL);
    EXPECT(ctx, &c, NOW, AB_OFFLINE, "cannot load");
    chk_ctx_free(ctx);
}

TEST(plugin_that_hangs_is_killed)
{
    chk_ctx *ctx = chk_ctx_new();
    struct cfg_check c = plugin_check(plugin("tests/plugins", "hang"), NULL);
    c.timeout = 1;
    double t0 = mono_s();
    EXPECT(ctx, &c, NOW, AB_OFFLINE, "hang.so timed out after 1s");
    double dt = mono_s() - t0;
    CHECK(dt >= 0.9 && dt < 5); /* it ignores SIGTERM: SIGKILL after the grace */
    chk_ctx_free(ctx);
}

TEST(plugin_probe)
{
    ab_errmsg em = {{0}};
    CHECK_OK(chk_plugin_probe(plugin("checks/plugins", "example"), &em));
    CHECK_STR(em.text, "example (Disk space and load), ABI 1");
    /* Probing loads but does not invoke: the crashing plugin probes fine. */
    CHECK_OK(chk_plugin_probe(plugin("tests/plugins", "crash"), &em));
    CHECK_INT(chk_plugin_probe(plugin("tests/plugins", "wrong_abi"), &em), AB_EVERSION);
    CHECK_CONTAINS(em.text, "ABI version 99");
    CHECK_INT(chk_plugin_probe(plugin("tests/plugins", "no_symbol"), &em), AB_EINVAL);
    CHECK_CONTAINS(em.text, "no_symbol.so: no symbol ackbeat_plugin_v1");
    CHECK_INT(chk_plugin_probe(tpath("absent.so"), &em), AB_ENOTFOUND);
    CHECK_CONTAINS(em.text, "absent.so");
    struct cfg_check c = plugin_check(plugin("tests/plugins", "wrong_abi"), NULL);
    CHECK_INT(chk_validate(&c, NULL, &em), AB_EVERSION);
    CHECK_CONTAINS(em.text, "check 'plug': plugin ");
    CHECK_CONTAINS(em.text, "wrong_abi.so");
}

/* ---- Action checks and their remedy (seed 001) ------------------------- */

static char *slurp(const char *path)
{
    static char buf[1024];
    FILE *f = fopen(path, "r");
    buf[0] = '\0';
    if (f) {
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        buf[n] = '\0';
        fclose(f);
    }
    return buf;
}

TEST(action_runs_remedy_when_not_healthy)
{
    chk_ctx *ctx = chk_ctx_new();
    char remedy[512];
    const char *out = tpath("remedy.out");
    snprintf(remedy, sizeof remedy,
             "printf '%%s|%%s|%%s' \"$ACKBEAT_CHECK\" \"$ACKBEAT_STATUS\" "
             "\"$ACKBEAT_MESSAGE\" > %s",
             out);
    struct cfg_check c = shell_check("echo 'CRITICAL - queue stuck'; exit 2");
    c.name = "queue";
    c.type = "Action";
    c.remedy = remedy;
    struct chk_outcome *o = run(ctx, &c, NOW);
    CHECK(o);
    CHECK_INT(o->status, AB_FAILING);
    CHECK(o->remedy_ran);
    CHECK_INT(o->remedy_exit, 0);
    CHECK_STR(o->remedy_note, "remedy ran: exit 0");
    CHECK_STR(slurp(out), "queue|Failing|CRITICAL - queue stuck");
    chk_outcome_free(o);
    /* Healthy: no remedy. */
    unlink(out);
    c.shell = "echo OK; exit 0";
    o = run(ctx, &c, NOW);
    CHECK(o && !o->remedy_ran && o->remedy_note == NULL);
    CHECK(access(out, F_OK) != 0);
    chk_outcome_free(o);
    /* Information: never a remedy. */
    c.shell = "exit 2";
    c.type = "Information";
    o = run(ctx, &c, NOW);
    CHECK(o && !o->remedy_ran && o->remedy_note == NULL);
    CHECK(access(out, F_OK) != 0);
    chk_outcome_free(o);
    chk_ctx_free(ctx);
}

TEST(action_remedy_failures_are_recorded)
{
    chk_ctx *ctx = chk_ctx_new();
    struct cfg_check c = shell_check("exit 1");
    c.type = "Action";
    c.remedy = "echo cannot restart; exit 4";
    struct chk_outcome *o = run(ctx, &c, NOW);
    CHECK(o);
    CHECK(o->remedy_ran);
    CHECK_INT(o->remedy_exit, 4);
    CHECK_STR(o->remedy_note, "remedy ran: exit 4: cannot restart");
    chk_outcome_free(o);
    c.timeout = 1;
    c.remedy = "sleep 30";
    o = run(ctx, &c, NOW);
    CHECK(o);
    CHECK_INT(o->remedy_exit, -1);
    CHECK_STR(o->remedy_note, "remedy ran: timed out after 1s");
    /* The check's own time does not include the remedy's. */
    CHECK(o->execution_ms < 900);
    chk_outcome_free(o);
    /* An Offline SQL check is not Healthy either: its remedy runs. */
    struct cfg_source s = src_sqlite("gone", tpath("nope.db"));
    struct cfg_check q = mkcheck("db", CFG_SQL, &s);
    q.query = "SELECT 1";
    q.type = "action"; /* case-insensitive */
    q.remedy = "true";
    o = run(ctx, &q, NOW);
    CHECK(o);
    CHECK_INT(o->status, AB_OFFLINE);
    CHECK_STR(o->remedy_note, "remedy ran: exit 0");
    chk_outcome_free(o);
    chk_ctx_free(ctx);
}
