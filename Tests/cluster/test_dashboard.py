"""The cluster dashboard (API.md §6, docs/api.md §9, `GET /admin/`) rendered by a real browser:
Debian's chromium, headless, against a three-node cluster that samples every second."""
import base64
import json
import os
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.request

from websockets.sync.client import connect

import pytest

from conftest import Node, free_port, wait_until
from sockets import Socket
from test_gateway import KICKED

ADMIN = {"authorization": "Bearer cluster-admin-token"}
NODES = ("node-a", "node-b", "node-c")


@pytest.fixture(scope="module")
def cluster(redis, tmp_path_factory):
    """Three nodes sharing PostgreSQL and Redis, taking a sample (and probing their dependencies)
    every second, so that charts and events have data within seconds."""
    logdir = tmp_path_factory.mktemp("logs")
    nodes = [Node(name, redis, logdir, PARLEY_SERIES_INTERVAL="1") for name in NODES]
    yield nodes
    for node in nodes:
        node.stop()


def admin(node, path):
    status, answer = node.get(path, headers=ADMIN)
    assert status == 200, answer
    return answer["data"]


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
    a, *_ = cluster
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
    a, b, _ = cluster
    account = a.sign_up()
    socket = Socket(b.ws, a.login(account))
    wait_until(lambda: a.get("/admin/cluster", headers=ADMIN)[1]["data"]["online"] >= 1, message="online count")

    dom = rendered(f"{a.base}/admin/#token=cluster-admin-token&user={account.id}", tmp_path / "profile")
    rows = dict(re.findall(r'<tr data-node-id="([^"]+)">(.*?)</tr>', dom, re.S))
    assert set(NODES) <= set(rows), dom
    assert f"127.0.0.1:{b.port}" in rows["node-b"]
    assert re.search(r'<td class="num">[1-9][0-9]*</td>', rows["node-b"]), rows["node-b"]  # b holds the socket
    assert "serving" in rows["node-a"]
    assert re.search(r'id="total-nodes">3<', dom)
    assert re.search(r'<div id="error"[^>]*hidden', dom), "the page shows an error"
    # The presence lookup the fragment asked for (&user=…).
    assert re.search(rf'<div id="result"[^>]*>User {account.id} is online on node-b since ', dom), dom
    socket.close()


def test_a_wrong_token_is_shown_as_an_error(cluster, tmp_path):
    a, *_ = cluster
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
             "--window-size=1280,900", f"--user-data-dir={profile}", f"--remote-debugging-port={self.port}", url],
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

    def command(self, method, params, timeout=20):
        """A DevTools command's answer."""
        self.calls += 1
        self.devtools.send(json.dumps({"id": self.calls, "method": method, "params": params}))
        while True:
            message = json.loads(self.devtools.recv(timeout=timeout))
            if message.get("id") == self.calls:
                return message

    def evaluate(self, expression, timeout=20):
        """The value of an expression (awaited when it is a promise). Evaluated again when the page
        was still loading (its first context, about:blank, is destroyed by the navigation)."""
        for _ in range(5):
            message = self.command("Runtime.evaluate", {
                "expression": expression, "awaitPromise": True, "returnByValue": True}, timeout)
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
    a, b, _ = cluster
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


def test_any_node_answers_the_series_of_every_node_and_the_cluster(cluster):
    a, b, c = cluster
    account = a.sign_up()
    socket = Socket(b.ws, a.login(account))

    def sampled():
        series = admin(c, "/admin/series")
        nodes = {node["id"]: node["samples"] for node in series["nodes"]}
        return series if set(NODES) <= set(nodes) and nodes["node-b"] and nodes["node-b"][-1]["sockets"] >= 1 else None

    series = wait_until(sampled, timeout=15, message="samples of every node, node-b holding a socket")
    assert series["interval"] == 1 and series["window"] == 3600
    samples = {node["id"]: node["samples"] for node in series["nodes"]}
    last = samples["node-b"][-1]
    assert last["t"] % 1000 == 0 and last["accounts_online"] >= 1 and last["rss_bytes"] > 0
    assert all(sample["redis_errors"] == 0 for node in samples.values() for sample in node), "Redis refused a command"
    assert set(last) >= {"connects", "kicks", "messages", "http", "kick_p99_ms", "heartbeat_lag_ms", "postgres_in_use",
                         "postgres_waiting", "redis_errors", "cpu"}
    # The cluster's sample of a time is the sum of the nodes' samples of that time.
    cluster_at = {sample["t"]: sample for sample in series["cluster"]}
    t = last["t"]
    assert cluster_at[t]["sockets"] == sum(s["sockets"] for node in samples.values() for s in node if s["t"] == t)
    # `since` answers only what came after.
    later = admin(c, f"/admin/series?since={t}&node=node-b")
    assert [node["id"] for node in later["nodes"]] == ["node-b"]
    assert all(sample["t"] > t for sample in later["nodes"][0]["samples"])
    socket.close()


def test_the_charts_draw_every_node_and_the_cluster(cluster, tmp_path):
    a, b, c = cluster
    account = a.sign_up()
    socket = Socket(c.ws, a.login(account))
    for node in cluster:  # HTTP traffic on every node, for the route-group charts
        assert node.get("/")[0] == 200
    wait_until(lambda: all(len(node["samples"]) >= 3 for node in admin(a, "/admin/series")["nodes"])
               and any("/" in sample["http"] for sample in admin(a, "/admin/series")["cluster"]), timeout=15,
               message="three samples of every node, one counting GET /")

    browser = Browser(f"{a.base}/admin/#token=cluster-admin-token", tmp_path / "profile")
    try:
        charts = browser.evaluate("""(async () => {
          for (let i = 0; i < 200 && document.querySelectorAll('figure.chart path.line').length < 20; i++)
            await new Promise(r => setTimeout(r, 50));
          const charts = {};
          for (const figure of document.querySelectorAll('figure.chart')) {
            charts[figure.dataset.chart] = [...figure.querySelectorAll('path.line')].map(
              (path) => [path.dataset.line, path.getAttribute('d').split(/[ML]/).filter((p) => p.trim()).length]);
          }
          return charts;
        })()""")
        assert set(charts) >= {"sockets", "accounts", "connects", "refused", "kicks", "messages", "http", "http-p99",
                               "kick-p99", "lag", "postgres", "redis-errors", "rss", "cpu"}, charts
        for chart in ("sockets", "rss", "cpu"):
            lines = dict(charts[chart])
            assert set(lines) == {"cluster", *NODES}, (chart, lines)
            assert all(points >= 2 for points in lines.values()), (chart, lines)
        assert "/" in dict(charts["http"]), charts["http"]  # the route group of GET /
        # One node alone: its lines only.
        scoped = browser.evaluate("""(async () => {
          const select = document.getElementById('chart-scope');
          select.value = 'node-c';
          select.dispatchEvent(new Event('change'));
          return [...document.querySelectorAll('figure[data-chart="sockets"] .legend')].map((l) => l.textContent).join();
        })()""")
        assert scoped.startswith("node-c") and "node-a" not in scoped, scoped
    finally:
        browser.close()
    socket.close()


def test_the_event_feed_shows_joins_outages_and_operators(cluster, redis, tmp_path):
    a, b, c = cluster
    account = a.sign_up()
    assert a.post(f"/admin/users/{account.id}/kick", headers=ADMIN)[0] == 200
    events = admin(b, "/admin/events")["events"]
    kinds = [event["kind"] for event in events]
    kick = events[kinds.index("user_kicked")]
    assert kick["node"] == "node-a" and kick["user_id"] == account.id and kick["address"] == "127.0.0.1", kick
    assert {event["node"] for event in events if event["kind"] == "node_joined"} == set(NODES)
    assert events == sorted(events, key=lambda event: [int(part) for part in event["id"].split("-")], reverse=True)
    older = admin(b, f"/admin/events?count=1&before={events[0]['id']}")["events"]
    assert older == events[1:2]

    # Redis away for a few probes, back empty: every node writes the outage once Redis answers,
    # and writes its ring of samples again.
    stopped = time.time() * 1000
    redis.stop()
    time.sleep(4)
    redis.start()

    def outage_seen():
        events = admin(a, "/admin/events")["events"]
        return {event["node"] for event in events if event["kind"] == "redis_up"} == set(NODES) and events

    events = wait_until(outage_seen, timeout=15, message="redis_up from every node")
    down = [event for event in events if event["kind"] == "redis_down"]
    assert {event["node"] for event in down} == set(NODES)
    wait_until(lambda: [node["id"] for node in admin(a, "/admin/series")["nodes"]
                        if node["samples"] and node["samples"][0]["t"] < stopped - 3000] == list(NODES), timeout=5,
               message="the nodes' rings, samples from before the restart, written to Redis again")

    dom = rendered(f"{c.base}/admin/#token=cluster-admin-token", tmp_path / "profile")
    rows = re.findall(r'<tr data-event-kind="([a-z_]+)">', dom)
    assert "redis_up" in rows and "redis_down" in rows, dom
    # Wait for every node's session with Redis before the next test.
    wait_until(lambda: all(node.ready() for node in cluster), message="nodes ready again")


# In the page: search for a username, open the first account found, answer its detail.
SEARCH = """(async () => {
  const until = async (test) => { for (let i = 0; i < 200 && !test(); i++) await new Promise(r => setTimeout(r, 50)); };
  await until(() => document.querySelector('tr[data-node-id]'));
  document.getElementById('search-q').value = '%s';
  document.getElementById('search-form').requestSubmit();
  await until(() => document.querySelector('#search-results tr[data-user-id]'));
  document.querySelector('#search-results tr[data-user-id]').click();
  await until(() => !document.getElementById('account-detail').hidden);
  return {title: document.getElementById('account-title').textContent,
          presence: document.getElementById('account-presence').textContent,
          sessions: [...document.querySelectorAll('#account-sessions tr')].map((tr) => tr.textContent)};
})()"""


def test_an_account_is_found_by_username_and_its_sessions_revoked(cluster, tmp_path):
    a, b, c = cluster
    account = a.sign_up()
    a.login(account)  # a first session, superseded by the next login
    socket = Socket(b.ws, a.login(account))
    assert socket.is_open()

    found = admin(a, f"/admin/users?q={account.username[:9]}")["users"]
    assert account.id in [user["id"] for user in found]
    assert admin(a, f"/admin/users?q={account.id}")["users"][0]["id"] == account.id
    detail = admin(c, f"/admin/users/{account.id}")
    assert detail["presence"]["node"] == "node-b"
    assert [(s["active"], s["revoked_reason"]) for s in detail["sessions"]] == [(True, None), (False, "superseded")]

    browser = Browser(f"{a.base}/admin/#token=cluster-admin-token", tmp_path / "profile")
    try:
        shown = browser.evaluate(SEARCH % account.username)
        assert shown["title"].startswith(f"{account.username} (#{account.id})") and "enabled" in shown["title"], shown
        assert shown["presence"].startswith("Online on node-b since"), shown
        assert "active" in shown["sessions"][0] and "superseded" in shown["sessions"][1], shown
        assert browser.evaluate(CLICK % (account.id, "revoke")).startswith(f"User {account.id} signed out everywhere at ")
        assert socket.closed_with() == ({"msg": "fail", "data": "你已退出登录", "code": "logged_out"}, 4410)
        shown = browser.evaluate("""(async () => {
          for (let i = 0; i < 100 && !document.getElementById('account-sessions').textContent.includes('logged_out'); i++)
            await new Promise(r => setTimeout(r, 50));
          return document.getElementById('account-sessions').textContent;
        })()""")
        assert "logged_out" in shown and "active" not in shown, shown
        write_screenshot(browser, tmp_path)
    finally:
        browser.close()
    assert b.login(account), "a revoke signs out; the account stays enabled"
    revoked = [e for e in admin(a, "/admin/events")["events"] if e["kind"] == "sessions_revoked"]
    assert revoked and revoked[0]["user_id"] == account.id


def write_screenshot(browser, tmp_path):
    """The whole page as a PNG: into tmp_path, and to PARLEY_DASHBOARD_SCREENSHOT when set (how
    docs/dashboard.png is made)."""
    height = browser.evaluate("document.documentElement.scrollHeight")
    browser.command("Emulation.setDeviceMetricsOverride", {"width": 1280, "height": height, "deviceScaleFactor": 1, "mobile": False})
    browser.evaluate("new Promise(r => setTimeout(r, 300))")
    png = base64.b64decode(browser.command("Page.captureScreenshot", {"format": "png"})["result"]["data"])
    assert png.startswith(b"\x89PNG")
    (tmp_path / "dashboard.png").write_bytes(png)
    if os.environ.get("PARLEY_DASHBOARD_SCREENSHOT"):
        with open(os.environ["PARLEY_DASHBOARD_SCREENSHOT"], "wb") as file:
            file.write(png)
