"""Regression tests for the holes issue 13 found in the cluster protocol: each scripts the fault
that broke "one live socket per account, the newest, and none on a revoked session"."""
import os
import signal
from contextlib import contextmanager

from conftest import HEARTBEAT, PRESENCE_TTL, wait_until
from sockets import Socket
from test_gateway import KICKED

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
        new = Socket(b.ws, b.login(account))
        wait_until(lambda: presence_node(redis, account) == "node-here", message="presence on B")
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
