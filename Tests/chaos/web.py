"""A minimal asyncio HTTP/1.1 client: one connection per request (`Connection: close`).

The harness runs every client, proxy and fault on one event loop; a blocking client (urllib) would
stall the proxies while it waits, and a thread pool would make timings depend on the GIL. Requests
are few and small, so one connection each is simple and cheap on loopback.
"""
import asyncio
import json

TIMEOUT = 8.0


class Answer:
    """A response: `status` (0 when there was none: refused, reset or timed out) and parsed `body`."""

    def __init__(self, status, body, error=None):
        self.status = status
        self.body = body
        self.error = error

    @property
    def ok(self):
        return self.status == 200

    @property
    def data(self):
        return self.body.get("data") if isinstance(self.body, dict) else None

    @property
    def code(self):
        return self.body.get("code") if isinstance(self.body, dict) else None

    def __repr__(self):
        return f"Answer({self.status}, {self.error or self.body!r})"


async def request(port, method, path, body=None, headers=None, timeout=TIMEOUT):
    try:
        return await asyncio.wait_for(_exchange(port, method, path, body, headers or {}), timeout)
    except asyncio.TimeoutError:
        return Answer(0, None, "timeout")
    except (OSError, ValueError, asyncio.IncompleteReadError) as error:
        return Answer(0, None, type(error).__name__)


async def _exchange(port, method, path, body, headers):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        payload = json.dumps(body).encode() if body is not None else b""
        head = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close",
                f"Content-Length: {len(payload)}"]
        if body is not None:
            head.append("Content-Type: application/json")
        head += [f"{name}: {value}" for name, value in headers.items()]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + payload)
        await writer.drain()
        raw = await reader.read()
    finally:
        writer.transport.abort()
    status_line, _, rest = raw.partition(b"\r\n")
    if not status_line.startswith(b"HTTP/1.1 "):
        raise ValueError("no HTTP answer")
    _, _, content = rest.partition(b"\r\n\r\n")
    try:
        parsed = json.loads(content) if content else None
    except ValueError:
        parsed = content.decode("utf-8", "replace")
    return Answer(int(status_line.split()[1]), parsed)
