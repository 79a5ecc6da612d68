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
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "mailer/mail.h"

int cmd_send_test(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, 0, 'c'},
                                          {"now", required_argument, 0, 'n'},
                                          {"to", required_argument, 0, 't'},
                                          {"help", no_argument, 0, 'h'},
                                          {0, 0, 0, 0}};
    struct cli_opts o = {.config = cli_default_config()};
    const char *to = NULL;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "c:t:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'c': o.config = optarg; break;
        case 'n': o.now_arg = optarg; break;
        case 't': to = optarg; break;
        case 'h':
            printf("usage: ackbeat send-test [-c FILE] --to ADDR [--now T]\n"
                   "  Queue a test message to ADDR and send it now through the\n"
                   "  configured transport; print what the server said.\n");
            return EXIT_OK;
        default: return EXIT_USAGE;
        }
    }
    ab_time now;
    if (optind < argc) {
        cli_err("send-test", "unexpected argument '%s'", argv[optind]);
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
    store *st = eng_state(view);
    const struct cfg_mail *mc = &g->mail;
    int rc = EXIT_FAIL;

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
    if (mail_envelope_sender(&g->inbox, mc->from, NULL, sender, &em) != AB_OK) {
        cli_err("send-test", "%s", em.text);
        goto out;
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
        goto out;
    }
    printf("queued %s (outbox #%lld) to %s\n", msgid, (long long)id, to);
    struct mail_drain_stats stats;
    enum ab_err e = mail_outbox_send_one(st, mc, id, now, &stats, &em);
    if (e != AB_OK && e != AB_ECONFIG) {
        cli_err("send-test", "%s", em.text);
        goto out;
    }
    if (stats.sent) {
        printf("sent: the server accepted the message for %s\n", to);
        rc = EXIT_OK;
    } else if (stats.failed) {
        printf("failed: %s\n", stats.last_error.text);
    } else {
        printf("not sent (will be retried): %s\n",
               stats.last_error.text[0] ? stats.last_error.text : em.text);
    }
out:
    eng_free(view);
    cfg_free(c);
    return rc;
}
