/*
 * test_common.c - the shared pieces: times, durations, buffers, errors,
 * allocation-failure injection.
 */
#include "harness.h"

#include <stdio.h>

#include "common/ab_buf.h"
#include "common/ab_err.h"
#include "common/ab_mem.h"
#include "common/ab_time.h"

TEST(time_parses_zulu_and_offsets)
{
    ab_time t;
    CHECK_OK(ab_time_parse("2026-12-01T08:00:00Z", &t));
    CHECK_INT(t, 1796112000);
    ab_time u;
    CHECK_OK(ab_time_parse("2026-12-01T09:00:00+01:00", &u));
    CHECK_INT(u, t);
    CHECK_OK(ab_time_parse("2026-12-01T00:30:00-07:30", &u));
    CHECK_INT(u, t);
    CHECK_OK(ab_time_parse("2026-12-01 08:00:00.123", &u));
    CHECK_INT(u, t);
    CHECK_OK(ab_time_parse("2026-12-01", &u));
    CHECK_INT(u, t - 8 * 3600);
}

TEST(time_rejects_impossible_dates)
{
    ab_time t;
    CHECK_INT(ab_time_parse("2026-02-29T00:00:00Z", &t), AB_EPARSE);
    CHECK_OK(ab_time_parse("2028-02-29T00:00:00Z", &t));
    CHECK_INT(ab_time_parse("2026-13-01", &t), AB_EPARSE);
    CHECK_INT(ab_time_parse("2026-12-01T24:00:00Z", &t), AB_EPARSE);
    CHECK_INT(ab_time_parse("2026-12-01T08:00:00Zjunk", &t), AB_EPARSE);
    CHECK_INT(ab_time_parse("", &t), AB_EPARSE);
    CHECK_INT(ab_time_parse("yesterday", &t), AB_EPARSE);
}

TEST(time_formats_round_trip)
{
    char buf[AB_ISO_LEN];
    CHECK_STR(ab_time_format(1796112000, buf, sizeof buf), "2026-12-01T08:00:00Z");
    CHECK_STR(ab_time_format(-1, buf, sizeof buf), "1969-12-31T23:59:59Z");
    for (ab_time t = 1700000000; t < 1700000000 + 86400 * 800; t += 86399) {
        ab_time u;
        CHECK_OK(ab_time_parse(ab_time_format(t, buf, sizeof buf), &u));
        CHECK_INT(u, t);
    }
}

TEST(durations)
{
    int64_t s;
    CHECK_OK(ab_duration_parse("15m", &s));
    CHECK_INT(s, 900);
    CHECK_OK(ab_duration_parse("1h30m", &s));
    CHECK_INT(s, 5400);
    CHECK_OK(ab_duration_parse("30d", &s));
    CHECK_INT(s, 30 * 86400);
    CHECK_INT(ab_duration_parse("5", &s), AB_EPARSE);
    CHECK_INT(ab_duration_parse("5x", &s), AB_EPARSE);
    CHECK_INT(ab_duration_parse("", &s), AB_EPARSE);
    CHECK_INT(ab_duration_parse("m", &s), AB_EPARSE);
    char buf[32];
    CHECK_STR(ab_duration_format(5400, buf, sizeof buf), "1h30m");
    CHECK_STR(ab_duration_format(86400, buf, sizeof buf), "1d");
    CHECK_STR(ab_duration_format(0, buf, sizeof buf), "0s");
}

TEST(buffer_grows_and_caps)
{
    ab_buf b;
    ab_buf_init(&b, 16);
    CHECK_OK(ab_buf_puts(&b, "hello "));
    CHECK_OK(ab_buf_printf(&b, "%d", 42));
    CHECK_STR(ab_buf_str(&b), "hello 42");
    CHECK_INT(ab_buf_puts(&b, "this is too long"), AB_ERANGE);
    CHECK_STR(ab_buf_str(&b), "hello 42"); /* unchanged on failure */
    ab_buf_free(&b);
    CHECK_STR(ab_buf_str(&b), "");
}

TEST(allocation_failure_injection)
{
    ab_mem_fail_after(1);
    char *a = ab_strdup("x");
    char *b = ab_strdup("y");
    long made = ab_mem_fail_reset();
    CHECK(a != NULL);
    CHECK(b == NULL);
    CHECK_INT(made, 2);
    ab_free(a);
}

TEST(error_detail)
{
    ab_errmsg em = {{0}};
    CHECK_INT(ab_fail(&em, AB_EINVAL, "bad %s", "port"), AB_EINVAL);
    CHECK_STR(em.text, "bad port");
    ab_failctx(&em, AB_ECONFIG, "mail");
    CHECK_STR(em.text, "mail: bad port");
    CHECK_STR(ab_strerror(AB_ENOMEM), "out of memory");
}

#include "common/ab_token.h"

static int collect(const char *tok, void *ud)
{
    char *dst = ud;
    size_t l = strlen(dst);
    snprintf(dst + l, 256 - l, "%s;", tok);
    return 0;
}

TEST(tokens_are_valid_and_distinct)
{
    char a[AB_TOKEN_LEN + 1], b[AB_TOKEN_LEN + 1];
    CHECK_OK(ab_token_new(a));
    CHECK_OK(ab_token_new(b));
    CHECK_INT(strlen(a), AB_TOKEN_LEN);
    CHECK(ab_token_valid(a, strlen(a)));
    CHECK(strcmp(a, b) != 0);
    CHECK(!ab_token_valid("abc", 3));
    CHECK(!ab_token_valid("ABCDEFGHIJKLMNOPQRSTUVWXYA", 26));
    CHECK(!ab_token_valid("abcdefghijklmnopqrstuvwxy1", 26)); /* 1 not base32 */
    CHECK(!ab_token_valid("abcdefghijklmnopqrstuvwxyb", 26)); /* pad bits set */
}

TEST(token_scan_finds_tokens_in_text)
{
    char t[AB_TOKEN_LEN + 1], found[256] = "";
    CHECK_OK(ab_token_new(t));
    char text[512];
    snprintf(text, sizeof text,
             "> Reference: hb.%s\nbeat+%s@example.org and a 40-char sha "
             "0123456789abcdef0123456789abcdef01234567",
             t, t);
    ab_token_scan(text, strlen(text), collect, found);
    char want[256];
    snprintf(want, sizeof want, "%s;%s;", t, t);
    CHECK_STR(found, want);
}

#include "common/ab_status.h"

/* The words are what the state database stores and the pages show, and
 * the values compare (worse is higher): both are fixed. */
TEST(statuses_have_fixed_words_and_order)
{
    CHECK_STR(ab_status_name(AB_HEALTHY), "Healthy");
    CHECK_STR(ab_status_name(AB_DEGRADED), "Degraded");
    CHECK_STR(ab_status_name(AB_FAILING), "Failing");
    CHECK_STR(ab_status_name(AB_OFFLINE), "Offline");
    CHECK_STR(ab_status_name((enum ab_status)7), "Offline");
    CHECK(AB_HEALTHY < AB_DEGRADED && AB_DEGRADED < AB_FAILING && AB_FAILING < AB_OFFLINE);
    CHECK_INT(ab_status_parse("failing"), AB_FAILING);
    CHECK_INT(ab_status_parse("DEGRADED"), AB_DEGRADED);
    CHECK_INT(ab_status_parse("Healthy"), AB_HEALTHY);
    CHECK_INT(ab_status_parse("ok"), -1);
    CHECK_INT(ab_status_parse(""), -1);
    CHECK_INT(ab_status_parse(NULL), -1);
    CHECK_STR(ab_status_name(AB_DEGRADED), "Degraded");
}
