"""The properties a chaos run must keep (issue 13 §3), checked on its recorded history and final state.

Each check is a pure function of a `History`, so it can be run again offline on a saved
`history.json` (`python checker.py path/to/history.json`) and unit-tested on synthetic histories.
Bounds come from the run's `Settings` and are counted in healthy seconds (`Timeline`).

Properties, by name:
- `crash`: no node exits by itself (the harness restarts one that does, as a supervisor would).
- `two-sockets`: no account has two sockets open together for more than `bound`.
- `final-sockets`: after convergence every account has at most one open socket, the one opened last.
- `reconnect`: a reconnecting client is never without an open socket for more than `liveness_bound`
  (while its account is enabled), and has one at the end.
- `stale-session`: no socket stays open more than `bound` after its session was revoked (a newer
  login, its logout, a disable) or its token expired; none is open on such a session at the end.
- `presence`: presence names a node on which the account had a socket (within `bound`), or nobody;
  at the end it names exactly the open socket's node, or nobody when there is none.
- `cluster`: at the end every node's `/admin/cluster` lists the live nodes, their connection counts
  and the number of accounts online as the clients see them.
- `delivery`: every message `/chat/send` accepted reaches its recipient on a socket that was still
  the account's current one (at least once: a frame sent again is counted, not a violation); per
  socket and sender, first receipts in increasing order; no message arrives before an earlier one
  from the same sender has arrived somewhere.
"""
import sys
from collections import defaultdict
from dataclasses import dataclass

from history import History, Timeline
from settings import Settings

# Close codes of a socket refused at connect (never the account's live socket).
REFUSED = {4401, 4404, 1013}


@dataclass
class Violation:
    property: str
    account: int
    at: float
    description: str

    def __str__(self):
        return f"[{self.property}] account {self.account} at {self.at:.2f}s: {self.description}"


def check(history):
    """Every violation in the run, sorted by time."""
    return sorted(Checker(history).violations(), key=lambda v: (v.at, v.property))


class Checker:
    def __init__(self, history):
        self.history = history
        self.settings = Settings(**history.settings)
        self.end = history.final.taken
        self.timeline = Timeline(history.faults, self.end)
        self.sockets_of = defaultdict(list)
        for socket in history.sockets:
            if socket.opened is not None:
                self.sockets_of[socket.account].append(socket)
        for sockets in self.sockets_of.values():
            sockets.sort(key=lambda s: s.opened)
        self.revoked_at = self._revocations()

    def violations(self):
        for check in (self.crashes, self.two_sockets, self.final_sockets, self.reconnect, self.stale_sessions,
                      self.presence, self.cluster, self.delivery):
            yield from check()

    # -- helpers ---------------------------------------------------------------------------------

    def closed(self, socket):
        """When the socket closed; the snapshot time for one still open then (the harness closes
        every socket after the snapshot, which is not the cluster's doing)."""
        return self.end if socket.closed is None else min(socket.closed, self.end)

    def is_open_at_end(self, socket):
        return socket.opened is not None and (socket.closed is None or socket.closed >= self.end)

    def describe(self, socket):
        end = "still open" if self.is_open_at_end(socket) else \
            f"closed {socket.closed:.2f}s ({socket.close_code}{' ' + socket.fail_code if socket.fail_code else ''})"
        return f"socket #{socket.id} ({socket.purpose}, {socket.node}, opened {socket.opened:.2f}s, {end})"

    def _revocations(self):
        """Session id → when it was known revoked: the answer (200) of the next login of its account,
        of its logout, or of a disable of its account. Requests with no answer prove nothing."""
        revoked = {}
        by_account = defaultdict(list)
        for op in self.history.operations:
            by_account[op.account].append(op)
        for account, ops in by_account.items():
            ops.sort(key=lambda o: o.finished)
            live = []  # sessions created and not yet known revoked
            for op in ops:
                if op.status != 200:
                    continue
                if op.kind == "login":
                    for sid in live:
                        revoked.setdefault(sid, op.finished)
                    live = [op.sid]
                elif op.kind == "logout" and op.sid:
                    revoked.setdefault(op.sid, op.finished)
                    live = [sid for sid in live if sid != op.sid]
                elif op.kind == "disable":
                    for sid in live:
                        revoked.setdefault(sid, op.finished)
                    live = []
        return revoked

    def stale_since(self, socket):
        """(time, reason) from which the socket's session is no longer valid, or None."""
        reasons = []
        if socket.sid in self.revoked_at:
            reasons.append((self.revoked_at[socket.sid], "revoked"))
        if socket.token_exp < self.end:
            reasons.append((socket.token_exp, "token expired"))
        return min(reasons) if reasons else None

    # -- properties ------------------------------------------------------------------------------

    def crashes(self):
        for crash in self.history.crashes:
            yield Violation("crash", -1, crash["at"],
                            f"{crash['node']} exited by itself with status {crash['status']}: {crash['report']}")

    def two_sockets(self):
        bound = self.settings.bound
        for account, sockets in self.sockets_of.items():
            active = []
            for socket in sockets:
                active = [a for a in active if self.closed(a) > socket.opened]
                for older in active:
                    start, stop = socket.opened, min(self.closed(older), self.closed(socket))
                    healthy = self.timeline.healthy(start, stop)
                    if healthy > bound:
                        yield Violation("two-sockets", account, start,
                                        f"{self.describe(older)} and {self.describe(socket)} both open "
                                        f"{stop - start:.1f}s ({healthy:.1f}s healthy > {bound:g}s)")
                active.append(socket)

    def final_sockets(self):
        final = self.history.final
        for account, info in self.history.accounts.items():
            sockets = self.sockets_of.get(account, [])
            open_now = [s for s in sockets if self.is_open_at_end(s)]
            if info["loop"]:
                expected = sockets[-1] if sockets else None
            else:
                expected = next((s for s in sockets if s.id == final.final_sockets.get(account)), None)
                if expected is None:
                    yield Violation("final-sockets", account, final.taken,
                                    "the final phase could not open a socket (every attempt refused)")
                elif not self.is_open_at_end(expected):
                    yield Violation("final-sockets", account, final.taken,
                                    f"the last socket accepted is closed: {self.describe(expected)}")
            for socket in open_now:
                if socket is not expected:
                    yield Violation("final-sockets", account, final.taken,
                                    f"after convergence {self.describe(socket)} is open, "
                                    f"not the last one accepted ({'#%d' % expected.id if expected else 'none'})")

    def reconnect(self):
        bound = self.settings.liveness_bound
        for account, info in self.history.accounts.items():
            if not info["loop"]:
                continue
            sockets = [s for s in self.history.sockets if s.account == account]
            if not sockets:
                continue
            covered = [(s.opened, self.closed(s)) for s in sockets if s.opened is not None]
            covered += self._disabled_intervals(account)
            for start, stop in _gaps(covered, sockets[0].started, self.end):
                healthy = self.timeline.healthy(start, stop)
                if healthy > bound:
                    yield Violation("reconnect", account, start,
                                    f"a reconnecting client had no open socket from {start:.2f}s to {stop:.2f}s "
                                    f"({healthy:.1f}s healthy > {bound:g}s)")
            if not any(self.is_open_at_end(s) for s in sockets):
                yield Violation("reconnect", account, self.end, "a reconnecting client has no open socket at the end")

    def _disabled_intervals(self, account):
        """From a disable's request until the first successful login after the account was enabled:
        a reconnecting client cannot have a socket then."""
        intervals, disabled_from, enabled = [], None, False
        for op in sorted((o for o in self.history.operations if o.account == account), key=lambda o: o.started):
            if op.kind == "disable" and disabled_from is None:
                disabled_from, enabled = op.started, False
            elif op.kind == "enable" and disabled_from is not None and op.status == 200:
                enabled = True
            elif op.kind == "login" and op.status == 200 and disabled_from is not None and enabled:
                intervals.append((disabled_from, op.finished))
                disabled_from = None
        if disabled_from is not None:
            intervals.append((disabled_from, self.end))
        return intervals

    def stale_sessions(self):
        bound = self.settings.bound
        final = self.history.final
        for account, sockets in self.sockets_of.items():
            for socket in sockets:
                stale = self.stale_since(socket)
                if stale is not None:
                    since, reason = stale
                    start = max(since, socket.opened)
                    deadline = self.timeline.deadline(start, bound)
                    if self.closed(socket) > deadline:
                        yield Violation("stale-session", account, since,
                                        f"{self.describe(socket)}: session {reason} at {since:.2f}s, "
                                        f"still open at the deadline {deadline:.2f}s")
                        continue
                if not self.is_open_at_end(socket):
                    continue
                problem = None
                if socket.sid not in final.active_sessions.get(account, []):
                    problem = "its session is not active in PostgreSQL"
                elif not final.enabled.get(account, True):
                    problem = "its account is disabled"
                if problem:
                    yield Violation("stale-session", account, final.taken,
                                    f"after convergence {self.describe(socket)} is open but {problem}")

    def presence(self):
        bound = self.settings.bound
        for sample in self.history.presence:
            if not sample.online:
                continue
            if not any(s.node == sample.node and s.opened <= sample.at
                       and self.timeline.healthy(self.closed(s), sample.at) <= bound
                       for s in self.sockets_of.get(sample.account, [])):
                yield Violation("presence", sample.account, sample.at,
                                f"presence named {sample.node}, where the account had no socket open "
                                f"within {bound:g}s")
        final = self.history.final
        for account in self.history.accounts:
            open_nodes = sorted(s.node for s in self.sockets_of.get(account, []) if self.is_open_at_end(s))
            answer = final.presence.get(account)
            if answer is None:
                yield Violation("presence", account, final.taken, "no presence answer after convergence")
                continue
            named = answer["node"] if answer["online"] else None
            if named not in (open_nodes or [None]):
                yield Violation("presence", account, final.taken,
                                f"after convergence presence names {named or 'nobody'}, "
                                f"the open sockets are on {open_nodes or 'no node'}")

    def cluster(self):
        final = self.history.final
        open_sockets = [s for s in self.history.sockets if self.is_open_at_end(s)]
        per_node = defaultdict(int)
        for socket in open_sockets:
            per_node[socket.node] += 1
        online = len({s.account for s in open_sockets})
        expected = {node: per_node[node] for node in final.live_nodes}
        for asked, answer in final.clusters.items():
            if answer is None:
                yield Violation("cluster", -1, final.taken, f"{asked} did not answer /admin/cluster")
                continue
            listed = {n["id"]: n["connections"] for n in answer["nodes"]}
            if listed != expected or answer["online"] != online:
                yield Violation("cluster", -1, final.taken,
                                f"{asked}'s /admin/cluster says connections {listed}, online {answer['online']}; "
                                f"the clients hold {expected}, online {online}")

    def delivery(self):
        receipts = defaultdict(list)  # message id → [(time, socket)]
        tracked = {m.id: m for m in self.history.messages}
        for socket in self.history.sockets:
            for at, message_id, _ in socket.frames:
                if message_id in tracked:
                    receipts[message_id].append((at, socket))
        for message in self.history.messages:
            got = receipts.get(message.id, [])
            if not got:
                yield Violation("delivery", message.recipient, message.accepted,
                                f"message {message.id} from account {message.sender}, accepted at "
                                f"{message.accepted:.2f}s, never reached the recipient")
            elif not any(self._current_at(socket, at) for at, socket in got):
                at, socket = got[0]
                yield Violation("delivery", message.recipient, at,
                                f"message {message.id} from account {message.sender} (accepted {message.accepted:.2f}s) "
                                f"reached only a socket that was no longer current: {self.describe(socket)} at {at:.2f}s")
        yield from self._order_and_gaps(tracked, receipts)
        yield from self._numbering()

    def _numbering(self):
        """Acknowledging sockets (docs/api.md §7): each receives consecutive numbers, and no socket
        of the account is ever sent a number beyond the first one its client lacks — the server
        resends from the delivery cursor, which only the client's acknowledgements move, so a gap
        means an entry the client will never be sent."""
        for account, sockets in self.sockets_of.items():
            frames = sorted(((at, seq, socket) for socket in sockets if socket.acknowledges
                             for at, seq in socket.numbered), key=lambda frame: frame[:2])
            held, contiguous, last_on, reported = set(), 0, {}, None
            for at, seq, socket in frames:
                previous = last_on.get(socket.id)
                if previous is not None and seq != previous + 1:
                    yield Violation("delivery", account, at,
                                    f"{self.describe(socket)} received entry {seq} right after entry {previous}")
                elif seq > contiguous + 1 and reported != contiguous + 1:
                    reported = contiguous + 1  # once per missing entry
                    yield Violation("delivery", account, at,
                                    f"{self.describe(socket)} received entry {seq} while its client lacked "
                                    f"entry {contiguous + 1} (a gap)")
                last_on[socket.id] = seq
                held.add(seq)
                while contiguous + 1 in held:
                    contiguous += 1

    def _current_at(self, socket, at):
        """Whether a frame read at `at` reached the account's current socket: its session not revoked
        for longer than the grace, and no newer socket open then that had been open for longer than
        the bound. A newer socket already closed at `at` does not count: if it had taken the account,
        this one would have been kicked (`two-sockets` holds that to the bound); if it closed before
        it took over (its client left within a second), this socket is the account's only one."""
        revoked = self.revoked_at.get(socket.sid)
        if revoked is not None and at > revoked + self.settings.delivery_grace:
            return False
        return not any(newer.opened > socket.opened and newer.close_code not in REFUSED
                       and self.closed(newer) > at
                       and self.timeline.healthy(newer.opened, at) > self.settings.bound
                       for newer in self.sockets_of.get(socket.account, []))

    def _order_and_gaps(self, tracked, receipts):
        first_receipt = {mid: min(at for at, _ in got) for mid, got in receipts.items()}
        earlier = defaultdict(list)  # (sender, recipient) → accepted messages in id order
        for message in sorted(self.history.messages, key=lambda m: m.id):
            earlier[(message.sender, message.recipient)].append(message)
        for socket in self.history.sockets:
            last, seen = {}, set()
            for at, message_id, _ in socket.frames:
                message = tracked.get(message_id)
                if message is None:
                    continue
                if message_id in seen:
                    continue  # at least once: a frame sent again (its delete failed) is no violation
                seen.add(message_id)
                previous = last.get(message.sender)
                if previous is not None and message_id < previous:
                    yield Violation("delivery", socket.account, at,
                                    f"{self.describe(socket)} received message {message_id} from account "
                                    f"{message.sender} after message {previous} (out of order)")
                last[message.sender] = max(message_id, previous or 0)
                for before in earlier[(message.sender, message.recipient)]:
                    if before.id >= message_id:
                        break
                    if first_receipt.get(before.id, float("inf")) > at:
                        yield Violation("delivery", socket.account, at,
                                        f"{self.describe(socket)} received message {message_id} from account "
                                        f"{message.sender} before message {before.id} had arrived anywhere (a gap)")
                        break


def _gaps(intervals, start, end):
    """The parts of [start, end] that no interval covers."""
    t = start
    for a, b in sorted(intervals):
        if a > t:
            yield (t, min(a, end))
        t = max(t, b)
        if t >= end:
            return
    if t < end:
        yield (t, end)


def _counts_of(counts):
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none"


def _counts(items):
    counts = defaultdict(int)
    for item in items:
        counts[item] += 1
    return _counts_of(counts)


def _duplicates(history):
    return sum(len(s.frames) - len({f[1] for f in s.frames}) for s in history.sockets)


def _healthy_share(history):
    end = history.final.taken
    return Timeline(history.faults, end).healthy(0.0, end) / end if end > 0 else 1.0


def summarize(history, violations):
    """A short text report: what ran, and the violations per property with a few examples each."""
    by_property = defaultdict(list)
    for violation in violations:
        by_property[violation.property].append(violation)
    lines = [f"settings: {Settings(**history.settings).describe()}",
             f"operations: {len(history.operations)} ({_counts(op.kind for op in history.operations)}); "
             f"sockets {len(history.sockets)} ({_counts(s.purpose for s in history.sockets)}); "
             f"messages accepted {len(history.messages)} (frames received again on the same socket: "
             f"{_duplicates(history)}); presence samples {len(history.presence)}",
             f"provoked by faults: {_counts_of(history.provoked)}; skipped (account busy): {_counts_of(history.skipped)}",
             f"faults: {len(history.faults)} ({_counts(f.kind for f in history.faults)}); "
             f"healthy {_healthy_share(history):.0%} of the run (bounds count healthy seconds only)",
             f"violations: {len(violations)}" + (f" ({_counts(v.property for v in violations)})" if violations else "")]
    for error in history.harness_errors:
        lines.append(f"harness error: {error}")
    for prop, found in sorted(by_property.items()):
        lines.append(f"-- {prop}: {len(found)}")
        lines += [f"   {v}" for v in found[:8]]
        if len(found) > 8:
            lines.append(f"   … and {len(found) - 8} more")
    return "\n".join(lines)


if __name__ == "__main__":
    loaded = History.load(sys.argv[1])
    found = check(loaded)
    print(summarize(loaded, found))
    sys.exit(1 if found else 0)
