"""The clients of a chaos run: one actor per account, recording everything it does and sees.

An account behaves like one person with one phone: it holds the token of its latest login and opens
sockets with it. Its operations run one at a time (`lock`), as a phone's would, so the history has a
clear order per account; different accounts run concurrently. A scheduled operation that finds its
account busy (e.g. a login stuck on PostgreSQL) is skipped and counted, so the schedule keeps time.

Most accounts only do what the schedule says (a `connect` opens a new socket and leaves the old
one to be kicked, like a phone reconnecting on another network). A few are *reconnecting clients*:
whenever their socket closes they open another one after a short back-off, logging in again when the
server says their session is gone — the client whose "never zero sockets forever" is checked.
"""
import asyncio
import base64
import json
import time

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

import web
from history import MessageRecord, OperationRecord, PresenceSample, SocketRecord

PASSWORD = "secret123"
ADMIN_TOKEN = "chaos-admin-token-0123456789"
# Closed with one of these, a socket's session is gone (or its account disabled): log in again.
SESSION_GONE = {4401, 4403, 4410}


class Clock:
    """Harness time: seconds since the run started, on the event loop's monotonic clock."""

    def __init__(self):
        self.mono0 = asyncio.get_running_loop().time()
        self.wall0 = time.time()

    def now(self):
        return asyncio.get_running_loop().time() - self.mono0

    def from_epoch(self, seconds):
        return seconds - self.wall0

    async def sleep_until(self, at):
        await asyncio.sleep(max(0.0, at - self.now()))


def token_claims(token):
    """The JWT's payload (the harness only reads it: `sid` and `exp`)."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


class World:
    """What every actor shares: the clock, the history being written, the nodes."""

    def __init__(self, clock, history, nodes):
        self.clock = clock
        self.history = history
        self.nodes = nodes
        self.next_socket_id = 0

    def socket_id(self):
        self.next_socket_id += 1
        return self.next_socket_id


class LiveSocket:
    """A socket's connection and the task that reads it until it closes."""

    def __init__(self, record, connection):
        self.record = record
        self.connection = connection
        self.closed = asyncio.Event()
        self.reader = None

    async def close(self):
        self.record.closed_by_client = True
        try:
            await asyncio.wait_for(self.connection.close(), 5)
        except (asyncio.TimeoutError, OSError):
            self.connection.transport.abort()


class Account:
    def __init__(self, world, index, user_id, username, loop, rng):
        self.world = world
        self.index = index
        self.user_id = user_id
        self.username = username
        self.loop = loop
        self.rng = rng
        self.friends = []
        self.token = None
        self.sid = None
        self.token_exp = 0.0
        self.disabled = False
        self.enabled = asyncio.Event()  # a disabled person waits for the operator, rather than retrying
        self.enabled.set()              # logins until the failed-login throttle (429) locks them out
        self.lock = asyncio.Lock()
        self.sockets = []  # LiveSockets not yet closed
        # Half the clients acknowledge (docs/api.md §7): they keep the highest number up to which they
        # hold every inbox entry, and acknowledge it, as an app storing its messages would.
        self.acknowledges = index % 2 == 1
        self.contiguous = 0

    # -- requests ----------------------------------------------------------------------------------

    async def _call(self, kind, node, method, path, body=None, admin=False, **record):
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"} if admin else ({"token": self.token} if self.token else {})
        started = self.world.clock.now()
        answer = await web.request(node.port, method, path, body, headers)
        self.world.history.operations.append(OperationRecord(
            kind, self.index, node.name, started, self.world.clock.now(), answer.status, answer.code,
            detail=answer.error, **record))
        return answer

    async def login(self, node):
        started = self.world.clock.now()
        answer = await web.request(node.port, "POST", "/login", {"username": self.username, "password": PASSWORD})
        sid = None
        if answer.ok:
            self.token = answer.data["token"]
            claims = token_claims(self.token)
            sid, self.sid, self.token_exp = claims["sid"], claims["sid"], self.world.clock.from_epoch(claims["exp"])
        self.world.history.operations.append(OperationRecord(
            "login", self.index, node.name, started, self.world.clock.now(), answer.status, answer.code, sid=sid,
            detail=answer.error))
        return answer.ok

    async def logout(self, node):
        answer = await self._call("logout", node, "POST", "/logout", {}, sid=self.sid)
        if answer.ok:
            self.token = None

    async def disable(self, node):
        answer = await self._call("disable", node, "POST", f"/admin/users/{self.user_id}/disable", {}, admin=True)
        self.disabled = True  # also when unanswered: it may have happened
        self.enabled.clear()
        if answer.ok:
            self.token = None

    async def enable(self, node):
        answer = await self._call("enable", node, "POST", f"/admin/users/{self.user_id}/enable", {}, admin=True)
        if answer.ok:
            self.disabled = False
            self.enabled.set()
        return answer.ok

    async def send(self, node, friend):
        sent = self.world.clock.now()
        answer = await self._call("send", node, "POST", "/chat/send",
                                  {"to_id": friend.user_id, "chat_type": "user", "type": "text", "data": f"m{sent:.3f}"})
        if answer.ok:
            self.world.history.messages.append(MessageRecord(
                answer.data["id"], self.index, friend.index, sent, self.world.clock.now()))

    async def get_messages(self, node):
        return await self._call("getmessage", node, "POST", "/chat/getmessage", {})

    async def presence(self, node):
        answer = await self._call("presence", node, "GET", f"/admin/presence/{self.user_id}", admin=True)
        if answer.ok:
            self.world.history.presence.append(PresenceSample(
                self.world.clock.now(), self.index, bool(answer.data["online"]), answer.data["node"]))
        return answer

    # -- sockets -----------------------------------------------------------------------------------

    async def open_socket(self, node, purpose):
        """Opens a socket with the current token; returns its LiveSocket, or None if the upgrade failed."""
        clock = self.world.clock
        record = SocketRecord(self.world.socket_id(), self.index, node.name, self.sid or "", self.token_exp,
                              purpose, clock.now(), acknowledges=self.acknowledges)
        self.world.history.sockets.append(record)
        ack = "&ack=1" if self.acknowledges else ""
        try:
            connection = await connect(f"ws://127.0.0.1:{node.port}/ws?token={self.token or ''}{ack}", open_timeout=5,
                                       ping_interval=None, close_timeout=3, compression=None, proxy=None,
                                       max_queue=None)
        except Exception as error:  # refused, reset, timed out, or an HTTP error instead of 101
            record.error = f"{type(error).__name__}: {str(error)[:120]}"
            return None
        record.opened = clock.now()
        live = LiveSocket(record, connection)
        self.sockets.append(live)
        live.reader = asyncio.ensure_future(self._read(live))
        return live

    async def _read(self, live):
        record, clock = live.record, self.world.clock
        try:
            async for text in live.connection:
                frame = json.loads(text)
                if frame.get("msg") == "fail":
                    record.fail_code = frame.get("code")
                    continue
                if frame.get("msg") == "ok" and isinstance(frame.get("data"), dict):
                    record.frames.append([clock.now(), frame["data"]["id"], frame["data"]["from_id"]])
                if "seq" in frame:
                    record.numbered.append([clock.now(), frame["seq"]])
                    if frame["seq"] == self.contiguous + 1:
                        self.contiguous = frame["seq"]
                        await live.connection.send(json.dumps({"type": "ack", "seq": self.contiguous}))
        except ConnectionClosed:
            pass
        except Exception as error:
            record.error = f"{type(error).__name__}: {str(error)[:120]}"
        finally:
            record.closed = clock.now()
            record.close_code = live.connection.close_code
            if live in self.sockets:
                self.sockets.remove(live)
            live.closed.set()

    async def close_newest(self):
        """The client closes its newest socket (1000), as an app going to the background would."""
        if self.sockets:
            live, started = self.sockets[-1], self.world.clock.now()
            await live.close()
            self.world.history.operations.append(OperationRecord(
                "close", self.index, live.record.node, started, self.world.clock.now(), 200))

    # -- behaviours --------------------------------------------------------------------------------

    async def connect(self, node, fetch):
        """A scheduled connect: a new socket (logging in first if there is no token); the old one stays
        for the server to kick. `fetch`: then ask for waiting messages, as the app does."""
        if self.token is None and not await self.login(node):
            return
        live = await self.open_socket(node, "connect")
        if live is not None and fetch:
            await self.get_messages(node)

    async def keep_connected(self, stop, backoff_cap):
        """The reconnecting client: as long as `stop` is not set, hold a socket."""
        backoff = 0.2
        while not stop.is_set():
            await _wait_either(self.enabled, stop)
            node = self.rng.choice(self.world.nodes)
            async with self.lock:
                live = None
                if self.token is not None or await self.login(node):
                    live = await self.open_socket(node, "loop")
            if live is not None:
                await self.get_messages(node)
                await _wait_either(live.closed, stop)
                if live.closed.is_set():
                    record = live.record
                    if record.close_code in SESSION_GONE:
                        self.token = None
                    backoff = 0.2 if record.closed - record.opened > 3 else min(backoff * 2, backoff_cap)
                    await asyncio.sleep(backoff)
            else:
                backoff = min(backoff * 2, backoff_cap)
                await asyncio.sleep(backoff)

    async def connect_finally(self, nodes, settle=1.5, attempts=6):
        """After convergence: a socket that stays open (logging in again when refused). Returns its
        record's id, or None when every attempt was refused."""
        for attempt in range(attempts):
            node = nodes[(self.index + attempt) % len(nodes)]
            async with self.lock:
                if self.token is None and not await self.login(node):
                    await asyncio.sleep(0.5)
                    continue
                live = await self.open_socket(node, "final")
            if live is None:
                await asyncio.sleep(0.5)
                continue
            try:
                await asyncio.wait_for(live.closed.wait(), settle)
            except asyncio.TimeoutError:
                await self.get_messages(node)
                return live.record.id
            if live.record.close_code in SESSION_GONE:
                self.token = None
        return None


async def _wait_either(first, second):
    waiters = [asyncio.ensure_future(first.wait()), asyncio.ensure_future(second.wait())]
    await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    for waiter in waiters:
        waiter.cancel()
