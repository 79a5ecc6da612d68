/*
 * cmd_tick.c - `ackbeat tick`: one pass of all due work, then exit.
 * For cron users (run it every minute) and for tests (with --now).
 */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "engine/eng.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: ackbeat tick [-c FILE] [--now T] [--no-send]\n"
               "  Run everything that is due at T (default: now) once, then exit.\n"
               "  Exit 1 if a step failed (see the log), 0 otherwise.\n");
}

int cmd_tick(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, 0, 'c'},
                                          {"now", required_argument, 0, 'n'},
                                          {"no-send", no_argument, 0, 's'},
                                          {"help", no_argument, 0, 'h'},
                                          {0, 0, 0, 0}};
    struct cli_opts o = {.config = cli_default_config()};
    int no_send = 0, ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'c': o.config = optarg; break;
        case 'n': o.now_arg = optarg; break;
        case 's': no_send = 1; break;
        case 'h': usage(stdout); return EXIT_OK;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    ab_time now;
    if (optind < argc || cli_now(&o, &now) < 0) {
        usage(stderr);
        return EXIT_USAGE;
    }
    struct cli_env env;
    int rc = cli_env_open(o.config, &env);
    if (rc)
        return rc;
    eng_set_send(env.e, !no_send);
    struct eng_tick_stats s;
    ab_errmsg em = {{0}};
    eng_set_stamp_now(env.e, o.now_arg != NULL);
    if (eng_tick(env.e, now, &s, &em) != AB_OK) {
        fprintf(stderr, "ackbeat tick: %s\n", em.text);
        rc = EXIT_FAIL;
    } else {
        printf("tick: %zu run, %zu cached, %zu held, %zu alerts opened, %zu "
               "resolved, %zu emails queued, %zu sent, %zu deferred, %zu failed, "
               "%zu errors\n",
               s.checks_run, s.checks_cached, s.checks_held, s.alerts_opened,
               s.alerts_resolved, s.notices_queued, s.mail_sent, s.mail_deferred,
               s.mail_failed, s.errors);
        rc = s.errors ? EXIT_FAIL : EXIT_OK;
    }
    cli_env_close(&env);
    return rc;
}
