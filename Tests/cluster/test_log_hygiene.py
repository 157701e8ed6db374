"""Logs an operator can use, without user secrets: one line per request with its id, route, status
and duration; never a password, hash, token or the signing secret."""
import json

from conftest import SECRET
from sockets import Socket


def test_request_lines_and_no_secrets(spawn):
    node = spawn("node-json-logs", PARLEY_LOG_FORMAT="json")
    account = node.sign_up()
    token = node.login(account)
    node.post("/login", {"username": account.username, "password": "not-the-password"})
    node.post("/search/user", {"keyword": account.username}, token=token)
    Socket(node.ws, token).close()
    node.stop()
    lines = [json.loads(line) for line in node.log_path.read_text().splitlines() if line.startswith("{")]
    requests = [line for line in lines if line["message"] == "Request"]
    assert {line["http.route"] for line in requests} >= {"/reg", "/login", "/search/user"}
    for line in requests:
        assert {"hb.request.id", "http.method", "http.status", "duration_ms", "ts", "level"} <= set(line)
    text = node.log_path.read_text()
    for secret in ("secret123", "not-the-password", token, SECRET, "$2b$"):
        assert secret not in text
