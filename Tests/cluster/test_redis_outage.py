"""Redis down: the node says it is not ready and refuses new sockets, but HTTP and sign-ins work,
and kicks resume when Redis is back."""
from conftest import wait_until
from sockets import Socket
from test_gateway import KICKED


def test_redis_down_refuses_sockets_but_not_http_and_recovers(cluster, redis):
    a, b = cluster
    account = a.sign_up()
    redis.stop()
    try:
        wait_until(lambda: a.get("/ready")[0] == 503, message="not ready without Redis")
        token = a.login(account)  # the login throttle fails open, the kick is logged as failed
        status, answer = a.post("/search/user", {"keyword": account.username}, token=token)
        assert status == 200 and answer["data"]["id"] == account.id
        assert Socket(a.ws, token).close_code(timeout=15) == 1013
    finally:
        redis.start()
    wait_until(lambda: a.get("/ready")[0] == 200 and b.get("/ready")[0] == 200, timeout=20, message="ready again")
    socket = wait_until(lambda: (lambda s: s if s.is_open(1.0) else None)(Socket(a.ws, token)), timeout=20,
                        message="sockets accepted again")
    b.login(account)
    assert socket.closed_with() == (KICKED, 4409)
