/*
 * commands.h - the subcommands of the ackbeat binary (cli/ private).
 *
 * Each command lives in its own cli/cmd_NAME.c and is listed once in the
 * table in cli/main.c.  A command gets argv with argv[0] == its name and
 * returns the process exit code: 0 ok, 1 a check or operation failed,
 * 2 bad usage or bad config.
 */
#ifndef AB_CLI_COMMANDS_H
#define AB_CLI_COMMANDS_H

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

typedef int (*cli_cmd_fn)(int argc, char **argv);

struct cli_command {
    const char *name;
    cli_cmd_fn fn;
    const char *summary;
};


int cmd_migrate(int argc, char **argv);
int cmd_next(int argc, char **argv);
int cmd_outbox(int argc, char **argv);
int cmd_silence(int argc, char **argv);
int cmd_pause(int argc, char **argv);
int cmd_resume(int argc, char **argv);
int cmd_send_test(int argc, char **argv);
int cmd_render(int argc, char **argv);
int cmd_ack(int argc, char **argv);
int cmd_acks(int argc, char **argv);
int cmd_alerts(int argc, char **argv);
int cmd_inbox(int argc, char **argv);
int cmd_send(int argc, char **argv);
int cmd_classify(int argc, char **argv);
int cmd_dismiss(int argc, char **argv);
int cmd_history(int argc, char **argv);
int cmd_plugin_host(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_run_check(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_tick(int argc, char **argv);
int cmd_validate(int argc, char **argv);
int cmd_web(int argc, char **argv);

#endif
