/*
 * cfg_secret_probe.c - `validate`'s look at the secrets `run` will read: an
 * unset variable or a missing file is an error now rather than an exit
 * later, and a file every user may read is a warning; so is a channel's
 * unset secret-env=/token-env=.
 *
 * Apart from cfg_secret.c, which the mailer and the sources link alone: this
 * one needs the whole model.
 */
#include "config/cfg.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/ab_dl_crypto.h"

/* A line of diagnostics; one cut short by the buffer's cap is still an
 * error counted. */
static void say(ab_buf *b, const char *fmt, ...) AB_PRINTF(2, 3);
static void say(ab_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    enum ab_err e = ab_buf_vprintf(b, fmt, ap);
    (void)e; /* a full buffer cuts the text; the count is kept apart */
    va_end(ap);
}

/* One secret: is it there, and who else may read it? */
static size_t probe_one(const cfg *c, const struct cfg_secret *s, ab_buf *errs,
                        ab_buf *warns)
{
    const char *path = cfg_path(c);
    if (s->env) {
        if (getenv(s->env))
            return 0;
        say(errs, "%s:%d: %s=\"%s\": the environment variable is not "
                                  "set (run would fail to read it)\n",
                            path, s->line, s->attr, s->env);
        return 1;
    }
    if (!s->file)
        return 0;
    struct stat sb;
    if (stat(s->file, &sb) != 0 || access(s->file, R_OK) != 0) {
        say(errs, "%s:%d: %s=\"%s\": %s (run would fail to read it)\n",
                            path, s->line, s->attr, s->file, strerror(errno));
        return 1;
    }
    if (!S_ISREG(sb.st_mode)) {
        say(errs, "%s:%d: %s=\"%s\": not a regular file\n", path,
                            s->line, s->attr, s->file);
        return 1;
    }
    if (sb.st_mode & S_IROTH)
        say(warns, "%s:%d: warning: %s=\"%s\" is readable by every "
                                   "user (mode %03o; chmod o-r, e.g. 0640)\n",
                            path, s->line, s->attr, s->file,
                            (unsigned)(sb.st_mode & 0777));
    return 0;
}

/* Never prompt for a passphrase: run could not answer one either. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

/* <mail dkim-key=>: there and private, like a secret, and an unencrypted
 * RSA private key, as mailer/mail_dkim.c will insist when it opens it. */
static size_t probe_dkim_key(const cfg *c, const struct cfg_mail *m, ab_buf *errs,
                             ab_buf *warns)
{
    if (!m->dkim_key)
        return 0;
    struct cfg_secret s = {.file = m->dkim_key, .attr = "dkim-key", .line = m->dkim_line};
    if (probe_one(c, &s, errs, warns))
        return 1;
    FILE *f = fopen(m->dkim_key, "r");
    EVP_PKEY *k = f ? PEM_read_PrivateKey(f, NULL, no_passphrase, NULL) : NULL;
    if (f)
        fclose(f);
    const char *why = NULL;
    if (!k)
        why = "not a PEM private key, or one encrypted with a passphrase";
    else if (EVP_PKEY_base_id(k) != EVP_PKEY_RSA)
        why = "not an RSA private key (DKIM signs rsa-sha256)";
    else if (EVP_PKEY_bits(k) < 1024)
        why = "an RSA key under 1024 bits, which verifiers refuse";
    EVP_PKEY_free(k);
    if (!why)
        return 0;
    say(errs, "%s:%d: dkim-key=\"%s\": %s\n", cfg_path(c), m->dkim_line, m->dkim_key,
        why);
    return 1;
}

/* A channel's secret-env= or token-env=: run starts without it (only the
 * channel's deliveries need it), so an unset variable is a warning, not
 * an error; without one, the first sign was a delivery failing at 3 am. */
static void probe_channel(const cfg *c, const struct cfg_channel *ch, ab_buf *warns)
{
    const struct cfg_secret *s = &ch->secret;
    if (s->env && !getenv(s->env))
        say(warns, "%s:%d: warning: <%s name=\"%s\"> %s=\"%s\": the environment "
                   "variable is not set (its deliveries would fail until it is)\n",
            cfg_path(c), s->line ? s->line : ch->line, ch->kind, ch->name,
            s->attr ? s->attr : "secret-env", s->env);
}

size_t cfg_secrets_probe(const cfg *c, ab_buf *errs, ab_buf *warns)
{
    const struct cfg_global *g = cfg_global(c);
    size_t bad = probe_one(c, &g->state_password, errs, warns) +
                 probe_one(c, &g->mail.password, errs, warns) +
                 (g->inbox.enabled ? probe_one(c, &g->inbox.password, errs, warns) : 0) +
                 probe_one(c, &g->web.token, errs, warns) +
                 probe_one(c, &g->web.password_hash, errs, warns) +
                 probe_dkim_key(c, &g->mail, errs, warns);
    for (size_t i = 0; i < cfg_source_count(c); i++)
        bad += probe_one(c, &cfg_source_at(c, i)->password, errs, warns);
    for (size_t i = 0; i < cfg_channel_count(c); i++)
        probe_channel(c, cfg_channel_at(c, i), warns);
    return bad;
}
