"""Hostile clients, round two (issue 16, items 4, 5, 6, 7 and 9), tried from outside against real nodes.

- item 4: the login throttle counts an attempt before checking it, atomically, across nodes;
- item 5: `/login` caps the username before touching Redis, and keys its counter by a hash;
- item 6: a client that floods pings and never reads cannot make the node buffer pongs without bound;
- item 7: slow request heads, idle keep-alive connections and too many connections per address are cut;
- item 9: `X-Real-IP` counts only from `PARLEY_TRUSTED_PROXIES`, and only when it is an IP address.

Every node whose settings matter is spawned with them explicitly, never relying on conftest's defaults.
"""
import http.client
import json
import select
import threading
import time
import uuid
from collections import Counter

import pytest

from conftest import wait_until
from sockets import (Socket, http_exchange, is_closed_by_peer, masked_frame, raw_connection,
                     seconds_until_closed, websocket_upgrade)

LOGIN_LIMIT = 10  # failed attempts per username within 5 minutes (API.md §4)
LIMITED = (429, "rate_limited")
WRONG_PASSWORD = (400, "wrong_password")
MiB = 1024 * 1024


# --- helpers -------------------------------------------------------------------------------------

def unique_username(prefix="h"):
    """A fresh username of 5–20 characters."""
    return prefix + uuid.uuid4().hex[:12]


def login_outcome(node, username, password):
    """(status, code) of one `/login`."""
    status, answer = node.post("/login", {"username": username, "password": password})
    return status, answer.get("code")


def register(node, headers=None):
    """(status, code) of one registration of a fresh account."""
    status, answer = node.post("/reg", {"username": unique_username("r"), "password": "secret123",
                                        "repassword": "secret123"}, headers=headers)
    return status, answer.get("code")


def simultaneous_posts(calls):
    """Sends every (node, path, body) POST at the same moment, each on its own connection opened
    beforehand (so connection setup does not spread the burst); returns the (status, code) answers."""
    barrier = threading.Barrier(len(calls), timeout=30)
    answers = [None] * len(calls)

    def post(index, node, path, body):
        connection = http.client.HTTPConnection("127.0.0.1", node.port, timeout=30)
        connection.connect()
        barrier.wait()
        connection.request("POST", path, json.dumps(body), {"content-type": "application/json"})
        response = connection.getresponse()
        answers[index] = (response.status, json.loads(response.read()).get("code"))
        connection.close()

    threads = [threading.Thread(target=post, args=(index, *call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert None not in answers, "a request of the burst got no answer"
    return answers


def redis_keys(redis):
    return [key for key in redis.cli("--scan").splitlines() if key]


def resident_memory(node):
    """The node's resident set size in bytes (VmRSS)."""
    for line in open(f"/proc/{node.process.pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc status")


def settled_resident_memory(node, limit=10.0):
    """VmRSS once it stopped growing for a second (a node still working through a backlog of input
    grows while it does), or after `limit` seconds."""
    deadline = time.monotonic() + limit
    previous = resident_memory(node)
    while time.monotonic() < deadline:
        time.sleep(1.0)
        current = resident_memory(node)
        if current <= previous:
            return current
        previous = current
    return previous


def flood(connection, frame, count, stall=2.0, limit=30.0):
    """Sends `frame` `count` times without ever reading. Stops early when the server stops reading
    (a send stays blocked for `stall` seconds), closes the connection, or `limit` seconds pass.
    Returns what ended it and how many whole frames went out."""
    batch = frame * 500
    total = len(frame) * count
    connection.setblocking(False)
    sent, pending = 0, memoryview(b"")
    deadline = time.monotonic() + limit
    while sent < total:
        if time.monotonic() > deadline:
            return "time limit", sent // len(frame)
        if not pending:
            pending = memoryview(batch[:total - sent])
        _, writable, _ = select.select([], [connection], [], stall)
        if not writable:
            return "blocked", sent // len(frame)
        try:
            written = connection.send(pending)
        except (BrokenPipeError, ConnectionResetError):
            return "closed", sent // len(frame)
        pending, sent = pending[written:], sent + written
    return "sent everything", count


def drip_until_closed(connections, byte=b"a", period=1.0, limit=10.0):
    """Sends one byte per `period` on every connection still open (a slowloris client) until the
    server has closed them all or `limit` seconds pass. Returns each connection's seconds until it
    was closed, None for those still open at the end."""
    started = time.monotonic()
    closed_after = [None] * len(connections)
    next_drip = started
    while None in closed_after and time.monotonic() - started < limit:
        for index, connection in enumerate(connections):
            if closed_after[index] is None and is_closed_by_peer(connection):
                closed_after[index] = time.monotonic() - started
        if time.monotonic() >= next_drip:
            for index, connection in enumerate(connections):
                if closed_after[index] is None:
                    try:
                        connection.send(byte)
                    except (BrokenPipeError, ConnectionResetError):
                        closed_after[index] = time.monotonic() - started
            next_drip += period
        time.sleep(0.05)
    return closed_after


@pytest.fixture
def connect(spawn):
    """Opens raw connections (`connect(node, **options)`) and closes those left at the end, before the
    nodes stop: a node drains its open connections before it exits."""
    opened = []

    def open_connection(node, **options):
        opened.append(raw_connection(node.port, **options))
        return opened[-1]

    yield open_connection
    for connection in opened:
        connection.close()


def accepted(node, source="127.0.0.1"):
    """Opens a connection and asks it for /health: True when the node serves it."""
    connection = raw_connection(node.port, source=source)
    try:
        head, _ = http_exchange(connection, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        return head.startswith("HTTP/1.1 200")
    except (AssertionError, OSError):
        return False
    finally:
        connection.close()


# --- item 4: the login throttle is atomic --------------------------------------------------------

def test_a_concurrent_burst_of_wrong_passwords_gets_no_more_guesses_than_the_limit(cluster):
    a, b = cluster
    account = a.sign_up()
    # 40 wrong guesses at once, half on each node: a throttle that reads the count, checks the
    # password, and only then counts lets every attempt that read the count early through.
    answers = simultaneous_posts([(node, "/login", {"username": account.username, "password": "wrong-guess"})
                                  for node in [a, b] * 20])
    outcomes = Counter(answers)
    assert set(outcomes) <= {WRONG_PASSWORD, LIMITED}, outcomes
    assert outcomes[WRONG_PASSWORD] <= LOGIN_LIMIT, f"{outcomes[WRONG_PASSWORD]} of 40 guesses were checked"
    # The username is locked now, right password or not, on either node.
    assert login_outcome(b, account.username, "secret123") == LIMITED
    assert login_outcome(a, account.username, "secret123") == LIMITED


# --- item 5: failed logins cannot grow Redis -----------------------------------------------------

def test_an_overlong_login_username_is_refused_before_it_reaches_redis(cluster, redis):
    a, _ = cluster
    keys_before = set(redis_keys(redis))
    username = "u" * 60_000  # the body stays under the 64 KiB limit
    for _ in range(3):
        status, answer = a.post("/login", {"username": username, "password": "whatever1"})
        assert (status, answer["code"]) == (422, "validation_failed"), (status, answer)
    # The nodes' once-a-second samples (parley:series*) may appear meanwhile: they are no login's.
    new_keys = {key for key in set(redis_keys(redis)) - keys_before if not key.startswith("parley:series")}
    assert all(len(key) <= 200 for key in new_keys), f"{len(new_keys)} new keys, longest {max(map(len, new_keys))} bytes"
    # Nothing in Redis holds the username either (the name of a key is not the only place for it).
    sizes = {key: int(redis.cli("MEMORY", "USAGE", key) or 0) for key in new_keys}
    assert all(size <= 512 for size in sizes.values()), sizes


def test_the_login_throttle_keys_are_hashes_not_usernames(cluster, redis):
    a, _ = cluster
    # Valid-length usernames (20 characters) that exist nowhere: each failure is counted.
    usernames = [unique_username("throttle") for _ in range(200)]
    for username in usernames:
        assert login_outcome(a, username, "whatever1")[0] == 400
    keys = redis_keys(redis)
    leaked = [key for key in keys if any(username in key for username in usernames)]
    assert not leaked, f"{len(leaked)} keys contain a username, e.g. {leaked[0]!r}"
    # The hashed counters still count: nine more failures lock the first username.
    for _ in range(LOGIN_LIMIT - 1):
        login_outcome(a, usernames[0], "whatever1")
    assert login_outcome(a, usernames[0], "whatever1") == LIMITED


# --- item 6: a ping flood cannot grow the node -----------------------------------------------------

def test_a_ping_flood_from_a_client_that_never_reads_leaves_the_node_memory_bounded(spawn, connect):
    node = spawn("node-ping-flood", PARLEY_SOCKET_RATE="0", PARLEY_CONNECTIONS_PER_ADDRESS="0")
    token = node.login(node.sign_up())
    # A small receive buffer on our side, so the kernel absorbs few of the node's pongs: what the
    # node cannot send it must either stop producing (stop reading pings) or drop (close).
    connection = connect(node, receive_buffer=4096)
    websocket_upgrade(connection, token)
    before = resident_memory(node)

    ping = masked_frame(0x9, b"p" * 125, mask=b"\x11\x22\x33\x44")
    outcome, pings = flood(connection, ping, count=200_000)
    growth = settled_resident_memory(node) - before

    assert growth < 20 * MiB, f"RSS grew by {growth / MiB:.1f} MiB ({outcome} after {pings} pings)"
    # The flooding socket harmed nobody else.
    assert accepted(node)


# --- item 7: slowloris ---------------------------------------------------------------------------

def test_a_request_head_that_trickles_in_is_cut_after_the_head_timeout(spawn, connect):
    node = spawn("node-slowloris", PARLEY_REQUEST_HEAD_TIMEOUT="2", PARLEY_IDLE_TIMEOUT="30",
                 PARLEY_CONNECTIONS_PER_ADDRESS="0", PARLEY_SOCKET_RATE="0")
    connections = [connect(node) for _ in range(20)]
    for connection in connections:
        connection.sendall(b"GET /ws?token=")
    # Held connections do not keep anyone else out.
    assert accepted(node)
    closed_after = drip_until_closed(connections, limit=10.0)
    still_open = [seconds for seconds in closed_after if seconds is None or seconds > 8]
    assert not still_open, f"{len(still_open)} of 20 trickling connections were not closed within 8 s: {closed_after}"


def test_an_idle_keep_alive_connection_is_closed_but_an_idle_websocket_is_not(spawn, connect):
    node = spawn("node-idle", PARLEY_IDLE_TIMEOUT="2", PARLEY_REQUEST_HEAD_TIMEOUT="30",
                 PARLEY_CONNECTIONS_PER_ADDRESS="0", PARLEY_SOCKET_RATE="0")
    websocket = Socket(node.ws, node.login(node.sign_up()))
    connection = connect(node)
    head, _ = http_exchange(connection, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    assert head.startswith("HTTP/1.1 200"), head
    # Kept alive after the answer: what closes it later is the idle timeout.
    assert "connection: close" not in head.lower(), head
    assert seconds_until_closed(connection, 8) is not None, "an idle keep-alive connection stayed open 8 s"
    # A WebSocket is not an idle HTTP connection: its own rules (server pings, 90 s of silence) hold.
    assert websocket.is_open(wait=1.0)
    websocket.close()


def test_connections_per_client_address_are_capped(spawn, connect):
    # Long head and idle timeouts: here only the cap may close a silent connection.
    node = spawn("node-capped", PARLEY_CONNECTIONS_PER_ADDRESS="5", PARLEY_REQUEST_HEAD_TIMEOUT="30",
                 PARLEY_IDLE_TIMEOUT="30", PARLEY_SOCKET_RATE="0")
    # 127.0.0.2 stands for a remote client: the node does not count its own host, 127.0.0.1.
    client = "127.0.0.2"
    held = [connect(node, source=client) for _ in range(5)]
    time.sleep(0.2)  # the node has accepted all five before the sixth arrives
    sixth = connect(node, source=client)
    assert seconds_until_closed(sixth, 2) is not None, "a 6th connection from one address stayed open"
    assert not any(is_closed_by_peer(connection) for connection in held), "one of the first five was closed"
    assert accepted(node, source="127.0.0.3"), "another address is not affected"
    assert accepted(node), "nor is the node's own host"
    # A freed slot is free again (the node needs a moment to see the close).
    held.pop().close()
    wait_until(lambda: accepted(node, source=client), timeout=5, message="a connection accepted after one was closed")


# --- item 9: X-Real-IP only from trusted proxies -------------------------------------------------

REAL_IPS = ["192.0.2.1", "198.51.100.2", "203.0.113.3"]  # documentation addresses, all distinct
NOT_ADDRESSES = ["not-an-ip", "192.0.2.1, 198.51.100.2"]  # neither is one IP address


@pytest.mark.parametrize("trust", [
    {"PARLEY_TRUSTED_PROXIES": "10.0.0.0/8"},
    # The retired switch, still set by older manifests, must not make the header trusted again.
    {"PARLEY_TRUST_PROXY": "1"},
], ids=["trusted-proxies-elsewhere", "retired-trust-proxy-switch"])
def test_x_real_ip_from_a_peer_that_is_not_a_trusted_proxy_is_ignored(spawn, trust):
    node = spawn("node-untrusted", wait_ready=False, PARLEY_REG_RATE="2", **trust)
    wait_until(lambda: node.process.poll() is not None or node.ready(), message="node ready or exited")
    if node.process.poll() is not None:
        # Refusing to start over the retired switch is fine too, as long as it says why.
        assert "PARLEY_TRUST_PROXY" in node.log_path.read_text(), "the node exited without naming the setting"
        return
    # 127.0.0.1 is not trusted: whatever the header says, every registration is 127.0.0.1's.
    outcomes = [register(node, headers={"X-Real-IP": ip}) for ip in REAL_IPS]
    assert outcomes == [(200, None), (200, None), LIMITED], outcomes


def test_a_trusted_proxy_gives_each_real_ip_its_own_registration_budget(spawn):
    node = spawn("node-trusting", PARLEY_REG_RATE="2", PARLEY_TRUSTED_PROXIES="127.0.0.0/8")
    for ip in REAL_IPS:
        assert register(node, headers={"X-Real-IP": ip}) == (200, None), ip
    # The proxy's own budget (no header) is separate from its clients'.
    assert [register(node) for _ in range(2)] == [(200, None), (200, None)]
    # A header that is not one IP address counts against the proxy, which is used up now.
    for value in NOT_ADDRESSES:
        assert register(node, headers={"X-Real-IP": value}) == LIMITED, value


def test_a_trusted_proxy_gives_each_real_ip_its_own_socket_budget(spawn):
    node = spawn("node-trusting-sockets", PARLEY_SOCKET_RATE="2", PARLEY_TRUSTED_PROXIES="127.0.0.0/8")
    # One account per socket, so no socket is kicked by the next (one socket per account).
    tokens = iter([node.login(node.sign_up()) for _ in range(len(REAL_IPS) + 3)])
    sockets = []

    def open_socket(headers=None):
        sockets.append(Socket(node.ws, next(tokens), headers=headers))
        return sockets[-1]

    for ip in REAL_IPS:
        assert open_socket({"X-Real-IP": ip}).is_open(), ip
    # The proxy's own budget (no header) is separate from its clients'.
    assert open_socket().is_open() and open_socket().is_open()
    # Unparseable: counted against the proxy's own address, whose 2 sockets a minute are used up.
    assert open_socket({"X-Real-IP": "not-an-ip"}).close_code() == 1013
    for socket in sockets:
        socket.close()
