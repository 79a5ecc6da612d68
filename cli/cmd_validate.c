/*
 * cmd_validate.c - `ackbeat validate -c FILE`: load the config, report
 * every problem as FILE:LINE, or print a one-line summary.
 *
 * Exit 0 when valid, 2 when not (the daemon would refuse to start).
 */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cli/commands.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: ackbeat validate [-c FILE]\n"
               "  Check a configuration file; print every error as FILE:LINE: "
               "message.\n"
               "  -c, --config FILE   the config (default $ACKBEAT_CONFIG or "
               "/etc/ackbeat/ackbeat.xml)\n");
}

int cmd_validate(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, 0, 'c'},
                                          {"help", no_argument, 0, 'h'},
                                          {0, 0, 0, 0}};
    const char *path = cli_default_config();
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'c': path = optarg; break;
        case 'h': usage(stdout); return EXIT_OK;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        cli_err("validate", "unexpected argument \"%s\"", argv[optind]);
        return EXIT_USAGE;
    }
    cfg *c = cli_load_config(path);
    if (!c)
        return EXIT_USAGE;
    char summary[512];
    cfg_summary(c, summary, sizeof summary);
    printf("%s: valid: %s\n", path, summary);
    cfg_free(c);
    return EXIT_OK;
}
