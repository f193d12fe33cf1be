/* Telling the service manager about the daemon's life: ready, stopping, a status line, the watchdog (systemd's notify protocol). */
#ifndef QD_SERVICE_NOTIFY_H
#define QD_SERVICE_NOTIFY_H

#include <stdint.h>

#include "loop.h"

/*
 * Built with QD_WITH_SYSTEMD (the default) these go to systemd through libsystemd, for units of
 * Type=notify; without it (an arbiter built for a system without systemd) they do nothing.
 * Outside a notify-type unit they do nothing either way.
 */
void service_notify_ready(void);
void service_notify_stopping(void);
/* A one-line STATUS= for "systemctl status"; printf-style. */
void service_notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * systemd's watchdog (WatchdogSec= in the unit): WATCHDOG=1 from a timer of the event loop, at
 * half the interval systemd asks for, so a loop that stops turning is restarted and an idle one is
 * not. Does nothing when the unit sets no watchdog (or in a build without systemd).
 */
struct service_watchdog {
	struct loop *loop;
	struct loop_timer timer;
	uint64_t interval_ms;               /* systemd's; 0 when there is no watchdog */
	uint64_t pings;
};
void service_watchdog_start(struct service_watchdog *w, struct loop *loop);
void service_watchdog_stop(struct service_watchdog *w);

#endif
