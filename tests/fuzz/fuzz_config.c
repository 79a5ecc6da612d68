// fuzz-sources: config/*.c schedules/*.c common/*.c build/fuzz/ackbeat_rng.c
// fuzz-pkgs: libxml-2.0 libical libcrypto
/*
 * fuzz_config.c - libFuzzer target for the config loader: cfg_load() on
 * arbitrary bytes, so the XML parse, the RelaxNG validation and every
 * builder (durations, schedules, windows, recipients, references between
 * names, error reporting by line) see hostile input.  A config is the
 * one input an operator writes by hand, so a typo must give a message,
 * never a crash.
 *
 * cfg_load() reads a path, so each input is written to one file in a
 * private temporary folder (relative paths in the config resolve there;
 * the folder also holds a small calendar and a password file that seeds
 * may refer to).  A loaded model is also summarised and walked, so that
 * code reading the model runs on whatever the loader accepted.
 */
// Build and run by hand (tests/fuzz/run does the same from the lines above;
// `make fuzz` first generates build/fuzz/ackbeat_rng.c, the embedded schema):
//   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c17 -I. -D_GNU_SOURCE \
//       $(pkg-config --cflags libxml-2.0 libical) tests/fuzz/fuzz_config.c \
//       config/*.c schedules/*.c common/*.c build/fuzz/ackbeat_rng.c \
//       $(pkg-config --libs libxml-2.0 libical) -o build/fuzz/fuzz_config
//   build/fuzz/fuzz_config -max_total_time=60 -dict=tests/fuzz/fuzz_config.dict \
//       tests/fuzz/corpus/config
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "common/ab_buf.h"
#include "config/cfg.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];
static char path[96];

static void put(const char *name, const char *text)
{
    char p[128];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void cleanup(void)
{
    static const char *const names[] = {"ackbeat.xml", "downtime.ics", "pass"};
    char p[128];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        unlink(p);
    }
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    xmlInitParser();
    snprintf(dir, sizeof dir, "/tmp/fuzz_config.XXXXXX");
    if (!mkdtemp(dir))
        abort();
    snprintf(path, sizeof path, "%s/ackbeat.xml", dir);
    put("downtime.ics", "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//fuzz//EN\r\n"
                        "BEGIN:VEVENT\r\nUID:1@fuzz\r\nDTSTAMP:20260101T000000Z\r\n"
                        "DTSTART:20260301T020000Z\r\nDTEND:20260301T040000Z\r\n"
                        "SUMMARY:window\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");
    put("pass", "secret\n");
    atexit(cleanup);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "w");
    if (!f)
        abort();
    if (size && fwrite(data, 1, size, f) != size)
        abort();
    fclose(f);

    cfg *c = NULL;
    ab_buf errors;
    ab_buf_init(&errors, 1 << 20);
    if (cfg_load(path, &c, &errors) == AB_OK) {
        char sum[512];
        cfg_summary(c, sum, sizeof sum);
        for (size_t i = 0; i < cfg_check_count(c); i++) {
            const struct cfg_check *k = cfg_check_at(c, i);
            (void)cfg_check_find(c, k->name);
            (void)cfg_in_maintenance(c, k, (ab_time)1772962200, sum, sizeof sum);
        }
        for (size_t i = 0; i < cfg_person_count(c); i++)
            (void)cfg_person_by_email(c, cfg_person_at(c, i)->email);
    } else if (errors.len == 0) {
        /* Every refusal must say why. */
        abort();
    }
    cfg_free(c);
    ab_buf_free(&errors);
    return 0;
}
