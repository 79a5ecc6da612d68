/*
 * cli_opts.c - the options every command shares, parsed in one place.
 *
 * Each command used to carry its own getopt_long table with the same
 * -c/--config, --now, --json and --help entries and the same switch
 * around them, and the copies had begun to drift (one printed its usage
 * on a bad option, the next did not; one took -c with a default, the
 * next without).  Here the shared ones are one table: a command says
 * which of them it takes and lists only its own options, which come back
 * to it through a callback.  --log-level is global: it may stand anywhere
 * on the line, before or after the command, and is taken out before the
 * command sees argv.
 */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "common/ab_mem.h"

/* getopt_long values of the shared long-only options: above any byte, so
 * they cannot meet a command's short option letters; a command's own
 * long-only options use 256 and up, below these. */
enum { KEY_NOW = 0x10001, KEY_JSON };

int cli_opts_global(int argc, char **argv)
{
    int o = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--log-level") == 0 && i + 1 < argc) {
            setenv("ACKBEAT_LOG_LEVEL", argv[++i], 1);
            continue;
        }
        if (strncmp(argv[i], "--log-level=", 12) == 0) {
            setenv("ACKBEAT_LOG_LEVEL", argv[i] + 12, 1);
            continue;
        }
        argv[o++] = argv[i];
    }
    argv[o] = NULL;
    return o;
}

int cli_opts_flag(void *ud, int key, const char *arg)
{
    (void)key;
    (void)arg;
    *(int *)ud = 1;
    return CLI_GO_ON;
}

static size_t count_own(const struct option *own)
{
    size_t n = 0;
    while (own && own[n].name)
        n++;
    return n;
}

/* The merged long table: the shared options the command takes, then its
 * own, then the terminator.  NULL when out of memory. */
static struct option *merge(const struct cli_spec *sp)
{
    size_t nown = count_own(sp->own), n = 0;
    struct option *t = ab_calloc(nown + 4, sizeof *t);
    if (!t)
        return NULL;
    if (sp->shared & (CLI_OPT_CONFIG | CLI_OPT_CONFIG_OPTIONAL))
        t[n++] = (struct option){"config", required_argument, 0, 'c'};
    if (sp->shared & CLI_OPT_NOW)
        t[n++] = (struct option){"now", required_argument, 0, KEY_NOW};
    if (sp->shared & CLI_OPT_JSON)
        t[n++] = (struct option){"json", no_argument, 0, KEY_JSON};
    t[n++] = (struct option){"help", no_argument, 0, 'h'};
    for (size_t i = 0; i < nown; i++)
        t[n++] = sp->own[i];
    return t;
}

/* The short options: -c when taken, -h always, then the command's own. */
static char *shorts(const struct cli_spec *sp)
{
    const char *own = sp->own_short ? sp->own_short : "";
    size_t len = strlen(own) + 4;
    char *s = ab_malloc(len);
    if (s)
        snprintf(s, len, "%s%s",
                 sp->shared & (CLI_OPT_CONFIG | CLI_OPT_CONFIG_OPTIONAL) ? "c:h" : "h",
                 own);
    return s;
}

static void show_usage(const struct cli_spec *sp, FILE *f)
{
    if (sp->usage)
        sp->usage(f);
    else if (sp->help)
        fputs(sp->help, f);
}

/* One option: the shared ones here, the rest to the command. */
static int take(const struct cli_spec *sp, struct cli_opts *o, int ch, const char *arg)
{
    switch (ch) {
    case 'c': o->config = arg; return CLI_GO_ON;
    case KEY_NOW: o->now_arg = arg; return CLI_GO_ON;
    case KEY_JSON: o->json = 1; return CLI_GO_ON;
    case 'h':
        o->help = 1;
        show_usage(sp, stdout);
        return EXIT_OK;
    case '?':
    case ':':
        /* getopt_long has said what was wrong. */
        if (!sp->quiet_usage)
            show_usage(sp, stderr);
        return EXIT_USAGE;
    default:
        if (!sp->fn) {
            show_usage(sp, stderr);
            return EXIT_USAGE;
        }
        return sp->fn(sp->ud, ch, arg);
    }
}

int cli_opts_parse(int argc, char **argv, const struct cli_spec *sp, struct cli_opts *o)
{
    memset(o, 0, sizeof *o);
    if (sp->shared & CLI_OPT_CONFIG)
        o->config = cli_default_config();
    struct option *table = merge(sp);
    char *sh = shorts(sp);
    int rc = CLI_GO_ON;
    if (!table || !sh) {
        fprintf(stderr, "ackbeat %s: out of memory\n", sp->cmd);
        rc = EXIT_FAIL;
        goto out;
    }
    optind = 1;
    int ch;
    while (rc == CLI_GO_ON && (ch = getopt_long(argc, argv, sh, table, NULL)) != -1)
        rc = take(sp, o, ch, optarg);
    o->argi = optind;
out:
    ab_free(sh);
    ab_free(table);
    return rc;
}
