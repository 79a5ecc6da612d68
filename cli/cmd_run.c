/*
 * cmd_run.c - `ackbeat run`: the daemon loop.
 *
 * Tick, then sleep until the engine's next due time.  Fire times are
 * computed on the wall clock (in each schedule's zone); the wait itself
 * is measured on the monotonic clock so that a clock step cannot make it
 * sleep for an hour or spin.  Signal handlers only set flags:
 *   SIGTERM, SIGINT  finish the current step and exit 0;
 *   SIGHUP           reload the config; keep the old one if the new one
 *                    does not validate, and the old web server if the new
 *                    <web> cannot serve (a port in use, say).
 *   SIGUSR1          sent by the web server's thread after a ping or report
 *                    queued mail: tick now so that it goes out at once.
 * Each handler also writes a byte to a pipe that the sleep polls: a
 * signal that lands after the loop has looked at the flags but before it
 * has begun to sleep still ends that sleep (with a plain nanosleep it was
 * lost, and a SIGHUP or SIGTERM then waited for the next tick, up to the
 * whole tick interval), and so does one that the kernel hands to another
 * thread than the main one.
 * With <web listen=...> the web server runs beside the loop (web/web.h).
 *
 * Under systemd (Type=notify) the loop reports through ab_notify: READY=1
 * after the first tick, STATUS= after every tick, RELOADING=1/READY=1
 * around a reload, STOPPING=1 on the way out, and WATCHDOG=1 at half the
 * WatchdogSec= interval, so the sleep also wakes for the watchdog.
 * Without NOTIFY_SOCKET every ab_notify call is a no-op.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>


#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/cli_selfwatch.h"
#include "common/ab_log.h"
#include "common/ab_notify.h"
#include "engine/eng.h"
#include "web/web.h"

static volatile sig_atomic_t stop_flag, reload_flag, wake_flag;
/* The self-pipe: the handlers write, sleep_ms polls and drains. */
static int wake_pipe[2] = {-1, -1};

/* The web server (web/web.h: its own thread, store and engine) and what
 * it is started with; SIGUSR1 from it wakes the loop to send mail now. */
static web *web_srv;
static struct web_opts web_o;
/* The model web_srv runs on when a reload could not move it to the
 * engine's (it must outlive the server); NULL while it runs on env.c. */
static cfg *web_model;
static pthread_t main_thread;

static void on_signal(int sig)
{
    if (sig == SIGUSR1)
        wake_flag = 1;
    else if (sig == SIGHUP)
        reload_flag = 1;
    else
        stop_flag = 1;
    if (wake_pipe[1] >= 0) {
        int saved = errno;
        ssize_t n = write(wake_pipe[1], "", 1); /* full pipe: a wake is pending anyway */
        (void)n;
        errno = saved;
    }
}

static void install_handlers(void)
{
    if (wake_pipe[0] < 0 && pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
        wake_pipe[0] = wake_pipe[1] = -1; /* sleep_ms falls back to nanosleep */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* No SA_RESTART: the sleep must return early on a signal. */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: ackbeat run [-c FILE] [--now T]\n"
               "  The daemon: tick, then sleep until the next due time, in the\n"
               "  foreground.  SIGTERM/SIGINT stop it cleanly; SIGHUP reloads.\n"
               "  --now T starts the daemon's clock at T (it then runs at normal\n"
               "  speed): for trying a schedule without waiting for it.\n");
}

static ab_time wall(int64_t offset)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (ab_time)ts.tv_sec + offset;
}

static ab_time web_clock(void *offset)
{
    return wall(*(const int64_t *)offset);
}

static void web_wake(void *ud)
{
    (void)ud;
    pthread_kill(main_thread, SIGUSR1);
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleep up to ms milliseconds; returns early on a signal, including one
 * that arrived since the caller last looked at the flags. */
static void sleep_ms(int64_t ms)
{
    if (ms <= 0)
        return;
    if (wake_pipe[0] < 0) {
        struct timespec d = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
        nanosleep(&d, NULL); /* EINTR on a signal is exactly what we want */
        return;
    }
    struct pollfd p = {.fd = wake_pipe[0], .events = POLLIN};
    if (poll(&p, 1, ms > INT_MAX ? INT_MAX : (int)ms) > 0) {
        char buf[64];
        while (read(wake_pipe[0], buf, sizeof buf) > 0)
            ;
    }
}

/* The systemd watchdog: ping every half interval (0 = not enabled). */
struct watchdog {
    int64_t every_ms;
    int64_t last_ms;
};

static void watchdog_init(struct watchdog *w)
{
    uint64_t usec = 0;
    w->every_ms = 0;
    w->last_ms = mono_ms();
    if (ab_notify_watchdog(&usec) > 0 && usec > 0) {
        w->every_ms = (int64_t)(usec / 2000);
        if (w->every_ms < 1)
            w->every_ms = 1;
        ab_log(AB_LOG_INFO, "systemd watchdog: pinging every %lld ms",
               (long long)w->every_ms);
    }
}

static void watchdog_ping(struct watchdog *w)
{
    if (!w->every_ms)
        return;
    ab_notify("WATCHDOG=1");
    w->last_ms = mono_ms();
}

/* Milliseconds until the next ping is due (INT64_MAX when disabled). */
static int64_t watchdog_due_ms(const struct watchdog *w)
{
    if (!w->every_ms)
        return INT64_MAX;
    return w->last_ms + w->every_ms - mono_ms();
}

/* One line for `systemctl status`: what the last tick did. */
static void notify_status(ab_time now, const struct eng_tick_stats *s, int failed)
{
    char ts[AB_ISO_LEN];
    ab_time_format(now, ts, sizeof ts);
    ab_notifyf("STATUS=%s %s: %zu checks run, %zu cached, alerts +%zu -%zu, "
                  "mail %zu sent %zu deferred %zu failed, %zu errors",
               failed ? "tick FAILED at" : "last tick", ts, s->checks_run,
               s->checks_cached, s->alerts_opened, s->alerts_resolved,
               s->mail_sent, s->mail_deferred, s->mail_failed, s->errors);
}

static void reload_config(struct cli_env *env, const char *path);

static void reload(struct cli_env *env, const char *path)
{
    ab_log(AB_LOG_INFO, "SIGHUP: reloading %s", path);
    ab_notify("RELOADING=1");
    reload_config(env, path);
    ab_notify("READY=1");
}

static void reload_config(struct cli_env *env, const char *path)
{
    cfg *fresh = cli_load_config(path);
    if (!fresh) {
        ab_log(AB_LOG_ERROR, "reload: %s has errors (listed above); still "
                             "running on the previous configuration", path);
        return;
    }
    const struct cfg_global *ng = cfg_global(fresh), *og = cfg_global(env->c);
    if (strcmp(ng->state_path, og->state_path) != 0)
        ab_log(AB_LOG_WARN, "reload: the state database path changed; that "
                            "takes effect on restart only");
    if (strcmp(ng->state_node ? ng->state_node : "", og->state_node ? og->state_node : ""))
        ab_log(AB_LOG_WARN, "reload: <state node=> changed; that takes effect on "
                            "restart only");
    ab_errmsg em = {{0}};
    if (eng_set_config(env->e, fresh, &em) != AB_OK) {
        ab_log(AB_LOG_ERROR, "reload: %s; still running on the previous "
                             "configuration", em.text);
        cfg_free(fresh);
        return;
    }
    /* The web thread is restarted on the new model before the old one
     * goes; when it cannot be (a port in use, a token file that cannot
     * be read), the old server serves on, on the model it was built on. */
    enum ab_err we = web_apply(&web_srv, fresh, &web_o, &em);
    if (we && web_srv) {
        ab_log(AB_LOG_ERROR,
               "reload: %s; the web server keeps serving the "
               "previous configuration",
               em.text);
        if (!web_model)
            web_model = env->c;
    } else {
        if (we)
            ab_log(AB_LOG_ERROR, "reload: %s; the web server is stopped", em.text);
        cfg_free(web_model);
        web_model = NULL;
    }
    if (env->c != web_model)
        cfg_free(env->c);
    env->c = fresh;
    cli_log_zone(cfg_global(fresh)->timezone);
    char sum[512];
    cfg_summary(fresh, sum, sizeof sum);
    ab_log(AB_LOG_INFO, "reloaded: %s", sum);
}

/* Wait until next (the wall clock with offset), pinging the watchdog on
 * the way, or until a signal sets a flag.  The clock is read again after
 * each wake: the sleep may end early (a signal) or the wall clock may
 * have been stepped. */
static void sleep_until(ab_time next, int64_t offset, struct watchdog *wd)
{
    while (!stop_flag && !reload_flag && !wake_flag) {
        ab_time t = wall(offset);
        if (t >= next)
            break;
        int64_t ms = (next - t) * 1000;
        int64_t due = watchdog_due_ms(wd);
        if (due <= 0) {
            watchdog_ping(wd);
            continue;
        }
        sleep_ms(due < ms ? due : ms);
    }
}

/* One pass of the loop at now.  -1 when the daemon must stop. */
static int tick_once(struct cli_env *env, struct cli_selfwatch *self, ab_time now,
                     struct watchdog *wd)
{
    static int ready;
    struct eng_tick_stats s;
    ab_errmsg em = {{0}};
    memset(&s, 0, sizeof s);
    /* A state file deleted or replaced under us: writing on would lose
     * everything at exit.  Stop; systemd restarts us on the new one. */
    if (eng_check_state_file(env->e, &em) != AB_OK) {
        ab_log(AB_LOG_ERROR, "%s", em.text);
        return -1;
    }
    cli_selfwatch_tick(self, env->c, env->e, now);
    int failed = eng_tick(env->e, now, &s, &em) != AB_OK;
    if (failed)
        ab_log(AB_LOG_ERROR, "tick: %s", em.text);
    /* A state database gone away (PostgreSQL restarting): said once, and
     * once when it is back; each tick retries meanwhile. */
    eng_state_watch(env->e, now);
    /* The web's read model sees the tick at once, not at the next look
     * at the store's change marker. */
    web_state_changed(web_srv);
    notify_status(now, &s, failed);
    watchdog_ping(wd);
    if (!ready) {
        /* Ready means "has done one pass", so that `systemctl start`
         * returns after the first checks, not before. */
        ab_notify("READY=1");
        ready = 1;
    }
    return 0;
}

/* After the config and the state are open: take the daemon's lock, start
 * the clock and the web server.  EXIT_OK, or the exit code after saying
 * why.  *offset (--now's distance from the wall clock) is the web
 * server's clock and must outlive it. */
static int start_daemon(struct cli_env *env, const struct cli_opts *o,
                        const int64_t *offset)
{
    /* One daemon per state database: a second would send every notice
     * again. */
    ab_errmsg em = {{0}};
    if (eng_lock_daemon(env->e, &em) != AB_OK) {
        fprintf(stderr, "ackbeat run: %s\n", em.text);
        return EXIT_FAIL;
    }
    eng_set_started(env->e, wall(*offset));
    eng_set_stamp_now(env->e, o->now_arg != NULL);
    main_thread = pthread_self();
    web_o = (struct web_opts){.now = web_clock,
                              .now_ud = (void *)offset,
                              .wake = web_wake,
                              .template_dir = cli_template_dir(),
                              .started = wall(*offset)};
    if (web_apply(&web_srv, env->c, &web_o, &em) != AB_OK) {
        fprintf(stderr, "ackbeat run: %s\n", em.text);
        return EXIT_FAIL;
    }
    if (web_srv)
        ab_log(AB_LOG_INFO, "web: listening on port %u", web_port(web_srv));
    char sum[512];
    cfg_summary(env->c, sum, sizeof sum);
    ab_log(AB_LOG_INFO, "ackbeat %s running: %s", AB_VERSION, sum);
    return EXIT_OK;
}

int cmd_run(int argc, char **argv)
{
    const struct cli_spec sp = {
        .cmd = "run", .shared = CLI_OPT_CONFIG | CLI_OPT_NOW, .usage = usage};
    struct cli_opts o;
    int rc = cli_opts_parse(argc, argv, &sp, &o);
    if (rc != CLI_GO_ON)
        return rc;
    ab_time start;
    if (o.argi < argc || cli_now(&o, &start) < 0) {
        usage(stderr);
        return EXIT_USAGE;
    }
    int64_t offset = start - wall(0);
    struct cli_env env;
    /* Handlers first: a SIGTERM while the config and the state database
     * are still opening must end the daemon cleanly too (exit 0), not by
     * the signal's default action. */
    install_handlers();
    if ((rc = cli_env_open_wait(o.config, &env, &stop_flag)))
        return rc;
    if (!env.e)
        return EXIT_OK; /* stopped while it waited for its state database */
    if ((rc = start_daemon(&env, &o, &offset))) {
        cli_env_close(&env);
        return rc;
    }
    struct watchdog wd;
    watchdog_init(&wd);
    /* Leases kept alive while we live, so a node killed loses them soon. */
    eng_renewer *renewer = NULL;
    ab_errmsg rem = {{0}};
    if (eng_renewer_start(env.e, wall(offset), &renewer, &rem) != AB_OK)
        ab_log(AB_LOG_WARN, "leases: %s; they are renewed at each tick only", rem.text);
    struct cli_selfwatch *self = cli_selfwatch_new(wall(offset));
    while (!stop_flag) {
        if (reload_flag) {
            reload_flag = 0;
            reload(&env, o.config);
        }
        wake_flag = 0;
        if (tick_once(&env, self, wall(offset), &wd) < 0) {
            rc = EXIT_FAIL;
            break;
        }
        if (!stop_flag)
            sleep_until(eng_next_wakeup(env.e, wall(offset)), offset, &wd);
    }
    ab_notify("STOPPING=1");
    ab_log(AB_LOG_INFO, "stopping");
    /* Another node takes the leader's work at its next tick, not when the
     * lease would have run out. */
    ab_errmsg lem = {{0}};
    if (eng_leave(env.e, &lem) != AB_OK)
        ab_log(AB_LOG_WARN, "stopping: %s", lem.text);
    eng_renewer_stop(renewer);
    cli_selfwatch_free(self);
    web_free(web_srv);
    web_srv = NULL;
    cfg_free(web_model);
    web_model = NULL;
    cli_env_close(&env);
    return rc;
}
