/*
 * cmd_validate.c - `ackbeat validate -c FILE`: load the config, report
 * every problem as FILE:LINE, or print a one-line summary.
 *
 * Exit 0 when valid, 2 when not (the daemon would refuse to start).
 */
#include <stdio.h>

#include "cli/cli.h"
#include "checks/chk.h"
#include "cli/commands.h"
#include "common/ab_mem.h"
#include "engine/eng.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: ackbeat validate [-c FILE] [--deep]\n"
               "  Check a configuration file; print every error as FILE:LINE: "
               "message.\n"
               "  -c, --config FILE   the config (default $ACKBEAT_CONFIG or "
               "/etc/ackbeat/ackbeat.xml)\n"
               "  --deep              also open every source, prepare every query\n"
               "                      and load every plugin, naming the check at fault\n");
}

int cmd_validate(int argc, char **argv)
{
    static const struct option own[] = {{"deep", no_argument, 0, 'd'}, {0, 0, 0, 0}};
    int deep = 0;
    const struct cli_spec sp = {.cmd = "validate",
                                .shared = CLI_OPT_CONFIG,
                                .own = own,
                                .fn = cli_opts_flag,
                                .ud = &deep,
                                .usage = usage};
    struct cli_opts o;
    int rc = cli_opts_parse(argc, argv, &sp, &o);
    if (rc != CLI_GO_ON)
        return rc;
    if (o.argi < argc) {
        cli_err("validate", "unexpected argument \"%s\"", argv[o.argi]);
        return EXIT_USAGE;
    }
    const char *path = o.config;
    cfg *c = cli_load_config(path);
    if (!c)
        return EXIT_USAGE;
    int bad = 0;
    if (deep) {
        /* What only the sources themselves can tell: a table that does
         * not exist, SQL that does not parse, a plugin of another ABI. */
        chk_ctx *ctx = chk_ctx_new();
        for (size_t i = 0; ctx && i < cfg_check_count(c); i++) {
            const struct cfg_check *k = cfg_check_at(c, i);
            if (k->kind == CFG_HEARTBEAT || k->kind == CFG_PING || k->kind == CFG_COMMAND)
                continue;
            ab_errmsg em = {{0}};
            if (chk_validate(k, ctx, &em) != AB_OK) {
                fprintf(stderr, "%s:%d: %s\n", path, k->line, em.text);
                bad = 1;
            }
        }
        chk_ctx_free(ctx);
    }
    /* What run will read at start or first use: without this, validate
     * passed and run then exited over an unset variable. */
    ab_buf serr, swarn;
    ab_buf_init(&serr, 1 << 16);
    ab_buf_init(&swarn, 1 << 16);
    if (cfg_secrets_probe(c, &serr, &swarn))
        bad = 1;
    fputs(ab_buf_str(&serr), stderr);
    fputs(ab_buf_str(&swarn), stderr);
    ab_buf_free(&serr);
    ab_buf_free(&swarn);
    const struct cfg_inbox *ib = &cfg_global(c)->inbox;
    if (ib->enabled && !ib->authserv_id)
        fprintf(stderr, "%s: warning: <inbox> has no authserv-id=: a forged From: "
                        "cannot be told from a real one\n", path);
    if (!bad) {
        char summary[512];
        cfg_summary(c, summary, sizeof summary);
        printf("%s: valid: %s\n", path, summary);
        if (cfg_global(c)->state_url) {
            /* The URL as it may be shown: never its password. */
            char *shown = eng_state_display(c);
            printf("%s: state: %s\n", path, shown ? shown : "(out of memory)");
            ab_free(shown);
        }
    }
    cfg_free(c);
    return bad ? EXIT_USAGE : EXIT_OK;
}
