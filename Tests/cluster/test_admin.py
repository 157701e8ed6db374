"""The operations API (API.md §6): any node answers for the whole cluster."""
from conftest import wait_until
from sockets import Socket
from test_gateway import KICKED

ADMIN = {"authorization": "Bearer cluster-admin-token"}


def test_admin_routes_need_the_admin_token(cluster):
    a, _ = cluster
    for headers in ({}, {"authorization": "Bearer wrong"}, {"authorization": "cluster-admin-token"}):
        status, answer = a.get("/admin/cluster", headers=headers)
        assert status == 401
        assert answer["msg"] == "fail" and answer["code"] == "unauthenticated"


def test_every_node_lists_every_live_node(cluster):
    a, b = cluster
    account = a.sign_up()
    socket = Socket(b.ws, a.login(account))
    assert socket.is_open()
    for node in cluster:
        status, answer = node.get("/admin/cluster", headers=ADMIN)
        assert status == 200
        nodes = {card["id"]: card for card in answer["data"]["nodes"]}
        assert {"node-a", "node-b"} <= set(nodes)
        card = nodes["node-b"]
        assert set(card) == {"id", "address", "version", "started_at", "last_seen", "connections", "draining"}
        assert card["address"] == f"127.0.0.1:{b.port}" and card["draining"] is False
    wait_until(lambda: a.get("/admin/cluster", headers=ADMIN)[1]["data"]["online"] >= 1, message="online count")
    socket.close()


def test_presence_lookup(cluster):
    a, b = cluster
    account = a.sign_up()
    assert a.get(f"/admin/presence/{account.id}", headers=ADMIN) == (
        200, {"msg": "ok", "data": {"online": False, "node": None, "since": None}})
    socket = Socket(b.ws, a.login(account))
    answer = wait_until(lambda: (lambda r: r if r["online"] else None)(
        a.get(f"/admin/presence/{account.id}", headers=ADMIN)[1]["data"]), message="online")
    assert answer["node"] == "node-b" and answer["since"].endswith("Z")
    socket.close()


def test_kick_and_disable_close_the_socket_wherever_it_is(cluster):
    a, b = cluster
    kicked = a.sign_up()
    socket = Socket(b.ws, a.login(kicked))
    assert socket.is_open()
    assert a.post(f"/admin/users/{kicked.id}/kick", headers=ADMIN) == (200, {"msg": "ok", "data": "ok"})
    assert socket.closed_with() == (KICKED, 4409)

    disabled = a.sign_up()
    token = a.login(disabled)
    socket = Socket(b.ws, token)
    assert socket.is_open()
    assert a.post(f"/admin/users/{disabled.id}/disable", headers=ADMIN) == (200, {"msg": "ok", "data": "ok"})
    assert socket.closed_with() == ({"msg": "fail", "data": "你已被禁用", "code": "user_disabled"}, 4403)
    status, answer = b.post("/search/user", {"keyword": "x"}, token=token)
    assert (status, answer["code"]) == (403, "user_disabled")
    status, answer = b.post("/login", {"username": disabled.username, "password": "secret123"})
    assert (status, answer["code"]) == (400, "login_failed")

    assert a.post(f"/admin/users/{disabled.id}/enable", headers=ADMIN) == (200, {"msg": "ok", "data": "ok"})
    assert b.login(disabled)


def test_unknown_users_are_404(cluster):
    a, _ = cluster
    for path in ("/admin/users/999999999/kick", "/admin/users/abc/disable", "/admin/users/0/enable"):
        status, answer = a.post(path, headers=ADMIN)
        assert status == 404 and answer["code"] == "user_not_found"
