"""Hostile WebSocket traffic: binary, fragmented and oversized frames, garbage after the upgrade.
The node closes what it must and keeps serving everyone else."""
import base64
import os
import socket as net

from sockets import Socket


def handshake(token, path="/ws", upgrade="websocket", connection="Upgrade", version="13", key="random"):
    """A client's upgrade request; a header given as None is left out."""
    if key == "random":
        key = base64.b64encode(os.urandom(16)).decode()
    headers = {"Host": "x", "Upgrade": upgrade, "Connection": connection,
               "Sec-WebSocket-Key": key, "Sec-WebSocket-Version": version}
    lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items() if value is not None)
    return f"GET {path}?token={token} HTTP/1.1\r\n{lines}\r\n".encode()


def send_raw(node, request):
    """Sends `request` on a new connection; returns the connection and the response head."""
    connection = net.create_connection(("127.0.0.1", node.port), timeout=5)
    connection.sendall(request)
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = connection.recv(1024)
        assert chunk, f"closed without a response, after {head!r}"
        head += chunk
    return connection, head


def raw_upgrade(node, token):
    connection, head = send_raw(node, handshake(token))
    assert head.startswith(b"HTTP/1.1 101"), head
    return connection


def frame(opcode, payload, fin=True):
    """A masked client frame."""
    mask = os.urandom(4)
    header = bytes([(0x80 if fin else 0) | opcode])
    length = len(payload)
    if length < 126:
        header += bytes([0x80 | length])
    elif length < 65536:
        header += bytes([0x80 | 126]) + length.to_bytes(2, "big")
    else:
        header += bytes([0x80 | 127]) + length.to_bytes(8, "big")
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def read_until_closed(connection):
    data = b""
    try:
        while chunk := connection.recv(65536):
            data += chunk
    except (ConnectionResetError, TimeoutError):
        pass
    return data


def close_code(data):
    """The code of the first close frame the server sent (frames are unmasked)."""
    index = 0
    while index + 2 <= len(data):
        opcode, length = data[index] & 0x0F, data[index + 1] & 0x7F
        offset = index + 2
        if length == 126:
            length, offset = int.from_bytes(data[offset:offset + 2], "big"), offset + 2
        if opcode == 0x8:
            return int.from_bytes(data[offset:offset + 2], "big")
        index = offset + length
    return None


def test_hostile_frames_close_only_their_own_socket(cluster):
    a, _ = cluster
    bystander_account = a.sign_up()
    bystander = Socket(a.ws, a.login(bystander_account))
    assert bystander.is_open()

    account = a.sign_up()
    token = a.login(account)
    oversized = raw_upgrade(a, token)
    oversized.sendall(frame(0x2, os.urandom(5000)))
    assert close_code(read_until_closed(oversized)) == 1009

    fragmented = raw_upgrade(a, token)
    fragmented.sendall(frame(0x1, b"a" * 3000, fin=False) + frame(0x0, b"a" * 3000))
    assert close_code(read_until_closed(fragmented)) == 1009

    garbage = raw_upgrade(a, token)
    garbage.sendall(os.urandom(4096))
    read_until_closed(garbage)  # the server hangs up; what it says first does not matter

    binary = Socket(a.ws, a.login(account))
    binary.connection.send(os.urandom(100))
    binary.connection.send("不是 JSON".encode().decode())
    assert binary.is_open()

    assert bystander.is_open()
    assert a.get("/")[0] == 200


def test_handshakes_missing_what_rfc_6455_requires_get_400_and_the_node_keeps_serving(cluster):
    a, _ = cluster
    token = a.login(a.sign_up())
    trailing = os.urandom(64)  # bytes after the request, as a client that does not wait would send
    for what, request in [
        ("no key", handshake(token, key=None)),
        ("another version", handshake(token, version="8")),
        ("no Connection: upgrade", handshake(token, connection=None)),
        ("another path", handshake(token, path="/elsewhere")),
    ]:
        connection, head = send_raw(a, request + trailing)
        assert head.startswith(b"HTTP/1.1 400"), (what, head)
        read_until_closed(connection)  # and it hangs up
    # The key of RFC 6455's example gets its answer, and bytes sent before reading it do no harm.
    connection, head = send_raw(a, handshake(token, key="dGhlIHNhbXBsZSBub25jZQ==") + frame(0x9, b"early"))
    assert head.startswith(b"HTTP/1.1 101"), head
    assert b"\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" in head, head
    connection.sendall(frame(0x9, b"later"))
    answered = b""
    while b"later" not in answered:  # the ping sent after the 101 is answered
        chunk = connection.recv(1024)
        assert chunk, answered
        answered += chunk
    assert Socket(a.ws, a.login(a.sign_up())).is_open()
    assert a.get("/")[0] == 200
