/*
 * main.c - entry point: global options, the command table, dispatch.
 *
 * Everything a test would want to call lives in the modules; this file
 * only picks the command.  The global --log-level is taken out of argv by
 * cli_opts.c, which parses the options the commands share; log routing is
 * set up in cli_util.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "checks/chk.h"
#include "common/ab_mem.h"
#include "cli/cli.h"
#include "cli/commands.h"

static const struct cli_command commands[] = {
    /* one line per command, kept in alphabetical order */
    {"ack", cmd_ack, "record a confirmation taken by phone"},
    {"acks", cmd_acks, "heartbeat cycles: who confirmed, bounced, auto-replied"},
    {"alerts", cmd_alerts, "list open alerts by priority (--all, --json)"},
    {"classify", cmd_classify, "show how the inbox sees .eml files (-c: tokens)"},
    {"dismiss", cmd_dismiss, "dismiss or snooze an alert"},
    {"history", cmd_history, "list a check's past runs"},
    {"inbox", cmd_inbox, "inbox poll: read the inbox now"},
    {"migrate", cmd_migrate, "copy the state into another (SQLite <-> PostgreSQL)"},
    {"next", cmd_next, "next fire times; --explain why a time is allowed"},
    {"outbox", cmd_outbox, "list queued and failed mail (--all, --json)"},
    {"pause", cmd_pause, "pause a check (--until T): it does not run or alert"},
    {"plugin-host", cmd_plugin_host, "(internal) the process a plugin runs in"},
    {"render", cmd_render, "render a template with JSON data (preview)"},
    {"report", cmd_report, "record a result a target reports itself"},
    {"resume", cmd_resume, "resume a paused check"},
    {"run", cmd_run, "the daemon: tick, sleep until due, repeat"},
    {"run-check", cmd_run_check, "run one check now and print the result"},
    {"send", cmd_send, "open a heartbeat cycle now"},
    {"send-test", cmd_send_test, "send a test message through the configured transport"},
    {"silence", cmd_silence, "silences set ahead of time: add, list, expire"},
    {"status", cmd_status, "every check's status, last and next run"},
    {"tick", cmd_tick, "one pass of all due work, then exit"},
    {"validate", cmd_validate, "check a configuration file"},
    {"web", cmd_web, "serve the web pages and API without the tick loop"},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f)
{
    fprintf(f, "usage: ackbeat COMMAND [options]\n"
               "       ackbeat COMMAND --help\n"
               "       ackbeat --version\n"
               "global option: --log-level error|warn|info|debug\n\ncommands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv)
{
    ab_mem_tune();
    /* --log-level may stand anywhere: out before dispatch. */
    argc = cli_opts_global(argc, argv);
    /* Plugins run in a fresh copy of this program, never in a fork of a
     * process that may have threads (the web server). */
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = '\0';
        chk_plugin_host_set(self);
    }
    cli_log_init(getenv("ACKBEAT_LOG_LEVEL"));
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("ackbeat %s\n", AB_VERSION);
        return EXIT_OK;
    }
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "ackbeat: unknown command '%s' (try ackbeat --help)\n", argv[1]);
    return EXIT_USAGE;
}
