/*
 * mail_addr.c - addresses and Message-IDs: syntax checks (RFC 5322 3.4.1
 * addr-spec, 3.6.4 msg-id; RFC 5321 4.5.3.1 length limits) and the
 * heartbeat wire format (DESIGN.md: Message-ID <hb.TOKEN@DOMAIN>,
 * Reply-To LOCAL+TOKEN@DOMAIN), and the envelope sender: VERP
 * (variable envelope return path) LOCAL+TOKEN@DOMAIN at the watched
 * inbox, so that a DSN (RFC 3464), which goes to the envelope sender,
 * comes back to the inbox and names the recipient's token.
 *
 * The checks are deliberately stricter than the grammar allows (no
 * comments, no obsolete forms, no folding white space): an address
 * ackbeat sends to comes from its own configuration, so anything odd is
 * far more likely a mistake, or an injection attempt through a check
 * name, than a real mailbox.
 */
#include "mailer/mail.h"

#include <stdio.h>
#include <string.h>

#include "common/ab_token.h"
#include "config/cfg.h"

/* RFC 5322 atext. */
static int is_atext(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return 1;
    return c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* A dot-atom-text: atoms of atext joined by single dots. */
static int is_dot_atom(const char *s, size_t n)
{
    if (n == 0 || s[0] == '.' || s[n - 1] == '.')
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '.') {
            if (s[i + 1] == '.')
                return 0;
        } else if (!is_atext(c)) {
            return 0;
        }
    }
    return 1;
}

/* A quoted-string local part: printable ASCII, with \ quoting. */
static int is_quoted(const char *s, size_t n)
{
    if (n < 2 || s[0] != '"' || s[n - 1] != '"')
        return 0;
    for (size_t i = 1; i + 1 < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\\') {
            if (i + 2 >= n)
                return 0;
            i++;
            c = (unsigned char)s[i];
            if (c < 32 || c > 126)
                return 0;
        } else if (c == '"' || c < 32 || c > 126) {
            return 0;
        }
    }
    return 1;
}

/* A domain name of LDH labels, or an address literal "[...]". */
static int is_domain(const char *s, size_t n)
{
    if (n == 0 || n > 253)
        return 0;
    if (s[0] == '[') {
        if (n < 3 || s[n - 1] != ']')
            return 0;
        for (size_t i = 1; i + 1 < n; i++) {
            unsigned char c = (unsigned char)s[i];
            if (c < 33 || c > 126 || c == '[' || c == ']' || c == '\\')
                return 0;
        }
        return 1;
    }
    size_t label = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '.') {
            if (label == 0 || s[i - 1] == '-')
                return 0;
            label = 0;
            continue;
        }
        int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9');
        if (!alnum && !(c == '-' && label > 0))
            return 0;
        if (++label > 63)
            return 0;
    }
    return label > 0 && s[n - 1] != '-';
}

enum ab_err mail_addr_check(const char *field, const char *addr, ab_errmsg *em)
{
    if (!addr || !*addr)
        return ab_fail(em, AB_EINVAL, "%s: empty address", field);
    if (strpbrk(addr, "\r\n"))
        return ab_fail(em, AB_EINVAL,
                       "%s: line break in address (header injection attempt?)",
                       field);
    size_t n = strlen(addr);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)addr[i] >= 0x80)
            return ab_fail(em, AB_EINVAL,
                           "%s: '%s' is not an address: non-ASCII addresses "
                           "(SMTPUTF8) are not supported",
                           field, addr);
    if (n > MAIL_ADDR_MAX)
        return ab_fail(em, AB_EINVAL, "%s: address longer than %d bytes",
                       field, MAIL_ADDR_MAX);
    const char *at = strrchr(addr, '@');
    if (!at)
        return ab_fail(em, AB_EINVAL, "%s: '%s' is not an address (no @)",
                       field, addr);
    size_t ln = (size_t)(at - addr);
    if (ln == 0 || ln > 64 || !(is_dot_atom(addr, ln) || is_quoted(addr, ln)))
        return ab_fail(em, AB_EINVAL,
                       "%s: '%s' is not an address (bad local part)", field,
                       addr);
    if (!is_domain(at + 1, n - ln - 1))
        return ab_fail(em, AB_EINVAL,
                       "%s: '%s' is not an address (bad domain)", field, addr);
    return AB_OK;
}

const char *mail_addr_domain(const char *addr)
{
    if (mail_addr_check("address", addr, NULL) != AB_OK)
        return NULL;
    return strrchr(addr, '@') + 1;
}

enum ab_err mail_msgid_check(const char *field, const char *id, ab_errmsg *em)
{
    if (!id || !*id)
        return ab_fail(em, AB_EINVAL, "%s: empty Message-ID", field);
    if (strpbrk(id, "\r\n"))
        return ab_fail(em, AB_EINVAL,
                       "%s: line break in Message-ID (header injection attempt?)",
                       field);
    size_t n = strlen(id);
    if (n + 1 > MAIL_MSGID_MAX)
        return ab_fail(em, AB_EINVAL, "%s: Message-ID longer than %d bytes",
                       field, MAIL_MSGID_MAX - 1);
    if (n < 5 || id[0] != '<' || id[n - 1] != '>')
        return ab_fail(em, AB_EINVAL, "%s: '%s' is not a Message-ID <left@right>",
                       field, id);
    const char *at = memchr(id, '@', n);
    if (!at || at == id + 1 || at == id + n - 2 || memchr(at + 1, '@', (size_t)(id + n - at - 1)))
        return ab_fail(em, AB_EINVAL, "%s: '%s' is not a Message-ID <left@right>",
                       field, id);
    size_t ln = (size_t)(at - id - 1), rn = (size_t)(id + n - 1 - at - 1);
    if (!is_dot_atom(id + 1, ln) || !(is_dot_atom(at + 1, rn) || is_domain(at + 1, rn)))
        return ab_fail(em, AB_EINVAL,
                       "%s: '%s' is not a Message-ID (characters outside "
                       "dot-atom)",
                       field, id);
    return AB_OK;
}

enum ab_err mail_msgid_new(const char *from_addr, char *out, ab_errmsg *em)
{
    enum ab_err e = mail_addr_check("From", from_addr, em);
    if (e)
        return e;
    char tok[AB_TOKEN_LEN + 1];
    if (ab_token_new(tok) != AB_OK)
        return ab_fail(em, AB_EIO, "cannot read random bytes for a Message-ID");
    int w = snprintf(out, MAIL_MSGID_MAX, "<%s@%s>", tok, mail_addr_domain(from_addr));
    if (w < 0 || w >= MAIL_MSGID_MAX)
        return ab_fail(em, AB_EINVAL, "From: domain too long for a Message-ID");
    return AB_OK;
}

enum ab_err mail_plus_address(const char *field, const char *addr,
                              const char *token, char *out, ab_errmsg *em)
{
    enum ab_err e = mail_addr_check(field, addr, em);
    if (e)
        return e;
    if (!token || !ab_token_valid(token, strlen(token)))
        return ab_fail(em, AB_EINVAL, "%s: token is malformed", field);
    if (addr[0] == '"')
        return ab_fail(em, AB_EINVAL,
                       "%s '%s': a quoted local part cannot carry a +token",
                       field, addr);
    const char *at = strrchr(addr, '@');
    int w = snprintf(out, MAIL_ADDR_MAX + 1, "%.*s+%s%s", (int)(at - addr), addr,
                     token, at);
    if (w < 0 || w > MAIL_ADDR_MAX)
        return ab_fail(em, AB_EINVAL, "%s '%s' too long for a +token", field, addr);
    /* Local parts over 64 bytes are refused by servers; check what we made. */
    return mail_addr_check(field, out, em);
}

enum ab_err mail_heartbeat_ids(const char *reply_address, const char *token,
                               char *msgid, char *reply_to, ab_errmsg *em)
{
    enum ab_err e = mail_plus_address("reply address", reply_address, token,
                                      reply_to, em);
    if (e)
        return e;
    int w = snprintf(msgid, MAIL_MSGID_MAX, "<hb.%s%s>", token,
                     strrchr(reply_address, '@'));
    if (w < 0 || w >= MAIL_MSGID_MAX)
        return ab_fail(em, AB_EINVAL, "reply address '%s' too long for a Message-ID",
                       reply_address);
    return AB_OK;
}

enum ab_err mail_envelope_sender(const struct cfg_inbox *ib, const char *from,
                                 const char *token, char *out, ab_errmsg *em)
{
    /* Without a watched inbox nobody reads bounces at an address of ours
     * but the sender's own mailbox: keep <mail from=>. */
    const char *base = NULL, *field = "bounce-address";
    if (ib && ib->enabled) {
        base = ib->bounce_address;
        if (!base) {
            base = ib->reply_address;
            field = "reply-address";
        }
    }
    if (!base) {
        enum ab_err e = mail_addr_check("envelope sender", from, em);
        if (!e)
            memcpy(out, from, strlen(from) + 1);
        return e;
    }
    if (token)
        return mail_plus_address(field, base, token, out, em);
    enum ab_err e = mail_addr_check(field, base, em);
    if (!e)
        memcpy(out, base, strlen(base) + 1);
    return e;
}
