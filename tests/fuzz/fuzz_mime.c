// fuzz-sources: inbox/parse.c inbox/text.c inbox/classify.c inbox/bounce.c inbox/autoreply.c common/*.c
// fuzz-pkgs: gmime-3.0
/*
 * fuzz_mime.c - libFuzzer target: inbox_parse() then inbox_classify() on
 * arbitrary bytes, with a fixed issued-token callback, so RFC 5322/2045-
 * 2047/3676/3464 parsing, charset conversion, HTML-to-text, quote
 * detection and the bounce/auto-reply detectors all see hostile input.
 *
 * Build and run (seed corpus: tests/fuzz/corpus/mime, copies of
 * tests/data/mail):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. -D_GNU_SOURCE \
 *     $(pkg-config --cflags gmime-3.0) tests/fuzz/fuzz_mime.c \
 *     inbox/parse.c inbox/text.c inbox/classify.c inbox/bounce.c \
 *     inbox/autoreply.c common/ab_buf.c common/ab_err.c common/ab_log.c \
 *     common/ab_mem.c common/ab_time.c common/ab_token.c \
 *     $(pkg-config --libs gmime-3.0) \
 *     -o build/fuzz_mime
 *   build/fuzz_mime -max_total_time=120 -rss_limit_mb=4096 tests/fuzz/corpus/mime
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "inbox/inbox.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enum ab_err issued(void *ud, const char *token, int *found,
                          struct inbox_issued *out, ab_errmsg *em)
{
    (void)ud;
    (void)em;
    /* every token whose first letter is before 'n' counts as issued */
    *found = token[0] < 'n';
    if (*found) {
        out->cycle_id = 1;
        snprintf(out->recipient, sizeof out->recipient, "carol@state-a.example");
    }
    return AB_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const ack_from[] = {"state-a.example"};
    static const char *const pings[] = {"nightly-backup"};
    static const struct inbox_rules rules = {
        .reply_address = "heartbeat@example.test",
        .ack_from = ack_from,
        .nack_from = 1,
        .ping_names = pings,
        .nping = 1,
        .issued = issued,
    };
    struct inbox_msg *m = NULL;
    ab_errmsg em;
    if (inbox_parse((const char *)data, size, &m, &em) != AB_OK)
        return 0;
    struct inbox_verdict v;
    if (inbox_classify(m, &rules, &v, &em) == AB_OK && v.excerpt)
        (void)strlen(v.excerpt);
    inbox_verdict_free(&v);
    inbox_msg_free(m);
    return 0;
}
