"""Hostile WebSocket traffic: binary, fragmented and oversized frames, garbage after the upgrade.
The node closes what it must and keeps serving everyone else."""
import base64
import os
import socket as net

from sockets import Socket


def raw_upgrade(node, token):
    connection = net.create_connection(("127.0.0.1", node.port), timeout=5)
    key = base64.b64encode(os.urandom(16)).decode()
    connection.sendall((f"GET /ws?token={token} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += connection.recv(1024)
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
