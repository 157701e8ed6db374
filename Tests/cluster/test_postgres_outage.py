"""PostgreSQL down: routes answer 503 `unavailable` without hanging, and recover without a restart."""
import subprocess
import threading

import pytest

from conftest import ROOT, wait_until
from sockets import Socket

# It stops the PostgreSQL every module shares.
pytestmark = pytest.mark.alone


def services(command):
    subprocess.run([str(ROOT / "scripts" / "local-services.sh"), command], check=True, capture_output=True)


def concurrent_statuses(node, account, token, count):
    """The statuses of `count` searches sent at once."""
    statuses = []

    def search():
        statuses.append(node.post("/search/user", {"keyword": account.username}, token=token)[0])

    threads = [threading.Thread(target=search) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def test_an_outage_answers_503_and_the_node_recovers_by_itself(cluster):
    a, _ = cluster
    account = a.sign_up()
    token = a.login(account)
    services("stop-postgres")
    try:
        # The client's own timeout (10 s) would fail the test if a route hung.
        status, answer = a.post("/search/user", {"keyword": account.username}, token=token)
        assert (status, answer["msg"], answer["code"]) == (503, "fail", "unavailable")
        status, answer = a.post("/reg", {"username": "outage01", "password": "secret123", "repassword": "secret123"})
        assert (status, answer["code"]) == (503, "unavailable")
        assert a.get("/ready")[0] == 503
        assert a.get("/health")[0] == 200
        socket = Socket(a.ws, token)
        assert socket.close_code() == 1013
        # Many requests at once, more than the pool has connections: all answered, none leaks one.
        assert concurrent_statuses(a, account, token, 40) == [503] * 40
    finally:
        services("start-postgres")
    wait_until(lambda: a.get("/ready")[0] == 200, timeout=30, message="ready again")
    status, answer = a.post("/search/user", {"keyword": account.username}, token=token)
    assert status == 200 and answer["data"]["id"] == account.id
    # The pool is whole again: more concurrent requests than it has connections all succeed.
    assert concurrent_statuses(a, account, token, 60) == [200] * 60
