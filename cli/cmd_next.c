/*
 * cmd_next.c - `ackbeat next`: when checks fire next, and why a moment
 * is allowed or not.
 *
 *   ackbeat next -c FILE [CHECK] [--now T] [--count N]
 *   ackbeat next -c FILE CHECK --explain --at T
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: ackbeat next [-c FILE] [CHECK] [--now T] [--count N]\n"
               "       ackbeat next [-c FILE] CHECK --explain --at T\n"
               "  List the next fire times (local time with UTC offset), or say\n"
               "  whether T is allowed and which provision, exclusion or\n"
               "  maintenance event decided it.\n");
}

static void list_one(const cfg *c, const struct cfg_check *k, ab_time now, long count)
{
    char buf[64];
    printf("%s", k->name);
    if (!k->schedule) {
        printf(": no schedule: every tick (%llds)\n", (long long)cfg_global(c)->tick);
        return;
    }
    printf(" (schedule %s, zone %s)", k->schedule_name, sched_zone_name(k->schedule));
    if (sched_rule_kind(k->schedule) == SCHED_RULE_NONE) {
        ab_time t;
        if (sched_next_allowed(k->schedule, now, &t) == AB_OK)
            printf(": every tick while its window allows; next allowed %s\n",
                   sched_format_local(k->schedule, t, buf, sizeof buf));
        else
            printf(": every tick while its window allows; never allowed again\n");
        return;
    }
    putchar('\n');
    ab_time t = now;
    for (long i = 0; i < count; i++) {
        ab_time next;
        enum ab_err e = sched_next(k->schedule, t, &next);
        if (e) {
            printf("  (no further fire time within 5 years)\n");
            break;
        }
        char why[256] = "";
        int held = cfg_in_maintenance(c, k, next, why, sizeof why);
        printf("  %s%s%s\n", sched_format_local(k->schedule, next, buf, sizeof buf),
               held ? "  held: " : "", held ? why : "");
        t = next;
    }
}

/* What next takes besides the shared options. */
struct next_args {
    const char *at_arg; /* --at T */
    long count;         /* --count N */
    int explain;        /* --explain */
};

static int own_opt(void *ud, int key, const char *arg)
{
    struct next_args *a = ud;
    switch (key) {
    case 'x': a->explain = 1; return CLI_GO_ON;
    case 'a': a->at_arg = arg; return CLI_GO_ON;
    default: {
        char *end;
        errno = 0;
        a->count = strtol(arg, &end, 10);
        if (errno || *end || a->count < 1 || a->count > 10000) {
            cli_err("next", "--count must be a number from 1 to 10000");
            return EXIT_USAGE;
        }
        return CLI_GO_ON;
    }
    }
}

/* --explain: is at_arg allowed for k, and what decided it.  Returns the
 * exit code: 1 when it is not allowed or held by maintenance. */
static int explain_one(const cfg *c, const struct cfg_check *k, const char *at_arg)
{
    ab_time at;
    if (ab_time_parse(at_arg, &at) != AB_OK) {
        cli_err("next", "--at \"%s\" is not an ISO 8601 time", at_arg);
        return EXIT_USAGE;
    }
    char buf[64], why[512] = "";
    int held = cfg_in_maintenance(c, k, at, why, sizeof why);
    if (!k->schedule) {
        printf("%s at %s: %s: no schedule (runs on every tick)%s%s\n", k->name, at_arg,
               held ? "blocked" : "allowed", held ? "; " : "", held ? why : "");
        return held ? EXIT_FAIL : EXIT_OK;
    }
    struct sched_why w;
    int ok = sched_allowed(k->schedule, at, &w);
    printf("%s at %s: %s%s%s\n", k->name,
           sched_format_local(k->schedule, at, buf, sizeof buf), w.text,
           held ? "; but blocked by " : "", held ? why : "");
    return !ok || held ? EXIT_FAIL : EXIT_OK;
}

int cmd_next(int argc, char **argv)
{
    static const struct option own[] = {{"count", required_argument, 0, 'N'},
                                        {"explain", no_argument, 0, 'x'},
                                        {"at", required_argument, 0, 'a'},
                                        {0, 0, 0, 0}};
    struct next_args a = {.count = 5};
    const struct cli_spec sp = {.cmd = "next",
                                .shared = CLI_OPT_CONFIG | CLI_OPT_NOW,
                                .own = own,
                                .fn = own_opt,
                                .ud = &a,
                                .usage = usage};
    struct cli_opts o;
    int rc = cli_opts_parse(argc, argv, &sp, &o);
    if (rc != CLI_GO_ON)
        return rc;
    ab_time now;
    if (argc - o.argi > 1 || cli_now(&o, &now) < 0) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *name = o.argi < argc ? argv[o.argi] : NULL;
    if (a.explain && (!name || !a.at_arg)) {
        cli_err("next", "--explain needs a CHECK and --at T");
        return EXIT_USAGE;
    }
    cfg *c = cli_load_config(o.config);
    if (!c)
        return EXIT_USAGE;
    rc = EXIT_OK;
    const struct cfg_check *k = name ? cfg_check_find(c, name) : NULL;
    if (name && !k) {
        cli_err("next", "no check named \"%s\" in %s", name, o.config);
        rc = EXIT_USAGE;
    } else if (a.explain) {
        rc = explain_one(c, k, a.at_arg);
    } else if (k) {
        list_one(c, k, now, a.count);
    } else {
        for (size_t i = 0; i < cfg_check_count(c); i++)
            list_one(c, cfg_check_at(c, i), now, a.count);
    }
    cfg_free(c);
    return rc;
}
