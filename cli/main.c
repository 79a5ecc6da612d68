/*
 * main.c - entry point: global options, the command table, dispatch.
 *
 * Everything a test would want to call lives in the modules; this file
 * only picks the command.  Log routing is set up in cli/log.c.
 */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"

static const struct cli_command commands[] = {
    /* one line per command, kept in alphabetical order */
    {"render", cmd_render, "render a template with JSON data (preview)"},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f)
{
    fprintf(f, "usage: ackbeat COMMAND [options]\n"
               "       ackbeat COMMAND --help\n"
               "       ackbeat --version\n\ncommands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv)
{
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
