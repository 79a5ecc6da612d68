/*
 * inbox_command.c - reply commands, read the way people write them.
 *
 * The command is the first non-empty line of the reply's new text (the
 * quote and the signature are already cut off by inbox_new_text_len),
 * case-insensitive, its first word the verb:
 *
 *   dismiss                       dismiss - Dana is on leave
 *   Dismiss: on leave             dismissed, back next week
 *   snooze 2d                     snooze 2 days   snooze for 3 hours
 *   snooze 1 week - vendor fix    snooze until Monday
 *   snooze until tomorrow         snooze until 2026-12-10 (or a full
 *                                 ISO 8601 time)
 *   note the feed moved to SFTP   note: called Dana
 *
 * What follows the verb (and for snooze, the duration) after a dash,
 * colon or comma is the reason, kept with the command.  "until DAY" is
 * that day at 08:00 in the site's zone (the start of a working day: a
 * snooze "until Monday" should wake people on Monday, not at midnight).
 *
 * A line whose first word looks like a command ("dismis", "snoze until
 * whenever", "mute") but that cannot be read as one is kept as a note,
 * marked not understood, so that the engine logs it and people see it,
 * rather than being dropped in silence.
 */
#include "inbox/inbox_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/ab_mem.h"

#define UNTIL_HOUR 8

static const char *skip_ws(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

/* Past a separator before a reason: " - ", ":", ",", en/em dash. */
static const char *skip_sep(const char *s)
{
    s = skip_ws(s);
    for (;;) {
        if (*s == '-' || *s == ':' || *s == ',' || *s == ';' || *s == '.')
            s++;
        else if (!strncmp(s, "\xe2\x80\x93", 3) || !strncmp(s, "\xe2\x80\x94", 3))
            s += 3; /* – — */
        else
            break;
        s = skip_ws(s);
    }
    return s;
}

/* The verb: the first word, lower-cased, letters only. */
static size_t first_word(const char *s, char *out, size_t len)
{
    size_t n = 0;
    while (isalpha((unsigned char)s[n]) && n + 1 < len) {
        out[n] = (char)tolower((unsigned char)s[n]);
        n++;
    }
    out[n] = '\0';
    while (isalpha((unsigned char)s[n]))
        n++;
    return n;
}

static int unit_secs(const char *w, int64_t *secs)
{
    static const struct {
        const char *name;
        int64_t secs;
    } units[] = {{"m", 60},        {"min", 60},     {"mins", 60},     {"minute", 60},
                 {"minutes", 60},  {"h", 3600},     {"hr", 3600},     {"hrs", 3600},
                 {"hour", 3600},   {"hours", 3600}, {"d", 86400},     {"day", 86400},
                 {"days", 86400},  {"w", 604800},   {"wk", 604800},   {"week", 604800},
                 {"weeks", 604800}};
    for (size_t i = 0; i < sizeof units / sizeof *units; i++)
        if (strcasecmp(w, units[i].name) == 0) {
            *secs = units[i].secs;
            return 1;
        }
    return 0;
}

/* "2 days 4 hours", "2d", "3h30m", "an hour", "a week"; returns the end
 * of what was read, or NULL when nothing was a duration. */
static const char *duration(const char *s, int64_t *out)
{
    int64_t total = 0;
    const char *p = skip_ws(s), *done = NULL;
    for (;;) {
        int64_t n;
        char *end;
        char w[16];
        if (isdigit((unsigned char)*p)) {
            long long v = strtoll(p, &end, 10);
            if (v <= 0 || v > 100000)
                break;
            n = v;
            p = end;
        } else {
            size_t wl = first_word(p, w, sizeof w);
            if (strcmp(w, "a") != 0 && strcmp(w, "an") != 0 && strcmp(w, "one") != 0)
                break;
            n = 1;
            p = skip_ws(p + wl);
        }
        /* "2d" or "2 days": the unit follows, with or without a space */
        const char *u = *p == ' ' ? skip_ws(p) : p;
        size_t ul = first_word(u, w, sizeof w);
        int64_t us;
        if (!ul || !unit_secs(w, &us))
            break;
        total += n * us;
        p = u + ul;
        done = p;
        p = skip_ws(p);
        if (!strncasecmp(p, "and ", 4))
            p = skip_ws(p + 4);
    }
    if (!done || total <= 0)
        return NULL;
    *out = total;
    return done;
}

/* The local civil date of t in zone, as days since 1970-01-01. */
static int64_t local_day(ab_time t, const char *zone, int *wday)
{
    int32_t off = ab_zone_offset(zone, t, NULL, 0);
    int64_t d = (t + off) / 86400 - ((t + off) % 86400 < 0);
    *wday = (int)(((d % 7) + 11) % 7); /* 1970-01-01 was a Thursday: 4 */
    return d;
}

/* DAY at UNTIL_HOUR local, in UTC. */
static ab_time at_local(int64_t day, const char *zone)
{
    ab_time guess = day * 86400 + UNTIL_HOUR * 3600;
    int32_t off = ab_zone_offset(zone, guess, NULL, 0);
    /* the offset at the result, not at the guess, decides across a DST change */
    off = ab_zone_offset(zone, guess - off, NULL, 0);
    return guess - off;
}

/* "Monday", "tomorrow", "2026-12-10", "2026-12-10T09:00:00Z"; returns the
 * end of what was read, or NULL. */
static const char *until(const char *s, ab_time now, const char *zone, ab_time *out)
{
    static const char *const days[] = {"sunday", "monday", "tuesday", "wednesday",
                                       "thursday", "friday", "saturday"};
    static const char *const abbr[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
    const char *p = skip_ws(s);
    char w[16];
    int wday;
    if (isdigit((unsigned char)*p)) {
        size_t n = strspn(p, "0123456789-T:Z+.");
        char buf[40];
        if (n >= sizeof buf)
            return NULL;
        memcpy(buf, p, n);
        buf[n] = '\0';
        ab_time t;
        /* a date alone is that day in the site's zone, not midnight UTC */
        if (strchr(buf, 'T') && ab_time_parse(buf, &t) == AB_OK) {
            *out = t;
            return p + n;
        }
        unsigned y, m, d;
        char tail;
        if (sscanf(buf, "%4u-%2u-%2u%c", &y, &m, &d, &tail) == 3 && m >= 1 && m <= 12 &&
            d >= 1 && d <= 31) {
            *out = at_local(ab_days_from_civil(y, m, d), zone);
            return p + n;
        }
        return NULL;
    }
    size_t wl = first_word(p, w, sizeof w);
    if (!wl || now == AB_TIME_NONE)
        return NULL;
    int64_t today = local_day(now, zone, &wday);
    if (!strcmp(w, "tomorrow")) {
        *out = at_local(today + 1, zone);
        return p + wl;
    }
    for (int i = 0; i < 7; i++)
        if (!strcmp(w, days[i]) || !strcmp(w, abbr[i])) {
            int ahead = (i - wday + 7) % 7;
            *out = at_local(today + (ahead ? ahead : 7), zone);
            return p + wl;
        }
    return NULL;
}

/* Verbs people use for a command, including near misses, so that a
 * misread one is kept as a note rather than ignored. */
static int looks_like_command(const char *w)
{
    static const char *const stems[] = {"dism", "dimis", "snoo", "snoz", "mute", "silence",
                                        "unsnooze"};
    for (size_t i = 0; i < sizeof stems / sizeof *stems; i++)
        if (!strncmp(w, stems[i], strlen(stems[i])))
            return 1;
    return 0;
}

static void set_note(struct inbox_verdict *v, const char *text)
{
    text = skip_ws(text);
    ab_free(v->note);
    v->note = *text ? ab_strdup(text) : NULL;
}

void inbox_command_parse(struct inbox_verdict *v, const char *text, size_t len,
                         ab_time now, const char *zone)
{
    const char *p = text, *end = text + len;
    while (p < end && isspace((unsigned char)*p))
        p++;
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);
    while (ll && isspace((unsigned char)p[ll - 1]))
        ll--;
    if (ll == 0)
        return;
    char *line = ab_strndup(p, ll);
    if (!line)
        return;
    char w[24];
    size_t wl = first_word(line, w, sizeof w);
    const char *rest = line + wl;
    if (!strcmp(w, "dismiss") || !strcmp(w, "dismissed")) {
        v->cmd = INBOX_CMD_DISMISS;
        set_note(v, skip_sep(rest));
    } else if (!strcmp(w, "snooze") || !strcmp(w, "snoozed")) {
        const char *r = skip_ws(rest);
        char w2[16];
        size_t l2 = first_word(r, w2, sizeof w2);
        int64_t secs;
        ab_time t;
        const char *after;
        if (!strcmp(w2, "for"))
            r = skip_ws(r + l2), l2 = first_word(r, w2, sizeof w2);
        if (!strcmp(w2, "until") || !strcmp(w2, "till") || !strcmp(w2, "til")) {
            if ((after = until(r + l2, now, zone, &t)) && (now == AB_TIME_NONE || t > now)) {
                v->cmd = INBOX_CMD_SNOOZE;
                v->until = t;
                set_note(v, skip_sep(after));
            }
        } else if ((after = duration(r, &secs))) {
            v->cmd = INBOX_CMD_SNOOZE;
            v->snooze = secs;
            set_note(v, skip_sep(after));
        }
        if (v->cmd == INBOX_CMD_NONE) {
            v->cmd = INBOX_CMD_NOTE;
            v->cmd_unknown = 1;
            set_note(v, line);
        }
    } else if (!strcmp(w, "note")) {
        const char *t = skip_sep(rest);
        if (*t) {
            v->cmd = INBOX_CMD_NOTE;
            set_note(v, t);
        }
    } else if (wl && looks_like_command(w)) {
        v->cmd = INBOX_CMD_NOTE;
        v->cmd_unknown = 1;
        set_note(v, line);
    }
    if (v->cmd == INBOX_CMD_NOTE && !v->note)
        v->cmd = INBOX_CMD_NONE; /* out of memory: no note after all */
    ab_free(line);
}
