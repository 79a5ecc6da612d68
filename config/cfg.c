/*
 * cfg.c - loading a configuration: parse, build, validate, report.
 *
 * The order matters only for references: people before anything that
 * names them, windows before schedules, schedules and sources before
 * checks.  Every step records its problems and carries on, so that one
 * run of `ackbeat validate` lists every mistake in the file.
 */
#include "config/cfg_int.h"

#include <libgen.h>
#include <libxml/parser.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/ab_mem.h"

const char *cfg_check_kind_name(enum cfg_check_kind k)
{
    static const char *const names[] = {"freshness", "count",     "sql", "command",
                                        "plugin",    "heartbeat", "ping"};
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

static void on_parse_error(void *ud, xmlErrorPtr err)
{
    struct cfg_builder *b = ud;
    if (!err || !err->message || err->level < XML_ERR_ERROR)
        return;
    char msg[700];
    snprintf(msg, sizeof msg, "%s", err->message);
    size_t len = strlen(msg);
    while (len && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
        msg[--len] = '\0';
    cfg_errl(b, err->line, "XML: %s", msg);
}

static int diag_cmp(const void *a, const void *b)
{
    const struct cfg_diag *x = a, *y = b;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    /* Same line: keep the order they were found in (pointer order is
     * allocation order, not meaningful), so compare by message. */
    return strcmp(x->msg, y->msg);
}

static void free_sched_objects(cfg *c)
{
    for (size_t i = 0; i < c->nscheds; i++)
        sched_free(c->scheds[i].s);
    ab_free(c->scheds);
    for (size_t i = 0; i < c->nwindows; i++)
        sched_window_free(c->windows[i].w);
    ab_free(c->windows);
    for (size_t i = 0; i < c->nmaint; i++) {
        sched_free(c->mprobes[i]);
        sched_calendar_free(c->cals[i]);
    }
    ab_free(c->mprobes);
    ab_free(c->cals);
    ab_free(c->maint);
}

void cfg_free(cfg *c)
{
    if (!c)
        return;
    free_sched_objects(c);
    cfg_index_free(c);
    cfg_arena_free(c);
    ab_free(c->path);
    ab_free(c->dir);
    ab_free(c);
}

static void cross_checks(struct cfg_builder *b)
{
    cfg *c = b->c;
    ab_errmsg em = {{0}};
    if (sched_zone_check(c->g.timezone, &em) != AB_OK)
        cfg_errl(b, b->root ? (int)xmlGetLineNo(b->root) : 0, "ackbeat: %s", em.text);
    for (size_t i = 0; i < c->nmaint; i++)
        for (size_t k = 0; k < c->maint[i].nchecks; k++)
            if (!cfg_check_find(c, c->maint[i].checks[k]))
                cfg_errl(b, c->maint[i].line,
                         "maintenance: checks= names \"%s\", which is not a check",
                         c->maint[i].checks[k]);
    int needs_mail = 0;
    for (size_t i = 0; i < c->nchecks; i++) {
        const struct cfg_check *k = &c->checks[i];
        if (k->kind == CFG_HEARTBEAT || k->notify.n || k->escalate_to.n)
            needs_mail = 1;
    }
    if (needs_mail && !c->g.mail.transport)
        cfg_errl(b, b->root ? (int)xmlGetLineNo(b->root) : 0,
                 "ackbeat: checks notify people but there is no <mail transport=...>");
}

/* c's path, and its folder as an absolute path: relative paths in the
 * file are relative to the file's folder, and an absolute folder keeps
 * them stable when the daemon changes dir. */
static enum ab_err set_paths(cfg *c, const char *path)
{
    c->path = ab_strdup(path);
    char *tmp = ab_strdup(path);
    if (!c->path || !tmp) {
        ab_free(tmp);
        return AB_ENOMEM;
    }
    char *d = dirname(tmp);
    char *abs = realpath(d, NULL);
    c->dir = abs ? ab_strdup(abs) : ab_strdup(d);
    free(abs);
    ab_free(tmp);
    return c->dir ? AB_OK : AB_ENOMEM;
}

/* Parse the file into *doc and return its <ackbeat> root; NULL with a
 * diagnostic in b and *e set when it cannot be read or is not ours. */
static xmlNode *read_doc(struct cfg_builder *b, const char *path, xmlDoc **doc,
                         enum ab_err *e)
{
    FILE *probe = fopen(path, "r");
    if (!probe) {
        cfg_errl(b, 0, "cannot read the file: %m");
        *e = AB_EIO;
        return NULL;
    }
    fclose(probe);

    xmlSetStructuredErrorFunc(b, on_parse_error);
    /* NONET: a config must never make ackbeat fetch a URL; no entity
     * substitution either (no external entities).  COMPACT keeps short
     * text (most attribute values) inside its node instead of a malloc
     * of its own: the tree is only read, and cfg_tidy's unlink/free
     * knows such nodes. */
    cfg_xmlmem_begin();
    int opts =
        XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_BIG_LINES | XML_PARSE_COMPACT;
    *doc = xmlReadFile(path, NULL, opts);
    cfg_xmlmem_end();
    xmlSetStructuredErrorFunc(NULL, NULL);
    if (!*doc) {
        if (b->ndiags == 0)
            cfg_errl(b, 0, "not a well-formed XML file");
        *e = AB_ECONFIG;
        return NULL;
    }
    xmlNode *root = xmlDocGetRootElement(*doc);
    if (!cfg_is(root, "ackbeat")) {
        cfg_errl(b, root ? (int)xmlGetLineNo(root) : 0,
                 "the root element must be <ackbeat>, not <%s>",
                 root ? (const char *)root->name : "(none)");
        *e = AB_ECONFIG;
        return NULL;
    }
    return root;
}

/* Build the model from root, in the order references need (see the top
 * of the file), then what spans sections, then the schema. */
static void build_all(struct cfg_builder *b, xmlNode *root, xmlDoc *doc)
{
    b->root = root;
    cfg_tidy_text(b, root);
    cfg_build_global(b, root);
    for (xmlNode *k = root->children; k; k = k->next)
        if (cfg_is(k, "Schedules"))
            cfg_build_windows(b, k);
    for (xmlNode *k = root->children; k; k = k->next)
        if (cfg_is(k, "schedule"))
            cfg_build_schedule(b, k);
    cfg_check_people_quiet(b);
    for (xmlNode *k = root->children; k; k = k->next)
        if (cfg_is(k, "sources"))
            cfg_build_sources(b, k);
    for (xmlNode *k = root->children; k; k = k->next)
        if (cfg_is(k, "checks"))
            cfg_build_checks(b, k);
    for (xmlNode *k = root->children; k; k = k->next)
        if (cfg_is(k, "maintenance"))
            cfg_build_maintenance(b, k);
    cross_checks(b);
    cfg_validate_schema(b, doc);
}

/* The diagnostics into errors, by line, each message once; returns the
 * load's result (AB_ECONFIG when there were any). */
static enum ab_err report(struct cfg_builder *b, enum ab_err e, ab_buf *errors)
{
    if (b->oom)
        return AB_ENOMEM;
    if (!b->ndiags)
        return e;
    qsort(b->diags, b->ndiags, sizeof *b->diags, diag_cmp);
    for (size_t i = 0; i < b->ndiags; i++) {
        if (i && strcmp(b->diags[i].msg, b->diags[i - 1].msg) == 0)
            continue;
        if (ab_buf_puts(errors, b->diags[i].msg) || ab_buf_putc(errors, '\n'))
            break;
    }
    return e ? e : AB_ECONFIG;
}

enum ab_err cfg_load(const char *path, cfg **out, ab_buf *errors)
{
    enum ab_err e = AB_OK;
    xmlDoc *doc = NULL;
    struct cfg_builder b = {0};
    *out = NULL;

    cfg *c = ab_calloc(1, sizeof *c);
    if (!c)
        return AB_ENOMEM;
    b.c = c;
    if ((e = set_paths(c, path)))
        goto out;
    xmlNode *root = read_doc(&b, path, &doc, &e);
    if (root)
        build_all(&b, root, doc);
    e = report(&b, e, errors);
out:
    for (size_t i = 0; i < b.ndiags; i++)
        ab_free(b.diags[i].msg);
    ab_free(b.diags);
    ab_free(b.groups);
    cfg_intern_free(&b);
    xmlFreeDoc(doc);
    cfg_xmlmem_release();
    /* libxml2's tree is by far the largest thing a load makes; it lives
     * in cfg_xmlmem's mappings, gone above.  What libxml2 allocates after
     * the parse (the schema, the validation's states, xmlGetProp copies)
     * is malloc's and sits between the arena's blocks, so the heap cannot
     * shrink from the top: malloc_trim gives those pages back (glibc
     * releases whole free pages inside the heap too). */
    malloc_trim(0);
    if (e) {
        cfg_free(c);
        return e;
    }
    *out = c;
    return AB_OK;
}

const char *cfg_path(const cfg *c) { return c->path; }
const struct cfg_global *cfg_global(const cfg *c) { return &c->g; }
size_t cfg_check_count(const cfg *c) { return c->nchecks; }
size_t cfg_source_count(const cfg *c) { return c->nsources; }
size_t cfg_person_count(const cfg *c) { return c->npeople; }
size_t cfg_maintenance_count(const cfg *c) { return c->nmaint; }

const struct cfg_check *cfg_check_at(const cfg *c, size_t i)
{
    return i < c->nchecks ? &c->checks[i] : NULL;
}

const struct cfg_source *cfg_source_at(const cfg *c, size_t i)
{
    return i < c->nsources ? &c->sources[i] : NULL;
}

const struct cfg_person *cfg_person_at(const cfg *c, size_t i)
{
    return i < c->npeople ? &c->people[i] : NULL;
}

const struct cfg_maintenance *cfg_maintenance_at(const cfg *c, size_t i)
{
    return i < c->nmaint ? &c->maint[i] : NULL;
}


const struct cfg_person *cfg_person_by_email(const cfg *c, const char *email)
{
    for (size_t i = 0; i < c->npeople; i++)
        if (strcasecmp(c->people[i].email, email) == 0)
            return &c->people[i];
    return NULL;
}

/* Does calendar i cover chk at t?  Fills ev when it does. */
static int maint_covers(const cfg *c, size_t i, const struct cfg_check *chk, ab_time t,
                        struct sched_maint *ev)
{
    const struct cfg_maintenance *m = &c->maint[i];
    if (!m->cal || !c->mprobes[i])
        return 0;
    int covers = m->nchecks == 0;
    for (size_t k = 0; !covers && k < m->nchecks; k++)
        covers = strcmp(m->checks[k], chk->name) == 0;
    return covers && sched_in_maintenance(c->mprobes[i], t, ev);
}

int cfg_in_maintenance(const cfg *c, const struct cfg_check *chk, ab_time t,
                       char *why, size_t whylen)
{
    for (size_t i = 0; i < c->nmaint; i++) {
        struct sched_maint ev;
        if (!maint_covers(c, i, chk, t, &ev))
            continue;
        if (why && whylen) {
            char a[AB_ISO_LEN], z[AB_ISO_LEN];
            snprintf(why, whylen, "maintenance '%s' %s to %s (%s)",
                     ev.summary[0] ? ev.summary : "(no summary)",
                     ab_time_format(ev.start, a, sizeof a),
                     ab_time_format(ev.end, z, sizeof z), c->maint[i].calendar);
        }
        return 1;
    }
    return 0;
}

ab_time cfg_maintenance_end(const cfg *c, const struct cfg_check *chk, ab_time t)
{
    ab_time end = AB_TIME_NONE;
    for (size_t i = 0; i < c->nmaint; i++) {
        struct sched_maint ev;
        if (maint_covers(c, i, chk, t, &ev) && (end == AB_TIME_NONE || ev.end > end))
            end = ev.end;
    }
    return end;
}

void cfg_summary(const cfg *c, char *buf, size_t len)
{
    size_t kinds[CFG_PING + 1] = {0};
    for (size_t i = 0; i < c->nchecks; i++)
        kinds[c->checks[i].kind]++;
    size_t o = (size_t)snprintf(buf, len, "%zu checks", c->nchecks);
    const char *sep = " (";
    for (int k = 0; k <= CFG_PING && o < len; k++) {
        if (!kinds[k])
            continue;
        o += (size_t)snprintf(buf + o, len - o, "%s%zu %s", sep, kinds[k],
                              cfg_check_kind_name((enum cfg_check_kind)k));
        sep = ", ";
    }
    if (o < len && strcmp(sep, ", ") == 0)
        o += (size_t)snprintf(buf + o, len - o, ")");
    size_t nsched = 0;
    for (size_t i = 0; i < c->nscheds; i++)
        nsched += !c->scheds[i].is_window_only;
    if (o < len)
        snprintf(buf + o, len - o,
                 ", %zu sources, %zu schedules, %zu windows, %zu people, "
                 "%zu maintenance calendars",
                 c->nsources, nsched, c->nwindows, c->npeople, c->nmaint);
}
