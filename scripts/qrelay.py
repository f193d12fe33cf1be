#!/usr/bin/env python3
# TCP relay between corosync-qdevice and corosync-qnetd that records every framed protocol message as hex.
"""qrelay: forward 127.0.0.1:LISTEN_PORT -> 127.0.0.1:TARGET_PORT and log messages.

Output format (one line each, flushed immediately):

    # comment
    = connection N          start of (or switch back to) connection N
    > HEX                   one complete client->server message (header included)
    < HEX                   one complete server->client message
    ! HEX                   bytes of an incomplete message left when the connection closed

A message is framed by its 6-byte header: u16 type, u32 payload length (big
endian); the message is 6 + length bytes long.
"""

import argparse
import os
import select
import signal
import socket
import struct
import sys
import time

HEADER_LEN = 6


class Recorder:
    """Writes the capture file; remembers which connection the last line belonged to."""

    def __init__(self, path):
        self.out = open(path, "w", encoding="ascii")
        self.current = None

    def comment(self, text):
        for line in text.splitlines() or [""]:
            self.out.write("# " + line + "\n" if line else "#\n")
        self.out.flush()

    def start(self, conn_id):
        self.out.write("= connection %d\n" % conn_id)
        self.current = conn_id
        self.out.flush()

    def record(self, conn_id, marker, data):
        if self.current != conn_id:
            self.start(conn_id)
        self.out.write("%s %s\n" % (marker, data.hex()))
        self.out.flush()

    def close(self):
        self.out.flush()
        os.fsync(self.out.fileno())
        self.out.close()


class Direction:
    """Byte stream in one direction of one connection, cut into messages."""

    def __init__(self, marker):
        self.marker = marker
        self.pending = bytearray()

    def feed(self, data):
        """Adds bytes and returns the list of messages completed by them."""
        self.pending += data
        done = []
        while len(self.pending) >= HEADER_LEN:
            (length,) = struct.unpack_from(">I", self.pending, 2)
            total = HEADER_LEN + length
            if len(self.pending) < total:
                break
            done.append(bytes(self.pending[:total]))
            del self.pending[:total]
        return done


class Connection:
    def __init__(self, conn_id, client, server):
        self.conn_id = conn_id
        self.client = client
        self.server = server
        self.to_server = Direction(">")
        self.to_client = Direction("<")


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("listen_port", type=int, help="port to listen on (127.0.0.1)")
    p.add_argument("target_port", type=int, help="port to connect to (127.0.0.1)")
    p.add_argument("output", help="capture file to write")
    p.add_argument("--comment", action="append", default=[],
                   help="comment line written at the top of the file (repeatable)")
    p.add_argument("--max-seconds", type=float, default=600.0,
                   help="exit after this many seconds (default 600)")
    p.add_argument("--connect-timeout", type=float, default=3.0,
                   help="timeout for connecting to the target (default 3)")
    return p.parse_args(argv)


def main(argv):
    args = parse_args(argv)

    # The handler only notes the signal; the wake-up pipe makes select() return at once,
    # so a line is never cut in half and the loop ends at a clean point.
    stop = []
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)

    def on_signal(signum, _frame):
        stop.append(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    rec = Recorder(args.output)
    for c in args.comment:
        rec.comment(c)

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", args.listen_port))
    listener.listen(8)

    deadline = time.monotonic() + args.max_seconds
    conns = []
    next_id = 1
    reason = "max-seconds reached"

    def close_conn(conn, why):
        for d in (conn.to_server, conn.to_client):
            if d.pending:
                rec.record(conn.conn_id, "!", bytes(d.pending))
                d.pending.clear()
        rec.comment("connection %d closed: %s" % (conn.conn_id, why))
        for s in (conn.client, conn.server):
            try:
                s.close()
            except OSError:
                pass
        conns.remove(conn)

    try:
        while True:
            if stop:
                reason = "stopped by " + stop[0]
                break
            left = deadline - time.monotonic()
            if left <= 0:
                break
            watch = [listener, wake_r]
            for c in conns:
                watch += [c.client, c.server]
            readable, _, _ = select.select(watch, [], [], min(left, 1.0))
            for sock in readable:
                if sock is wake_r:
                    try:
                        os.read(wake_r, 64)
                    except BlockingIOError:
                        pass
                    continue
                if stop:
                    break
                if sock is listener:
                    client, _addr = listener.accept()
                    try:
                        server = socket.create_connection(("127.0.0.1", args.target_port),
                                                          timeout=args.connect_timeout)
                        server.settimeout(None)
                    except OSError as e:
                        rec.comment("accepted a client but could not reach port %d (%s); "
                                    "client closed" % (args.target_port, e))
                        client.close()
                        continue
                    conn = Connection(next_id, client, server)
                    next_id += 1
                    conns.append(conn)
                    rec.start(conn.conn_id)
                    continue
                conn = next((c for c in conns if sock is c.client or sock is c.server), None)
                if conn is None:
                    continue  # closed earlier in this round
                if sock is conn.client:
                    direction, peer, who = conn.to_server, conn.server, "client"
                else:
                    direction, peer, who = conn.to_client, conn.client, "server"
                try:
                    data = sock.recv(65536)
                except OSError as e:
                    close_conn(conn, "%s read error: %s" % (who, e))
                    continue
                if not data:
                    close_conn(conn, "closed by %s" % who)
                    continue
                for msg in direction.feed(data):
                    rec.record(conn.conn_id, direction.marker, msg)
                try:
                    peer.sendall(data)
                except OSError as e:
                    close_conn(conn, "write to %s failed: %s" %
                               ("server" if who == "client" else "client", e))
    finally:
        for c in list(conns):
            close_conn(c, "relay exiting")
        listener.close()
        rec.comment("relay exit: " + reason)
        rec.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
