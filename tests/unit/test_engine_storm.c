/*
 * test_engine_storm.c - an alert storm: one source gone, and hundreds of
 * checks on it failing in the same tick, all owed to one person.
 *
 * They become one digest email (not hundreds, and not none: before, a
 * digest that grew past its 4 MiB buffer was refused as "rendered output
 * too large", and the person heard nothing).  The email counts every
 * alert, lists the first ENG_DIGEST_LISTED most urgent first (P1, then
 * the oldest), says how many more there are and where to see them, and
 * clips a long check message on a character's boundary.  The same holds
 * for the daily digest.
 */
#include "harness.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/ab_buf.h"
#include "common/ab_mem.h"
#include "config/cfg.h"
#include "engine/eng.h"
#include "engine/eng_int.h"
#include "inbox/inbox.h"
#include "store/store.h"
#include "test_engine_util.h"

#define STORM 260 /* checks of priority 3, and 2 of P1 and 1 loud one */

struct world {
    char dir[512];
    cfg *c;
    store *st;
    eng *e;
};

static int world_new(struct world *w, const char *name)
{
    memset(w, 0, sizeof *w);
    snprintf(w->dir, sizeof w->dir, "%s/%s", t_tmpdir(), name);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "mkdir -p %s/out/new %s/out/cur %s/out/tmp", w->dir, w->dir,
             w->dir);
    if (system(cmd) != 0)
        return -1;
    /* The source: an empty file is an empty SQLite database. */
    char db[700];
    snprintf(db, sizeof db, "%s/data.db", w->dir);
    write_file(db, "");
    /* A check whose message is long: 3,000 two-byte characters. */
    char loud[700];
    snprintf(loud, sizeof loud, "%s/loud.sh", w->dir);
    write_file(loud, "#!/bin/sh\ni=0\nwhile [ $i -lt 3000 ]; do printf '\\303\\251'; "
                     "i=$((i+1)); done\necho\nexit 2\n");
    if (chmod(loud, 0755))
        return -1;
    ab_buf x;
    ab_buf_init(&x, 1 << 22);
    int bad = ab_buf_printf(&x,
        "<ackbeat name=\"storm\" timezone=\"UTC\" tick=\"1m\">\n"
        "  <state path=\"state.db\"/>\n"
        "  <web listen=\"127.0.0.1:8025\" base-url=\"https://watch.example.test/\"/>\n"
        "  <mail from=\"ackbeat@example.test\" transport=\"maildir:out\"/>\n"
        "  <recipients><person name=\"ops\" email=\"ops@example.test\"/></recipients>\n"
        "  <alerting notify=\"ops\" repeat=\"1d\" digest-at=\"08:00\"/>\n"
        "  <sources><sqlite name=\"db\" path=\"data.db\"/></sources>\n"
        "  <checks>\n");
    for (int i = 0; i < STORM && !bad; i++)
        bad = ab_buf_printf(&x, "<sql name=\"s%03d\" source=\"db\" priority=\"3\" crit=\"5\" "
                                "direction=\"below\"><query>SELECT 1</query></sql>\n", i);
    if (!bad)
        bad = ab_buf_printf(&x,
            "<sql name=\"urgent1\" source=\"db\" priority=\"1\" crit=\"5\" direction=\"below\">"
            "<query>SELECT 1</query></sql>\n"
            "<sql name=\"urgent2\" source=\"db\" priority=\"1\" crit=\"5\" direction=\"below\">"
            "<query>SELECT 2</query></sql>\n"
            "<command name=\"loud\" priority=\"1\" command=\"%s\"/>\n"
            "  </checks>\n</ackbeat>\n", loud);
    if (bad) {
        ab_buf_free(&x);
        return -1;
    }
    int r = te_open(w->dir, ab_buf_str(&x), &w->c, &w->st, &w->e);
    ab_buf_free(&x);
    return r;
}

static void world_free(struct world *w)
{
    te_close(w->c, w->st, w->e);
}

static int tick(struct world *w, const char *iso)
{
    return te_tick(w->e, iso);
}

/* The messages in out/new whose header block has needle: how many, and
 * the text part of the last one (inbox_msg_free it). */
static int mails(struct world *w, const char *needle, struct inbox_msg **last)
{
    char d[700];
    snprintf(d, sizeof d, "%s/out/new", w->dir);
    *last = NULL;
    DIR *dir = opendir(d);
    if (!dir)
        return 0;
    int cnt = 0;
    struct dirent *de;
    while ((de = readdir(dir))) {
        if (de->d_name[0] == '.')
            continue;
        char p[1400];
        snprintf(p, sizeof p, "%s/%s", d, de->d_name);
        char *m = read_file(p);
        char *end = m ? strstr(m, "\r\n\r\n") : NULL;
        if (!end && m)
            end = strstr(m, "\n\n");
        if (m && end && memmem(m, (size_t)(end - m), needle, strlen(needle))) {
            cnt++;
            ab_errmsg em = {{0}};
            inbox_msg_free(*last);
            *last = NULL;
            if (inbox_parse(m, strlen(m), last, &em) != AB_OK)
                *last = NULL;
        }
        ab_free(m);
    }
    closedir(dir);
    return cnt;
}

static int occurrences(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; p && (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* The storm's digest: counted whole, listed in part, most urgent first. */
static void check_digest(const struct inbox_msg *m, const char *subject_has)
{
    CHECK(m != NULL);
    if (!m)
        return;
    CHECK_CONTAINS(m->subject, subject_has);
    const char *t = m->text;
    CHECK(t != NULL);
    if (!t)
        return;
    /* Each listed alert is one "#ID  P" line. */
    CHECK_INT(occurrences(t, "  P1 "), 3);
    CHECK_INT(occurrences(t, "  P3 "), ENG_DIGEST_LISTED - 3);
    char more[128];
    snprintf(more, sizeof more, "and %d more not listed here", STORM + 3 - ENG_DIGEST_LISTED);
    CHECK_CONTAINS(t, more);
    CHECK_CONTAINS(t, "https://watch.example.test/alerts");
    CHECK_CONTAINS(t, "ackbeat alerts");
    /* P1 first: urgent1 comes before every P3 check. */
    const char *u = strstr(t, "(urgent1)"), *p3 = strstr(t, "  P3 ");
    CHECK(u && p3 && u < p3);
    /* The oldest P3 alerts are listed, the newest not: s000 is, s259 not. */
    CHECK(strstr(t, "(s000)") != NULL);
    CHECK(strstr(t, "(s259)") == NULL);
    /* The loud check's message is clipped, whole characters and an
     * ellipsis, not 6,000 bytes. */
    const char *e = strstr(t, "\xc3\xa9\xc3\xa9\xc3\xa9");
    CHECK(e != NULL);
    if (e) {
        const char *stop = strstr(e, "\xe2\x80\xa6");
        CHECK(stop != NULL);
        if (stop) {
            CHECK((stop - e) <= 1000);
            CHECK((stop - e) % 2 == 0);
        }
    }
}

TEST(an_alert_storm_is_one_digest_that_counts_all_and_lists_the_urgent)
{
    struct world w;
    CHECK_OK(world_new(&w, "storm"));
    CHECK_OK(tick(&w, "2026-12-01T07:00:00Z"));
    struct inbox_msg *m = NULL;
    CHECK_INT(mails(&w, "X-Ackbeat-Notice: digest", &m), 1);
    char subj[64];
    snprintf(subj, sizeof subj, "Open alerts: %d", STORM + 3);
    check_digest(m, subj);
    inbox_msg_free(m);
    /* The daily digest at 08:00 is built the same way. */
    CHECK_OK(tick(&w, "2026-12-01T08:00:00Z"));
    CHECK_INT(mails(&w, "X-Ackbeat-Notice: daily-digest", &m), 1);
    check_digest(m, subj);
    inbox_msg_free(m);
    world_free(&w);
}

TEST(a_digest_within_the_limit_lists_all_and_says_no_more)
{
    /* The template's "more" part is off when every alert is listed. */
    struct world w;
    CHECK_OK(world_new(&w, "calm"));
    json_t *ctx = json_object();
    eng_ctx_digest_more(w.e, ctx, 0);
    CHECK(json_object_get(ctx, "more") == NULL);
    eng_ctx_digest_more(w.e, ctx, 7);
    json_t *more = json_object_get(ctx, "more");
    CHECK(more != NULL);
    CHECK_INT((int)json_integer_value(json_object_get(more, "count")), 7);
    CHECK_STR(json_string_value(json_object_get(more, "url")),
              "https://watch.example.test/alerts");
    json_decref(ctx);
    world_free(&w);
}
