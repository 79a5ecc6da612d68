/*
 * cfg_schedules.c - the config side of schedules: seed 002's <Schedules>
 * block (weekly provisions and exclusions), <schedule> elements (RRULE,
 * cron, interval, zone, on-blocked) and <maintenance> calendars.
 *
 * The time logic itself is schedules/'s; here we only read the XML, hand
 * the strings over verbatim, and turn schedules/'s error detail into
 * FILE:LINE diagnostics that name the field.
 */
#include "config/cfg_int.h"

#include <string.h>
#include <strings.h>

#include "common/ab_mem.h"

/* "Weekdays" and "Weekend" stand for their days (kind to seed 002 files,
 * and what ackbeat.conf(5) showed); NULL for anything else. */
static const char *const *day_group(const char *day)
{
    static const char *const weekdays[] = {"Monday", "Tuesday", "Wednesday", "Thursday",
                                           "Friday", NULL};
    static const char *const weekend[] = {"Saturday", "Sunday", NULL};
    if (!strcasecmp(day, "Weekdays"))
        return weekdays;
    if (!strcasecmp(day, "Weekend"))
        return weekend;
    return NULL;
}

static void add_window_rule(struct cfg_builder *b, sched_window *w, xmlNode *rule,
                            enum sched_window_kind kind)
{
    xmlNode *dn, *sn, *en;
    const char *day = cfg_child_text(b, rule, "DayOfWeek", &dn);
    const char *start = cfg_child_text(b, rule, "StartTime", &sn);
    const char *end = cfg_child_text(b, rule, "EndTime", &en);
    if (!day || !start || !end) {
        cfg_err(b, rule, "%s: needs DayOfWeek, StartTime and EndTime",
                (const char *)rule->name);
        return;
    }
    /* Check each field on its own first, so that one run reports a bad
     * day and a bad time together. */
    ab_errmsg em = {{0}};
    int d, bad = 0;
    int32_t secs;
    const char *const *group = day_group(day);
    if (!group && sched_parse_day(day, &d, &em) != AB_OK) {
        cfg_err(b, dn, "%s: %s", (const char *)rule->name, em.text);
        bad = 1;
    }
    if (sched_parse_clock("StartTime", start, 0, &secs, &em) != AB_OK) {
        cfg_err(b, sn, "%s: %s", (const char *)rule->name, em.text);
        bad = 1;
    }
    if (sched_parse_clock("EndTime", end, 1, &secs, &em) != AB_OK) {
        cfg_err(b, en, "%s: %s", (const char *)rule->name, em.text);
        bad = 1;
    }
    if (bad)
        return;
    for (size_t i = 0; group && group[i]; i++)
        if (sched_window_add(w, kind, group[i], start, end, &em) != AB_OK) {
            cfg_err(b, rule, "%s: %s", (const char *)rule->name, em.text);
            return;
        }
    if (!group && sched_window_add(w, kind, day, start, end, &em) != AB_OK) {
        /* Point at the element the detail is about when we can tell. */
        xmlNode *at = rule;
        if (strstr(em.text, "DayOfWeek"))
            at = dn;
        else if (strstr(em.text, "StartTime"))
            at = sn;
        else if (strstr(em.text, "EndTime"))
            at = en;
        cfg_err(b, at, "%s: %s", (const char *)rule->name, em.text);
    }
}

void cfg_build_windows(struct cfg_builder *b, xmlNode *schedules)
{
    cfg *c = b->c;
    for (xmlNode *o = schedules->children; o; o = o->next) {
        if (!cfg_is(o, "EventScheduleObject"))
            continue;
        xmlNode *nn;
        const char *name = cfg_child_text(b, o, "EventSchedule", &nn);
        if (!name || !*name) {
            cfg_err(b, o, "EventScheduleObject: needs an EventSchedule name");
            continue;
        }
        for (size_t i = 0; i < c->nwindows; i++)
            if (strcmp(c->windows[i].name, name) == 0)
                cfg_err(b, nn, "EventSchedule \"%s\": defined twice (first on line %d)",
                        name, c->windows[i].line);
        sched_window *w = sched_window_new(name);
        if (!w) {
            b->oom = 1;
            return;
        }
        struct cfg_named_window *v =
            ab_realloc(c->windows, (c->nwindows + 1) * sizeof *v);
        if (!v) {
            sched_window_free(w);
            b->oom = 1;
            return;
        }
        c->windows = v;
        v[c->nwindows].name = name;
        v[c->nwindows].w = w;
        v[c->nwindows].line = (int)xmlGetLineNo(o);
        c->nwindows++;
        for (xmlNode *part = o->children; part; part = part->next) {
            int prov = cfg_is(part, "Provisions"), excl = cfg_is(part, "Exclusions");
            if (!prov && !excl)
                continue;
            for (xmlNode *r = part->children; r; r = r->next) {
                if (cfg_is(r, "ScheduleProvision") || cfg_is(r, "ScheduleExclusion"))
                    add_window_rule(b, w, r, cfg_is(r, "ScheduleExclusion")
                                                 ? SCHED_EXCLUSION
                                                 : SCHED_PROVISION);
            }
        }
    }
}

static sched_window *find_window(cfg *c, const char *name)
{
    for (size_t i = 0; i < c->nwindows; i++)
        if (strcmp(c->windows[i].name, name) == 0)
            return c->windows[i].w;
    return NULL;
}

static struct cfg_named_sched *push_sched(struct cfg_builder *b, const char *name,
                                          sched *s, int line, int window_only)
{
    cfg *c = b->c;
    struct cfg_named_sched *v = ab_realloc(c->scheds, (c->nscheds + 1) * sizeof *v);
    if (!v) {
        b->oom = 1;
        return NULL;
    }
    c->scheds = v;
    v[c->nscheds].name = name;
    v[c->nscheds].s = s;
    v[c->nscheds].line = line;
    v[c->nscheds].is_window_only = window_only;
    return &v[c->nscheds++];
}

void cfg_build_schedule(struct cfg_builder *b, xmlNode *n)
{
    cfg *c = b->c;
    const char *name = cfg_attr(b, n, "name");
    if (!name)
        return;
    for (size_t i = 0; i < c->nscheds; i++)
        if (strcmp(c->scheds[i].name, name) == 0 && !c->scheds[i].is_window_only)
            cfg_err(b, n, "schedule %s: defined twice (first on line %d)", name,
                    c->scheds[i].line);
    sched *s = sched_new();
    if (!s) {
        b->oom = 1;
        return;
    }
    if (!push_sched(b, name, s, (int)xmlGetLineNo(n), 0)) {
        sched_free(s);
        return;
    }
    ab_errmsg em = {{0}};
    const char *zone = cfg_attr(b, n, "timezone");
    if (zone) {
        if (sched_set_zone(s, zone, &em) != AB_OK)
            cfg_err(b, n, "schedule %s: %s", name, em.text);
    } else if (sched_set_zone(s, c->g.timezone, &em) != AB_OK) {
        /* The root's zone is wrong: reported once, for <ackbeat>. */
        ab_errmsg_clear(&em);
    }

    const char *wname = cfg_attr(b, n, "window");
    if (wname) {
        sched_window *w = find_window(c, wname);
        if (!w)
            cfg_err(b, n, "schedule %s: window=\"%s\" is not an EventSchedule "
                          "in <Schedules>", name, wname);
        else
            sched_set_window(s, w);
    }
    const char *ob = cfg_attr(b, n, "on-blocked");
    if (ob)
        sched_set_on_blocked(s, strcmp(ob, "defer") == 0 ? SCHED_DEFER : SCHED_SKIP);

    const char *rrule = cfg_attr(b, n, "rrule");
    const char *cron = cfg_attr(b, n, "cron");
    int64_t every = 0;
    int has_every = cfg_duration(b, n, "every", &every);
    if (!!rrule + !!cron + has_every > 1)
        cfg_err(b, n, "schedule %s: give only one of rrule=, cron= or every=", name);
    if (rrule && sched_set_rrule(s, rrule, cfg_attr(b, n, "dtstart"), &em) != AB_OK)
        cfg_err(b, n, "schedule %s: %s", name, em.text);
    if (cron && sched_set_cron(s, cron, &em) != AB_OK)
        cfg_err(b, n, "schedule %s: %s", name, em.text);
    if (has_every && sched_set_every(s, every, &em) != AB_OK)
        cfg_err(b, n, "schedule %s: %s", name, em.text);
    for (xmlNode *k = n->children; k; k = k->next) {
        if (!cfg_is(k, "exdate"))
            continue;
        const char *d = cfg_node_text(b, k);
        if (!rrule)
            cfg_err(b, k, "schedule %s: exdate needs an rrule", name);
        else if (d && sched_add_exdate(s, d, &em) != AB_OK)
            cfg_err(b, k, "schedule %s: exdate: %s", name, em.text);
    }
}

void cfg_build_maintenance(struct cfg_builder *b, xmlNode *n)
{
    cfg *c = b->c;
    const char *path = cfg_path_resolve(b, cfg_attr(b, n, "calendar"));
    if (!path)
        return;
    struct cfg_maintenance *m = ab_realloc(c->maint, (c->nmaint + 1) * sizeof *m);
    if (m)
        c->maint = m;
    sched_calendar **cals = m ? ab_realloc(c->cals, (c->nmaint + 1) * sizeof *cals) : NULL;
    if (cals)
        c->cals = cals;
    sched **probes = cals ? ab_realloc(c->mprobes, (c->nmaint + 1) * sizeof *probes) : NULL;
    if (probes)
        c->mprobes = probes;
    if (!m || !cals || !probes) {
        b->oom = 1;
        return;
    }
    probes[c->nmaint] = NULL;
    struct cfg_maintenance *mm = &c->maint[c->nmaint];
    memset(mm, 0, sizeof *mm);
    cals[c->nmaint] = NULL;
    c->nmaint++;
    mm->calendar = path;
    mm->line = (int)xmlGetLineNo(n);
    mm->checks = cfg_split(b, cfg_attr(b, n, "checks"), &mm->nchecks);
    ab_errmsg em = {{0}};
    sched_calendar *cal = sched_calendar_load(path, &em);
    if (!cal) {
        cfg_err(b, n, "maintenance: %s", em.text);
        return;
    }
    cals[c->nmaint - 1] = cal;
    mm->cal = cal;
    /* A schedule with no rule and only this calendar answers "is t
     * inside an event?" for every check the block covers. */
    sched *probe = sched_new();
    if (!probe || sched_add_maintenance(probe, cal) != AB_OK) {
        sched_free(probe);
        b->oom = 1;
        return;
    }
    probes[c->nmaint - 1] = probe;
}

const sched *cfg_find_schedule(struct cfg_builder *b, const char *name)
{
    cfg *c = b->c;
    for (size_t i = 0; i < c->nscheds; i++)
        if (strcmp(c->scheds[i].name, name) == 0)
            return c->scheds[i].s;
    /* Seed 002: a heartbeat names an EventSchedule directly; it runs on
     * every tick while the window allows. */
    sched_window *w = find_window(c, name);
    if (!w)
        return NULL;
    sched *s = sched_new();
    if (!s) {
        b->oom = 1;
        return NULL;
    }
    ab_errmsg em = {{0}};
    /* An unknown root zone is reported once, by cfg_load; fall back to UTC. */
    if (sched_set_zone(s, c->g.timezone, &em) != AB_OK)
        ab_errmsg_clear(&em);
    sched_set_window(s, w);
    if (!push_sched(b, name, s, 0, 1)) {
        sched_free(s);
        return NULL;
    }
    return s;
}

void cfg_check_people_quiet(struct cfg_builder *b)
{
    /* Quiet hours name a schedule; resolved once all schedules exist. */
    cfg *c = b->c;
    if (!b->root)
        return;
    for (xmlNode *r = b->root->children; r; r = r->next) {
        if (!cfg_is(r, "recipients"))
            continue;
        for (xmlNode *k = r->children; k; k = k->next) {
            if (!cfg_is(k, "person"))
                continue;
            xmlChar *q = xmlGetProp(k, (const xmlChar *)"quiet-hours");
            xmlChar *nm = xmlGetProp(k, (const xmlChar *)"name");
            if (q && nm) {
                const sched *s = cfg_find_schedule(b, (const char *)q);
                if (!s)
                    cfg_err(b, k, "person %s: quiet-hours=\"%s\" is not a schedule",
                            (const char *)nm, (const char *)q);
                for (size_t i = 0; i < c->npeople; i++)
                    if (strcmp(c->people[i].name, (const char *)nm) == 0)
                        c->people[i].quiet = s;
            }
            xmlFree(q);
            xmlFree(nm);
        }
    }
}
