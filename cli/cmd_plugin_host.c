/*
 * cmd_plugin_host.c - `ackbeat plugin-host --run|--probe FILE [ARG]`: the
 * process a plugin runs in (see chk_plugin_host_set() in checks/chk.h).
 * Not for people: its output is a framed protocol read by the parent.
 */
#include <stdio.h>
#include <string.h>

#include "checks/chk.h"
#include "cli/commands.h"

int cmd_plugin_host(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        printf("usage: ackbeat plugin-host --run|--probe FILE [ARG]\n"
               "  (internal: runs one plugin for the daemon)\n");
        return EXIT_OK;
    }
    if (argc < 3 || argc > 4 ||
        (strcmp(argv[1], "--run") != 0 && strcmp(argv[1], "--probe") != 0)) {
        fprintf(stderr, "usage: ackbeat plugin-host --run|--probe FILE [ARG]\n"
                        "  (internal: runs one plugin for the daemon)\n");
        return EXIT_USAGE;
    }
    chk_plugin_host_main(argv[2], argc == 4 ? argv[3] : NULL,
                         strcmp(argv[1], "--probe") == 0);
}
