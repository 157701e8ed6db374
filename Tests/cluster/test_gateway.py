"""The WebSocket gateway across two real nodes (API.md §5)."""
import json
import subprocess
import urllib.error
from concurrent.futures import ThreadPoolExecutor

from conftest import DATABASE_URL, PRESENCE_TTL, wait_until
from sockets import Socket

KICKED = {"msg": "fail", "data": "你的账号在其他设备登录", "code": "kicked"}


def psql(sql):
    subprocess.run(["psql", DATABASE_URL, "-qc", sql], check=True, capture_output=True)


def kick_across_nodes(a, b):
    """A socket on node `a`, then a login on node `b`: the socket must be kicked (API.md §5)."""
    account = a.sign_up()
    socket = Socket(a.ws, a.login(account))
    assert socket.is_open()
    b.login(account)
    assert socket.closed_with() == (KICKED, 4409)
    return account


def test_a_login_on_another_node_kicks_the_socket(cluster):
    kick_across_nodes(*cluster)


def test_the_newest_socket_wins_on_one_node_and_across_nodes(cluster):
    a, b = cluster
    account = a.sign_up()
    token = a.login(account)
    first = Socket(a.ws, token)
    assert first.is_open()
    second = Socket(a.ws, token)
    assert first.closed_with() == (KICKED, 4409)
    assert second.is_open()
    third = Socket(b.ws, token)
    assert second.closed_with() == (KICKED, 4409)
    assert third.is_open(1.0)


def test_racing_logins_and_sockets_leave_exactly_one_survivor(cluster):
    """50 rounds, ten at a time: each signs an account in on both nodes at once, then opens four
    sockets with the two tokens on both nodes at once; exactly one may survive."""
    a, b = cluster

    def race(round):
        account = a.sign_up()
        with ThreadPoolExecutor(2) as pool:
            tokens = list(pool.map(lambda node: node.login(account), cluster))
        targets = [(a, tokens[0]), (b, tokens[1]), (a, tokens[1]), (b, tokens[0])]
        with ThreadPoolExecutor(4) as pool:
            sockets = list(pool.map(lambda target: Socket(target[0].ws, target[1]), targets))
            survivors = sum(pool.map(lambda socket: socket.is_open(1.0), sockets))
        for socket in sockets:
            socket.close()
        return f"round {round}: {survivors} sockets survived"

    with ThreadPoolExecutor(10) as pool:
        outcomes = list(pool.map(race, range(50)))
    assert [outcome for outcome in outcomes if not outcome.endswith(": 1 sockets survived")] == []


def test_logout_closes_the_socket_wherever_it_is(cluster):
    a, b = cluster
    account = a.sign_up()
    token = a.login(account)
    socket = Socket(a.ws, token)
    assert socket.is_open()
    status, answer = b.post("/logout", token=token)
    assert (status, answer) == (200, {"msg": "ok", "data": "退出成功"})
    assert socket.closed_with() == ({"msg": "fail", "data": "你已退出登录", "code": "logged_out"}, 4410)


def test_refused_sockets_get_their_fail_frame_and_close_code(cluster):
    a, _ = cluster
    assert Socket(a.ws).closed_with() == (
        {"msg": "fail", "data": "您没有权限访问该接口!", "code": "unauthenticated"}, 4401)
    assert Socket(a.ws, "not-a-token").closed_with() == (
        {"msg": "fail", "data": "Token 令牌不合法!", "code": "token_invalid"}, 4401)

    disabled = a.sign_up()
    token = a.login(disabled)
    psql(f"UPDATE users SET status = 0 WHERE id = {disabled.id}")
    assert Socket(a.ws, token).closed_with() == ({"msg": "fail", "data": "你已被禁用", "code": "user_disabled"}, 4403)

    deleted = a.sign_up()
    token = a.login(deleted)
    psql(f"DELETE FROM users WHERE id = {deleted.id}")
    assert Socket(a.ws, token).closed_with() == ({"msg": "fail", "data": "用户不存在", "code": "user_not_found"}, 4404)

    superseded = a.sign_up()
    old = a.login(superseded)
    a.login(superseded)
    assert Socket(a.ws, old).closed_with() == (
        {"msg": "fail", "data": "Token 令牌不合法!", "code": "token_invalid"}, 4401)


def test_presence_follows_the_socket(cluster, redis):
    a, _ = cluster
    account = a.sign_up()
    socket = Socket(a.ws, a.login(account))
    presence = wait_until(lambda: redis.cli("GET", f"parley:presence:{account.id}"), message="presence")
    assert presence.split("|")[1] == "node-a"
    socket.close()
    wait_until(lambda: redis.cli("EXISTS", f"parley:presence:{account.id}") == "0", message="presence removed")


def test_a_killed_node_reads_offline_within_the_ttl_and_its_users_reconnect(cluster, redis, spawn):
    a, _ = cluster
    doomed = spawn("node-doomed")
    account = a.sign_up()
    token = a.login(account)
    socket = Socket(doomed.ws, token)
    wait_until(lambda: "node-doomed" in redis.cli("GET", f"parley:presence:{account.id}"), message="presence on the doomed node")
    doomed.kill()
    assert socket.close_code() in (None, 1006)
    wait_until(lambda: redis.cli("EXISTS", "parley:node:node-doomed") == "0", timeout=PRESENCE_TTL + 3,
               message="dead node expired")
    wait_until(lambda: redis.cli("EXISTS", f"parley:presence:{account.id}") == "0", timeout=PRESENCE_TTL + 3,
               message="dead node's presence reaped")
    again = Socket(a.ws, token)
    assert again.is_open(1.0)
    assert redis.cli("GET", f"parley:presence:{account.id}").split("|")[1] == "node-a"
    again.close()


def test_a_graceful_drain_closes_sockets_with_1001_and_leaves_the_registry(cluster, redis, spawn):
    draining = spawn("node-draining")
    account = draining.sign_up()
    socket = Socket(draining.ws, draining.login(account))
    wait_until(lambda: redis.cli("EXISTS", f"parley:presence:{account.id}") == "1", message="presence")
    assert draining.terminate() == 0
    assert socket.close_code() == 1001
    assert redis.cli("EXISTS", "parley:node:node-draining") == "0"
    assert redis.cli("EXISTS", f"parley:presence:{account.id}") == "0"


def test_a_friend_request_reaches_the_targets_socket_on_another_node(cluster):
    a, b = cluster
    target = a.sign_up()
    socket = Socket(b.ws, b.login(target))
    assert socket.is_open()
    applicant = a.sign_up()
    status, answer = a.post("/apply/addfriend", {"friend_id": target.id, "lookme": 1, "lookhim": 1},
                            token=a.login(applicant))
    assert status == 200, answer
    assert socket.frame() == {"msg": "updateApplyList", "data": ""}
    assert socket.is_open()


def test_a_draining_node_refuses_new_upgrades_with_503(cluster, spawn):
    import signal
    import socket as net

    from test_admin import ADMIN
    from test_hostile_sockets import raw_upgrade

    draining = spawn("node-refusing")
    account = draining.sign_up()
    # A client that never answers the close frame keeps the drain waiting for its handshake (5 s) —
    # once the node holds it: the 101 can reach the client before the socket is registered, and a
    # drain that finds no sockets ends at once.
    silent = raw_upgrade(draining, draining.login(account))
    wait_until(lambda: draining.get(f"/admin/presence/{account.id}", headers=ADMIN)[1]["data"]["online"],
               message="the silent socket online")
    draining.process.send_signal(signal.SIGTERM)

    def upgrade_status():
        with net.create_connection(("127.0.0.1", draining.port), timeout=5) as connection:
            connection.sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                               b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
            answer = connection.recv(4096).decode(errors="replace")
        status = int(answer.split(" ", 2)[1])
        return (status, json.loads(answer.split("\r\n\r\n", 1)[1])) if status == 503 else None

    # Until the drain has begun the upgrade may still be accepted; then it is declined with 503.
    status, body = wait_until(upgrade_status, timeout=4, interval=0.01, message="503 while draining")
    assert (status, body["code"]) == (503, "unavailable")
    assert draining.get("/ready")[0] == 503
    silent.close()
    assert draining.process.wait(20) == 0
