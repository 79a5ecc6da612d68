// fuzz-sources: schedules/*.c common/*.c
// fuzz-pkgs: libical
/*
 * fuzz_sched.c - libFuzzer target for the schedule parsers: the first
 * byte picks one, the rest is its text.  Whatever parses is then asked for
 * one next fire time (and, for windows and calendars, whether an instant is
 * allowed), so the search code runs on fuzzed rules too.
 *
 *   0 window "Day|Start|End"    1 RRULE             2 cron
 *   3 duration (every)          4 time zone         5 .ics calendar
 *   6 RRULE "rule|dtstart"      7 EXDATE on a daily RRULE
 */
// Build and run by hand (tests/fuzz/run does the same from the lines above):
//   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. -D_GNU_SOURCE \
//       $(pkg-config --cflags libical) tests/fuzz/fuzz_sched.c schedules/*.c \
//       common/*.c $(pkg-config --libs libical) -o build/fuzz_sched
//   build/fuzz_sched -max_total_time=60 tests/fuzz/corpus/sched
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/ab_time.h"
#include "schedules/sched.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 2026-03-08T09:30:00Z: minutes before a DST change in Los Angeles. */
#define FUZZ_NOW ((ab_time)1772962200)

static void probe(sched *s)
{
    ab_time nx;
    struct sched_why why;
    char buf[64];
    if (sched_next(s, FUZZ_NOW, &nx) == AB_OK)
        sched_format_local(s, nx, buf, sizeof buf);
    (void)sched_allowed(s, FUZZ_NOW, &why);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 4096)
        return 0;
    char *text = malloc(size);
    if (!text)
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    ab_errmsg em;
    sched *s = sched_new();
    if (!s || sched_set_zone(s, "America/Los_Angeles", &em) != AB_OK)
        goto out;

    switch (data[0] % 8) {
    case 0: { /* window */
        char *start = strchr(text, '|');
        char *end = start ? strchr(start + 1, '|') : NULL;
        if (!end)
            break;
        *start++ = '\0';
        *end++ = '\0';
        sched_window *w = sched_window_new("fuzz");
        if (w && sched_window_add(w, SCHED_PROVISION, text, start, end, &em) ==
                     AB_OK &&
            sched_window_add(w, SCHED_EXCLUSION, text, end, start, &em) ==
                AB_OK &&
            sched_set_every(s, 3600, &em) == AB_OK) {
            sched_set_window(s, w);
            sched_set_on_blocked(s, SCHED_DEFER);
            probe(s);
        }
        sched_window_free(w);
        break;
    }
    case 1:
        if (sched_set_rrule(s, text, NULL, &em) == AB_OK)
            probe(s);
        break;
    case 2:
        if (sched_set_cron(s, text, &em) == AB_OK)
            probe(s);
        break;
    case 3: {
        int64_t secs;
        if (ab_duration_parse(text, &secs) == AB_OK &&
            sched_set_every(s, secs, &em) == AB_OK)
            probe(s);
        break;
    }
    case 4:
        if (sched_set_zone(s, text, &em) == AB_OK &&
            sched_set_cron(s, "*/30 2 * * *", &em) == AB_OK)
            probe(s);
        break;
    case 5: {
        sched_calendar *c = sched_calendar_parse("fuzz.ics", (const char *)data + 1,
                                                 size - 1, &em);
        if (c && sched_add_maintenance(s, c) == AB_OK &&
            sched_set_every(s, 600, &em) == AB_OK) {
            struct sched_maint m;
            (void)sched_in_maintenance(s, FUZZ_NOW, &m);
            probe(s);
        }
        sched_calendar_free(c);
        break;
    }
    case 6: {
        char *dt = strchr(text, '|');
        if (dt)
            *dt++ = '\0';
        if (sched_set_rrule(s, text, dt, &em) == AB_OK)
            probe(s);
        break;
    }
    case 7:
        if (sched_set_rrule(s, "FREQ=DAILY;BYHOUR=2;BYMINUTE=30", NULL, &em) ==
                AB_OK &&
            sched_add_exdate(s, text, &em) == AB_OK)
            probe(s);
        break;
    }
out:
    sched_free(s);
    free(text);
    return 0;
}
