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

static void print_results(const struct store_result *r, size_t n)
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
    static const struct option opts[] = {{"config", required_argument, 0, 'c'},
                                          {"now", required_argument, 0, 'n'},
                                          {"help", no_argument, 0, 'h'},
                                          {0, 0, 0, 0}};
    struct cli_opts o = {.config = cli_default_config()};
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'c': o.config = optarg; break;
        case 'n': o.now_arg = optarg; break;
        case 'h':
            printf("usage: ackbeat run-check [-c FILE] [--now T] NAME\n"
                   "  Run one check now, record the run, evaluate alerts, print the\n"
                   "  result.  Exit 0 if Healthy, 1 otherwise.\n");
            return EXIT_OK;
        default: return EXIT_USAGE;
        }
    }
    ab_time now;
    if (optind != argc - 1 || cli_now(&o, &now) < 0) {
        cli_err("run-check", "usage: ackbeat run-check [-c FILE] [--now T] NAME");
        return EXIT_USAGE;
    }
    struct cli_env env;
    int rc = cli_env_open(o.config, &env);
    if (rc)
        return rc;
    struct chk_outcome *out = NULL;
    int64_t run_id = 0;
    ab_errmsg em = {{0}};
    enum ab_err err = eng_run_check(env.e, argv[optind], now, &out, &run_id, &em);
    if (err) {
        cli_err("run-check", "%s", em.text);
        rc = err == AB_ENOTFOUND || err == AB_EINVAL ? EXIT_USAGE : EXIT_FAIL;
    } else {
        printf("%s: %s (run %lld, %lld ms)\n", argv[optind],
               eng_status_name(out->status), (long long)run_id,
               (long long)out->execution_ms);
        print_results(out->results, out->nresults);
        if (out->remedy_note)
            printf("  %s\n", out->remedy_note);
        rc = out->status == STORE_HEALTHY ? EXIT_OK : EXIT_FAIL;
        chk_outcome_free(out);
    }
    cli_env_close(&env);
    return rc;
}

int cmd_history(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, 0, 'c'},
                                          {"limit", required_argument, 0, 'l'},
                                          {"help", no_argument, 0, 'h'},
                                          {0, 0, 0, 0}};
    const char *config = cli_default_config();
    long limit = 20;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'c': config = optarg; break;
        case 'l': {
            char *end;
            errno = 0;
            limit = strtol(optarg, &end, 10);
            if (errno || *end || limit < 1 || limit > 100000) {
                cli_err("history", "--limit must be a number from 1 to 100000");
                return EXIT_USAGE;
            }
            break;
        }
        case 'h':
            printf("usage: ackbeat history [-c FILE] [--limit N] NAME\n"
                   "  List the check's past runs, newest first.\n");
            return EXIT_OK;
        default: return EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        cli_err("history", "usage: ackbeat history [-c FILE] [--limit N] NAME");
        return EXIT_USAGE;
    }
    cfg *c = cli_load_config(config);
    if (!c)
        return EXIT_USAGE;
    if (!cfg_check_find(c, argv[optind])) {
        cli_err("history", "no check named \"%s\" in %s", argv[optind], config);
        cfg_free(c);
        return EXIT_USAGE;
    }
    eng *e = cli_open_view(c);
    int rc = EXIT_FAIL;
    if (e) {
        struct store_run **v = NULL;
        size_t n = 0;
        ab_errmsg em = {{0}};
        if (eng_view_runs(e, argv[optind], (size_t)limit, &v, &n, &em) == AB_OK) {
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

int cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, 0, 'c'},
                                          {"now", required_argument, 0, 'n'},
                                          {"status", required_argument, 0, 's'},
                                          {"item", required_argument, 0, 'i'},
                                          {"value", required_argument, 0, 'v'},
                                          {"message", required_argument, 0, 'm'},
                                          {"help", no_argument, 0, 'h'},
                                          {0, 0, 0, 0}};
    struct cli_opts o = {.config = cli_default_config()};
    const char *status = NULL, *item = "", *message = NULL;
    double value = 0;
    int has_value = 0, ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'c': o.config = optarg; break;
        case 'n': o.now_arg = optarg; break;
        case 's': status = optarg; break;
        case 'i': item = optarg; break;
        case 'm': message = optarg; break;
        case 'v': {
            char *end;
            value = strtod(optarg, &end);
            if (end == optarg || *end) {
                cli_err("report", "--value \"%s\" is not a number", optarg);
                return EXIT_USAGE;
            }
            has_value = 1;
            break;
        }
        case 'h':
            printf("usage: ackbeat report [-c FILE] [--now T] CHECK --status S\n"
                   "                      [--item NAME] [--value V] [--message M]\n"
                   "  Record a result a target reports for itself; S is Healthy,\n"
                   "  Degraded, Failing or Offline.\n");
            return EXIT_OK;
        default: return EXIT_USAGE;
        }
    }
    ab_time now;
    int s = status ? eng_status_parse(status) : -1;
    if (optind != argc - 1 || s < 0 || cli_now(&o, &now) < 0) {
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
    enum ab_err err = eng_report(env.e, argv[optind], item, (enum store_status)s,
                                 has_value, value, message, now, &em);
    if (err) {
        cli_err("report", "%s", em.text);
        rc = err == AB_ENOTFOUND || err == AB_EINVAL ? EXIT_USAGE : EXIT_FAIL;
    } else {
        printf("%s: recorded %s\n", argv[optind], eng_status_name(s));
    }
    cli_env_close(&env);
    return rc;
}
