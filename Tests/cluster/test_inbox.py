"""Messages that survive a dead connection (docs/api.md §7), through real nodes: acknowledged delivery,
sync, commit-ordered numbering, back-pressure on a slow reader, read receipts across nodes."""
import threading
import time

import pytest

from conftest import fault_proxy, wait_until
from sockets import Socket, raw_connection
from test_chat import Person, befriend, get_messages, send


def sync(node, person, after=0, limit=500):
    """Every inbox entry of `person` after `after`, following `more`."""
    entries = []
    while True:
        status, answer = node.get(f"/chat/sync?after={after}&limit={limit}", token=person.token)
        assert status == 200, answer
        entries += answer["data"]["entries"]
        if not answer["data"]["more"]:
            return entries
        after = entries[-1]["seq"]


def frames_until(socket, count, timeout=15):
    return [socket.frame(timeout=timeout) for _ in range(count)]


def test_an_acknowledging_client_gets_again_what_a_dead_connection_swallowed(cluster):
    """The connection goes silent without closing (a phone in a lift): frames written into it are
    not acknowledged, so the next connection receives them, in order, with no gap."""
    a, b = cluster
    sender, recipient = Person(a), Person(a)
    befriend(a, sender, recipient)
    with fault_proxy("phone→node", b.port) as (port, fault):
        first = Socket(f"ws://127.0.0.1:{port}/ws", recipient.token, ack=True)
        greeting = first.frame()
        assert (greeting["seq"], greeting["msg"], greeting["data"]["type"]) == (1, "ok", "system")
        first.acknowledge(1)
        time.sleep(0.3)  # the acknowledgement is recorded

        fault("blackhole")
        sent = [send(a, sender, recipient, f"lost {index}") for index in range(5)]
        time.sleep(1)  # written into the silent connection

        second = Socket(a.ws, recipient.token, ack=True)
        frames = frames_until(second, 5)
        assert [f["seq"] for f in frames] == [2, 3, 4, 5, 6]
        assert [f["data"] for f in frames] == sent
        second.acknowledge(6)
        assert second.is_open(0.5), "nothing more: each frame once"

        # A recall before the push reaches an acknowledging socket as the recalled entry, then the recall.
        message = send(a, sender, recipient, "oops")
        assert second.frame()["data"] == message
        status, _ = a.post("/chat/recall", {"to_id": recipient.id, "chat_type": "user", "id": message["id"]},
                           token=sender.token)
        assert status == 200
        recall = second.frame()
        assert (recall["seq"], recall["msg"], recall["data"]["id"]) == (8, "recall", message["id"])
        second.close()
        fault("heal", True)


def test_unacknowledged_frames_are_sent_again_to_the_next_socket(cluster):
    a, b = cluster
    sender, recipient = Person(a), Person(a)
    befriend(a, sender, recipient)
    sent = [send(a, sender, recipient, f"m{index}") for index in range(4)]
    first = Socket(b.ws, recipient.token, ack=True)
    assert [f["seq"] for f in frames_until(first, 5)] == [1, 2, 3, 4, 5]
    first.acknowledge(3)
    time.sleep(0.3)
    first.close()
    second = Socket(a.ws, recipient.token, ack=True)
    frames = frames_until(second, 2)
    assert [f["seq"] for f in frames] == [4, 5]
    assert [f["data"] for f in frames] == sent[2:]
    second.close()


def test_the_old_client_recovers_what_a_dead_connection_swallowed_through_sync(cluster):
    """The old client's socket counts a frame as delivered once written; what a silent connection
    swallowed is not pushed again, but `/chat/sync` lists it."""
    a, b = cluster
    sender, recipient = Person(a), Person(a)
    befriend(a, sender, recipient)
    with fault_proxy("phone→node", b.port) as (port, fault):
        first = Socket(f"ws://127.0.0.1:{port}/ws", recipient.token)
        assert get_messages(b, recipient) == 1
        assert first.frame()["data"]["type"] == "system"
        fault("blackhole")
        sent = [send(a, sender, recipient, f"lost {index}") for index in range(3)]
        wait_until(lambda: get_messages(a, recipient) == 0, message="written into the silent connection")

        second = Socket(a.ws, recipient.token)
        assert second.is_open(0.5), "the old client is not pushed them again"
        entries = sync(a, recipient, after=1)
        assert [e["seq"] for e in entries] == [2, 3, 4]
        assert [e["data"] for e in entries] == sent
        assert all(e["msg"] == "ok" for e in entries)
        second.close()
        fault("heal", True)


def test_messages_from_four_concurrent_senders_are_numbered_in_commit_order(cluster):
    """1,000 messages from 4 senders at once, on both nodes: the acknowledging socket receives
    numbers 1, 2, 3… with no gap, each sender's messages in the order they were answered, and sync
    lists the same."""
    a, b = cluster
    recipient = Person(a)
    senders = [Person(a) for _ in range(4)]
    for sender in senders:
        befriend(a, sender, recipient)
    socket = Socket(b.ws, recipient.token, ack=True)
    received = []

    def read():
        while len(received) < 4 + 1000:
            frame = socket.frame(timeout=30)
            received.append(frame)
            if frame["seq"] % 50 == 0:
                socket.acknowledge(frame["seq"])

    reader = threading.Thread(target=read)
    reader.start()
    answered = {sender.id: [] for sender in senders}

    def write(sender, node):
        for index in range(250):
            answered[sender.id].append(send(node, sender, recipient, f"{sender.id}:{index}")["id"])

    writers = [threading.Thread(target=write, args=(sender, (a, b)[index % 2])) for index, sender in enumerate(senders)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    reader.join(60)
    assert len(received) == 1004
    assert [f["seq"] for f in received] == list(range(1, 1005)), "no gap, no repeat, in order"
    for sender in senders:
        ids = [f["data"]["id"] for f in received[4:] if f["data"]["from_id"] == sender.id]
        assert ids == answered[sender.id]
    assert [e["seq"] for e in sync(a, recipient)] == list(range(1, 1005))
    assert socket.is_open(0.3)
    socket.close()


@pytest.mark.parametrize("ack", [False, True], ids=["old-client", "acknowledging"])
def test_a_slow_reader_drains_a_5_mb_backlog_without_being_dropped(cluster, ack):
    """A backlog far above the socket's 64 KiB outbound mark, to a client with a small receive buffer
    that pauses, then reads: it is never dropped for not reading, and every message arrives, in
    order. (On loopback the kernel's buffers absorb a backlog of this size anyway, so this checks the
    promise end to end; the bound on each chunk a pass writes is unit-tested in DeliveryPassesTests.)"""
    a, b = cluster
    sender, recipient = Person(a), Person(a)
    befriend(a, sender, recipient)
    count = 430
    ids = [send(a, sender, recipient, "聊" * 4000)["id"] for _ in range(count)]  # 12 KB of UTF-8 each
    socket = Socket(b.ws, recipient.token, ack=ack, sock=raw_connection(b.port, receive_buffer=16384), max_queue=2)
    if not ack:
        assert get_messages(b, recipient) == count + 1
    frames = [socket.frame()]
    time.sleep(2)
    while len(frames) < count + 1:
        frames.append(socket.frame(timeout=30))
        if ack and len(frames) % 20 == 0:
            socket.acknowledge(frames[-1]["seq"])
    assert [f["data"]["id"] for f in frames[1:]] == ids
    assert sum(len(f["data"]["data"].encode()) for f in frames[1:]) > 5_000_000
    if ack:
        assert [f["seq"] for f in frames] == list(range(1, count + 2))
    assert socket.is_open(0.3), "still connected"
    socket.close()


def test_a_read_receipt_reaches_the_sender_on_the_other_node(cluster):
    a, b = cluster
    sender, recipient = Person(a), Person(a)
    befriend(a, sender, recipient)
    watching = Socket(a.ws, sender.token, ack=True)
    assert watching.frame()["data"]["type"] == "system"
    first = send(b, sender, recipient, "one")
    send(b, sender, recipient, "two")

    status, answer = b.post("/chat/read", {"to_id": sender.id, "seq": 2}, token=recipient.token)
    assert (status, answer["data"]) == (200, {"to_id": sender.id, "seq": 2, "unread": 1})
    receipt = watching.frame()
    assert receipt == {"seq": 2, "msg": "read",
                       "data": {"from_id": recipient.id, "to_id": sender.id, "chat_type": "user", "id": first["id"]}}
    status, conversations = a.get("/chat/conversations", token=sender.token)
    assert conversations["data"][0]["peer_read_id"] == first["id"]

    # The old client's socket is never sent a `read` frame (it would show it as a message).
    old_client = Socket(b.ws, recipient.token)
    frames = frames_until(old_client, get_messages(b, recipient))
    assert all(f["msg"] == "ok" and "seq" not in f for f in frames)
    status, _ = a.post("/chat/read", {"to_id": recipient.id, "seq": 1}, token=sender.token)
    assert status == 200
    assert old_client.is_open(0.5)
    watching.close()
    old_client.close()
