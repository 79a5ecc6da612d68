/*
 * test_web_format.c - the web module's small parts on their own: the
 * urlencoded form parser (the dismiss form), spans and relative times as
 * the pages print them, and snooze ends ("4h", an ISO time).
 */
#include "harness.h"

#include <string.h>

#include "common/ab_mem.h"
#include "web/web_int.h"

#define TW_NOW 1796112000 /* 2026-12-01T08:00:00Z */

TEST(form_parsing_and_formats)
{
    struct web_kv kv[4];
    size_t n;
    char *buf;
    const char *in = "a=1&b=x+y%21&c&&d=%e2%9c%93";
    CHECK_OK(web_form_parse(in, strlen(in), kv, 4, &n, &buf));
    CHECK_INT(n, 4);
    CHECK_STR(kv[1].value, "x y!");
    CHECK_STR(kv[2].key, "c");
    CHECK_STR(kv[2].value, "");
    CHECK_STR(kv[3].value, "\xe2\x9c\x93");
    ab_free(buf);
    CHECK_INT(web_form_parse("a=%zz", 5, kv, 4, &n, &buf), AB_EPARSE);
    CHECK_INT(web_form_parse("a=%00", 5, kv, 4, &n, &buf), AB_EPARSE);
    CHECK_INT(web_form_parse("a=%4", 4, kv, 4, &n, &buf), AB_EPARSE);
    CHECK_INT(web_form_parse("a&b&c&d&e", 9, kv, 4, &n, &buf), AB_EPARSE);
}

TEST(spans_and_relative_times)
{
    char b[48];
    web_fmt_span(0, b, sizeof b);
    CHECK_STR(b, "0s");
    web_fmt_span(59, b, sizeof b);
    CHECK_STR(b, "59s");
    web_fmt_span(90, b, sizeof b);
    CHECK_STR(b, "1m 30s");
    web_fmt_span(3 * 86400 + 4 * 3600 + 7, b, sizeof b);
    CHECK_STR(b, "3d 4h");
    web_fmt_span(40 * 86400 + 3600, b, sizeof b);
    CHECK_STR(b, "40d");
    web_fmt_rel(TW_NOW - 300, TW_NOW, b, sizeof b);
    CHECK_STR(b, "5m ago");
    web_fmt_rel(TW_NOW + 7200, TW_NOW, b, sizeof b);
    CHECK_STR(b, "in 2h");
    web_fmt_rel(TW_NOW - 2, TW_NOW, b, sizeof b);
    CHECK_STR(b, "just now");
    ab_time u;
    CHECK_INT(web_parse_until("", TW_NOW, &u), 0);
    CHECK(u == AB_TIME_NONE);
    CHECK_INT(web_parse_until("1d", TW_NOW, &u), 0);
    CHECK_INT(u, TW_NOW + 86400);
    CHECK_INT(web_parse_until("2026-12-24T00:00:00Z", TW_NOW, &u), 0);
    CHECK_INT(web_parse_until("2026-11-24T00:00:00Z", TW_NOW, &u), -1);
    CHECK_INT(web_parse_until("0s", TW_NOW, &u), -1);
    CHECK_INT(web_parse_until("tomorrow", TW_NOW, &u), -1);
}
