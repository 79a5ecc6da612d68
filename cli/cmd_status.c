/*
 * cmd_status.c - `ackbeat status`: every check with its status, last run,
 * next run, last value and open alert; then the outbox, and the nodes on
 * the state (issue 16).  --json for tools.
 * What it shows is the engine's view of each check (engine/eng_view*.c),
 * the one the pages and the API show too; this file only formats it.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "common/ab_mem.h"
#include "engine/eng.h"

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

/* The newest run's part of a check's row: when, how long, its value. */
static void add_last_run(json_t *j, const struct cfg_check *k, const struct store_run *r)
{
    json_object_set_new(j, "last_run", cli_json_time(r->started));
    json_object_set_new(j, "execution_ms", json_integer(r->execution_ms));
    const struct ab_result *x = r->nresults ? &r->results[0] : NULL;
    if (x && x->has_value)
        json_object_set_new(j, "value", json_real(x->value));
    if (x && x->message)
        json_object_set_new(j, "message", json_string(x->message));
    if (x && x->has_value) {
        /* For the text table: a freshness value is an age. */
        char hv[AB_HUMAN_LEN];
        if (k->kind == CFG_FRESHNESS && x->value >= 0)
            ab_duration_human((int64_t)x->value, hv, sizeof hv);
        else
            ab_number_human(x->value, hv, sizeof hv);
        json_object_set_new(j, "value_text", json_string(hv));
    }
}

/* One check as `status --json` shows it. */
static json_t *check_json(eng *e, const cfg *c, const struct cfg_check *k, ab_time now,
                          int *unhealthy)
{
    struct eng_check_view v;
    eng_view_check(e, k, now, &v);
    json_t *j = json_object();
    json_object_set_new(j, "name", json_string(k->name));
    json_object_set_new(j, "kind", json_string(cfg_check_kind_name(k->kind)));
    json_object_set_new(
        j, "status", v.status < 0 ? json_null() : json_string(eng_status_name(v.status)));
    *unhealthy |= v.status > 0;
    if (v.last)
        add_last_run(j, k, v.last);
    if (v.has_sched)
        json_object_set_new(j, "next_run", cli_json_time(v.next_run));
    /* Issue 12: a ping check is pinged at its token, by mail or HTTP. */
    char pa[1024];
    if (eng_ping_address(c, k, pa, sizeof pa))
        json_object_set_new(j, "ping_address", json_string(pa));
    if (eng_ping_url(c, k, pa, sizeof pa))
        json_object_set_new(j, "ping_url", json_string(pa));
    if (v.alert) {
        json_t *ja = json_object();
        json_object_set_new(ja, "id", json_integer(v.alert->id));
        json_object_set_new(ja, "priority", json_integer(v.alert->priority));
        json_object_set_new(ja, "opened", cli_json_time(v.alert->opened));
        json_object_set_new(ja, "dismissed",
                            json_boolean(v.alert->dismissed_at != AB_TIME_NONE));
        json_object_set_new(j, "alert", ja);
    }
    /* Issue 18: a silence or a pause shows wherever the check does. */
    if (v.silenced_by)
        json_object_set_new(j, "silenced_by", json_integer(v.silenced_by));
    if (v.paused) {
        json_object_set_new(j, "paused", json_true());
        json_object_set_new(j, "paused_until", cli_json_time(v.paused_until));
    }
    eng_view_check_free(&v);
    return j;
}

/* Seed 000: addresses that bounce or stopped answering. */
static json_t *flagged_json(const struct eng_flagged_view *f)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < f->n; i++) {
        const struct eng_flagged *x = &f->v[i];
        json_t *j = json_object();
        json_object_set_new(j, "address", json_string(x->address));
        json_object_set_new(j, "missed_in_a_row", json_integer(x->missed_in_a_row));
        json_object_set_new(j, "bounced", cli_json_time(x->bounced));
        if (x->bounce_detail) {
            json_object_set_new(j, "bounce_detail", json_string(x->bounce_detail));
            json_object_set_new(j, "bounce_reason", json_string(x->bounce_reason));
        }
        json_object_set_new(j, "why", json_string(x->why));
        json_array_append_new(arr, j);
    }
    return arr;
}

/* One row of the table, from the check's JSON. */
static void print_row(json_t *j, const char *zone)
{
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
           json_string_value(json_object_get(j, "kind")), status ? status : "-", last,
           next, val, al, extra);
}

/* Where ping checks are pinged, after the table. */
static void print_pings(json_t *checks)
{
    int pings = 0;
    size_t i;
    json_t *j;
    json_array_foreach(checks, i, j)
    {
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
}

/* For people: times in the site's zone, values in words. */
static void print_text(json_t *checks, json_t *flagged, int min_missed,
                       const struct store_outbox_counts *oc, const char *zone)
{
    printf("%-24s %-10s %-9s %-28s %-28s %16s  %s\n", "CHECK", "KIND", "STATUS",
           "LAST RUN", "NEXT RUN", "VALUE", "ALERT");
    size_t i;
    json_t *j;
    json_array_foreach(checks, i, j)
    {
        print_row(j, zone);
    }
    print_pings(checks);
    if (json_array_size(flagged))
        printf(
            "\nflagged recipients (bounced, or no confirmation %d+ cycles in a row):\n",
            min_missed);
    json_array_foreach(flagged, i, j)
    {
        printf("  %-32s %s\n", json_string_value(json_object_get(j, "address")),
               json_string_value(json_object_get(j, "why")));
    }
    if (oc)
        printf("\noutbox: %lld queued, %lld sent, %lld failed\n", (long long)oc->queued,
               (long long)oc->sent, (long long)oc->failed);
}

/* The nodes on the state seen lately (issue 16; eng_node_current), one
 * object each, and how many older ones were left out in *older. */
static json_t *nodes_json(eng *e, const cfg *c, ab_time now, size_t *older)
{
    json_t *arr = json_array();
    struct eng_nodes_view v;
    *older = 0;
    if (eng_view_nodes(e, now, &v, NULL) != AB_OK) {
        eng_view_nodes_free(&v);
        return arr;
    }
    for (size_t i = 0; i < v.n; i++) {
        const struct store_node *x = &v.v[i];
        if (!eng_node_current(c, x, now)) {
            (*older)++;
            continue;
        }
        char seen[AB_HUMAN_LEN * 2], holds[128];
        json_t *j = json_object();
        json_object_set_new(j, "name", json_string(x->name));
        json_object_set_new(j, "last_seen", cli_json_time(x->last_seen));
        json_object_set_new(
            j, "seen", json_string(eng_node_seen_words(c, x, now, seen, sizeof seen)));
        json_object_set_new(j, "started", cli_json_time(x->started));
        if (x->pid)
            json_object_set_new(j, "pid", json_integer(x->pid));
        if (x->version)
            json_object_set_new(j, "version", json_string(x->version));
        json_object_set_new(j, "holds",
                            json_string(eng_node_holds_words(x, holds, sizeof holds)));
        json_object_set_new(j, "leader", json_boolean(x->leader));
        json_object_set_new(j, "claims_in_flight", json_integer(x->in_flight));
        json_array_append_new(arr, j);
    }
    eng_view_nodes_free(&v);
    return arr;
}

/* One line per node: its name, when it was last seen, what it holds. */
static void print_nodes(json_t *nodes, size_t older)
{
    if (!json_array_size(nodes) && !older)
        return;
    printf("\nnodes:\n");
    size_t i;
    json_t *j;
    json_array_foreach(nodes, i, j)
    {
        printf("  %-32s last seen %-48s %s\n",
               json_string_value(json_object_get(j, "name")),
               json_string_value(json_object_get(j, "seen")),
               json_string_value(json_object_get(j, "holds")));
    }
    if (older)
        printf("  and %zu more not seen lately\n", older);
}

static json_t *outbox_json(const struct store_outbox_counts *oc)
{
    json_t *ob = json_object();
    json_object_set_new(ob, "queued", json_integer(oc->queued));
    json_object_set_new(ob, "sent", json_integer(oc->sent));
    json_object_set_new(ob, "failed", json_integer(oc->failed));
    return ob;
}

int cmd_status(int argc, char **argv)
{
    const struct cli_spec sp = {.cmd = "status",
                                .shared = CLI_OPT_CONFIG | CLI_OPT_NOW | CLI_OPT_JSON,
                                .usage = usage};
    struct cli_opts o;
    int rc = cli_opts_parse(argc, argv, &sp, &o);
    if (rc != CLI_GO_ON)
        return rc;
    ab_time now;
    if (o.argi < argc || cli_now(&o, &now) < 0) {
        usage(stderr);
        return EXIT_USAGE;
    }
    cfg *c = cli_load_config(o.config);
    if (!c)
        return EXIT_USAGE;
    eng *e = cli_open_view(c);
    if (!e) {
        cfg_free(c);
        return EXIT_FAIL;
    }
    json_t *checks = json_array();
    int unhealthy = 0;
    for (size_t i = 0; i < cfg_check_count(c); i++)
        json_array_append_new(checks,
                              check_json(e, c, cfg_check_at(c, i), now, &unhealthy));
    struct store_outbox_counts oc = {0};
    int have_outbox = eng_view_outbox_counts(e, &oc, NULL) == AB_OK;
    struct eng_flagged_view fv;
    eng_view_flagged(e, &fv);
    json_t *flagged = flagged_json(&fv);
    size_t older = 0;
    json_t *nodes = nodes_json(e, c, now, &older);
    if (o.json) {
        json_t *root = json_object();
        json_object_set_new(root, "now", cli_json_time(now));
        json_object_set_new(root, "checks", checks);
        json_object_set_new(root, "flagged_recipients", flagged);
        if (have_outbox)
            json_object_set_new(root, "outbox", outbox_json(&oc));
        json_object_set_new(root, "nodes", nodes);
        json_object_set_new(root, "older_nodes", json_integer((json_int_t)older));
        cli_json_print(root);
        json_decref(root);
    } else {
        print_text(checks, flagged, fv.min_missed, have_outbox ? &oc : NULL,
                   cfg_global(c)->timezone);
        print_nodes(nodes, older);
        json_decref(nodes);
        json_decref(checks);
        json_decref(flagged);
    }
    eng_view_flagged_free(&fv);
    eng_free(e);
    cfg_free(c);
    return unhealthy ? EXIT_FAIL : EXIT_OK;
}
