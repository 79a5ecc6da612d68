/*
 * cmd_next.c - `ackbeat next`: when checks fire next, and why a moment
 * is allowed or not.
 *
 *   ackbeat next -c FILE [CHECK] [--now T] [--count N]
 *   ackbeat next -c FILE CHECK --explain --at T
 */
#include <errno.h>
#include <getopt.h>
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

int cmd_next(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, 0, 'c'},
                                          {"now", required_argument, 0, 'n'},
                                          {"count", required_argument, 0, 'N'},
                                          {"explain", no_argument, 0, 'x'},
                                          {"at", required_argument, 0, 'a'},
                                          {"help", no_argument, 0, 'h'},
                                          {0, 0, 0, 0}};
    struct cli_opts o = {.config = cli_default_config()};
    const char *at_arg = NULL;
    long count = 5;
    int explain = 0, ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'c': o.config = optarg; break;
        case 'n': o.now_arg = optarg; break;
        case 'x': explain = 1; break;
        case 'a': at_arg = optarg; break;
        case 'N': {
            char *end;
            errno = 0;
            count = strtol(optarg, &end, 10);
            if (errno || *end || count < 1 || count > 10000) {
                cli_err("next", "--count must be a number from 1 to 10000");
                return EXIT_USAGE;
            }
            break;
        }
        case 'h': usage(stdout); return EXIT_OK;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    ab_time now;
    if (argc - optind > 1 || cli_now(&o, &now) < 0) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *name = optind < argc ? argv[optind] : NULL;
    if (explain && (!name || !at_arg)) {
        cli_err("next", "--explain needs a CHECK and --at T");
        return EXIT_USAGE;
    }
    cfg *c = cli_load_config(o.config);
    if (!c)
        return EXIT_USAGE;
    int rc = EXIT_OK;
    const struct cfg_check *k = name ? cfg_check_find(c, name) : NULL;
    if (name && !k) {
        cli_err("next", "no check named \"%s\" in %s", name, o.config);
        rc = EXIT_USAGE;
    } else if (explain) {
        ab_time at;
        if (ab_time_parse(at_arg, &at) != AB_OK) {
            cli_err("next", "--at \"%s\" is not an ISO 8601 time", at_arg);
            rc = EXIT_USAGE;
        } else {
            char buf[64], why[512] = "";
            int held = cfg_in_maintenance(c, k, at, why, sizeof why);
            if (!k->schedule) {
                printf("%s at %s: %s: no schedule (runs on every tick)%s%s\n", k->name, at_arg,
                       held ? "blocked" : "allowed", held ? "; " : "", held ? why : "");
            } else {
                struct sched_why w;
                int ok = sched_allowed(k->schedule, at, &w);
                printf("%s at %s: %s%s%s\n", k->name,
                       sched_format_local(k->schedule, at, buf, sizeof buf), w.text,
                       held ? "; but blocked by " : "", held ? why : "");
                if (!ok || held)
                    rc = EXIT_FAIL;
            }
            if (held && !k->schedule)
                rc = EXIT_FAIL;
        }
    } else if (k) {
        list_one(c, k, now, count);
    } else {
        for (size_t i = 0; i < cfg_check_count(c); i++)
            list_one(c, cfg_check_at(c, i), now, count);
    }
    cfg_free(c);
    return rc;
}
