/*
 * cmd_alerts.c - the alert inbox from the command line:
 *   ackbeat alerts [--all] [--json]        open alerts by priority, with age
 *   ackbeat dismiss ALERT --by PERSON [--note TEXT] [--until T]
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "common/ab_mem.h"
#include "engine/eng.h"

/* One alert for people: in the site's zone, durations in words, and
 * who dismissed it, until when and why.
 *   #12   P2 Failing  orders-fresh  open 3 days 4 hours, since Sun 1 Dec 2026 06:00 CST
 *         last notice Mon 2 Dec 2026 06:00 CST (3 sent)
 *         dismissed by bo@example.org on ..., until ...: Dana is on leave */
static void print_alert(const cfg *c, const struct store_alert *a, ab_time now)
{
    const char *zone = cfg_global(c)->timezone;
    char age[64], since[64], t[64], t2[64];
    ab_duration_human(((a->resolved != AB_TIME_NONE ? a->resolved : now) - a->opened) / 60 * 60,
                      age, sizeof age);
    ab_time_human_short(a->opened, zone, since, sizeof since);
    printf("#%-5lld P%d %-8s %-24s %s %s, since %s%s\n", (long long)a->id, a->priority,
           eng_status_name(a->status), a->check,
           a->resolved != AB_TIME_NONE ? "was open" : "open", age, since,
           a->held_by ? "  (held)" : "");
    if (a->last_notified != AB_TIME_NONE)
        printf("       last notice %s (%d sent)\n",
               ab_time_human_short(a->last_notified, zone, t, sizeof t), a->notify_count);
    else
        printf("       no notice sent yet\n");
    if (a->resolved != AB_TIME_NONE)
        printf("       resolved %s\n", ab_time_human_short(a->resolved, zone, t, sizeof t));
    if (a->dismissed_at != AB_TIME_NONE) {
        printf("       %s by %s on %s", a->dismissed_until != AB_TIME_NONE ? "snoozed" : "dismissed",
               a->dismissed_by ? a->dismissed_by : "?",
               ab_time_human_short(a->dismissed_at, zone, t, sizeof t));
        if (a->dismissed_until != AB_TIME_NONE)
            printf(", until %s", ab_time_human_short(a->dismissed_until, zone, t2, sizeof t2));
        if (a->dismiss_note && *a->dismiss_note)
            printf(": %s", a->dismiss_note);
        printf("\n");
    }
    if (a->message)
        printf("       %s\n", a->message);
}

/* One alert as `alerts --json` shows it. */
static json_t *alert_json(const struct store_alert *a, ab_time now)
{
    json_t *j = json_object();
    json_object_set_new(j, "id", json_integer(a->id));
    json_object_set_new(j, "check", json_string(a->check));
    json_object_set_new(j, "item", json_string(a->item));
    json_object_set_new(j, "kind", json_string(a->kind));
    json_object_set_new(j, "priority", json_integer(a->priority));
    json_object_set_new(j, "status", json_string(eng_status_name(a->status)));
    json_object_set_new(j, "message", a->message ? json_string(a->message) : json_null());
    json_object_set_new(j, "opened", cli_json_time(a->opened));
    json_object_set_new(j, "age_seconds", json_integer(now - a->opened));
    json_object_set_new(j, "last_notified", cli_json_time(a->last_notified));
    json_object_set_new(j, "notify_count", json_integer(a->notify_count));
    json_object_set_new(j, "level", json_integer(a->level));
    json_object_set_new(j, "resolved", cli_json_time(a->resolved));
    json_object_set_new(j, "dismissed_at", cli_json_time(a->dismissed_at));
    json_object_set_new(j, "dismissed_by",
                        a->dismissed_by ? json_string(a->dismissed_by) : json_null());
    json_object_set_new(j, "dismissed_until", cli_json_time(a->dismissed_until));
    json_object_set_new(j, "dismiss_note",
                        a->dismiss_note ? json_string(a->dismiss_note) : json_null());
    json_object_set_new(j, "held_by", a->held_by ? json_string(a->held_by) : json_null());
    return j;
}

int cmd_alerts(int argc, char **argv)
{
    static const struct option own[] = {{"all", no_argument, 0, 256}, {0, 0, 0, 0}};
    int all = 0;
    const struct cli_spec sp = {
        .cmd = "alerts",
        .shared = CLI_OPT_CONFIG | CLI_OPT_NOW | CLI_OPT_JSON,
        .own = own,
        .fn = cli_opts_flag,
        .ud = &all,
        .help = "usage: ackbeat alerts [-c FILE] [--all] [--json]\n"
                "  Open alerts by priority with age, last notification and\n"
                "  dismissal; --all adds resolved ones.\n",
        .quiet_usage = 1,
    };
    struct cli_opts o;
    int prc = cli_opts_parse(argc, argv, &sp, &o);
    if (prc != CLI_GO_ON)
        return prc;
    ab_time now;
    if (o.argi < argc || cli_now(&o, &now) < 0)
        return EXIT_USAGE;
    cfg *c = cli_load_config(o.config);
    if (!c)
        return EXIT_USAGE;
    eng *e = cli_open_view(c);
    if (!e) {
        cfg_free(c);
        return EXIT_FAIL;
    }
    struct store_alert **v = NULL;
    size_t n = 0;
    ab_errmsg em = {{0}};
    int rc = EXIT_OK;
    if (eng_view_alerts(e, all, 0, &v, &n, &em) != AB_OK) {
        cli_err("alerts", "%s", em.text);
        rc = EXIT_FAIL;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        if (o.json)
            json_array_append_new(arr, alert_json(v[i], now));
        else
            print_alert(c, v[i], now);
    }
    eng_view_alerts_free(v, n);
    if (o.json) {
        cli_json_print(arr);
    } else if (n == 0 && rc == EXIT_OK) {
        printf("no %salerts\n", all ? "" : "open ");
    }
    json_decref(arr);
    eng_free(e);
    cfg_free(c);
    return rc;
}

/* dismiss's own options, by their index in its table. */
struct dismiss_args {
    const char *by, *note, *until;
};

static int dismiss_opt(void *ud, int key, const char *arg)
{
    struct dismiss_args *a = ud;
    if (key == 256)
        a->by = arg;
    else if (key == 257)
        a->note = arg;
    else
        a->until = arg;
    return CLI_GO_ON;
}

int cmd_dismiss(int argc, char **argv)
{
    static const struct option own[] = {{"by", required_argument, 0, 256},
                                        {"note", required_argument, 0, 257},
                                        {"until", required_argument, 0, 258},
                                        {0, 0, 0, 0}};
    struct dismiss_args da = {0};
    const struct cli_spec sp = {
        .cmd = "dismiss",
        .shared = CLI_OPT_CONFIG | CLI_OPT_NOW,
        .own = own,
        .fn = dismiss_opt,
        .ud = &da,
        .help = "usage: ackbeat dismiss [-c FILE] ALERT --by PERSON [--note TEXT]\n"
                "                       [--until T]\n"
                "  Stop notifications for an alert (seed 001: Dismissed Date and\n"
                "  Dismissed By Person); --until T (a time or a duration such as\n"
                "  2d) snoozes it instead.  It re-opens if the status gets worse.\n",
        .quiet_usage = 1,
    };
    struct cli_opts o;
    int prc = cli_opts_parse(argc, argv, &sp, &o);
    if (prc != CLI_GO_ON)
        return prc;
    const char *by = da.by, *note = da.note, *until_arg = da.until;
    int argi = o.argi;
    ab_time now;
    if (argi != argc - 1 || !by || cli_now(&o, &now) < 0) {
        cli_err("dismiss", "usage: ackbeat dismiss [-c FILE] ALERT --by PERSON "
                           "[--note TEXT] [--until T]");
        return EXIT_USAGE;
    }
    char *end;
    errno = 0;
    long long id = strtoll(argv[argi], &end, 10);
    if (errno || *end || id <= 0) {
        cli_err("dismiss", "\"%s\" is not an alert number", argv[argi]);
        return EXIT_USAGE;
    }
    ab_time until = AB_TIME_NONE;
    if (until_arg) {
        int64_t d;
        if (ab_duration_parse(until_arg, &d) == AB_OK)
            until = now + d;
        else if (ab_time_parse(until_arg, &until) != AB_OK) {
            cli_err("dismiss", "--until \"%s\" is neither a time nor a duration",
                    until_arg);
            return EXIT_USAGE;
        }
    }
    struct cli_env env;
    int rc = cli_env_open(o.config, &env);
    if (rc)
        return rc;
    ab_errmsg em = {{0}};
    enum ab_err err = eng_dismiss(env.e, id, by, note, until, now, &em);
    if (err) {
        cli_err("dismiss", "%s", em.text);
        rc = err == AB_ENOTFOUND || err == AB_EINVAL ? EXIT_USAGE : EXIT_FAIL;
    } else {
        char t[64];
        if (until != AB_TIME_NONE)
            printf("alert %lld snoozed by %s until %s\n", id, by,
                   ab_time_human(until, cfg_global(env.c)->timezone, t, sizeof t));
        else
            printf("alert %lld dismissed by %s\n", id, by);
    }
    cli_env_close(&env);
    return rc;
}
