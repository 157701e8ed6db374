"""The checker can fail: each property on a small synthetic history with a known violation, next to
the same history without it (a checker that cries wolf is as bad as one that cannot fail)."""
import dataclasses

from checker import check
from history import FaultRecord, FinalState, History, MessageRecord, OperationRecord, PresenceSample, SocketRecord, Timeline
from settings import Settings

SETTINGS = Settings(duration=60, seed=7)  # bound 10 s, liveness bound 12 s
END = 100.0


def socket(id, account=0, node="node-1", sid="s1", opened=1.0, closed=None, code=None, purpose="connect",
           frames=(), exp=1e9):
    return SocketRecord(id, account, node, sid, exp, purpose, opened - 0.1, opened, closed, code, frames=list(frames))


def login(account, sid, at):
    return OperationRecord("login", account, "node-1", at - 0.1, at, 200, sid=sid)


def history(sockets, operations=(), faults=(), messages=(), presence=(), loop=False, final_sockets=None,
            final_presence=None, clusters=None, active=None):
    """The accounts of `sockets`; by default every socket still open at the end is the expected one,
    with presence, cluster counts and sessions agreeing, so each test changes only what it is about.
    (A message's sender needs no account of its own here.) An account whose sockets all closed gets a
    final one, as the run's final phase would open."""
    sockets = list(sockets)
    for account in {0} | {s.account for s in sockets}:
        if not loop and not any(s.closed is None and s.account == account for s in sockets):
            sockets.append(socket(900 + account, account=account, sid=f"final{account}", opened=90))
    accounts = {i: {"user_id": 100 + i, "username": f"user{i}", "loop": loop, "friends": []}
                for i in {0} | {s.account for s in sockets}}
    open_ = [s for s in sockets if s.closed is None]
    nodes = ["node-1", "node-2", "node-3"]
    counts = {n: sum(1 for s in open_ if s.node == n) for n in nodes}
    final = FinalState(
        healed=50.0, taken=END,
        final_sockets=final_sockets if final_sockets is not None else
        ({} if loop else {s.account: s.id for s in open_}),
        presence=final_presence if final_presence is not None else
        {i: {"online": any(s.account == i for s in open_), "node": next((s.node for s in open_ if s.account == i), None)}
         for i in accounts},
        clusters=clusters if clusters is not None else
        {n: {"nodes": [{"id": m, "connections": counts[m]} for m in nodes], "online": len({s.account for s in open_})}
         for n in nodes},
        active_sessions=active if active is not None else {s.account: [s.sid] for s in open_},
        enabled={i: True for i in accounts}, live_nodes=nodes)
    if not loop:
        for account in {s.account for s in open_} - set(final.final_sockets):
            final.final_sockets[account] = open_[-1].id
    return History(settings=dataclasses.asdict(SETTINGS), accounts=accounts, sockets=list(sockets),
                   operations=list(operations), messages=list(messages), presence=list(presence),
                   faults=list(faults), final=final)


def properties(h):
    return sorted({v.property for v in check(h)})


def test_a_clean_history_has_no_violation():
    h = history([socket(1, opened=1, closed=5, code=4409), socket(2, opened=4.5)],
                operations=[login(0, "s1", 0.5)])
    assert check(h) == []


def test_two_sockets_open_together_beyond_the_bound():
    assert properties(history([socket(1, opened=1, closed=30), socket(2, opened=5)])) == ["two-sockets"]
    assert properties(history([socket(1, opened=1, closed=14), socket(2, opened=5)])) == []


def test_a_fault_window_extends_the_bound_until_it_heals():
    sockets = [socket(1, opened=1, closed=30), socket(2, opened=5)]
    assert properties(history(sockets, faults=[FaultRecord("redis_blackhole", "node-1→redis", 4, 22)])) == []
    assert properties(history(sockets, faults=[FaultRecord("redis_blackhole", "node-1→redis", 4, 12)])) == ["two-sockets"]


def test_after_convergence_only_the_last_socket_may_be_open():
    h = history([socket(1, opened=1), socket(2, node="node-2", opened=80)], final_sockets={0: 2})
    assert "final-sockets" in properties(h)
    h = history([socket(1, opened=1, closed=81, code=4409), socket(2, opened=80, closed=90, code=1006)],
                final_sockets={0: 2})
    assert properties(h) == ["final-sockets"]  # the final socket closed


def test_a_socket_on_a_revoked_session_must_close():
    old = socket(1, sid="s1", opened=1, closed=40)
    ops = [login(0, "s1", 0.5), login(0, "s2", 10)]
    assert properties(history([old], operations=ops)) == ["stale-session"]
    assert properties(history([dataclasses.replace(old, closed=15)], operations=ops)) == []


def test_a_logout_or_a_disable_revokes_and_an_unanswered_one_proves_nothing():
    for kind in ("logout", "disable"):
        revoke = OperationRecord(kind, 0, "node-2", 9.9, 10, 200, sid="s1")
        ops = [login(0, "s1", 0.5), revoke]
        assert properties(history([socket(1, opened=1, closed=40)], operations=ops)) == ["stale-session"]
        unanswered = dataclasses.replace(revoke, status=0)
        assert properties(history([socket(1, opened=1, closed=40)], operations=[ops[0], unanswered])) == []


def test_an_expired_token_must_close_its_socket():
    assert properties(history([socket(1, opened=1, closed=50, exp=30)])) == ["stale-session"]


def test_a_socket_open_at_the_end_on_an_inactive_session():
    assert properties(history([socket(1, opened=1)], active={0: ["other"]})) == ["stale-session"]


def test_a_reconnecting_client_is_never_without_a_socket_for_long():
    gap = [socket(1, opened=1, closed=10, code=1006, purpose="loop"), socket(2, opened=30, purpose="loop")]
    assert properties(history(gap, loop=True)) == ["reconnect"]
    short = [socket(1, opened=1, closed=10, code=1006, purpose="loop"), socket(2, opened=15, purpose="loop")]
    assert properties(history(short, loop=True)) == []
    disabled = [OperationRecord("disable", 0, "node-1", 9, 9.5, 200),
                OperationRecord("enable", 0, "node-1", 20, 20.5, 200), login(0, "s1", 28)]
    assert properties(history(gap, operations=disabled, loop=True)) == []


def test_presence_names_only_a_node_with_the_socket():
    sockets = [socket(1, node="node-1", opened=1)]
    ghost = PresenceSample(50, 0, True, "node-2")
    assert properties(history(sockets, presence=[ghost])) == ["presence"]
    assert properties(history(sockets, presence=[dataclasses.replace(ghost, node="node-1")])) == []
    wrong = {0: {"online": True, "node": "node-3"}, 1: {"online": False, "node": None}}
    assert properties(history(sockets, final_presence=wrong)) == ["presence"]


def test_cluster_counts_agree_with_the_clients():
    h = history([socket(1, opened=1)])
    h.final.clusters["node-2"]["online"] = 2
    assert properties(h) == ["cluster"]


def test_every_accepted_message_reaches_its_recipient():
    message = MessageRecord(7, 1, 0, 20, 20.1)
    assert properties(history([socket(1, opened=1)], messages=[message])) == ["delivery"]
    assert properties(history([socket(1, opened=1, frames=[[20.2, 7, 101]])], messages=[message])) == []


def test_a_message_only_pushed_to_a_revoked_socket_is_lost():
    message = MessageRecord(7, 1, 0, 20, 20.1)
    old = socket(1, sid="s1", opened=1, closed=25, code=4409, frames=[[20.2, 7, 101]])
    new = socket(2, sid="s2", opened=24)
    ops = [login(0, "s1", 0.5), login(0, "s2", 15)]
    assert properties(history([old, new], operations=ops, messages=[message])) == ["delivery"]
    ops = [login(0, "s1", 0.5), login(0, "s2", 19)]  # revoked just before: within the grace
    assert properties(history([old, new], operations=ops, messages=[message])) == []


def test_a_message_to_the_older_socket_while_a_newer_one_holds_the_account_is_lost():
    message = MessageRecord(7, 1, 0, 20, 20.1)
    old = socket(1, opened=1, frames=[[20.2, 7, 101]])
    new = socket(2, opened=5)
    assert "delivery" in properties(history([old, new], messages=[message]))


def test_a_newer_socket_closed_before_it_took_over_leaves_the_older_one_current():
    """Seed 67: the client opened a second socket and closed it 1.3 s later, before its claim; the
    first stayed the account's only socket and rightly got the next messages."""
    message = MessageRecord(7, 1, 0, 20, 20.1)
    old = socket(1, opened=1, frames=[[20.2, 7, 101]])
    brief = socket(2, opened=5, closed=6.3, code=1000)
    assert "delivery" not in properties(history([old, brief], messages=[message]))


def test_messages_in_order_and_without_gaps():
    first, second = MessageRecord(7, 1, 0, 20, 20.1), MessageRecord(9, 1, 0, 21, 21.1)
    in_order = socket(1, opened=1, frames=[[21.5, 7, 101], [21.6, 9, 101]])
    assert properties(history([in_order], messages=[first, second])) == []
    reversed_ = socket(1, opened=1, frames=[[21.5, 9, 101], [21.6, 7, 101]])
    found = check(history([reversed_], messages=[first, second]))
    assert {v.property for v in found} == {"delivery"} and len(found) == 2  # a gap, then out of order
    twice = socket(1, opened=1, frames=[[21.5, 7, 101], [21.6, 7, 101], [21.7, 9, 101]])
    assert properties(history([twice], messages=[first, second])) == []  # at least once


def test_a_redelivery_on_the_next_socket_is_allowed():
    message = MessageRecord(7, 1, 0, 20, 20.1)
    sockets = [socket(1, opened=1, closed=22, code=1006, frames=[[20.2, 7, 101]]),
               socket(2, opened=23, frames=[[23.5, 7, 101]])]
    assert properties(history(sockets, messages=[message])) == []


def numbered(id, numbers, opened=1.0, closed=None, code=None):
    """An acknowledging socket that received inbox entries `numbers`, a tenth of a second apart."""
    record = socket(id, opened=opened, closed=closed, code=code)
    record.acknowledges = True
    record.numbered = [[opened + 0.1 * (i + 1), seq] for i, seq in enumerate(numbers)]
    return record


def test_an_acknowledging_socket_receives_consecutive_numbers():
    assert properties(history([numbered(1, [1, 2, 3])])) == []
    assert properties(history([numbered(1, [1, 3])])) == ["delivery"]  # a gap
    assert properties(history([numbered(1, [1, 2, 2])])) == ["delivery"]  # a repeat on one socket


def test_the_next_socket_may_resend_but_never_skip_what_the_client_lacks():
    resent = [numbered(1, [1, 2, 3], closed=5, code=1006), numbered(2, [2, 3, 4], opened=6)]
    assert properties(history(resent)) == []
    skipped = [numbered(1, [1, 2], closed=5, code=1006), numbered(2, [4, 5], opened=6)]
    found = check(history(skipped))
    assert [v.property for v in found] == ["delivery"] and "lacked entry 3" in found[0].description


def test_timeline_counts_healthy_seconds_only():
    timeline = Timeline([FaultRecord("a", "x", 10, 20), FaultRecord("b", "y", 15, 25), FaultRecord("c", "z", 40, None)],
                        end=50)
    assert timeline.windows == [[10, 25], [40, 50]]
    assert timeline.healthy(0, 30) == 15
    assert timeline.deadline(5, 10) == 30
    assert timeline.deadline(12, 3) == 28
    assert timeline.deadline(30, 20) == 60


def test_history_round_trips_through_json(tmp_path):
    h = history([socket(1, opened=1, frames=[[2.0, 7, 101]])], operations=[login(0, "s1", 0.5)],
                messages=[MessageRecord(7, 1, 0, 1.5, 1.6)], presence=[PresenceSample(3, 0, True, "node-1")],
                faults=[FaultRecord("node_kill", "node-2", 5, 8)])
    h.save(tmp_path / "history.json")
    assert History.load(tmp_path / "history.json") == h


def test_a_node_that_exits_by_itself_is_a_violation():
    h = history([socket(1, opened=1)])
    assert properties(h) == []
    h.crashes.append({"node": "node-2", "at": 30.0, "status": -4, "report": "Precondition failed"})
    assert properties(h) == ["crash"]
