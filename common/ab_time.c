/*
 * ab_time.c - ISO 8601 instants and human durations.
 *
 * Calendar arithmetic is done by hand on days-since-epoch (Howard
 * Hinnant's civil-date algorithm) rather than with mktime()/timegm(),
 * because those read the process time zone and normalise out-of-range
 * fields silently; a config that says 2026-02-30 must be an error.
 */
#include "ab_time.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

int64_t ab_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void ab_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t yy = (int64_t)yoe + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (*m <= 2);
}

static int days_in_month(int64_t y, unsigned m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

/* Read exactly n digits; returns -1 if they are not all digits. */
static int digits(const char **p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    return v;
}

enum ab_err ab_time_parse(const char *s, ab_time *out)
{
    const char *p = s;
    int y = digits(&p, 4);
    if (y < 0 || *p++ != '-')
        return AB_EPARSE;
    int mo = digits(&p, 2);
    if (mo < 1 || mo > 12 || *p++ != '-')
        return AB_EPARSE;
    int d = digits(&p, 2);
    if (d < 1 || d > days_in_month(y, (unsigned)mo))
        return AB_EPARSE;
    int h = 0, mi = 0, se = 0;
    long off = 0;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        h = digits(&p, 2);
        if (h < 0 || h > 23 || *p++ != ':')
            return AB_EPARSE;
        mi = digits(&p, 2);
        if (mi < 0 || mi > 59)
            return AB_EPARSE;
        if (*p == ':') {
            p++;
            se = digits(&p, 2);
            /* 60 is a leap second; fold it onto the next second. */
            if (se < 0 || se > 60)
                return AB_EPARSE;
            if (*p == '.' || *p == ',') {
                p++;
                if (!isdigit((unsigned char)*p))
                    return AB_EPARSE;
                while (isdigit((unsigned char)*p))
                    p++;
            }
        }
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p++ == '-' ? -1 : 1;
            int oh = digits(&p, 2);
            if (oh < 0 || oh > 23)
                return AB_EPARSE;
            if (*p == ':')
                p++;
            int om = digits(&p, 2);
            if (om < 0 || om > 59)
                return AB_EPARSE;
            off = sign * (oh * 3600L + om * 60L);
        }
    }
    if (*p != '\0')
        return AB_EPARSE;
    int64_t days = ab_days_from_civil(y, (unsigned)mo, (unsigned)d);
    *out = days * 86400 + h * 3600 + mi * 60 + se - off;
    return AB_OK;
}

char *ab_time_format(ab_time t, char *buf, size_t len)
{
    int64_t days = t / 86400, rem = t % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    int64_t y;
    unsigned m, d;
    ab_civil_from_days(days, &y, &m, &d);
    snprintf(buf, len, "%04lld-%02u-%02uT%02d:%02d:%02dZ", (long long)y, m, d,
             (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
    return buf;
}

enum ab_err ab_duration_parse(const char *s, int64_t *secs)
{
    const char *p = s;
    int64_t total = 0;
    int parts = 0;
    while (*p) {
        if (!isdigit((unsigned char)*p))
            return AB_EPARSE;
        int64_t v = 0;
        while (isdigit((unsigned char)*p)) {
            v = v * 10 + (*p - '0');
            if (v > (int64_t)1 << 40)
                return AB_ERANGE;
            p++;
        }
        int64_t unit;
        switch (*p) {
        case 's': unit = 1; break;
        case 'm': unit = 60; break;
        case 'h': unit = 3600; break;
        case 'd': unit = 86400; break;
        case 'w': unit = 7 * 86400; break;
        default: return AB_EPARSE;
        }
        p++;
        total += v * unit;
        parts++;
    }
    if (parts == 0)
        return AB_EPARSE;
    *secs = total;
    return AB_OK;
}

char *ab_duration_format(int64_t secs, char *buf, size_t len)
{
    static const struct {
        int64_t n;
        char c;
    } units[] = {{7 * 86400, 'w'}, {86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
    size_t o = 0;
    if (len == 0)
        return buf;
    buf[0] = '\0';
    if (secs == 0) {
        snprintf(buf, len, "0s");
        return buf;
    }
    if (secs < 0) {
        o += (size_t)snprintf(buf, len, "-");
        secs = -secs;
    }
    for (size_t i = 0; i < sizeof units / sizeof units[0] && o < len; i++) {
        if (secs >= units[i].n) {
            o += (size_t)snprintf(buf + o, len - o, "%lld%c",
                                  (long long)(secs / units[i].n), units[i].c);
            secs %= units[i].n;
        }
    }
    return buf;
}
