/*
 * cmd_web.c - `ackbeat web`: the web server alone, without the tick loop.
 *
 * For looking at the pages of a state database (a copy from production,
 * a test's), and for tests and benchmarks of the web side by itself.
 * Pings, reports and dismissals are recorded as under `ackbeat run`, but
 * nothing is sent: notices wait in the outbox for the daemon (or `ackbeat
 * tick`).  SIGHUP reloads the config, SIGTERM/SIGINT stop.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "common/ab_log.h"
#include "web/web.h"

static volatile sig_atomic_t stop_flag, reload_flag;

static void on_signal(int sig)
{
    if (sig == SIGHUP)
        reload_flag = 1;
    else
        stop_flag = 1;
}

static ab_time clock_now(void *offset)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (ab_time)ts.tv_sec + *(const int64_t *)offset;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: ackbeat web [-c FILE] [--listen ADDR:PORT] [--now T]\n"
               "  Serve the web pages, pings, reports and the API of <web> without\n"
               "  running checks.  Mail is queued, not sent.  --listen overrides\n"
               "  <web listen>; --now T starts the clock at T.\n");
}

int cmd_web(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, 0, 'c'},
                                          {"now", required_argument, 0, 'n'},
                                          {"listen", required_argument, 0, 'l'},
                                          {"help", no_argument, 0, 'h'},
                                          {0, 0, 0, 0}};
    struct cli_opts o = {.config = cli_default_config()};
    const char *listen = NULL;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'c': o.config = optarg; break;
        case 'n': o.now_arg = optarg; break;
        case 'l': listen = optarg; break;
        case 'h': usage(stdout); return EXIT_OK;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    ab_time start;
    if (optind < argc || cli_now(&o, &start) < 0) {
        usage(stderr);
        return EXIT_USAGE;
    }
    int64_t offset = 0;
    offset = start - clock_now(&offset);
    cfg *c = cli_load_config(o.config);
    if (!c)
        return EXIT_USAGE;
    if (!cfg_global(c)->web.enabled && !listen) {
        cli_err("web", "%s has no <web listen=...>; give --listen ADDR:PORT", o.config);
        cfg_free(c);
        return EXIT_USAGE;
    }
    cli_log_init(cfg_global(c)->log_level && !getenv("ACKBEAT_LOG_LEVEL")
                     ? cfg_global(c)->log_level
                     : getenv("ACKBEAT_LOG_LEVEL"));
    cli_log_zone(cfg_global(c)->timezone);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* The signals stay blocked except inside sigsuspend, which unblocks
     * and waits in one step: with a check of the flags and then pause(),
     * a signal in between was lost and the server never stopped.  (The
     * web server's threads block every signal themselves.) */
    sigset_t sigs, waitmask;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    sigprocmask(SIG_BLOCK, &sigs, &waitmask);
    sigdelset(&waitmask, SIGTERM);
    sigdelset(&waitmask, SIGINT);
    sigdelset(&waitmask, SIGHUP);

    struct web_opts wo = {.now = clock_now, .now_ud = &offset, .listen = listen,
                          .template_dir = cli_template_dir()};
    web *w = NULL;
    ab_errmsg em = {{0}};
    /* web_apply stops a server whose config has no <web>: --listen
     * alone must still serve, so build it directly then. */
    enum ab_err e = cfg_global(c)->web.enabled ? web_apply(&w, c, &wo, &em)
                                               : web_new(c, &wo, &w, &em);
    if (!e && !cfg_global(c)->web.enabled && (e = web_listen(w, &em))) {
        web_free(w);
        w = NULL;
    }
    if (e) {
        cli_err("web", "%s", em.text);
        cfg_free(c);
        return EXIT_FAIL;
    }
    printf("ackbeat web: serving on port %u\n", web_port(w));
    fflush(stdout);
    int rc = EXIT_OK;
    while (!stop_flag) {
        sigsuspend(&waitmask);
        if (reload_flag && !stop_flag) {
            reload_flag = 0;
            cfg *fresh = cli_load_config(o.config);
            if (!fresh || !cfg_global(fresh)->web.enabled) {
                ab_log(AB_LOG_ERROR, "reload: %s not usable; keeping the old one", o.config);
                cfg_free(fresh);
                continue;
            }
            if (web_apply(&w, fresh, &wo, &em) != AB_OK) {
                ab_log(AB_LOG_ERROR, "reload: %s", em.text);
                cfg_free(fresh);
                rc = EXIT_FAIL;
                break; /* nothing is serving any more */
            }
            cfg_free(c);
            c = fresh;
            ab_log(AB_LOG_INFO, "reloaded %s", o.config);
        }
    }
    web_free(w);
    cfg_free(c);
    return rc;
}
