"""A minimal synchronous WebSocket client view for the tests, on top of the `websockets` package."""
import json

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect


class Socket:
    def __init__(self, url, token=None):
        self.connection = connect(f"{url}?token={token}" if token is not None else url, open_timeout=10)

    def frame(self, timeout=10):
        """The next server frame, parsed."""
        return json.loads(self.connection.recv(timeout=timeout))

    def close_code(self, timeout=10):
        """Waits for the server to close the socket; returns its close code (frames before it are skipped)."""
        try:
            while True:
                self.connection.recv(timeout=timeout)
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None

    def closed_with(self, timeout=10):
        """The `fail` frame and the close code that follows it."""
        frame = self.frame(timeout)
        return frame, self.close_code(timeout)

    def is_open(self, wait=0.5):
        """True when nothing (no frame, no close) arrives within `wait` seconds."""
        try:
            self.connection.recv(timeout=wait)
            return False
        except TimeoutError:
            return True
        except ConnectionClosed:
            return False

    def close(self):
        self.connection.close()
