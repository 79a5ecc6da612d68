/*
 * outbox_tool.c - drives the mailer's outbox directly, without the engine
 * or a config file: the integration test (t_50_mailer.sh) and the
 * benchmark (bench/bench_mail.sh) use it to queue messages, drain them
 * through a transport, and look at the state.
 *
 *   outbox_tool [options] enqueue N     queue N messages (each with
 *                                       X-Ackbeat-Seq: TAG-i, subject
 *                                       "SUBJECT i" or SUBJECT when N is 1)
 *   outbox_tool [options] drain         send everything due, repeat until
 *                                       nothing due is left or a drain
 *                                       made no progress
 *   outbox_tool [options] list          one line per message
 *   outbox_tool [options] counts        "queued=N sent=N failed=N"
 *
 * Options: --db PATH (required), --transport URL, --tls
 * auto|required|opportunistic|none, --user NAME, --password-env VAR,
 * --ca FILE, --timeout S, --max-age S, --now ISO (default: the clock),
 * --from ADDR, --to ADDR[,ADDR...], --tag TAG, --subject S, --text-file F,
 * --html-file F, --batch N (drain limit per round, default all),
 * --heartbeat TOKEN (Message-ID and Reply-To per the heartbeat wire
 * format, the reply address being --from), --thread MSGID (In-Reply-To
 * and References).
 * drain prints "drained: attempted=... sent=... seconds=S rate=R".
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/ab_buf.h"
#include "common/ab_mem.h"
#include "common/ab_time.h"
#include "config/cfg.h"
#include "mailer/mail.h"
#include "store/store.h"
#include "store/store_outbox.h"

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "outbox_tool: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(2);
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die("cannot open %s", path);
    ab_buf b;
    ab_buf_init(&b, 0);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (ab_buf_append(&b, chunk, n) != AB_OK)
            die("%s: too large", path);
    fclose(f);
    if (!b.data && ab_buf_puts(&b, "") != AB_OK)
        die("%s", "out of memory");
    return ab_buf_steal(&b);
}

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long num(const char *s)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || end == s)
        die("not a number: %s", s);
    return v;
}

int main(int argc, char **argv)
{
    const char *db = NULL, *tag = "t", *subject = "outbox_tool", *text_file = NULL,
               *html_file = NULL, *to_list = "alice@example.test", *cmd = NULL,
               *count_arg = NULL, *now_arg = NULL, *hb_token = NULL, *thread = NULL;
    struct cfg_mail mc;
    memset(&mc, 0, sizeof mc);
    mc.from = "heartbeat@example.test";
    mc.transport = "smtp://127.0.0.1:2525/outbox-tool.test";
    mc.tls = CFG_TLS_NONE;
    mc.timeout = 30;
    mc.max_age = 86400;
    long batch = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || a[1] != '-') {
            if (!cmd)
                cmd = a;
            else if (!count_arg)
                count_arg = a;
            else
                die("unexpected argument %s", a);
            continue;
        }
        if (i + 1 >= argc)
            die("%s needs a value", a);
        const char *v = argv[++i];
        if (!strcmp(a, "--db"))
            db = v;
        else if (!strcmp(a, "--transport"))
            mc.transport = v;
        else if (!strcmp(a, "--tls"))
            mc.tls = !strcmp(v, "required")        ? CFG_TLS_REQUIRED
                     : !strcmp(v, "opportunistic") ? CFG_TLS_OPPORTUNISTIC
                     : !strcmp(v, "none")          ? CFG_TLS_NONE
                                                   : CFG_TLS_AUTO;
        else if (!strcmp(a, "--user"))
            mc.username = v;
        else if (!strcmp(a, "--password-env"))
            mc.password.env = v;
        else if (!strcmp(a, "--ca"))
            mc.ca_file = v;
        else if (!strcmp(a, "--timeout"))
            mc.timeout = num(v);
        else if (!strcmp(a, "--max-age"))
            mc.max_age = num(v);
        else if (!strcmp(a, "--now"))
            now_arg = v;
        else if (!strcmp(a, "--from"))
            mc.from = v;
        else if (!strcmp(a, "--to"))
            to_list = v;
        else if (!strcmp(a, "--tag"))
            tag = v;
        else if (!strcmp(a, "--subject"))
            subject = v;
        else if (!strcmp(a, "--text-file"))
            text_file = v;
        else if (!strcmp(a, "--html-file"))
            html_file = v;
        else if (!strcmp(a, "--heartbeat"))
            hb_token = v;
        else if (!strcmp(a, "--thread"))
            thread = v;
        else if (!strcmp(a, "--batch"))
            batch = num(v);
        else
            die("unknown option %s", a);
    }
    if (!db || !cmd)
        die("%s", "usage: outbox_tool --db PATH [options] enqueue N|drain|list|counts");

    ab_time now = (ab_time)time(NULL);
    if (now_arg && ab_time_parse(now_arg, &now) != AB_OK)
        die("bad --now %s", now_arg);

    store *st;
    ab_errmsg em;
    if (store_open(db, &st, &em) != AB_OK)
        die("%s", em.text);
    int rc = 0;

    if (!strcmp(cmd, "enqueue")) {
        long n = count_arg ? num(count_arg) : 1;
        char *text = text_file ? read_file(text_file) : NULL;
        char *html = html_file ? read_file(html_file) : NULL;
        /* --to a,b,c */
        char *tl = ab_strdup(to_list);
        struct mail_addr to[16];
        size_t nto = 0;
        for (char *p = tl, *comma; p && nto < 16; p = comma ? comma + 1 : NULL) {
            comma = strchr(p, ',');
            if (comma)
                *comma = 0;
            to[nto].addr = p;
            to[nto].name = NULL;
            nto++;
        }
        double t0 = mono();
        for (long i = 1; i <= n; i++) {
            char seq[128], subj[512], body[512];
            snprintf(seq, sizeof seq, "%s-%ld", tag, i);
            if (n == 1)
                snprintf(subj, sizeof subj, "%s", subject);
            else
                snprintf(subj, sizeof subj, "%s %ld", subject, i);
            snprintf(body, sizeof body, "Message %ld of %ld (%s).\n", i, n, tag);
            struct mail_header h[] = {{"X-Ackbeat-Seq", seq}};
            struct mail_msg_spec s = {
                .from = mc.from,
                .from_name = "ackbeat test",
                .to = to,
                .nto = nto,
                .subject = subj,
                .text = text ? text : body,
                .html = html,
                .headers = h,
                .nheaders = 1,
                .date = now,
                .in_reply_to = thread,
                .references = thread,
            };
            char hb_id[MAIL_MSGID_MAX], hb_reply[MAIL_ADDR_MAX + 1];
            if (hb_token) {
                if (mail_heartbeat_ids(mc.from, hb_token, hb_id, hb_reply, &em) != AB_OK)
                    die("--heartbeat: %s", em.text);
                s.message_id = hb_id;
                s.reply_to = hb_reply;
            }
            char msgid[MAIL_MSGID_MAX];
            if (mail_outbox_put(st, &s, "test", seq, now, NULL, msgid, &em) != AB_OK) {
                fprintf(stderr, "outbox_tool: enqueue %s: %s\n", seq, em.text);
                rc = 1;
                break;
            }
            if (n == 1)
                printf("%s\n", msgid);
        }
        double dt = mono() - t0;
        fprintf(stderr, "enqueued: %ld seconds=%.3f rate=%.1f\n", n, dt, dt > 0 ? (double)n / dt : 0);
        ab_free(tl);
        ab_free(text);
        ab_free(html);
    } else if (!strcmp(cmd, "drain")) {
        struct mail_drain_stats total, s;
        memset(&total, 0, sizeof total);
        double t0 = mono();
        for (;;) {
            enum ab_err e = mail_outbox_drain(st, &mc, now, (size_t)batch, &s, &em);
            total.attempted += s.attempted;
            total.sent += s.sent;
            total.failed += s.failed;
            total.deferred += s.deferred;
            total.rcpt_sent += s.rcpt_sent;
            if (s.last_error.text[0])
                total.last_error = s.last_error;
            if (e) {
                fprintf(stderr, "outbox_tool: drain: %s\n", em.text);
                rc = 1;
                break;
            }
            /* Stop when a round sent nothing new (all done, or the
             * rest is deferred until later). */
            if (s.attempted == 0 || s.sent + s.failed == 0)
                break;
        }
        double dt = mono() - t0;
        printf("drained: attempted=%zu sent=%zu failed=%zu deferred=%zu rcpt_sent=%zu "
               "seconds=%.3f rate=%.1f\n",
               total.attempted, total.sent, total.failed, total.deferred, total.rcpt_sent, dt,
               dt > 0 ? (double)total.sent / dt : 0);
        if (total.last_error.text[0])
            printf("last_error: %s\n", total.last_error.text);
    } else if (!strcmp(cmd, "list")) {
        struct store_outbox_entry *v;
        size_t n;
        if (store_outbox_list(st, 1, 0, &v, &n, &em) != AB_OK)
            die("%s", em.text);
        for (size_t i = 0; i < n; i++) {
            char next[AB_ISO_LEN];
            ab_time_format(v[i].next_attempt, next, sizeof next);
            printf("%lld %s %s attempts=%d next=%s rcpts=", (long long)v[i].id,
                   v[i].ref ? v[i].ref : "-", store_outbox_status_name(v[i].status),
                   v[i].attempts, next);
            for (size_t j = 0; j < v[i].nrcpts; j++)
                printf("%s%s:%s", j ? "," : "", v[i].rcpts[j].rcpt,
                       store_outbox_status_name(v[i].rcpts[j].status));
            printf(" error=%s\n", v[i].last_error ? v[i].last_error : "-");
        }
        store_outbox_list_free(v, n);
    } else if (!strcmp(cmd, "counts")) {
        struct store_outbox_counts c;
        if (store_outbox_counts(st, &c, &em) != AB_OK)
            die("%s", em.text);
        printf("queued=%lld sent=%lld failed=%lld\n", (long long)c.queued, (long long)c.sent,
               (long long)c.failed);
    } else {
        die("unknown command %s", cmd);
    }
    store_close(st);
    return rc;
}
