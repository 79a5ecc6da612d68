/*
 * ab_notify.h - telling the service manager how the daemon is doing
 * (common/ab_notify.c): systemd's notification protocol, READY=1,
 * STATUS=..., WATCHDOG=1, STOPPING=1.
 *
 * The protocol is one datagram of "KEY=value" lines to the AF_UNIX
 * socket named in $NOTIFY_SOCKET (sd_notify(3) documents it as stable and
 * meant to be spoken without libsystemd).  Speaking it here keeps
 * libsystemd, and the compression and crypto libraries it brings, out
 * of a daemon that only ever sends these few lines.
 */
#ifndef AB_NOTIFY_H
#define AB_NOTIFY_H

#include <stdint.h>

/* Send state ("READY=1", several lines allowed): 1 when sent, 0 when
 * there is no $NOTIFY_SOCKET (not run by a service manager), -1 when
 * sending failed (errno says why). */
int ab_notify(const char *state);
/* The same, formatted as printf. */
int ab_notifyf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Does the service manager expect WATCHDOG=1 from this process?  1 with
 * *usec its timeout ($WATCHDOG_USEC, for $WATCHDOG_PID if that is set),
 * else 0. */
int ab_notify_watchdog(uint64_t *usec);

#endif
