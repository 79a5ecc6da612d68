/*
 * cmd_silence.c - silences set ahead of time, and pausing checks:
 *   ackbeat silence add [-c FILE] MATCHER... --until T [--from T] --by PERSON [--note TEXT]
 *   ackbeat silence list [-c FILE] [--all] [--json] [--now T]
 *   ackbeat silence expire [-c FILE] ID [--now T]
 *   ackbeat pause [-c FILE] CHECK --by PERSON [--until T] [--note TEXT] [--now T]
 *   ackbeat resume [-c FILE] CHECK [--now T]
 * T is an ISO time or a duration from now (30d).  A MATCHER is
 * check=GLOB, item=ITEM or tag=TAG (engine/eng_silence.c).
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "common/ab_mem.h"
#include "engine/eng.h"

/* An ISO time or a duration after now. */
static int when_arg(const char *cmd, const char *what, const char *arg, ab_time now,
                    ab_time *out)
{
    int64_t d;
    if (ab_duration_parse(arg, &d) == AB_OK) {
        *out = now + d;
        return 0;
    }
    if (ab_time_parse(arg, out) == AB_OK)
        return 0;
    cli_err(cmd, "%s \"%s\" is neither a time nor a duration", what, arg);
    return -1;
}

/* The commands' own options (cli_opts.c has -c, --now, --json, --help). */
enum { OPT_UNTIL = 256, OPT_FROM, OPT_BY, OPT_NOTE, OPT_ALL };
static const struct option own[] = {
    {"until", required_argument, 0, OPT_UNTIL}, {"from", required_argument, 0, OPT_FROM},
    {"by", required_argument, 0, OPT_BY},       {"note", required_argument, 0, OPT_NOTE},
    {"all", no_argument, 0, OPT_ALL},           {0, 0, 0, 0}};

struct args {
    struct cli_opts o;
    const char *until, *from, *by, *note;
    int all, help;
};

static int own_opt(void *ud, int key, const char *arg)
{
    struct args *a = ud;
    switch (key) {
    case OPT_UNTIL: a->until = arg; break;
    case OPT_FROM: a->from = arg; break;
    case OPT_BY: a->by = arg; break;
    case OPT_NOTE: a->note = arg; break;
    default: a->all = 1; break;
    }
    return CLI_GO_ON;
}

/* 0 to go on (optind is the first operand; a->help after --help, which
 * the caller answers), -1 after a bad option. */
static int parse(int argc, char **argv, struct args *a)
{
    memset(a, 0, sizeof *a);
    const struct cli_spec sp = {.cmd = argv[0],
                                .shared = CLI_OPT_CONFIG | CLI_OPT_NOW | CLI_OPT_JSON,
                                .own = own,
                                .fn = own_opt,
                                .ud = a,
                                .help = "", /* the caller prints the help */
                                .quiet_usage = 1};
    int rc = cli_opts_parse(argc, argv, &sp, &a->o);
    if (rc == EXIT_OK)
        a->help = 1;
    return rc == CLI_GO_ON || rc == EXIT_OK ? 0 : -1;
}

static void print_silence(const struct store_silence *s, const char *zone, ab_time now)
{
    char what[512], from[AB_HUMAN_LEN], to[AB_HUMAN_LEN];
    eng_silence_describe(s, what, sizeof what);
    const char *state = s->expired != AB_TIME_NONE ? "expired"
                        : now >= s->ends           ? "ended"
                        : now < s->starts          ? "pending"
                                                   : "active";
    printf("#%-4lld %-8s %s\n      from %s to %s, by %s%s%s\n", (long long)s->id, state, what,
           ab_time_human(s->starts, zone, from, sizeof from),
           ab_time_human(s->ends, zone, to, sizeof to), s->created_by,
           s->comment ? ": " : "", s->comment ? s->comment : "");
}

static int silence_add(int argc, char **argv, struct args *a, ab_time now)
{
    struct store_silence s = {.starts = now, .ends = AB_TIME_NONE, .created = now,
                              .expired = AB_TIME_NONE};
    int rc = EXIT_USAGE;
    ab_errmsg em = {{0}};
    eng *e = NULL;
    cfg *c = NULL;
    if (optind + 1 >= argc || !a->until || !a->by) {
        cli_err("silence", "usage: ackbeat silence add [-c FILE] MATCHER... --until T "
                           "[--from T] --by PERSON [--note TEXT]");
        goto out;
    }
    for (int i = optind + 1; i < argc; i++)
        if (eng_silence_parse(argv[i], &s, &em) != AB_OK) {
            cli_err("silence", "%s", em.text);
            goto out;
        }
    if ((a->from && when_arg("silence", "--from", a->from, now, &s.starts)) ||
        when_arg("silence", "--until", a->until, now, &s.ends))
        goto out;
    if (s.ends <= s.starts) {
        cli_err("silence", "--until must be after the start");
        goto out;
    }
    s.created_by = (char *)a->by;
    s.comment = (char *)a->note;
    if (!(c = cli_load_config(a->o.config)) || !(e = cli_open_view(c))) {
        rc = EXIT_FAIL;
        goto out;
    }
    int64_t id = 0;
    if (eng_silence_add(e, &s, &id, &em) != AB_OK) {
        cli_err("silence", "%s", em.text);
        rc = EXIT_FAIL;
        goto out;
    }
    s.id = id;
    size_t matched = 0;
    for (size_t i = 0; i < cfg_check_count(c); i++)
        matched += eng_silence_matches(&s, cfg_check_at(c, i), NULL, s.starts) ||
                   (s.item && eng_silence_matches(&s, cfg_check_at(c, i), s.item, s.starts));
    printf("silence #%lld added (%zu check(s) match now)\n", (long long)id, matched);
    print_silence(&s, cfg_global(c)->timezone, now);
    rc = EXIT_OK;
out:
    s.created_by = s.comment = NULL;
    ab_free(s.check_glob);
    ab_free(s.item);
    ab_free(s.tag);
    eng_free(e);
    cfg_free(c);
    return rc;
}

/* `silence list --json`. */
static void print_json(const struct store_silence *v, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *j = json_object();
        json_object_set_new(j, "id", json_integer(v[i].id));
        json_object_set_new(j, "check",
                            v[i].check_glob ? json_string(v[i].check_glob) : json_null());
        json_object_set_new(j, "item", v[i].item ? json_string(v[i].item) : json_null());
        json_object_set_new(j, "tag", v[i].tag ? json_string(v[i].tag) : json_null());
        json_object_set_new(j, "starts", cli_json_time(v[i].starts));
        json_object_set_new(j, "ends", cli_json_time(v[i].ends));
        json_object_set_new(j, "expired", cli_json_time(v[i].expired));
        json_object_set_new(j, "created_by", json_string(v[i].created_by));
        json_object_set_new(j, "comment",
                            v[i].comment ? json_string(v[i].comment) : json_null());
        json_array_append_new(arr, j);
    }
    cli_json_print(arr);
    json_decref(arr);
}

static int silence_list_or_expire(int argc, char **argv, struct args *a, ab_time now,
                                  int expire)
{
    if (expire ? optind + 2 != argc : optind + 1 != argc) {
        cli_err("silence", expire ? "usage: ackbeat silence expire [-c FILE] ID"
                                  : "usage: ackbeat silence list [-c FILE] [--all] [--json]");
        return EXIT_USAGE;
    }
    long long id = 0;
    if (expire) {
        char *end;
        id = strtoll(argv[optind + 1], &end, 10);
        if (*end || id <= 0) {
            cli_err("silence", "\"%s\" is not a silence number", argv[optind + 1]);
            return EXIT_USAGE;
        }
    }
    cfg *c = cli_load_config(a->o.config);
    if (!c)
        return EXIT_USAGE;
    eng *e = cli_open_view(c);
    if (!e) {
        cfg_free(c);
        return EXIT_FAIL;
    }
    int rc = EXIT_OK;
    ab_errmsg em = {{0}};
    if (expire) {
        enum ab_err err = eng_silence_expire(e, id, now, &em);
        if (err) {
            cli_err("silence", "%s", em.text);
            rc = err == AB_ENOTFOUND ? EXIT_USAGE : EXIT_FAIL;
        } else {
            printf("silence #%lld expired\n", id);
        }
    } else {
        struct store_silence *v = NULL;
        size_t n = 0;
        if (eng_view_silences(e, a->all, now, &v, &n, &em) != AB_OK) {
            cli_err("silence", "%s", em.text);
            rc = EXIT_FAIL;
        } else if (a->o.json) {
            print_json(v, n);
        } else {
            for (size_t i = 0; i < n; i++)
                print_silence(&v[i], cfg_global(c)->timezone, now);
            if (!n)
                printf("no silences\n");
        }
        eng_view_silences_free(v, n);
    }
    eng_free(e);
    cfg_free(c);
    return rc;
}

int cmd_silence(int argc, char **argv)
{
    struct args a;
    if (parse(argc, argv, &a))
        return EXIT_USAGE;
    if (a.help || optind >= argc) {
        printf("usage: ackbeat silence add [-c FILE] MATCHER... --until T [--from T]\n"
               "                           --by PERSON [--note TEXT]\n"
               "       ackbeat silence list [-c FILE] [--all] [--json]\n"
               "       ackbeat silence expire [-c FILE] ID\n"
               "  MATCHER: check=GLOB, item=ITEM, tag=TAG (all must match).  T: an ISO\n"
               "  time or a duration from now (30d).  A silenced check runs and records;\n"
               "  its notices are dropped while the silence is active.\n");
        return a.help ? EXIT_OK : EXIT_USAGE;
    }
    ab_time now;
    if (cli_now(&a.o, &now) < 0)
        return EXIT_USAGE;
    const char *sub = argv[optind];
    if (!strcmp(sub, "add"))
        return silence_add(argc, argv, &a, now);
    if (!strcmp(sub, "list"))
        return silence_list_or_expire(argc, argv, &a, now, 0);
    if (!strcmp(sub, "expire"))
        return silence_list_or_expire(argc, argv, &a, now, 1);
    cli_err("silence", "unknown subcommand \"%s\" (add, list, expire)", sub);
    return EXIT_USAGE;
}

static int pause_or_resume(int argc, char **argv, int pause)
{
    const char *cmd = pause ? "pause" : "resume";
    struct args a;
    if (parse(argc, argv, &a))
        return EXIT_USAGE;
    if (a.help) {
        printf(pause ? "usage: ackbeat pause [-c FILE] CHECK --by PERSON [--until T] "
                       "[--note TEXT]\n  The check does not run or alert until T (a time or "
                       "a duration),\n  or until `ackbeat resume`.\n"
                     : "usage: ackbeat resume [-c FILE] CHECK\n");
        return EXIT_OK;
    }
    ab_time now, until = AB_TIME_NONE;
    if (optind != argc - 1 || (pause && !a.by) || cli_now(&a.o, &now) < 0) {
        cli_err(cmd, pause ? "usage: ackbeat pause [-c FILE] CHECK --by PERSON [--until T]"
                           : "usage: ackbeat resume [-c FILE] CHECK");
        return EXIT_USAGE;
    }
    if (pause && a.until && when_arg(cmd, "--until", a.until, now, &until))
        return EXIT_USAGE;
    cfg *c = cli_load_config(a.o.config);
    if (!c)
        return EXIT_USAGE;
    const char *check = argv[optind];
    if (!cfg_check_find(c, check)) {
        cli_err(cmd, "no check named \"%s\"", check);
        cfg_free(c);
        return EXIT_USAGE;
    }
    eng *e = cli_open_view(c);
    if (!e) {
        cfg_free(c);
        return EXIT_FAIL;
    }
    ab_errmsg em = {{0}};
    enum ab_err err = pause ? eng_pause(e, check, until, a.by, a.note, now, &em)
                            : eng_resume(e, check, &em);
    int rc = EXIT_OK;
    if (err) {
        cli_err(cmd, "%s", em.text);
        rc = err == AB_ENOTFOUND ? EXIT_USAGE : EXIT_FAIL;
    } else if (pause) {
        char t[AB_HUMAN_LEN];
        printf("check %s paused by %s %s%s\n", check, a.by,
               until == AB_TIME_NONE ? "until resumed" : "until ",
               until == AB_TIME_NONE ? ""
                                     : ab_time_human(until, cfg_global(c)->timezone, t, sizeof t));
    } else {
        printf("check %s resumed\n", check);
    }
    eng_free(e);
    cfg_free(c);
    return rc;
}

int cmd_pause(int argc, char **argv) { return pause_or_resume(argc, argv, 1); }
int cmd_resume(int argc, char **argv) { return pause_or_resume(argc, argv, 0); }
