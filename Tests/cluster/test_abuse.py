"""Per-address limits on new sockets and registrations (PARLEY_SOCKET_RATE, PARLEY_REG_RATE)."""
import uuid

from sockets import Socket


def test_an_address_over_its_limits_is_refused(spawn):
    node = spawn("node-limited", PARLEY_SOCKET_RATE="3", PARLEY_REG_RATE="2")
    accounts = [node.sign_up() for _ in range(2)]
    status, answer = node.post("/reg", {"username": "r" + uuid.uuid4().hex[:10], "password": "secret123",
                                        "repassword": "secret123"})
    assert (status, answer["code"], answer["data"]) == (429, "rate_limited", "尝试次数过多，请稍后再试")

    token = node.login(accounts[0])
    sockets = [Socket(node.ws, token) for _ in range(3)]
    assert sockets[-1].is_open()
    assert Socket(node.ws, token).close_code() == 1013
