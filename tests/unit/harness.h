/*
 * harness.h - the unit-test harness: TEST() registers a function, the
 * CHECK macros record a failure with file and line and end the test.
 *
 * Each tests/unit/test_NAME.c becomes one binary; its last line of output
 * is "NAME: N passed, N failed", which tests/run-all adds up.
 *
 *   TEST(parses_zulu) {
 *       ab_time t;
 *       CHECK_OK(ab_time_parse("2026-12-01T08:00:00Z", &t));
 *       CHECK_INT(t, 1796112000);
 *   }
 */
#ifndef AB_HARNESS_H
#define AB_HARNESS_H

#include <stdint.h>
#include <string.h>

#include "common/ab_err.h"

typedef void (*t_fn)(void);
void t_register(const char *name, t_fn fn);
void t_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int t_failed(void); /* has the current test failed yet? */
/* Mark the current test skipped (it must then return): counted apart
 * from passes, with the reason printed. */
void t_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A scratch directory for this test binary, removed at exit. */
const char *t_tmpdir(void);
/* Path of a file under tests/data (the source tree's test data). */
const char *t_data(const char *rel);

#define TEST(name)                                                   \
    static void name(void);                                          \
    __attribute__((constructor)) static void t_reg_##name(void)      \
    {                                                                \
        t_register(#name, name);                                     \
    }                                                                \
    static void name(void)

/* Skip the rest of this test, e.g. when a server it needs is absent. */
#define SKIP(...)                                                    \
    do {                                                             \
        t_skip(__VA_ARGS__);                                         \
        return;                                                      \
    } while (0)

#define CHECK(cond)                                                  \
    do {                                                             \
        if (!(cond)) {                                               \
            t_fail(__FILE__, __LINE__, "%s", #cond);                 \
            return;                                                  \
        }                                                            \
    } while (0)

#define CHECK_INT(a, b)                                              \
    do {                                                             \
        long long t_a_ = (long long)(a), t_b_ = (long long)(b);      \
        if (t_a_ != t_b_) {                                          \
            t_fail(__FILE__, __LINE__, "%s == %lld, expected %lld",  \
                   #a, t_a_, t_b_);                                  \
            return;                                                  \
        }                                                            \
    } while (0)

#define CHECK_STR(a, b)                                              \
    do {                                                             \
        const char *t_a_ = (a), *t_b_ = (b);                         \
        if (!t_a_ || !t_b_ || strcmp(t_a_, t_b_) != 0) {             \
            t_fail(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", \
                   #a, t_a_ ? t_a_ : "(null)", t_b_ ? t_b_ : "(null)"); \
            return;                                                  \
        }                                                            \
    } while (0)

#define CHECK_CONTAINS(hay, needle)                                  \
    do {                                                             \
        const char *t_h_ = (hay), *t_n_ = (needle);                  \
        if (!t_h_ || !strstr(t_h_, t_n_)) {                          \
            t_fail(__FILE__, __LINE__, "%s does not contain \"%s\": \"%s\"", \
                   #hay, t_n_, t_h_ ? t_h_ : "(null)");              \
            return;                                                  \
        }                                                            \
    } while (0)

/* An enum ab_err call expected to succeed. */
#define CHECK_OK(call)                                               \
    do {                                                             \
        int t_e_ = (int)(call);                                      \
        if (t_e_ != 0) {                                             \
            t_fail(__FILE__, __LINE__, "%s returned %d (last error: %s)", \
                   #call, t_e_, ab_last_fail());                     \
            return;                                                  \
        }                                                            \
    } while (0)

#endif
