"""The processes of a chaos run: a private PostgreSQL, a private redis-server and the Parley nodes.

Every child is started from the event loop's thread with PR_SET_PDEATHSIG = SIGKILL, so nothing
outlives the harness, even when the harness itself is killed. PostgreSQL is a cluster of its own
under `.local/chaos/postgres` (initdb once, as the `postgres` user when we are root), so stopping it
does not disturb anybody else's tests on the shared local PostgreSQL.
"""
import asyncio
import ctypes
import os
import pwd
import shutil
import signal
from pathlib import Path

import web

PG_BIN = Path("/usr/lib/postgresql/15/bin")
_libc = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG = 1


def _child_setup(user=None):
    """preexec_fn: optionally become `user` (PostgreSQL refuses root), then die with the parent.
    The death signal is set after the uid change, which would clear it."""
    def setup():
        os.setsid()  # a Ctrl-C at the terminal reaches the harness only, which then cleans up in order
        if user is not None:
            entry = pwd.getpwnam(user)
            os.setgid(entry.pw_gid)
            os.setuid(entry.pw_uid)
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    return setup


def _service_user():
    return "postgres" if os.getuid() == 0 else None


async def spawn(args, log_path, env=None, user=None):
    log = open(log_path, "ab")
    try:
        return await asyncio.create_subprocess_exec(
            *map(str, args), stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=asyncio.subprocess.STDOUT,
            env=env, preexec_fn=_child_setup(user))
    finally:
        log.close()


async def run(args, user=None, env=None):
    """Runs a short command to completion; returns (exit status, output)."""
    process = await asyncio.create_subprocess_exec(
        *map(str, args), stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT, env=env, preexec_fn=_child_setup(user))
    output, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    return process.returncode, output.decode(errors="replace")


async def wait_for(condition, timeout, interval=0.1, what="condition"):
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if await condition():
            return
        await asyncio.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:g}s waiting for {what}")


async def stop_process(process, sig=signal.SIGKILL, timeout=30):
    """Sends SIGCONT (in case it is frozen), then `sig`, and waits for the exit. Never a signal after
    `sig`: sending one polls the child and could reap it before asyncio's watcher does."""
    if process is None or process.returncode is not None:
        return
    try:
        process.send_signal(signal.SIGCONT)
        process.send_signal(sig)
    except ProcessLookupError:
        return
    try:
        await asyncio.wait_for(process.wait(), timeout)
    except asyncio.TimeoutError:
        process.kill()
        await process.wait()


class Postgres:
    def __init__(self, workdir, port, data=None):
        self.data = data or workdir / "postgres"
        self.log_path = workdir / "postgres.log"
        self.port = port
        self.process = None

    def url(self, port=None, database="parley_chaos"):
        return f"postgres://parley@127.0.0.1:{port or self.port}/{database}"

    async def initialize(self):
        """initdb, unless an earlier one completed (an interrupted one is started over)."""
        done = self.data / "chaos-initialized"
        if done.exists():
            return
        if self.data.exists():
            shutil.rmtree(self.data)
        self.data.mkdir(parents=True)
        user = _service_user()
        if user:
            shutil.chown(self.data, user, user)
        self.data.chmod(0o700)
        status, output = await run([PG_BIN / "initdb", "-D", self.data, "-U", "parley", "--auth=trust",
                                    "--encoding=UTF8", "--locale=C.UTF-8"], user=user)
        if status != 0:
            raise RuntimeError(f"initdb failed: {output}")
        done.touch()

    async def start(self):
        self.process = await spawn(
            [PG_BIN / "postgres", "-D", self.data, "-p", self.port, "-k", self.data,
             # fsync=off survives a PostgreSQL crash (the OS keeps its pages), not a machine crash;
             # never synchronous_commit=off: an immediate shutdown would lose commits already answered.
             "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200", "-c", "fsync=off"],
            self.log_path, user=_service_user())
        await wait_for(self.answers, 60, what="PostgreSQL")

    async def answers(self):
        status, _ = await run([PG_BIN / "pg_isready", "-q", "-h", "127.0.0.1", "-p", self.port])
        return status == 0

    async def stop(self, immediate=False):
        """Fast shutdown (SIGINT: sessions are terminated, like a restart) or immediate (SIGQUIT: a crash)."""
        await stop_process(self.process, signal.SIGQUIT if immediate else signal.SIGINT)

    async def psql(self, sql, database="parley_chaos"):
        status, output = await run(["psql", self.url(database=database), "-qAt", "-F", "|", "-c", sql])
        if status != 0:
            raise RuntimeError(f"psql failed: {output}")
        return [line.split("|") for line in output.splitlines() if line]

    async def fresh_database(self):
        await self.psql("DROP DATABASE IF EXISTS parley_chaos WITH (FORCE)", database="postgres")
        await self.psql("CREATE DATABASE parley_chaos", database="postgres")


class Redis:
    def __init__(self, workdir, port):
        self.workdir = workdir
        self.port = port
        self.process = None

    async def start(self):
        self.process = await spawn(
            ["redis-server", "--port", self.port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", self.workdir], self.workdir / "redis.log")
        await wait_for(self.answers, 20, what="redis-server")

    async def answers(self):
        return (await self.cli("PING")) == "PONG"

    async def cli(self, *args):
        _, output = await run(["redis-cli", "-p", self.port, *args])
        return output.strip()

    async def stop(self):
        await stop_process(self.process, signal.SIGKILL)

    async def restart_empty(self):
        """Killed and started again with nothing (no persistence): every key and subscription is gone."""
        await self.stop()
        await self.start()


class Node:
    """One `parley serve` process. Its port and id stay the same across restarts."""

    def __init__(self, name, port, binary, workdir, settings, redis_url, database_url, admin_token, secret):
        self.name = name
        self.port = port
        self.binary = binary
        self.log_path = workdir / f"{name}.log"
        self.env = dict(os.environ,
                        PARLEY_PORT=str(port), PARLEY_NODE_ID=name, PARLEY_DATABASE_URL=database_url,
                        PARLEY_REDIS_URL=redis_url, PARLEY_JWT_SECRET=secret, PARLEY_ADMIN_TOKEN=admin_token,
                        PARLEY_BCRYPT_COST="4", PARLEY_HEARTBEAT=str(settings.heartbeat),
                        PARLEY_PRESENCE_TTL=str(settings.presence_ttl), PARLEY_TOKEN_TTL=str(settings.token_ttl),
                        PARLEY_SOCKET_RATE="0", PARLEY_REG_RATE="0", PARLEY_CONNECTIONS_PER_ADDRESS="0",
                        PARLEY_DATABASE_POOL="10", PARLEY_LOG_LEVEL="info",
                        # A crash prints its stack fast, so the process exits (and is restarted) soon.
                        SWIFT_BACKTRACE="interactive=no,symbolicate=fast,threads=crashed,registers=none,images=none")
        self.process = None
        self.paused = False
        self.on_crash = None     # called with (node, exit status) when it exits without being told to
        self._expected_exit = False

    @property
    def running(self):
        return self.process is not None and self.process.returncode is None

    async def start(self, ready_timeout=30):
        """Starts the process and waits until it is ready. One that exits first (its port still held
        by a crashed predecessor's backtracer, say) is started again after a back-off. Only a process
        that became ready is watched: its exit, unless the harness caused it, is a crash."""
        loop = asyncio.get_running_loop()
        deadline, backoff = loop.time() + ready_timeout, 0.5
        while True:
            self.process = process = await spawn([self.binary, "serve"], self.log_path, env=self.env)
            self.paused = False
            self._expected_exit = False
            exited = asyncio.ensure_future(process.wait())
            while loop.time() < deadline and not exited.done():
                if await self.ready():
                    asyncio.ensure_future(self._watch(process, exited))
                    return
                await asyncio.sleep(0.2)
            if loop.time() >= deadline:
                raise TimeoutError(f"{self.name} not ready after {ready_timeout:g}s")
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 4.0)

    async def ready(self):
        return (await web.request(self.port, "GET", "/ready", timeout=3)).ok

    async def _watch(self, process, exited):
        status = await exited
        if not self._expected_exit and process is self.process and self.on_crash is not None:
            self.on_crash(self, status)

    def crash_report(self):
        """The log's lines that say why the process died (Swift's fatal error and crash lines)."""
        markers = ("Fatal error", "Precondition failed", "Assertion failed", "Program crashed", "crashed:")
        with open(self.log_path, errors="replace") as log:
            lines = [line.strip() for line in log if any(m in line for m in markers)]
        return " | ".join(lines[-4:])

    async def kill(self):
        self._expected_exit = True
        await stop_process(self.process, signal.SIGKILL)
        self.paused = False

    def pause(self):
        self.process.send_signal(signal.SIGSTOP)
        self.paused = True

    def resume(self):
        if self.running:
            self.process.send_signal(signal.SIGCONT)
        self.paused = False
