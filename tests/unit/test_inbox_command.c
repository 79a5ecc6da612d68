/*
 * test_inbox_command.c - reply commands as people write them
 * (inbox/inbox_command.c): verbs in any case, reasons after a dash, colon or
 * comma, durations in words, "until" a day in the site's zone, and a
 * line that looks like a command but is not kept as a note.
 */
#include "harness.h"

#include <stdio.h>
#include <string.h>

#include "common/ab_mem.h"
#include "inbox/inbox.h"
#include "inbox/inbox_int.h"

struct row {
    const char *line;
    enum inbox_cmd cmd;
    long long snooze;    /* seconds */
    const char *until;   /* ISO UTC, or NULL */
    const char *note;    /* or NULL */
    int unknown;
};

/* Sunday 6 December 2026, 14:00 CST */
#define NOW "2026-12-06T20:00:00Z"
#define ZONE "America/Chicago"

static const struct row rows[] = {
    {"dismiss", INBOX_CMD_DISMISS, 0, NULL, NULL, 0},
    {"Dismiss.", INBOX_CMD_DISMISS, 0, NULL, NULL, 0},
    {"DISMISS - Dana is on leave", INBOX_CMD_DISMISS, 0, NULL, "Dana is on leave", 0},
    {"Dismiss: on leave", INBOX_CMD_DISMISS, 0, NULL, "on leave", 0},
    {"dismissed, back next week", INBOX_CMD_DISMISS, 0, NULL, "back next week", 0},
    {"dismiss \xe2\x80\x94 known outage", INBOX_CMD_DISMISS, 0, NULL, "known outage", 0},
    {"snooze 2d", INBOX_CMD_SNOOZE, 2 * 86400, NULL, NULL, 0},
    {"snooze 2 days", INBOX_CMD_SNOOZE, 2 * 86400, NULL, NULL, 0},
    {"Snooze for 3 hours", INBOX_CMD_SNOOZE, 3 * 3600, NULL, NULL, 0},
    {"snooze 1 day 4 hours", INBOX_CMD_SNOOZE, 86400 + 4 * 3600, NULL, NULL, 0},
    {"snooze an hour", INBOX_CMD_SNOOZE, 3600, NULL, NULL, 0},
    {"snooze 1 week - vendor fix due", INBOX_CMD_SNOOZE, 7 * 86400, NULL, "vendor fix due", 0},
    {"snooze until Monday", INBOX_CMD_SNOOZE, 0, "2026-12-07T14:00:00Z", NULL, 0},
    {"snooze until tomorrow: waiting on IT", INBOX_CMD_SNOOZE, 0, "2026-12-07T14:00:00Z",
     "waiting on IT", 0},
    {"snooze until friday", INBOX_CMD_SNOOZE, 0, "2026-12-11T14:00:00Z", NULL, 0},
    /* "until Sunday" on a Sunday means next week's */
    {"snooze until Sunday", INBOX_CMD_SNOOZE, 0, "2026-12-13T14:00:00Z", NULL, 0},
    {"snooze until 2026-12-10", INBOX_CMD_SNOOZE, 0, "2026-12-10T14:00:00Z", NULL, 0},
    {"snooze until 2026-12-10T09:30:00Z", INBOX_CMD_SNOOZE, 0, "2026-12-10T09:30:00Z", NULL, 0},
    {"note the feed moved to SFTP", INBOX_CMD_NOTE, 0, NULL, "the feed moved to SFTP", 0},
    {"Note: called Dana", INBOX_CMD_NOTE, 0, NULL, "called Dana", 0},
    /* looks like a command, is not one: kept as a note, flagged */
    {"snooze forever", INBOX_CMD_NOTE, 0, NULL, "snooze forever", 1},
    {"snooze until someday", INBOX_CMD_NOTE, 0, NULL, "snooze until someday", 1},
    {"snooze until 2020-01-01", INBOX_CMD_NOTE, 0, NULL, "snooze until 2020-01-01", 1},
    {"dismis please", INBOX_CMD_NOTE, 0, NULL, "dismis please", 1},
    {"mute this", INBOX_CMD_NOTE, 0, NULL, "mute this", 1},
    /* ordinary replies are no commands */
    {"Yes, I got it", INBOX_CMD_NONE, 0, NULL, NULL, 0},
    {"Got it, thanks", INBOX_CMD_NONE, 0, NULL, NULL, 0},
    {"Acknowledged.", INBOX_CMD_NONE, 0, NULL, NULL, 0},
    {"notes are attached", INBOX_CMD_NONE, 0, NULL, NULL, 0},
    {"note", INBOX_CMD_NONE, 0, NULL, NULL, 0},
};

TEST(command_forms)
{
    ab_time now;
    CHECK_OK(ab_time_parse(NOW, &now));
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        const struct row *r = &rows[i];
        struct inbox_verdict v;
        memset(&v, 0, sizeof v);
        char text[256];
        /* the command is the first non-empty line; what follows is not */
        snprintf(text, sizeof text, "\n  %s\n\nBest,\nBo\n", r->line);
        inbox_command_parse(&v, text, strlen(text), now, ZONE);
        char until[40] = "-";
        if (v.until)
            ab_time_format(v.until, until, sizeof until);
        if (v.cmd != r->cmd || v.snooze != r->snooze ||
            strcmp(until, r->until ? r->until : "-") != 0 ||
            strcmp(v.note ? v.note : "-", r->note ? r->note : "-") != 0 ||
            v.cmd_unknown != r->unknown)
            t_fail(__FILE__, __LINE__,
                   "'%s': got cmd=%s snooze=%lld until=%s note='%s' unknown=%d", r->line,
                   inbox_cmd_name(v.cmd), (long long)v.snooze, until, v.note ? v.note : "-",
                   v.cmd_unknown);
        ab_free(v.note);
    }
}

TEST(until_a_day_across_dst)
{
    /* Friday 6 March 2026 in Chicago; "until Monday" is 9 March, after
     * the spring-forward on Sunday the 8th: 08:00 CDT is 13:00Z. */
    ab_time now;
    CHECK_OK(ab_time_parse("2026-03-06T18:00:00Z", &now));
    struct inbox_verdict v;
    memset(&v, 0, sizeof v);
    const char *t = "snooze until Monday";
    inbox_command_parse(&v, t, strlen(t), now, ZONE);
    char buf[40];
    CHECK_INT(v.cmd, INBOX_CMD_SNOOZE);
    CHECK_STR(ab_time_format(v.until, buf, sizeof buf), "2026-03-09T13:00:00Z");
    /* without a zone: UTC */
    memset(&v, 0, sizeof v);
    inbox_command_parse(&v, t, strlen(t), now, NULL);
    CHECK_STR(ab_time_format(v.until, buf, sizeof buf), "2026-03-09T08:00:00Z");
}
