import NIOCore
import XCTest
@testable import NIORedis

final class CommandQueueStateMachineTests: XCTestCase {
    let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    func testRepliesAreMatchedInOrder() {
        var queue = CommandQueueStateMachine<String>()
        _ = queue.enqueue("a", deadline: start + .seconds(5))
        _ = queue.enqueue("b", deadline: start + .seconds(5))
        guard case .fulfil("a", .success(.integer(1))) = queue.replyReceived(.integer(1)) else { return XCTFail() }
        guard case .fulfil("b", .failure(let error)) = queue.replyReceived(.error(RedisError(message: "ERR x"))) else { return XCTFail() }
        XCTAssertEqual(error.message, "ERR x")
        XCTAssertFalse(queue.hasWaitingCallers)
        guard case .unexpected = queue.replyReceived(.null) else { return XCTFail() }
    }

    func testOneTimerIsArmedForTheEarliestDeadline() {
        var queue = CommandQueueStateMachine<String>()
        guard case .write(start + .seconds(5)) = queue.enqueue("a", deadline: start + .seconds(5)) else { return XCTFail() }
        guard case .write(nil) = queue.enqueue("b", deadline: start + .seconds(6)) else { return XCTFail("a timer is armed earlier") }
        guard case .write(start + .seconds(2)) = queue.enqueue("c", deadline: start + .seconds(2)) else {
            return XCTFail("an earlier deadline needs a timer of its own")
        }
        _ = queue.replyReceived(.null)
        // c's timer: only c is overdue; the next timer is for b, since a was answered.
        var action = queue.timerFired(deadline: start + .seconds(2), now: start + .seconds(2))
        XCTAssertEqual(action.timedOut, ["c"])
        XCTAssertEqual(action.armTimer, start + .seconds(6))
        XCTAssertFalse(action.close)
        // a's timer, superseded: nothing is overdue, and b's timer is armed already.
        action = queue.timerFired(deadline: start + .seconds(5), now: start + .seconds(5))
        XCTAssertEqual(action.timedOut, [])
        XCTAssertNil(action.armTimer)
        action = queue.timerFired(deadline: start + .seconds(6), now: start + .seconds(6))
        XCTAssertEqual(action.timedOut, ["b"])
        XCTAssertNil(action.armTimer)
        XCTAssertFalse(queue.hasWaitingCallers)
    }

    func testTimedOutSlotDiscardsItsLateReply() {
        var queue = CommandQueueStateMachine<String>()
        _ = queue.enqueue("a", deadline: start + .seconds(1))
        _ = queue.enqueue("b", deadline: start + .seconds(5))
        XCTAssertEqual(queue.timerFired(deadline: start + .seconds(1), now: start + .seconds(1)).timedOut, ["a"])
        XCTAssertEqual(queue.timerFired(deadline: start + .seconds(1), now: start + .seconds(1)).timedOut, [], "a times out once")
        guard case .discard = queue.replyReceived(.simpleString("late a")) else { return XCTFail() }
        guard case .fulfil("b", .success(.simpleString("b"))) = queue.replyReceived(.simpleString("b")) else { return XCTFail() }
        guard case .unexpected = queue.replyReceived(.null) else { return XCTFail() }
    }

    func testTooManyAbandonedSlotsCloseTheConnection() {
        var queue = CommandQueueStateMachine<Int>(maxAbandonedSlots: 2)
        for token in 0..<2 {
            _ = queue.enqueue(token, deadline: start + .seconds(1))
        }
        XCTAssertFalse(queue.timerFired(deadline: start + .seconds(1), now: start + .seconds(1)).close)
        guard case .write(start + .seconds(2)) = queue.enqueue(2, deadline: start + .seconds(2)) else { return XCTFail() }
        let action = queue.timerFired(deadline: start + .seconds(2), now: start + .seconds(2))
        XCTAssertEqual(action.timedOut, [2])
        XCTAssertTrue(action.close)
    }

    func testCloseFailsWaitingCallersAndRejectsNewOnes() {
        var queue = CommandQueueStateMachine<Int>()
        _ = queue.enqueue(1, deadline: start + .seconds(1))
        _ = queue.enqueue(2, deadline: start + .seconds(5))
        _ = queue.timerFired(deadline: start + .seconds(1), now: start + .seconds(1))
        XCTAssertEqual(queue.closed(), [2])
        guard case .fail(3) = queue.enqueue(3, deadline: start + .seconds(5)) else { return XCTFail() }
        XCTAssertEqual(queue.timerFired(deadline: start + .seconds(5), now: start + .seconds(5)).timedOut, [])
    }
}

final class ConnectionStateMachineTests: XCTestCase {
    let backoff = RedisBackoff(initial: .milliseconds(50), maximum: .seconds(2))

    func testBackoffDoublesAndIsCapped() {
        XCTAssertEqual((0..<8).map { backoff.delay(attempt: $0) }, [50, 100, 200, 400, 800, 1600, 2000, 2000].map { TimeAmount.milliseconds($0) })
        XCTAssertEqual(backoff.delay(attempt: 200), .seconds(2))
    }

    func testConnectFailReconnectLifecycle() {
        var machine = ConnectionStateMachine(backoff: backoff)
        XCTAssertEqual(machine.start(), .connect)
        XCTAssertEqual(machine.start(), .none)
        XCTAssertEqual(machine.connectFailed(), .scheduleReconnect(after: .milliseconds(100)))
        XCTAssertEqual(machine.reconnectTimerFired(), .connect)
        XCTAssertEqual(machine.connectFailed(), .scheduleReconnect(after: .milliseconds(200)))
        XCTAssertEqual(machine.reconnectTimerFired(), .connect)
        XCTAssertEqual(machine.connectSucceeded(), .connected(isReconnect: false))
        XCTAssertEqual(machine.connectionLost(), .scheduleReconnect(after: .milliseconds(50)))
        XCTAssertEqual(machine.reconnectTimerFired(), .connect)
        XCTAssertEqual(machine.connectSucceeded(), .connected(isReconnect: true))
    }

    func testShutdownInEachState() {
        var connected = ConnectionStateMachine(backoff: backoff)
        _ = connected.start()
        _ = connected.connectSucceeded()
        XCTAssertEqual(connected.shutdown(), .closeGracefully)
        XCTAssertEqual(connected.connectionLost(), .none)

        var connecting = ConnectionStateMachine(backoff: backoff)
        _ = connecting.start()
        XCTAssertEqual(connecting.shutdown(), .none)
        XCTAssertEqual(connecting.connectSucceeded(), .closeConnection)

        var backingOff = ConnectionStateMachine(backoff: backoff)
        _ = backingOff.start()
        _ = backingOff.connectFailed()
        XCTAssertEqual(backingOff.shutdown(), .cancelReconnect)
        XCTAssertEqual(backingOff.reconnectTimerFired(), .none)
        XCTAssertEqual(backingOff.start(), .none)
    }
}

final class SubscriptionStateMachineTests: XCTestCase {
    func testRequestsWhileDisconnectedWaitForTheConnection() {
        var machine = SubscriptionStateMachine(initialChannels: ["probe"])
        XCTAssertEqual(machine.subscribe(["a", "b"]), .awaitConnection(barrier: 0))
        XCTAssertEqual(machine.unsubscribe(["b"]), .awaitConnection(barrier: 1))
        let (channels, barrier) = machine.connected()
        XCTAssertEqual(channels, ["a", "probe"])
        XCTAssertEqual(barrier, 1)
        XCTAssertEqual(machine.pongReceived(barrier: 1), [0, 1])
    }

    func testBarriersCompleteInOrderOnPong() {
        var machine = SubscriptionStateMachine()
        _ = machine.connected()
        XCTAssertEqual(machine.subscribe(["a", "b"]), .send(.subscribe(["a", "b"]), barrier: 0))
        XCTAssertEqual(machine.subscribe(["b", "c"]), .send(.subscribe(["c"]), barrier: 1))
        // "b" is desired but not yet confirmed: the caller still waits for a barrier.
        XCTAssertEqual(machine.subscribe(["b"]), .send(nil, barrier: 2))
        for channel in ["a", "b", "c"] { machine.subscriptionConfirmed(channel) }
        XCTAssertEqual(machine.pongReceived(barrier: 1), [0, 1])
        XCTAssertEqual(machine.pongReceived(barrier: 2), [2])
        XCTAssertEqual(machine.subscribe(["a"]), .completeNow)
        XCTAssertEqual(machine.confirmed, ["a", "b", "c"])
    }

    func testUnsubscribe() {
        var machine = SubscriptionStateMachine()
        _ = machine.connected()
        _ = machine.subscribe(["a"])
        machine.subscriptionConfirmed("a")
        XCTAssertEqual(machine.unsubscribe(["a", "x"]), .send(.unsubscribe(["a"]), barrier: 1))
        XCTAssertFalse(machine.shouldDeliver("a"))
        machine.unsubscriptionConfirmed("a")
        XCTAssertEqual(machine.unsubscribe(["a"]), .completeNow)
    }

    func testReconnectResubscribesTheDesiredSetAndResendsTheLatestBarrier() {
        var machine = SubscriptionStateMachine()
        _ = machine.connected()
        _ = machine.subscribe(["a", "b"])
        _ = machine.subscribe(["c"])
        machine.subscriptionConfirmed("a")
        machine.disconnected()
        XCTAssertEqual(machine.confirmed, [])
        let (channels, barrier) = machine.connected()
        XCTAssertEqual(channels, ["a", "b", "c"])
        XCTAssertEqual(barrier, 1)
        XCTAssertEqual(machine.pongReceived(barrier: 1), [0, 1])
    }

    func testAConfirmationNamesTheConnectionItHappenedOn() {
        var machine = SubscriptionStateMachine()
        XCTAssertEqual(machine.sync(), .awaitConnection(barrier: 0))
        _ = machine.connected()
        _ = machine.subscribe(["a"])
        XCTAssertNil(machine.confirmedConnection(of: "a"), "asked, not yet confirmed")
        machine.subscriptionConfirmed("a")
        XCTAssertEqual(machine.confirmedConnection(of: "a"), 1)
        XCTAssertEqual(machine.sync(), .send(nil, barrier: 2))
        machine.disconnected()
        XCTAssertNil(machine.confirmedConnection(of: "a"))
        _ = machine.connected()
        machine.subscriptionConfirmed("a")
        XCTAssertEqual(machine.confirmedConnection(of: "a"), 2)
    }

    func testAbandonedBarrierIsForgotten() {
        var machine = SubscriptionStateMachine()
        XCTAssertEqual(machine.subscribe(["a"]), .awaitConnection(barrier: 0))
        machine.barrierAbandoned(0)
        XCTAssertNil(machine.connected().barrier)
        XCTAssertTrue(machine.shouldDeliver("a"), "the channel stays desired")
    }
}

final class ProbeStateMachineTests: XCTestCase {
    let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    func testProbesWhenIdleAndSucceedsWhenTheProbeComesBack() {
        var probe = ProbeStateMachine(idleInterval: .seconds(10), timeout: .seconds(2), proof: .probeOnly)
        XCTAssertEqual(probe.tick(now: start), .none, "not connected")
        probe.connected(now: start)
        XCTAssertEqual(probe.tick(now: start + .seconds(9)), .none)
        probe.activity(now: start + .seconds(9))
        XCTAssertEqual(probe.tick(now: start + .seconds(18)), .none, "activity postpones the probe")
        XCTAssertEqual(probe.tick(now: start + .seconds(19)), .sendProbe(token: 0))
        probe.activity(now: start + .seconds(20))
        probe.probeReceived(token: 7, now: start + .seconds(20))
        XCTAssertEqual(
            probe.state,
            .probing(token: 0, deadline: start + .seconds(21), lastActivity: start + .seconds(20)),
            "only the probe's own token counts"
        )
        probe.probeReceived(token: 0, now: start + .seconds(20))
        XCTAssertEqual(probe.tick(now: start + .seconds(22)), .none)
        XCTAssertEqual(probe.tick(now: start + .seconds(30)), .sendProbe(token: 1))
    }

    func testFailsWhenTheProbeDoesNotComeBack() {
        var probe = ProbeStateMachine(idleInterval: .seconds(10), timeout: .seconds(2), proof: .probeOnly)
        probe.connected(now: start)
        XCTAssertEqual(probe.tick(now: start + .seconds(10)), .sendProbe(token: 0))
        XCTAssertEqual(probe.tick(now: start + .seconds(11)), .none)
        XCTAssertEqual(probe.tick(now: start + .seconds(12)), .confirmSilence(lastActivity: start))
        XCTAssertEqual(probe.tick(now: start + .seconds(13)), .none, "waits for the kernel's answer")
        // The kernel's clock may make the last data read look slightly newer than it was.
        XCTAssertEqual(probe.silenceChecked(kernelLastReceived: start + .milliseconds(15), now: start + .seconds(13)), .silent)
        XCTAssertEqual(probe.tick(now: start + .seconds(30)), .none, "waits for the reconnect")
        probe.connected(now: start + .seconds(31))
        XCTAssertEqual(probe.tick(now: start + .seconds(41)), .sendProbe(token: 1))
    }

    /// A command connection's probe queued behind a long pipeline: the replies still arriving
    /// prove the connection, so it is not restarted while they do, and is once they stop.
    func testAnyReplyEndsACommandConnectionsProbe() {
        var probe = ProbeStateMachine(idleInterval: .seconds(10), timeout: .seconds(2), proof: .anyReply)
        probe.connected(now: start)
        XCTAssertEqual(probe.tick(now: start + .seconds(10)), .sendProbe(token: 0))
        probe.activity(now: start + .seconds(11))
        XCTAssertEqual(probe.state, .idle(lastActivity: start + .seconds(11)), "an earlier command's reply counts")
        XCTAssertEqual(probe.tick(now: start + .seconds(12)), .none, "not restarted at the probe's deadline")
        probe.probeReceived(token: 0, now: start + .seconds(13))
        XCTAssertEqual(probe.state, .idle(lastActivity: start + .seconds(11)), "the late answer changes nothing")
        XCTAssertEqual(probe.tick(now: start + .seconds(21)), .sendProbe(token: 1))
        XCTAssertEqual(probe.tick(now: start + .seconds(23)), .confirmSilence(lastActivity: start + .seconds(11)), "silence still fails it")
        XCTAssertEqual(probe.silenceChecked(kernelLastReceived: nil, now: start + .seconds(23)), .silent, "the kernel cannot tell")
    }

    /// An event loop busy running tasks reads nothing: the kernel, which has received the answer,
    /// tells it from a silent server.
    func testDataTheEventLoopHasNotReadIsNotSilence() {
        var probe = ProbeStateMachine(idleInterval: .seconds(10), timeout: .seconds(2), proof: .probeOnly)
        probe.connected(now: start)
        XCTAssertEqual(probe.tick(now: start + .seconds(10)), .sendProbe(token: 0))
        probe.activity(now: start + .seconds(11))
        XCTAssertEqual(probe.tick(now: start + .seconds(12)), .confirmSilence(lastActivity: start + .seconds(11)), "a push is not the probe")
        XCTAssertEqual(probe.silenceChecked(kernelLastReceived: start + .milliseconds(11_500), now: start + .seconds(13)), .eventLoopBehind)
        XCTAssertEqual(probe.state, .idle(lastActivity: start + .seconds(13)), "probes again after the next idle interval")
        XCTAssertEqual(probe.tick(now: start + .seconds(23)), .sendProbe(token: 1))
        XCTAssertEqual(probe.tick(now: start + .seconds(25)), .confirmSilence(lastActivity: start + .seconds(13)))
        probe.activity(now: start + .seconds(25))
        XCTAssertEqual(probe.silenceChecked(kernelLastReceived: nil, now: start + .seconds(25)), .answered, "read meanwhile")
        XCTAssertEqual(probe.state, .idle(lastActivity: start + .seconds(25)))
    }
}

final class ParsingTests: XCTestCase {
    func testURLParsing() throws {
        let plain = try RedisConfiguration(url: "redis://localhost:6390/3")
        XCTAssertEqual(plain.host, "localhost")
        XCTAssertEqual(plain.port, 6390)
        XCTAssertEqual(plain.database, 3)
        XCTAssertNil(plain.password)

        let password = try RedisConfiguration(url: "redis://:s%40cret@10.0.0.1")
        XCTAssertEqual(password.password, "s@cret")
        XCTAssertNil(password.username)
        XCTAssertEqual(password.port, 6379)
        XCTAssertEqual(password.database, 0)

        let acl = try RedisConfiguration(url: "redis://app:pw@[::1]:7000/1")
        XCTAssertEqual(acl.username, "app")
        XCTAssertEqual(acl.password, "pw")
        XCTAssertEqual(acl.host, "::1")
        XCTAssertEqual(acl.port, 7000)

        for bad in ["http://x", "redis://", "redis://h:0", "redis://h/x", "redis://:%zz@h"] {
            XCTAssertThrowsError(try RedisConfiguration(url: bad), bad)
        }
    }

    func testSHA1MatchesKnownVectors() {
        XCTAssertEqual(RedisScript("").sha1, "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        XCTAssertEqual(RedisScript("abc").sha1, "a9993e364706816aba3e25717850c26c9cd0d89d")
        XCTAssertEqual(
            RedisScript(String(repeating: "a", count: 1000)).sha1,
            "291e9a6c66994949b57ba5e650361e98fc36b1ba"
        )
    }

    func testCommandEncodingAndReplyParsing() throws {
        var buffer = ByteBuffer()
        buffer.writeRESPCommand(["SET", "k", ByteBuffer(bytes: [0, 13, 10])])
        XCTAssertEqual(String(buffer: buffer), "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\n\0\r\n\r\n")

        let reader = HiredisReader()
        try reader.feed(ByteBuffer(string: "+OK\r\n:42\r\n$-1\r\n*2\r\n$3\r\na\0b\r\n-ERR bad\r\n$5\r\nhel"))
        XCTAssertEqual(try reader.next(), .simpleString("OK"))
        XCTAssertEqual(try reader.next(), .integer(42))
        XCTAssertEqual(try reader.next(), .null)
        XCTAssertEqual(try reader.next(), .array([.bulkString(ByteBuffer(bytes: [97, 0, 98])), .error(RedisError(message: "ERR bad"))]))
        XCTAssertNil(try reader.next())
        try reader.feed(ByteBuffer(string: "lo\r\n"))
        XCTAssertEqual(try reader.next(), .bulkString(ByteBuffer(string: "hello")))
        try reader.feed(ByteBuffer(string: "?bogus\r\n"))
        XCTAssertThrowsError(try reader.next())
    }
}
