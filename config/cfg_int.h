/*
 * cfg_int.h - private to config/: the model's storage and the builder's
 * helpers.
 *
 * All strings and arrays of a model live in one arena, freed at once by
 * cfg_free(); attribute values are interned there (equal values share
 * one copy); libxml2's tree is gone by the time cfg_load() returns.
 * Schedules, windows and calendars are owned by the model and freed with
 * it.
 */
#ifndef AB_CFG_INT_H
#define AB_CFG_INT_H

#include <libxml/tree.h>

#include "config/cfg.h"

struct cfg_arena_block;

struct cfg_named_sched {
    const char *name;
    sched *s;
    int line;
    int is_window_only; /* a seed EventSchedule used directly as a schedule */
};

struct cfg_named_window {
    const char *name;
    sched_window *w;
    int line;
};

struct cfg_group_def {
    const char *name;
    xmlNode *node; /* valid only while building */
    int line;
};

struct cfg {
    char *path;
    char *dir;
    struct cfg_arena_block *arena;
    struct cfg_global g;

    struct cfg_person *people;
    size_t npeople;
    struct cfg_channel *channels; /* cfg_recipients.c */
    size_t nchannels;
    struct cfg_source *sources;
    size_t nsources;
    struct cfg_check *checks;
    size_t nchecks;
    struct cfg_maintenance *maint;
    size_t nmaint;

    struct cfg_named_window *windows;
    size_t nwindows;
    struct cfg_named_sched *scheds;
    size_t nscheds;
    sched_calendar **cals; /* owned; parallel to maint */
    sched **mprobes;       /* owned; a rule-less schedule holding cals[i] */

    /* Check names hashed to their index + 1 (0: empty slot), open
     * addressing; lookups stay O(1) with 100,000 checks. */
    uint32_t *check_idx;
    size_t check_idx_cap;  /* a power of two, at least twice the checks */
};

struct cfg_diag {
    int line;
    char *msg; /* "FILE:LINE: message", malloc'd */
};

/* The builder: the model under construction plus the diagnostics. */
struct cfg_builder {
    cfg *c;
    struct cfg_diag *diags; /* sorted by line when reported */
    size_t ndiags, capdiags;
    int oom;
    xmlNode *root;
    struct cfg_group_def *groups;
    size_t ngroups;
    const char **intern;   /* cfg_intern's table: open addressing */
    size_t intern_cap, nintern;
};

/* --- cfg_util.c ------------------------------------------------------------ */
void *cfg_alloc(cfg *c, size_t n);                 /* zeroed; NULL on OOM */
const char *cfg_strdup(cfg *c, const char *s);    /* NULL stays NULL */
void cfg_arena_free(cfg *c);
/* s (may be NULL) in the arena, one copy per distinct value while
 * building: the model is read-only, so equal values share it. */
const char *cfg_intern(struct cfg_builder *b, const char *s);
void cfg_intern_free(struct cfg_builder *b);

/* cfg_xmlmem.c: libxml2 allocates from big mappings between begin and
 * end (the parse); release, after xmlFreeDoc, unmaps them. */
void cfg_xmlmem_begin(void);
void cfg_xmlmem_end(void);
void cfg_xmlmem_release(void);

/* Record "FILE:LINE: message". */
void cfg_err(struct cfg_builder *b, const xmlNode *n, const char *fmt, ...)
    AB_PRINTF(3, 4);
void cfg_errl(struct cfg_builder *b, int line, const char *fmt, ...)
    AB_PRINTF(3, 4);

/* command="..." as words, quoted as a POSIX shell quotes (cfg_argv.c); NULL,
 * or what is wrong ("a ' is not closed"). *argv is NULL-terminated, in
 * the arena. */
const char *cfg_split_words(struct cfg_builder *b, const char *s, const char *const **argv,
                            size_t *argc);
/* An attribute's value, copied into the arena (NULL if absent).  A value
 * with a control character (CR, LF, tab, ...) is also reported. */
const char *cfg_attr(struct cfg_builder *b, xmlNode *n, const char *name);
/* 1 if v (may be NULL) has no control character; else reports
 * "ELEMENT: what holds a control character" once at n's line, returns 0. */
int cfg_one_line(struct cfg_builder *b, const xmlNode *n, const char *what,
                 const char *v);
/* The trimmed text of a child element (NULL if absent). */
const char *cfg_child_text(struct cfg_builder *b, xmlNode *n, const char *name,
                           xmlNode **found);
const char *cfg_node_text(struct cfg_builder *b, xmlNode *n);
int cfg_is(const xmlNode *n, const char *name);

/* Parse helpers: on bad input they record an error naming the attribute
 * and leave *out unchanged; return 1 if a value was present and valid. */
int cfg_duration(struct cfg_builder *b, xmlNode *n, const char *attr, int64_t *out);
int cfg_int(struct cfg_builder *b, xmlNode *n, const char *attr, long lo,
            long hi, int *out);
int cfg_number(struct cfg_builder *b, xmlNode *n, const char *attr, double *out);
int cfg_bool(struct cfg_builder *b, xmlNode *n, const char *attr, int *out);
/* Resolve path against the config file's folder (copy in the arena). */
const char *cfg_path_resolve(struct cfg_builder *b, const char *path);
/* Does s look like an addr-spec (local@domain, no spaces or controls)? */
int cfg_is_address(const char *s);
/* Can the address s take a "+TOKEN" (VERP, plus addressing): its local
 * part a dot-atom of ASCII atext without '+', short enough that
 * LOCAL+TOKEN stays within the 64 bytes of RFC 5321 4.5.3.1.1?  On 0,
 * *why says what is wrong. */
int cfg_is_plus_base(const char *s, const char **why);
/* Is s a valid object name ([A-Za-z0-9._ -]+ for schedules, stricter for checks)? */
int cfg_is_check_name(const char *s);
void cfg_secret_attrs(struct cfg_builder *b, xmlNode *n, const char *file_attr,
                      const char *env_attr, struct cfg_secret *out);
/* Split a space/comma separated list into the arena. */
const char *const *cfg_split(struct cfg_builder *b, const char *list, size_t *n);

/* --- cfg_recipients.c ------------------------------------------------------ */
void cfg_build_recipients(struct cfg_builder *b, xmlNode *recipients);
/* Expand names of people and groups and literal addresses into addresses. */
void cfg_resolve_addrs(struct cfg_builder *b, xmlNode *n, const char *attr,
                       struct cfg_addrs *out);

/* --- cfg_global.c ---------------------------------------------------------- */
void cfg_build_global(struct cfg_builder *b, xmlNode *root);

/* --- cfg_schedules.c ------------------------------------------------------- */
void cfg_build_windows(struct cfg_builder *b, xmlNode *schedules);
void cfg_build_schedule(struct cfg_builder *b, xmlNode *n);
void cfg_build_maintenance(struct cfg_builder *b, xmlNode *n);
/* Find a schedule by name: a <schedule>, or a seed EventSchedule used as
 * a window-only schedule (created on first use).  NULL if unknown. */
const sched *cfg_find_schedule(struct cfg_builder *b, const char *name);
void cfg_check_people_quiet(struct cfg_builder *b);

/* --- cfg_checks.c ---------------------------------------------------------- */
void cfg_build_sources(struct cfg_builder *b, xmlNode *sources);
void cfg_build_checks(struct cfg_builder *b, xmlNode *checks);

/* --- cfg_index.c ---------------------------------------------------------- */
/* Size the index for n checks (checks not yet added).  0 or AB_ENOMEM. */
int cfg_index_init(cfg *c, size_t n);
/* Add c->checks[i] by name; returns the index of an earlier check with
 * the same name (not added), or -1. */
long cfg_index_add(cfg *c, size_t i);
void cfg_index_free(cfg *c);

/* --- cfg_tidy.c ------------------------------------------------------------ */
/* In elements that hold elements: drop indentation made of Unicode spaces
 * (NBSP from a web page), report real text there (element, line, text). */
void cfg_tidy_text(struct cfg_builder *b, xmlNode *root);

/* --- cfg_schema.c ---------------------------------------------------------- */
/* Validate doc against the embedded schema; errors to b, except on lines
 * that already have an error from the builder (those say it better). */
void cfg_validate_schema(struct cfg_builder *b, xmlDoc *doc);
/* Has the builder already reported something on this line? */
int cfg_line_has_error(const struct cfg_builder *b, int line);

#endif
