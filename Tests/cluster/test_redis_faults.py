"""Kicks keep working when Redis restarts or drops the subscriber's connection."""
from conftest import wait_until
from sockets import Socket
from test_gateway import KICKED


def test_kicks_work_again_after_redis_restarts_empty(cluster, redis):
    a, b = cluster
    account = a.sign_up()
    socket = Socket(a.ws, a.login(account))
    wait_until(lambda: redis.cli("EXISTS", f"parley:presence:{account.id}") == "1", message="presence")
    redis.restart()
    # The node notices at its next heartbeat and registers the socket again.
    wait_until(lambda: redis.cli("EXISTS", f"parley:presence:{account.id}") == "1", timeout=10,
               message="presence re-registered")
    wait_until(lambda: a.get("/ready")[0] == 200 and b.get("/ready")[0] == 200, message="nodes ready")
    wait_until(lambda: b.post("/login", {"username": account.username, "password": "secret123"})[0] == 200,
               message="login")
    assert socket.closed_with() == (KICKED, 4409)


def test_a_kick_lands_even_when_the_subscriber_connection_is_killed(cluster, redis):
    a, b = cluster
    account = a.sign_up()
    socket = Socket(a.ws, a.login(account))
    wait_until(lambda: redis.cli("EXISTS", f"parley:presence:{account.id}") == "1", message="presence")
    redis.cli("CLIENT", "KILL", "TYPE", "pubsub")
    b.login(account)
    assert socket.closed_with(timeout=10) == (KICKED, 4409)
