/*
 * cmd_send_test.c - prove the mail setup works end to end:
 *   ackbeat send-test [-c FILE] --to ADDR [--now T]
 *
 * Builds a small test message from the configured sender, stores it in
 * the outbox like any other mail, and sends it at once through the
 * configured transport, printing the outcome.  Exit 0 when the server
 * accepted it; 1 with the server's reply when it did not (a temporary
 * failure leaves the message queued for the daemon to retry).
 */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "mailer/mail.h"

static const char help[] = "usage: ackbeat send-test [-c FILE] --to ADDR [--now T]\n"
                           "  Queue a test message to ADDR and send it now through the\n"
                           "  configured transport; print what the server said.\n";

/* --to ADDR, the one option of its own. */
static int own_opt(void *to, int key, const char *arg)
{
    (void)key;
    *(const char **)to = arg;
    return CLI_GO_ON;
}

/* Send the queued message id now and print what the server said; the
 * exit code (0 only when it was accepted). */
static int send_now(store *st, const struct cfg_mail *mc, int64_t id, const char *to,
                    ab_time now)
{
    struct mail_drain_stats stats;
    ab_errmsg em = {{0}};
    enum ab_err e = mail_outbox_send_one(st, mc, id, now, &stats, &em);
    if (e != AB_OK && e != AB_ECONFIG) {
        cli_err("send-test", "%s", em.text);
        return EXIT_FAIL;
    }
    if (stats.sent) {
        printf("sent: the server accepted the message for %s\n", to);
        return EXIT_OK;
    }
    if (stats.failed)
        printf("failed: %s\n", stats.last_error.text);
    else
        printf("not sent (will be retried): %s\n",
               stats.last_error.text[0] ? stats.last_error.text : em.text);
    return EXIT_FAIL;
}

/* Build the test message, queue it in the outbox and send it; the exit
 * code. */
static int send_test(store *st, const struct cfg_global *g, const char *to, ab_time now)
{
    const struct cfg_mail *mc = &g->mail;
    char when[AB_ISO_LEN], subject[300], text[2048];
    ab_time_format(now, when, sizeof when);
    const char *site = g->name ? g->name : "ackbeat";
    snprintf(subject, sizeof subject, "[%s] test message", site);
    snprintf(text, sizeof text,
             "This is a test message from ackbeat (%s).\n\n"
             "Sent at %s to %s\n"
             "from %s through the transport %s.\n\n"
             "If you can read this, ackbeat's mail settings work.\n",
             site, when, to, mc->from ? mc->from : "?", mc->transport ? mc->transport : "?");
    const struct mail_addr rcpt[] = {{to, NULL}};
    const struct mail_header hdr[] = {{"X-Ackbeat-Test", when}};
    /* No token to return: bounces go to the inbox's plain bounce address. */
    char sender[MAIL_ADDR_MAX + 1];
    ab_errmsg em = {{0}};
    if (mail_envelope_sender(&g->inbox, mc->from, NULL, sender, &em) != AB_OK) {
        cli_err("send-test", "%s", em.text);
        return EXIT_FAIL;
    }
    struct mail_msg_spec spec = {
        .from = mc->from,
        .envelope_from = sender,
        .from_name = mc->from_name,
        .to = rcpt,
        .nto = 1,
        .subject = subject,
        .text = text,
        .headers = hdr,
        .nheaders = 1,
        .date = now,
    };
    int64_t id;
    char msgid[MAIL_MSGID_MAX];
    if (mail_outbox_put(st, &spec, "test", to, now, &id, msgid, &em) != AB_OK) {
        cli_err("send-test", "cannot queue the test message: %s", em.text);
        return EXIT_FAIL;
    }
    printf("queued %s (outbox #%lld) to %s\n", msgid, (long long)id, to);
    return send_now(st, mc, id, to, now);
}

int cmd_send_test(int argc, char **argv)
{
    static const struct option own[] = {{"to", required_argument, 0, 't'}, {0, 0, 0, 0}};
    const char *to = NULL;
    /* A bad option prints getopt's word only, as it always has. */
    const struct cli_spec sp = {.cmd = "send-test",
                                .shared = CLI_OPT_CONFIG | CLI_OPT_NOW,
                                .own = own,
                                .own_short = "t:",
                                .fn = own_opt,
                                .ud = &to,
                                .help = help,
                                .quiet_usage = 1};
    struct cli_opts o;
    int rc = cli_opts_parse(argc, argv, &sp, &o);
    if (rc != CLI_GO_ON)
        return rc;
    ab_time now;
    if (o.argi < argc) {
        cli_err("send-test", "unexpected argument '%s'", argv[o.argi]);
        return EXIT_USAGE;
    }
    if (!to) {
        cli_err("send-test", "--to ADDR is required");
        return EXIT_USAGE;
    }
    ab_errmsg em = {{0}};
    if (mail_addr_check("--to", to, &em) != AB_OK) {
        cli_err("send-test", "%s", em.text);
        return EXIT_USAGE;
    }
    if (cli_now(&o, &now) < 0)
        return EXIT_USAGE;
    cfg *c = cli_load_config(o.config);
    if (!c)
        return EXIT_USAGE;
    const struct cfg_global *g = cfg_global(c);
    cli_log_init(g->log_level);
    eng *view = cli_open_view(c);
    if (!view) {
        cfg_free(c);
        return EXIT_FAIL;
    }
    /* The mailer records in the state the engine opened. */
    rc = send_test(eng_state(view), g, to, now);
    eng_free(view);
    cfg_free(c);
    return rc;
}
