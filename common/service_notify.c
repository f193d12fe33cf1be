/* Telling the service manager about the daemon's life: ready, stopping, a status line (systemd's notify protocol). */
#include "service_notify.h"

#include <stdarg.h>
#include <stdio.h>

#ifdef QD_WITH_SYSTEMD
#include <systemd/sd-daemon.h>

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
