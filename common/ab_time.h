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

/* ---- for people (common/ab_time_human.c) ------------------------------- */

/*
 * What a person reads, as opposed to what a program parses.  zone is an
 * IANA name ("America/Chicago"); NULL, "" and "UTC" mean UTC.  An unknown
 * zone falls back to UTC (the config validated it; a view must not fail
 * for it).  Each returns buf.
 */
#define AB_HUMAN_LEN 80 /* room for any of the outputs below */

/* "Sunday 8 November 2026, 08:00 CST": mail, and any sentence. */
char *ab_time_human(ab_time t, const char *zone, char *buf, size_t len);
/* "Sun 8 Nov 2026 08:00 CST": table columns (status, acks, alerts). */
char *ab_time_human_short(ab_time t, const char *zone, char *buf, size_t len);
/* The zone's offset from UTC at t, in seconds east, and its abbreviation
 * ("CST", "CEST"; "UTC+05:30" when the zone has only a number). */
int32_t ab_zone_offset(const char *zone, ab_time t, char *abbr, size_t abbrlen);

/* "3 days 4 hours", "1 day", "45 minutes", "10 seconds": the two largest
 * units, for people (ab_duration_format is the exact, parseable form). */
char *ab_duration_human(int64_t secs, char *buf, size_t len);
/* "1,009,800", "1,234.5", "-3": grouped digits, never an exponent for
 * numbers below 1e15; a fraction keeps at most 3 decimals. */
char *ab_number_human(double v, char *buf, size_t len);

#endif
