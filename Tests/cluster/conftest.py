"""Multi-node tests: real `parley serve` processes sharing the real PostgreSQL and a Redis server.

Every test module gets its own redis-server (so tests may restart or kill it) and talks to the
PostgreSQL database that `make test` prepared (PARLEY_TEST_DATABASE_URL).
"""
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BINARY = Path(os.environ.get("PARLEY_BINARY", ROOT / ".build" / "debug" / "parley"))
DATABASE_URL = os.environ.get("PARLEY_TEST_DATABASE_URL", "postgres://parley@127.0.0.1:55432/parley_test")
SECRET = "cluster-tests-secret-0123456789abcdef"
HEARTBEAT = 1
PRESENCE_TTL = 3


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def fault_proxy(name, target_port):
    """The fault proxy of `make chaos` (Tests/chaos/proxy.py) in front of 127.0.0.1:`target_port`, on
    an event loop of its own: yields its port, and a function that runs a proxy method (`blackhole`,
    `cut`, `heal`, …) on that loop."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "chaos"))
    from proxy import FaultProxy

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    proxy = FaultProxy(name, ("127.0.0.1", target_port), free_port())
    asyncio.run_coroutine_threadsafe(proxy.start(), loop).result(5)

    def fault(method, *args):
        loop.call_soon_threadsafe(getattr(proxy, method), *args)

    try:
        yield proxy.port, fault
    finally:
        asyncio.run_coroutine_threadsafe(proxy.close(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)


def wait_until(condition, timeout=10.0, interval=0.05, message="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {message}")


class Redis:
    """A private redis-server for one test module."""

    def __init__(self, workdir):
        self.port = free_port()
        self.workdir = workdir
        self.process = None
        self.start()

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: self.cli("PING") == "PONG", message="redis-server")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)

    def restart(self):
        self.stop()
        self.start()

    def cli(self, *args):
        result = subprocess.run(["redis-cli", "-p", str(self.port), *args], capture_output=True, text=True)
        return result.stdout.strip()


class S3Server:
    """A private S3-compatible server for one test module: moto's, from the venv pytest runs in
    (scripts/provision.sh installs moto[server] there), with one bucket."""

    BUCKET = "parley-media"

    def __init__(self, logdir):
        self.port = free_port()
        self.log = open(logdir / "moto.log", "w")
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=self.log, stderr=subprocess.STDOUT)
        wait_until(self.answers, timeout=30, message="moto_server")
        assert self.request("PUT", f"/{self.BUCKET}")[0] == 200

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def settings(self):
        """What a node needs to keep its media in the bucket."""
        return {"PARLEY_MEDIA_URL": f"s3://{self.BUCKET}?endpoint={self.endpoint}&region=us-east-1",
                "AWS_ACCESS_KEY_ID": "parley-tests", "AWS_SECRET_ACCESS_KEY": "parley-tests-secret"}

    def answers(self):
        try:
            return self.request("GET", "/")[0] == 200
        except OSError:
            return False

    def request(self, method, path):
        """An unsigned request (moto does not check signatures); its status and body."""
        try:
            with urllib.request.urlopen(urllib.request.Request(self.endpoint + path, method=method), timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def keys(self, prefix):
        """The keys under `prefix` in the bucket."""
        body = self.request("GET", f"/{self.BUCKET}?list-type=2&prefix={prefix}")[1].decode()
        return [part.split("</Key>")[0] for part in body.split("<Key>")[1:]]

    def unfinished_uploads(self):
        body = self.request("GET", f"/{self.BUCKET}?uploads")[1].decode()
        return body.count("<Upload>")

    def stop(self):
        self.process.terminate()
        self.process.wait(10)
        self.log.close()


class Node:
    """One `parley serve` process."""

    def __init__(self, name, redis, logdir, wait_ready=True, **settings):
        self.name = name
        self.port = free_port()
        self.log_path = logdir / f"{name}.log"
        env = dict(os.environ,
                   PARLEY_PORT=str(self.port), PARLEY_NODE_ID=name, PARLEY_DATABASE_URL=DATABASE_URL,
                   PARLEY_REDIS_URL=redis.url, PARLEY_JWT_SECRET=SECRET, PARLEY_BCRYPT_COST="4",
                   PARLEY_HEARTBEAT=str(HEARTBEAT), PARLEY_PRESENCE_TTL=str(PRESENCE_TTL),
                   PARLEY_LOG_LEVEL="info", PARLEY_ADMIN_TOKEN="cluster-admin-token",
                   # The tests open many sockets and accounts from one address; test_abuse.py sets limits.
                   PARLEY_SOCKET_RATE="0", PARLEY_REG_RATE="0")
        env.update(settings)
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen([str(BINARY), "serve"], env=env, stdout=self.log, stderr=subprocess.STDOUT)
        if wait_ready:
            wait_until(self.ready, message=f"node {name} ready")

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self):
        return f"ws://127.0.0.1:{self.port}/ws"

    def ready(self):
        try:
            return self.get("/ready")[0] == 200
        except OSError:
            return False

    def request(self, method, path, body=None, token=None, headers=None):
        data = json.dumps(body).encode() if body is not None else None
        all_headers = {"content-type": "application/json", **(headers or {})}
        if token:
            all_headers["token"] = token
        req = urllib.request.Request(self.base + path, data=data, headers=all_headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=10) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as error:
            return error.code, json.load(error)

    def get(self, path, token=None, headers=None):
        return self.request("GET", path, token=token, headers=headers)

    def post(self, path, body=None, token=None, headers=None):
        return self.request("POST", path, body or {}, token=token, headers=headers)

    def sign_up(self):
        username = "c" + uuid.uuid4().hex[:12]
        status, answer = self.post("/reg", {"username": username, "password": "secret123", "repassword": "secret123"})
        assert status == 200, answer
        return Account(answer["data"]["id"], username)

    def login(self, account):
        status, answer = self.post("/login", {"username": account.username, "password": "secret123"})
        assert status == 200, answer
        return answer["data"]["token"]

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def terminate(self, timeout=20):
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def stop(self):
        if self.process.poll() is None:
            self.terminate()
        self.log.close()


class Account:
    def __init__(self, id, username):
        self.id = id
        self.username = username


@pytest.fixture(scope="module")
def redis(tmp_path_factory):
    server = Redis(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def cluster(redis, tmp_path_factory):
    """Two nodes sharing PostgreSQL and Redis."""
    logdir = tmp_path_factory.mktemp("logs")
    nodes = [Node("node-a", redis, logdir), Node("node-b", redis, logdir)]
    yield nodes
    for node in nodes:
        node.stop()


@pytest.fixture
def spawn(redis, tmp_path):
    """Starts extra nodes that the test may kill; stops whatever is left afterwards."""
    started = []

    def start(name, wait_ready=True, **settings):
        """`wait_ready=False` returns at once, for a test that expects the node to refuse its settings."""
        node = Node(name, redis, tmp_path, wait_ready=wait_ready, **settings)
        started.append(node)
        return node

    yield start
    for node in started:
        node.stop()
