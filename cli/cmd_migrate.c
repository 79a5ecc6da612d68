/*
 * cmd_migrate.c - `ackbeat migrate --from STATE --to STATE`: move an
 * installation's state between a SQLite file and PostgreSQL (issue 16),
 * everything kept: history, runs, reply tokens, open alerts, cycles, the
 * outbox, deliveries, silences, pings and the Message-ID salt.
 *
 * The copy is the engine's (eng_migrate); this file takes the options,
 * reads the passwords from the environment (never from the command line,
 * where `ps` shows them) and reports each table as it is copied.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "common/ab_mem.h"
#include "engine/eng.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: ackbeat migrate --from STATE --to STATE [--password-env VAR]\n"
            "                       [--from-password-env VAR]\n"
            "  Copy every row of one state into another, empty one, ids kept, in one\n"
            "  transaction; both are first brought to this version's schema.\n"
            "  STATE is a SQLite file or a postgresql://USER@HOST:PORT/DB URL.\n"
            "  Stop `ackbeat run` first: a daemon on the --from file is refused.\n"
            "  --from STATE              the state to copy (left as it is)\n"
            "  --to STATE                where to (no rows yet, or only ackbeat's own\n"
            "                            schema); refused, naming the table, if not\n"
            "  --password-env VAR        the PostgreSQL password in $VAR (for --to, and\n"
            "                            for --from unless --from-password-env);\n"
            "                            else libpq's PGPASSWORD or ~/.pgpass\n"
            "  --from-password-env VAR   the password for a --from URL\n"
            "Exit 0 when copied, 1 when not (nothing is left half-copied), 2 on bad usage.\n");
}

struct migrate_args {
    const char *from, *to, *pw_env, *from_pw_env;
};

static int migrate_opt(void *ud, int key, const char *arg)
{
    struct migrate_args *a = ud;
    if (key == 256)
        a->from = arg;
    else if (key == 257)
        a->to = arg;
    else if (key == 258)
        a->pw_env = arg;
    else
        a->from_pw_env = arg;
    return CLI_GO_ON;
}

/* $name, or NULL (and a message) when a variable named is unset. */
static int read_env(const char *name, const char **out)
{
    *out = NULL;
    if (!name)
        return 0;
    *out = getenv(name);
    if (*out)
        return 0;
    cli_err("migrate", "the environment variable %s is not set", name);
    return -1;
}

static void progress(const char *table, int64_t rows, void *ud)
{
    int64_t *total = ud;
    *total += rows;
    printf("  %-16s %lld rows\n", table, (long long)rows);
    fflush(stdout);
}

int cmd_migrate(int argc, char **argv)
{
    static const struct option own[] = {{"from", required_argument, 0, 256},
                                        {"to", required_argument, 0, 257},
                                        {"password-env", required_argument, 0, 258},
                                        {"from-password-env", required_argument, 0, 259},
                                        {0, 0, 0, 0}};
    struct migrate_args a = {0};
    const struct cli_spec sp = {
        .cmd = "migrate", .own = own, .fn = migrate_opt, .ud = &a, .usage = usage};
    struct cli_opts o;
    int rc = cli_opts_parse(argc, argv, &sp, &o);
    if (rc != CLI_GO_ON)
        return rc;
    if (o.argi < argc) {
        cli_err("migrate", "unexpected argument \"%s\"", argv[o.argi]);
        return EXIT_USAGE;
    }
    if (!a.from || !a.to) {
        cli_err("migrate", "needs --from STATE and --to STATE (see --help)");
        return EXIT_USAGE;
    }
    const char *pw = NULL, *from_pw = NULL;
    if (read_env(a.pw_env, &pw) || read_env(a.from_pw_env ? a.from_pw_env : a.pw_env, &from_pw))
        return EXIT_USAGE;
    char *shown_from = eng_locator_display(a.from), *shown_to = eng_locator_display(a.to);
    printf("migrating %s to %s\n", shown_from ? shown_from : "?", shown_to ? shown_to : "?");
    fflush(stdout);
    int64_t total = 0;
    ab_errmsg em = {{0}};
    enum ab_err e = eng_migrate(a.from, from_pw, a.to, pw, progress, &total, &em);
    if (e)
        fprintf(stderr, "ackbeat migrate: %s; %s is unchanged\n", em.text,
                shown_to ? shown_to : "the target");
    else
        printf("migrated: %lld rows; point <state> at %s\n", (long long)total,
               shown_to ? shown_to : "the target");
    ab_free(shown_from);
    ab_free(shown_to);
    return e ? EXIT_FAIL : EXIT_OK;
}
