/*
 * cfg_tidy.c - text where the schema allows only elements, before anything
 * reads the document.
 *
 * XML copied from a web page (seed 002's <Schedules>) arrives indented
 * with non-breaking spaces.  To an XML parser U+00A0 is text, not
 * whitespace, so the schema said "Did not expect text in element
 * Schedules content" about an indentation nobody can see, and then
 * something misleading about the element after it.  Here, in an element
 * that holds elements, a text node made only of spaces (ASCII or
 * Unicode: U+00A0, U+2000-U+200B, U+202F, U+205F, U+3000, U+1680,
 * U+FEFF) is dropped, which is what the schema does with ASCII
 * indentation anyway.  Real text there is reported once, with the
 * element and the text, and dropped too, so that the schema does not
 * add a second, vaguer message about the same mistake.
 */
#include "config/cfg_int.h"

#include <stdio.h>
#include <string.h>

/* Length of the space character at s (UTF-8), or 0 if it is not one. */
static size_t space_len(const unsigned char *s)
{
    if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        return 1;
    if (s[0] == 0xC2 && s[1] == 0xA0) /* U+00A0 no-break space */
        return 2;
    if (s[0] == 0xE1 && s[1] == 0x9A && s[2] == 0x80) /* U+1680 */
        return 3;
    if (s[0] == 0xE2 && s[1] == 0x80 && (s[2] <= 0x8B || s[2] == 0xAF))
        return 3; /* U+2000-U+200B (en quad ... zero width), U+202F */
    if (s[0] == 0xE2 && s[1] == 0x81 && s[2] == 0x9F) /* U+205F */
        return 3;
    if (s[0] == 0xE3 && s[1] == 0x80 && s[2] == 0x80) /* U+3000 */
        return 3;
    if (s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF) /* U+FEFF */
        return 3;
    return 0;
}

static int all_space(const unsigned char *s)
{
    while (*s) {
        size_t n = space_len(s);
        if (!n)
            return 0;
        s += n;
    }
    return 1;
}

static int has_element_child(const xmlNode *n)
{
    for (const xmlNode *k = n->children; k; k = k->next)
        if (k->type == XML_ELEMENT_NODE)
            return 1;
    return 0;
}

/* The text without its surrounding spaces, shortened for a message. */
static void quote_text(const unsigned char *s, char *buf, size_t len)
{
    while (*s && space_len(s))
        s += space_len(s);
    size_t n = strlen((const char *)s);
    while (n) {
        /* Trim from the end: step back over one UTF-8 character. */
        size_t k = n - 1;
        while (k && (s[k] & 0xC0) == 0x80)
            k--;
        if (!space_len(s + k))
            break;
        n = k;
    }
    if (n > 40) {
        n = 40;
        while (n && (s[n] & 0xC0) == 0x80) /* not in the middle of a character */
            n--;
        snprintf(buf, len, "%.*s...", (int)n, (const char *)s);
    } else {
        snprintf(buf, len, "%.*s", (int)n, (const char *)s);
    }
    for (char *p = buf; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
}

static void tidy(struct cfg_builder *b, xmlNode *n, int is_root)
{
    if (is_root || has_element_child(n)) {
        xmlNode *k = n->children;
        while (k) {
            xmlNode *next = k->next;
            if (k->type == XML_TEXT_NODE && k->content) {
                if (!all_space(k->content)) {
                    char what[128];
                    quote_text(k->content, what, sizeof what);
                    cfg_errl(b, (int)xmlGetLineNo(k),
                             "<%s>: text \"%s\" where only elements belong "
                             "(a value outside its element, or a stray character?)",
                             (const char *)n->name, what);
                }
                xmlUnlinkNode(k);
                xmlFreeNode(k);
            }
            k = next;
        }
    }
    for (xmlNode *k = n->children; k; k = k->next)
        if (k->type == XML_ELEMENT_NODE)
            tidy(b, k, 0);
}

void cfg_tidy_text(struct cfg_builder *b, xmlNode *root)
{
    if (root)
        tidy(b, root, 1);
}
