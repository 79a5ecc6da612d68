/*
 * ab_time.h - instants and durations as plain integers.
 *
 * An instant is an ab_time: whole seconds since the Unix epoch, UTC.  The
 * state database stores instants as ISO 8601 UTC text ("2026-12-01T08:00:00Z")
 * so that a person can read it with the sqlite3 shell.  Only cli/ reads the
 * clock; everything else is handed "now".
 */
#ifndef AB_TIME_H
#define AB_TIME_H

#include <stddef.h>
#include <stdint.h>

#include "ab_err.h"

typedef int64_t ab_time;

#define AB_TIME_NONE INT64_MIN /* "never" / "unset" */
#define AB_ISO_LEN 32          /* room for any ab_time_format() output */

/*
 * Parse ISO 8601 / RFC 3339: "2026-12-01T08:00:00Z", "...+02:00",
 * "2026-12-01 08:00:00" (space allowed), fractional seconds ignored,
 * "2026-12-01" (midnight).  A time without Z or offset is taken as UTC.
 * Returns AB_EPARSE for anything else, including out-of-range fields.
 */
enum ab_err ab_time_parse(const char *s, ab_time *out) AB_MUST_CHECK;

/* Format as "YYYY-MM-DDTHH:MM:SSZ" into buf (at least AB_ISO_LEN). */
char *ab_time_format(ab_time t, char *buf, size_t len);

/*
 * Durations: "90s", "15m", "2h", "30d", "1w", and sums such as "1h30m".
 * A bare number is rejected (ambiguous); callers that must accept the
 * seed's unitless CacheDuration decide its unit themselves.
 */
enum ab_err ab_duration_parse(const char *s, int64_t *secs) AB_MUST_CHECK;
/* Shortest exact form: 86400 -> "1d", 5400 -> "1h30m", 0 -> "0s". */
char *ab_duration_format(int64_t secs, char *buf, size_t len);

/* Days since 1970-01-01 for a proleptic Gregorian date, and back. */
int64_t ab_days_from_civil(int64_t y, unsigned m, unsigned d);
void ab_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

#endif
