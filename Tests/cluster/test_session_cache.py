"""Nodes cache the sessions PostgreSQL called active for a few seconds; a revocation on any node
still shuts an old token out everywhere at once, and without Redis nothing is taken from the cache."""
import time

from conftest import wait_until
from test_admin import ADMIN

INVALID = (401, "token_invalid")


def answer(node, token):
    status, body = node.get("/friend/list", token=token)
    return status, body.get("code")


def cached_on(node, account):
    """A token that `node` has just seen working (so it sits in that node's cache)."""
    token = node.login(account)
    assert node.get("/friend/list", token=token)[0] == 200
    assert node.get("/friend/list", token=token)[0] == 200
    return token


def test_a_login_on_another_node_shuts_the_cached_token_out_at_once(cluster):
    a, b = cluster
    account = a.sign_up()
    for _ in range(10):
        old = cached_on(a, account)
        new = b.login(account)
        assert answer(a, old) == INVALID
        assert answer(a, new) == (200, None)


def test_a_logout_elsewhere_shuts_the_cached_token_out(cluster):
    a, b = cluster
    account = a.sign_up()
    token = cached_on(a, account)
    assert b.post("/logout", token=token)[0] == 200
    assert answer(a, token) == INVALID


def test_disabling_an_account_shuts_its_cached_token_out(cluster):
    a, b = cluster
    account = a.sign_up()
    token = cached_on(a, account)
    assert b.post(f"/admin/users/{account.id}/disable", headers=ADMIN)[0] == 200
    assert answer(a, token) == (403, "user_disabled")


def test_without_redis_a_revoked_token_is_never_taken_from_the_cache(cluster, redis):
    a, b = cluster
    account = a.sign_up()
    token = cached_on(a, account)
    redis.stop()
    try:
        wait_until(lambda: a.get("/ready")[0] == 503, message="node a sees Redis gone")
        time.sleep(0.2)  # its subscriber's disconnect, seen at the same moment, is handled
        # The login revokes the session in PostgreSQL; Redis cannot tell node a.
        assert b.post("/login", {"username": account.username, "password": "secret123"})[0] == 200
        assert answer(a, token) == INVALID
    finally:
        redis.start()
    wait_until(lambda: a.get("/ready")[0] == 200 and b.get("/ready")[0] == 200, timeout=15, message="nodes ready")
    # With Redis back the cache is used again, and invalidations reach it again.
    old = cached_on(a, account)
    b.login(account)
    assert answer(a, old) == INVALID
