/*
 * cli.h - helpers shared by the subcommands (cli/ private).
 *
 * This is the only place in ackbeat that reads the clock: every command
 * that acts on time takes --now, and everything below cli/ is handed the
 * time as a parameter.
 */
#ifndef AB_CLI_H
#define AB_CLI_H

#include <stdio.h>

#include "common/ab_time.h"
#include "config/cfg.h"
#include "store/store.h"

/* Options most commands share, filled by cli_parse_common(). */
struct cli_opts {
    const char *config;   /* -c FILE */
    const char *now_arg;  /* --now T, NULL = the clock */
    int json;             /* --json */
    int help;             /* --help */
};

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

/* Open the state database named by the config, printing errors. */
store *cli_open_store(const cfg *c);

/* Default config path: $ACKBEAT_CONFIG, else /etc/ackbeat/ackbeat.xml. */
const char *cli_default_config(void);

/*
 * The folder of the default templates: $ACKBEAT_TEMPLATES, else the
 * installed copy, else templates/default next to the binary's source
 * tree (so ./ackbeat works from a checkout).  NULL if none exists.
 */
const char *cli_template_dir(void);

/* Everything a command that acts needs: config, state, engine. */
struct cli_env {
    cfg *c;
    store *st;
    struct eng *e;
};
/* Load all three (printing errors); returns EXIT_OK or the exit code. */
int cli_env_open(const char *config, struct cli_env *env);
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
