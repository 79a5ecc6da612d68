/*
 * test_web_tokens.c - /ping/TOKEN with many ping checks (web_tokens.c):
 * every token finds its own check and no other, among 3,000; a token one
 * character off, a prefix, a longer one and one in another case are
 * plain 404s; and a ping lands on the check it names.
 */
#include "harness.h"

#include <stdio.h>
#include <string.h>

#include "common/ab_buf.h"
#include "test_web_util.h"

#define NPINGS 3000

static const char *token_of(int i, char *buf, size_t len)
{
    snprintf(buf, len, "tok-%06d-abcdefgh", i);
    return buf;
}

static const char *setup(void)
{
    static char dir[512];
    snprintf(dir, sizeof dir, "%s/tokens", t_tmpdir());
    mkdir(dir, 0700);
    ab_buf b;
    ab_buf_init(&b, 0);
    int bad = ab_buf_printf(&b,
                            "<ackbeat name=\"many\" timezone=\"UTC\" tick=\"1m\">\n"
                            "  %s\n"
                            "  <mail from=\"ackbeat@test.example\" transport=\"maildir:out\"/>\n"
                            "  <web listen=\"127.0.0.1:18033\"/>\n"
                            "  <recipients><person name=\"kim\" email=\"kim@test.example\"/>"
                            "</recipients>\n"
                            "  <alerting notify=\"kim\"/>\n  <checks>\n",
                            t_state_tag(tw_path(dir, "state.db")));
    char tok[64];
    for (int i = 0; i < NPINGS; i++)
        bad |= ab_buf_printf(&b, "    <ping name=\"p%d\" token=\"%s\" period=\"1d\"/>\n", i,
                             token_of(i, tok, sizeof tok));
    bad |= ab_buf_printf(&b, "  </checks>\n</ackbeat>\n");
    if (bad)
        fprintf(stderr, "tokens: out of memory writing the config\n");
    tw_write(tw_path(dir, "ackbeat.xml"), ab_buf_str(&b));
    ab_buf_free(&b);
    return dir;
}

/* Has check p<i> been heard from (its API entry names a last report)? */
static int heard(web *w, int i, struct web_response *rs)
{
    char path[64];
    snprintf(path, sizeof path, "/api/checks/p%d", i);
    if (GET(w, path, rs) != 200)
        return -1;
    return strstr(rs->body, "last report") != NULL;
}

TEST(each_of_three_thousand_tokens_finds_its_own_check)
{
    tw_now_value = TW_NOW;
    cfg *c = NULL;
    web *w = tw_server(setup(), &c);
    CHECK(w);
    struct web_response rs = {0};
    char tok[64], path[128];
    /* Every token answers. */
    for (int i = 0; i < NPINGS; i += 7) {
        snprintf(path, sizeof path, "/ping/%s", token_of(i, tok, sizeof tok));
        CHECK_INT(GET(w, path, &rs), 200);
    }
    /* A ping lands on its own check and on no other. */
    CHECK_INT(heard(w, 1234, &rs), 0);
    snprintf(path, sizeof path, "/ping/%s", token_of(1234, tok, sizeof tok));
    CHECK_INT(GET(w, path, &rs), 200);
    CHECK_INT(heard(w, 1234, &rs), 1);
    CHECK_INT(heard(w, 1235, &rs), 0);
    CHECK_INT(heard(w, 1233, &rs), 0);
    /* Near misses are nobody's. */
    static const char *const misses[] = {
        "/ping/tok-001234-abcdefgi", "/ping/tok-001234-abcdefg", "/ping/tok-001234-abcdefghh",
        "/ping/TOK-001234-ABCDEFGH", "/ping/tok-003000-abcdefgh", "/ping/x"};
    for (size_t i = 0; i < sizeof misses / sizeof misses[0]; i++)
        CHECK_INT(GET(w, misses[i], &rs), 404);
    web_response_free(&rs);
    web_free(w);
    cfg_free(c);
}
