/*
 * cmd_checks.c - the commands about one check's runs:
 *   ackbeat run-check NAME   run it now, record it, print the result
 *   ackbeat history NAME     list its past runs
 *   ackbeat report CHECK     a target reports its own result (seed 001)
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "common/ab_mem.h"
#include "engine/eng.h"

static void print_results(const struct ab_result *r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        printf("  %-16s %-8s", r[i].item && *r[i].item ? r[i].item : "(check)",
               eng_status_name(r[i].status));
        if (r[i].has_value)
            printf(" value=%g", r[i].value);
        if (r[i].message)
            printf("  %s", r[i].message);
        putchar('\n');
    }
}

int cmd_run_check(int argc, char **argv)
{
    const struct cli_spec sp = {
        .cmd = "run-check",
        .shared = CLI_OPT_CONFIG | CLI_OPT_NOW,
        .help = "usage: ackbeat run-check [-c FILE] [--now T] NAME\n"
                "  Run one check now, record the run, evaluate alerts, print the\n"
                "  result.  Exit 0 if Healthy, 1 otherwise.\n",
        .quiet_usage = 1,
    };
    struct cli_opts o;
    int rc = cli_opts_parse(argc, argv, &sp, &o);
    if (rc != CLI_GO_ON)
        return rc;
    ab_time now;
    if (o.argi != argc - 1 || cli_now(&o, &now) < 0) {
        cli_err("run-check", "usage: ackbeat run-check [-c FILE] [--now T] NAME");
        return EXIT_USAGE;
    }
    const char *name = argv[o.argi];
    struct cli_env env;
    rc = cli_env_open(o.config, &env);
    if (rc)
        return rc;
    struct chk_outcome *out = NULL;
    int64_t run_id = 0;
    ab_errmsg em = {{0}};
    enum ab_err err = eng_run_check(env.e, name, now, &out, &run_id, &em);
    if (err) {
        cli_err("run-check", "%s", em.text);
        rc = err == AB_ENOTFOUND || err == AB_EINVAL ? EXIT_USAGE : EXIT_FAIL;
    } else {
        printf("%s: %s (run %lld, %lld ms)\n", name, eng_status_name(out->status),
               (long long)run_id, (long long)out->execution_ms);
        print_results(out->results, out->nresults);
        if (out->remedy_note)
            printf("  %s\n", out->remedy_note);
        rc = out->status == AB_HEALTHY ? EXIT_OK : EXIT_FAIL;
        chk_outcome_free(out);
    }
    cli_env_close(&env);
    return rc;
}

static int history_opt(void *ud, int key, const char *arg)
{
    (void)key;
    char *end;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (errno || *end || v < 1 || v > 100000) {
        cli_err("history", "--limit must be a number from 1 to 100000");
        return EXIT_USAGE;
    }
    *(long *)ud = v;
    return CLI_GO_ON;
}

int cmd_history(int argc, char **argv)
{
    static const struct option own[] = {{"limit", required_argument, 0, 256},
                                        {0, 0, 0, 0}};
    long limit = 20;
    const struct cli_spec sp = {.cmd = "history",
                                .shared = CLI_OPT_CONFIG,
                                .own = own,
                                .fn = history_opt,
                                .ud = &limit,
                                .help =
                                    "usage: ackbeat history [-c FILE] [--limit N] NAME\n"
                                    "  List the check's past runs, newest first.\n",
                                .quiet_usage = 1};
    struct cli_opts o;
    int prc = cli_opts_parse(argc, argv, &sp, &o);
    if (prc != CLI_GO_ON)
        return prc;
    const char *config = o.config;
    int argi = o.argi;
    if (argi != argc - 1) {
        cli_err("history", "usage: ackbeat history [-c FILE] [--limit N] NAME");
        return EXIT_USAGE;
    }
    cfg *c = cli_load_config(config);
    if (!c)
        return EXIT_USAGE;
    if (!cfg_check_find(c, argv[argi])) {
        cli_err("history", "no check named \"%s\" in %s", argv[argi], config);
        cfg_free(c);
        return EXIT_USAGE;
    }
    eng *e = cli_open_view(c);
    int rc = EXIT_FAIL;
    if (e) {
        struct store_run **v = NULL;
        size_t n = 0;
        ab_errmsg em = {{0}};
        if (eng_view_runs(e, argv[argi], (size_t)limit, &v, &n, &em) == AB_OK) {
            for (size_t i = 0; i < n; i++) {
                char t[AB_ISO_LEN];
                printf("run %lld  %s  %-11s %-8s %-9s %6lld ms%s\n", (long long)v[i]->id,
                       ab_time_format(v[i]->started, t, sizeof t), v[i]->type,
                       v[i]->complete ? "Complete" : "Pending", v[i]->trigger,
                       (long long)v[i]->execution_ms, v[i]->from_cache ? " (cache)" : "");
                print_results(v[i]->results, v[i]->nresults);
                if (v[i]->remedy_note)
                    printf("  %s\n", v[i]->remedy_note);
            }
            eng_view_runs_free(v, n);
            rc = EXIT_OK;
        } else {
            cli_err("history", "%s", em.text);
        }
        eng_free(e);
    }
    cfg_free(c);
    return rc;
}

/* report's own options. */
struct report_args {
    const char *status, *item, *message;
    double value;
    int has_value;
};

static int report_opt(void *ud, int key, const char *arg)
{
    struct report_args *a = ud;
    char *end;
    switch (key) {
    case 256: a->status = arg; break;
    case 257: a->item = arg; break;
    case 258: a->message = arg; break;
    default:
        a->value = strtod(arg, &end);
        if (end == arg || *end) {
            cli_err("report", "--value \"%s\" is not a number", arg);
            return EXIT_USAGE;
        }
        a->has_value = 1;
    }
    return CLI_GO_ON;
}

int cmd_report(int argc, char **argv)
{
    static const struct option own[] = {{"status", required_argument, 0, 256},
                                        {"item", required_argument, 0, 257},
                                        {"message", required_argument, 0, 258},
                                        {"value", required_argument, 0, 259},
                                        {0, 0, 0, 0}};
    struct report_args ra = {.item = ""};
    const struct cli_spec sp = {
        .cmd = "report",
        .shared = CLI_OPT_CONFIG | CLI_OPT_NOW,
        .own = own,
        .fn = report_opt,
        .ud = &ra,
        .help = "usage: ackbeat report [-c FILE] [--now T] CHECK --status S\n"
                "                      [--item NAME] [--value V] [--message M]\n"
                "  Record a result a target reports for itself; S is Healthy,\n"
                "  Degraded, Failing or Offline.\n",
        .quiet_usage = 1,
    };
    struct cli_opts o;
    int prc = cli_opts_parse(argc, argv, &sp, &o);
    if (prc != CLI_GO_ON)
        return prc;
    const char *status = ra.status, *item = ra.item, *message = ra.message;
    double value = ra.value;
    int has_value = ra.has_value, argi = o.argi;
    ab_time now;
    int s = status ? eng_status_parse(status) : -1;
    if (argi != argc - 1 || s < 0 || cli_now(&o, &now) < 0) {
        cli_err("report", s < 0 && status ? "--status must be Healthy, Degraded, "
                                            "Failing or Offline"
                                          : "usage: ackbeat report [-c FILE] CHECK "
                                            "--status S [--item N] [--value V] "
                                            "[--message M]");
        return EXIT_USAGE;
    }
    struct cli_env env;
    int rc = cli_env_open(o.config, &env);
    if (rc)
        return rc;
    ab_errmsg em = {{0}};
    enum ab_err err = eng_report(env.e, argv[argi], item, (enum ab_status)s, has_value,
                                 value, message, now, &em);
    if (err) {
        cli_err("report", "%s", em.text);
        rc = err == AB_ENOTFOUND || err == AB_EINVAL ? EXIT_USAGE : EXIT_FAIL;
    } else {
        printf("%s: recorded %s\n", argv[argi], eng_status_name(s));
    }
    cli_env_close(&env);
    return rc;
}
