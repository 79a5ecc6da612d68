// fuzz-sources: inbox/inbox_a*.c inbox/inbox_bounce*.c inbox/inbox_c*.c inbox/inbox_text.c inbox/inbox_machine.c inbox/inbox_parse.c common/*.c
// fuzz-pkgs: gmime-3.0 libical
/*
 * fuzz_mime.c - libFuzzer target: the whole inbox path on arbitrary bytes,
 * inbox_parse() then inbox_classify() then the frees, so RFC 5322/2045-
 * 2047/3676/3464/8601 parsing, charset conversion, HTML-to-text, quote
 * detection, the bounce (DSN and prose), auto-reply and machine-mail
 * detectors, token candidates, reply commands and the inferred-bounce
 * lookup all see hostile input.  ASan/UBSan (tests/fuzz/run) turn any
 * overflow, leak or UB into a crash.
 *
 * The sources are globs so that a new inbox/ file of the classifier
 * (authres, autoreply, bounce*, candidates, classify*, command, text) is
 * linked without editing this line; the readers (imap, maildir, poll,
 * pings) need the store and the config and are not on this path.
 *
 * The rules have everything set, so that no branch is skipped for want
 * of configuration: a reply address and a separate VERP bounce address
 * (plus-address matching), our MX's authserv-id (Authentication-Results
 * are believed), an ack-from domain, a ping check with a token, the
 * site's zone, and both lookups.  "Issued" is decided by the token's
 * first letter so that the fuzzer can reach the issued and the forged
 * branches alike.
 *
 * Run: make fuzz FUZZ_TIME=600, or tests/fuzz/run tests/fuzz/fuzz_mime.c
 * (seed corpus tests/fuzz/corpus/mime, copies of tests/data/mail;
 * dictionary tests/fuzz/fuzz_mime.dict when libFuzzer is given -dict=).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "inbox/inbox.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The token the issued_to lookup hands out: issued too (first letter 'a'),
 * so an inferred bounce goes on to flag a recipient. */
static const char inferred_token[AB_TOKEN_LEN + 1] = "aaaabbbbccccddddeeeeffffgq";

static enum ab_err issued(void *ud, const char *token, int *found,
                          struct inbox_issued *out, ab_errmsg *em)
{
    (void)ud;
    (void)em;
    *found = token[0] == 'a';
    if (*found) {
        /* alternate heartbeat and alert tokens, both are looked up */
        if (token[1] < 'n')
            out->cycle_id = 1;
        else
            out->alert_id = 2;
        snprintf(out->recipient, sizeof out->recipient, "carol@state-a.example");
    }
    return AB_OK;
}

static enum ab_err issued_to(void *ud, const char *addr, ab_time at, int *found,
                             char token[AB_TOKEN_LEN + 1], struct inbox_issued *out,
                             ab_errmsg *em)
{
    (void)ud;
    (void)at;
    (void)em;
    /* the recipients a fuzzed bounce names are arbitrary: treat half of
     * them as ours so both the inferred and the unrelated branch run */
    *found = addr[0] < 'n';
    if (*found) {
        memcpy(token, inferred_token, sizeof inferred_token);
        out->cycle_id = 3;
        snprintf(out->recipient, sizeof out->recipient, "%s", addr);
    }
    return AB_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const ack_from[] = {"state-a.example"};
    static const struct inbox_ping pings[] = {
        {"nightly-backup", "pingpingpingpingpingpingpi"}};
    static const struct inbox_rules rules = {
        .reply_address = "heartbeat@example.test",
        .bounce_address = "bounces@example.test",
        .authserv_id = "mx.example.test",
        .ack_from = ack_from,
        .nack_from = 1,
        .pings = pings,
        .npings = 1,
        .issued = issued,
        .issued_to = issued_to,
        .now = 1796083200, /* 2026-12-01: a fixed clock, reproducible runs */
        .zone = "Europe/Berlin", /* "snooze until Monday" resolves in a zone
                                    with DST, not only in UTC */
    };
    struct inbox_msg *m = NULL;
    ab_errmsg em;
    if (inbox_parse((const char *)data, size, &m, &em) != AB_OK)
        return 0;
    struct inbox_verdict v;
    if (inbox_classify(m, &rules, &v, &em) == AB_OK) {
        /* touch what the store and the log would read */
        (void)strlen(inbox_class_name(v.klass));
        (void)strlen(inbox_via_name(v.via));
        for (size_t i = 0; i < v.nbounced; i++)
            (void)strlen(v.bounced[i].addr);
        if (v.bounce_line)
            (void)strlen(v.bounce_line);
        if (v.excerpt)
            (void)strlen(v.excerpt);
        if (v.reason)
            (void)strlen(v.reason);
    }
    inbox_verdict_free(&v);
    inbox_msg_free(m);
    return 0;
}
