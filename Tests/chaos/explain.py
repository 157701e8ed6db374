"""One account's story in a recorded run, in time order: its sockets, requests, messages received and
sent, presence samples, and the faults around them — to read a violation's event sequence.

    python Tests/chaos/explain.py .local/chaos/runs/<seed>-<pid>/history.json ACCOUNT [FROM TO]
"""
import sys

from history import History


def story(history, account, start=float("-inf"), stop=float("inf")):
    events = []
    for f in history.faults:
        healed = f"{f.healed:.2f}" if f.healed is not None else "never"
        events.append((f.started, f"FAULT    {f.kind} {f.target}: {f.detail} (healed {healed})"))
    for s in history.sockets:
        if s.account != account:
            continue
        events.append((s.started, f"socket   #{s.id} {s.purpose} → {s.node} session {s.sid[:8]} "
                                  f"(token expires {s.token_exp:.2f})" + (f": {s.error}" if s.error else "")))
        if s.opened is not None:
            events.append((s.opened, f"socket   #{s.id} open"))
        if s.closed is not None:
            by = " by the client" if s.closed_by_client else ""
            events.append((s.closed, f"socket   #{s.id} closed {s.close_code} {s.fail_code or ''}{by}"))
        for at, message_id, sender in s.frames:
            events.append((at, f"frame    #{s.id} message {message_id} from user {sender}"))
    for o in history.operations:
        if o.account == account:
            sid = f" session {o.sid[:8]}" if o.sid else ""
            events.append((o.finished, f"request  {o.kind} on {o.node} ({o.started:.2f}–{o.finished:.2f}) → "
                                       f"{o.status} {o.code or ''}{sid}{' ' + o.detail if o.detail else ''}"))
    for m in history.messages:
        if m.recipient == account:
            events.append((m.accepted, f"message  {m.id} from account {m.sender} accepted"))
    for p in history.presence:
        if p.account == account:
            events.append((p.at, f"presence {'online on ' + p.node if p.online else 'offline'}"))
    return [f"{at:8.2f}  {text}" for at, text in sorted(events) if start <= at <= stop]


if __name__ == "__main__":
    loaded = History.load(sys.argv[1])
    bounds = [float(x) for x in sys.argv[3:5]]
    print(f"account {sys.argv[2]}: {loaded.accounts[int(sys.argv[2])]}")
    print("\n".join(story(loaded, int(sys.argv[2]), *bounds)))
