"""The cluster dashboard (API.md §6, `GET /admin/`) rendered by a real browser: Debian's chromium,
headless, against a two-node cluster."""
import json
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.request

from websockets.sync.client import connect

from conftest import free_port, wait_until
from sockets import Socket
from test_gateway import KICKED

ADMIN = {"authorization": "Bearer cluster-admin-token"}


def rendered(url, profile, budget_ms=5000):
    """The DOM after the page's scripts ran for `budget_ms` of virtual time."""
    chromium = shutil.which("chromium")
    assert chromium, "chromium is missing: scripts/provision.sh installs it"
    result = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", f"--user-data-dir={profile}",
         f"--virtual-time-budget={budget_ms}", "--dump-dom", url],
        capture_output=True, text=True, timeout=90)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def raw_get(url):
    """(status, headers, body) without following redirects."""
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=10) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def test_the_page_needs_no_token_and_is_self_contained(cluster):
    a, _ = cluster
    status, headers, body = raw_get(a.base + "/admin/")
    assert status == 200
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert "<title>Parley cluster</title>" in body
    # Nothing outside the binary: no external script, stylesheet, font or image.
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", body)
    assert "default-src 'none'" in headers["content-security-policy"]

    status, headers, _ = raw_get(a.base + "/admin")
    assert status == 301 and headers["location"] == "admin/"


def test_the_browser_shows_every_node(cluster, tmp_path):
    a, b = cluster
    account = a.sign_up()
    socket = Socket(b.ws, a.login(account))
    wait_until(lambda: a.get("/admin/cluster", headers=ADMIN)[1]["data"]["online"] >= 1, message="online count")

    dom = rendered(f"{a.base}/admin/#token=cluster-admin-token&user={account.id}", tmp_path / "profile")
    rows = dict(re.findall(r'<tr data-node-id="([^"]+)">(.*?)</tr>', dom, re.S))
    assert {"node-a", "node-b"} <= set(rows), dom
    assert f"127.0.0.1:{b.port}" in rows["node-b"]
    assert re.search(r'<td class="num">[1-9][0-9]*</td>', rows["node-b"]), rows["node-b"]  # b holds the socket
    assert "serving" in rows["node-a"]
    assert re.search(r'id="total-nodes">2<', dom)
    assert re.search(r'<div id="error"[^>]*hidden', dom), "the page shows an error"
    # The presence lookup the fragment asked for (&user=…).
    assert re.search(rf'<div id="result"[^>]*>User {account.id} is online on node-b since ', dom), dom
    socket.close()


def test_a_wrong_token_is_shown_as_an_error(cluster, tmp_path):
    a, _ = cluster
    dom = rendered(f"{a.base}/admin/#token=wrong", tmp_path / "profile", budget_ms=3000)
    error = re.search(r'<div id="error"[^>]*>(.*?)</div>', dom, re.S)
    assert error and "refused" in error.group(1) and "401" in error.group(1), dom
    assert "data-node-id" not in dom


class Browser:
    """A headless chromium driven over the DevTools protocol: evaluates scripts in the page."""

    def __init__(self, url, profile):
        self.port = free_port()
        self.process = subprocess.Popen(
            [shutil.which("chromium"), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             f"--user-data-dir={profile}", f"--remote-debugging-port={self.port}", url],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        page = wait_until(self.page, timeout=30, message="chromium's DevTools endpoint")
        self.devtools = connect(page["webSocketDebuggerUrl"], max_size=None, open_timeout=10)
        self.calls = 0

    def page(self):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json", timeout=2) as response:
                return next((target for target in json.load(response) if target["type"] == "page"), None)
        except OSError:
            return None

    def evaluate(self, expression, timeout=20):
        """The value of an expression (awaited when it is a promise). Evaluated again when the page
        was still loading (its first context, about:blank, is destroyed by the navigation)."""
        for _ in range(5):
            self.calls += 1
            self.devtools.send(json.dumps({"id": self.calls, "method": "Runtime.evaluate", "params": {
                "expression": expression, "awaitPromise": True, "returnByValue": True}}))
            while True:
                message = json.loads(self.devtools.recv(timeout=timeout))
                if message.get("id") == self.calls:
                    break
            if "context was destroyed" in message.get("error", {}).get("message", ""):
                time.sleep(0.2)
                continue
            assert "result" in message, message
            result = message["result"]
            assert "exceptionDetails" not in result, result
            return result["result"].get("value")
        raise AssertionError("the page kept navigating")

    def close(self):
        self.devtools.close()
        self.process.terminate()
        self.process.wait(10)


# In the page: wait for a condition, click an account button for a user id, wait for its answer.
CLICK = """(async () => {
  const until = async (test) => { for (let i = 0; i < 200 && !test(); i++) await new Promise(r => setTimeout(r, 50)); };
  await until(() => document.querySelector('tr[data-node-id]'));
  window.confirm = () => true;
  const result = document.getElementById('result');
  result.textContent = '';
  document.getElementById('user-id').value = '%s';
  document.querySelector('#account-form [data-action="%s"]').click();
  await until(() => result.textContent);
  return result.textContent;
})()"""


def test_the_buttons_kick_disable_and_enable(cluster, tmp_path):
    a, b = cluster
    account = a.sign_up()
    socket = Socket(b.ws, a.login(account))
    assert socket.is_open()
    browser = Browser(f"{a.base}/admin/#token=cluster-admin-token", tmp_path / "profile")
    try:
        assert browser.evaluate(CLICK % (account.id, "kick")).startswith(f"User {account.id} kicked at ")
        assert socket.closed_with() == (KICKED, 4409)

        socket = Socket(b.ws, a.login(account))
        assert socket.is_open()
        assert browser.evaluate(CLICK % (account.id, "disable")).startswith(f"User {account.id} disabled at ")
        assert socket.closed_with() == ({"msg": "fail", "data": "你已被禁用", "code": "user_disabled"}, 4403)
        assert browser.evaluate(CLICK % (account.id, "enable")).startswith(f"User {account.id} enabled at ")
        assert b.login(account)

        assert browser.evaluate(CLICK % (999999999, "kick")) == (
            "User 999999999: The user does not exist (HTTP 404, user_not_found)")
    finally:
        browser.close()
