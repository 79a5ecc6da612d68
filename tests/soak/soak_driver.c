/*
 * soak_driver.c - a simulated year of ackbeat in one process, for
 * tests/soak/run: the engine ticked every STRIDE seconds with explicit
 * times (as `ackbeat tick --now` would, without a process per tick) over a
 * world made by tests/soak/gen-config.  As the simulated days pass it
 * changes the data the checks query (feeds go stale and come back, gauges
 * cross their thresholds), so alerts open, repeat, escalate and resolve
 * all year; and it answers heartbeats by dropping replies into the Maildir
 * inbox, so some cycles are confirmed and some are not.
 *
 * It prints memory (VmRSS, VmHWM from /proc/self/status, and SQLite's own
 * heap) and open file descriptors (/proc/self/fd) at the start, after
 * every simulated month and at the end, with the runs, alerts and emails
 * of each month.  A leak shows as growth from month to month: the process
 * is the same all year.
 *
 * Usage: soak_driver DIR [--from T] [--to T] [--stride SECS]
 *                        [--templates DIR] [--rss-margin PCT]
 * Exit 0: memory flat; 1: VmRSS at the end exceeds the end of the first
 * month by more than PCT percent (default 25), or there are more open file
 * descriptors at the end than after the first month; 2: setup failed.
 *
 * The data contract with gen-config: tables feed_00..feed_19 (ts, Unix
 * seconds) and gauge (id, v); heartbeat checks hb-coordinators and hb-ops.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/ab_buf.h"
#include "common/ab_log.h"
#include "common/ab_time.h"
#include "config/cfg.h"
#include "engine/eng.h"
#include "store/store.h"

#define NFEEDS 20

struct mem {
    long rss_kb, hwm_kb, sqlite_kb;
    int fds;
};

struct totals {
    size_t ticks, runs, cached, alerts_opened, alerts_resolved, queued, sent,
        deferred, failed, errors, replies;
};

/* Log lines by level; the first few errors are shown. */
struct logstat {
    size_t n[4];
    size_t shown;
};

static void sink(enum ab_log_level lvl, const char *line, void *ud)
{
    struct logstat *ls = ud;
    ls->n[lvl]++;
    /* Warnings are the alerts this world is made to raise; errors are
     * not expected at all. */
    if (lvl == AB_LOG_ERROR && ls->shown < 10) {
        ls->shown++;
        fprintf(stderr, "  log %s: %.300s\n", ab_log_level_name(lvl), line);
    }
}

static long status_kb(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    size_t kl = strlen(key);
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, key, kl) && line[kl] == ':') {
            v = strtol(line + kl + 1, NULL, 10);
            break;
        }
    if (f)
        fclose(f);
    return v;
}

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (de->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* opendir's own */
}

static struct mem mem_now(void)
{
    struct mem m = {status_kb("VmRSS"), status_kb("VmHWM"),
                    (long)(sqlite3_memory_used() / 1024), count_fds()};
    return m;
}

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int exec_sql(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "soak: %s: %s\n", sql, err ? err : "?");
        sqlite3_free(err);
        return -1;
    }
    return 0;
}

/*
 * A new day in the data: each feed gets a row, except while it is stale
 * (10 days in every 130, staggered by feed); each gauge takes a new value
 * every week, above warn (80) for a fifth of them, above crit (95) for a
 * twentieth.
 */
static int world_day(sqlite3 *db, ab_time now, long day)
{
    if (exec_sql(db, "BEGIN"))
        return -1;
    char sql[256];
    for (int k = 0; k < NFEEDS; k++) {
        if ((day / 10 + k) % 13 == 0)
            continue;
        snprintf(sql, sizeof sql, "INSERT INTO feed_%02d(ts) VALUES (%lld)", k,
                 (long long)now);
        if (exec_sql(db, sql))
            goto fail;
    }
    snprintf(sql, sizeof sql, "UPDATE gauge SET v = (%ld * 37 + id * 11) %% 100", day / 7);
    if (exec_sql(db, sql))
        goto fail;
    return exec_sql(db, "COMMIT");
fail:
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

/*
 * Answer the cycles opened since *last_cycle: hb-coordinators is always
 * confirmed by its first recipient; hb-ops only in even months, so the
 * other months end in "nobody confirmed".  Replies go into inbox/new, to
 * be read at the next poll.
 */
static int answer(sqlite3 *st, const char *dir, int64_t *last_cycle, size_t *replies)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st,
            "SELECT c.id, c.check_name, c.opened, t.token, t.recipient FROM cycles c "
            "JOIN tokens t ON t.cycle_id = c.id WHERE c.id > ? "
            "ORDER BY c.id, t.rowid", -1, &s, NULL) != SQLITE_OK) {
        fprintf(stderr, "soak: %s\n", sqlite3_errmsg(st));
        return -1;
    }
    sqlite3_bind_int64(s, 1, *last_cycle);
    int64_t answered = -1;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(s, 0);
        const char *check = (const char *)sqlite3_column_text(s, 1);
        const char *opened = (const char *)sqlite3_column_text(s, 2);
        const char *tok = (const char *)sqlite3_column_text(s, 3);
        const char *rcpt = (const char *)sqlite3_column_text(s, 4);
        if (id > *last_cycle)
            *last_cycle = id;
        if (id == answered || !check || !opened || !tok || !rcpt)
            continue; /* one reply per cycle */
        int month = (int)strtol(opened + 5, NULL, 10);
        if (!strcmp(check, "hb-ops") && month % 2)
            continue;
        answered = id;
        char path[1024];
        snprintf(path, sizeof path, "%s/inbox/tmp/soak.%lld.%s", dir, (long long)id, tok);
        FILE *f = fopen(path, "w");
        if (!f) {
            fprintf(stderr, "soak: %s: %s\n", path, strerror(errno));
            break;
        }
        fprintf(f,
                "From: %s\r\nTo: heartbeat+%s@example.test\r\nSubject: Re: heartbeat\r\n"
                "Message-ID: <soak.%lld.%s@client.test>\r\nIn-Reply-To: <hb.%s@example.test>\r\n"
                "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
                "Received, thanks.\r\n\r\n> Reference: hb.%s\r\n",
                rcpt, tok, (long long)id, tok, tok, tok);
        fclose(f);
        char to[1024];
        snprintf(to, sizeof to, "%s/inbox/new/soak.%lld.%s", dir, (long long)id, tok);
        if (rename(path, to) != 0) {
            fprintf(stderr, "soak: %s: %s\n", to, strerror(errno));
            break;
        }
        (*replies)++;
    }
    sqlite3_finalize(s);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

static long count_rows(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *s = NULL;
    long n = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        n = (long)sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return n;
}

static void print_head(void)
{
    printf("%-8s %6s %8s %7s %7s %7s %8s %8s %8s %5s %7s\n", "month", "ticks", "runs",
           "alerts+", "alerts-", "emails", "RSS kB", "HWM kB", "sqlite", "fds", "secs");
}

static void print_row(const char *label, const struct totals *t, const struct mem *m,
                      double secs)
{
    printf("%-8s %6zu %8zu %7zu %7zu %7zu %8ld %8ld %8ld %5d %7.1f\n", label, t->ticks,
           t->runs + t->cached, t->alerts_opened, t->alerts_resolved, t->sent,
           m->rss_kb, m->hwm_kb, m->sqlite_kb, m->fds, secs);
    fflush(stdout);
}

static void add(struct totals *a, const struct totals *b)
{
    a->ticks += b->ticks;
    a->runs += b->runs;
    a->cached += b->cached;
    a->alerts_opened += b->alerts_opened;
    a->alerts_resolved += b->alerts_resolved;
    a->queued += b->queued;
    a->sent += b->sent;
    a->deferred += b->deferred;
    a->failed += b->failed;
    a->errors += b->errors;
    a->replies += b->replies;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: soak_driver DIR [--from T] [--to T] [--stride SECS]\n"
               "                   [--templates DIR] [--rss-margin PCT]\n"
               "  DIR is made by tests/soak/gen-config.  Defaults: a year from\n"
               "  2030-01-01T00:00:00Z, one tick an hour, margin 25 %%.\n");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"from", required_argument, 0, 'f'},
                                          {"to", required_argument, 0, 't'},
                                          {"stride", required_argument, 0, 's'},
                                          {"templates", required_argument, 0, 'T'},
                                          {"rss-margin", required_argument, 0, 'm'},
                                          {"help", no_argument, 0, 'h'},
                                          {0, 0, 0, 0}};
    const char *from_s = "2030-01-01T00:00:00Z", *to_s = NULL, *tpl = NULL;
    long stride = 3600, margin = 25;
    int ch;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'f': from_s = optarg; break;
        case 't': to_s = optarg; break;
        case 's': stride = strtol(optarg, NULL, 10); break;
        case 'T': tpl = optarg; break;
        case 'm': margin = strtol(optarg, NULL, 10); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc - 1 || stride < 60 || margin < 0) {
        usage(stderr);
        return 2;
    }
    const char *dir = argv[optind];
    ab_time from, to;
    if (ab_time_parse(from_s, &from) != AB_OK) {
        fprintf(stderr, "soak: bad --from %s\n", from_s);
        return 2;
    }
    if (!to_s) {
        struct tm tm;
        time_t f = (time_t)from;
        gmtime_r(&f, &tm);
        tm.tm_year++;
        to = (ab_time)timegm(&tm);
    } else if (ab_time_parse(to_s, &to) != AB_OK || to <= from) {
        fprintf(stderr, "soak: bad --to %s\n", to_s);
        return 2;
    }
    static char tpl_buf[1024];
    if (!tpl) {
        const char *root = getenv("AB_SRCDIR");
        snprintf(tpl_buf, sizeof tpl_buf, "%s/templates/default", root ? root : ".");
        tpl = tpl_buf;
    }

    struct logstat ls = {{0}, 0};
    ab_log_set_sink(sink, &ls, AB_LOG_INFO);

    char path[1024];
    snprintf(path, sizeof path, "%s/ackbeat.xml", dir);
    cfg *c = NULL;
    store *st = NULL;
    eng *e = NULL;
    sqlite3 *data = NULL, *state = NULL;
    int rc = 2;
    ab_buf errs;
    ab_buf_init(&errs, 1 << 16);
    ab_errmsg em = {{0}};
    if (cfg_load(path, &c, &errs) != AB_OK) {
        fprintf(stderr, "soak: %s", ab_buf_str(&errs));
        goto out;
    }
    if (store_open(cfg_global(c)->state_path, &st, &em) != AB_OK ||
        eng_new(c, st, tpl, &e, &em) != AB_OK) {
        fprintf(stderr, "soak: %s\n", em.text);
        goto out;
    }
    snprintf(path, sizeof path, "%s/data.db", dir);
    if (sqlite3_open_v2(path, &data, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
        sqlite3_open_v2(cfg_global(c)->state_path, &state, SQLITE_OPEN_READONLY, NULL) !=
            SQLITE_OK) {
        fprintf(stderr, "soak: cannot open %s or the state database\n", path);
        goto out;
    }
    sqlite3_busy_timeout(data, 10000);
    sqlite3_busy_timeout(state, 10000);
    eng_set_started(e, from);

    char t1[AB_ISO_LEN], t2[AB_ISO_LEN];
    printf("soak: %zu checks, %s .. %s, a tick every %ld s (%lld ticks)\n",
           cfg_check_count(c), ab_time_format(from, t1, sizeof t1),
           ab_time_format(to, t2, sizeof t2), stride, (long long)((to - from) / stride));
    print_head();
    struct totals all = {0}, month = {0};
    struct mem start = mem_now(), m1 = {0}, end;
    print_row("start", &month, &start, 0);

    double t_start = mono(), t_month = t_start;
    long last_day = -1;
    int64_t last_cycle = 0;
    int months = 0, cur_mon = -1;
    for (ab_time now = from; now < to; now += stride) {
        struct tm tm;
        time_t tt = (time_t)now;
        gmtime_r(&tt, &tm);
        if (cur_mon >= 0 && tm.tm_mon != cur_mon) {
            /* A month is over: its figures, then memory as it stands. */
            char label[16];
            time_t prev = (time_t)(now - stride);
            struct tm pm;
            gmtime_r(&prev, &pm);
            snprintf(label, sizeof label, "%04d-%02d", pm.tm_year + 1900, pm.tm_mon + 1);
            struct mem m = mem_now();
            double t = mono();
            print_row(label, &month, &m, t - t_month);
            if (++months == 1)
                m1 = m;
            add(&all, &month);
            memset(&month, 0, sizeof month);
            t_month = t;
        }
        cur_mon = tm.tm_mon;
        long day = (long)((now - from) / 86400);
        if (day != last_day) {
            if (world_day(data, now, day))
                goto out;
            last_day = day;
        }
        struct eng_tick_stats s;
        if (eng_tick(e, now, &s, &em) != AB_OK) {
            fprintf(stderr, "soak: tick %s: %s\n", ab_time_format(now, t1, sizeof t1), em.text);
            goto out;
        }
        month.ticks++;
        month.runs += s.checks_run;
        month.cached += s.checks_cached;
        month.alerts_opened += s.alerts_opened;
        month.alerts_resolved += s.alerts_resolved;
        month.queued += s.notices_queued;
        month.sent += s.mail_sent;
        month.deferred += s.mail_deferred;
        month.failed += s.mail_failed;
        month.errors += s.errors;
        if (answer(state, dir, &last_cycle, &month.replies))
            goto out;
    }
    {
        char label[16];
        time_t prev = (time_t)(to - 1);
        struct tm pm;
        gmtime_r(&prev, &pm);
        snprintf(label, sizeof label, "%04d-%02d", pm.tm_year + 1900, pm.tm_mon + 1);
        end = mem_now();
        print_row(label, &month, &end, mono() - t_month);
        if (++months == 1)
            m1 = end;
        add(&all, &month);
    }
    double secs = mono() - t_start;
    print_row("year", &all, &end, secs);

    printf("runs: %zu (%zu from the cache); alerts: %zu opened, %zu resolved; "
           "emails: %zu sent, %zu deferred, %zu failed; replies dropped: %zu; "
           "tick errors: %zu\n",
           all.runs + all.cached, all.cached, all.alerts_opened, all.alerts_resolved,
           all.sent, all.deferred, all.failed, all.replies, all.errors);
    printf("state database: %ld runs, %ld alerts, %ld outbox messages (%ld not sent), "
           "%ld cycles (%ld Healthy, %ld Failing), %ld acks\n",
           count_rows(state, "SELECT count(*) FROM runs"),
           count_rows(state, "SELECT count(*) FROM alerts"),
           count_rows(state, "SELECT count(*) FROM outbox"),
           count_rows(state, "SELECT count(*) FROM outbox WHERE status != 'sent'"),
           count_rows(state, "SELECT count(*) FROM cycles"),
           count_rows(state, "SELECT count(*) FROM cycles WHERE status = 'Healthy'"),
           count_rows(state, "SELECT count(*) FROM cycles WHERE status = 'Failing'"),
           count_rows(state, "SELECT count(*) FROM acks"));
    printf("log lines: %zu error, %zu warn, %zu info\n", ls.n[AB_LOG_ERROR],
           ls.n[AB_LOG_WARN], ls.n[AB_LOG_INFO]);
    printf("memory: VmRSS %ld kB at the start, %ld kB after month 1, %ld kB at the end "
           "(%+.1f %% since month 1; limit %ld %%); VmHWM %ld kB\n",
           start.rss_kb, m1.rss_kb, end.rss_kb,
           m1.rss_kb > 0 ? 100.0 * (double)(end.rss_kb - m1.rss_kb) / (double)m1.rss_kb : 0.0,
           margin, end.hwm_kb);
    printf("open fds: %d at the start, %d after month 1, %d at the end\n", start.fds,
           m1.fds, end.fds);
    printf("time: %.1f s for %zu ticks (%.2f ms a tick)\n", secs, all.ticks,
           all.ticks ? 1000.0 * secs / (double)all.ticks : 0.0);

    rc = 0;
    if (end.rss_kb > m1.rss_kb + m1.rss_kb * margin / 100) {
        printf("FAIL: VmRSS grew from %ld kB after month 1 to %ld kB at the end, more "
               "than %ld %%\n", m1.rss_kb, end.rss_kb, margin);
        rc = 1;
    }
    if (end.fds > m1.fds) {
        printf("FAIL: open file descriptors grew from %d after month 1 to %d at the end\n",
               m1.fds, end.fds);
        rc = 1;
    }
    if (rc == 0)
        printf("PASS: memory and file descriptors stayed flat\n");
out:
    ab_buf_free(&errs);
    sqlite3_close(state);
    sqlite3_close(data);
    eng_free(e);
    store_close(st);
    cfg_free(c);
    return rc;
}
