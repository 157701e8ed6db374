import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Probes PostgreSQL and Redis every `PARLEY_SERIES_INTERVAL` and writes their outages and
/// recoveries to the event feed (``OutageWatch`` decides; this performs).
final class OutageMonitor: Service {
    private let readiness: Readiness
    private let feed: EventFeed
    private let nodeID: String
    private let interval: Duration
    private let watch = Mutex(OutageWatch())

    init(readiness: Readiness, feed: EventFeed, nodeID: String, interval: Duration) {
        self.readiness = readiness
        self.feed = feed
        self.nodeID = nodeID
        self.interval = interval
    }

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: self.interval)
                await self.probe()
            }
        }
    }

    private func probe() async {
        let answers = await readiness.dependenciesAnswer()
        let pending = watch.withLock { watch in
            watch.observe(.postgresql, answered: answers.postgresql, at: Date(), node: nodeID)
            watch.observe(.redis, answered: answers.redis, at: Date(), node: nodeID)
            return watch.pending
        }
        guard answers.redis else { return }
        var written = 0
        for event in pending {
            guard (try? await feed.write(event)) != nil else { break }
            written += 1
        }
        watch.withLock { [written] in $0.written(written) }
    }
}
