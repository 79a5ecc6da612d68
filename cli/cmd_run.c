/*
 * cmd_run.c - `ackbeat run`: the daemon loop.
 *
 * Tick, then sleep until the engine's next due time.  Fire times are
 * computed on the wall clock (in each schedule's zone); the wait itself
 * is measured on the monotonic clock so that a clock step cannot make it
 * sleep for an hour or spin.  Signal handlers only set flags:
 *   SIGTERM, SIGINT  finish the current step and exit 0;
 *   SIGHUP           reload the config; keep the old one if the new one
 *                    does not validate.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "common/ab_log.h"
#include "engine/eng.h"

static volatile sig_atomic_t stop_flag, reload_flag;

static void on_signal(int sig)
{
    if (sig == SIGHUP)
        reload_flag = 1;
    else
        stop_flag = 1;
}

static void install_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* No SA_RESTART: the sleep must return early on a signal. */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
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

/* Sleep up to secs on the monotonic clock; returns early on a signal. */
static void sleep_for(int64_t secs)
{
    if (secs <= 0)
        return;
    struct timespec d = {.tv_sec = secs, .tv_nsec = 0};
    nanosleep(&d, NULL); /* EINTR on a signal is exactly what we want */
}

static void reload(struct cli_env *env, const char *path)
{
    ab_log(AB_LOG_INFO, "SIGHUP: reloading %s", path);
    cfg *fresh = cli_load_config(path);
    if (!fresh) {
        ab_log(AB_LOG_ERROR, "reload: %s has errors (listed above); still "
                             "running on the previous configuration", path);
        return;
    }
    if (strcmp(cfg_global(fresh)->state_path, cfg_global(env->c)->state_path) != 0)
        ab_log(AB_LOG_WARN, "reload: the state database path changed; that "
                            "takes effect on restart only");
    ab_errmsg em = {{0}};
    if (eng_set_config(env->e, fresh, &em) != AB_OK) {
        ab_log(AB_LOG_ERROR, "reload: %s; still running on the previous "
                             "configuration", em.text);
        cfg_free(fresh);
        return;
    }
    cfg_free(env->c);
    env->c = fresh;
    char sum[512];
    cfg_summary(fresh, sum, sizeof sum);
    ab_log(AB_LOG_INFO, "reloaded: %s", sum);
}

int cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, 0, 'c'},
                                          {"now", required_argument, 0, 'n'},
                                          {"help", no_argument, 0, 'h'},
                                          {0, 0, 0, 0}};
    struct cli_opts o = {.config = cli_default_config()};
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'c': o.config = optarg; break;
        case 'n': o.now_arg = optarg; break;
        case 'h': usage(stdout); return EXIT_OK;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    ab_time start;
    if (optind < argc || cli_now(&o, &start) < 0) {
        usage(stderr);
        return EXIT_USAGE;
    }
    int64_t offset = start - wall(0);
    struct cli_env env;
    int rc = cli_env_open(o.config, &env);
    if (rc)
        return rc;
    eng_set_started(env.e, wall(offset));
    install_handlers();
    char sum[512];
    cfg_summary(env.c, sum, sizeof sum);
    ab_log(AB_LOG_INFO, "ackbeat %s running: %s", AB_VERSION, sum);

    while (!stop_flag) {
        if (reload_flag) {
            reload_flag = 0;
            reload(&env, o.config);
        }
        ab_time now = wall(offset);
        struct eng_tick_stats s;
        ab_errmsg em = {{0}};
        if (eng_tick(env.e, now, &s, &em) != AB_OK)
            ab_log(AB_LOG_ERROR, "tick: %s", em.text);
        if (stop_flag)
            break;
        ab_time next = eng_next_wakeup(env.e, wall(offset));
        /* Re-read the clock after each wake: the sleep may end early
         * (a signal) or the wall clock may have been stepped. */
        while (!stop_flag && !reload_flag) {
            ab_time t = wall(offset);
            if (t >= next)
                break;
            sleep_for(next - t);
        }
    }
    ab_log(AB_LOG_INFO, "stopping");
    cli_env_close(&env);
    return EXIT_OK;
}
