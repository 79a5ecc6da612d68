/*
 * test_web_paging.c - the status page with 10,000 checks (issue 17): one
 * page of rows at a time, the pager's links, the filter by a part of the
 * name or label (any case) and by status, and a clear 400 for a filter
 * that means nothing.  The page must stay something a person can use: a
 * page of rows, not 10,000 of them.
 */
#include "harness.h"

#include <stdio.h>
#include <string.h>

#include "common/ab_buf.h"
#include "test_web_util.h"

#define NCHECKS 10000
#define NFAILING 25

/* A config of NCHECKS command checks c0..c9999 labelled "Job N", with a
 * bearer token so that reports can be posted. */
static const char *setup(void)
{
    static char dir[512];
    snprintf(dir, sizeof dir, "%s/paging", t_tmpdir());
    mkdir(dir, 0700);
    tw_write(tw_path(dir, "token"), TW_TOKEN "\n");
    ab_buf b;
    ab_buf_init(&b, 0);
    int bad = ab_buf_printf(&b,
                        "<ackbeat name=\"many\" timezone=\"UTC\" tick=\"1m\">\n"
                        "  %s\n"
                        "  <mail from=\"ackbeat@test.example\" transport=\"maildir:out\"/>\n"
                        "  <web listen=\"127.0.0.1:18032\" token-file=\"token\"/>\n"
                        "  <recipients><person name=\"kim\" email=\"kim@test.example\"/>"
                        "</recipients>\n"
                        "  <alerting notify=\"kim\"/>\n  <checks>\n",
                        t_state_tag(tw_path(dir, "state.db")));
    for (int i = 0; i < NCHECKS; i++)
        bad |= ab_buf_printf(&b,
                            "    <command name=\"c%d\" label=\"Job %d\" "
                            "command=\"/bin/true\"/>\n",
                            i, i);
    bad |= ab_buf_printf(&b, "  </checks>\n</ackbeat>\n");
    if (bad)
        fprintf(stderr, "paging: out of memory writing the config\n");
    tw_write(tw_path(dir, "ackbeat.xml"), ab_buf_str(&b));
    ab_buf_free(&b);
    return dir;
}

/* GET / with up to three query arguments (NULL ends them). */
static int get_page(web *w, struct web_response *rs, const char *k1, const char *v1,
                    const char *k2, const char *v2, const char *k3, const char *v3)
{
    struct web_kv kv[3] = {{k1, v1}, {k2, v2}, {k3, v3}};
    size_t n = !k1 ? 0 : !k2 ? 1 : !k3 ? 2 : 3;
    struct web_request rq = {.method = "GET", .path = "/", .args = kv, .nargs = n,
                             .host = "127.0.0.1:18032", .body = ""};
    web_response_free(rs);
    memset(rs, 0, sizeof *rs);
    if (web_handle(w, &rq, rs) != AB_OK)
        return -1;
    return rs->status;
}

/* How many times needle occurs in the body. */
static int count(const struct web_response *rs, const char *needle)
{
    int n = 0;
    for (const char *p = rs->body; p && (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

TEST(ten_thousand_checks_page_and_filter)
{
    tw_now_value = TW_NOW;
    cfg *c = NULL;
    web *w = tw_server(setup(), &c);
    CHECK(w);
    struct web_response rs = {0};

    /* A few of them fail, through reports (c100, c500, ...). */
    char path[64];
    for (int i = 0; i < NFAILING; i++) {
        snprintf(path, sizeof path, "/report/c%d", 100 + i * 400);
        CHECK_INT(POSTJ(w, path, "{\"status\":\"Failing\",\"message\":\"down\"}",
                        "Bearer " TW_TOKEN, &rs),
                  200);
    }

    /* Page one: 100 rows, the count of all, and a link to page two. */
    CHECK_INT(get_page(w, &rs, NULL, NULL, NULL, NULL, NULL, NULL), 200);
    CHECK_INT(count(&rs, "<a href=\"/checks/"), 100);
    CHECK_CONTAINS(rs.body, "10000 of 10000 checks");
    CHECK_CONTAINS(rs.body, "page 1 of 100");
    CHECK_CONTAINS(rs.body, "page=2");
    CHECK_CONTAINS(rs.body, "<b>c0</b>");
    CHECK(!strstr(rs.body, "<b>c100</b>"));
    /* A page of rows, not 10,000 of them (7.6 MB once). */
    CHECK(rs.len < 400 * 1024);

    /* The last page, and one past it. */
    CHECK_INT(get_page(w, &rs, "page", "100", NULL, NULL, NULL, NULL), 200);
    CHECK_CONTAINS(rs.body, "<b>c9999</b>");
    CHECK_CONTAINS(rs.body, "rel=\"prev\"");
    CHECK(!strstr(rs.body, "rel=\"next\""));
    CHECK_INT(get_page(w, &rs, "page", "101", NULL, NULL, NULL, NULL), 200);
    CHECK_INT(count(&rs, "<a href=\"/checks/"), 0);
    CHECK_CONTAINS(rs.body, "No checks on this page");

    /* Rows per page, kept in the pager's links. */
    CHECK_INT(get_page(w, &rs, "per", "1000", NULL, NULL, NULL, NULL), 200);
    CHECK_INT(count(&rs, "<a href=\"/checks/"), 1000);
    CHECK_CONTAINS(rs.body, "page 1 of 10");
    CHECK_CONTAINS(rs.body, "per=1000");

    /* A part of the name: c777 and c7770..c7779. */
    CHECK_INT(get_page(w, &rs, "q", "c777", NULL, NULL, NULL, NULL), 200);
    CHECK_INT(count(&rs, "<a href=\"/checks/"), 11);
    CHECK_CONTAINS(rs.body, "11 of 10000 checks");
    CHECK(!strstr(rs.body, "class=\"pager\""));
    /* ... or of the label, in any case. */
    CHECK_INT(get_page(w, &rs, "q", "JOB 4242", NULL, NULL, NULL, NULL), 200);
    CHECK_INT(count(&rs, "<a href=\"/checks/"), 1);
    CHECK_CONTAINS(rs.body, "<b>c4242</b>");

    /* By status, and both at once. */
    CHECK_INT(get_page(w, &rs, "status", "failing", NULL, NULL, NULL, NULL), 200);
    CHECK_INT(count(&rs, "<a href=\"/checks/"), NFAILING);
    CHECK_CONTAINS(rs.body, "25 of 10000 checks");
    CHECK_INT(get_page(w, &rs, "status", "failing", "q", "c9", NULL, NULL), 200);
    /* Of the failing ones, those whose name holds "c9" (c900, c9300, c9700). */
    int expect = 0;
    for (int i = 0; i < NFAILING; i++) {
        char name[16];
        snprintf(name, sizeof name, "c%d", 100 + i * 400);
        expect += strstr(name, "c9") != NULL;
    }
    CHECK_INT(count(&rs, "<a href=\"/checks/"), expect);
    CHECK_INT(get_page(w, &rs, "status", "failing", "per", "10", "page", "3"), 200);
    CHECK_INT(count(&rs, "<a href=\"/checks/"), 5);
    CHECK_CONTAINS(rs.body, "page 3 of 3");
    CHECK_CONTAINS(rs.body, "status=failing");
    /* Nothing matches: said so. */
    CHECK_INT(get_page(w, &rs, "q", "no-such-check", NULL, NULL, NULL, NULL), 200);
    CHECK_CONTAINS(rs.body, "No check matches the filter");

    /* A filter that means nothing is a 400 that says why. */
    CHECK_INT(get_page(w, &rs, "status", "purple", NULL, NULL, NULL, NULL), 400);
    CHECK_CONTAINS(rs.body, "status= must be");
    CHECK_INT(get_page(w, &rs, "page", "0", NULL, NULL, NULL, NULL), 400);
    CHECK_CONTAINS(rs.body, "page= must be");
    CHECK_INT(get_page(w, &rs, "per", "1001", NULL, NULL, NULL, NULL), 400);
    CHECK_CONTAINS(rs.body, "per= must be");
    CHECK_INT(get_page(w, &rs, "page", "2x", NULL, NULL, NULL, NULL), 400);

    web_response_free(&rs);
    web_free(w);
    cfg_free(c);
}
