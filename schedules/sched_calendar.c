/*
 * sched_calendar.c - maintenance calendars: RFC 5545 iCalendar files whose
 * VEVENTs are periods during which checks do not run and alerts are held
 * (seed 002 use case 4: one-off downtime on given dates).
 *
 * libical parses the file, but it reports no line numbers and silently
 * drops properties it cannot read, so a first pass of our own walks the
 * content lines (after unfolding, RFC 5545 3.1), checks BEGIN/END nesting
 * and hands each property we rely on to libical alone, which lets every
 * error name "file:line".  Then events are built from libical's tree:
 * DTSTART, DTEND or DURATION (DTEND exclusive), TZID (the file's own
 * VTIMEZONE first, then an IANA zone of that name), RRULE, RDATE, EXDATE,
 * SUMMARY; STATUS:CANCELLED events are ignored.
 */
#include <ctype.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/ab_mem.h"
#include "schedules/sched_int.h"

#define CAL_MAX_BYTES (16 * 1024 * 1024)
#define CAL_MAX_DEPTH 16

struct exd {
    int is_date;
    sched_lt v; /* a local start, or a local day number */
};

struct event {
    char *summary;
    int line;
    const sched_zone *zone; /* NULL: UTC, or floating (observer's zone) */
    int floating;
    sched_lt start; /* local DTSTART */
    int64_t dur;    /* wall-clock length in seconds */
    struct sched_rr *rr;
    struct exd *ex;
    size_t nex;
    sched_lt *rd;
    size_t nrd;
};

struct czone {
    char *tzid;
    sched_zone *z;
};

struct sched_calendar {
    atomic_int refs;
    char *name;
    struct event *ev;
    size_t nev;
    struct czone *zones;
    size_t nzones;
};

void sched_cal_ref(sched_calendar *c)
{
    atomic_fetch_add(&c->refs, 1);
}

size_t sched_calendar_count(const sched_calendar *c)
{
    return c ? c->nev : 0;
}

void sched_calendar_free(sched_calendar *c)
{
    if (!c || atomic_fetch_sub(&c->refs, 1) != 1)
        return;
    for (size_t i = 0; i < c->nev; i++) {
        ab_free(c->ev[i].summary);
        sched_rr_free(c->ev[i].rr);
        ab_free(c->ev[i].ex);
        ab_free(c->ev[i].rd);
    }
    for (size_t i = 0; i < c->nzones; i++) {
        ab_free(c->zones[i].tzid);
        sched_zone_free(c->zones[i].z);
    }
    ab_free(c->ev);
    ab_free(c->zones);
    ab_free(c->name);
    ab_free(c);
}

/* ---- pass 1: content lines, nesting, properties, with line numbers ------- */

struct pass1 {
    const char *name;
    int *vevent_lines; /* line of each BEGIN:VEVENT, in order */
    size_t nvevents;
};

/* Validate one unfolded content line that sits inside `in`. */
static enum ab_err check_property(const char *name, int lineno, char *line,
                                  const char *in, ab_errmsg *em)
{
    static const char *const checked[] = {"DTSTART", "DTEND", "DURATION",
                                          "RRULE",   "EXDATE", "RDATE"};
    size_t nl = strcspn(line, ";:");
    int want = 0;
    if (strcmp(in, "VEVENT") != 0)
        return AB_OK;
    for (size_t i = 0; i < sizeof checked / sizeof *checked; i++)
        if (strlen(checked[i]) == nl && strncasecmp(line, checked[i], nl) == 0)
            want = 1;
    if (!want)
        return AB_OK;
    const char *value = strchr(line, ':');
    if (nl == 5 && strncasecmp(line, "RRULE", 5) == 0) {
        struct icalrecurrencetype r;
        ab_errmsg sub;
        if (sched_rr_parse(value + 1, &r, &sub) != AB_OK)
            return ab_fail(em, AB_EPARSE, "%s:%d: RRULE: %s", name, lineno,
                           sub.text);
    }
    icalerror_clear_errno();
    icalproperty *p = icalproperty_new_from_string(line);
    if (!p)
        return ab_fail(em, AB_EPARSE, "%s:%d: %.*s: invalid value \"%.80s\"",
                       name, lineno, (int)nl, line, value + 1);
    icalproperty_free(p);
    return AB_OK;
}

struct p1state {
    struct pass1 *p1;
    char stack[CAL_MAX_DEPTH][32];
    int stack_line[CAL_MAX_DEPTH];
    int depth, saw_begin;
};

/* One unfolded content line, starting on physical line `ln`. */
static enum ab_err content_line(struct p1state *st, char *cur, int ln,
                                ab_errmsg *em)
{
    const char *name = st->p1->name;
    if (!cur[0])
        return AB_OK; /* blank lines are not RFC 5545, but harmless */
    char *colon = strchr(cur, ':');
    size_t nl = strcspn(cur, ";:");
    if (!colon)
        return ab_fail(em, AB_EPARSE,
                       "%s:%d: not a content line (NAME:VALUE): \"%.60s\"",
                       name, ln, cur);
    const char *val = colon + 1;
    if (nl == 5 && strncasecmp(cur, "BEGIN", 5) == 0) {
        if (!st->saw_begin && strcasecmp(val, "VCALENDAR") != 0)
            return ab_fail(em, AB_EPARSE, "%s:%d: expected BEGIN:VCALENDAR",
                           name, ln);
        st->saw_begin = 1;
        if (st->depth == CAL_MAX_DEPTH)
            return ab_fail(em, AB_EPARSE, "%s:%d: components nested too deep",
                           name, ln);
        snprintf(st->stack[st->depth], sizeof st->stack[0], "%s", val);
        st->stack_line[st->depth++] = ln;
        if (strcasecmp(val, "VEVENT") == 0) {
            struct pass1 *p1 = st->p1;
            int *nv = ab_realloc(p1->vevent_lines,
                                 (p1->nvevents + 1) * sizeof *nv);
            if (!nv)
                return ab_fail(em, AB_ENOMEM, "%s: out of memory", name);
            p1->vevent_lines = nv;
            p1->vevent_lines[p1->nvevents++] = ln;
        }
        return AB_OK;
    }
    if (nl == 3 && strncasecmp(cur, "END", 3) == 0) {
        if (st->depth == 0)
            return ab_fail(em, AB_EPARSE, "%s:%d: END:%.40s without BEGIN",
                           name, ln, val);
        if (strcasecmp(st->stack[st->depth - 1], val) != 0)
            return ab_fail(em, AB_EPARSE,
                           "%s:%d: END:%.40s does not close BEGIN:%s (line %d)",
                           name, ln, val, st->stack[st->depth - 1],
                           st->stack_line[st->depth - 1]);
        st->depth--;
        return AB_OK;
    }
    if (!st->saw_begin || st->depth == 0)
        return ab_fail(em, AB_EPARSE, "%s:%d: property outside BEGIN:VCALENDAR",
                       name, ln);
    return check_property(name, ln, cur, st->stack[st->depth - 1], em);
}

static enum ab_err pass1(struct pass1 *p1, char *text, ab_errmsg *em)
{
    struct p1state st = {.p1 = p1};
    char *cur = NULL;
    size_t cur_len = 0, cur_cap = 0;
    int cur_line = 0, lineno = 0, have = 0;
    enum ab_err rc = AB_OK;

    for (char *s = text; *s;) {
        char *eol = strchr(s, '\n');
        size_t len = eol ? (size_t)(eol - s) : strlen(s);
        char *next = eol ? eol + 1 : s + len;
        if (len > 0 && s[len - 1] == '\r')
            len--;
        lineno++;
        /* A line starting with a blank continues the previous one. */
        int cont = have && len > 0 && (s[0] == ' ' || s[0] == '\t');
        if (!cont) {
            if (have && (rc = content_line(&st, cur, cur_line, em)) != AB_OK)
                goto out;
            cur_len = 0;
            cur_line = lineno;
            have = 1;
        } else {
            s++;
            len--;
        }
        if (cur_len + len + 1 > cur_cap) {
            size_t nc = (cur_len + len + 1) * 2;
            char *nb = ab_realloc(cur, nc);
            if (!nb) {
                rc = ab_fail(em, AB_ENOMEM, "%s: out of memory", p1->name);
                goto out;
            }
            cur = nb;
            cur_cap = nc;
        }
        memcpy(cur + cur_len, s, len);
        cur_len += len;
        cur[cur_len] = '\0';
        s = next;
    }
    if (have && (rc = content_line(&st, cur, cur_line, em)) != AB_OK)
        goto out;
    if (!st.saw_begin)
        rc = ab_fail(em, AB_EPARSE, "%s:1: expected BEGIN:VCALENDAR",
                     p1->name);
    else if (st.depth > 0)
        rc = ab_fail(em, AB_EPARSE, "%s:%d: BEGIN:%s is never closed",
                     p1->name, st.stack_line[st.depth - 1],
                     st.stack[st.depth - 1]);
out:
    ab_free(cur);
    return rc;
}

/* ---- pass 2: events from libical's tree ----------------------------------- */

/* The zone a TZID names: the file's own VTIMEZONE, else an IANA zone.
 * OUT *z (NULL for UTC). */
static enum ab_err cal_zone(sched_calendar *c, const char *tzid,
                            const sched_zone **z, ab_errmsg *em)
{
    for (size_t i = 0; i < c->nzones; i++) {
        if (strcmp(c->zones[i].tzid, tzid) == 0) {
            *z = c->zones[i].z;
            return AB_OK;
        }
    }
    /* "/freeassociation.sourceforge.net/America/Los_Angeles" and the like
     * end with the IANA name: try each suffix after a '/'. */
    for (const char *p = tzid; p; p = strchr(p, '/')) {
        if (*p == '/')
            p++;
        ab_errmsg ignore;
        if (*p && sched_zone_get(p, z, &ignore) == AB_OK)
            return AB_OK;
    }
    return ab_fail(em, AB_ENOTFOUND, "TZID \"%.80s\": unknown time zone",
                   tzid);
}

/* How a DATE-TIME property is to be read: its zone, or floating. */
struct when {
    sched_lt l;
    const sched_zone *zone;
    int floating, is_date, utc;
};

static enum ab_err prop_when(sched_calendar *c, icalproperty *p,
                             struct icaltimetype t, struct when *w,
                             ab_errmsg *em)
{
    w->l = sched_lt_from_ical(t);
    w->zone = NULL;
    w->is_date = t.is_date;
    w->utc = icaltime_is_utc(t);
    w->floating = !w->utc;
    icalparameter *tz = icalproperty_get_first_parameter(p, ICAL_TZID_PARAMETER);
    if (tz && !t.is_date && !w->utc) {
        const char *tzid = icalparameter_get_tzid(tz);
        enum ab_err rc = cal_zone(c, tzid ? tzid : "", &w->zone, em);
        if (rc != AB_OK)
            return rc;
        w->floating = 0;
    }
    return AB_OK;
}

/* A time read in the event's frame: local in zone ev, given w. */
static sched_lt in_frame(const struct event *ev, const struct when *w)
{
    if (w->floating || (!w->utc && w->zone == ev->zone))
        return w->l;
    ab_time t = w->utc ? w->l : sched_zone_utc(w->zone, w->l, SCHED_GAP_RFC);
    return sched_zone_local(ev->zone, t);
}

/* DTSTART, then DTEND or DURATION: the event's start, its frame (zone or
 * floating) and its wall-clock length. */
static enum ab_err event_span(sched_calendar *c, icalcomponent *ve, int line,
                              struct event *ev, ab_errmsg *em)
{
    enum ab_err rc;
    struct when w;
    const char *name = c->name;
    icalproperty *p = icalcomponent_get_first_property(ve, ICAL_DTSTART_PROPERTY);
    if (!p)
        return ab_fail(em, AB_EPARSE, "%s:%d: VEVENT without DTSTART", name,
                       line);
    struct icaltimetype ds = icalproperty_get_dtstart(p);
    if ((rc = prop_when(c, p, ds, &w, em)) != AB_OK)
        return ab_failctx(em, rc, "%s:%d: DTSTART", name, line);
    ev->start = w.l;
    ev->zone = w.zone;
    ev->floating = w.floating;
    int all_day = w.is_date;

    if ((p = icalcomponent_get_first_property(ve, ICAL_DTEND_PROPERTY))) {
        struct when e;
        if ((rc = prop_when(c, p, icalproperty_get_dtend(p), &e, em)) != AB_OK)
            return ab_failctx(em, rc, "%s:%d: DTEND", name, line);
        ev->dur = in_frame(ev, &e) - ev->start;
    } else if ((p = icalcomponent_get_first_property(ve,
                                                     ICAL_DURATION_PROPERTY))) {
        ev->dur = icaldurationtype_as_int(icalproperty_get_duration(p));
    } else {
        ev->dur = all_day ? SCHED_DAY : 0; /* RFC 5545 3.6.1 */
    }
    if (ev->dur < 0)
        return ab_fail(em, AB_EPARSE, "%s:%d: VEVENT ends before it starts",
                       name, line);
    return AB_OK;
}

/* The event's RRULE, if it has one, iterated from its start in its zone. */
static enum ab_err event_rrule(sched_calendar *c, icalcomponent *ve, int line,
                               struct event *ev, ab_errmsg *em)
{
    icalproperty *p = icalcomponent_get_first_property(ve, ICAL_RRULE_PROPERTY);
    if (!p)
        return AB_OK;
    struct icalrecurrencetype r = icalproperty_get_rrule(p);
    char what[64];
    snprintf(what, sizeof what, "%s:%d: RRULE", c->name, line);
    if (r.freq == ICAL_SECONDLY_RECURRENCE)
        return ab_fail(em, AB_EINVAL, "%s: FREQ=SECONDLY is not supported",
                       what);
    return sched_rr_new(&r, ev->start, ev->zone, what, &ev->rr, em);
}

/* The event's EXDATEs, each a local start in the event's frame or a whole
 * local day.  AB_ENOMEM without a message (add_event writes it). */
static enum ab_err event_exdates(sched_calendar *c, icalcomponent *ve, int line,
                                 struct event *ev, ab_errmsg *em)
{
    for (icalproperty *p = icalcomponent_get_first_property(ve, ICAL_EXDATE_PROPERTY);
         p; p = icalcomponent_get_next_property(ve, ICAL_EXDATE_PROPERTY)) {
        struct when x;
        enum ab_err rc = prop_when(c, p, icalproperty_get_exdate(p), &x, em);
        if (rc != AB_OK) {
            ab_failctx(em, rc, "%s:%d: EXDATE", c->name, line);
            return rc;
        }
        struct exd *nv = ab_realloc(ev->ex, (ev->nex + 1) * sizeof *nv);
        if (!nv)
            return AB_ENOMEM;
        ev->ex = nv;
        ev->ex[ev->nex].is_date = x.is_date;
        ev->ex[ev->nex].v = x.is_date ? sched_fdiv(x.l, SCHED_DAY)
                                      : in_frame(ev, &x);
        ev->nex++;
    }
    return AB_OK;
}

/* The event's RDATEs (date-times), as local starts in the event's frame.
 * AB_ENOMEM without a message (add_event writes it). */
static enum ab_err event_rdates(sched_calendar *c, icalcomponent *ve, int line,
                                struct event *ev, ab_errmsg *em)
{
    for (icalproperty *p = icalcomponent_get_first_property(ve, ICAL_RDATE_PROPERTY);
         p; p = icalcomponent_get_next_property(ve, ICAL_RDATE_PROPERTY)) {
        struct icaldatetimeperiodtype rd = icalproperty_get_rdate(p);
        struct when x;
        if (icaltime_is_null_time(rd.time))
            continue; /* PERIOD values are not supported: ignored */
        enum ab_err rc = prop_when(c, p, rd.time, &x, em);
        if (rc != AB_OK) {
            ab_failctx(em, rc, "%s:%d: RDATE", c->name, line);
            return rc;
        }
        sched_lt *nv = ab_realloc(ev->rd, (ev->nrd + 1) * sizeof *nv);
        if (!nv)
            return AB_ENOMEM;
        ev->rd = nv;
        ev->rd[ev->nrd++] = in_frame(ev, &x);
    }
    return AB_OK;
}

static enum ab_err add_event(sched_calendar *c, icalcomponent *ve, int line,
                             ab_errmsg *em)
{
    struct event ev = {0};
    icalproperty *p = icalcomponent_get_first_property(ve, ICAL_STATUS_PROPERTY);
    if (p && icalproperty_get_status(p) == ICAL_STATUS_CANCELLED)
        return AB_OK;
    ev.line = line;
    enum ab_err rc = event_span(c, ve, line, &ev, em);
    if (rc != AB_OK)
        return rc;

    rc = AB_ENOMEM;
    const char *summary = icalcomponent_get_summary(ve);
    if (!(ev.summary = ab_strdup(summary ? summary : "")))
        goto out;
    if ((rc = event_rrule(c, ve, line, &ev, em)) != AB_OK ||
        (rc = event_exdates(c, ve, line, &ev, em)) != AB_OK ||
        (rc = event_rdates(c, ve, line, &ev, em)) != AB_OK)
        goto out;
    rc = AB_ENOMEM;
    struct event *nv = ab_realloc(c->ev, (c->nev + 1) * sizeof *nv);
    if (!nv)
        goto out;
    c->ev = nv;
    c->ev[c->nev++] = ev;
    return AB_OK;
out:
    if (rc == AB_ENOMEM)
        ab_fail(em, rc, "%s: out of memory", c->name);
    ab_free(ev.summary);
    sched_rr_free(ev.rr);
    ab_free(ev.ex);
    ab_free(ev.rd);
    return rc;
}

static enum ab_err add_zones(sched_calendar *c, icalcomponent *root,
                             ab_errmsg *em)
{
    for (icalcomponent *vt =
             icalcomponent_get_first_component(root, ICAL_VTIMEZONE_COMPONENT);
         vt; vt = icalcomponent_get_next_component(root,
                                                   ICAL_VTIMEZONE_COMPONENT)) {
        icalproperty *p = icalcomponent_get_first_property(vt, ICAL_TZID_PROPERTY);
        const char *tzid = p ? icalproperty_get_tzid(p) : NULL;
        sched_zone *z = NULL;
        ab_errmsg ignore;
        if (!tzid)
            continue;
        /* A VTIMEZONE we cannot use is skipped: the TZID may still name
         * an IANA zone. */
        if (sched_zone_from_vtimezone(vt, tzid, &z, &ignore) != AB_OK)
            continue;
        struct czone *nv = ab_realloc(c->zones, (c->nzones + 1) * sizeof *nv);
        char *t = ab_strdup(tzid);
        if (!nv || !t) {
            if (nv)
                c->zones = nv;
            ab_free(t);
            sched_zone_free(z);
            return ab_fail(em, AB_ENOMEM, "%s: out of memory", c->name);
        }
        c->zones = nv;
        c->zones[c->nzones].tzid = t;
        c->zones[c->nzones++].z = z;
    }
    return AB_OK;
}

sched_calendar *sched_calendar_parse(const char *name, const char *text,
                                     size_t len, ab_errmsg *em)
{
    sched_calendar *c = NULL;
    icalcomponent *root = NULL;
    struct pass1 p1 = {0};
    char *buf = NULL;
    enum ab_err rc = AB_ENOMEM;
    if (!name)
        name = "calendar";
    sched_ical_init();
    if (memchr(text, '\0', len)) {
        ab_fail(em, AB_EPARSE, "%s: contains a NUL byte", name);
        return NULL;
    }
    if (!(buf = ab_malloc(len + 1)))
        goto out;
    memcpy(buf, text, len);
    buf[len] = '\0';
    if (!(c = ab_calloc(1, sizeof *c)) || !(c->name = ab_strdup(name)))
        goto out;
    atomic_init(&c->refs, 1);
    p1.name = name;
    if ((rc = pass1(&p1, buf, em)) != AB_OK)
        goto out;
    rc = AB_EPARSE;
    root = icalparser_parse_string(buf);
    if (!root) {
        ab_fail(em, rc, "%s: not an iCalendar file", name);
        goto out;
    }
    if ((rc = add_zones(c, root, em)) != AB_OK)
        goto out;
    size_t i = 0;
    /* libical may hand back the VCALENDAR itself or a wrapper around it. */
    icalcomponent *cal = root;
    if (icalcomponent_isa(root) != ICAL_VCALENDAR_COMPONENT) {
        icalcomponent *inner =
            icalcomponent_get_first_component(root, ICAL_VCALENDAR_COMPONENT);
        if (inner)
            cal = inner;
    }
    for (icalcomponent *ve =
             icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
         ve; ve = icalcomponent_get_next_component(cal, ICAL_VEVENT_COMPONENT),
                      i++) {
        int line = i < p1.nvevents ? p1.vevent_lines[i] : 0;
        if ((rc = add_event(c, ve, line, em)) != AB_OK)
            goto out;
    }
    rc = AB_OK;
out:
    if (rc == AB_ENOMEM)
        ab_fail(em, rc, "%s: out of memory", name);
    if (root)
        icalcomponent_free(root);
    ab_free(p1.vevent_lines);
    ab_free(buf);
    if (rc != AB_OK) {
        sched_calendar_free(c);
        return NULL;
    }
    return c;
}

sched_calendar *sched_calendar_load(const char *path, ab_errmsg *em)
{
    char *text = NULL;
    size_t len = 0;
    sched_calendar *c = NULL;
    if (!path) {
        ab_fail(em, AB_EINVAL, "calendar: no path");
        return NULL;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        ab_fail(em, AB_EIO, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 0;
    for (;;) {
        if (len + 4096 > cap) {
            cap = cap ? cap * 2 : 8192;
            if (cap > CAL_MAX_BYTES + 8192) {
                ab_fail(em, AB_ERANGE, "%s: larger than %d bytes", path,
                        CAL_MAX_BYTES);
                goto out;
            }
            char *nb = ab_realloc(text, cap);
            if (!nb) {
                ab_fail(em, AB_ENOMEM, "%s: out of memory", path);
                goto out;
            }
            text = nb;
        }
        size_t n = fread(text + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    if (ferror(f)) {
        ab_fail(em, AB_EIO, "%s: read error: %s", path, strerror(errno));
        goto out;
    }
    c = sched_calendar_parse(path, text ? text : "", len, em);
out:
    fclose(f);
    ab_free(text);
    return c;
}

/* ---- queries ---------------------------------------------------------------- */

static int ex_hit(const struct event *ev, sched_lt s)
{
    for (size_t i = 0; i < ev->nex; i++)
        if (ev->ex[i].is_date ? sched_fdiv(s, SCHED_DAY) == ev->ex[i].v
                              : s == ev->ex[i].v)
            return 1;
    return 0;
}

/* Does the occurrence starting at local s cover t? */
static int occ_covers(const struct event *ev, const sched_zone *z, sched_lt s,
                      ab_time t, struct sched_occ *occ)
{
    if (ex_hit(ev, s))
        return 0;
    ab_time a = sched_zone_utc(z, s, SCHED_GAP_RFC);
    ab_time b = sched_zone_utc(z, s + ev->dur, SCHED_GAP_RFC);
    if (t < a || t >= b)
        return 0;
    occ->summary = ev->summary;
    occ->start = a;
    occ->end = b;
    return 1;
}

int sched_cal_covering(const sched_calendar *c, ab_time t,
                       const sched_zone *zone, struct sched_occ *occ)
{
    for (size_t i = 0; i < c->nev; i++) {
        const struct event *ev = &c->ev[i];
        const sched_zone *z = ev->floating ? zone : ev->zone;
        if (ev->dur <= 0)
            continue;
        if (occ_covers(ev, z, ev->start, t, occ))
            return 1;
        if (!ev->rr && !ev->nrd)
            continue;
        /* Occurrences whose start lies within one event length (plus
         * slack for a DST shift) before t. */
        sched_lt lt = sched_zone_local(z, t);
        sched_lt lo = lt - ev->dur - 2 * 3600, hi = lt + 2 * 3600;
        for (size_t k = 0; k < ev->nrd; k++)
            if (ev->rd[k] > lo && ev->rd[k] <= hi &&
                occ_covers(ev, z, ev->rd[k], t, occ))
                return 1;
        sched_lt x = lo, s;
        for (int guard = 0; ev->rr && guard < 2000; guard++) {
            if (sched_rr_next(ev->rr, x, hi, &s) != AB_OK)
                break;
            if (s != ev->start && occ_covers(ev, z, s, t, occ))
                return 1;
            x = s;
        }
    }
    return 0;
}
