/*
 * cli.h - helpers shared by the subcommands (cli/ private).
 *
 * This is the only place in ackbeat that reads the clock: every command
 * that acts on time takes --now, and everything below cli/ is handed the
 * time as a parameter.
 */
#ifndef AB_CLI_H
#define AB_CLI_H

#include <getopt.h>
#include <signal.h>
#include <stdio.h>

#include "common/ab_time.h"
#include "config/cfg.h"
#include "engine/eng.h"

/* Options most commands share, filled by cli_opts_parse(). */
struct cli_opts {
    const char *config;   /* -c FILE */
    const char *now_arg;  /* --now T, NULL = the clock */
    int json;             /* --json */
    int help;             /* --help */
    int argi;             /* argv index of the first operand (optind) */
};

/* ---- the shared options (cli_opts.c) --------------------------------------- */

/* Which shared options a command takes; --help (-h) it always takes. */
enum {
    CLI_OPT_CONFIG = 1 << 0, /* -c, --config FILE; default cli_default_config() */
    CLI_OPT_CONFIG_OPTIONAL = 1 << 1, /* -c, --config FILE; NULL when not given */
    CLI_OPT_NOW = 1 << 2,             /* --now T (read it with cli_now) */
    CLI_OPT_JSON = 1 << 3,            /* --json */
};

/* "Go on": what cli_opts_parse and a command's option callback return
 * when nothing ended the command.  Every other value is an exit code. */
#define CLI_GO_ON (-1)

/* A command's own option, as getopt_long gave it (key: the struct
 * option's val or the short letter; arg: optarg).  Returns CLI_GO_ON, or
 * an exit code after printing why (EXIT_USAGE for a bad value). */
typedef int (*cli_opt_fn)(void *ud, int key, const char *arg);
/* The callback of a command whose only own option is one flag: sets the
 * int that ud points to. */
int cli_opts_flag(void *ud, int key, const char *arg);

struct cli_spec {
    const char *cmd; /* "run": for messages */
    unsigned shared; /* CLI_OPT_* */
    /* The command's own long options, {0}-terminated (NULL: none), and
     * its short ones in getopt's syntax ("t:d:p:"; NULL: none).  Their
     * values must not be 'c' or 'h'; long-only ones use 256 and up. */
    const struct option *own;
    const char *own_short;
    cli_opt_fn fn; /* gets the own options; NULL: none */
    void *ud;
    /* The usage, printed to stdout for --help and to stderr after a bad
     * option (getopt_long has named it): usage() when set, else help. */
    void (*usage)(FILE *f);
    const char *help;
    int quiet_usage; /* a bad option prints no usage */
};

/*
 * Parse argv (argv[0] the command's name) by sp into *o, which is reset
 * first.  Returns CLI_GO_ON with o->argi the first operand, or the exit
 * code to return now: EXIT_OK after --help (usage printed), EXIT_USAGE
 * after a bad option, the callback's code when it ended the command.
 */
int cli_opts_parse(int argc, char **argv, const struct cli_spec *sp, struct cli_opts *o);

/* Take the global --log-level LEVEL (or --log-level=LEVEL) out of argv
 * wherever it stands, into $ACKBEAT_LOG_LEVEL; returns the new argc
 * (argv[argc] is NULL again). */
int cli_opts_global(int argc, char **argv);

/*
 * The current time: --now when given (ISO 8601), else the wall clock.
 * Prints a message and returns -1 on a bad --now.
 */
int cli_now(const struct cli_opts *o, ab_time *out);

/* Install the stderr log sink; level from --log-level or the config. */
void cli_log_init(const char *level);
/* Stamp log lines in this zone from now on (NULL: UTC). */
void cli_log_zone(const char *zone);

/* Load the config, printing every error to stderr.  NULL on failure. */
cfg *cli_load_config(const char *path);

/* An engine on the state database named by the config, for reading it
 * and its small writes (eng_open with ENG_OPEN_VIEW), printing errors.
 * NULL on failure; eng_free closes it. */
eng *cli_open_view(const cfg *c);

/* Default config path: $ACKBEAT_CONFIG, else /etc/ackbeat/ackbeat.xml. */
const char *cli_default_config(void);

/*
 * The folder of the default templates: $ACKBEAT_TEMPLATES, else the
 * installed copy, else templates/default next to the binary's source
 * tree (so ./ackbeat works from a checkout).  NULL if none exists.
 */
const char *cli_template_dir(void);

/* Everything a command that acts needs: config, and the engine that owns
 * the state. */
struct cli_env {
    cfg *c;
    struct eng *e;
};
/* Load all three (printing errors); returns EXIT_OK or the exit code. */
int cli_env_open(const char *config, struct cli_env *env);
/* The same for the daemon: a PostgreSQL state that is away (down, still
 * starting, failing over) is waited for, retried with a backoff from 1 to
 * 30 s, until it answers or *stop is set (then EXIT_OK with env->e NULL).
 * One that answers and refuses (a password, no such database) fails at
 * once, as in cli_env_open. */
int cli_env_open_wait(const char *config, struct cli_env *env,
                      volatile sig_atomic_t *stop);
void cli_env_close(struct cli_env *env);

/* An instant as a JSON string ("2026-12-01T08:00:00Z"), or null for
 * AB_TIME_NONE.  New reference: the caller hands it to jansson. */
struct json_t;
struct json_t *cli_json_time(ab_time t);

/* Print a jansson value, indented, on stdout. */
void cli_json_print(struct json_t *v);

/* Print "ackbeat CMD: msg" to stderr. */
void cli_err(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
