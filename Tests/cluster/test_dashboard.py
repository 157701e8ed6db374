"""The cluster dashboard (API.md §6, `GET /admin/`) rendered by a real browser: Debian's chromium,
headless, against a two-node cluster."""
import re
import shutil
import subprocess
import urllib.error
import urllib.request

from conftest import wait_until
from sockets import Socket

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

    dom = rendered(f"{a.base}/admin/#token=cluster-admin-token", tmp_path / "profile")
    rows = dict(re.findall(r'<tr data-node-id="([^"]+)">(.*?)</tr>', dom, re.S))
    assert {"node-a", "node-b"} <= set(rows), dom
    assert f"127.0.0.1:{b.port}" in rows["node-b"]
    assert re.search(r'<td class="num">[1-9][0-9]*</td>', rows["node-b"]), rows["node-b"]  # b holds the socket
    assert "serving" in rows["node-a"]
    assert re.search(r'id="total-nodes">2<', dom)
    assert re.search(r'<div id="error"[^>]*hidden', dom), "the page shows an error"
    socket.close()


def test_a_wrong_token_is_shown_as_an_error(cluster, tmp_path):
    a, _ = cluster
    dom = rendered(f"{a.base}/admin/#token=wrong", tmp_path / "profile", budget_ms=3000)
    error = re.search(r'<div id="error"[^>]*>(.*?)</div>', dom, re.S)
    assert error and "refused" in error.group(1) and "401" in error.group(1), dom
    assert "data-node-id" not in dom
