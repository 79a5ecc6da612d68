/*
 * store_silences.h - silences and pauses (store/store_silences.c).
 */
#ifndef AB_STORE_SILENCES_H
#define AB_STORE_SILENCES_H

#include <stddef.h>
#include <stdint.h>

#include "common/ab_err.h"
#include "common/ab_time.h"
#include "store/store.h"

/*
 * A silence matches alerts by check name (a glob), item and tag; each
 * matcher NULL matches anything.  It is active from starts until ends,
 * or until expired (set by `silence expire`). */
struct store_silence {
    int64_t id;
    char *check_glob, *item, *tag; /* NULL: any */
    ab_time starts, ends, created, expired; /* expired: AB_TIME_NONE unless */
    char *created_by, *comment;    /* comment may be NULL */
};
void store_silences_free(struct store_silence *v, size_t n);
enum ab_err store_silence_add(store *st, const struct store_silence *s, int64_t *id,
                              ab_errmsg *em) AB_MUST_CHECK;
/* Silences not yet ended or expired at now (all: every one), by id. */
enum ab_err store_silence_list(store *st, int all, ab_time now, struct store_silence **out,
                               size_t *n, ab_errmsg *em) AB_MUST_CHECK;
/* End one now; AB_ENOTFOUND if there is no such silence still running. */
enum ab_err store_silence_expire(store *st, int64_t id, ab_time now,
                                 ab_errmsg *em) AB_MUST_CHECK;

struct store_pause {
    char *check;
    ab_time until;  /* AB_TIME_NONE: until resumed */
    char *by, *note;
    ab_time at;
};
void store_pauses_free(struct store_pause *v, size_t n);
/* Pause check (replacing an earlier pause), or resume it (AB_ENOTFOUND
 * if it was not paused). */
enum ab_err store_pause_set(store *st, const char *check, ab_time until, const char *by,
                            const char *note, ab_time now, ab_errmsg *em) AB_MUST_CHECK;
enum ab_err store_pause_clear(store *st, const char *check, ab_errmsg *em) AB_MUST_CHECK;
/* Every pause still in force at now. */
enum ab_err store_pause_list(store *st, ab_time now, struct store_pause **out, size_t *n,
                             ab_errmsg *em) AB_MUST_CHECK;

#endif
