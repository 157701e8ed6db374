import Foundation
import NIORedis
import Testing
@testable import ParleyService

/// The nodes' samples in the real Redis, each test under a prefix of its own.
@Suite("Series store")
struct SeriesStoreTests {
    func withStore(capacity: Int = 5, _ body: @Sendable (SeriesStore) async throws -> Void) async throws {
        let redis = RedisClient(configuration: try RedisConfiguration(url: TestEnvironment.redisURL), logger: TestEnvironment.logger)
        let keys = ClusterKeys(prefix: "series-\(UUID().uuidString.prefix(8)):")
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await redis.run() }
            defer { group.cancelAll() }
            try await body(SeriesStore(redis: redis, keys: keys, window: .seconds(3600), capacity: capacity))
            _ = try await redis.send("DEL", keys.series("n1"), keys.series("n2"), keys.seriesNodes)
        }
    }

    func sample(at t: Int64, sockets: Int, http: [String: Sample.HTTPGroup] = [:]) -> Sample {
        var sample = Sampler.sample(from: CounterReading(), to: CounterReading(sockets: sockets), seconds: 1, at: t)
        sample.http = http
        return sample
    }

    @Test func aTimeHoldsOneSampleWhateverIsWrittenAgain() async throws {
        try await withStore { store in
            let now = Int64(Date().timeIntervalSince1970 * 1000) / 1000 * 1000
            #expect(try await store.add([sample(at: now - 1000, sockets: 1)], of: "n1") == 1)
            // The same time again, encoded otherwise (a ring written again over a write that timed out).
            let again = sample(at: now - 1000, sockets: 1, http: ["a": .init(requests: 1, p99Milliseconds: 2), "b": .init(requests: 2)])
            #expect(try await store.add([again, sample(at: now, sockets: 2)], of: "n1") == 2)
            #expect(try await store.add([sample(at: now, sockets: 5)], of: "n2") == 1)
            let read = try await store.samples(since: nil, node: nil, now: Date())
            #expect(read.map(\.node) == ["n1", "n2"])
            #expect(read[0].samples == [again, sample(at: now, sockets: 2)])
            #expect(try await store.samples(since: now - 1000, node: "n1", now: Date()).map(\.samples) == [[sample(at: now, sockets: 2)]])
            #expect(ClusterSeries.combine(read.map(\.samples)).map(\.sockets) == [1, 7])
        }
    }

    @Test func aNodeKeepsAtMostItsCapacityAndTheWindow() async throws {
        try await withStore(capacity: 3) { store in
            let now = Int64(Date().timeIntervalSince1970 * 1000) / 1000 * 1000
            let old = sample(at: now - 3_601_000, sockets: 9)
            let recent = (0..<5).map { sample(at: now - Int64(4 - $0) * 1000, sockets: $0) }
            let held = try await store.add([old] + recent, of: "n1")
            #expect(held == 3)
            let read = try await store.samples(since: nil, node: "n1", now: Date())
            #expect(read.first?.samples == Array(recent.suffix(3)))
        }
    }
}
