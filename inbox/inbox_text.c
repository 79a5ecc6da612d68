/*
 * inbox_text.c - turning what mail clients send into plain UTF-8 text, and
 * finding where a reply's own words end and the quote begins.
 *
 * Implements RFC 3676 (format=flowed: soft line breaks, space-stuffing,
 * quote depth) and the charset side of RFC 2046 4.1.2 (8-bit text in
 * legacy charsets: ISO-8859-1, Windows-1252, GB18030...).  The HTML
 * converter is deliberately small: it only has to find words and tokens,
 * so it drops tags, script and style, turns block ends into newlines,
 * decodes entities, and marks <blockquote> content as quoted ("> ").
 */
#include "inbox/inbox_int.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <string.h>
#include <strings.h>

#include "common/ab_dl_gmime.h"
#include "common/ab_mem.h"

int inbox_starts_with_ci(const char *s, const char *prefix)
{
    return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

const char *inbox_strcasestr(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return hay;
    return NULL;
}

/* ---- charsets ---------------------------------------------------------- */

static int ascii_or_utf8_label(const char *cs)
{
    return !cs || !*cs || strcasecmp(cs, "us-ascii") == 0 ||
           strcasecmp(cs, "ascii") == 0 || strcasecmp(cs, "utf-8") == 0 ||
           strcasecmp(cs, "utf8") == 0;
}

/* iconv with a replacement character for every byte it cannot convert.
 * *olen is the length of the result (which may contain NULs). */
static char *convert(const char *in, size_t len, iconv_t cd, size_t *olen)
{
    ab_buf out;
    ab_buf_init(&out, 0);
    char tmp[8192];
    char *ip = (char *)(uintptr_t)in;
    size_t il = len;
    while (il > 0) {
        char *op = tmp;
        size_t ol = sizeof tmp;
        size_t r = iconv(cd, &ip, &il, &op, &ol);
        int err = r == (size_t)-1 ? errno : 0;
        if (ab_buf_append(&out, tmp, sizeof tmp - ol) != AB_OK)
            goto fail;
        if (err == EILSEQ || err == EINVAL) {
            /* skip one byte, mark it, and start the state afresh */
            if (ab_buf_puts(&out, "\xEF\xBF\xBD") != AB_OK)
                goto fail;
            ip++;
            il--;
            iconv(cd, NULL, NULL, NULL, NULL);
        } else if (err && err != E2BIG) {
            break;
        }
    }
    {
        char *op = tmp;
        size_t ol = sizeof tmp;
        iconv(cd, NULL, NULL, &op, &ol);
        if (ab_buf_append(&out, tmp, sizeof tmp - ol) != AB_OK)
            goto fail;
    }
    if (ab_buf_putc(&out, '\0') != AB_OK) /* make data non-NULL */
        goto fail;
    out.len--;
    *olen = out.len;
    return ab_buf_steal(&out);
fail:
    ab_buf_free(&out);
    return NULL;
}

/* Valid UTF-8 apart from NUL bytes (which are replaced later). */
static int utf8_ok(const char *in, size_t len)
{
    size_t i = 0;
    while (i < len) {
        size_t seg = strnlen(in + i, len - i);
        if (!g_utf8_validate_len(in + i, seg, NULL))
            return 0;
        i += seg + 1;
    }
    return 1;
}

static char *copy_bytes(const char *in, size_t len, size_t *olen)
{
    char *r = ab_malloc(len + 1);
    if (!r)
        return NULL;
    memcpy(r, in, len);
    r[len] = '\0';
    *olen = len;
    return r;
}

char *inbox_to_utf8(const char *in, size_t len, const char *charset)
{
    char *res = NULL;
    size_t rlen = 0;
    if (ascii_or_utf8_label(charset) && utf8_ok(in, len)) {
        res = copy_bytes(in, len, &rlen);
    } else {
        iconv_t cd = (iconv_t)-1;
        if (!ascii_or_utf8_label(charset)) {
            /* GB2312 mail is often really GB18030 (a superset): read it
             * as the superset so nothing valid becomes U+FFFD. */
            const char *cs = charset;
            if (strcasecmp(cs, "gb2312") == 0 || strcasecmp(cs, "gbk") == 0 ||
                strcasecmp(cs, "x-gbk") == 0)
                cs = "GB18030";
            else if (strcasecmp(cs, "iso-8859-1") == 0 ||
                     strcasecmp(cs, "latin1") == 0)
                cs = "WINDOWS-1252"; /* what "latin1" senders really use */
            cd = iconv_open("UTF-8", cs);
        }
        if (cd == (iconv_t)-1 && utf8_ok(in, len)) {
            res = copy_bytes(in, len, &rlen);
        } else {
            if (cd == (iconv_t)-1)
                cd = iconv_open("UTF-8", "WINDOWS-1252");
            if (cd == (iconv_t)-1)
                return NULL;
            res = convert(in, len, cd, &rlen);
            iconv_close(cd);
        }
    }
    if (!res)
        return NULL;
    /* Embedded NULs would cut the text short for every C string use;
     * invalid UTF-8 (a lying label) must not reach the database. */
    for (size_t i = 0; i < rlen; i++)
        if (!res[i])
            res[i] = ' ';
    if (!g_utf8_validate(res, -1, NULL)) {
        gchar *v = g_utf8_make_valid(res, -1);
        ab_free(res);
        res = ab_strdup(v);
        g_free(v);
    }
    return res;
}

/* ---- RFC 3676 ---------------------------------------------------------- */

char *inbox_flowed_unwrap(const char *text, int delsp)
{
    /* Normalising "> " can make a line one byte longer: write to a new
     * buffer of twice the size, never in place. */
    size_t tl = strlen(text);
    char *out = ab_malloc(2 * tl + 2);
    if (!out)
        return NULL;
    const char *r = text;
    char *w = out;
    int prev_flowed = 0, prev_depth = 0;
    while (*r) {
        const char *nl = strchr(r, '\n');
        size_t len = nl ? (size_t)(nl - r) : strlen(r);
        if (len && r[len - 1] == '\r')
            len--;
        int depth = 0;
        size_t i = 0;
        while (i < len && r[i] == '>') {
            depth++;
            i++;
        }
        if (i < len && r[i] == ' ') /* space-stuffing (4.4) */
            i++;
        const char *content = r + i;
        size_t clen = len - i;
        int sig = clen == 3 && memcmp(content, "-- ", 3) == 0;
        int flowed = !sig && clen > 0 && content[clen - 1] == ' ';
        if (!(prev_flowed && depth == prev_depth)) {
            if (w != out)
                *w++ = '\n';
            for (int d = 0; d < depth; d++)
                *w++ = '>';
            if (depth)
                *w++ = ' ';
        }
        if (flowed && delsp)
            clen--;
        memcpy(w, content, clen);
        w += clen;
        prev_flowed = flowed;
        prev_depth = depth;
        if (!nl)
            break;
        r = nl + 1;
    }
    *w = '\0';
    return out;
}

/* ---- HTML -------------------------------------------------------------- */

struct entity {
    const char *name;
    const char *utf8;
};
static const struct entity entities[] = {
    {"amp", "&"},       {"lt", "<"},         {"gt", ">"},
    {"quot", "\""},     {"apos", "'"},       {"nbsp", " "},
    {"eacute", "\xC3\xA9"}, {"egrave", "\xC3\xA8"}, {"agrave", "\xC3\xA0"},
    {"uuml", "\xC3\xBC"},   {"ouml", "\xC3\xB6"},   {"auml", "\xC3\xA4"},
    {"szlig", "\xC3\x9F"},  {"ccedil", "\xC3\xA7"}, {"ntilde", "\xC3\xB1"},
    {"mdash", "\xE2\x80\x94"}, {"ndash", "\xE2\x80\x93"},
    {"rsquo", "\xE2\x80\x99"}, {"lsquo", "\xE2\x80\x98"},
    {"hellip", "\xE2\x80\xA6"}, {"copy", "\xC2\xA9"},
};

static int put_codepoint(ab_buf *b, unsigned long c)
{
    char u[8];
    if (c == 0 || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        c = 0xFFFD;
    int n = g_unichar_to_utf8((gunichar)c, u);
    return ab_buf_append(b, u, (size_t)n) == AB_OK ? 0 : -1;
}

/* Tags that end a line of text. */
static int block_tag(const char *t, size_t n)
{
    static const char *const blocks[] = {"br", "p", "div", "tr", "li", "h1",
                                         "h2", "h3", "h4", "table", "hr",
                                         "blockquote", "pre", "ul", "ol"};
    for (size_t i = 0; i < sizeof blocks / sizeof *blocks; i++)
        if (strlen(blocks[i]) == n && strncasecmp(t, blocks[i], n) == 0)
            return 1;
    return 0;
}

/* The converter's state: the input, where it is, and what the output
 * needs before the next character. */
struct h2t {
    ab_buf b;
    const char *h;
    size_t len, i;
    int quote;  /* <blockquote> depth */
    int skip;   /* inside script, style, head or title: not text */
    int at_bol; /* nothing written on this line yet */
    int space;  /* whitespace seen since the last character written */
};

/* The comment, doctype or tag at s->i ('<'), stepped over, with what it
 * means for the text: a line end, a quote level, content that is never
 * shown.  -1 when out of memory. */
static int h2t_tag(struct h2t *s)
{
    const char *h = s->h;
    size_t len = s->len, j = s->i + 1;
    if (j < len && h[j] == '!') { /* comment or doctype */
        const char *e = len - j > 2 && h[j + 1] == '-' ? strstr(h + j, "-->") : NULL;
        if (e) {
            s->i = (size_t)(e - h) + 3;
        } else {
            while (s->i < len && h[s->i] != '>')
                s->i++;
            s->i++;
        }
        return 0;
    }
    int close = 0;
    if (j < len && h[j] == '/') {
        close = 1;
        j++;
    }
    size_t ns = j;
    while (j < len && isalnum((unsigned char)h[j]))
        j++;
    size_t nlen = j - ns;
    const char *name = h + ns;
    while (j < len && h[j] != '>')
        j++;
    s->i = j + 1;
    if ((nlen == 6 && (strncasecmp(name, "script", 6) == 0)) ||
        (nlen == 5 && strncasecmp(name, "style", 5) == 0) ||
        (nlen == 4 && strncasecmp(name, "head", 4) == 0) ||
        (nlen == 5 && strncasecmp(name, "title", 5) == 0))
        s->skip += close ? (s->skip > 0 ? -1 : 0) : 1;
    if (nlen == 10 && strncasecmp(name, "blockquote", 10) == 0)
        s->quote += close ? (s->quote > 0 ? -1 : 0) : 1;
    if (block_tag(name, nlen) && !s->at_bol) {
        if (ab_buf_putc(&s->b, '\n') != AB_OK)
            return -1;
        s->at_bol = 1;
        s->space = 0;
    }
    return 0;
}

/* What goes before the next character: the quote marks when it starts a
 * line, else one space for the whitespace before it.  -1: out of memory. */
static int h2t_lead(struct h2t *s)
{
    if (s->at_bol) {
        for (int q = 0; q < s->quote && q < 16; q++)
            if (ab_buf_putc(&s->b, '>') != AB_OK)
                return -1;
        if (s->quote && ab_buf_putc(&s->b, ' ') != AB_OK)
            return -1;
        s->at_bol = 0;
        s->space = 0;
    } else if (s->space) {
        if (ab_buf_putc(&s->b, ' ') != AB_OK)
            return -1;
        s->space = 0;
    }
    return 0;
}

/* The character reference or named entity at s->i ('&'): 1 when it was
 * one and is written (s->i is past its ';'), 0 when the '&' is plain
 * text, -1 when out of memory. */
static int h2t_entity(struct h2t *s)
{
    const char *h = s->h;
    size_t i = s->i, j = i + 1;
    while (j < s->len && j - i < 12 && h[j] != ';' && !isspace((unsigned char)h[j]))
        j++;
    if (j >= s->len || h[j] != ';')
        return 0;
    const char *ent = h + i + 1;
    size_t el = j - i - 1;
    int done = 0;
    if (el > 1 && ent[0] == '#') {
        char *end;
        unsigned long cp = (ent[1] == 'x' || ent[1] == 'X') ? strtoul(ent + 2, &end, 16)
                                                            : strtoul(ent + 1, &end, 10);
        if (end == ent + el) {
            if (put_codepoint(&s->b, cp == 0xA0 ? 0x20 : cp) < 0)
                return -1;
            done = 1;
        }
    } else {
        for (size_t k = 0; k < sizeof entities / sizeof *entities; k++)
            if (strlen(entities[k].name) == el &&
                strncmp(entities[k].name, ent, el) == 0) {
                if (ab_buf_puts(&s->b, entities[k].utf8) != AB_OK)
                    return -1;
                done = 1;
                break;
            }
    }
    if (done)
        s->i = j + 1;
    return done;
}

char *inbox_html_to_text(const char *h, size_t len)
{
    struct h2t s = {.h = h, .len = len, .at_bol = 1};
    ab_buf_init(&s.b, 0);
    while (s.i < len) {
        char c = h[s.i];
        if (c == '<') {
            if (h2t_tag(&s) < 0)
                goto fail;
            continue;
        }
        if (s.skip) {
            s.i++;
            continue;
        }
        if (c == '\r' || c == '\n' || c == '\t' || c == ' ') {
            s.space = 1;
            s.i++;
            continue;
        }
        if (h2t_lead(&s) < 0)
            goto fail;
        int ent = c == '&' ? h2t_entity(&s) : 0;
        if (ent < 0)
            goto fail;
        if (ent)
            continue;
        /* UTF-8 no-break space to a plain one, so words split cleanly */
        if ((unsigned char)c == 0xC2 && s.i + 1 < len &&
            (unsigned char)h[s.i + 1] == 0xA0) {
            s.space = 1;
            s.i += 2;
            continue;
        }
        if (ab_buf_putc(&s.b, c) != AB_OK)
            goto fail;
        s.i++;
    }
    if (ab_buf_putc(&s.b, '\0') != AB_OK)
        goto fail;
    s.b.len--;
    return ab_buf_steal(&s.b);
fail:
    ab_buf_free(&s.b);
    return ab_strdup("");
}

/* ---- where the quote begins -------------------------------------------- */

/* Attribution lines in the languages of the corpus; matched at the start
 * of a line ("On ... wrote:" is matched by its end, which may wrap). */
static int attribution(const char *line, size_t len)
{
    static const char *const starts[] = {
        "-----Original Message-----", "-----Ursprüngliche Nachricht-----",
        "-----Message d'origine-----", "-----Mensaje original-----",
        "-----Oorspronkelijk bericht-----", "-----Ursprungligt meddelande-----",
        "________________________________", "------------------ 原始邮件",
        "-------- Original Message --------", "-------- Forwarded Message",
        "Begin forwarded message:",
    };
    for (size_t i = 0; i < sizeof starts / sizeof *starts; i++)
        if (len >= strlen(starts[i]) && inbox_starts_with_ci(line, starts[i]))
            return 1;
    static const char *const ends[] = {"wrote:", "schrieb:", "a écrit :",
                                       "a écrit:", "escribió:", "schreef:",
                                       "skrev:", "写道：", "写道:", "scritto:"};
    size_t l = len;
    while (l && (line[l - 1] == ' ' || line[l - 1] == '\r'))
        l--;
    for (size_t i = 0; i < sizeof ends / sizeof *ends; i++) {
        size_t el = strlen(ends[i]);
        if (l >= el && strncasecmp(line + l - el, ends[i], el) == 0)
            return 1;
    }
    return 0;
}

/* Outlook's quote header: "From: X" followed within 3 lines by "Sent:"
 * (or Von:/Gesendet:, De :/Envoyé :, 发件人:/发送时间:). */
static int outlook_header(const char *line)
{
    static const char *const from[] = {"From:", "Von:", "De :", "De:", "Van:",
                                       "Från:", "发件人:", "发件人："};
    static const char *const sent[] = {"Sent:", "Gesendet:", "Envoyé :", "Envoyé:",
                                       "Enviado:", "Verzonden:", "Skickat:",
                                       "发送时间:", "发送时间：", "Date:"};
    int isfrom = 0;
    for (size_t i = 0; i < sizeof from / sizeof *from; i++)
        if (inbox_starts_with_ci(line, from[i]))
            isfrom = 1;
    if (!isfrom)
        return 0;
    const char *p = line;
    for (int k = 0; k < 3; k++) {
        p = strchr(p, '\n');
        if (!p)
            return 0;
        p++;
        while (*p == ' ' || *p == '*')
            p++;
        for (size_t i = 0; i < sizeof sent / sizeof *sent; i++)
            if (inbox_starts_with_ci(p, sent[i]))
                return 1;
    }
    return 0;
}

size_t inbox_new_text_len(const char *text)
{
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        const char *s = p;
        while (*s == ' ' || *s == '\t' || *s == '*')
            s++;
        size_t sl = len - (size_t)(s - p);
        if (*s == '>' || attribution(s, sl) || outlook_header(s) ||
            (len >= 3 && strncmp(p, "-- ", 3) == 0 && (len == 3 || p[3] == '\r')))
            return (size_t)(p - text);
        /* "On Mon, Dec 1, 2026 at 8:00 AM X <x@y>" + newline + "wrote:" */
        if (nl && inbox_starts_with_ci(s, "On ")) {
            const char *n2 = nl + 1;
            size_t l2 = strcspn(n2, "\n");
            if (attribution(n2, l2))
                return (size_t)(p - text);
        }
        if (!nl)
            break;
        p = nl + 1;
    }
    return strlen(text);
}
