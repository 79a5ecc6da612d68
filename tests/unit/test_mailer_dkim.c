/*
 * test_mailer_dkim.c - DKIM signing (mailer/mail_dkim.c, RFC 6376) checked by
 * an independent verifier: python3-dkim (tests/data/dkim/verify.py), with
 * the public key handed to it directly, no DNS.  The keys are made at
 * test time with openssl(1).
 *
 * A signed message verifies, also after a relay added Received: and
 * Return-Path: and re-spaced a header (relaxed/relaxed); a changed body,
 * a changed signed header or a second From: does not.  The same message
 * signed twice is the same bytes (retries).  Keys that are missing, not
 * RSA, encrypted or too short are refused naming the file, by the mailer
 * and by `validate`; so is an incomplete <mail dkim-*>.  And the outbox
 * drain signs what the maildir: transport delivers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/cfg.h"
#include "harness.h"
#include "mailer/mail.h"
#include "test_mailer_fake.h"
#include "test_pg_util.h"

#include "store/store.h"

#define T_NOW 1796112000 /* 2026-12-01T08:00:00Z */

static char key_path[700], pub_path[700], verifier[4096];

/* A 2048-bit RSA key and its public half (base64 DER, as in p=), once. */
static int make_key(void)
{
    if (key_path[0])
        return 0;
    const char *dir = t_tmpdir();
    snprintf(key_path, sizeof key_path, "%s/dkim.key", dir);
    snprintf(pub_path, sizeof pub_path, "%s/dkim.pub", dir);
    char cmd[2000];
    snprintf(cmd, sizeof cmd,
             "openssl genrsa -out '%s' 2048 2>/dev/null && chmod 600 '%s' && "
             "openssl rsa -in '%s' -pubout -outform DER 2>/dev/null | base64 -w0 > '%s'",
             key_path, key_path, key_path, pub_path);
    if (system(cmd) != 0) {
        key_path[0] = 0;
        return -1;
    }
    char cwd[2048];
    const char *root = getenv("AB_SRCDIR");
    if (!root)
        root = getcwd(cwd, sizeof cwd) ? cwd : ".";
    snprintf(verifier, sizeof verifier, "%s/tests/data/dkim/verify.py", root);
    return 0;
}

static int have_tools(void)
{
    return system("command -v openssl >/dev/null && /usr/bin/python3 -c 'import dkim' "
                  "2>/dev/null") == 0;
}

#define NEED_TOOLS()                                                      \
    do {                                                                  \
        if (!have_tools())                                                \
            SKIP("needs openssl and /usr/bin/python3 with python3-dkim"); \
        CHECK_OK(make_key());                                             \
    } while (0)

/* Run the verifier on bytes: 0 verified, 3 not, anything else broken.
 * Its reasons are shown only when the outcome is not expect. */
static int verify_as(int expect, const char *data, size_t len, const char *selector,
                     const char *domain)
{
    static int n;
    char msg[700], cmd[6000];
    snprintf(msg, sizeof msg, "%s/msg%d.eml", t_tmpdir(), ++n);
    FILE *f = fopen(msg, "wb");
    if (!f || fwrite(data, 1, len, f) != len) {
        if (f)
            fclose(f);
        return -1;
    }
    fclose(f);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' '%s' '%s' '%s' '%s' 2>'%s.err'",
             verifier, msg, pub_path, selector, domain, msg);
    int st = system(cmd);
    int rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    if (rc != expect) {
        snprintf(cmd, sizeof cmd, "%s.err", msg);
        char *why = slurp(cmd, NULL);
        printf("    verifier (exit %d, expected %d): %s\n", rc, expect, why ? why : "?");
        free(why);
    }
    return rc;
}
#define verify(expect, ...) CHECK_INT(verify_as(expect, __VA_ARGS__), expect)

static struct cfg_mail dkim_cfg(const char *key)
{
    struct cfg_mail mc = test_mail_cfg("maildir:/nonexistent");
    mc.dkim_domain = "example.test";
    mc.dkim_selector = "s1";
    mc.dkim_key = key;
    return mc;
}

static const struct mail_addr TO[] = {{"alice@example.test", "Alice Example"},
                                      {"bob@example.test", NULL}};
static const struct mail_header XH[] = {{"X-Ackbeat-Check", "orders.fresh"}};

/* A message as the engine makes them: both parts, threading, a folded
 * non-ASCII subject. */
static void build(ab_buf *out)
{
    struct mail_msg_spec s = {
        .from = "ackbeat@example.test",
        .from_name = "Ackbeat",
        .to = TO,
        .nto = 2,
        .reply_to = "ackbeat+tok@example.test",
        .subject = "[ackbeat] orders.fresh is late again \xe2\x80\x94 no rows since "
                   "07:00, and this subject is long enough to be folded",
        .text = "Nothing arrived in orders since 07:00.\n\nReply ACK to stop.\n",
        .html = "<p>Nothing arrived in <b>orders</b> since 07:00.</p>\n",
        .message_id = "<a1.t@example.test>",
        .in_reply_to = "<a0.t@example.test>",
        .references = "<a0.t@example.test>",
        .headers = XH,
        .nheaders = 1,
        .date = T_NOW,
    };
    ab_buf_init(out, 0);
    if (mail_msg_build(&s, out, NULL, NULL) != AB_OK)
        t_fail(__FILE__, __LINE__, "mail_msg_build failed");
}

/* buf with the first occurrence of from replaced by to (caller frees). */
static char *replace(const char *buf, const char *from, const char *to, size_t *len)
{
    const char *at = strstr(buf, from);
    if (!at)
        return NULL;
    size_t a = (size_t)(at - buf), fl = strlen(from), tl = strlen(to), bl = strlen(buf);
    char *r = malloc(bl - fl + tl + 1);
    if (!r)
        return NULL;
    memcpy(r, buf, a);
    memcpy(r + a, to, tl);
    memcpy(r + a + tl, at + fl, bl - a - fl + 1);
    *len = bl - fl + tl;
    return r;
}

TEST(dkim_signed_message_verifies)
{
    NEED_TOOLS();
    struct cfg_mail mc = dkim_cfg(key_path);
    mail_dkim *d = NULL;
    ab_errmsg em = {{0}};
    CHECK_OK(mail_dkim_new(&mc, &d, &em));
    CHECK(d != NULL);
    ab_buf msg, out, again;
    build(&msg);
    ab_buf_init(&out, 0);
    ab_buf_init(&again, 0);
    CHECK_OK(mail_dkim_sign(d, msg.data, msg.len, T_NOW, &out, &em));
    const char *s = ab_buf_str(&out);
    CHECK(strncmp(s, "DKIM-Signature: ", 16) == 0);
    CHECK_CONTAINS(s, "a=rsa-sha256");
    CHECK_CONTAINS(s, "c=relaxed/relaxed");
    CHECK_CONTAINS(s, "d=example.test");
    CHECK_CONTAINS(s, "s=s1");
    CHECK_CONTAINS(s, "t=1796112000");
    /* The original follows, byte for byte, and every line ends in CRLF. */
    CHECK(out.len > msg.len && memcmp(s + out.len - msg.len, msg.data, msg.len) == 0);
    for (size_t i = 0; i < out.len; i++)
        if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) {
            t_fail(__FILE__, __LINE__, "bare LF at %zu", i);
            break;
        }
    verify(0, s, out.len, "s1", "example.test");
    /* A wrong selector or domain finds no key. */
    verify(3, s, out.len, "s2", "example.test");

    /* A retry signs the same stored message again: the same bytes. */
    CHECK_OK(mail_dkim_sign(d, msg.data, msg.len, T_NOW, &again, &em));
    CHECK(again.len == out.len && memcmp(again.data, out.data, out.len) == 0);
    CHECK_OK(mail_dkim_sign(d, msg.data, msg.len, T_NOW + 60, &again, &em));
    CHECK_CONTAINS(ab_buf_str(&again), "t=1796112060");

    ab_buf_free(&msg);
    ab_buf_free(&out);
    ab_buf_free(&again);
    mail_dkim_free(d);
}

TEST(dkim_relaxed_survives_the_relay_tampering_does_not)
{
    NEED_TOOLS();
    struct cfg_mail mc = dkim_cfg(key_path);
    mail_dkim *d = NULL;
    CHECK_OK(mail_dkim_new(&mc, &d, NULL));
    ab_buf msg, out;
    build(&msg);
    ab_buf_init(&out, 0);
    CHECK_OK(mail_dkim_sign(d, msg.data, msg.len, T_NOW, &out, NULL));
    const char *s = ab_buf_str(&out);
    size_t n;

    /* What Postfix and Dovecot do on the way: headers above, LF line
     * ends in the Maildir, a header re-spaced. */
    ab_buf relayed;
    ab_buf_init(&relayed, 0);
    CHECK_OK(ab_buf_puts(&relayed, "Return-Path: <ackbeat@example.test>\n"
                                   "Received: from localhost (localhost [127.0.0.1])\n"
                                   "\tby mx.example.test (Postfix) with ESMTP id 4A1\n"
                                   "\tfor <alice@example.test>; Tue,  1 Dec 2026 08:00:01 "
                                   "+0000 (UTC)\n"));
    char *respaced = replace(s, "\r\nMIME-Version: 1.0", "\r\nMIME-Version:   1.0  ", &n);
    CHECK(respaced != NULL);
    CHECK_OK(ab_buf_append(&relayed, respaced, n));
    verify(0, relayed.data, relayed.len, "s1", "example.test");
    free(respaced);

    /* One body character changed. */
    char *t = replace(s, "Reply ACK to stop.", "Reply ACK to stop!", &n);
    CHECK(t != NULL);
    verify(3, t, n, "s1", "example.test");
    free(t);
    /* A signed header changed. */
    t = replace(s, "\r\nTo: ", "\r\nTo: mallory@example.test, ", &n);
    CHECK(t != NULL);
    verify(3, t, n, "s1", "example.test");
    free(t);
    /* A second From: added above (From: is signed once more than it
     * occurs, for this). */
    t = replace(s, "DKIM-Signature: ", "From: boss@example.test\r\nDKIM-Signature: ", &n);
    CHECK(t != NULL);
    verify(3, t, n, "s1", "example.test");
    free(t);

    ab_buf_free(&relayed);
    ab_buf_free(&msg);
    ab_buf_free(&out);
    mail_dkim_free(d);
}

/* Make a file with cmd (%s: its path) in the test folder. */
static const char *make_file(const char *name, const char *cmd)
{
    static char paths[8][700];
    static int n;
    char *p = paths[n++ % 8];
    snprintf(p, 700, "%s/%s", t_tmpdir(), name);
    char sh[2000];
    snprintf(sh, sizeof sh, cmd, p);
    if (system(sh) != 0)
        t_fail(__FILE__, __LINE__, "could not run: %s", sh);
    return p;
}

static void refused_key(const char *path, const char *needle)
{
    struct cfg_mail mc = dkim_cfg(path);
    mail_dkim *d = (mail_dkim *)&mc; /* must be reset */
    ab_errmsg em = {{0}};
    CHECK_INT(mail_dkim_new(&mc, &d, &em), AB_ECONFIG);
    CHECK(d == NULL);
    CHECK_CONTAINS(em.text, path);
    CHECK_CONTAINS(em.text, needle);
}

TEST(dkim_bad_keys_are_refused_naming_the_file)
{
    NEED_TOOLS();
    refused_key("/nonexistent/dkim.key", "No such file or directory");
    refused_key(make_file("garbage.key", "echo 'not a key' > '%s'"),
                "not a PEM private key");
    refused_key(make_file("ec.key", "openssl genpkey -algorithm EC -pkeyopt "
                                    "ec_paramgen_curve:P-256 -out '%s' 2>/dev/null"),
                "not an RSA private key");
    refused_key(make_file("enc.key", "openssl genrsa -aes128 -passout pass:x -out '%s' "
                                     "2048 2>/dev/null"),
                "passphrase");
    refused_key(make_file("small.key", "openssl genrsa -out '%s' 512 2>/dev/null"),
                "1024");

    /* Not configured: no signer, no error.  Incomplete: refused. */
    struct cfg_mail mc = test_mail_cfg("maildir:/x");
    mail_dkim *d = (mail_dkim *)&mc;
    CHECK_OK(mail_dkim_new(&mc, &d, NULL));
    CHECK(d == NULL);
    mc.dkim_domain = "example.test";
    ab_errmsg em = {{0}};
    CHECK_INT(mail_dkim_new(&mc, &d, &em), AB_ECONFIG);
    CHECK_CONTAINS(em.text, "go together");
    mail_dkim_free(NULL);
}

TEST(dkim_outbox_signs_what_maildir_delivers)
{
    NEED_TOOLS();
    char db[700], dir[700], url[800];
    snprintf(db, sizeof db, "%s/outbox.db", t_tmpdir());
    snprintf(dir, sizeof dir, "%s/md", t_tmpdir());
    snprintf(url, sizeof url, "maildir:%s", dir);
    store *st = NULL;
    ab_errmsg em = {{0}};
    CHECK_OK(store_open(t_state(db), &st, &em));
    struct mail_msg_spec s = {
        .from = "ackbeat@example.test",
        .to = TO,
        .nto = 1,
        .subject = "test",
        .text = "a body\n",
        .date = T_NOW,
    };
    int64_t id = 0;
    CHECK_OK(mail_outbox_put(st, &s, "test", NULL, T_NOW, &id, NULL, &em));
    struct cfg_mail mc = dkim_cfg(key_path);
    mc.transport = url;
    struct mail_drain_stats stats;
    CHECK_OK(mail_outbox_drain(st, &mc, T_NOW + 5, 0, &stats, &em));
    CHECK_INT(stats.sent, 1);
    char cmd[1600], file[1200] = "";
    snprintf(cmd, sizeof cmd, "ls '%s/new'", dir);
    FILE *p = popen(cmd, "r");
    CHECK(p != NULL);
    if (p) {
        char name[300] = "";
        if (fgets(name, sizeof name, p))
            name[strcspn(name, "\n")] = 0;
        pclose(p);
        snprintf(file, sizeof file, "%s/new/%s", dir, name);
    }
    size_t len = 0;
    char *got = slurp(file, &len);
    CHECK(got != NULL);
    if (got) {
        /* Return-Path first (the maildir: transport), then ours. */
        CHECK(strncmp(got, "Return-Path: <ackbeat@example.test>\nDKIM-Signature: ", 52) == 0);
        CHECK_CONTAINS(got, "t=1796112000"); /* stored at T_NOW, sent later */
        verify(0, got, len, "s1", "example.test");
    }
    free(got);

    /* A key gone bad defers the batch instead of sending unsigned. */
    CHECK_OK(mail_outbox_put(st, &(struct mail_msg_spec){.from = "ackbeat@example.test",
                                                         .to = TO, .nto = 1,
                                                         .subject = "second",
                                                         .text = "b\n", .date = T_NOW},
                             "test", NULL, T_NOW, &id, NULL, &em));
    mc.dkim_key = "/nonexistent/dkim.key";
    CHECK_INT(mail_outbox_drain(st, &mc, T_NOW + 10, 0, &stats, &em), AB_ECONFIG);
    CHECK_CONTAINS(em.text, "/nonexistent/dkim.key");
    CHECK_INT(stats.sent, 0);
    CHECK_INT(stats.deferred, 1);
    store_close(st);
}

/* ===== the config: <mail dkim-*> and validate's probe ============== */

static char cfg_file[700];

static enum ab_err load(const char *mail_attrs, cfg **c, ab_buf *errs)
{
    static int n;
    snprintf(cfg_file, sizeof cfg_file, "%s/c%d.xml", t_tmpdir(), ++n);
    FILE *f = fopen(cfg_file, "w");
    if (!f)
        abort();
    fprintf(f,
            "<ackbeat name=\"t\" timezone=\"UTC\" tick=\"1m\">\n"
            "  <state path=\"state.db\"/>\n"
            "  <mail from=\"ackbeat@example.test\" transport=\"maildir:out\" %s/>\n"
            "  <recipients><person name=\"ops\" email=\"ops@example.test\"/></recipients>\n"
            "  <alerting notify=\"ops\"/>\n"
            "  <checks><ping name=\"p\" period=\"1d\"/></checks>\n"
            "</ackbeat>\n",
            mail_attrs);
    fclose(f);
    ab_buf_init(errs, 1 << 16);
    *c = NULL;
    return cfg_load(cfg_file, c, errs);
}

static void config_refused(const char *attrs, const char *needle)
{
    cfg *c;
    ab_buf errs;
    CHECK_INT(load(attrs, &c, &errs), AB_ECONFIG);
    char want[800];
    snprintf(want, sizeof want, "%s:3: ", cfg_file);
    CHECK_CONTAINS(ab_buf_str(&errs), want);
    CHECK_CONTAINS(ab_buf_str(&errs), needle);
    cfg_free(c);
    ab_buf_free(&errs);
}

TEST(dkim_config_all_three_or_none)
{
    config_refused("dkim-domain=\"example.test\" dkim-selector=\"s1\"",
                   "go together (dkim-key= missing)");
    config_refused("dkim-key=\"k\"", "go together (dkim-domain= missing)");
    config_refused("dkim-domain=\"example.test\" dkim-key=\"k\"", "dkim-selector= missing");
    config_refused("dkim-domain=\"example.test; x=1\" dkim-selector=\"s1\" dkim-key=\"k\"",
                   "is not a domain name");
    config_refused("dkim-domain=\"example.test\" dkim-selector=\"s..1\" dkim-key=\"k\"",
                   "dkim-selector=\"s..1\"");

    /* A relative key path is relative to the config file. */
    cfg *c;
    ab_buf errs;
    enum ab_err e = load("dkim-domain=\"example.test\" dkim-selector=\"s1\" "
                         "dkim-key=\"keys/dkim.key\"", &c, &errs);
    if (e)
        printf("%s", ab_buf_str(&errs));
    CHECK_OK(e);
    if (!e) {
        const struct cfg_mail *m = &cfg_global(c)->mail;
        char want[800];
        snprintf(want, sizeof want, "%s/keys/dkim.key", t_tmpdir());
        CHECK_STR(m->dkim_key, want);
        CHECK_STR(m->dkim_domain, "example.test");
        CHECK_STR(m->dkim_selector, "s1");
    }
    cfg_free(c);
    ab_buf_free(&errs);
    /* None: nothing signed. */
    CHECK_OK(load("", &c, &errs));
    CHECK(cfg_global(c)->mail.dkim_domain == NULL);
    cfg_free(c);
    ab_buf_free(&errs);
}

/* validate's probe of the key: errs and warns after cfg_secrets_probe. */
static size_t probe(const char *key, ab_buf *errs, ab_buf *warns)
{
    char attrs[1200];
    snprintf(attrs, sizeof attrs,
             "dkim-domain=\"example.test\" dkim-selector=\"s1\" dkim-key=\"%s\"", key);
    cfg *c;
    ab_buf lerrs;
    if (load(attrs, &c, &lerrs) != AB_OK) {
        t_fail(__FILE__, __LINE__, "load: %s", ab_buf_str(&lerrs));
        ab_buf_free(&lerrs);
        return 99;
    }
    ab_buf_free(&lerrs);
    ab_buf_reset(errs);
    ab_buf_reset(warns);
    size_t n = cfg_secrets_probe(c, errs, warns);
    cfg_free(c);
    return n;
}

TEST(dkim_validate_probes_the_key)
{
    NEED_TOOLS();
    ab_buf errs, warns;
    ab_buf_init(&errs, 1 << 16);
    ab_buf_init(&warns, 1 << 16);
    char want[1600];

    CHECK_INT(probe(key_path, &errs, &warns), 0);
    CHECK_STR(ab_buf_str(&errs), "");
    CHECK_STR(ab_buf_str(&warns), "");

    chmod(key_path, 0644);
    CHECK_INT(probe(key_path, &errs, &warns), 0);
    snprintf(want, sizeof want, "%s:3: warning: dkim-key=\"%s\" is readable by every user",
             cfg_file, key_path);
    CHECK_CONTAINS(ab_buf_str(&warns), want);
    chmod(key_path, 0600);

    CHECK_INT(probe("/nonexistent/dkim.key", &errs, &warns), 1);
    snprintf(want, sizeof want, "%s:3: dkim-key=\"/nonexistent/dkim.key\": No such file",
             cfg_file);
    CHECK_CONTAINS(ab_buf_str(&errs), want);

    const char *ec = make_file("ec2.key", "openssl genpkey -algorithm EC -pkeyopt "
                                          "ec_paramgen_curve:P-256 -out '%s' 2>/dev/null");
    CHECK_INT(probe(ec, &errs, &warns), 1);
    snprintf(want, sizeof want, "%s:3: dkim-key=\"%s\": not an RSA private key", cfg_file,
             ec);
    CHECK_CONTAINS(ab_buf_str(&errs), want);

    const char *junk = make_file("junk.key", "echo hello > '%s'");
    CHECK_INT(probe(junk, &errs, &warns), 1);
    CHECK_CONTAINS(ab_buf_str(&errs), "not a PEM private key");

    ab_buf_free(&errs);
    ab_buf_free(&warns);
}
