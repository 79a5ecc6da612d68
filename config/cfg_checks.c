/*
 * cfg_checks.c - <sources> and <checks>: every check kind's attributes,
 * defaults, and the references between them (sources, schedules,
 * recipients, depends-on).
 */
#include "config/cfg_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ab_mem.h"

void cfg_build_sources(struct cfg_builder *b, xmlNode *sources)
{
    cfg *c = b->c;
    /* A second <sources> is reported as a duplicate; building it too
     * would re-allocate the array under the sources already counted. */
    if (c->sources)
        return;
    size_t n = 0;
    for (xmlNode *k = sources->children; k; k = k->next)
        n += cfg_is(k, "sqlite") || cfg_is(k, "odbc");
    c->sources = cfg_alloc(c, (n ? n : 1) * sizeof *c->sources);
    if (!c->sources) {
        b->oom = 1;
        return;
    }
    for (xmlNode *k = sources->children; k; k = k->next) {
        if (!cfg_is(k, "sqlite") && !cfg_is(k, "odbc"))
            continue;
        struct cfg_source *s = &c->sources[c->nsources];
        s->name = cfg_attr(b, k, "name");
        s->line = (int)xmlGetLineNo(k);
        s->timeout = 30;
        cfg_duration(b, k, "timeout", &s->timeout);
        if (!s->name)
            continue;
        for (size_t i = 0; i < c->nsources; i++)
            if (strcmp(c->sources[i].name, s->name) == 0)
                cfg_err(b, k, "source %s: defined twice (first on line %d)",
                        s->name, c->sources[i].line);
        if (cfg_is(k, "sqlite")) {
            s->kind = CFG_SRC_SQLITE;
            s->path = cfg_path_resolve(b, cfg_attr(b, k, "path"));
        } else {
            s->kind = CFG_SRC_ODBC;
            s->connection = cfg_attr(b, k, "connection");
            const char *env = cfg_attr(b, k, "connection-env");
            const char *dsn = cfg_attr(b, k, "dsn");
            if (env) {
                /* Connection strings may carry credentials, so they may
                 * come from the environment; read once at load. */
                const char *v = getenv(env);
                if (!v || !*v)
                    cfg_err(b, k, "source %s: connection-env=\"%s\" is not set",
                            s->name, env);
                else
                    s->connection = cfg_strdup(c, v);
            } else if (dsn) {
                size_t len = strlen(dsn) + 6;
                char *cs = cfg_alloc(c, len);
                if (cs) {
                    snprintf(cs, len, "DSN=%s;", dsn);
                    s->connection = cs;
                }
            }
            s->username = cfg_attr(b, k, "username");
            cfg_secret_attrs(b, k, "password-file", "password-env", &s->password);
        }
        c->nsources++;
    }
}

static const struct cfg_source *find_source(cfg *c, const char *name)
{
    for (size_t i = 0; i < c->nsources; i++)
        if (strcmp(c->sources[i].name, name) == 0)
            return &c->sources[i];
    return NULL;
}

/* SQL identifiers we generate queries from: plain or dotted names only,
 * so that nothing from the config is ever pasted into SQL as code. */
/* NAME or NAME.NAME (schema.table, table.column), NAME a plain SQL name:
 * "a.b.c", "a..b" or "a." used to pass and fail only at the query. */
static int is_identifier(const char *s)
{
    for (int parts = 1; s && parts <= 2; parts++) {
        if (!(isalpha((unsigned char)*s) || *s == '_'))
            return 0;
        while (isalnum((unsigned char)*s) || *s == '_')
            s++;
        if (*s == '\0')
            return 1;
        if (*s++ != '.')
            return 0;
    }
    return 0;
}

static void common_attrs(struct cfg_builder *b, xmlNode *n, struct cfg_check *k)
{
    cfg *c = b->c;
    const struct cfg_alerting *a = &c->g.alerting;
    k->label = cfg_attr(b, n, "label");
    k->type = cfg_attr(b, n, "type");
    if (!k->type)
        k->type = "Information";
    k->remedy = cfg_attr(b, n, "remedy");
    if (k->remedy && strcmp(k->type, "Action") != 0)
        cfg_err(b, n, "check %s: remedy= needs type=\"Action\"", k->name);
    k->timezone = cfg_attr(b, n, "timezone");
    if (k->timezone) {
        ab_errmsg em = {{0}};
        if (sched_zone_check(k->timezone, &em) != AB_OK)
            cfg_err(b, n, "check %s: %s", k->name, em.text);
    } else {
        k->timezone = c->g.timezone;
    }
    cfg_duration(b, n, "cache", &k->cache);
    cfg_duration(b, n, "timeout", &k->timeout);
    k->confirm = 1;
    k->recover = 1;
    cfg_int(b, n, "confirm", 1, 1000, &k->confirm);
    cfg_int(b, n, "recover", 1, 1000, &k->recover);
    cfg_int(b, n, "priority", 1, 3, &k->priority);
    k->repeat = a->repeat;
    k->escalate_after = a->escalate_after;
    cfg_duration(b, n, "repeat", &k->repeat);
    cfg_duration(b, n, "escalate-after", &k->escalate_after);
    k->notify = a->notify;
    k->escalate_to = a->escalate_to;
    cfg_resolve_addrs(b, n, "notify", &k->notify);
    cfg_resolve_addrs(b, n, "escalate-to", &k->escalate_to);
    k->depends_on = cfg_attr(b, n, "depends-on");
    const char *tags = cfg_attr(b, n, "tags");
    if (tags)
        k->tags = cfg_split(b, tags, &k->ntags);
    k->description = cfg_child_text(b, n, "description", NULL);

    xmlNode *sn;
    const char *sched_child = cfg_child_text(b, n, "Schedule", &sn);
    k->schedule_name = cfg_attr(b, n, "schedule");
    if (k->schedule_name && sched_child)
        cfg_err(b, sn, "check %s: give schedule= or <Schedule>, not both", k->name);
    if (!k->schedule_name)
        k->schedule_name = sched_child;
    if (k->schedule_name) {
        k->schedule = cfg_find_schedule(b, k->schedule_name);
        if (!k->schedule)
            cfg_err(b, sched_child ? sn : n,
                    "check %s: schedule \"%s\" is neither a <schedule> nor an "
                    "EventSchedule in <Schedules>", k->name, k->schedule_name);
    }
}

static void data_attrs(struct cfg_builder *b, xmlNode *n, struct cfg_check *k)
{
    const char *src = cfg_attr(b, n, "source");
    if (src) {
        k->source = find_source(b->c, src);
        if (!k->source)
            cfg_err(b, n, "check %s: source=\"%s\" is not defined in <sources>",
                    k->name, src);
    }
    k->table = cfg_attr(b, n, "table");
    k->column = cfg_attr(b, n, "column");
    k->query = cfg_child_text(b, n, "query", NULL);
    if (k->table && !is_identifier(k->table))
        cfg_err(b, n, "check %s: table=\"%s\" is not a plain SQL name "
                      "(use <query> for anything else)", k->name, k->table);
    if (k->column && !is_identifier(k->column))
        cfg_err(b, n, "check %s: column=\"%s\" is not a plain SQL name "
                      "(use <query> for anything else)", k->name, k->column);
    if (k->query && (k->table || k->column))
        cfg_err(b, n, "check %s: give table= and column=, or <query>, not both",
                k->name);
    if (!k->query && (!k->table || !k->column))
        cfg_err(b, n, "check %s: needs table= and column=, or a <query>", k->name);
    if (k->query && !*k->query)
        cfg_err(b, n, "check %s: <query> is empty", k->name);
    const char *fmt = cfg_attr(b, n, "timestamp-format");
    k->ts_format = !fmt || !strcmp(fmt, "auto") ? CFG_TS_AUTO
                   : !strcmp(fmt, "iso")        ? CFG_TS_ISO
                   : !strcmp(fmt, "unix")       ? CFG_TS_UNIX
                                                : CFG_TS_NATIVE;
    k->naive_zone = cfg_attr(b, n, "naive-zone");
    ab_errmsg zem = {{0}};
    if (!k->naive_zone)
        k->naive_zone = "UTC";
    else if (sched_zone_check(k->naive_zone, &zem) != AB_OK)
        cfg_err(b, n, "check %s: naive-zone: %s", k->name, zem.text);
    if (!k->timeout)
        k->timeout = k->source ? k->source->timeout : 30;
}

static void build_freshness(struct cfg_builder *b, xmlNode *n, struct cfg_check *k)
{
    data_attrs(b, n, k);
    if (!cfg_duration(b, n, "max-age", &k->max_age) && !xmlHasProp(n, (const xmlChar *)"max-age"))
        cfg_err(b, n, "check %s: freshness needs max-age=", k->name);
    else if (k->max_age <= 0 && xmlHasProp(n, (const xmlChar *)"max-age"))
        cfg_err(b, n, "check %s: max-age must be positive (0 would never be fresh)",
                k->name);
    cfg_duration(b, n, "warn-age", &k->warn_age);
    if (k->warn_age && k->max_age && k->warn_age >= k->max_age)
        cfg_err(b, n, "check %s: warn-age must be shorter than max-age", k->name);
}

/*
 * grace= on a period ("by the 5th of the month, this month must have
 * data"): until the period is that old, the previous one is judged, so a
 * "this month" check does not fail at 06:00 on the 1st.  It must be
 * shorter than the shortest such period, or no period would ever be
 * judged.
 */
static void period_grace(struct cfg_builder *b, xmlNode *n, struct cfg_check *k)
{
    static const int64_t shortest[] = {0, 86400, 7 * 86400, 28 * 86400, 89 * 86400,
                                       365 * 86400};
    if (!cfg_duration(b, n, "grace", &k->period_grace))
        return;
    if (k->period == CFG_PERIOD_NONE)
        cfg_err(b, n, "check %s: grace= needs period= (a rolling window has no start)",
                k->name);
    else if (k->period_grace <= 0)
        cfg_err(b, n, "check %s: grace must be positive", k->name);
    else if (k->period_grace >= shortest[k->period])
        cfg_err(b, n, "check %s: grace must be shorter than the period", k->name);
}

static void build_count(struct cfg_builder *b, xmlNode *n, struct cfg_check *k)
{
    static const char *const periods[] = {"", "day", "week", "month", "quarter", "year"};
    data_attrs(b, n, k);
    const char *p = cfg_attr(b, n, "period");
    for (int i = 1; p && i < 6; i++)
        if (!strcmp(p, periods[i]))
            k->period = (enum cfg_period)i;
    int has_window = cfg_duration(b, n, "window", &k->window);
    if (has_window && k->window <= 0)
        cfg_err(b, n, "check %s: window must be positive", k->name);
    if (!p && !has_window && !xmlHasProp(n, (const xmlChar *)"window"))
        k->period = CFG_PERIOD_MONTH;
    period_grace(b, n, k);
    k->min = 1;
    k->has_min = 1;
    cfg_number(b, n, "min", &k->min);
    k->has_warn_below = cfg_number(b, n, "warn-below", &k->warn_below);
    if (k->has_warn_below && k->warn_below < k->min)
        cfg_err(b, n, "check %s: warn-below must not be less than min", k->name);
}

static void build_sql(struct cfg_builder *b, xmlNode *n, struct cfg_check *k)
{
    data_attrs(b, n, k);
    /* A query may use :period_start/:period_end of a calendar period. */
    static const char *const periods[] = {"", "day", "week", "month", "quarter", "year"};
    const char *p = cfg_attr(b, n, "period");
    for (int i = 1; p && i < 6; i++)
        if (!strcmp(p, periods[i]))
            k->period = (enum cfg_period)i;
    period_grace(b, n, k);
    /* data_attrs demanded table/column or query; sql takes only a query. */
    k->has_warn = cfg_number(b, n, "warn", &k->warn);
    k->has_crit = cfg_number(b, n, "crit", &k->crit);
    const char *d = cfg_attr(b, n, "direction");
    k->direction = d && !strcmp(d, "below") ? CFG_BELOW : CFG_ABOVE;
    if (!k->has_warn && !k->has_crit)
        cfg_err(b, n, "check %s: sql needs warn= or crit=", k->name);
    if (k->has_warn && k->has_crit &&
        ((k->direction == CFG_ABOVE && k->warn > k->crit) ||
         (k->direction == CFG_BELOW && k->warn < k->crit)))
        cfg_err(b, n, "check %s: warn=%g is beyond crit=%g for direction=%s",
                k->name, k->warn, k->crit, d ? d : "above");
}

static void build_command(struct cfg_builder *b, xmlNode *n, struct cfg_check *k)
{
    int shell = 0;
    cfg_bool(b, n, "shell", &shell);
    const char *cmd = cfg_attr(b, n, "command");
    size_t nargs = 0;
    for (xmlNode *a = n->children; a; a = a->next)
        nargs += cfg_is(a, "arg");
    if (!k->timeout)
        k->timeout = 60;
    if (shell) {
        if (!cmd || nargs)
            cfg_err(b, n, "check %s: shell=\"yes\" takes command= and no <arg>",
                    k->name);
        k->shell = cmd;
        return;
    }
    if (cmd && nargs)
        cfg_err(b, n, "check %s: give command= or <arg> elements, not both", k->name);
    if (cmd) {
        /* Without a shell, command= is split into words with the shell's
         * quoting ('...', "...", \) and nothing else of it. */
        size_t cnt;
        const char *const *v;
        const char *why = cfg_split_words(b, cmd, &v, &cnt);
        if (why) {
            cfg_err(b, n, "check %s: command=: %s", k->name, why);
            return;
        }
        k->argv = v;
        k->argc = cnt;
    } else {
        const char **v = cfg_alloc(b->c, (nargs + 1) * sizeof *v);
        if (!v) {
            b->oom = 1;
            return;
        }
        for (xmlNode *a = n->children; a; a = a->next)
            if (cfg_is(a, "arg"))
                v[k->argc++] = cfg_node_text(b, a);
        k->argv = v;
    }
    if (k->argc == 0)
        cfg_err(b, n, "check %s: command needs command= or <arg> elements", k->name);
}

static void build_heartbeat(struct cfg_builder *b, xmlNode *n, struct cfg_check *k)
{
    cfg_resolve_addrs(b, n, "to", &k->to);
    k->grace = 7 * 86400;
    cfg_duration(b, n, "grace", &k->grace);
    k->quorum = 1;
    const char *q = cfg_attr(b, n, "quorum");
    if (q && !strcmp(q, "all"))
        k->quorum = 0;
    else
        cfg_int(b, n, "quorum", 1, 10000, &k->quorum);
    if (k->quorum > 0 && k->to.n && (size_t)k->quorum > k->to.n)
        cfg_err(b, n, "check %s: quorum=%d but only %zu recipients", k->name,
                k->quorum, k->to.n);
    cfg_duration(b, n, "reminder", &k->reminder);
    if (k->reminder && k->reminder >= k->grace)
        cfg_err(b, n, "check %s: reminder must be shorter than grace", k->name);
    k->missed_limit = 3;
    cfg_int(b, n, "missed-limit", 1, 1000, &k->missed_limit);
    if (!b->c->g.inbox.enabled)
        cfg_err(b, n, "check %s: a heartbeat needs an <inbox> to read replies",
                k->name);
}

static void build_ping(struct cfg_builder *b, xmlNode *n, struct cfg_check *k)
{
    cfg_duration(b, n, "period", &k->ping_period);
    k->ping_grace = 3600;
    cfg_duration(b, n, "grace", &k->ping_grace);
    k->ping_token = cfg_attr(b, n, "token");
    if (k->ping_token && strlen(k->ping_token) < 16)
        cfg_err(b, n, "check %s: a ping token must be at least 16 characters "
                      "(it is the only protection of /ping/TOKEN)", k->name);
    if (k->ping_period <= 0 && xmlHasProp(n, (const xmlChar *)"period"))
        cfg_err(b, n, "check %s: period must be positive", k->name);
    /* Without a period the report is expected at each fire time of its
     * schedule (a cron ping, issue 18). */
    if (!xmlHasProp(n, (const xmlChar *)"period") && !xmlHasProp(n, (const xmlChar *)"schedule"))
        cfg_err(b, n, "check %s: a ping needs period= or schedule= (when it is expected)",
                k->name);
}

/* Seed 002's <HeartbeatAssembly>: a plugin check in element form. */
static void build_assembly(struct cfg_builder *b, xmlNode *n, struct cfg_check *k)
{
    xmlNode *cn;
    k->label = cfg_child_text(b, n, "Label", NULL);
    cfg_one_line(b, n, "<Label>", k->label); /* shown in subjects */
    k->plugin_file = cfg_path_resolve(b, cfg_child_text(b, n, "AssemblyFile", NULL));
    k->plugin_arg = cfg_child_text(b, n, "Argument", NULL);
    k->type = "Information";
    k->timezone = b->c->g.timezone;
    k->confirm = k->recover = 1;
    k->repeat = b->c->g.alerting.repeat;
    k->escalate_after = b->c->g.alerting.escalate_after;
    k->notify = b->c->g.alerting.notify;
    k->escalate_to = b->c->g.alerting.escalate_to;
    k->timeout = 60;
    xmlNode *sn;
    k->schedule_name = cfg_child_text(b, n, "Schedule", &sn);
    if (k->schedule_name) {
        k->schedule = cfg_find_schedule(b, k->schedule_name);
        if (!k->schedule)
            cfg_err(b, sn, "HeartbeatAssembly %s: Schedule \"%s\" is not an "
                           "EventSchedule or <schedule>", k->name, k->schedule_name);
    }
    const char *cd = cfg_child_text(b, n, "CacheDuration", &cn);
    if (cd) {
        /* The seed writes CacheDuration as a bare number; we read it as
         * minutes, and also accept our durations ("5m"). */
        char *end;
        long v = strtol(cd, &end, 10);
        int64_t secs;
        if (*cd && !*end && v >= 0)
            k->cache = (int64_t)v * 60;
        else if (ab_duration_parse(cd, &secs) == AB_OK)
            k->cache = secs;
        else
            cfg_err(b, cn, "HeartbeatAssembly %s: CacheDuration \"%s\" is not a "
                           "number of minutes or a duration", k->name, cd);
    }
}

static enum cfg_check_kind kind_of(const xmlNode *n)
{
    static const struct {
        const char *el;
        enum cfg_check_kind k;
    } map[] = {{"freshness", CFG_FRESHNESS}, {"count", CFG_COUNT},
               {"sql", CFG_SQL},             {"command", CFG_COMMAND},
               {"plugin", CFG_PLUGIN},       {"heartbeat", CFG_HEARTBEAT},
               {"ping", CFG_PING},           {"HeartbeatAssembly", CFG_PLUGIN}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (cfg_is(n, map[i].el))
            return map[i].k;
    return (enum cfg_check_kind)-1;
}

static void check_dependencies(struct cfg_builder *b, xmlNode *checks)
{
    cfg *c = b->c;
    for (size_t i = 0; i < c->nchecks; i++) {
        const struct cfg_check *k = &c->checks[i];
        if (!k->depends_on)
            continue;
        const struct cfg_check *p = cfg_check_find(c, k->depends_on);
        (void)checks;
        if (!p) {
            cfg_errl(b, k->line, "check %s: depends-on=\"%s\" is not a check", k->name,
                    k->depends_on);
            continue;
        }
        /* Walk up the parents; meeting ourselves again is a cycle. */
        size_t steps = 0;
        while (p && p->depends_on && steps++ <= c->nchecks) {
            if (strcmp(p->depends_on, k->name) == 0) {
                cfg_errl(b, k->line, "check %s: depends-on forms a cycle", k->name);
                break;
            }
            p = cfg_check_find(c, p->depends_on);
        }
    }
}

static int by_token(const void *a, const void *b)
{
    const struct cfg_check *x = *(const struct cfg_check *const *)a;
    const struct cfg_check *y = *(const struct cfg_check *const *)b;
    int d = strcmp(x->ping_token, y->ping_token);
    return d ? d : (x->line > y->line) - (x->line < y->line);
}

/* A token is a ping check's address: two checks on one token would make
 * a ping count for whichever the lookup met first.  Sorted, not
 * compared pairwise, so that 100,000 checks load in no time. */
static void check_tokens(struct cfg_builder *b)
{
    cfg *c = b->c;
    size_t n = 0;
    for (size_t i = 0; i < c->nchecks; i++)
        n += c->checks[i].kind == CFG_PING && c->checks[i].ping_token;
    if (n < 2)
        return;
    const struct cfg_check **v = ab_calloc(n, sizeof *v);
    if (!v) {
        b->oom = 1;
        return;
    }
    n = 0;
    for (size_t i = 0; i < c->nchecks; i++)
        if (c->checks[i].kind == CFG_PING && c->checks[i].ping_token)
            v[n++] = &c->checks[i];
    qsort(v, n, sizeof *v, by_token);
    for (size_t i = 1; i < n; i++)
        if (strcmp(v[i]->ping_token, v[i - 1]->ping_token) == 0)
            cfg_errl(b, v[i]->line, "check %s: token= is already check %s's (line %d); "
                                    "each ping check needs a token of its own",
                     v[i]->name, v[i - 1]->name, v[i - 1]->line);
    ab_free(v);
}

void cfg_build_checks(struct cfg_builder *b, xmlNode *checks)
{
    cfg *c = b->c;
    if (c->checks)
        return; /* a second <checks>: reported as a duplicate */
    size_t n = 0;
    for (xmlNode *k = checks->children; k; k = k->next)
        n += k->type == XML_ELEMENT_NODE;
    c->checks = cfg_alloc(c, (n ? n : 1) * sizeof *c->checks);
    if (!c->checks || cfg_index_init(c, n)) {
        b->oom = 1;
        return;
    }
    for (xmlNode *e = checks->children; e; e = e->next) {
        if (e->type != XML_ELEMENT_NODE)
            continue;
        int kind = (int)kind_of(e);
        if (kind < 0)
            continue; /* the schema names unknown elements */
        struct cfg_check *k = &c->checks[c->nchecks];
        k->kind = (enum cfg_check_kind)kind;
        k->line = (int)xmlGetLineNo(e);
        k->name = cfg_is(e, "HeartbeatAssembly") ? cfg_child_text(b, e, "Name", NULL)
                                                 : cfg_attr(b, e, "name");
        if (!k->name)
            continue;
        if (!cfg_is_check_name(k->name)) {
            cfg_err(b, e, "check \"%s\": names may use only letters, digits, "
                          "'.', '_' and '-'", k->name);
            continue;
        }
        long dup = cfg_index_add(c, c->nchecks);
        if (dup >= 0)
            cfg_err(b, e, "check %s: defined twice (first on line %d)", k->name,
                    c->checks[dup].line);
        if (cfg_is(e, "HeartbeatAssembly")) {
            build_assembly(b, e, k);
        } else {
            common_attrs(b, e, k);
            switch (k->kind) {
            case CFG_FRESHNESS: build_freshness(b, e, k); break;
            case CFG_COUNT: build_count(b, e, k); break;
            case CFG_SQL: build_sql(b, e, k); break;
            case CFG_COMMAND: build_command(b, e, k); break;
            case CFG_PLUGIN:
                k->plugin_file = cfg_path_resolve(b, cfg_attr(b, e, "file"));
                k->plugin_arg = cfg_attr(b, e, "arg");
                if (!k->timeout)
                    k->timeout = 60;
                break;
            case CFG_HEARTBEAT: build_heartbeat(b, e, k); break;
            case CFG_PING: build_ping(b, e, k); break;
            }
        }
        if (!k->label)
            k->label = k->name;
        c->nchecks++;
    }
    check_dependencies(b, checks);
    check_tokens(b);
}
