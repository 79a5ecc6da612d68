/*
 * harness.c - runs the registered tests of one binary.
 *
 * Usage: test_NAME [-v] [FILTER]   runs the tests whose name contains FILTER.
 * Tests run in registration order in one process; a failing CHECK returns
 * from the test function, so later tests still run.
 */
#include "harness.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_TESTS 1024

static struct {
    const char *name;
    t_fn fn;
} tests[MAX_TESTS];
static int ntests;
static int cur_failed;
static int cur_skipped;
static char tmpdir[256];
static char datapath[4096];

void t_register(const char *name, t_fn fn)
{
    if (ntests == MAX_TESTS) {
        fprintf(stderr, "harness: more than %d tests\n", MAX_TESTS);
        exit(2);
    }
    tests[ntests].name = name;
    tests[ntests].fn = fn;
    ntests++;
}

void t_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stdout, "    %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    cur_failed = 1;
}

int t_failed(void)
{
    return cur_failed;
}

void t_skip(const char *fmt, ...)
{
    va_list ap;
    fprintf(stdout, "    skipped: ");
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    cur_skipped = 1;
}

static void rm_tmpdir(void)
{
    if (tmpdir[0] && !getenv("T_KEEP")) {
        char cmd[512];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            fprintf(stderr, "harness: could not remove %s\n", tmpdir);
    }
}

const char *t_tmpdir(void)
{
    if (!tmpdir[0]) {
        snprintf(tmpdir, sizeof tmpdir, "/tmp/ackbeat-test.XXXXXX");
        if (!mkdtemp(tmpdir)) {
            perror("mkdtemp");
            exit(2);
        }
        atexit(rm_tmpdir);
    }
    return tmpdir;
}

const char *t_data(const char *rel)
{
    const char *root = getenv("AB_SRCDIR");
    snprintf(datapath, sizeof datapath, "%s/tests/data/%s", root ? root : ".", rel);
    return datapath;
}

int main(int argc, char **argv)
{
    const char *filter = NULL;
    int verbose = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-v") == 0)
            verbose = 1;
        else
            filter = argv[i];
    }
    const char *prog = strrchr(argv[0], '/');
    prog = prog ? prog + 1 : argv[0];
    if (strncmp(prog, "test_", 5) == 0)
        prog += 5;

    int passed = 0, failed = 0, skipped = 0;
    for (int i = 0; i < ntests; i++) {
        if (filter && !strstr(tests[i].name, filter))
            continue;
        cur_failed = 0;
        cur_skipped = 0;
        fflush(stdout);
        tests[i].fn();
        if (cur_skipped && !cur_failed) {
            skipped++;
            printf("skip %s.%s\n", prog, tests[i].name);
        } else if (cur_failed) {
            failed++;
            printf("FAIL %s.%s\n", prog, tests[i].name);
        } else {
            passed++;
            if (verbose)
                printf("ok   %s.%s\n", prog, tests[i].name);
        }
    }
    if (skipped)
        printf("%s: %d passed, %d failed, %d skipped\n", prog, passed, failed, skipped);
    else
        printf("%s: %d passed, %d failed\n", prog, passed, failed);
    return failed ? 1 : 0;
}
