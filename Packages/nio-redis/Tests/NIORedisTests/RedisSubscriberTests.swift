import NIOCore
import XCTest
@testable import NIORedis

final class RedisSubscriberTests: XCTestCase {
    /// Shared server: one connection holding 20,000 channels.
    func testTwentyThousandChannelsOnOneConnection() async throws {
        try await withSubscriber { subscriber, client in
            let messages = Collector(subscriber.messages)
            let prefix = uniqueKey()
            let channels = (0..<20_000).map { "\(prefix):\($0)" }
            try await subscriber.subscribe(channels)
            let count = try await subscriber.channels.count
            XCTAssertEqual(count, 20_000)

            let sample = stride(from: 0, to: 20_000, by: 199).map { channels[$0] }
            for channel in sample {
                try await assertEqual(await client.publish(ByteBuffer(string: "to \(channel)"), to: channel), 1)
            }
            try await messages.wait { $0.count >= sample.count }
            let received = await messages.items
            XCTAssertEqual(Set(received.map(\.channel)), Set(sample))
            XCTAssertTrue(received.allSatisfy { String(buffer: $0.payload) == "to \($0.channel)" })

            try await subscriber.unsubscribe(Array(channels[0..<10_000]))
            let remaining = try await subscriber.channels.count
            XCTAssertEqual(remaining, 10_000)
            try await assertEqual(await client.publish("gone", to: channels[0]), 0)
            try await assertEqual(await client.publish("kept", to: channels[19_999]), 1)
        }
    }

    func testBinaryPayloadsAndUnsubscribe() async throws {
        try await withSubscriber { subscriber, client in
            let messages = Collector(subscriber.messages)
            let channel = uniqueKey()
            try await subscriber.subscribe([channel])
            let payload = ByteBuffer(bytes: Array(0...255))
            try await assertEqual(await client.publish(payload, to: channel), 1)
            try await messages.wait { !$0.isEmpty }
            try await assertEqual(await messages.items, [RedisMessage(channel: channel, payload: payload, sequence: 1)])
            try await subscriber.unsubscribe([channel])
            try await assertEqual(await client.publish(payload, to: channel), 0)
        }
    }

    /// A sync returns after every message published before it, and names the last one's sequence:
    /// what a consumer must have handled before it may rely on having seen them.
    func testSyncFollowsEveryMessagePublishedBeforeIt() async throws {
        try await withSubscriber { subscriber, client in
            let channel = uniqueKey()
            try await assertEqual(await subscriber.confirmation(of: channel), nil)
            try await subscriber.subscribe([channel])
            let confirmation = try await subscriber.confirmation(of: channel)
            XCTAssertNotNil(confirmation)
            let messages = Collector(subscriber.messages)
            for i in 1...50 { try await client.publish("\(i)", to: channel) }
            let point = try await subscriber.sync()
            XCTAssertEqual(point.lastSequence, 50)
            XCTAssertTrue(point.isContinuous(since: confirmation!))
            try await messages.wait { $0.count == 50 }
            try await assertEqual(await messages.items.map(\.sequence), Array(1...50))
        }
    }
}
