import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Takes the node's ``Sample`` every `PARLEY_SERIES_INTERVAL`, at multiples of it on the wall
/// clock (so the nodes' samples line up), keeps the last hour in a ``SampleRing`` and copies each
/// sample to Redis (``SeriesStore``). The ring is the truth: when Redis holds fewer of the node's
/// samples than the ring (it restarted, or was down for a while), the whole ring is written again.
///
/// Sampling reads counters the hot paths keep anyway (``NodeCounters``), off those paths.
final class SeriesRecorder: Service {
    private let counters: NodeCounters
    private let database: Database
    private let store: SeriesStore
    private let nodeID: String
    private let interval: Duration
    private let logger: Logger
    /// Accounts whose live socket this node holds (the gateway's count).
    private let accountsOnline: @Sendable () -> Int
    private let ring: Mutex<SampleRing<Sample>>

    init(
        counters: NodeCounters, database: Database, store: SeriesStore, nodeID: String, interval: Duration, logger: Logger,
        accountsOnline: @escaping @Sendable () -> Int
    ) {
        self.counters = counters
        self.database = database
        self.store = store
        self.nodeID = nodeID
        self.interval = interval
        self.logger = logger
        self.accountsOnline = accountsOnline
        ring = Mutex(SampleRing(capacity: store.capacity))
    }

    func run() async throws {
        // Sampling never waits for Redis: a slow or absent Redis only delays the copies, and the
        // publisher sees the newest sample (the ring fills in what it skipped).
        let (samples, taken) = AsyncStream.makeStream(of: Sample.self, bufferingPolicy: .bufferingNewest(1))
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    await self.sample(into: taken)
                    taken.finish()
                }
                for await sample in samples { await self.publish(sample) }
            }
        }
    }

    /// Takes a sample at every tick until cancelled.
    private func sample(into taken: AsyncStream<Sample>.Continuation) async {
        var previous = (reading: read(), at: ContinuousClock.now)
        var lastTime: Int64 = 0
        while (try? await Task.sleep(for: .milliseconds(millisecondsToNextTick()))) != nil {
            let current = (reading: read(), at: ContinuousClock.now)
            let time = tickTime()
            guard time > lastTime else { continue }
            let seconds = Double((current.at - previous.at).nanoseconds) / 1e9
            let sample = Sampler.sample(from: previous.reading, to: current.reading, seconds: seconds, at: time)
            previous = current
            lastTime = time
            ring.withLock { $0.append(sample) }
            taken.yield(sample)
        }
    }

    private var intervalMilliseconds: Int64 { Int64(interval.components.seconds) * 1000 }

    private func nowMilliseconds() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    private func millisecondsToNextTick() -> Int64 {
        intervalMilliseconds - nowMilliseconds() % intervalMilliseconds
    }

    /// The multiple of the interval nearest to now.
    private func tickTime() -> Int64 {
        (nowMilliseconds() + intervalMilliseconds / 2) / intervalMilliseconds * intervalMilliseconds
    }

    private func read() -> CounterReading {
        var reading = counters.read()
        reading.accountsOnline = accountsOnline()
        reading.postgresInFlight = database.queriesInFlight
        reading.postgresPoolSize = database.poolSize
        reading.process = ProcessUsage.read()
        return reading
    }

    private func publish(_ sample: Sample) async {
        do {
            let held = try await store.add([sample], of: nodeID)
            let oldest = sample.t - Int64(store.window.components.seconds) * 1000
            let kept = ring.withLock { $0.elements.filter { $0.t >= oldest } }
            if held < kept.count {
                logger.notice("Redis lacked this node's samples; writing them again", metadata: ["samples": "\(kept.count)"])
                _ = try await store.add(kept, of: nodeID)
            }
        } catch {
            NodeMetrics.redisError("series")
            logger.debug("Cannot write a sample to Redis", metadata: ["error": "\(error)"])
        }
    }
}
