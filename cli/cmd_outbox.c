/*
 * cmd_outbox.c - what is waiting to be sent, and what could not be:
 *   ackbeat outbox [-c FILE] [--all] [--json] [--now T]
 *
 * Queued and failed messages, oldest first, with attempts, the next
 * attempt, the last error, and each recipient's state; --all adds the
 * newest sent ones.  --now only affects the ages shown.  Notices for
 * channels (webhook, ntfy, slack, matrix, command) follow, as
 * "deliveries", with the same states.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "engine/eng.h"

/* With --all, at most this many messages (the newest). */
#define ALL_LIMIT 1000

static json_t *jstr(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *entry_json(const struct store_outbox_entry *x)
{
    json_t *j = json_object();
    json_object_set_new(j, "id", json_integer(x->id));
    json_object_set_new(j, "status", json_string(eng_outbox_status_name(x->status)));
    json_object_set_new(j, "message_id", json_string(x->message_id));
    json_object_set_new(j, "kind", jstr(x->kind));
    json_object_set_new(j, "ref", jstr(x->ref));
    json_object_set_new(j, "subject", jstr(x->subject));
    json_object_set_new(j, "sender", json_string(x->sender));
    json_object_set_new(j, "created", cli_json_time(x->created));
    json_object_set_new(j, "attempts", json_integer(x->attempts));
    json_object_set_new(j, "next_attempt",
                        x->status == STORE_OUTBOX_QUEUED ? cli_json_time(x->next_attempt) : json_null());
    json_object_set_new(j, "sent_at", cli_json_time(x->sent_at));
    json_object_set_new(j, "last_error", jstr(x->last_error));
    json_t *rc = json_array();
    for (size_t i = 0; i < x->nrcpts; i++) {
        json_t *r = json_object();
        json_object_set_new(r, "address", json_string(x->rcpts[i].rcpt));
        json_object_set_new(r, "status",
                            json_string(eng_outbox_status_name(x->rcpts[i].status)));
        json_object_set_new(r, "last_error", jstr(x->rcpts[i].last_error));
        json_array_append_new(rc, r);
    }
    json_object_set_new(j, "recipients", rc);
    return j;
}

static void entry_text(const struct store_outbox_entry *x, ab_time now)
{
    char when[AB_ISO_LEN] = "-", age[32];
    ab_duration_format((now - x->created) / 60 * 60, age, sizeof age);
    if (x->status == STORE_OUTBOX_QUEUED)
        ab_time_format(x->next_attempt, when, sizeof when);
    else if (x->sent_at != AB_TIME_NONE)
        ab_time_format(x->sent_at, when, sizeof when);
    const char *label = x->status == STORE_OUTBOX_QUEUED ? "  next "
                        : x->status == STORE_OUTBOX_SENT ? "  sent "
                                                         : "";
    printf("#%-5lld %-6s %-9s %-24s age %-7s attempts %d%s%s\n", (long long)x->id,
           eng_outbox_status_name(x->status), x->kind && *x->kind ? x->kind : "mail",
           x->ref ? x->ref : "-", age, x->attempts, label, label[0] ? when : "");
    printf("       %s  %s\n", x->message_id, x->subject ? x->subject : "");
    for (size_t i = 0; i < x->nrcpts; i++)
        printf("       to %s: %s%s%s\n", x->rcpts[i].rcpt,
               eng_outbox_status_name(x->rcpts[i].status),
               x->rcpts[i].last_error && x->rcpts[i].status != STORE_OUTBOX_SENT ? ": "
                                                                                 : "",
               x->rcpts[i].last_error && x->rcpts[i].status != STORE_OUTBOX_SENT
                   ? x->rcpts[i].last_error
                   : "");
    if (x->last_error && x->status != STORE_OUTBOX_SENT)
        printf("       last error: %s\n", x->last_error);
}

static json_t *delivery_json(const struct store_delivery *d)
{
    json_t *j = json_object();
    json_object_set_new(j, "id", json_integer(d->id));
    json_object_set_new(j, "status", json_string(eng_outbox_status_name(d->status)));
    json_object_set_new(j, "channel", json_string(d->channel));
    json_object_set_new(j, "kind", json_string(d->kind));
    json_object_set_new(j, "ref", jstr(d->ref));
    json_object_set_new(j, "txn", json_string(d->txn));
    json_object_set_new(j, "summary", jstr(d->summary));
    json_object_set_new(j, "created", cli_json_time(d->created));
    json_object_set_new(j, "attempts", json_integer(d->attempts));
    json_object_set_new(j, "next_attempt", d->status == STORE_OUTBOX_QUEUED
                                               ? cli_json_time(d->next_attempt)
                                               : json_null());
    json_object_set_new(j, "sent_at", cli_json_time(d->sent_at));
    json_object_set_new(j, "last_error", jstr(d->last_error));
    return j;
}

static void delivery_text(const struct store_delivery *d, ab_time now)
{
    char when[AB_ISO_LEN] = "-", age[32];
    ab_duration_format((now - d->created) / 60 * 60, age, sizeof age);
    if (d->status == STORE_OUTBOX_QUEUED)
        ab_time_format(d->next_attempt, when, sizeof when);
    else if (d->sent_at != AB_TIME_NONE)
        ab_time_format(d->sent_at, when, sizeof when);
    const char *label = d->status == STORE_OUTBOX_QUEUED ? "  next "
                        : d->status == STORE_OUTBOX_SENT ? "  sent "
                                                         : "";
    printf("channel #%-5lld %-6s %-14s to %-12s alert %-5s age %-7s attempts %d%s%s\n",
           (long long)d->id, eng_outbox_status_name(d->status), d->kind, d->channel,
           d->ref ? d->ref : "-", age, d->attempts, label, label[0] ? when : "");
    printf("       %s\n", d->summary ? d->summary : "");
    if (d->last_error && d->status != STORE_OUTBOX_SENT)
        printf("       last error: %s\n", d->last_error);
}

/* `outbox --json`: the counts, the mail, the channel deliveries. */
static void print_json(const struct eng_outbox_view *v, ab_time now)
{
    const struct store_outbox_counts *cnt = &v->counts;
    json_t *root = json_object(), *arr = json_array(), *jc = json_object();
    json_object_set_new(jc, "queued", json_integer(cnt->queued));
    json_object_set_new(jc, "failed", json_integer(cnt->failed));
    json_object_set_new(jc, "sent", json_integer(cnt->sent));
    json_object_set_new(jc, "oldest_queued", cli_json_time(cnt->oldest_queued));
    json_object_set_new(jc, "oldest_queued_age_seconds",
                        cnt->oldest_queued == AB_TIME_NONE
                            ? json_null()
                            : json_integer(now - cnt->oldest_queued));
    json_object_set_new(root, "counts", jc);
    for (size_t i = 0; i < v->nmsgs; i++)
        json_array_append_new(arr, entry_json(&v->msgs[i]));
    json_object_set_new(root, "messages", arr);
    json_t *da = json_array();
    for (size_t i = 0; i < v->ndeliveries; i++)
        json_array_append_new(da, delivery_json(v->deliveries[i]));
    json_object_set_new(root, "deliveries", da);
    cli_json_print(root);
    json_decref(root);
}

/* For people: each message, the counts, then the channel deliveries. */
static void print_text(const struct eng_outbox_view *v, int all, ab_time now)
{
    const struct store_outbox_counts *cnt = &v->counts;
    for (size_t i = 0; i < v->nmsgs; i++)
        entry_text(&v->msgs[i], now);
    char age[32] = "";
    if (cnt->oldest_queued != AB_TIME_NONE)
        ab_duration_format((now - cnt->oldest_queued) / 60 * 60, age, sizeof age);
    printf("%s%lld queued%s%s%s, %lld failed, %lld sent\n", v->nmsgs ? "\n" : "",
           (long long)cnt->queued, age[0] ? " (oldest " : "", age, age[0] ? ")" : "",
           (long long)cnt->failed, (long long)cnt->sent);
    if (!v->ndeliveries)
        return;
    printf("\n");
    size_t q = 0, f = 0;
    for (size_t i = 0; i < v->ndeliveries; i++) {
        delivery_text(v->deliveries[i], now);
        q += v->deliveries[i]->status == STORE_OUTBOX_QUEUED;
        f += v->deliveries[i]->status == STORE_OUTBOX_FAILED;
    }
    printf("\nchannels: %zu queued, %zu failed%s\n", q, f, all ? ", the rest sent" : "");
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: ackbeat outbox [-c FILE] [--all] [--json] [--now T]\n"
            "  Mail waiting to be sent and mail that could not be sent,\n"
            "  with attempts, next attempt, last error and each recipient;\n"
            "  --all adds the newest %d sent messages.\n",
            ALL_LIMIT);
}

int cmd_outbox(int argc, char **argv)
{
    static const struct option own[] = {{"all", no_argument, 0, 256}, {0, 0, 0, 0}};
    int all = 0;
    const struct cli_spec sp = {.cmd = "outbox",
                                .shared = CLI_OPT_CONFIG | CLI_OPT_NOW | CLI_OPT_JSON,
                                .own = own,
                                .fn = cli_opts_flag,
                                .ud = &all,
                                .usage = usage,
                                .quiet_usage = 1};
    struct cli_opts o;
    int prc = cli_opts_parse(argc, argv, &sp, &o);
    if (prc != CLI_GO_ON)
        return prc;
    ab_time now;
    if (o.argi < argc) {
        cli_err("outbox", "unexpected argument '%s'", argv[o.argi]);
        return EXIT_USAGE;
    }
    if (cli_now(&o, &now) < 0)
        return EXIT_USAGE;
    cfg *c = cli_load_config(o.config);
    if (!c)
        return EXIT_USAGE;
    eng *e = cli_open_view(c);
    if (!e) {
        cfg_free(c);
        return EXIT_FAIL;
    }
    int rc = EXIT_OK;
    ab_errmsg em = {{0}};
    struct eng_outbox_view v;
    if (eng_view_outbox(e, all, all ? ALL_LIMIT : 0, &v, &em) != AB_OK) {
        cli_err("outbox", "%s", em.text);
        rc = EXIT_FAIL;
    } else if (o.json) {
        print_json(&v, now);
    } else {
        print_text(&v, all, now);
    }
    eng_view_outbox_free(&v);
    eng_free(e);
    cfg_free(c);
    return rc;
}
