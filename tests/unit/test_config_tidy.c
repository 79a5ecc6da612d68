/*
 * test_config_tidy.c - seed 002's XML as it arrives when pasted from its
 * web page: indented with non-breaking spaces (and other Unicode spaces),
 * which must load exactly as ASCII indentation does; and real text where
 * only elements belong, which must be one clear message (file:line, the
 * element, the text), not the schema's two vague ones.
 */
#include "harness.h"

#include <stdio.h>
#include <string.h>

#include "common/ab_buf.h"
#include "common/ab_time.h"
#include "config/cfg.h"

#define NBSP "\xc2\xa0"

/* Seed 002's blocks, each line indented as the web page gives them. */
static const char *const seed_lines[] = {
    NBSP "<Schedules>",
    NBSP " " NBSP " " NBSP " <EventScheduleObject>",
    NBSP " " NBSP " " NBSP " " NBSP " <EventSchedule>Main Schedule</EventSchedule>",
    NBSP " " NBSP " " NBSP " " NBSP " <!--",
    "Use Provisions to specify run dates and times.",
    "-->",
    NBSP " " NBSP " " NBSP " " NBSP " <Provisions>",
    NBSP " " NBSP " " NBSP " " NBSP " " NBSP " <ScheduleProvision>",
    NBSP " " NBSP " " NBSP " " NBSP " " NBSP " " NBSP " <DayOfWeek>Monday</DayOfWeek>",
    NBSP " " NBSP " " NBSP " " NBSP " " NBSP " " NBSP " <StartTime>05:00:00</StartTime>",
    NBSP " " NBSP " " NBSP " " NBSP " " NBSP " " NBSP " <EndTime>20:00:00</EndTime>",
    NBSP " " NBSP " " NBSP " " NBSP " " NBSP " </ScheduleProvision>",
    NBSP " " NBSP " " NBSP " " NBSP " </Provisions>",
    /* Other spaces a web page or a word processor produces: U+2003 em
     * space, U+202F narrow no-break space, U+3000, U+200B, U+FEFF. */
    "\xe2\x80\x83\xe2\x80\xaf\xe3\x80\x80\xe2\x80\x8b\xef\xbb\xbf <Exclusions>",
    "\t" NBSP "<ScheduleExclusion>",
    NBSP NBSP "<DayOfWeek>Monday</DayOfWeek>",
    NBSP NBSP "<StartTime>00:30:00</StartTime>",
    NBSP NBSP "<EndTime>03:00:00</EndTime>",
    "\t" NBSP "</ScheduleExclusion>",
    NBSP "</Exclusions>",
    NBSP " " NBSP " " NBSP " </EventScheduleObject>",
    NBSP " " NBSP " </Schedules>",
    "<checks>",
    NBSP " " NBSP " " NBSP " <HeartbeatAssembly>",
    NBSP " " NBSP " " NBSP " " NBSP " <Label>File System Health Status</Label>",
    NBSP " " NBSP " " NBSP " " NBSP " <Name>FileSystemHealthObject</Name>",
    NBSP " " NBSP " " NBSP " " NBSP " <Schedule>Main Schedule</Schedule>",
    NBSP " " NBSP " " NBSP " " NBSP " <NameSpace>qbo.Heartbeat.Plugins</NameSpace>",
    NBSP " " NBSP " " NBSP " " NBSP " <AssemblyFile>x.so</AssemblyFile>",
    NBSP " " NBSP " " NBSP " " NBSP " <CacheDuration>5</CacheDuration>",
    NBSP " " NBSP " " NBSP " </HeartbeatAssembly>",
    "</checks>",
};

/* Write the seed blocks inside a minimal config, with line n (1-based,
 * of the seed lines; 0: none) replaced by repl.  Returns the path. */
static const char *write_cfg(const char *name, size_t n, const char *repl)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", t_tmpdir(), name);
    FILE *f = fopen(path, "w");
    if (!f)
        return NULL;
    fputs("<ackbeat name=\"t\" timezone=\"UTC\">\n" NBSP "<state path=\"s.db\"/>\n", f);
    for (size_t i = 0; i < sizeof seed_lines / sizeof seed_lines[0]; i++)
        fprintf(f, "%s\n", i + 1 == n ? repl : seed_lines[i]);
    fputs("</ackbeat>\n", f);
    fclose(f);
    return path;
}

TEST(nbsp_indented_seed_002_loads)
{
    const char *path = write_cfg("nbsp.xml", 0, NULL);
    CHECK(path != NULL);
    ab_buf errs;
    ab_buf_init(&errs, 1 << 16);
    cfg *c = NULL;
    enum ab_err e = cfg_load(path, &c, &errs);
    if (e)
        printf("%s", ab_buf_str(&errs));
    CHECK_OK(e);
    CHECK_INT(cfg_check_count(c), 1);
    const struct cfg_check *k = cfg_check_at(c, 0);
    CHECK_INT(k->kind, CFG_PLUGIN);
    CHECK(k->schedule != NULL);
    /* The window is the seed's: Monday 05:00-20:00 allowed, 00:30-03:00
     * excluded (2026-11-30 is a Monday). */
    ab_time t;
    CHECK_OK(ab_time_parse("2026-11-30T06:00:00Z", &t));
    CHECK(sched_allowed(k->schedule, t, NULL));
    CHECK_OK(ab_time_parse("2026-11-30T21:00:00Z", &t));
    CHECK(!sched_allowed(k->schedule, t, NULL));
    cfg_free(c);
    ab_buf_free(&errs);
}

/* Text where an element belongs: one message that names the file, the
 * line, the element and the text, and nothing vaguer besides. */
TEST(stray_text_is_named_once)
{
    /* Seed line 7 is <Provisions>; it becomes line 9 of the file. */
    const char *path =
        write_cfg("stray.xml", 7, NBSP " <Provisions> Weekdays only" NBSP);
    CHECK(path != NULL);
    ab_buf errs;
    ab_buf_init(&errs, 1 << 16);
    cfg *c = NULL;
    CHECK_INT(cfg_load(path, &c, &errs), AB_ECONFIG);
    CHECK(c == NULL);
    const char *s = ab_buf_str(&errs);
    CHECK_CONTAINS(s, "stray.xml:9: <Provisions>: text \"Weekdays only\" where only "
                      "elements belong");
    CHECK(strstr(s, "Did not expect text") == NULL);
    /* One line of diagnostics, not two. */
    CHECK_INT(strchr(s, '\n') == strrchr(s, '\n'), 1);
    ab_buf_free(&errs);

    /* The same in an element that holds nothing but text is left alone
     * (and so is NBSP inside a value: it is the value's business). */
    path = write_cfg("label.xml", 25, "<Label>" NBSP "Disk" NBSP "</Label>");
    ab_buf_init(&errs, 1 << 16);
    c = NULL;
    enum ab_err e = cfg_load(path, &c, &errs);
    if (e)
        printf("%s", ab_buf_str(&errs));
    CHECK_OK(e);
    cfg_free(c);
    ab_buf_free(&errs);
}
