"""Regression tests for the holes issue 13 found in the cluster protocol: each scripts the fault
that broke "one live socket per account, the newest, and none on a revoked session"."""
import base64
import hashlib
import hmac
import json
import os
import signal
import time
from contextlib import contextmanager

import pytest

from conftest import HEARTBEAT, PRESENCE_TTL, SECRET, fault_proxy, wait_until
from sockets import Socket
from test_chat import Person, befriend, connect, send
from test_gateway import KICKED, psql

TOKEN_EXPIRED = {"msg": "fail", "data": "token 已过期! 请重新获取令牌", "code": "token_expired"}
# A node that comes back re-registers at its next heartbeat; give it a few.
RETURN_BOUND = PRESENCE_TTL + 4 * HEARTBEAT


def presence_node(redis, account):
    value = redis.cli("GET", f"parley:presence:{account.id}")
    return value.split("|")[1] if value else None


@contextmanager
def stopped(node):
    """SIGSTOP for the duration of the block: the node misses whatever Redis publishes meanwhile."""
    os.kill(node.process.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(node.process.pid, signal.SIGCONT)


def wait_ready(*nodes):
    wait_until(lambda: all(node.get("/ready")[0] == 200 for node in nodes), timeout=15, message="nodes ready")


def socket_on(node, redis):
    """A new account with a live socket on `node`."""
    account = node.sign_up()
    socket = Socket(node.ws, node.login(account))
    wait_until(lambda: presence_node(redis, account) == node.name, message=f"presence on {node.name}")
    return account, socket


def live_socket(node, redis, account, token, timeout=15):
    """A socket of `account` on `node` that took the account, reconnecting as the client does while
    the node answers 1013 (Redis just came back: its connections are still reconnecting)."""
    deadline = time.monotonic() + timeout
    while True:
        socket = Socket(node.ws, token)
        try:
            wait_until(lambda: presence_node(redis, account) == node.name, timeout=2, message=f"presence on {node.name}")
            return socket
        except AssertionError:
            socket.close()
            if time.monotonic() > deadline:
                raise


@contextmanager
def away_while_redis_restarts(away, here, redis):
    """`away` is stopped while Redis restarts empty and stays stopped for the block, with `here`
    ready: what the block does, `away` cannot hear, and Redis keeps no trace of `away` for it."""
    with stopped(away):
        redis.restart()
        wait_ready(here)
        yield


def test_a_socket_taken_over_while_its_node_was_cut_off_closes_when_the_node_returns(spawn, redis):
    """Hole 1: Redis restarted empty while node A was away; the account then connected on node B.
    A's re-registration found B's newer generation and skipped the entry, but left A's socket open:
    two live sockets for one account."""
    a, b = spawn("node-away"), spawn("node-here")
    account, old = socket_on(a, redis)
    with away_while_redis_restarts(a, b, redis):
        new = live_socket(b, redis, account, b.login(account))
    assert old.closed_with(timeout=RETURN_BOUND) == (KICKED, 4409)
    assert new.is_open(wait=2 * HEARTBEAT)
    assert presence_node(redis, account) == "node-here"


def test_a_socket_whose_session_was_revoked_while_its_node_was_cut_off_closes_when_it_returns(spawn, redis):
    """Hole 1, the login alone: no socket on B, so no presence to compare with, only the account's
    newer generation. A's re-registration put its socket back on a revoked session."""
    a, b = spawn("node-away"), spawn("node-here")
    account, old = socket_on(a, redis)
    with away_while_redis_restarts(a, b, redis):
        b.login(account)
    assert old.closed_with(timeout=RETURN_BOUND) == (KICKED, 4409)
    wait_until(lambda: presence_node(redis, account) is None, message="no presence left")


def test_a_graceful_shutdown_leaves_nothing_of_the_node_in_redis(spawn, redis):
    """Hole 6: the drain left `node:{id}:users` behind, and pod names change on every rollout, so
    nothing would ever have cleared it."""
    node = spawn("node-leaving")
    accounts, sockets = zip(*(socket_on(node, redis) for _ in range(3)))
    # What a release that failed during an outage leaves: an entry naming the (live) node.
    redis.cli("SET", "parley:presence:999999", "1|node-leaving|1|0")
    redis.cli("SADD", "parley:node:node-leaving:users", "999999")
    assert node.terminate() == 0
    assert all(socket.close_code() == 1001 for socket in sockets)
    assert [key for key in redis.cli("--scan", "--pattern", "parley:node:node-leaving*").splitlines() if key] == []
    assert all(presence_node(redis, account) is None for account in accounts)
    assert redis.cli("EXISTS", "parley:presence:999999") == "0"
    assert "node-leaving" not in redis.cli("ZRANGE", "parley:nodes", "0", "-1").splitlines()


def short_lived(token, seconds):
    """The same token, signed again with the cluster's secret to expire in `seconds`."""
    header, payload, _ = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["exp"] = int(time.time()) + seconds
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    signature = hmac.new(SECRET.encode(), f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def test_a_login_while_redis_is_down_closes_the_old_socket_once_redis_returns(cluster, redis):
    """Hole 3: the login revoked the old session in PostgreSQL but could not kick; the old socket
    stayed open on a revoked session until the new device happened to claim."""
    a, b = cluster
    account, old = socket_on(a, redis)
    redis.stop()
    try:
        b.login(account)
    finally:
        redis.start()
    assert old.closed_with(timeout=4 * HEARTBEAT + 3) == (KICKED, 4409)
    wait_ready(a, b)


def test_a_socket_closes_when_its_token_expires(cluster):
    """Hole 3: token `exp` was checked at connect only."""
    a, _ = cluster
    account = a.sign_up()
    socket = Socket(a.ws, short_lived(a.login(account), seconds=3))
    assert socket.is_open(wait=1)
    assert socket.closed_with(timeout=3 + 3 * HEARTBEAT) == (TOKEN_EXPIRED, 4401)


def test_a_claim_that_timed_out_does_nothing_when_redis_runs_it_later(spawn, redis):
    """Hole 2: a claim the node gave up on (its socket closed with 1013) still ran when Redis got to
    it: a presence with no expiry naming a dead connection, and a kick for the account's other
    sockets."""
    node = spawn("node-patient")
    _, warm_up = socket_on(node, redis)  # Redis has the claim script cached, as it has in production
    warm_up.close()
    account = node.sign_up()
    token = node.login(account)
    # Writes (scripts included) wait longer than the node's command timeout (5 s), then run.
    redis.cli("CLIENT", "PAUSE", "6500", "WRITE")
    socket = Socket(node.ws, token)
    assert socket.close_code(timeout=10) == 1013
    wait_until(lambda: redis.cli("SET", "parley:probe-after-pause", "1") == "OK", timeout=10, message="the pause over")
    time.sleep(1)  # whatever Redis had queued has run
    assert redis.cli("EXISTS", f"parley:presence:{account.id}") == "0"
    assert presence_node(redis, account) is None


@contextmanager
def behind_a_fault_proxy(redis):
    """A fault proxy in front of `redis`: yields the Redis URL to give a node, and the proxy's
    fault function."""
    with fault_proxy("node→redis", redis.port) as (port, fault):
        yield f"redis://127.0.0.1:{port}/0", fault


def test_a_claim_whose_answer_never_came_leaves_no_presence(spawn, redis):
    """Hole 2, the other half: a claim that ran in Redis in time but whose reply never came back
    (the node gave up and closed the socket with 1013) left presence naming that closed socket, on a
    live node — so no reaper ever cleared it, and the account looked online with no socket."""
    with behind_a_fault_proxy(redis) as (url, fault):
        node = spawn("node-unanswered", PARLEY_REDIS_URL=url)
        account = node.sign_up()
        token = node.login(account)
        first = live_socket(node, redis, account, token)
        fault("cut", "down")  # commands run, replies are held
        second = Socket(node.ws, token)
        assert second.close_code(timeout=15) == 1013
        fault("heal")
        # The claim ran: its held kick reaches the first socket, and the node removes the entry the
        # claim wrote (at once, or at the next heartbeat if the link was still down).
        assert first.closed_with(timeout=10) == (KICKED, 4409)
        wait_until(lambda: presence_node(redis, account) is None, timeout=4 * HEARTBEAT + 2,
                   message="the unanswered claim's entry removed")
        node.stop()  # while it can still reach Redis: a node leaving without it waits for it


def test_a_node_restarted_under_its_id_clears_what_its_previous_process_left(spawn, redis):
    """Found by make chaos (seed 29): a node killed and restarted under the same id inherited the
    dead process's presence entries, and no reaper clears the entries of a live node: presence named
    a node for an account with no socket anywhere."""
    node = spawn("node-reborn")
    account, _ = socket_on(node, redis)
    node.kill()
    spawn("node-reborn")
    wait_until(lambda: presence_node(redis, account) is None, timeout=3 * HEARTBEAT + 2, message="presence cleared")


def test_a_socket_whose_kick_was_lost_takes_no_message_meant_for_the_next_session(cluster):
    """Found by `make chaos`: a socket whose session was revoked but whose kick never arrived (Redis
    lost it) still took the account's messages until the next sweep closed it, so the new session
    never got them. The revocation here reaches PostgreSQL only, as a lost kick leaves it."""
    a, b = cluster
    sender, recipient = Person(a), Person(a)
    befriend(a, sender, recipient)
    old, _ = connect(b, recipient)
    psql(f"UPDATE sessions SET revoked_at = now(), revoked_reason = 'superseded' "
         f"WHERE user_id = {recipient.id} AND revoked_at IS NULL")
    message = send(a, sender, recipient, "for the next session")
    # Closed for what PostgreSQL says, long before the sweep (every 10 heartbeats) would have.
    assert old.closed_with(timeout=3 * HEARTBEAT) == (KICKED, 4409)
    recipient.token = a.login(recipient.account)
    _, frames = connect(a, recipient)
    assert frames == [{"msg": "ok", "data": message}]


@pytest.mark.parametrize("cached", [False, True], ids=["checked", "cached"])
def test_a_login_between_a_sockets_session_check_and_its_claim_closes_the_socket(spawn, redis, cached):
    """Issue 14's protocol: a socket's session is checked once, before its claim — in PostgreSQL,
    or in the session cache when a socket of the same session was checked a moment ago. A login
    elsewhere that commits after that check and supersedes in Redis before the claim gets an older
    generation than the claim, so its kick cannot close the socket: the node must learn of it from
    the revocation announced on `{p}sessions` before the claim, and ask PostgreSQL again."""
    other = spawn("node-direct")
    with behind_a_fault_proxy(redis) as (url, fault):
        node = spawn("node-held", PARLEY_REDIS_URL=url)
        account = node.sign_up()
        token = node.login(account)
        if cached:  # its answer stays in the node's session cache for 5 s
            live_socket(node, redis, account, token).close()
        fault("cut", "up")  # the node's subscribe and claim wait; what Redis publishes still arrives
        socket = Socket(node.ws, token)
        time.sleep(0.5)  # its session is checked in PostgreSQL (not behind the proxy): active
        other.login(account)  # revokes the session and supersedes, before the held claim runs
        time.sleep(0.5)  # the announcement reaches the node
        fault("heal")
        # Closed by the protocol, long before the sweep (every 10 heartbeats) would have.
        assert socket.closed_with(timeout=3 * HEARTBEAT) == (KICKED, 4409)
        wait_until(lambda: presence_node(redis, account) is None, timeout=5, message="the closed socket released")
        node.stop()  # while it can still reach Redis: a node leaving without it waits for it
