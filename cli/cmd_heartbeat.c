/*
 * cmd_heartbeat.c - the commands about heartbeat cycles and the inbox:
 *   ackbeat send HEARTBEAT              open a cycle now (seed 001: fired manually)
 *   ackbeat ack TOKEN --by ADDR         a confirmation taken by phone
 *   ackbeat acks [CHECK]                who confirmed which cycle, and when
 *   ackbeat inbox poll                  read the inbox now
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "common/ab_mem.h"
#include "common/ab_token.h"
#include "engine/eng.h"
#include "inbox/inbox.h"

/* The values of up to two extra options, by key 256 and 257. */
struct extra_vals {
    const char **v[2];
};

static int extra_opt(void *ud, int key, const char *arg)
{
    *((struct extra_vals *)ud)->v[key - 256] = arg;
    return CLI_GO_ON;
}

/* -c, --now, --help and at most two more options, for these small
 * commands (cli_opts.c): 0 to go on (optind is the first operand), -1
 * after --help, -2 after a bad option (help printed to stderr). */
static int parse(int argc, char **argv, struct cli_opts *o, const char *help,
                 const char *extra, const char **extra_val, const char *extra2,
                 const char **extra2_val)
{
    const struct option own[] = {{extra ? extra : "-", required_argument, 0, 256},
                                 {extra2 ? extra2 : "--", required_argument, 0, 257},
                                 {0, 0, 0, 0}};
    struct extra_vals ev = {{extra_val, extra2_val}};
    const struct cli_spec sp = {.cmd = argv[0],
                                .shared = CLI_OPT_CONFIG | CLI_OPT_NOW,
                                .own = own,
                                .fn = extra_opt,
                                .ud = &ev,
                                .help = help};
    int rc = cli_opts_parse(argc, argv, &sp, o);
    return rc == CLI_GO_ON ? 0 : rc == EXIT_OK ? -1 : -2;
}

int cmd_send(int argc, char **argv)
{
    static const char help[] =
        "usage: ackbeat send [-c FILE] [--now T] HEARTBEAT\n"
        "  Open a heartbeat cycle now: a token and an email for each recipient.\n";
    struct cli_opts o;
    int r = parse(argc, argv, &o, help, NULL, NULL, NULL, NULL);
    if (r)
        return r == -1 ? EXIT_OK : EXIT_USAGE;
    ab_time now;
    if (optind != argc - 1 || cli_now(&o, &now) < 0) {
        fputs(help, stderr);
        return EXIT_USAGE;
    }
    struct cli_env env;
    int rc = cli_env_open(o.config, &env);
    if (rc)
        return rc;
    const struct cfg_check *k = cfg_check_find(env.c, argv[optind]);
    ab_errmsg em = {{0}};
    int64_t id = 0;
    if (!k || k->kind != CFG_HEARTBEAT) {
        cli_err("send", "\"%s\" is not a heartbeat check in %s", argv[optind], o.config);
        rc = EXIT_USAGE;
    } else if (eng_cycle_open(env.e, k, now, &id, &em) != AB_OK) {
        cli_err("send", "%s", em.text);
        rc = EXIT_FAIL;
    } else {
        /* Send at once, as a tick would at its end. */
        struct eng_tick_stats s;
        ab_errmsg tem = {{0}};
        if (eng_tick(env.e, now, &s, &tem) != AB_OK)
            cli_err("send", "%s", tem.text);
        printf("%s: cycle %lld opened, %zu emails queued; %zu sent, %zu deferred\n",
               k->name, (long long)id, k->to.n, s.mail_sent, s.mail_deferred);
    }
    cli_env_close(&env);
    return rc;
}

int cmd_ack(int argc, char **argv)
{
    static const char help[] =
        "usage: ackbeat ack [-c FILE] [--now T] TOKEN --by ADDR [--note TEXT]\n"
        "  Record a confirmation taken by other means (a phone call).\n";
    struct cli_opts o;
    const char *by = NULL, *note = NULL;
    int r = parse(argc, argv, &o, help, "by", &by, "note", &note);
    if (r)
        return r == -1 ? EXIT_OK : EXIT_USAGE;
    ab_time now;
    if (optind != argc - 1 || !by || cli_now(&o, &now) < 0) {
        fputs(help, stderr);
        return EXIT_USAGE;
    }
    const char *token = argv[optind];
    if (!ab_token_valid(token, strlen(token))) {
        cli_err("ack", "\"%s\" is not a token (26 characters a-z, 2-7)", token);
        return EXIT_USAGE;
    }
    struct cli_env env;
    int rc = cli_env_open(o.config, &env);
    if (rc)
        return rc;
    int64_t cycle = 0;
    ab_errmsg em = {{0}};
    enum ab_err err = eng_ack_manual(env.e, token, by, note, now, &cycle, &em);
    if (err) {
        cli_err("ack", "%s", em.text);
        rc = err == AB_ENOTFOUND ? EXIT_USAGE : EXIT_FAIL;
    } else {
        struct eng_tick_stats s;
        ab_errmsg tem = {{0}};
        if (eng_tick(env.e, now, &s, &tem) != AB_OK)
            cli_err("ack", "%s", tem.text);
        printf("cycle %lld: confirmation by %s recorded\n", (long long)cycle, by);
    }
    cli_env_close(&env);
    return rc;
}

int cmd_acks(int argc, char **argv)
{
    static const char help[] =
        "usage: ackbeat acks [-c FILE] [--now T] [CHECK]\n"
        "  Heartbeat cycles, newest first: who was asked, who confirmed and\n"
        "  when, who bounced, who answered only with an auto-reply.\n";
    struct cli_opts o;
    int r = parse(argc, argv, &o, help, NULL, NULL, NULL, NULL);
    if (r)
        return r == -1 ? EXIT_OK : EXIT_USAGE;
    ab_time now; /* "waiting" or "no reply" depends on it */
    if (argc - optind > 1 || cli_now(&o, &now) < 0) {
        fputs(help, stderr);
        return EXIT_USAGE;
    }
    cfg *c = cli_load_config(o.config);
    if (!c)
        return EXIT_USAGE;
    const char *check = optind < argc ? argv[optind] : NULL;
    if (check && !cfg_check_find(c, check)) {
        cli_err("acks", "no check named \"%s\"", check);
        cfg_free(c);
        return EXIT_USAGE;
    }
    eng *e = cli_open_view(c);
    int rc = EXIT_FAIL;
    struct store_cycle **v = NULL;
    size_t n = 0;
    ab_errmsg em = {{0}};
    /* For people: times in the site's zone, what came back in words
     * (engine/eng_words.c, shared with the web and the notice). */
    const char *zone = cfg_global(c)->timezone;
    if (e && eng_view_cycles(e, check, 0, 50, &v, &n, &em) == AB_OK) {
        for (size_t i = 0; i < n; i++) {
            char t1[AB_HUMAN_LEN], t2[AB_HUMAN_LEN];
            printf("%s cycle %lld  opened %s  deadline %s  %s  %zu/%d confirmed\n",
                   v[i]->check, (long long)v[i]->id,
                   ab_time_human_short(v[i]->opened, zone, t1, sizeof t1),
                   ab_time_human_short(v[i]->deadline, zone, t2, sizeof t2), v[i]->status,
                   v[i]->confirmed, v[i]->quorum);
            for (size_t j = 0; j < v[i]->nrcpts; j++) {
                struct eng_rcpt_words w;
                eng_view_rcpt_words(e, v[i], &v[i]->rcpts[j], now, &w);
                printf("  %-32s %s", v[i]->rcpts[j].address, w.word);
                if (w.when != AB_TIME_NONE && w.state != ENG_RCPT_BOUNCED)
                    printf(" %s", ab_time_human_short(w.when, zone, t1, sizeof t1));
                if (w.by[0])
                    printf(" by %s", w.by);
                if (w.reason[0])
                    printf(": %s", w.reason);
                if (w.flag[0])
                    printf("  [%s]", w.flag);
                putchar('\n');
            }
        }
        if (n == 0)
            printf("no heartbeat cycles yet\n");
        eng_view_cycles_free(v, n);
        rc = EXIT_OK;
    } else if (e) {
        cli_err("acks", "%s", em.text);
    }
    eng_free(e);
    cfg_free(c);
    return rc;
}

int cmd_inbox(int argc, char **argv)
{
    static const char help[] =
        "usage: ackbeat inbox poll [-c FILE] [--now T]\n"
        "  Read the configured inbox now: record acknowledgements, bounces,\n"
        "  auto-replies and pings.  Exit 1 if the mailbox could not be read.\n";
    if (argc < 2 || strcmp(argv[1], "poll") != 0) {
        if (argc >= 2 && !strcmp(argv[1], "--help")) {
            fputs(help, stdout);
            return EXIT_OK;
        }
        fputs(help, stderr);
        return EXIT_USAGE;
    }
    struct cli_opts o;
    int r = parse(argc - 1, argv + 1, &o, help, NULL, NULL, NULL, NULL);
    if (r)
        return r == -1 ? EXIT_OK : EXIT_USAGE;
    ab_time now;
    if (optind != argc - 1 || cli_now(&o, &now) < 0) {
        fputs(help, stderr);
        return EXIT_USAGE;
    }
    struct cli_env env;
    int rc = cli_env_open(o.config, &env);
    if (rc)
        return rc;
    struct eng_inbox_result res;
    ab_errmsg em = {{0}};
    eng_set_stamp_now(env.e, o.now_arg != NULL);
    if (eng_inbox_poll(env.e, now, 1, &res, &em) != AB_OK) {
        cli_err("inbox", "%s", em.text);
        rc = EXIT_FAIL;
    } else if (res.error[0]) {
        cli_err("inbox", "%s", res.error);
        rc = EXIT_FAIL;
    } else {
        printf("inbox: %zu read (%zu already seen): %zu ack, %zu auto-reply, %zu bounce, "
               "%zu forged, %zu ping, %zu unrelated, %zu skipped\n",
               res.fetched, res.duplicates, res.counts[INBOX_ACK],
               res.counts[INBOX_AUTOREPLY], res.counts[INBOX_BOUNCE],
               res.counts[INBOX_FORGED], res.counts[INBOX_PING],
               res.counts[INBOX_UNRELATED], res.counts[INBOX_SKIPPED]);
        ab_errmsg cem = {{0}};
        if (eng_reply_commands(env.e, now, &cem) != AB_OK)
            cli_err("inbox", "%s", cem.text);
    }
    cli_env_close(&env);
    return rc;
}
