/*
 * inbox_utf7.c - IMAP mailbox names in modified UTF-7 (RFC 3501 section 5.1.3).
 *
 * IMAP4rev1 predates UTF-8 on the wire: a mailbox name is 7-bit.  The
 * configuration holds names as people write them (UTF-8, "Bestätigt"),
 * so every name we send is encoded and every name a server hands back is
 * decoded before a person sees it:
 *   - printable US-ASCII (0x20-0x7e) stands for itself, except '&',
 *     which is written "&-";
 *   - any other run of characters is UTF-16BE (characters beyond the BMP
 *     as surrogate pairs), in BASE64 with ',' in place of '/', without
 *     '=' padding, between '&' and '-'.
 * Both directions are strict: bad UTF-8 (overlong forms, surrogates,
 * values past U+10FFFF, truncated sequences) is refused when encoding,
 * and 8-bit bytes, unterminated or misaligned BASE64, non-zero padding
 * bits, lone surrogates and printable ASCII smuggled inside BASE64 (which
 * the RFC says MUST be written as itself) are refused when decoding, each
 * with a message that names the offending byte.  A server that accepted
 * a sloppy name would store it under a different name than the one we
 * compare with later, so refusing is safer than guessing.
 */
#include "inbox/inbox_int.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/ab_buf.h"
#include "common/ab_mem.h"

/* Mailbox names are short; this only bounds hostile input. */
#define NAME_MAX_OUT ((size_t)64 << 10)

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == ',')
        return 63;
    return -1;
}

static int printable(uint32_t c)
{
    return c >= 0x20 && c <= 0x7e;
}

/*
 * One UTF-8 character at s[*i]; advances *i.  Returns the code point, or
 * -1 for anything RFC 3629 does not allow.
 */
static int32_t utf8_next(const unsigned char *s, size_t *i)
{
    unsigned char c = s[*i];
    uint32_t cp, min;
    int more;
    if (c < 0x80) {
        (*i)++;
        return c;
    } else if ((c & 0xe0) == 0xc0) {
        cp = c & 0x1f, more = 1, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
        cp = c & 0x0f, more = 2, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
        cp = c & 0x07, more = 3, min = 0x10000;
    } else {
        return -1;
    }
    for (int k = 1; k <= more; k++) {
        /* A NUL ends the string, and fails this test: no over-read. */
        if ((s[*i + (size_t)k] & 0xc0) != 0x80)
            return -1;
        cp = cp << 6 | (s[*i + (size_t)k] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return -1;
    *i += (size_t)more + 1;
    return (int32_t)cp;
}

/* Append the BASE64 of one run of UTF-16BE units, framed by '&' '-'. */
static enum ab_err put_run(ab_buf *out, const uint16_t *u, size_t n)
{
    enum ab_err e = ab_buf_putc(out, '&');
    uint32_t bits = 0;
    int nbits = 0;
    for (size_t k = 0; k < n && !e; k++) {
        bits = bits << 16 | u[k];
        nbits += 16;
        while (nbits >= 6 && !e) {
            nbits -= 6;
            e = ab_buf_putc(out, b64[(bits >> nbits) & 0x3f]);
        }
        bits &= (1u << nbits) - 1; /* keep only what is still to go */
    }
    /* The last bits, padded with zeros; no '=' (RFC 3501 5.1.3). */
    if (nbits && !e)
        e = ab_buf_putc(out, b64[(bits << (6 - nbits)) & 0x3f]);
    return e ? e : ab_buf_putc(out, '-');
}

enum ab_err inbox_utf7_encode(const char *utf8, char **out, ab_errmsg *em)
{
    *out = NULL;
    const unsigned char *s = (const unsigned char *)utf8;
    ab_buf b;
    ab_buf_init(&b, NAME_MAX_OUT);
    uint16_t *run = NULL;
    size_t nrun = 0;
    enum ab_err e = AB_OK;
    /* A run never has more UTF-16 units than the name has bytes. */
    size_t len = strlen(utf8);
    if (!(run = ab_malloc((len ? len : 1) * sizeof *run))) {
        e = ab_fail(em, AB_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; s[i];) {
        size_t at = i;
        int32_t cp = utf8_next(s, &i);
        if (cp < 0) {
            /* Only the valid part is quoted: the message goes to logs. */
            e = ab_fail(em, AB_EINVAL, "mailbox name \"%.*s...\": invalid UTF-8 at "
                        "byte %zu (0x%02x)", (int)(at < 200 ? at : 200), utf8, at, s[at]);
            goto out;
        }
        if (printable((uint32_t)cp)) {
            if (nrun && (e = put_run(&b, run, nrun)))
                goto nomem;
            nrun = 0;
            if ((e = ab_buf_putc(&b, (char)cp)) ||
                (cp == '&' && (e = ab_buf_putc(&b, '-'))))
                goto nomem;
            continue;
        }
        if (cp >= 0x10000) {
            uint32_t v = (uint32_t)cp - 0x10000;
            run[nrun++] = (uint16_t)(0xd800 | v >> 10);
            run[nrun++] = (uint16_t)(0xdc00 | (v & 0x3ff));
        } else {
            run[nrun++] = (uint16_t)cp;
        }
    }
    if (nrun && (e = put_run(&b, run, nrun)))
        goto nomem;
    if (!(*out = b.len ? ab_buf_steal(&b) : ab_strdup("")))
        e = ab_fail(em, AB_ENOMEM, "out of memory");
    goto out;
nomem:
    e = ab_fail(em, e, "mailbox name \"%.100s...\": too long to encode", utf8);
out:
    ab_free(run);
    ab_buf_free(&b);
    return e;
}

static enum ab_err put_utf8(ab_buf *b, uint32_t cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp, n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xc0 | cp >> 6), u[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xe0 | cp >> 12), u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
    } else {
        u[0] = (char)(0xf0 | cp >> 18), u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), u[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    return ab_buf_append(b, u, n);
}

/*
 * Decode the BASE64 run that starts at s[start] (just after '&', and not
 * "&-", which the caller handled) up to its '-', appending UTF-8 to b.
 * *end is set to the index of the '-'.
 */
static enum ab_err decode_run(const char *name, size_t start, ab_buf *b, size_t *end,
                              ab_errmsg *em)
{
    const unsigned char *s = (const unsigned char *)name;
    uint32_t bits = 0;
    int nbits = 0;
    uint32_t high = 0; /* a high surrogate waiting for its low half */
    size_t i = start;
    for (; s[i] != '-'; i++) {
        int v = b64_value(s[i]);
        if (v < 0)
            return ab_fail(em, AB_EINVAL, s[i] ? "mailbox name \"%.200s\": byte %zu "
                                                 "is not modified BASE64"
                                               : "mailbox name \"%.200s\": BASE64 "
                                                 "run not closed by '-' at byte %zu",
                           name, i);
        bits = bits << 6 | (uint32_t)v;
        nbits += 6;
        if (nbits < 16)
            continue;
        nbits -= 16;
        uint32_t u = (bits >> nbits) & 0xffff;
        bits &= (1u << nbits) - 1;
        if (high) {
            if (u < 0xdc00 || u > 0xdfff)
                return ab_fail(em, AB_EINVAL, "mailbox name \"%.200s\": high surrogate "
                               "without its low half before byte %zu", name, i);
            u = 0x10000 + ((high - 0xd800) << 10) + (u - 0xdc00);
            high = 0;
        } else if (u >= 0xd800 && u <= 0xdbff) {
            high = u;
            continue;
        } else if (u >= 0xdc00 && u <= 0xdfff) {
            return ab_fail(em, AB_EINVAL, "mailbox name \"%.200s\": lone low surrogate "
                           "before byte %zu", name, i);
        } else if (printable(u)) {
            return ab_fail(em, AB_EINVAL, "mailbox name \"%.200s\": printable ASCII "
                           "encoded in BASE64 before byte %zu", name, i);
        }
        if (put_utf8(b, u))
            return ab_fail(em, AB_ENOMEM, "mailbox name too long");
    }
    if (high)
        return ab_fail(em, AB_EINVAL, "mailbox name \"%.200s\": high surrogate without "
                       "its low half at byte %zu", name, i);
    /* Whole UTF-16 units only: what is left is padding, fewer than 6
     * bits, all zero. */
    if (nbits >= 6 || bits != 0)
        return ab_fail(em, AB_EINVAL, "mailbox name \"%.200s\": BASE64 run ending at "
                       "byte %zu is not a whole number of UTF-16 units", name, i);
    *end = i;
    return AB_OK;
}

enum ab_err inbox_utf7_decode(const char *utf7, char **out, ab_errmsg *em)
{
    *out = NULL;
    const unsigned char *s = (const unsigned char *)utf7;
    ab_buf b;
    ab_buf_init(&b, NAME_MAX_OUT);
    enum ab_err e = AB_OK;
    for (size_t i = 0; s[i] && !e; i++) {
        if (!printable(s[i])) {
            e = ab_fail(em, AB_EINVAL, "mailbox name \"%.200s\": byte %zu (0x%02x) is "
                        "not allowed in modified UTF-7", utf7, i, s[i]);
        } else if (s[i] != '&') {
            if (ab_buf_putc(&b, (char)s[i]))
                e = ab_fail(em, AB_ENOMEM, "mailbox name too long");
        } else if (s[i + 1] == '-') {
            if (ab_buf_putc(&b, '&'))
                e = ab_fail(em, AB_ENOMEM, "mailbox name too long");
            i++;
        } else {
            e = decode_run(utf7, i + 1, &b, &i, em);
        }
    }
    if (!e && !(*out = b.len ? ab_buf_steal(&b) : ab_strdup("")))
        e = ab_fail(em, AB_ENOMEM, "out of memory");
    ab_buf_free(&b);
    return e;
}

void inbox_utf7_humanize(const char *in, char *out, size_t len)
{
    if (len < 2) { /* ab_buf's max 0 would mean "the default" */
        if (len)
            out[0] = '\0';
        return;
    }
    ab_buf b;
    ab_buf_init(&b, len - 1);
    for (const char *p = in; *p;) {
        size_t n = strcspn(p, " \"()[]");
        char *word = n ? ab_strndup(p, n) : NULL;
        char *dec = NULL;
        ab_errmsg dem;
        const char *amp = word ? strchr(word, '&') : NULL;
        int coded = amp && amp[1] && amp[1] != '-' &&
                    inbox_utf7_decode(word, &dec, &dem) == AB_OK;
        enum ab_err e = coded ? ab_buf_puts(&b, dec) : ab_buf_append(&b, p, n ? n : 1);
        ab_free(word);
        ab_free(dec);
        if (e)
            break; /* out of room: the rest is cut, as snprintf would */
        p += n ? n : 1;
    }
    snprintf(out, len, "%s", ab_buf_str(&b));
    ab_buf_free(&b);
}
