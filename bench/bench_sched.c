/*
 * bench_sched.c - how fast schedules/ answers "next fire time after T",
 * beside a naive baseline measured in the same run.
 *
 *   next   one sched_next() for each of 100,000 schedules: a mix of cron
 *          expressions, RRULEs (libical) and intervals, with no window,
 *          seed 002's Main Schedule or office hours, in four zones.
 *   year   every fire time of 2026 for 1,000 such schedules.
 *
 * The baseline is the obvious implementation: step minute by minute from
 * T, read the wall clock in the zone, test the minute against the rule
 * (cron fields, interval modulo, or the RRULE's occurrences iterated with
 * libical from DTSTART) and the window, and stop at the first match.  It
 * is measured on an even sample of the same schedules (it is too slow for
 * all of them) and its answers are compared with sched_next's.
 *
 * Build and run from the repo root (bench/bench_sched.sh does this):
 *   make build/libschedules.a build/libcommon.a
 *   cc -O2 -std=c17 -D_GNU_SOURCE -I. $(pkg-config --cflags libical) \
 *       bench/bench_sched.c build/libschedules.a build/libcommon.a \
 *       $(pkg-config --libs libical) -lpthread -o build/bench/bench_sched
 *   build/bench/bench_sched [n-schedules [n-year]]
 *
 * Ends with lines  BENCH sched <metric> <value> <baseline_value> <ratio>
 * (costs in microseconds per schedule; ratio < 1 means cheaper than naive).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/ab_time.h"
#include "schedules/sched.h"
#include "schedules/sched_int.h"

static const char *const crons[] = {
    "*/15 * * * *", "0 9 * * 1-5",  "30 2 * * *",         "0 0 1 * *",
    "0 8,12,18 * * *", "0 0 13 * 5", "*/5 9-17 * * MON-FRI", "0 6 * JAN,APR,JUL,OCT 1",
};
static const char *const rrules[] = {
    "FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=8;BYMINUTE=0;BYSECOND=0",
    "FREQ=DAILY;BYHOUR=9,21",
    "FREQ=MONTHLY;BYMONTHDAY=-1;BYHOUR=23",
    "FREQ=MONTHLY;BYDAY=1MO;BYHOUR=7",
    "FREQ=WEEKLY;BYDAY=MO,WE,FR;BYHOUR=6;BYMINUTE=30",
    "FREQ=HOURLY;INTERVAL=4",
    "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;BYHOUR=10",
    "FREQ=DAILY;INTERVAL=3;BYHOUR=12",
};
static const int64_t everys[] = {900, 3600, 300, 86400, 7200};
static const char *const zones[] = {"UTC", "America/Los_Angeles",
                                    "Europe/Berlin", "Asia/Kolkata"};
#define N(a) (sizeof(a) / sizeof((a)[0]))

struct spec {
    int kind; /* 0 cron, 1 rrule, 2 every */
    int rule, win, zone;
};

static struct spec spec_of(size_t i)
{
    struct spec p;
    p.kind = (int)(i % 3);
    p.rule = (int)((i / 3) % (p.kind == 0 ? N(crons) : p.kind == 1 ? N(rrules)
                                                                 : N(everys)));
    p.win = (int)((i / 7) % 3);
    p.zone = (int)((i / 11) % N(zones));
    return p;
}

static sched_window *windows[3];

static void make_windows(void)
{
    static const char *const days[] = {"Monday", "Tuesday", "Wednesday",
                                       "Thursday", "Friday", "Saturday",
                                       "Sunday"};
    ab_errmsg em;
    windows[0] = NULL;
    windows[1] = sched_window_new("Main Schedule");
    windows[2] = sched_window_new("office");
    int ok = sched_window_add(windows[1], SCHED_PROVISION, "Monday", "00:00:00",
                              "23:59:59", &em) == AB_OK;
    for (int d = 1; d < 7; d++)
        ok &= sched_window_add(windows[1], SCHED_PROVISION, days[d], "05:00:00",
                               "20:00:00", &em) == AB_OK;
    ok &= sched_window_add(windows[1], SCHED_EXCLUSION, "Monday", "00:30:00",
                           "03:00:00", &em) == AB_OK;
    for (int d = 0; d < 5; d++)
        ok &= sched_window_add(windows[2], SCHED_PROVISION, days[d], "08:00",
                               "18:00", &em) == AB_OK;
    if (!ok) {
        fprintf(stderr, "bench: window: %s\n", em.text);
        exit(1);
    }
}

static sched *build(struct spec p)
{
    ab_errmsg em;
    sched *s = sched_new();
    enum ab_err rc = sched_set_zone(s, zones[p.zone], &em);
    if (rc == AB_OK)
        rc = p.kind == 0   ? sched_set_cron(s, crons[p.rule], &em)
             : p.kind == 1 ? sched_set_rrule(s, rrules[p.rule], NULL, &em)
                           : sched_set_every(s, everys[p.rule], &em);
    if (rc != AB_OK) {
        fprintf(stderr, "bench: %s\n", em.text);
        exit(1);
    }
    sched_set_window(s, windows[p.win]);
    return s;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the naive baseline -------------------------------------------------- */

struct naive {
    struct spec p;
    const sched_zone *zone;
    struct sched_cron cron;
    icalrecur_iterator *it;
    sched_lt occ; /* current RRULE occurrence (local) */
};

static void naive_init(struct naive *n, struct spec p)
{
    ab_errmsg em;
    memset(n, 0, sizeof *n);
    n->p = p;
    if (sched_zone_get(zones[p.zone], &n->zone, &em) != AB_OK)
        exit(1);
    if (p.kind == 0 && sched_cron_parse(crons[p.rule], &n->cron, &em) != AB_OK)
        exit(1);
    if (p.kind == 1) {
        struct icalrecurrencetype r = icalrecurrencetype_from_string(rrules[p.rule]);
        n->it = icalrecur_iterator_new(r, sched_lt_to_ical(sched_lt_make(2000, 1, 1, 0, 0, 0)));
        n->occ = SCHED_LT_MIN;
    }
}

static void naive_done(struct naive *n)
{
    if (n->it)
        icalrecur_iterator_free(n->it);
}

/* Does the rule fire at local minute l?  (RRULE: iterate in step.) */
static int naive_rule(struct naive *n, sched_lt l)
{
    switch (n->p.kind) {
    case 0:
        return sched_cron_match(&n->cron, l);
    case 1:
        while (n->occ < l) {
            struct icaltimetype o = icalrecur_iterator_next(n->it);
            if (icaltime_is_null_time(o)) {
                n->occ = SCHED_LT_MAX;
                break;
            }
            n->occ = sched_lt_from_ical(o);
        }
        return n->occ == l;
    default:
        return sched_fmod(l - 946857600, everys[n->p.rule]) == 0;
    }
}

static int naive_next(struct naive *n, ab_time after, ab_time *out)
{
    ab_time t = (after / 60 + 1) * 60, end = after + SCHED_HORIZON;
    const sched_window *w = windows[n->p.win];
    for (; t <= end; t += 60) {
        sched_lt l = t + sched_zone_offset(n->zone, t);
        if (!naive_rule(n, l))
            continue;
        if (w && !sched_win_allows(w, l))
            continue;
        *out = t;
        return 1;
    }
    return 0;
}

/* ---- main ------------------------------------------------------------------- */

/* One run: the schedules, sched_next's answers, and the timings. */
struct run {
    size_t nsched, nbase, ny, nyear_base;
    ab_time at, y0, y1;
    sched **all;
    ab_time *fast; /* sched_next(all[i], at) */
    int *found;
    long *count;   /* fires of all[i] in 2026 */
    long fires;
    size_t agree, yagree;
    double t_build, t_next, t_naive, t_year, t_year_naive;
};

/* next: every schedule once (BENCH_SCHED_DETAIL: by kind, and the slow). */
static void time_next(struct run *r)
{
    double by_kind[3] = {0, 0, 0};
    double t0 = now_s();
    for (size_t i = 0; i < r->nsched; i++) {
        double a = getenv("BENCH_SCHED_DETAIL") ? now_s() : 0;
        r->found[i] = sched_next(r->all[i], r->at, &r->fast[i]) == AB_OK;
        if (getenv("BENCH_SCHED_DETAIL")) {
            double d = now_s() - a;
            by_kind[spec_of(i).kind] += d;
            if (d > 0.002)
                fprintf(stderr, "slow #%zu: kind %d rule %d win %d zone %d: %.1f ms\n", i,
                        spec_of(i).kind, spec_of(i).rule, spec_of(i).win,
                        spec_of(i).zone, d * 1e3);
        }
    }
    r->t_next = now_s() - t0;
    if (getenv("BENCH_SCHED_DETAIL"))
        printf("by kind: cron %.3f s, rrule %.3f s, every %.3f s\n", by_kind[0],
               by_kind[1], by_kind[2]);
}

/* next, naive: an even sample, each answer compared with sched_next's. */
static void time_next_naive(struct run *r)
{
    size_t step = r->nsched / r->nbase;
    double t0 = now_s();
    for (size_t k = 0; k < r->nbase; k++) {
        size_t i = k * step;
        struct naive n;
        ab_time nx = 0;
        naive_init(&n, spec_of(i));
        int f = naive_next(&n, r->at, &nx);
        naive_done(&n);
        if (f == r->found[i] && (!f || nx == r->fast[i]))
            r->agree++;
        else {
            char a[40], b[40];
            fprintf(stderr, "disagree #%zu: fast %s naive %s\n", i,
                    r->found[i] ? ab_time_format(r->fast[i], a, 40) : "none",
                    f ? ab_time_format(nx, b, 40) : "none");
        }
    }
    r->t_naive = now_s() - t0;
}

/* year: all fire times of 2026, by sched_next and naively on a sample. */
static void time_year(struct run *r)
{
    double t0 = now_s();
    for (size_t i = 0; i < r->ny; i++) {
        ab_time t = r->y0 - 1, nx;
        while (sched_next(r->all[i], t, &nx) == AB_OK && nx < r->y1) {
            r->count[i]++;
            t = nx;
        }
        r->fires += r->count[i];
    }
    r->t_year = now_s() - t0;

    size_t ystep = r->ny / r->nyear_base;
    t0 = now_s();
    for (size_t k = 0; k < r->nyear_base; k++) {
        size_t i = k * ystep;
        struct naive n;
        long c = 0;
        naive_init(&n, spec_of(i));
        const sched_window *w = windows[n.p.win];
        for (ab_time t = r->y0; t < r->y1; t += 60) {
            sched_lt l = t + sched_zone_offset(n.zone, t);
            if (naive_rule(&n, l) && (!w || sched_win_allows(w, l)))
                c++;
        }
        naive_done(&n);
        r->yagree += c == r->count[i];
        if (c != r->count[i])
            fprintf(stderr, "year disagree #%zu: fast %ld naive %ld\n", i,
                    r->count[i], c);
    }
    r->t_year_naive = now_s() - t0;
}

static void print_results(const struct run *r)
{
    double us_next = r->t_next * 1e6 / (double)r->nsched;
    double us_naive = r->t_naive * 1e6 / (double)r->nbase;
    double us_year = r->t_year * 1e6 / (double)r->ny;
    double us_year_naive = r->t_year_naive * 1e6 / (double)r->nyear_base;
    printf("schedules: %zu built in %.2f s (cron, RRULE, every; 3 windows; "
           "4 zones)\n", r->nsched, r->t_build);
    printf("next fire, all %zu:        %10.2f us/schedule (%.2f s)\n", r->nsched,
           us_next, r->t_next);
    printf("next fire, naive, %zu:      %10.2f us/schedule; agree %zu/%zu\n",
           r->nbase, us_naive, r->agree, r->nbase);
    printf("year of fires, %zu:        %10.2f us/schedule (%ld fires, "
           "%.3f us/fire)\n", r->ny, us_year, r->fires, r->t_year * 1e6 / (double)r->fires);
    printf("year of fires, naive, %zu:  %10.2f us/schedule; agree %zu/%zu\n",
           r->nyear_base, us_year_naive, r->yagree, r->nyear_base);
    printf("BENCH sched next_fire_us_per_schedule %.2f %.2f %.4f\n", us_next,
           us_naive, us_next / us_naive);
    printf("BENCH sched year_of_fires_us_per_schedule %.1f %.1f %.4f\n",
           us_year, us_year_naive, us_year / us_year_naive);
}

int main(int argc, char **argv)
{
    struct run r = {0};
    r.nsched = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
    size_t nyear = argc > 2 ? strtoul(argv[2], NULL, 10) : 1000;
    r.nbase = r.nsched < 1000 ? r.nsched : 1000;
    r.nyear_base = 12;
    if (ab_time_parse("2026-06-15T12:34:56Z", &r.at) ||
        ab_time_parse("2026-01-01T00:00:00Z", &r.y0) ||
        ab_time_parse("2027-01-01T00:00:00Z", &r.y1))
        return 1;
    make_windows();

    double t0 = now_s();
    r.all = malloc(r.nsched * sizeof *r.all);
    r.fast = malloc(r.nsched * sizeof *r.fast);
    r.found = malloc(r.nsched * sizeof *r.found);
    if (!r.all || !r.fast || !r.found)
        return 1;
    for (size_t i = 0; i < r.nsched; i++)
        r.all[i] = build(spec_of(i));
    r.t_build = now_s() - t0;

    time_next(&r);
    time_next_naive(&r);
    r.ny = nyear < r.nsched ? nyear : r.nsched;
    r.count = calloc(r.ny, sizeof *r.count);
    time_year(&r);
    print_results(&r);

    for (size_t i = 0; i < r.nsched; i++)
        sched_free(r.all[i]);
    for (int w = 0; w < 3; w++)
        sched_window_free(windows[w]);
    free(r.all);
    free(r.fast);
    free(r.found);
    free(r.count);
    sched_cleanup();
    return r.agree == r.nbase && r.yagree == r.nyear_base ? 0 : 1;
}
