/* Model net's connection to qnetd: non-blocking connect over the resolved addresses, framing, send queue, TLS after STARTTLS (doc/qdevice-state-machine.md §6, doc/tls.md §3). */
#ifndef QD_QDEVICE_NET_TRANSPORT_H
#define QD_QDEVICE_NET_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "loop.h"
#include "sendq.h"
#include "qdevice_net.h"

struct PRFileDesc;
struct addrinfo;

struct qdevice_net_transport {
	struct loop *loop;
	struct qdevice_net *net;                /* the state machine events go to */
	const char *host;
	uint16_t port;
	int force_ip_version;
	const char *qnetd_cn;                   /* expected server certificate name */
	const char *client_cert_nickname;
	size_t max_send_buffers;

	int fd;                                 /* -1 when closed */
	bool connecting;                        /* non-blocking connect in progress */
	struct addrinfo *addrs;                 /* resolution result, walked on connect failures */
	struct addrinfo *next_addr;
	struct PRFileDesc *tls;                 /* non-NULL once STARTTLS has been written */
	bool client_cert_sent;

	struct sendq out;                       /* bounded by max_send_buffers */

	struct frame_reader frame;              /* the message being read (common/frame.h) */
};

void qdevice_net_transport_init(struct qdevice_net_transport *t, struct loop *loop, struct qdevice_net *net);
/* Resolves the host and starts connecting; the state machine learns the outcome. */
void qdevice_net_transport_connect(struct qdevice_net_transport *t);
/* The io->send of the state machine: encodes with the current limit and queues. */
int qdevice_net_transport_send(struct qdevice_net_transport *t, const struct msg *m);
/* The state machine queued something outside a socket event (a timer, votequorum): write it now. */
void qdevice_net_transport_kick(struct qdevice_net_transport *t);
/* Closes the socket and drops every queued or partly read message. */
void qdevice_net_transport_close(struct qdevice_net_transport *t);
void qdevice_net_transport_destroy(struct qdevice_net_transport *t);

#endif
