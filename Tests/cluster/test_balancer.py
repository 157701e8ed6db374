"""End to end through nginx, as `make cluster` runs it: three real nodes behind Debian's nginx with the
config rendered from deploy/nginx/parley.conf by scripts/cluster.sh (least_conn, WebSocket upgrade)."""
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import ROOT, Node, free_port, wait_until
from sockets import Socket
from test_gateway import KICKED

ADMIN = {"authorization": "Bearer cluster-admin-token"}


class Balancer:
    """nginx on a free port in front of the given nodes, with a prefix of its own."""

    def __init__(self, nodes):
        self.nodes = nodes
        self.port = free_port()
        # Under /tmp, readable by nginx's unprivileged workers when the tests run as root.
        self.prefix = Path(tempfile.mkdtemp(prefix="parley-nginx-"))
        self.prefix.chmod(0o755)
        for folder in ("logs", "temp"):
            (self.prefix / folder).mkdir()
        self.conf = self.prefix / "nginx.conf"
        self.access_log = self.prefix / "logs" / "access.log"
        rendered = subprocess.run(
            [str(ROOT / "scripts" / "cluster.sh"), "nginx-conf", str(self.prefix), f"127.0.0.1:{self.port}",
             *(f"127.0.0.1:{node.port}" for node in nodes)],
            capture_output=True, text=True, check=True)
        self.conf.write_text(rendered.stdout)
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        command = [nginx, "-p", str(self.prefix), "-e", str(self.prefix / "logs" / "error.log"), "-c", str(self.conf)]
        test = subprocess.run([*command, "-t"], capture_output=True, text=True)
        assert test.returncode == 0, test.stderr
        self.process = subprocess.Popen([*command, "-g", "daemon off;"])
        wait_until(self.ready, message="nginx ready")

    base = Node.base
    ws = Node.ws
    ready = Node.ready
    request = Node.request
    get = Node.get
    post = Node.post
    sign_up = Node.sign_up
    login = Node.login

    def node_on(self, upstream):
        """The node behind an `upstream=` address of the access log."""
        port = int(upstream.split(",")[-1].strip().rsplit(":", 1)[1])
        return next(node for node in self.nodes if node.port == port)

    def served(self, method, uri):
        """The nodes that served each logged `METHOD URI` request, oldest first."""
        if not self.access_log.exists():
            return []
        pattern = re.compile(rf'"{method} {re.escape(uri)}" \d+ upstream=(\S+(?:, \S+)*)$')
        return [self.node_on(match.group(1)) for line in self.access_log.read_text().splitlines()
                if (match := pattern.search(line))]

    def holder(self, account):
        """The node holding the account's socket, per the admin API asked through the balancer."""
        answer = self.get(f"/admin/presence/{account.id}", headers=ADMIN)[1]["data"]
        return next((node for node in self.nodes if node.name == answer["node"]), None) if answer["online"] else None

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(10)
        shutil.rmtree(self.prefix, ignore_errors=True)


@pytest.fixture(scope="module")
def nodes(redis, tmp_path_factory):
    logdir = tmp_path_factory.mktemp("logs")
    started = [Node(f"lb-{i}", redis, logdir) for i in (1, 2, 3)]
    yield started
    for node in started:
        node.stop()


@pytest.fixture(scope="module")
def balancer(nodes):
    server = Balancer(nodes)
    yield server
    server.stop()


def test_requests_are_spread_over_every_node(balancer, nodes):
    landed = {balancer.get("/")[1]["data"]["node"] for _ in range(9)}
    assert landed == {node.name for node in nodes}


def test_a_login_through_the_balancer_kicks_a_socket_held_by_another_node(balancer):
    account = balancer.sign_up()
    crossed = []
    for _ in range(6):
        socket = Socket(balancer.ws, balancer.login(account))
        holder = wait_until(lambda: balancer.holder(account), message="the socket's presence")
        logins_before = len(balancer.served("POST", "/login"))
        balancer.login(account)  # the socket's session is revoked and its socket superseded, wherever it is
        assert socket.closed_with() == (KICKED, 4409)
        login_node = wait_until(lambda: balancer.served("POST", "/login")[logins_before:], message="logged login")[0]
        if login_node is not holder:
            crossed.append((holder.name, login_node.name))
            break
    # least_conn sends the login away from the node that holds the open socket.
    assert crossed, "every login landed on the node holding the socket"


def test_a_drained_nodes_clients_reconnect_through_the_balancer_to_the_others(balancer, nodes):
    account = balancer.sign_up()
    token = balancer.login(account)
    socket = Socket(balancer.ws, token)
    holder = wait_until(lambda: balancer.holder(account), message="the socket's presence")

    holder.process.send_signal(signal.SIGTERM)
    assert socket.close_code() == 1001  # going away: no `fail` frame, the client reconnects

    # A client's reconnect loop: while the node drains it may still take the upgrade and send it
    # away again with 1001; once it stops listening, nginx skips it.
    deadline = time.monotonic() + 20
    while True:
        assert time.monotonic() < deadline, "no reconnect through the balancer reached another node"
        again = Socket(balancer.ws, token)
        if again.is_open(0.5):
            break
        again.close()
        time.sleep(0.2)
    new_holder = wait_until(lambda: balancer.holder(account), message="the new socket's presence")
    assert new_holder is not holder
    assert again.is_open()
    assert holder.process.wait(20) == 0

    # The balancer goes on answering from the two others, and the cluster view forgets the drained node.
    assert {balancer.get("/")[1]["data"]["node"] for _ in range(6)} <= {n.name for n in nodes if n is not holder}
    wait_until(lambda: {card["id"] for card in balancer.get("/admin/cluster", headers=ADMIN)[1]["data"]["nodes"]}
               == {n.name for n in nodes if n is not holder}, message="the cluster view without the drained node")
    again.close()
