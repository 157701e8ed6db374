"""What a chaos run recorded: every socket, client operation, accepted message, presence sample and
fault, each with harness timestamps (seconds since the run started, one monotonic clock), and the
cluster's final state. It is written to `history.json`, so the checker can be re-run on it offline
(`python checker.py history.json`) and unit-tested on synthetic histories.
"""
import json
from dataclasses import asdict, dataclass, field
from typing import Optional


@dataclass
class SocketRecord:
    """One WebSocket as its client saw it. `opened` is when the upgrade (101) arrived: the server
    checks the token only afterwards, so a refused socket also opens, then closes with a `fail`."""
    id: int
    account: int                  # the account's index in the run
    node: str
    sid: str                      # the session of the token it presented
    token_exp: float              # when that token expires (harness time)
    purpose: str                  # "connect" (scheduled), "loop" (a reconnecting client) or "final"
    started: float
    opened: Optional[float] = None
    closed: Optional[float] = None
    close_code: Optional[int] = None
    fail_code: Optional[str] = None
    closed_by_client: bool = False
    error: Optional[str] = None   # why the upgrade failed, when it did
    frames: list = field(default_factory=list)  # [time, message id, from user id] of every `ok` frame
    acknowledges: bool = False    # opened with `ack=1` (docs/api.md §7)
    numbered: list = field(default_factory=list)  # [time, seq] of every numbered frame, when acknowledging


@dataclass
class OperationRecord:
    """A client request and its outcome; `status` 0 means no answer (refused, reset, timed out)."""
    kind: str                     # login, logout, disable, enable, send, getmessage, close, ...
    account: int
    node: str
    started: float
    finished: float
    status: int
    code: Optional[str] = None
    sid: Optional[str] = None     # login: the new session; logout: the session logged out
    detail: Optional[str] = None


@dataclass
class MessageRecord:
    """A message `/chat/send` accepted (answered 200)."""
    id: int
    sender: int
    recipient: int
    sent: float
    accepted: float


@dataclass
class PresenceSample:
    at: float
    account: int
    online: bool
    node: Optional[str]


@dataclass
class FaultRecord:
    kind: str
    target: str
    started: float
    healed: Optional[float] = None
    detail: str = ""


@dataclass
class FinalState:
    """The cluster after healing and convergence."""
    healed: float = 0.0           # every fault healed
    taken: float = 0.0            # when this snapshot was taken
    final_sockets: dict = field(default_factory=dict)    # account → socket id the final phase opened
    presence: dict = field(default_factory=dict)         # account → {"online", "node"}
    clusters: dict = field(default_factory=dict)         # node asked → /admin/cluster data (or None)
    active_sessions: dict = field(default_factory=dict)  # account → [session ids active in PostgreSQL]
    enabled: dict = field(default_factory=dict)          # account → user enabled in PostgreSQL
    live_nodes: list = field(default_factory=list)


@dataclass
class History:
    settings: dict = field(default_factory=dict)
    accounts: dict = field(default_factory=dict)  # index → {"user_id", "username", "loop", "friends"}
    sockets: list = field(default_factory=list)
    operations: list = field(default_factory=list)
    messages: list = field(default_factory=list)
    presence: list = field(default_factory=list)
    faults: list = field(default_factory=list)
    final: FinalState = field(default_factory=FinalState)
    skipped: dict = field(default_factory=dict)   # scheduled operation kind → times skipped (account busy)
    provoked: dict = field(default_factory=dict)  # operation kind → times a fault provoked it
    crashes: list = field(default_factory=list)   # nodes that exited by themselves: {node, at, status, report}
    harness_errors: list = field(default_factory=list)

    def save(self, path):
        with open(path, "w") as out:
            json.dump(asdict(self), out)

    @classmethod
    def load(cls, path):
        with open(path) as source:
            raw = json.load(source)
        return cls(settings=raw["settings"],
                   accounts={int(k): v for k, v in raw["accounts"].items()},
                   sockets=[SocketRecord(**s) for s in raw["sockets"]],
                   operations=[OperationRecord(**o) for o in raw["operations"]],
                   messages=[MessageRecord(**m) for m in raw["messages"]],
                   presence=[PresenceSample(**p) for p in raw["presence"]],
                   faults=[FaultRecord(**f) for f in raw["faults"]],
                   final=_final_from(raw["final"]),
                   skipped=raw.get("skipped", {}), provoked=raw.get("provoked", {}),
                   crashes=raw.get("crashes", []),
                   harness_errors=raw.get("harness_errors", []))


def _final_from(raw):
    final = FinalState(**raw)
    # JSON turned the integer account keys into strings.
    for name in ("final_sockets", "presence", "active_sessions", "enabled"):
        setattr(final, name, {int(k): v for k, v in getattr(final, name).items()})
    return final


class Timeline:
    """Healthy time: the run's clock with every fault window cut out.

    Bounds are counted in healthy seconds, so a deadline that falls inside a fault moves past its
    heal: "within `bound` after healing". A fault still unhealed at the end lasts until `end`.
    """

    def __init__(self, faults, end):
        windows = sorted((f.started, f.healed if f.healed is not None else end) for f in faults)
        self.windows = []
        for start, stop in windows:
            if self.windows and start <= self.windows[-1][1]:
                self.windows[-1][1] = max(self.windows[-1][1], stop)
            else:
                self.windows.append([start, stop])

    def healthy(self, start, stop):
        """Healthy seconds in [start, stop]."""
        if stop <= start:
            return 0.0
        covered = sum(max(0.0, min(stop, b) - max(start, a)) for a, b in self.windows)
        return (stop - start) - covered

    def deadline(self, start, seconds):
        """The earliest time t ≥ start with `seconds` healthy seconds in [start, t]."""
        t, left = start, seconds
        for a, b in self.windows:
            if b <= t:
                continue
            if a > t:
                if a - t >= left:
                    return t + left
                left -= a - t
            t = max(t, b)
        return t + left

    def faulty_at(self, t):
        return any(a <= t <= b for a, b in self.windows)
