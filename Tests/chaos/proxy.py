"""A TCP fault proxy (asyncio) between one node and one service (Redis or PostgreSQL).

Every node reaches Redis and PostgreSQL through a proxy of its own, so a fault can hit one node's
link while the rest of the cluster keeps working — the situation in which issue 13's holes appear.

Faults, as TCP would show them to the node:
- `delay(seconds)`: every chunk is forwarded `seconds` after it was read, in order (a slow link).
- `blackhole()`: nothing is forwarded in either direction, and new connections are accepted but not
  connected upstream (a partition). Bytes are *held*, not dropped: dropping bytes from the middle of a
  TCP stream cannot happen on a real network (TCP retransmits), so a partition is a stall.
- `cut(direction)`: one direction stalls, the other flows (`"up"`: node→service is held, so commands
  never arrive; `"down"`: service→node is held, so commands run but their replies never come back —
  the case of a command that times out and still executes later).
- `reset()`: every open connection is aborted with a TCP RST on both sides; new ones pass.
- `heal(reset=False)`: everything flows again; held bytes are delivered in order (a partition
  shorter than TCP's retransmission timeout), or with `reset=True` the held connections are reset
  instead (a partition that outlived them).
When the service itself is down, the upstream connect fails and the node's connection is reset.
"""
import asyncio
import socket
import struct

CHUNK = 65536


def _abort_with_rst(writer):
    """Closes a connection with RST instead of FIN (SO_LINGER with a zero timeout)."""
    sock = writer.get_extra_info("socket")
    try:
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    writer.transport.abort()


class _Direction:
    """Whether one direction of every link flows, and its delay."""

    def __init__(self):
        self.flowing = asyncio.Event()
        self.flowing.set()
        self.delay = 0.0


class _Link:
    """One proxied connection: two pumps copying chunks, each waiting for its direction to flow."""

    def __init__(self, proxy, client_reader, client_writer):
        self.proxy = proxy
        self.client_reader = client_reader
        self.client_writer = client_writer
        self.upstream_writer = None
        self.tasks = []

    async def run(self):
        try:
            # A blackholed proxy accepts but does not connect upstream until it heals.
            await self.proxy.up.flowing.wait()
            await self.proxy.down.flowing.wait()
            if self.client_writer.transport.is_closing():
                return  # reset while it waited
            try:
                upstream_reader, self.upstream_writer = await asyncio.wait_for(
                    asyncio.open_connection(*self.proxy.target), timeout=5)
            except (OSError, asyncio.TimeoutError):
                _abort_with_rst(self.client_writer)  # the service is down: the node sees a reset
                return
            self.tasks = [asyncio.ensure_future(self._pump(self.client_reader, self.upstream_writer, self.proxy.up)),
                          asyncio.ensure_future(self._pump(upstream_reader, self.client_writer, self.proxy.down))]
            await asyncio.wait(self.tasks, return_when=asyncio.FIRST_EXCEPTION)
            await asyncio.gather(*self.tasks, return_exceptions=True)
        finally:
            self.abort()
            self.proxy.links.discard(self)

    @staticmethod
    async def _pump(reader, writer, direction):
        loop = asyncio.get_running_loop()
        while True:
            try:
                chunk = await reader.read(CHUNK)
            except (ConnectionError, OSError):
                chunk = b""
            read_at = loop.time()
            await direction.flowing.wait()
            if direction.delay > 0:
                await asyncio.sleep(max(0.0, read_at + direction.delay - loop.time()))
                await direction.flowing.wait()
            if not chunk:
                # The peer closed: pass the end on, so the other side sees what the node or service did.
                try:
                    writer.write_eof()
                except (OSError, RuntimeError):
                    pass
                return
            try:
                writer.write(chunk)
                await writer.drain()
            except (ConnectionError, OSError):
                raise ConnectionError("peer gone")

    def abort(self):
        for task in self.tasks:
            task.cancel()
        for writer in (self.client_writer, self.upstream_writer):
            if writer is not None and not writer.transport.is_closing():
                _abort_with_rst(writer)


class FaultProxy:
    """Listens on `port` (127.0.0.1) and forwards to `target` (host, port)."""

    def __init__(self, name, target, port):
        self.name = name
        self.target = target
        self.port = port
        self.up = _Direction()    # node → service
        self.down = _Direction()  # service → node
        self.links = set()
        self.server = None

    async def start(self):
        self.server = await asyncio.start_server(self._accept, "127.0.0.1", self.port, reuse_address=True)

    async def _accept(self, reader, writer):
        writer.transport.set_write_buffer_limits(high=CHUNK)
        link = _Link(self, reader, writer)
        self.links.add(link)
        await link.run()

    def delay(self, seconds):
        self.up.delay = self.down.delay = seconds

    def blackhole(self):
        self.up.flowing.clear()
        self.down.flowing.clear()

    def cut(self, direction):
        {"up": self.up, "down": self.down}[direction].flowing.clear()

    def reset(self):
        for link in list(self.links):
            link.abort()

    def heal(self, reset=False):
        if reset:
            self.reset()
        for direction in (self.up, self.down):
            direction.delay = 0.0
            direction.flowing.set()

    async def close(self):
        self.heal(reset=True)
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
