/*
 * tpl_parse.h - templates/ private: the parser's state, shared by the
 * scanner (tpl_parse.c: finds tags under the current delimiters) and the
 * tree builder (tpl_tags.c: what each tag does, the whitespace rules, line
 * numbers and error messages).  The scanner calls the tree builder, never
 * the other way round.
 */
#ifndef AB_TPL_PARSE_H
#define AB_TPL_PARSE_H

#include <stddef.h>

#include "templates/tpl_int.h"

#define TPL_MAX_NESTING 100 /* sections within sections in one template */

enum tpl_frame_kind { F_ROOT, F_SECTION, F_PARENT, F_BLOCK };

struct tpl_frame {
    enum tpl_frame_kind kind;
    struct tpl_node *node;   /* NULL for the root */
    struct tpl_node **tail;  /* where the next child goes */
    const char *strip;       /* blanks removed from the start of each line */
    size_t striplen;
    int override;            /* F_BLOCK directly inside a parent tag */
    /* F_PARENT: the blanks left of the open tag, if only blanks were */
    int left_clear;
    size_t ws_a, ws_b;
    struct tpl_node **link;  /* the pointer that holds this parent node */
};

struct tpl_parser {
    struct tpl *t;
    const char *src;  /* arena copy of the source */
    size_t len, pos;
    const char *otag, *ctag;
    size_t olen, clen;
    size_t line_pos;  /* line_no is the line of src[line_pos] */
    unsigned line_no;
    struct tpl_frame *fr;
    size_t nfr, capfr;
    ab_errmsg *em;
};

static inline int tpl_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
           c == '\v';
}

static inline void tpl_trim(const char **s, size_t *n)
{
    while (*n && tpl_is_space(**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n && tpl_is_space((*s)[*n - 1]))
        (*n)--;
}

/* tpl_tags.c: positions and errors (the scanner calls these too) */
unsigned tpl_line_at(struct tpl_parser *p, size_t pos);
/* "NAME:LINE: what", AB_ETEMPLATE */
enum ab_err tpl_perr(struct tpl_parser *p, size_t pos, const char *fmt, ...)
    AB_PRINTF(3, 4);
enum ab_err tpl_oom(struct tpl_parser *p);

/* tpl_tags.c */
enum ab_err tpl_tags_begin(struct tpl_parser *p);
/* One tag at src[at..end): sig is its sigil (0 for a variable), c/n its
 * content without sigil and outer blanks. */
enum ab_err tpl_tag(struct tpl_parser *p, size_t at, size_t end, char sig,
                    const char *c, size_t n);
/* The text after the last tag, and the check that every section closed. */
enum ab_err tpl_tags_end(struct tpl_parser *p);

#endif
