/*
 * cmd_web.c - `ackbeat web`: the web server alone, without the tick loop.
 *
 * For looking at the pages of a state database (a copy from production,
 * a test's), and for tests and benchmarks of the web side by itself.
 * Pings, reports and dismissals are recorded as under `ackbeat run`, but
 * nothing is sent: notices wait in the outbox for the daemon (or `ackbeat
 * tick`).  SIGHUP reloads the config (a <web> that cannot serve, such as
 * a port in use, leaves the previous one serving), SIGTERM/SIGINT stop.
 */
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

/* --listen ADDR:PORT, the one option of its own. */
static int own_opt(void *listen, int key, const char *arg)
{
    (void)key;
    *(const char **)listen = arg;
    return CLI_GO_ON;
}

/*
 * Handlers that only set flags, with the signals blocked except inside
 * sigsuspend (waitmask), which unblocks and waits in one step: with a
 * check of the flags and then pause(), a signal in between was lost and
 * the server never stopped.  (The web server's threads block every
 * signal themselves.)
 */
static void install_signals(sigset_t *waitmask)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    sigprocmask(SIG_BLOCK, &sigs, waitmask);
    sigdelset(waitmask, SIGTERM);
    sigdelset(waitmask, SIGINT);
    sigdelset(waitmask, SIGHUP);
}

/* The first server: c's <web>, or --listen alone when c has none. */
static enum ab_err start(const cfg *c, const struct web_opts *wo, web **w, ab_errmsg *em)
{
    /* web_apply stops a server whose config has no <web>: --listen
     * alone must still serve, so build it directly then. */
    if (cfg_global(c)->web.enabled)
        return web_apply(w, c, wo, em);
    enum ab_err e = web_new(c, wo, w, em);
    if (!e && (e = web_listen(*w, em))) {
        web_free(*w);
        *w = NULL;
    }
    return e;
}

/* SIGHUP: serve path's config, or keep serving the one in *c.  -1 when
 * nothing serves any more. */
static int reload(const char *path, cfg **c, web **w, const struct web_opts *wo)
{
    cfg *fresh = cli_load_config(path);
    if (!fresh || !cfg_global(fresh)->web.enabled) {
        ab_log(AB_LOG_ERROR, "reload: %s not usable; keeping the old one", path);
        cfg_free(fresh);
        return 0;
    }
    ab_errmsg em = {{0}};
    if (web_apply(w, fresh, wo, &em) != AB_OK) {
        cfg_free(fresh);
        if (!*w) {
            ab_log(AB_LOG_ERROR, "reload: %s; nothing is serving any more", em.text);
            return -1;
        }
        /* The old server serves on, on the old model. */
        ab_log(AB_LOG_ERROR, "reload: %s; still serving the previous configuration",
               em.text);
        return 0;
    }
    cfg_free(*c);
    *c = fresh;
    ab_log(AB_LOG_INFO, "reloaded %s", path);
    return 0;
}

int cmd_web(int argc, char **argv)
{
    static const struct option own[] = {{"listen", required_argument, 0, 'l'},
                                        {0, 0, 0, 0}};
    const char *listen = NULL;
    const struct cli_spec sp = {.cmd = "web",
                                .shared = CLI_OPT_CONFIG | CLI_OPT_NOW,
                                .own = own,
                                .fn = own_opt,
                                .ud = &listen,
                                .usage = usage};
    struct cli_opts o;
    int rc = cli_opts_parse(argc, argv, &sp, &o);
    if (rc != CLI_GO_ON)
        return rc;
    ab_time start_at;
    if (o.argi < argc || cli_now(&o, &start_at) < 0) {
        usage(stderr);
        return EXIT_USAGE;
    }
    int64_t offset = 0;
    offset = start_at - clock_now(&offset);
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
    sigset_t waitmask;
    install_signals(&waitmask);
    struct web_opts wo = {.now = clock_now, .now_ud = &offset, .listen = listen,
                          .template_dir = cli_template_dir()};
    web *w = NULL;
    ab_errmsg em = {{0}};
    if (start(c, &wo, &w, &em)) {
        cli_err("web", "%s", em.text);
        cfg_free(c);
        return EXIT_FAIL;
    }
    printf("ackbeat web: serving on port %u\n", web_port(w));
    fflush(stdout);
    rc = EXIT_OK;
    while (!stop_flag) {
        sigsuspend(&waitmask);
        if (reload_flag && !stop_flag) {
            reload_flag = 0;
            if (reload(o.config, &c, &w, &wo) < 0) {
                rc = EXIT_FAIL;
                break;
            }
        }
    }
    web_free(w);
    cfg_free(c);
    return rc;
}
