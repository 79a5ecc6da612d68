/*
 * cmd_tick.c - `ackbeat tick`: one pass of all due work, then exit.
 * For cron users (run it every minute) and for tests (with --now).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "common/ab_log.h"
#include "engine/eng.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: ackbeat tick [-c FILE] [--now T] [--no-send]\n"
               "  Run everything that is due at T (default: now) once, then exit.\n"
               "  Exit 1 if a step failed (see the log), 0 otherwise.\n");
}

int cmd_tick(int argc, char **argv)
{
    static const struct option own[] = {{"no-send", no_argument, 0, 's'}, {0, 0, 0, 0}};
    int no_send = 0;
    const struct cli_spec sp = {.cmd = "tick",
                                .shared = CLI_OPT_CONFIG | CLI_OPT_NOW,
                                .own = own,
                                .fn = cli_opts_flag,
                                .ud = &no_send,
                                .usage = usage};
    struct cli_opts o;
    int rc = cli_opts_parse(argc, argv, &sp, &o);
    if (rc != CLI_GO_ON)
        return rc;
    ab_time now;
    if (o.argi < argc || cli_now(&o, &now) < 0) {
        usage(stderr);
        return EXIT_USAGE;
    }
    struct cli_env env;
    rc = cli_env_open(o.config, &env);
    if (rc)
        return rc;
    eng_set_send(env.e, !no_send);
    struct eng_tick_stats s;
    ab_errmsg em = {{0}};
    eng_set_stamp_now(env.e, o.now_arg != NULL);
    /* The tick's own time, apart from loading the config, for
     * bench/bench_nodes.sh and whoever wonders where a cron minute goes. */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    /* A tick of many checks outlasts a lease: kept alive meanwhile. */
    eng_renewer *renewer = NULL;
    if (eng_renewer_start(env.e, now, &renewer, &em) != AB_OK) {
        ab_log(AB_LOG_WARN, "leases: %s", em.text);
        memset(&em, 0, sizeof em);
    }
    enum ab_err terr = eng_tick(env.e, now, &s, &em);
    eng_renewer_stop(renewer);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ab_log(AB_LOG_DEBUG, "tick: took %.1f ms",
           (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
    if (terr != AB_OK) {
        fprintf(stderr, "ackbeat tick: %s\n", em.text);
        rc = EXIT_FAIL;
    } else {
        printf("tick: %zu run, %zu cached, %zu held, %zu alerts opened, %zu "
               "resolved, %zu emails queued, %zu sent, %zu deferred, %zu failed, "
               "%zu errors\n",
               s.checks_run, s.checks_cached, s.checks_held, s.alerts_opened,
               s.alerts_resolved, s.notices_queued, s.mail_sent, s.mail_deferred,
               s.mail_failed, s.errors);
        /* Several nodes on one state: what the others had claimed. */
        if (s.checks_elsewhere)
            printf("tick: %zu due checks were claimed by other nodes\n", s.checks_elsewhere);
        rc = s.errors ? EXIT_FAIL : EXIT_OK;
    }
    /* Done: the next `tick` (from cron, a minute on) leads at once. */
    if (eng_leave(env.e, &em) != AB_OK) {
        fprintf(stderr, "ackbeat tick: %s\n", em.text);
        rc = EXIT_FAIL;
    }
    cli_env_close(&env);
    return rc;
}
