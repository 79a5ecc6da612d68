/*
 * test_inbox_util.h - helpers for the inbox tests: the corpus tokens
 * (tests/data/mail/TOKENS) as an issued-token callback, the rules the
 * corpus is written for, and reading a corpus file.  Static: each test
 * binary that includes it gets its own copy.
 */
#ifndef AB_TEST_INBOX_UTIL_H
#define AB_TEST_INBOX_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ab_buf.h"
#include "common/ab_mem.h"
#include "inbox/inbox.h"

struct tu_token {
    char token[AB_TOKEN_LEN + 1];
    int64_t cycle;
    int64_t alert;       /* an alert notice's token ("a5" in TOKENS) */
    char recipient[128];
    ab_time sent;        /* when it was sent (AB_TIME_NONE: not given) */
};

static struct tu_token *tu_tokens;
static size_t tu_ntokens;

/* TOKENS: "token cycle recipient [sent]"; cycle "-" lists a token that
 * was never issued, "aN" one issued for alert N's notices. */
static void tu_load_tokens(void)
{
    if (tu_ntokens)
        return;
    FILE *f = fopen(t_data("mail/TOKENS"), "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        char tok[64], cyc[32], rcpt[128], sent[64] = "";
        if (line[0] == '#' ||
            sscanf(line, "%63s %31s %127s %63s", tok, cyc, rcpt, sent) < 3)
            continue;
        if (strcmp(cyc, "-") == 0)
            continue; /* listed, never issued */
        struct tu_token *nv = ab_realloc(tu_tokens, (tu_ntokens + 1) * sizeof *nv);
        if (!nv)
            break;
        tu_tokens = nv;
        struct tu_token *t = &tu_tokens[tu_ntokens++];
        memset(t, 0, sizeof *t);
        snprintf(t->token, sizeof t->token, "%s", tok);
        if (cyc[0] == 'a')
            t->alert = strtoll(cyc + 1, NULL, 10);
        else
            t->cycle = strtoll(cyc, NULL, 10);
        snprintf(t->recipient, sizeof t->recipient, "%s", rcpt);
        t->sent = AB_TIME_NONE;
        if (sent[0] && ab_time_parse(sent, &t->sent) != AB_OK)
            t->sent = AB_TIME_NONE;
    }
    fclose(f);
}

static enum ab_err tu_issued(void *ud, const char *token, int *found,
                             struct inbox_issued *out, ab_errmsg *em)
{
    (void)ud;
    (void)em;
    tu_load_tokens();
    *found = 0;
    for (size_t i = 0; i < tu_ntokens; i++)
        if (strcmp(tu_tokens[i].token, token) == 0) {
            *found = 1;
            out->cycle_id = tu_tokens[i].cycle;
            out->alert_id = tu_tokens[i].alert;
            snprintf(out->recipient, sizeof out->recipient, "%s", tu_tokens[i].recipient);
        }
    return AB_OK;
}

static const char *const tu_ack_from[] = {"state-a.example"};
static const struct inbox_ping tu_pings[] = {{"nightly-backup", "nbk7q2x9w4m3k8p5v6"}};

static const struct inbox_rules *tu_rules(void)
{
    static const struct inbox_rules r = {
        .reply_address = "heartbeat@example.test",
        .ack_from = tu_ack_from,
        .nack_from = 1,
        .authserv_id = "mx.example.test",
        .pings = tu_pings,
        .npings = 1,
        .issued = tu_issued,
    };
    return &r;
}

static char *tu_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    ab_buf b;
    ab_buf_init(&b, 0);
    char tmp[8192];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        if (ab_buf_append(&b, tmp, n) != AB_OK)
            break;
    fclose(f);
    *len = b.len;
    return b.len ? ab_buf_steal(&b) : ab_strdup("");
}

static enum ab_err tu_parse_file(const char *name, struct inbox_msg **m)
{
    char rel[256];
    snprintf(rel, sizeof rel, "mail/%s", name);
    size_t len;
    char *data = tu_read(t_data(rel), &len);
    if (!data)
        return AB_EIO;
    ab_errmsg em = {{0}};
    enum ab_err e = inbox_parse(data, len, m, &em);
    ab_free(data);
    return e;
}

static __attribute__((unused)) enum ab_err
tu_classify_file(const char *name, struct inbox_msg **m, struct inbox_verdict *v)
{
    memset(v, 0, sizeof *v);
    enum ab_err e = tu_parse_file(name, m);
    if (e)
        return e;
    ab_errmsg em = {{0}};
    return inbox_classify(*m, tu_rules(), v, &em);
}

#endif
