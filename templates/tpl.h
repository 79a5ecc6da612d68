/*
 * tpl.h - Mustache templates: compile once, render many times.
 *
 * Implements the official Mustache spec (github.com/mustache/spec):
 * interpolation, sections, inverted sections, comments, partials, set
 * delimiters, inheritance (~inheritance: parents {{<p}} and blocks {{$b}},
 * with the block re-indentation rules) and dynamic partial names
 * ({{>*name}}).  Lambdas are not supported: data is JSON.
 *
 * Data is a jansson json_t.  Names resolve through a stack of contexts
 * (innermost first); dotted names (a.b.c) resolve their first part through
 * the stack and the rest strictly inside that value, where a number picks
 * a list's item ("items.0", so {{#items.0}}Heading{{/items.0}} prints a
 * heading once when the list is not empty); "." is the current item.
 * Falsy values are: missing, null, false, "" and [].  Numbers, 0 included,
 * are true: a value of 0 is a result to show, not an absence.
 * Integers render without decimals, reals in the shortest form that reads
 * back the same (1.21, not 1.2100000000000000), true/false as words.
 *
 * Escaping is chosen when rendering, not when compiling, so that one file
 * parsed once can serve any part of a message (see enum tpl_mode).
 *
 * Errors carry the template's name and the line of the tag at fault:
 *   "alert-opened.html.mustache:12: unclosed section 'items'"
 *   "alert-opened.html.mustache:30: unknown partial 'footer'"
 *
 * Not thread-safe per object: a compiled template may be rendered from
 * several threads at once (rendering does not change it); a tpl_set may not.
 */
#ifndef AB_TPL_H
#define AB_TPL_H

#include <jansson.h>
#include <stddef.h>

#include "common/ab_buf.h"
#include "common/ab_err.h"

typedef struct tpl tpl;         /* a compiled template */
typedef struct tpl_set tpl_set; /* message templates and partials from folders */

enum tpl_mode {
    /* {{x}} is HTML-escaped (& < > " '); {{{x}}} and {{&x}} are raw. */
    TPL_HTML = 0,
    /* Nothing is escaped: plain-text bodies. */
    TPL_TEXT = 1,
    /* Nothing is escaped, every CR and LF of the result (from values or from
     * the template; and any other control character but tab) becomes a
     * space, and the result is trimmed: whatever is rendered can be put in
     * a mail header without injecting another. */
    TPL_HEADER = 2,
};

/* Render flags. */
enum {
    /* A partial or parent that the loader does not find renders as the empty
     * string, as the spec says.  Without it (ackbeat's default) a missing
     * partial is an error that names the template and line of the tag. */
    TPL_MISSING_PARTIAL_EMPTY = 1u << 0,
};

/*
 * How partials and parents are found.  load() sets *out to a compiled
 * template that stays valid at least until the render returns (borrowed:
 * the loader keeps it, typically in a cache) and returns AB_OK; it returns
 * AB_ENOTFOUND when there is no such partial, and any other code (with
 * detail in em) when one exists but cannot be read or compiled.
 */
struct tpl_loader {
    enum ab_err (*load)(void *ud, const char *name, const tpl **out,
                        ab_errmsg *em);
    void *ud;
};

struct tpl_render_opts {
    enum tpl_mode mode;
    unsigned flags;                   /* TPL_MISSING_PARTIAL_EMPTY */
    const struct tpl_loader *loader;  /* NULL: no partials exist */
    size_t max_output;                /* bytes; 0 = TPL_DEFAULT_MAX_OUTPUT */
    unsigned max_depth;               /* nested partials; 0 = TPL_DEFAULT_MAX_DEPTH */
    unsigned long max_steps;          /* node visits; 0 = TPL_DEFAULT_MAX_STEPS */
};

#define TPL_DEFAULT_MAX_OUTPUT ((size_t)16 << 20)
#define TPL_DEFAULT_MAX_DEPTH 64u
/* Node visits per render before it is abandoned as runaway (deeply nested
 * loops over lists that print nothing would otherwise run for hours); a
 * long email takes a few thousand. */
#define TPL_DEFAULT_MAX_STEPS 10000000ul

/*
 * Compile src (len bytes, need not be NUL-terminated) into *out.  name is
 * what errors call the template (a file name); it is copied.  On failure
 * *out is NULL and em says "NAME:LINE: what".  Caller frees with tpl_free.
 */
enum ab_err tpl_compile(const char *name, const char *src, size_t len,
                        tpl **out, ab_errmsg *em) AB_MUST_CHECK;

/* Read and compile a file; errors name display_name (path when NULL). */
enum ab_err tpl_compile_file(const char *path, const char *display_name,
                             tpl **out, ab_errmsg *em) AB_MUST_CHECK;

void tpl_free(tpl *t);

/* The name given to tpl_compile; borrowed, valid until tpl_free. */
const char *tpl_name(const tpl *t);

/*
 * Render t with data (borrowed, not changed; NULL is an empty context) and
 * append the result to out.  opts may be NULL: HTML mode, strict partials,
 * no loader.  On failure out is left as it was before the call, and em
 * says why (AB_ETEMPLATE for template errors, AB_ENOMEM, AB_ERANGE when the
 * output would exceed max_output, or the loader's code).
 */
enum ab_err tpl_render(const tpl *t, const json_t *data,
                       const struct tpl_render_opts *opts, ab_buf *out,
                       ab_errmsg *em) AB_MUST_CHECK;

/* The same, into a new string.  Caller frees *out with ab_free. */
enum ab_err tpl_render_str(const tpl *t, const json_t *data,
                           const struct tpl_render_opts *opts, char **out,
                           ab_errmsg *em) AB_MUST_CHECK;

/* ---- template sets ---------------------------------------------------- */

/*
 * A set of folders searched in order (the user's override folder first,
 * then the defaults).  For message M, part P ("subject", "txt" or "html"),
 * check C and check kind K, the template is the first file that exists of
 *     DIR/C/M.P.mustache, DIR/K/M.P.mustache, DIR/M.P.mustache
 * for each DIR in order.  Partials and parents named N are found the same
 * way as DIR/C/N.mustache, DIR/K/N.mustache, DIR/N.mustache.  C and K may
 * be NULL; a C or K that is empty, starts with '.' or contains '/' is not
 * used as a folder name.  A partial name with a ".." part or a leading '/'
 * is never found.
 *
 * Each file is read and compiled once, on first use, and kept until
 * tpl_set_free: build a new set to pick up edited files.  dirs are copied.
 */
enum ab_err tpl_set_new(const char *const *dirs, size_t ndirs,
                        tpl_set **out, ab_errmsg *em) AB_MUST_CHECK;
void tpl_set_free(tpl_set *s);

/*
 * The compiled template for message/part as above.  *out is borrowed,
 * valid until tpl_set_free.  AB_ENOTFOUND (with the paths tried named in
 * em) when no folder has it; AB_ETEMPLATE when the file does not compile.
 */
enum ab_err tpl_set_get(tpl_set *s, const char *message, const char *part,
                        const char *check, const char *kind, const tpl **out,
                        ab_errmsg *em) AB_MUST_CHECK;

/*
 * Render message/part and append it to out, in the mode that fits the
 * part: "subject" is TPL_HEADER, "html" TPL_HTML, anything else TPL_TEXT.
 * Partials resolve through the set for the same check and kind, and a
 * missing partial is an error.
 */
enum ab_err tpl_set_render(tpl_set *s, const char *message, const char *part,
                           const char *check, const char *kind,
                           const json_t *data, ab_buf *out,
                           ab_errmsg *em) AB_MUST_CHECK;

/* The mode tpl_set_render uses for a part name. */
enum tpl_mode tpl_mode_for_part(const char *part);

/*
 * To render a template of one's own with the set's partials: point a
 * tpl_loader's ud at a struct tpl_set_scope and its load at
 * tpl_set_load_partial.  check and kind may be NULL.
 */
struct tpl_set_scope {
    tpl_set *set;
    const char *check;
    const char *kind;
};
enum ab_err tpl_set_load_partial(void *scope, const char *name,
                                 const tpl **out, ab_errmsg *em);

#endif
