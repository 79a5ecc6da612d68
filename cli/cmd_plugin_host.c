/*
 * cmd_plugin_host.c - `ackbeat plugin-host --run|--probe FILE [ARG]`: the
 * process a plugin runs in (see chk_plugin_host_set() in checks/chk.h).
 * Not for people: its output is a framed protocol read by the parent.
 */
#include <stdio.h>
#include <string.h>

#include "checks/chk.h"
#include "cli/commands.h"

/*
 * Not parsed by cli_opts_parse(): argv is a fixed protocol between the
 * daemon and this process, and ARG is the config's plugin argument, which
 * may begin with '-' (getopt would take it for an option and refuse it).
 */
static const char usage[] = "usage: ackbeat plugin-host --run|--probe FILE [ARG]\n"
                            "  (internal: runs one plugin for the daemon)\n";

int cmd_plugin_host(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        fputs(usage, stdout);
        return EXIT_OK;
    }
    if (argc < 3 || argc > 4 ||
        (strcmp(argv[1], "--run") != 0 && strcmp(argv[1], "--probe") != 0)) {
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    chk_plugin_host_main(argv[2], argc == 4 ? argv[3] : NULL,
                         strcmp(argv[1], "--probe") == 0);
}
