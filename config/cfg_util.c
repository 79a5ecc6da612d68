/*
 * cfg_util.c - the config builder's small tools: the arena, diagnostics,
 * attribute readers that report bad values by name and line.
 */
#include "config/cfg_int.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ab_mem.h"
#include "common/ab_time.h"

/* --- arena ------------------------------------------------------------ */

struct cfg_arena_block {
    struct cfg_arena_block *next;
    size_t used, size;
    max_align_t data[];
};

#define ARENA_BLOCK 8192

/* n bytes from the newest block, aligned to align (a power of two). */
static void *arena_take(cfg *c, size_t n, size_t align)
{
    struct cfg_arena_block *a = c->arena;
    size_t at = a ? (a->used + align - 1) & ~(align - 1) : 0;
    int zeroed = 0;
    if (!a || at > a->size || a->size - at < n) {
        size_t size = n > ARENA_BLOCK ? n : ARENA_BLOCK;
        /* A block of its own (the checks' array: 35 MB with 100,000)
         * comes from calloc, fresh zero pages from the kernel: clearing
         * them again cost 7% of the start-up. */
        zeroed = n > ARENA_BLOCK;
        a = zeroed ? ab_calloc(1, sizeof *a + size) : ab_malloc(sizeof *a + size);
        if (!a)
            return NULL;
        a->next = c->arena;
        a->used = 0;
        a->size = size;
        c->arena = a;
        at = 0;
    }
    void *p = (char *)a->data + at;
    a->used = at + n;
    if (!zeroed)
        memset(p, 0, n);
    return p;
}

void *cfg_alloc(cfg *c, size_t n)
{
    return arena_take(c, n, sizeof(max_align_t));
}

/* Strings need no alignment: rounding each to 16 bytes doubled what
 * the names of 100,000 checks cost. */
const char *cfg_strdup(cfg *c, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = arena_take(c, n, 1);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* --- interned attribute values ------------------------------------------- */

/*
 * Most attribute values repeat from check to check (source="db",
 * table=, column=, max-age="1d", schedule="hourly"): one copy of each
 * serves them all, as the model is read-only.  The table lives only
 * while building (freed by cfg_intern_free); the strings are the
 * arena's.
 */
static uint32_t str_hash(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static int intern_grow(struct cfg_builder *b)
{
    size_t cap = b->intern_cap ? b->intern_cap * 2 : 1024;
    const char **t = ab_calloc(cap, sizeof *t);
    if (!t)
        return -1;
    for (size_t i = 0; i < b->intern_cap; i++) {
        if (!b->intern[i])
            continue;
        size_t j = str_hash(b->intern[i]) & (cap - 1);
        while (t[j])
            j = (j + 1) & (cap - 1);
        t[j] = b->intern[i];
    }
    ab_free(b->intern);
    b->intern = t;
    b->intern_cap = cap;
    return 0;
}

const char *cfg_intern(struct cfg_builder *b, const char *s)
{
    if (!s)
        return NULL;
    if (2 * (b->nintern + 1) > b->intern_cap && intern_grow(b))
        return cfg_strdup(b->c, s); /* no table: a copy of its own */
    size_t j = str_hash(s) & (b->intern_cap - 1);
    for (; b->intern[j]; j = (j + 1) & (b->intern_cap - 1))
        if (strcmp(b->intern[j], s) == 0)
            return b->intern[j];
    const char *d = cfg_strdup(b->c, s);
    if (d) {
        b->intern[j] = d;
        b->nintern++;
    }
    return d;
}

void cfg_intern_free(struct cfg_builder *b)
{
    ab_free(b->intern);
    b->intern = NULL;
    b->intern_cap = b->nintern = 0;
}

void cfg_arena_free(cfg *c)
{
    struct cfg_arena_block *a = c->arena;
    while (a) {
        struct cfg_arena_block *next = a->next;
        ab_free(a);
        a = next;
    }
    c->arena = NULL;
}

/* --- diagnostics -------------------------------------------------------- */

static void add_diag(struct cfg_builder *b, int line, const char *msg)
{
    if (b->ndiags == b->capdiags) {
        size_t cap = b->capdiags ? b->capdiags * 2 : 16;
        struct cfg_diag *d = ab_realloc(b->diags, cap * sizeof *d);
        if (!d) {
            b->oom = 1;
            return;
        }
        b->diags = d;
        b->capdiags = cap;
    }
    char *m = ab_strdup(msg);
    if (!m) {
        b->oom = 1;
        return;
    }
    b->diags[b->ndiags].line = line;
    b->diags[b->ndiags].msg = m;
    b->ndiags++;
}

static void verr(struct cfg_builder *b, int ln, const char *fmt, va_list ap)
{
    char msg[900], line[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (ln > 0)
        snprintf(line, sizeof line, "%s:%d: %s", b->c->path, ln, msg);
    else
        snprintf(line, sizeof line, "%s: %s", b->c->path, msg);
    add_diag(b, ln, line);
}

void cfg_err(struct cfg_builder *b, const xmlNode *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verr(b, n ? (int)xmlGetLineNo(n) : 0, fmt, ap);
    va_end(ap);
}

void cfg_errl(struct cfg_builder *b, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verr(b, line, fmt, ap);
    va_end(ap);
}

int cfg_line_has_error(const struct cfg_builder *b, int line)
{
    for (size_t i = 0; i < b->ndiags; i++)
        if (b->diags[i].line == line)
            return 1;
    return 0;
}

/* --- reading the tree ---------------------------------------------------- */

int cfg_is(const xmlNode *n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE &&
           strcmp((const char *)n->name, name) == 0;
}

/* The first control character (C0 or DEL) in s, or NULL. */
static const char *control_char(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return s;
    return NULL;
}

int cfg_one_line(struct cfg_builder *b, const xmlNode *n, const char *what,
                 const char *v)
{
    const char *cc = v ? control_char(v) : NULL;
    if (!cc)
        return 1;
    /* Once per value: an attribute read twice is one mistake. */
    char msg[300], line[1024];
    snprintf(msg, sizeof msg, "%s: %s holds a control character (0x%02x, e.g. a line "
                              "break written as &#10;): values may not have them",
             (const char *)n->name, what, (unsigned)(unsigned char)*cc);
    snprintf(line, sizeof line, "%s:%d: %s", b->c->path, (int)xmlGetLineNo(n), msg);
    for (size_t i = 0; i < b->ndiags; i++)
        if (!strcmp(b->diags[i].msg, line))
            return 0;
    cfg_err(b, n, "%s", msg);
    return 0;
}

const char *cfg_attr(struct cfg_builder *b, xmlNode *n, const char *name)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
    if (!v)
        return NULL;
    const char *r = cfg_intern(b, (const char *)v);
    xmlFree(v);
    if (!r) {
        b->oom = 1;
        return NULL;
    }
    /* No attribute needs a control character, and many reach a mail
     * header (display=, from-name=, names): a line break written as
     * &#10; there used to pass validate and then stop every notice.
     * The name for the message is made only then (an snprintf per
     * attribute was 3% of a 100,000-check start-up). */
    if (control_char(r)) {
        char what[128];
        snprintf(what, sizeof what, "%s=", name);
        cfg_one_line(b, n, what, r);
    }
    return r;
}

const char *cfg_node_text(struct cfg_builder *b, xmlNode *n)
{
    xmlChar *v = xmlNodeGetContent(n);
    if (!v)
        return cfg_strdup(b->c, "");
    /* Seed files indent their values; the value is the trimmed text. */
    const char *s = (const char *)v;
    while (isspace((unsigned char)*s))
        s++;
    size_t len = strlen(s);
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    char *r = cfg_alloc(b->c, len + 1);
    if (r)
        memcpy(r, s, len);
    else
        b->oom = 1;
    xmlFree(v);
    return r;
}

const char *cfg_child_text(struct cfg_builder *b, xmlNode *n, const char *name,
                           xmlNode **found)
{
    for (xmlNode *k = n->children; k; k = k->next) {
        if (cfg_is(k, name)) {
            if (found)
                *found = k;
            return cfg_node_text(b, k);
        }
    }
    if (found)
        *found = NULL;
    return NULL;
}

/* --- typed attributes ------------------------------------------------------ */

int cfg_duration(struct cfg_builder *b, xmlNode *n, const char *attr, int64_t *out)
{
    const char *v = cfg_attr(b, n, attr);
    if (!v)
        return 0;
    int64_t secs;
    if (ab_duration_parse(v, &secs) != AB_OK) {
        cfg_err(b, n, "%s: %s=\"%s\" is not a duration (use e.g. 90s, 15m, "
                      "2h, 30d, 1w, 1h30m)",
                (const char *)n->name, attr, v);
        return 0;
    }
    *out = secs;
    return 1;
}

int cfg_int(struct cfg_builder *b, xmlNode *n, const char *attr, long lo,
            long hi, int *out)
{
    const char *v = cfg_attr(b, n, attr);
    if (!v)
        return 0;
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || end == v || *end || x < lo || x > hi) {
        cfg_err(b, n, "%s: %s=\"%s\" must be a whole number from %ld to %ld",
                (const char *)n->name, attr, v, lo, hi);
        return 0;
    }
    *out = (int)x;
    return 1;
}

int cfg_number(struct cfg_builder *b, xmlNode *n, const char *attr, double *out)
{
    const char *v = cfg_attr(b, n, attr);
    if (!v)
        return 0;
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (errno || end == v || *end || !isfinite(x)) {
        cfg_err(b, n, "%s: %s=\"%s\" is not a number", (const char *)n->name,
                attr, v);
        return 0;
    }
    *out = x;
    return 1;
}

int cfg_bool(struct cfg_builder *b, xmlNode *n, const char *attr, int *out)
{
    const char *v = cfg_attr(b, n, attr);
    if (!v)
        return 0;
    if (!strcmp(v, "yes") || !strcmp(v, "true")) {
        *out = 1;
        return 1;
    }
    if (!strcmp(v, "no") || !strcmp(v, "false")) {
        *out = 0;
        return 1;
    }
    cfg_err(b, n, "%s: %s=\"%s\" must be yes or no", (const char *)n->name,
            attr, v);
    return 0;
}

const char *cfg_path_resolve(struct cfg_builder *b, const char *path)
{
    if (!path)
        return NULL;
    if (path[0] == '/')
        return path;
    size_t n = strlen(b->c->dir) + strlen(path) + 2;
    char *r = cfg_alloc(b->c, n);
    if (!r) {
        b->oom = 1;
        return NULL;
    }
    snprintf(r, n, "%s/%s", b->c->dir, path);
    return r;
}

int cfg_is_address(const char *s)
{
    const char *at = strrchr(s, '@');
    if (!at || at == s || !at[1])
        return 0;
    for (const char *p = s; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch <= ' ' || ch == 0x7f || ch == '<' || ch == '>' || ch == ',' ||
            ch == ';' || ch == '"' || ch == '(' || ch == ')' || ch == '\\')
            return 0;
    }
    const char *dom = at + 1;
    if (dom[0] == '.' || dom[strlen(dom) - 1] == '.' || strstr(dom, ".."))
        return 0;
    for (const char *p = dom; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.' &&
            *p != '[' && *p != ']' && *p != ':')
            return 0;
    return 1;
}

int cfg_is_plus_base(const char *s, const char **why)
{
    const char *at = strrchr(s, '@');
    size_t ln = at ? (size_t)(at - s) : 0;
    *why = "is not an email address (LOCAL@DOMAIN)";
    if (!cfg_is_address(s) || ln == 0 || s[0] == '.' || s[ln - 1] == '.')
        return 0;
    for (size_t i = 0; i < ln; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '+') {
            *why = "must not contain '+': ackbeat adds +TOKEN itself";
            return 0;
        }
        /* RFC 5322 atext, and single dots between atoms. */
        if (!(isalnum(c) && c < 0x80) && !strchr("!#$%&'*-/=?^_`{|}~.", c))
            return 0;
        if (c == '.' && s[i + 1] == '.')
            return 0;
    }
    /* "+" and a token of 26 characters: 27 bytes of the 64 (RFC 5321). */
    if (ln + 1 + 26 > 64) {
        *why = "has a local part too long to carry +TOKEN (at most 37 characters)";
        return 0;
    }
    return 1;
}

int cfg_is_check_name(const char *s)
{
    if (!*s || strlen(s) > 128)
        return 0;
    for (const char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' && *p != '-')
            return 0;
    return 1;
}

void cfg_secret_attrs(struct cfg_builder *b, xmlNode *n, const char *file_attr,
                      const char *env_attr, struct cfg_secret *out)
{
    const char *f = cfg_attr(b, n, file_attr);
    const char *e = cfg_attr(b, n, env_attr);
    if (f && e)
        cfg_err(b, n, "%s: give %s or %s, not both", (const char *)n->name,
                file_attr, env_attr);
    out->file = cfg_path_resolve(b, f);
    out->env = e;
    out->attr = e ? env_attr : file_attr;
    out->line = (int)xmlGetLineNo(n);
    /* A password written into the config would end up in backups and
     * version control; refuse it outright. */
    if (xmlHasProp(n, (const xmlChar *)"password"))
        cfg_err(b, n, "%s: password= is not allowed in the config; use "
                      "password-file= or password-env=",
                (const char *)n->name);
}

const char *const *cfg_split(struct cfg_builder *b, const char *list, size_t *n)
{
    *n = 0;
    if (!list)
        return NULL;
    size_t cap = 1;
    for (const char *p = list; *p; p++)
        if (*p == ' ' || *p == ',' || *p == '\t' || *p == '\n')
            cap++;
    const char **v = cfg_alloc(b->c, (cap + 1) * sizeof *v);
    if (!v) {
        b->oom = 1;
        return NULL;
    }
    const char *p = list;
    while (*p) {
        while (*p == ' ' || *p == ',' || *p == '\t' || *p == '\n' || *p == '\r')
            p++;
        if (!*p)
            break;
        const char *start = p;
        while (*p && *p != ' ' && *p != ',' && *p != '\t' && *p != '\n' && *p != '\r')
            p++;
        size_t len = (size_t)(p - start);
        char *item = cfg_alloc(b->c, len + 1);
        if (!item) {
            b->oom = 1;
            return NULL;
        }
        memcpy(item, start, len);
        v[(*n)++] = item;
    }
    return v;
}
