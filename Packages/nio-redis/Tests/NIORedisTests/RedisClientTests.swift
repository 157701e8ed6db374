import NIOCore
import XCTest
@testable import NIORedis

/// Non-destructive tests against the shared server (`NIOREDIS_TEST_URL`).
final class RedisClientTests: XCTestCase {
    func testTenThousandConcurrentCommandsGetTheirOwnReplies() async throws {
        try await withClient(configure: { $0.commandTimeout = .seconds(60) }) { client in
            let prefix = uniqueKey()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<10_000 {
                    group.addTask {
                        let key = "\(prefix):\(i)"
                        try await client.send("SET", key, "value-\(i)", "EX", 60)
                        let counter = try await client.send("INCRBY", key + ":n", i)
                        try await client.send("EXPIRE", key + ":n", 60)
                        let value = try await client.send("GET", key)
                        XCTAssertEqual(counter.int, Int64(i))
                        XCTAssertEqual(value.string, "value-\(i)")
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    func testLargeAndBinaryValuesRoundTrip() async throws {
        try await withClient { client in
            var large = ByteBuffer()
            large.writeBytes((0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) })
            let binary = ByteBuffer(bytes: Array(0...255) + Array("\0\r\n$-1\r\n*2\r\n".utf8))
            for value in [large, binary, ByteBuffer()] {
                let key = ByteBuffer(bytes: Array(uniqueKey().utf8) + [0, 13, 10, 255])
                try await client.send("SET", key, value, "EX", 60)
                try await assertEqual(await client.send("GET", key), .bulkString(value))
                try await assertEqual(await client.send("STRLEN", key), .integer(Int64(value.readableBytes)))
            }
            try await assertEqual(await client.send("GET", uniqueKey()), .null)
        }
    }

    func testErrorRepliesAreThrownAndTheConnectionStaysUsable() async throws {
        try await withClient { client in
            let key = uniqueKey()
            try await client.send("SET", key, "not a number", "EX", 60)
            do {
                try await client.send("INCR", key)
                XCTFail("expected an error reply")
            } catch let error as RedisError {
                XCTAssertEqual(error.message, "ERR value is not an integer or out of range")
            }
            do {
                try await client.send("NO-SUCH-COMMAND")
                XCTFail("expected an error reply")
            } catch let error as RedisError {
                XCTAssertEqual(error.code, "ERR")
                XCTAssertTrue(error.message.contains("unknown command"), error.message)
            }
            try await assertEqual(await client.send("PING"), .simpleString("PONG"))
            try await assertEqual(await client.send("GET", key).string, "not a number")
        }
    }

    func testTimedOutCommandFailsAndLaterRepliesStayMatched() async throws {
        try await withClient { client in
            let key = uniqueKey()
            try await client.send("SET", key, "mine", "EX", 60)
            do {
                // Blocks server-side for 1 s; its late reply must be discarded, not given to GET.
                try await client.send(["BLPOP", uniqueKey(), 1], timeout: .milliseconds(100))
                XCTFail("expected a timeout")
            } catch let error as RedisClientError {
                XCTAssertEqual(error, .timeout)
            }
            try await assertEqual(await client.send("GET", key).string, "mine")
            try await assertEqual(await client.send("ECHO", "after").string, "after")
        }
    }

    func testDatabaseFromURLIsSelected() async throws {
        let key = uniqueKey()
        try await withClient(configure: { $0.database = 5 }) { client in
            try await client.send("SET", key, "in-db-5", "EX", 60)
        }
        try await withClient(configure: { $0.database = 0 }) { client in
            try await assertEqual(await client.send("GET", key), .null)
        }
        try await withClient(configure: { $0.database = 5 }) { client in
            try await assertEqual(await client.send("GET", key).string, "in-db-5")
        }
    }

    func testScriptsRunWithEvalSHA() async throws {
        let script = RedisScript("return redis.call('INCRBY', KEYS[1], ARGV[1])")
        try await withClient { client in
            let key = uniqueKey()
            try await assertEqual(await client.evaluate(script, keys: [key], arguments: [5]), .integer(5))
            try await assertEqual(await client.send("SCRIPT", "EXISTS", script.sha1), .array([.integer(1)]))
            try await assertEqual(await client.evaluate(script, keys: [key], arguments: [2]), .integer(7))
            try await client.send("DEL", key)
        }
    }

    func testShutdownLetsInFlightCommandsFinishAndRejectsNewOnes() async throws {
        let client = RedisClient(configuration: try RedisConfiguration(url: SharedRedis.url), logger: testLogger)
        let run = Task { try await client.run() }
        let key = uniqueKey()
        try await assertEqual(await client.send("PING"), .simpleString("PONG"))
        let inFlight = (0..<1_000).map { _ in Task { try await client.send("INCR", key) } }
        run.cancel()
        try await run.value
        var succeeded = 0
        for task in inFlight {
            do {
                _ = try await task.value
                succeeded += 1
            } catch let error as RedisClientError {
                XCTAssertTrue([.shutdown, .connectionClosed].contains(error), "\(error)")
            }
        }
        do {
            try await client.send("PING")
            XCTFail("expected shutdown error")
        } catch let error as RedisClientError {
            XCTAssertEqual(error, .shutdown)
        }
        // Every command that was answered is visible: none was lost silently.
        let expected = Int64(succeeded)
        try await withClient { other in
            try await assertEqual(await other.send("GET", key).int ?? 0, expected)
            try await other.send("DEL", key)
        }
    }
}
