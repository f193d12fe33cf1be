/* Telling the service manager about the daemon's life: ready, stopping, a status line, the watchdog (systemd's notify protocol). */
#include "service_notify.h"

#include <stdarg.h>
#include <stdio.h>

static void watchdog_ping(struct loop *loop, void *data);

#ifdef QD_WITH_SYSTEMD
#include <systemd/sd-daemon.h>

static uint64_t watchdog_interval_ms(void)
{
	uint64_t usec = 0;
	/* 0 keeps WATCHDOG_USEC in the environment; the heuristics children never see it (they get a clean one). */
	if (sd_watchdog_enabled(0, &usec) <= 0)
		return 0;
	return usec / 1000;
}

static void watchdog_send(void)
{
	sd_notify(0, "WATCHDOG=1");
}

void service_notify_ready(void)
{
	sd_notify(0, "READY=1");
}

void service_notify_stopping(void)
{
	sd_notify(0, "STOPPING=1");
}

void service_notify_status(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n >= 0)
		sd_notifyf(0, "STATUS=%s", line);
}

#else

static uint64_t watchdog_interval_ms(void)
{
	return 0;
}

static void watchdog_send(void)
{
}

void service_notify_ready(void)
{
}

void service_notify_stopping(void)
{
}

void service_notify_status(const char *fmt, ...)
{
	(void)fmt;
}

#endif

static void watchdog_ping(struct loop *loop, void *data)
{
	struct service_watchdog *w = data;
	watchdog_send();
	w->pings++;
	loop_timer_start(loop, &w->timer, w->interval_ms / 2 > 0 ? w->interval_ms / 2 : 1);
}

void service_watchdog_start(struct service_watchdog *w, struct loop *loop)
{
	w->loop = loop;
	w->pings = 0;
	loop_timer_init(&w->timer, watchdog_ping, w);
	w->interval_ms = watchdog_interval_ms();
	if (w->interval_ms > 0)
		watchdog_ping(loop, w);
}

void service_watchdog_stop(struct service_watchdog *w)
{
	if (w->loop != NULL)
		loop_timer_stop(w->loop, &w->timer);
}
