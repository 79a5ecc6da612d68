/*
 * chk_time.c - time zones, calendar periods and timestamp text for checks.
 *
 * Zone rules come from libical's builtin zones (the system tzdata).  UTC
 * is done by hand: it is the common case (the benchmark's 10,000 checks
 * take this path) and needs no lookup.  Calendar periods are computed as
 * wall-clock boundaries (midnight, Monday, the 1st) in the check's zone
 * and only then turned into instants, so a day across a DST switch is 23
 * or 25 hours long, as it should be.
 */
#include "checks/chk_int.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/ab_dl_ical.h"

int chk_zone_is_utc(const char *zone)
{
    return !zone || !*zone || strcasecmp(zone, "UTC") == 0 ||
           strcasecmp(zone, "Etc/UTC") == 0 || strcasecmp(zone, "Z") == 0 ||
           strcasecmp(zone, "GMT") == 0 || strcasecmp(zone, "Etc/GMT") == 0;
}

static icaltimezone *zone_get(const char *zone, ab_errmsg *em)
{
    icaltimezone *z = icaltimezone_get_builtin_timezone(zone);
    if (!z)
        ab_fail(em, AB_EINVAL, "unknown time zone '%s'", zone);
    return z;
}

enum ab_err chk_zone_check(const char *zone, ab_errmsg *em)
{
    if (chk_zone_is_utc(zone))
        return AB_OK;
    return zone_get(zone, em) ? AB_OK : AB_EINVAL;
}

static void civil_from_utc(ab_time t, struct chk_civil *c)
{
    int64_t days = t / 86400, rem = t % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    unsigned m, d;
    ab_civil_from_days(days, &c->y, &m, &d);
    c->mo = (int)m;
    c->d = (int)d;
    c->h = (int)(rem / 3600);
    c->mi = (int)(rem / 60 % 60);
    c->s = (int)(rem % 60);
}

static ab_time utc_from_civil(const struct chk_civil *c)
{
    return ab_days_from_civil(c->y, (unsigned)c->mo, (unsigned)c->d) * 86400 +
           c->h * 3600 + c->mi * 60 + c->s;
}

enum ab_err chk_to_civil(const char *zone, ab_time t, struct chk_civil *out,
                         ab_errmsg *em)
{
    if (chk_zone_is_utc(zone)) {
        civil_from_utc(t, out);
        return AB_OK;
    }
    icaltimezone *z = zone_get(zone, em);
    if (!z)
        return AB_EINVAL;
    struct icaltimetype tt = icaltime_from_timet_with_zone((time_t)t, 0, z);
    out->y = tt.year;
    out->mo = tt.month;
    out->d = tt.day;
    out->h = tt.hour;
    out->mi = tt.minute;
    out->s = tt.second;
    return AB_OK;
}

enum ab_err chk_from_civil(const char *zone, const struct chk_civil *c,
                           ab_time *out, ab_errmsg *em)
{
    if (chk_zone_is_utc(zone)) {
        *out = utc_from_civil(c);
        return AB_OK;
    }
    icaltimezone *z = zone_get(zone, em);
    if (!z)
        return AB_EINVAL;
    struct icaltimetype tt = icaltime_null_time();
    tt.year = (int)c->y;
    tt.month = c->mo;
    tt.day = c->d;
    tt.hour = c->h;
    tt.minute = c->mi;
    tt.second = c->s;
    tt.zone = z;
    *out = (ab_time)icaltime_as_timet_with_zone(tt, z);
    return AB_OK;
}

/* Add days to a civil date (time of day unchanged). */
static void civil_add_days(struct chk_civil *c, int64_t n)
{
    int64_t days = ab_days_from_civil(c->y, (unsigned)c->mo, (unsigned)c->d) + n;
    unsigned m, d;
    ab_civil_from_days(days, &c->y, &m, &d);
    c->mo = (int)m;
    c->d = (int)d;
}

enum ab_err chk_period_bounds(enum cfg_period p, const char *zone, ab_time now,
                              ab_time *start, ab_time *end, ab_errmsg *em)
{
    struct chk_civil c, s, e;
    enum ab_err err = chk_to_civil(zone, now, &c, em);
    if (err)
        return err;
    s = c;
    s.h = s.mi = s.s = 0;
    switch (p) {
    case CFG_PERIOD_DAY:
        e = s;
        civil_add_days(&e, 1);
        break;
    case CFG_PERIOD_WEEK: {
        /* 1970-01-01 was a Thursday: (days + 3) % 7 is 0 on Mondays. */
        int64_t days = ab_days_from_civil(s.y, (unsigned)s.mo, (unsigned)s.d);
        int64_t dow = ((days + 3) % 7 + 7) % 7;
        civil_add_days(&s, -dow);
        e = s;
        civil_add_days(&e, 7);
        break;
    }
    case CFG_PERIOD_MONTH:
        s.d = 1;
        e = s;
        if (++e.mo > 12) {
            e.mo = 1;
            e.y++;
        }
        break;
    case CFG_PERIOD_QUARTER:
        s.d = 1;
        s.mo = (s.mo - 1) / 3 * 3 + 1;
        e = s;
        e.mo += 3;
        if (e.mo > 12) {
            e.mo -= 12;
            e.y++;
        }
        break;
    case CFG_PERIOD_YEAR:
        s.d = 1;
        s.mo = 1;
        e = s;
        e.y++;
        break;
    default:
        return ab_fail(em, AB_EINVAL, "no calendar period given");
    }
    if ((err = chk_from_civil(zone, &s, start, em)) ||
        (err = chk_from_civil(zone, &e, end, em)))
        return err;
    return AB_OK;
}

/*
 * Find where the offset of an ISO timestamp begins: 'Z' or a sign after
 * the time part.  Returns the index, or -1 for a naive timestamp.
 */
static int offset_at(const char *s)
{
    size_t n = strlen(s);
    if (n <= 10) /* a date alone has no offset; its '-' are separators */
        return -1;
    for (size_t i = 11; i < n; i++)
        if (s[i] == 'Z' || s[i] == 'z' || s[i] == '+' || s[i] == '-')
            return (int)i;
    return -1;
}

/* Parse "Z", "+HH", "+HHMM", "+HH:MM" into seconds east of UTC. */
static int parse_offset(const char *p, int *off, enum chk_suffix *sfx)
{
    if ((p[0] == 'Z' || p[0] == 'z') && p[1] == '\0') {
        *off = 0;
        *sfx = CHK_SFX_Z;
        return 1;
    }
    int sign = p[0] == '-' ? -1 : 1;
    p++;
    if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]))
        return 0;
    int h = (p[0] - '0') * 10 + (p[1] - '0'), m = 0;
    p += 2;
    if (*p == '\0') {
        *sfx = CHK_SFX_HOURS;
    } else {
        *sfx = CHK_SFX_NOCOLON;
        if (*p == ':') {
            p++;
            *sfx = CHK_SFX_COLON;
        }
        if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]) || p[2])
            return 0;
        m = (p[0] - '0') * 10 + (p[1] - '0');
    }
    if (h > 23 || m > 59)
        return 0;
    *off = sign * (h * 3600 + m * 60);
    return 1;
}

enum ab_err chk_ts_parse(const char *text, const char *zone, ab_time *out,
                         ab_errmsg *em)
{
    char naive[64];
    size_t n = strlen(text);
    /* Drivers pad CHAR columns; a trailing space is not part of the time. */
    while (n > 0 && isspace((unsigned char)text[n - 1]))
        n--;
    if (n == 0 || n >= sizeof naive)
        return ab_fail(em, AB_EPARSE, "'%.*s' is not an ISO 8601 timestamp",
                       (int)(n < 64 ? n : 64), text);
    memcpy(naive, text, n);
    naive[n] = '\0';
    int at = offset_at(naive), off = 0;
    enum chk_suffix sfx = CHK_SFX_NONE;
    if (at >= 0) {
        if (!parse_offset(naive + at, &off, &sfx))
            return ab_fail(em, AB_EPARSE, "'%s': bad UTC offset", naive);
        naive[at] = '\0';
    }
    ab_time t;
    if (ab_time_parse(naive, &t) != AB_OK)
        return ab_fail(em, AB_EPARSE, "'%.*s' is not an ISO 8601 timestamp",
                       (int)n, text);
    if (sfx != CHK_SFX_NONE) {
        *out = t - off;
        return AB_OK;
    }
    /* Naive: t holds the wall clock read as UTC; place it in zone. */
    struct chk_civil c;
    civil_from_utc(t, &c);
    return chk_from_civil(zone, &c, out, em);
}

void chk_tshape_default(struct chk_tshape *sh)
{
    sh->sep = 'T';
    sh->frac = 0;
    sh->sfx = CHK_SFX_Z;
    sh->off = 0;
}

int chk_tshape_learn(const char *text, struct chk_tshape *sh)
{
    ab_time dummy;
    if (chk_ts_parse(text, NULL, &dummy, NULL) != AB_OK)
        return 0;
    struct chk_tshape r = {0, 0, CHK_SFX_NONE, 0};
    size_t n = strlen(text);
    while (n > 0 && isspace((unsigned char)text[n - 1]))
        n--;
    if (n > 10)
        r.sep = text[10] == 't' ? 'T' : text[10];
    /* Fraction: digits after "HH:MM:SS." at index 19. */
    if (n > 20 && (text[19] == '.' || text[19] == ','))
        for (size_t i = 20; i < n && isdigit((unsigned char)text[i]) && r.frac < 9; i++)
            r.frac++;
    char tmp[64];
    memcpy(tmp, text, n < sizeof tmp ? n : sizeof tmp - 1);
    tmp[n < sizeof tmp ? n : sizeof tmp - 1] = '\0';
    int at = offset_at(tmp);
    if (at >= 0 && !parse_offset(tmp + at, &r.off, &r.sfx))
        return 0;
    *sh = r;
    return 1;
}

enum ab_err chk_tshape_format(const struct chk_tshape *sh, const char *zone,
                              ab_time t, char *buf, size_t len, ab_errmsg *em)
{
    struct chk_civil c;
    int off = 0;
    if (sh->sfx == CHK_SFX_NONE) {
        enum ab_err e = chk_to_civil(zone, t, &c, em);
        if (e)
            return e;
    } else {
        /* Text with an offset compares correctly only against the same
         * offset: use the sample's. */
        off = sh->sfx == CHK_SFX_Z ? 0 : sh->off;
        civil_from_utc(t + off, &c);
    }
    size_t o = (size_t)snprintf(buf, len, "%04lld-%02d-%02d", (long long)c.y, c.mo, c.d);
    if (sh->sep && o < len) {
        o += (size_t)snprintf(buf + o, len - o, "%c%02d:%02d:%02d", sh->sep, c.h,
                              c.mi, c.s);
        if (sh->frac > 0 && o < len)
            o += (size_t)snprintf(buf + o, len - o, ".%.*s", sh->frac, "000000000");
        int a = off < 0 ? -off : off;
        char sign = off < 0 ? '-' : '+';
        if (o < len) {
            switch (sh->sfx) {
            case CHK_SFX_Z:
                snprintf(buf + o, len - o, "Z");
                break;
            case CHK_SFX_COLON:
                snprintf(buf + o, len - o, "%c%02d:%02d", sign, a / 3600, a / 60 % 60);
                break;
            case CHK_SFX_NOCOLON:
                snprintf(buf + o, len - o, "%c%02d%02d", sign, a / 3600, a / 60 % 60);
                break;
            case CHK_SFX_HOURS:
                snprintf(buf + o, len - o, "%c%02d", sign, a / 3600);
                break;
            case CHK_SFX_NONE:
                break;
            }
        }
    }
    return AB_OK;
}

char *chk_age_format(int64_t secs, char *buf, size_t len)
{
    /* The words every message about an age uses: "3 days 4 hours". */
    return ab_duration_human(secs < 0 ? -secs : secs, buf, len);
}
