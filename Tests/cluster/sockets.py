"""A minimal synchronous WebSocket client view for the tests, on top of the `websockets` package,
and raw TCP helpers for clients that misbehave below what `websockets` lets one do."""
import base64
import json
import os
import select
import socket as net
import time

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect


class Socket:
    """`ack=True` opens an acknowledging socket (docs/api.md §7); `sock` is an already connected TCP
    socket to speak over (a fault proxy's, or one with a small receive buffer)."""

    def __init__(self, url, token=None, headers=None, ack=False, sock=None, max_queue=16):
        query = "&".join(([f"token={token}"] if token is not None else []) + (["ack=1"] if ack else []))
        self.connection = connect(f"{url}?{query}" if query else url, open_timeout=10,
                                  additional_headers=headers, sock=sock, max_queue=max_queue)

    def acknowledge(self, seq):
        self.connection.send(json.dumps({"type": "ack", "seq": seq}))

    def frame(self, timeout=10):
        """The next server frame, parsed."""
        return json.loads(self.connection.recv(timeout=timeout))

    def close_code(self, timeout=10):
        """Waits for the server to close the socket; returns its close code (frames before it are skipped)."""
        try:
            while True:
                self.connection.recv(timeout=timeout)
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None

    def closed_with(self, timeout=10):
        """The `fail` frame and the close code that follows it."""
        frame = self.frame(timeout)
        return frame, self.close_code(timeout)

    def is_open(self, wait=0.5):
        """True when nothing (no frame, no close) arrives within `wait` seconds."""
        try:
            self.connection.recv(timeout=wait)
            return False
        except TimeoutError:
            return True
        except ConnectionClosed:
            return False

    def close(self):
        self.connection.close()


def raw_connection(port, receive_buffer=None, timeout=5, source="127.0.0.1"):
    """A plain TCP connection to a node on 127.0.0.1. `receive_buffer` shrinks the kernel's receive
    buffer (it must be set before connecting), so a client that never reads stops absorbing the
    server's output early. `source` is the client's own address: any of 127.0.0.0/8 works without
    setup, and a node counts every one but 127.0.0.1 (its own host) as a remote client."""
    connection = net.socket(net.AF_INET, net.SOCK_STREAM)
    if receive_buffer is not None:
        connection.setsockopt(net.SOL_SOCKET, net.SO_RCVBUF, receive_buffer)
    connection.settimeout(timeout)
    connection.bind((source, 0))
    connection.connect(("127.0.0.1", port))
    return connection


def websocket_upgrade(connection, token):
    """Upgrades a raw connection to `/ws?token=…`; fails unless the server answers 101."""
    key = base64.b64encode(os.urandom(16)).decode()
    connection.sendall((f"GET /ws?token={token} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = connection.recv(1024)
        assert chunk, f"closed during the upgrade: {head!r}"
        head += chunk
    assert head.startswith(b"HTTP/1.1 101"), head


def masked_frame(opcode, payload, mask=None):
    """One final, masked client frame (payloads under 64 KiB)."""
    mask = mask or os.urandom(4)
    length = len(payload)
    header = bytes([0x80 | opcode]) + (bytes([0x80 | length]) if length < 126 else bytes([0x80 | 126]) + length.to_bytes(2, "big"))
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def http_exchange(connection, request):
    """Sends one HTTP/1.1 request on a raw connection; returns the response head (text) and body.
    Reads exactly the body's Content-Length, so the connection can be kept alive afterwards."""
    connection.sendall(request)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(4096)
        assert chunk, f"closed before the response head: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    head = head.decode("latin-1")
    length = next((int(line.split(":", 1)[1]) for line in head.split("\r\n")[1:]
                   if line.lower().startswith("content-length:")), 0)
    while len(body) < length:
        chunk = connection.recv(4096)
        assert chunk, "closed in the middle of the response body"
        body += chunk
    return head, body


def is_closed_by_peer(connection):
    """Non-blocking check: True once the server has closed (EOF or reset). Whatever it sent before
    closing (a 408, a close frame) is read and dropped."""
    try:
        while select.select([connection], [], [], 0)[0]:
            if not connection.recv(65536):
                return True
        return False
    except (ConnectionResetError, BrokenPipeError):
        return True


def seconds_until_closed(connection, limit):
    """How long the server took to close `connection`, or None if it was still open after `limit` s."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if is_closed_by_peer(connection):
            return time.monotonic() - started
        time.sleep(0.05)
    return None
