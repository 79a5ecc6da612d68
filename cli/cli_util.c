/*
 * cli_util.c - the clock, the log sink, loading config and state for commands.
 * The state is always opened by the engine (eng_open): cli/ never holds
 * the store itself.
 */
#include "cli/cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/ab_buf.h"
#include "common/ab_log.h"

int cli_now(const struct cli_opts *o, ab_time *out)
{
    if (o && o->now_arg) {
        if (ab_time_parse(o->now_arg, out) != AB_OK) {
            fprintf(stderr, "ackbeat: --now \"%s\" is not an ISO 8601 time "
                            "(e.g. 2026-12-01T08:00:00Z)\n", o->now_arg);
            return -1;
        }
        return 0;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    *out = (ab_time)ts.tv_sec;
    return 0;
}

/* The zone log lines are stamped in: a copy, as a reload frees the config
 * it came from; "" (UTC) until a config is loaded. */
static char log_zone[128];

static void stderr_sink(enum ab_log_level lvl, const char *line, void *ud)
{
    (void)ud;
    /* Under systemd the journal adds its own time stamps; a terminal
     * user wants them.  <N> prefixes are understood by journald. */
    static const int prio[] = {3, 4, 6, 7};
    if (getenv("JOURNAL_STREAM")) {
        fprintf(stderr, "<%d>%s\n", prio[lvl], line);
        return;
    }
    /* The site's wall clock, as the people who read the log live by it:
     * "2026-12-06 14:00:05 CST". */
    ab_time now = (ab_time)time(NULL);
    char abbr[16];
    ab_time l = now + ab_zone_offset(log_zone, now, abbr, sizeof abbr);
    int64_t days = l / 86400 - (l % 86400 < 0), secs = l - days * 86400, y;
    unsigned mo, d;
    ab_civil_from_days(days, &y, &mo, &d);
    fprintf(stderr, "%04lld-%02u-%02u %02d:%02d:%02d %s %-5s %s\n", (long long)y, mo, d,
            (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60), abbr,
            ab_log_level_name(lvl), line);
}

void cli_log_zone(const char *zone)
{
    snprintf(log_zone, sizeof log_zone, "%s", zone ? zone : "");
}

void cli_log_init(const char *level)
{
    int lvl = AB_LOG_INFO;
    if (level) {
        lvl = ab_log_level_parse(level);
        if (lvl < 0) {
            fprintf(stderr, "ackbeat: unknown log level \"%s\" (error, warn, "
                            "info, debug); using info\n", level);
            lvl = AB_LOG_INFO;
        }
    }
    ab_log_set_sink(stderr_sink, NULL, (enum ab_log_level)lvl);
}

cfg *cli_load_config(const char *path)
{
    cfg *c = NULL;
    ab_buf errors;
    ab_buf_init(&errors, 1 << 20);
    enum ab_err e = cfg_load(path, &c, &errors);
    if (e) {
        if (errors.len)
            fputs(ab_buf_str(&errors), stderr);
        else
            fprintf(stderr, "%s: %s\n", path, ab_strerror(e));
        ab_buf_free(&errors);
        return NULL;
    }
    ab_buf_free(&errors);
    return c;
}

eng *cli_open_view(const cfg *c)
{
    eng *e = NULL;
    ab_errmsg em = {{0}};
    if (eng_open(c, NULL, ENG_OPEN_VIEW, &e, &em) != AB_OK) {
        fprintf(stderr, "ackbeat: %s\n", em.text);
        return NULL;
    }
    return e;
}

const char *cli_default_config(void)
{
    const char *p = getenv("ACKBEAT_CONFIG");
    return p && *p ? p : "/etc/ackbeat/ackbeat.xml";
}

void cli_err(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "ackbeat %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

#include <limits.h>
#include <sys/stat.h>

#include "cli/commands.h"
#include "engine/eng.h"

static int is_dir(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

const char *cli_template_dir(void)
{
    static char found[PATH_MAX];
    const char *env = getenv("ACKBEAT_TEMPLATES");
    if (env && *env)
        return env;
    if (is_dir(AB_DATADIR "/templates/default"))
        return AB_DATADIR "/templates/default";
    /* From a checkout: the binary is ./ackbeat or build[/san]/ackbeat. */
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return NULL;
    exe[n] = '\0';
    static const char *const up[] = {"", "/..", "/../.."};
    char *slash = strrchr(exe, '/');
    if (!slash)
        return NULL;
    *slash = '\0';
    for (size_t i = 0; i < sizeof up / sizeof up[0]; i++) {
        snprintf(found, sizeof found, "%s%s/templates/default", exe, up[i]);
        if (is_dir(found))
            return found;
    }
    return NULL;
}

/* Sleep secs seconds, a second at a time, unless *stop is set. */
static void wait_unless(int secs, volatile sig_atomic_t *stop)
{
    for (int i = 0; i < secs && !*stop; i++) {
        struct timespec one = {1, 0};
        nanosleep(&one, NULL); /* a signal ends it early: *stop is read again */
    }
}

int cli_env_open_wait(const char *config, struct cli_env *env,
                      volatile sig_atomic_t *stop)
{
    memset(env, 0, sizeof *env);
    env->c = cli_load_config(config);
    if (!env->c)
        return EXIT_USAGE;
    cli_log_init(cfg_global(env->c)->log_level && !getenv("ACKBEAT_LOG_LEVEL")
                     ? cfg_global(env->c)->log_level
                     : getenv("ACKBEAT_LOG_LEVEL"));
    cli_log_zone(cfg_global(env->c)->timezone);
    ab_errmsg em = {{0}};
    enum ab_err err;
    int backoff = 1;
    while ((err = eng_open(env->c, cli_template_dir(), 0, &env->e, &em)) == AB_ETEMPFAIL &&
           stop && !*stop) {
        /* Started with its database (a reboot of both, a failover under
         * way): wait for it, as a running node does when it goes away,
         * rather than exit and leave it to a supervisor. */
        ab_log(AB_LOG_ERROR, "state: %s; retrying in %d s", em.text, backoff);
        wait_unless(backoff, stop);
        backoff = backoff * 2 > 30 ? 30 : backoff * 2;
        em.text[0] = '\0';
    }
    if (err == AB_ETEMPFAIL && stop && *stop) {
        cli_env_close(env);
        return EXIT_OK; /* stopped while waiting */
    }
    if (err) {
        fprintf(stderr, "ackbeat: %s\n", em.text);
        cli_env_close(env);
        /* A database that cannot be opened is a failure; templates that
         * do not load are a bad config. */
        return err == AB_ECONFIG ? EXIT_USAGE : EXIT_FAIL;
    }
    if (backoff > 1)
        ab_log(AB_LOG_INFO, "state: connected to the state database");
    return EXIT_OK;
}

int cli_env_open(const char *config, struct cli_env *env)
{
    return cli_env_open_wait(config, env, NULL);
}

void cli_env_close(struct cli_env *env)
{
    eng_free(env->e); /* and the state it opened */
    cfg_free(env->c);
    memset(env, 0, sizeof *env);
}

#include <jansson.h>

json_t *cli_json_time(ab_time t)
{
    char buf[AB_ISO_LEN];
    return t == AB_TIME_NONE ? json_null() : json_string(ab_time_format(t, buf, sizeof buf));
}

void cli_json_print(json_t *v)
{
    char *txt = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (txt)
        puts(txt);
    free(txt);
}
