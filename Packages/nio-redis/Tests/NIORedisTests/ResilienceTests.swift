import NIOCore
import NIOPosix
import XCTest
@testable import NIORedis

/// Tests that restart, kill or silence a private redis-server.
final class ResilienceTests: XCTestCase {
    func testServerRestartMidTraffic() async throws {
        let server = try RedisTestServer()
        try await withSubscriber(url: server.url) { subscriber, client in
            let messages = Collector(subscriber.messages)
            let events = Collector(subscriber.events)
            let channel = uniqueKey()
            try await subscriber.subscribe([channel])
            try await assertEqual(await client.publish("before", to: channel), 1)
            try await messages.wait { $0.count == 1 }

            // Blocked server-side, so certainly in flight when the server goes away.
            let blocked = (0..<20).map { _ in
                Task { () -> ContinuousClock.Duration in
                    let start = ContinuousClock.now
                    do {
                        try await client.send(["BLPOP", uniqueKey(), 0], timeout: .seconds(60))
                        XCTFail("BLPOP should not return")
                    } catch let error as RedisClientError {
                        XCTAssertEqual(error, .connectionClosed)
                    }
                    return ContinuousClock.now - start
                }
            }
            let traffic = Task {
                var i = 0
                while !Task.isCancelled {
                    _ = try? await client.send(["SET", "k\(i % 10)", i], timeout: .milliseconds(200))
                    i += 1
                }
            }
            try await Task.sleep(for: .milliseconds(100))

            server.stop()
            for task in blocked {
                let elapsed = try await task.value
                XCTAssertLessThan(elapsed, .seconds(30), "in-flight commands must fail at once, not at their timeout")
            }
            do {
                try await client.send(["PING"], timeout: .milliseconds(200))
                XCTFail("the server is down")
            } catch let error as RedisClientError {
                // Either the command waited for a reconnect that did not come, or it was written just
                // as the client was learning that the connection had gone: both say "down", at once.
                XCTAssertTrue([.notConnected, .connectionClosed].contains(error), "\(error)")
            }

            try server.start()
            traffic.cancel()
            await traffic.value
            try await eventually { try await client.send("PING") }
            try await assertEqual(await client.send("SET", "after", "restart"), .simpleString("OK"))
            try await events.wait { $0.contains(.reconnected) }
            try await eventually {
                guard try await client.publish("after", to: channel) == 1 else { throw TimedOut() }
            }
            try await messages.wait { $0.map { String(buffer: $0.payload) } == ["before", "after"] }
        }
        server.stop()
    }

    func testSubscriberRecoversFromClientKill() async throws {
        let server = try RedisTestServer()
        try await withSubscriber(url: server.url) { subscriber, client in
            let messages = Collector(subscriber.messages)
            let events = Collector(subscriber.events)
            let channels = (0..<3).map { "room:\($0)" }
            try await subscriber.subscribe(channels)
            try await events.wait { $0 == [.connected] }

            try server.cli("CLIENT", "KILL", "TYPE", "pubsub")
            try await events.wait { $0 == [.connected, .disconnected, .reconnected] }
            for channel in channels {
                try await eventually {
                    guard try await client.publish(channel, to: channel) == 1 else { throw TimedOut() }
                }
            }
            try await messages.wait { Set($0.map(\.channel)) == Set(channels) }
        }
        server.stop()
    }

    /// Messages published while the subscriber reconnects are lost: a sync after the reconnect says
    /// the subscription was not continuous since a confirmation before it.
    func testASyncAfterAReconnectIsNotContinuous() async throws {
        let server = try RedisTestServer()
        try await withSubscriber(url: server.url) { subscriber, client in
            let events = Collector(subscriber.events)
            try await subscriber.subscribe(["room"])
            let confirmation = try await subscriber.confirmation(of: "room")!
            try server.cli("CLIENT", "KILL", "TYPE", "pubsub")
            try await events.wait { $0.contains(.reconnected) }
            let point = try await subscriber.sync()
            XCTAssertFalse(point.isContinuous(since: confirmation))
            let renewed = try await eventually {
                guard let renewed = try await subscriber.confirmation(of: "room") else { throw TimedOut() }
                return renewed
            }
            try await assertEqual(await subscriber.sync().isContinuous(since: renewed), true)
        }
        server.stop()
    }

    func testProbeRestartsASilentSubscription() async throws {
        let server = try RedisTestServer()
        let proxy = try BlackholeProxy(upstreamPort: server.port)
        var options = RedisSubscriber.Options()
        options.probeIdleInterval = .milliseconds(200)
        options.probeTimeout = .milliseconds(500)
        try await withSubscriber(url: server.url, subscriberURL: proxy.url, options: options) { subscriber, client in
            let messages = Collector(subscriber.messages)
            let events = Collector(subscriber.events)
            try await subscriber.subscribe(["presence"])
            try await assertEqual(await client.publish("1", to: "presence"), 1)
            try await messages.wait { $0.count == 1 }

            // The connection stays open and subscribed server-side, but nothing reaches the client.
            proxy.silenceExistingConnections()
            try await assertEqual(await client.publish("lost", to: "presence"), 1)
            try await events.wait { $0.contains(.probeFailed) && $0.last == .reconnected }

            try await eventually {
                guard try await client.publish("2", to: "presence") >= 1 else { throw TimedOut() }
            }
            try await messages.wait { $0.contains { String(buffer: $0.payload) == "2" } }
            try await assertEqual(await messages.items.contains { String(buffer: $0.payload) == "lost" }, false)
        }
        try proxy.close()
        server.stop()
    }

    /// Parley issue 13, hole 4: a command connection that went silent stayed in use until 10,000
    /// commands had timed out on it (or the kernel's TCP timeout), failing every command meanwhile.
    func testProbeRestartsASilentCommandConnection() async throws {
        let server = try RedisTestServer()
        let proxy = try BlackholeProxy(upstreamPort: server.port)
        try await withClient(url: proxy.url, configure: { configuration in
            configuration.commandTimeout = .milliseconds(300)
            configuration.probeIdleInterval = .milliseconds(200)
            configuration.probeTimeout = .milliseconds(500)
        }) { client in
            try await assertEqual(await client.send("PING").string, "PONG")
            proxy.silenceExistingConnections()
            do {
                try await client.send("PING")
                XCTFail("a silenced connection answered")
            } catch let error as RedisClientError {
                XCTAssertEqual(error, .timeout)
            }
            // A fresh connection replaces the silent one within the probe's interval and timeout.
            try await eventually(timeout: .seconds(5)) {
                guard try await client.send("PING").string == "PONG" else { throw TimedOut() }
            }
        }
        try proxy.close()
        server.stop()
    }

    /// NIO runs every queued task before it reads again, so an event loop kept busy reads nothing
    /// for longer than the probe's interval and timeout together. Redis has answered — the kernel
    /// holds the replies — so the connection is kept, and the command sent meanwhile gets its reply.
    func testAnEventLoopTooBusyToReadKeepsItsConnection() async throws {
        let server = try RedisTestServer()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        try await withClient(url: server.url, eventLoopGroup: group, configure: { configuration in
            configuration.probeIdleInterval = .milliseconds(200)
            configuration.probeTimeout = .milliseconds(200)
        }) { client in
            let connection = try await client.send("CLIENT", "ID")
            let echo = Task { try await client.send("ECHO", "sent while the loop was busy") }
            keepBusy(group.next(), until: .now() + .seconds(1))
            try await assertEqual(await echo.value.string, "sent while the loop was busy")
            // The same connection: it was not restarted.
            try await assertEqual(await client.send("CLIENT", "ID"), connection)
        }
        try await group.shutdownGracefully()
        server.stop()
    }

    func testAuthenticationFromURL() async throws {
        let server = try RedisTestServer(extraArguments: ["--requirepass", "s3cret", "--user", "app", "on", ">apppw", "~*", "&*", "+@all"])
        try await withClient(url: "redis://:s3cret@127.0.0.1:\(server.port)/2") { client in
            try await assertEqual(await client.send("PING"), .simpleString("PONG"))
            try await assertEqual(await client.send("CLIENT", "INFO").string?.contains("db=2"), true)
        }
        try await withClient(url: "redis://app:apppw@127.0.0.1:\(server.port)/0") { client in
            try await assertEqual(await client.send("ACL", "WHOAMI").string, "app")
        }
        try await withClient(url: "redis://:wrong@127.0.0.1:\(server.port)/0") { client in
            do {
                try await client.send(["PING"], timeout: .milliseconds(300))
                XCTFail("authentication should fail")
            } catch let error as RedisClientError {
                // Either the command waited for a reconnect that did not come, or it was written just
                // as the client was learning that the connection had gone: both say "down", at once.
                XCTAssertTrue([.notConnected, .connectionClosed].contains(error), "\(error)")
            }
        }
        server.stop()
    }

    func testScriptsStillWorkAfterScriptFlush() async throws {
        let server = try RedisTestServer()
        let script = RedisScript("return redis.call('INCRBY', KEYS[1], ARGV[1])")
        try await withClient(url: server.url) { client in
            try await assertEqual(await client.evaluate(script, keys: ["n"], arguments: [5]), .integer(5))
            try await client.send("SCRIPT", "FLUSH")
            try await assertEqual(await client.send("SCRIPT", "EXISTS", script.sha1), .array([.integer(0)]))
            try await assertEqual(await client.evaluate(script, keys: ["n"], arguments: [5]), .integer(10))
            try await assertEqual(await client.send("SCRIPT", "EXISTS", script.sha1), .array([.integer(1)]))
        }
        server.stop()
    }
}

/// Keeps `loop` running tasks, one after another, until `deadline`: it does no I/O meanwhile.
private func keepBusy(_ loop: any EventLoop, until deadline: NIODeadline) {
    loop.execute {
        if NIODeadline.now() < deadline { keepBusy(loop, until: deadline) }
    }
}
