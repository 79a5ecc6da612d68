/*
 * cmd_status.c - `ackbeat status`: every check with its status, last run,
 * next run, last value and open alert; then the outbox.  --json for tools.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "common/ab_mem.h"
#include "engine/eng.h"

/* The newest confirmation of address in the cycles listed, or NONE. */
static ab_time newest_confirmation(struct store_cycle *const *v, size_t n,
                                   const char *address)
{
    ab_time t = AB_TIME_NONE;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < v[i]->nrcpts; j++)
            if (!strcasecmp(v[i]->rcpts[j].address, address) &&
                v[i]->rcpts[j].confirmed != AB_TIME_NONE &&
                (t == AB_TIME_NONE || v[i]->rcpts[j].confirmed > t))
                t = v[i]->rcpts[j].confirmed;
    return t;
}

/* An ISO time from the JSON rows, as people read it ("-" if none). */
static void human_json_time(json_t *iso, const char *zone, char *buf, size_t len)
{
    ab_time t;
    if (json_is_string(iso) && ab_time_parse(json_string_value(iso), &t) == AB_OK)
        ab_time_human_short(t, zone, buf, len);
    else
        snprintf(buf, len, "-");
}

static void usage(FILE *f)
{
    fprintf(f, "usage: ackbeat status [-c FILE] [--now T] [--json]\n"
               "  Show every check's status, last and next run, and open alerts.\n"
               "  Exit 1 if any check is not Healthy.\n");
}

int cmd_status(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, 0, 'c'},
                                          {"now", required_argument, 0, 'n'},
                                          {"json", no_argument, 0, 'j'},
                                          {"help", no_argument, 0, 'h'},
                                          {0, 0, 0, 0}};
    struct cli_opts o = {.config = cli_default_config()};
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'c': o.config = optarg; break;
        case 'n': o.now_arg = optarg; break;
        case 'j': o.json = 1; break;
        case 'h': usage(stdout); return EXIT_OK;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    ab_time now;
    if (optind < argc || cli_now(&o, &now) < 0) {
        usage(stderr);
        return EXIT_USAGE;
    }
    cfg *c = cli_load_config(o.config);
    if (!c)
        return EXIT_USAGE;
    store *st = cli_open_store(c);
    if (!st) {
        cfg_free(c);
        return EXIT_FAIL;
    }
    json_t *checks = json_array();
    int unhealthy = 0;
    for (size_t i = 0; i < cfg_check_count(c); i++) {
        const struct cfg_check *k = cfg_check_at(c, i);
        json_t *j = json_object();
        json_object_set_new(j, "name", json_string(k->name));
        json_object_set_new(j, "kind", json_string(cfg_check_kind_name(k->kind)));
        int s = store_check_worst(st, k->name);
        json_object_set_new(j, "status", s < 0 ? json_null()
                                               : json_string(store_status_name((enum store_status)s)));
        unhealthy |= s > 0;
        struct store_run *r = NULL;
        if (store_run_last(st, k->name, &r, NULL) == AB_OK) {
            json_object_set_new(j, "last_run", cli_json_time(r->started));
            json_object_set_new(j, "execution_ms", json_integer(r->execution_ms));
            if (r->nresults && r->results[0].has_value)
                json_object_set_new(j, "value", json_real(r->results[0].value));
            if (r->nresults && r->results[0].message)
                json_object_set_new(j, "message", json_string(r->results[0].message));
            if (r->nresults && r->results[0].has_value) {
                /* For the text table: a freshness value is an age. */
                char hv[AB_HUMAN_LEN];
                if (k->kind == CFG_FRESHNESS && r->results[0].value >= 0)
                    ab_duration_human((int64_t)r->results[0].value, hv, sizeof hv);
                else
                    ab_number_human(r->results[0].value, hv, sizeof hv);
                json_object_set_new(j, "value_text", json_string(hv));
            }
            store_run_free(r);
        }
        struct store_sched_state ss;
        if (store_sched_get(st, k->name, &ss, NULL) == AB_OK)
            json_object_set_new(j, "next_run", cli_json_time(ss.next_due));
        /* Issue 12: a ping check is pinged at its token, by mail or HTTP. */
        char pa[1024];
        if (eng_ping_address(c, k, pa, sizeof pa))
            json_object_set_new(j, "ping_address", json_string(pa));
        if (eng_ping_url(c, k, pa, sizeof pa))
            json_object_set_new(j, "ping_url", json_string(pa));
        struct store_alert *a = NULL;
        if (store_alert_find_open(st, k->name, "", &a, NULL) == AB_OK) {
            json_t *ja = json_object();
            json_object_set_new(ja, "id", json_integer(a->id));
            json_object_set_new(ja, "priority", json_integer(a->priority));
            json_object_set_new(ja, "opened", cli_json_time(a->opened));
            json_object_set_new(ja, "dismissed", json_boolean(a->dismissed_at != AB_TIME_NONE));
            json_object_set_new(j, "alert", ja);
            store_alert_free(a);
        }
        /* Issue 18: a silence or a pause shows wherever the check does. */
        int64_t sid = eng_silenced(st, k, "", now);
        if (sid)
            json_object_set_new(j, "silenced_by", json_integer(sid));
        ab_time pu = AB_TIME_NONE;
        if (eng_paused(st, k->name, now, &pu)) {
            json_object_set_new(j, "paused", json_true());
            json_object_set_new(j, "paused_until", cli_json_time(pu));
        }
        json_array_append_new(checks, j);
    }
    struct store_outbox_counts oc = {0};
    int have_outbox = store_outbox_counts(st, &oc, NULL) == AB_OK;
    /* Seed 000: addresses that bounce or stopped answering. */
    int min_missed = 1000;
    for (size_t i = 0; i < cfg_check_count(c); i++)
        if (cfg_check_at(c, i)->kind == CFG_HEARTBEAT &&
            cfg_check_at(c, i)->missed_limit < min_missed)
            min_missed = cfg_check_at(c, i)->missed_limit;
    json_t *flagged = json_array();
    struct store_recipient **fr = NULL;
    size_t nfr = 0;
    struct store_cycle **cy = NULL;
    size_t ncy = 0;
    if (store_recipient_flagged(st, min_missed, &fr, &nfr, NULL) == AB_OK &&
        store_cycle_list(st, NULL, 0, 50, &cy, &ncy, NULL) == AB_OK) {
        for (size_t i = 0; i < nfr; i++) {
            /* A flag clears on any newer confirmation, a phone `ack`
             * included, before the next verdict tallies it. */
            char why[1024], reason[768];
            if (eng_recipient_flag(fr[i], min_missed, newest_confirmation(cy, ncy,
                                                                        fr[i]->address),
                                   why, sizeof why)) {
                json_t *j = json_object();
                json_object_set_new(j, "address", json_string(fr[i]->address));
                json_object_set_new(j, "missed_in_a_row", json_integer(fr[i]->missed_streak));
                json_object_set_new(j, "bounced", cli_json_time(fr[i]->bounced_at));
                if (fr[i]->bounce_detail) {
                    json_object_set_new(j, "bounce_detail", json_string(fr[i]->bounce_detail));
                    eng_bounce_reason(fr[i]->bounce_detail, fr[i]->address, NULL, reason,
                                      sizeof reason);
                    json_object_set_new(j, "bounce_reason", json_string(reason));
                }
                json_object_set_new(j, "why", json_string(why));
                json_array_append_new(flagged, j);
            }
        }
    }
    for (size_t i = 0; i < nfr; i++)
        store_recipient_free(fr[i]);
    ab_free(fr);
    store_cycle_list_free(cy, ncy);

    if (o.json) {
        json_t *root = json_object();
        json_object_set_new(root, "now", cli_json_time(now));
        json_object_set_new(root, "checks", checks);
        json_object_set_new(root, "flagged_recipients", flagged);
        flagged = NULL;
        if (have_outbox) {
            json_t *ob = json_object();
            json_object_set_new(ob, "queued", json_integer(oc.queued));
            json_object_set_new(ob, "sent", json_integer(oc.sent));
            json_object_set_new(ob, "failed", json_integer(oc.failed));
            json_object_set_new(root, "outbox", ob);
        }
        cli_json_print(root);
        json_decref(root);
    } else {
        /* For people: times in the site's zone, values in words. */
        const char *zone = cfg_global(c)->timezone;
        printf("%-24s %-10s %-9s %-28s %-28s %16s  %s\n", "CHECK", "KIND", "STATUS",
               "LAST RUN", "NEXT RUN", "VALUE", "ALERT");
        size_t i;
        json_t *j;
        json_array_foreach(checks, i, j) {
            const char *status = json_string_value(json_object_get(j, "status"));
            char last[AB_HUMAN_LEN], next[AB_HUMAN_LEN];
            human_json_time(json_object_get(j, "last_run"), zone, last, sizeof last);
            human_json_time(json_object_get(j, "next_run"), zone, next, sizeof next);
            const char *v = json_string_value(json_object_get(j, "value_text"));
            json_t *a = json_object_get(j, "alert");
            char val[AB_HUMAN_LEN] = "-", al[64] = "-";
            if (v)
                snprintf(val, sizeof val, "%s", v);
            if (a)
                snprintf(al, sizeof al, "#%lld P%lld%s",
                         (long long)json_integer_value(json_object_get(a, "id")),
                         (long long)json_integer_value(json_object_get(a, "priority")),
                         json_is_true(json_object_get(a, "dismissed")) ? " dismissed" : "");
            char extra[96] = "";
            json_t *sb = json_object_get(j, "silenced_by");
            if (json_is_true(json_object_get(j, "paused")))
                snprintf(extra, sizeof extra, " (paused)");
            else if (sb)
                snprintf(extra, sizeof extra, " (silenced by #%lld)",
                         (long long)json_integer_value(sb));
            printf("%-24s %-10s %-9s %-28s %-28s %16s  %s%s\n",
                   json_string_value(json_object_get(j, "name")),
                   json_string_value(json_object_get(j, "kind")),
                   status ? status : "-", last, next, val, al, extra);
        }
        int pings = 0;
        json_array_foreach(checks, i, j) {
            const char *pa = json_string_value(json_object_get(j, "ping_address"));
            const char *pu = json_string_value(json_object_get(j, "ping_url"));
            if (!pa && !pu)
                continue;
            if (!pings++)
                printf("\nping addresses:\n");
            printf("  %-24s", json_string_value(json_object_get(j, "name")));
            if (pa)
                printf(" mail %s", pa);
            if (pu)
                printf("%s %s", pa ? "," : "", pu);
            putchar('\n');
        }
        size_t fi;
        json_t *fj;
        if (json_array_size(flagged))
            printf("\nflagged recipients (bounced, or no confirmation %d+ cycles in a row):\n",
                   min_missed);
        json_array_foreach(flagged, fi, fj) {
            printf("  %-32s %s\n", json_string_value(json_object_get(fj, "address")),
                   json_string_value(json_object_get(fj, "why")));
        }
        if (have_outbox)
            printf("\noutbox: %lld queued, %lld sent, %lld failed\n",
                   (long long)oc.queued, (long long)oc.sent, (long long)oc.failed);
        json_decref(checks);
    }
    json_decref(flagged);
    store_close(st);
    cfg_free(c);
    return unhealthy ? EXIT_FAIL : EXIT_OK;
}
