/* Telling the service manager about the daemon's life: ready, stopping, a status line (systemd's notify protocol). */
#ifndef QD_SERVICE_NOTIFY_H
#define QD_SERVICE_NOTIFY_H

/*
 * Built with QD_WITH_SYSTEMD (the default) these go to systemd through libsystemd, for units of
 * Type=notify; without it (an arbiter built for a system without systemd) they do nothing.
 * Outside a notify-type unit they do nothing either way.
 */
void service_notify_ready(void);
void service_notify_stopping(void);
/* A one-line STATUS= for "systemctl status"; printf-style. */
void service_notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
