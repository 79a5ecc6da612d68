/*
 * ab_time_human.c - times, durations and numbers as a person reads them:
 * "Sunday 8 November 2026, 08:00 CST", "3 days 4 hours", "1,009,800".
 *
 * Mail, `status`, `acks`, `alerts` and the web all word these the same
 * way, so the wording lives here once.  The --json outputs and the state
 * database keep ISO 8601 UTC (ab_time_format): this file is for eyes only.
 *
 * A zone's offset and abbreviation come from libical's builtin zones (the
 * system tzdata, as schedules/sched_zone.c and checks/chk_time.c use).
 * schedules/ keeps only offsets in its tables; the abbreviation ("CST",
 * "CEST") is what people recognise, and libical knows it per observance.
 * libical's builtin-zone loading is not reentrant and the web serves
 * pages from its own thread, hence the mutex.
 */
#include "ab_time.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/ab_dl_ical.h"

static pthread_mutex_t zone_lock = PTHREAD_MUTEX_INITIALIZER;

static int is_utc(const char *zone)
{
    return !zone || !*zone || !strcasecmp(zone, "UTC") || !strcasecmp(zone, "Etc/UTC") ||
           !strcasecmp(zone, "GMT") || !strcasecmp(zone, "Z");
}

/* "UTC+05:30", "UTC-03", "UTC" for an offset without a name. */
static void numeric_abbr(int32_t off, char *buf, size_t len)
{
    int32_t a = off < 0 ? -off : off;
    if (off == 0)
        snprintf(buf, len, "UTC");
    else if (a % 3600)
        snprintf(buf, len, "UTC%c%02d:%02d", off < 0 ? '-' : '+', (int)(a / 3600),
                 (int)(a % 3600 / 60));
    else
        snprintf(buf, len, "UTC%c%02d", off < 0 ? '-' : '+', (int)(a / 3600));
}

int32_t ab_zone_offset(const char *zone, ab_time t, char *abbr, size_t abbrlen)
{
    if (abbr && abbrlen)
        abbr[0] = '\0';
    if (is_utc(zone)) {
        if (abbr)
            snprintf(abbr, abbrlen, "UTC");
        return 0;
    }
    int32_t off = 0;
    int dst = 0, found = 0;
    char names[64] = "";
    pthread_mutex_lock(&zone_lock);
    icaltimezone *z = icaltimezone_get_builtin_timezone(zone);
    if (z) {
        struct icaltimetype tt =
            icaltime_from_timet_with_zone((time_t)t, 0, icaltimezone_get_utc_timezone());
        off = (int32_t)icaltimezone_get_utc_offset_of_utc_time(z, &tt, &dst);
        const char *n = icaltimezone_get_tznames(z);
        if (n)
            snprintf(names, sizeof names, "%s", n);
        found = 1;
    }
    pthread_mutex_unlock(&zone_lock);
    if (!abbr || !abbrlen)
        return off;
    if (!found) {
        snprintf(abbr, abbrlen, "UTC");
        return 0;
    }
    /* libical gives "STD/DST" ("CST/CDT"), or one name for a zone that
     * never switches; tzdata writes some zones' names as numbers
     * ("-03", "+0530"): those read better as "UTC-03". */
    char *slash = strchr(names, '/');
    const char *pick = names;
    if (slash) {
        *slash = '\0';
        if (dst && slash[1])
            pick = slash + 1;
    }
    if (!*pick || *pick == '+' || *pick == '-' || (*pick >= '0' && *pick <= '9'))
        numeric_abbr(off, abbr, abbrlen);
    else
        snprintf(abbr, abbrlen, "%s", pick);
    return off;
}

static const char *const day_names[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                        "Friday", "Saturday", "Sunday"};
static const char *const month_names[] = {"January", "February", "March",     "April",
                                          "May",     "June",     "July",      "August",
                                          "September", "October", "November", "December"};

/* Local civil fields of t in zone, and the zone's abbreviation. */
static void local_fields(ab_time t, const char *zone, int64_t *y, unsigned *m, unsigned *d,
                         int *wday, int *h, int *mi, char *abbr, size_t alen)
{
    ab_time l = t + ab_zone_offset(zone, t, abbr, alen);
    int64_t days = l / 86400, rem = l % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    ab_civil_from_days(days, y, m, d);
    /* 1970-01-01 was a Thursday (index 3 with Monday = 0). */
    *wday = (int)(((days + 3) % 7 + 7) % 7);
    *h = (int)(rem / 3600);
    *mi = (int)(rem / 60 % 60);
}

char *ab_time_human(ab_time t, const char *zone, char *buf, size_t len)
{
    int64_t y;
    unsigned m, d;
    int wd, h, mi;
    char abbr[32];
    if (t == AB_TIME_NONE) {
        snprintf(buf, len, "never");
        return buf;
    }
    local_fields(t, zone, &y, &m, &d, &wd, &h, &mi, abbr, sizeof abbr);
    snprintf(buf, len, "%s %u %s %lld, %02d:%02d %s", day_names[wd], d, month_names[m - 1],
             (long long)y, h, mi, abbr);
    return buf;
}

char *ab_time_human_short(ab_time t, const char *zone, char *buf, size_t len)
{
    int64_t y;
    unsigned m, d;
    int wd, h, mi;
    char abbr[32];
    if (t == AB_TIME_NONE) {
        snprintf(buf, len, "-");
        return buf;
    }
    local_fields(t, zone, &y, &m, &d, &wd, &h, &mi, abbr, sizeof abbr);
    snprintf(buf, len, "%.3s %u %.3s %lld %02d:%02d %s", day_names[wd], d,
             month_names[m - 1], (long long)y, h, mi, abbr);
    return buf;
}

char *ab_duration_human(int64_t secs, char *buf, size_t len)
{
    static const struct {
        int64_t n;
        const char *one, *many;
    } units[] = {{86400, "day", "days"},
                 {3600, "hour", "hours"},
                 {60, "minute", "minutes"},
                 {1, "second", "seconds"}};
    const size_t nu = sizeof units / sizeof units[0];
    if (!len)
        return buf;
    const char *sign = secs < 0 ? "-" : "";
    if (secs < 0)
        secs = -secs;
    size_t i = 0;
    while (i + 1 < nu && secs < units[i].n)
        i++;
    int64_t a = secs / units[i].n, rest = secs % units[i].n;
    size_t o = (size_t)snprintf(buf, len, "%s%lld %s", sign, (long long)a,
                                a == 1 ? units[i].one : units[i].many);
    /* Two units at most: "3 days 4 hours" reads at a glance; the minutes
     * after that are noise.  A zero second unit is left out. */
    if (i + 1 < nu && o < len) {
        int64_t b = rest / units[i + 1].n;
        if (b)
            snprintf(buf + o, len - o, " %lld %s", (long long)b,
                     b == 1 ? units[i + 1].one : units[i + 1].many);
    }
    return buf;
}

/* Digits of v (v >= 0, whole) with a comma every three. */
static size_t grouped(unsigned long long v, char *buf, size_t len)
{
    char raw[32];
    int n = snprintf(raw, sizeof raw, "%llu", v);
    size_t o = 0;
    for (int i = 0; i < n && o + 1 < len; i++) {
        if (i && (n - i) % 3 == 0 && o + 2 < len)
            buf[o++] = ',';
        buf[o++] = raw[i];
    }
    if (len)
        buf[o < len ? o : len - 1] = '\0';
    return o;
}

char *ab_number_human(double v, char *buf, size_t len)
{
    if (!len)
        return buf;
    if (isnan(v) || isinf(v) || fabs(v) >= 1e15) {
        snprintf(buf, len, "%g", v);
        return buf;
    }
    size_t o = 0;
    if (v < 0) {
        o = (size_t)snprintf(buf, len, "-");
        v = -v;
    }
    /* Round to 3 decimals first, so 2.9999 becomes 3, not "2.1000". */
    double r = floor(v * 1000.0 + 0.5) / 1000.0;
    unsigned long long whole = (unsigned long long)floor(r);
    int frac = (int)floor((r - (double)whole) * 1000.0 + 0.5);
    if (frac >= 1000) {
        whole++;
        frac = 0;
    }
    if (o < len)
        o += grouped(whole, buf + o, len - o);
    if (frac && o < len) {
        char f[8];
        snprintf(f, sizeof f, "%03d", frac);
        for (int i = 2; i > 0 && f[i] == '0'; i--)
            f[i] = '\0';
        snprintf(buf + o, len - o, ".%s", f);
    }
    return buf;
}
