/*
 * mail_dkim.c - DKIM signing (RFC 6376) for when the relay does not sign.
 *
 * <mail dkim-domain= dkim-selector= dkim-key=> names the signing domain
 * (d=), the selector (s=; the public key is published as a TXT record at
 * SELECTOR._domainkey.DOMAIN) and a PEM RSA private key.  Signatures are
 * RSA-SHA256 (a=rsa-sha256, RFC 8301: rsa-sha1 must not be used) with
 * relaxed/relaxed canonicalization (c=, RFC 6376 3.4.2 and 3.4.4): the
 * relay and the final delivery fold, unfold and re-space headers and add
 * their own (Received, Return-Path) above ours, and "simple" would break
 * on the first of those.  The cryptography and canonicalization are
 * libopendkim's; this file reads and checks the key, splits our message
 * into header fields and body for it, and prepends the header it makes.
 *
 * Where: the outbox drain signs each message just before it goes to the
 * transport (mail_outbox.c), so smtp, sendmail and maildir all carry exactly
 * the signed bytes.  A retry signs the stored message again with the
 * same t= (the time the message was stored) and the same key, and an
 * RSA PKCS#1 v1.5 signature is deterministic, so every attempt sends the
 * same bytes.
 */
#include "mailer/mail_int.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/ab_dl_crypto.h"
#include "common/ab_dl_dkim.h"
#include "common/ab_mem.h"
#include "config/cfg.h"

/* A key file is a few kB; a bigger one is not a PEM key. */
#define DKIM_KEY_MAX (64 * 1024)

struct mail_dkim {
    DKIM_LIB *lib;
    char *key;        /* the PEM text, NUL-terminated (libopendkim parses it) */
    const char *path; /* borrowed from the config, for messages */
    const char *domain;
    const char *selector;
};

/*
 * The header fields signed (h=), when present: the ones a reader sees and
 * the ones that decide how the message is shown or threaded.  Received,
 * Return-Path and the like are added on the way and must stay out.
 */
static const char *const sign_hdrs[] = {
    "from", "to", "subject", "date", "message-id", "reply-to", "in-reply-to",
    "references", "mime-version", "content-type", "auto-submitted", NULL,
};
/* No oversigning (RFC 6376 8.15): Debian's libopendkim 2.11 writes freed
 * memory into h= when DKIM_OPTS_OVERSIGNHDRS is set (seen under valgrind:
 * "h=From:\xd4i\xa5..."), which no verifier accepts.  A From: added on
 * the way is still caught by DMARC's single-From rule at the receiver. */

/* The passphrase callback: never prompt (a daemon has no terminal, and
 * OpenSSL's default one reads from /dev/tty).  An encrypted key fails. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

/* Is pem an unencrypted RSA private key fit for DKIM?  why says what it
 * is not. */
static enum ab_err key_check(const char *pem, size_t len, char *why, size_t whylen)
{
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    if (!bio) {
        snprintf(why, whylen, "out of memory");
        return AB_ENOMEM;
    }
    EVP_PKEY *k = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
    BIO_free(bio);
    enum ab_err e = AB_OK;
    if (!k) {
        snprintf(why, whylen, "not a PEM private key (or an encrypted one: "
                              "the key must be readable without a passphrase)");
        e = AB_ECONFIG;
    } else if (EVP_PKEY_base_id(k) != EVP_PKEY_RSA) {
        snprintf(why, whylen, "not an RSA private key (DKIM here signs rsa-sha256)");
        e = AB_ECONFIG;
    } else if (EVP_PKEY_bits(k) < 1024) {
        /* RFC 8301 3.2: verifiers must not accept keys under 1024 bits. */
        snprintf(why, whylen, "an RSA key of %d bits; verifiers refuse keys under "
                              "1024 (use 2048)", EVP_PKEY_bits(k));
        e = AB_ECONFIG;
    }
    EVP_PKEY_free(k);
    return e;
}

/* The whole key file into a NUL-terminated string. */
static enum ab_err read_key(const char *path, char **out, ab_errmsg *em)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return ab_fail(em, AB_ECONFIG, "mail: dkim-key=\"%s\": %s", path, strerror(errno));
    ab_buf b;
    ab_buf_init(&b, DKIM_KEY_MAX);
    char chunk[4096];
    size_t n;
    enum ab_err e = AB_OK;
    while (!e && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        e = ab_buf_append(&b, chunk, n);
    int rerr = ferror(f);
    fclose(f);
    if (e || rerr) {
        ab_buf_free(&b);
        return ab_fail(em, AB_ECONFIG, "mail: dkim-key=\"%s\": %s", path,
                       e ? "too big for a key file" : "read error");
    }
    char why[160];
    e = key_check(ab_buf_str(&b), b.len, why, sizeof why);
    if (e) {
        ab_buf_free(&b);
        return ab_fail(em, e, "mail: dkim-key=\"%s\": %s", path, why);
    }
    *out = ab_buf_steal(&b);
    return *out ? AB_OK : ab_fail(em, AB_ENOMEM, "out of memory");
}

enum ab_err mail_dkim_new(const struct cfg_mail *mc, mail_dkim **out, ab_errmsg *em)
{
    *out = NULL;
    if (!mc->dkim_domain)
        return AB_OK; /* not configured: messages go out as built */
    if (!mc->dkim_selector || !mc->dkim_key)
        return ab_fail(em, AB_ECONFIG, "mail: dkim-domain, dkim-selector and dkim-key "
                                       "go together");
    mail_dkim *d = ab_calloc(1, sizeof *d);
    if (!d)
        return ab_fail(em, AB_ENOMEM, "out of memory");
    d->path = mc->dkim_key;
    d->domain = mc->dkim_domain;
    d->selector = mc->dkim_selector;
    enum ab_err e = read_key(mc->dkim_key, &d->key, em);
    if (e)
        goto fail;
    d->lib = dkim_init(NULL, NULL);
    if (!d->lib) {
        e = ab_fail(em, AB_ENOMEM, "mail: DKIM: libopendkim could not start");
        goto fail;
    }
    /* libopendkim takes the list as the char ** itself (and its size)
     * and keeps its own copy. */
    const char *const *sh = sign_hdrs;
    if (dkim_options(d->lib, DKIM_OP_SETOPT, DKIM_OPTS_SIGNHDRS, (void *)(uintptr_t)sh,
                     sizeof sh) != DKIM_STAT_OK) {
        e = ab_fail(em, AB_ECONFIG, "mail: DKIM: libopendkim refused the header list");
        goto fail;
    }
    *out = d;
    return AB_OK;
fail:
    mail_dkim_free(d);
    return e;
}

void mail_dkim_free(mail_dkim *d)
{
    if (!d)
        return;
    if (d->lib)
        dkim_close(d->lib);
    if (d->key) {
        /* The key is a secret: do not leave it in freed memory. */
        explicit_bzero(d->key, strlen(d->key));
        ab_free(d->key);
    }
    ab_free(d);
}

/* Where the header block ends: the offset of the empty line's CRLF (the
 * body starts 2 bytes later), or len when the message has no body. */
static size_t header_end(const char *msg, size_t len)
{
    if (len >= 2 && msg[0] == '\r' && msg[1] == '\n')
        return 0;
    for (size_t i = 0; i + 3 < len; i++)
        if (msg[i] == '\r' && msg[i + 1] == '\n' && msg[i + 2] == '\r' && msg[i + 3] == '\n')
            return i + 2;
    return len;
}

/* Hand each header field (with its folded lines, without the final CRLF)
 * to libopendkim, then the body. */
static DKIM_STAT feed(DKIM *dk, const char *msg, size_t len)
{
    size_t hend = header_end(msg, len);
    size_t i = 0;
    DKIM_STAT st = DKIM_STAT_OK;
    while (st == DKIM_STAT_OK && i < hend) {
        size_t start = i;
        /* A field ends at a CRLF not followed by a space or tab (RFC 5322
         * 2.2.3: folding whitespace continues it). */
        for (;;) {
            const char *nl = memchr(msg + i, '\n', hend - i);
            i = nl ? (size_t)(nl - msg) + 1 : hend;
            if (i >= hend || (msg[i] != ' ' && msg[i] != '\t'))
                break;
        }
        size_t flen = i - start;
        while (flen && (msg[start + flen - 1] == '\n' || msg[start + flen - 1] == '\r'))
            flen--;
        if (flen)
            st = dkim_header(dk, (u_char *)(uintptr_t)(msg + start), flen);
    }
    if (st == DKIM_STAT_OK)
        st = dkim_eoh(dk);
    size_t bstart = hend + 2 <= len ? hend + 2 : len;
    if (st == DKIM_STAT_OK && bstart < len)
        st = dkim_body(dk, (u_char *)(uintptr_t)(msg + bstart), len - bstart);
    if (st == DKIM_STAT_OK)
        st = dkim_eom(dk, NULL);
    return st;
}

#define SIG_NAME "DKIM-Signature: "

enum ab_err mail_dkim_sign(mail_dkim *d, const char *msg, size_t len, ab_time when,
                           ab_buf *out, ab_errmsg *em)
{
    ab_buf_reset(out);
    /* t= is when the message was stored, not now: a retry then makes the
     * same signature, byte for byte. */
    uint64_t t = when > 0 ? (uint64_t)when : 0;
    if (dkim_options(d->lib, DKIM_OP_SETOPT, DKIM_OPTS_FIXEDTIME, &t, sizeof t) !=
        DKIM_STAT_OK)
        return ab_fail(em, AB_EINVAL, "mail: DKIM: libopendkim refused the time");
    DKIM_STAT st = DKIM_STAT_OK;
    DKIM *dk = dkim_sign(d->lib, (const u_char *)"ackbeat", NULL, (dkim_sigkey_t)d->key,
                         (const u_char *)d->selector, (const u_char *)d->domain,
                         DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, DKIM_SIGN_RSASHA256,
                         -1, &st);
    if (!dk)
        return ab_fail(em, AB_EINVAL, "mail: DKIM: cannot sign with dkim-key=\"%s\": %s",
                       d->path, dkim_getresultstr(st));
    u_char *sig = NULL;
    size_t siglen = 0;
    st = feed(dk, msg, len);
    if (st == DKIM_STAT_OK)
        st = dkim_getsighdr_d(dk, strlen(SIG_NAME), &sig, &siglen);
    enum ab_err e = AB_OK;
    if (st != DKIM_STAT_OK) {
        const char *detail = dkim_geterror(dk);
        e = ab_fail(em, AB_EINVAL, "mail: DKIM: signing with dkim-key=\"%s\" failed: %s",
                    d->path, detail && *detail ? detail : dkim_getresultstr(st));
        goto out;
    }
    /* The header is folded with bare LFs or CRLFs depending on the
     * library's build; the message is CRLF throughout. */
    e = ab_buf_puts(out, SIG_NAME);
    for (size_t i = 0; !e && i < siglen; i++) {
        if (sig[i] == '\r')
            continue;
        e = sig[i] == '\n' ? ab_buf_puts(out, "\r\n") : ab_buf_putc(out, (char)sig[i]);
    }
    if (!e)
        e = ab_buf_puts(out, "\r\n");
    if (!e)
        e = ab_buf_append(out, msg, len);
    if (e)
        ab_fail(em, e, "out of memory");
out:
    dkim_free(dk);
    return e;
}
