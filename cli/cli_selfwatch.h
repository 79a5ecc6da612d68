/*
 * cli_selfwatch.h - who watches the watcher (cli/ private): the daemon pings
 * an outside URL on every tick, so that a dead-man's switch elsewhere
 * notices when ackbeat stops, and mails an admin a daily "still alive"
 * of its own, so that a silent ackbeat is itself a signal.
 * Configured by <watchdog ping-url=... admin=... daily="HH:MM"/>.
 */
#ifndef AB_CLI_SELFWATCH_H
#define AB_CLI_SELFWATCH_H

#include "common/ab_time.h"
#include "config/cfg.h"
#include "engine/eng.h"

struct cli_selfwatch;

/* A watcher (never NULL unless out of memory); started is the daemon's
 * start time, for the uptime in the daily message. */
struct cli_selfwatch *cli_selfwatch_new(ab_time started);
void cli_selfwatch_free(struct cli_selfwatch *w); /* NULL: no-op */

/*
 * Once per tick, before the engine's tick (so that the daily message is
 * sent by that tick's drain): ping the URL if one is configured (a
 * failure is logged, once per outage, and nothing else; no ping while
 * the engine finds its state database unreachable), and have the
 * engine queue the daily message when its time has come and it is not in
 * the outbox yet (eng_selfwatch_daily).  c is the current model (it may
 * change between calls, on reload); e is the daemon's engine, on c.
 */
void cli_selfwatch_tick(struct cli_selfwatch *w, const cfg *c, eng *e, ab_time now);

#endif
