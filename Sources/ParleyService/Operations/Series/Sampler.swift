/// The arithmetic from two ``CounterReading``s to a ``Sample``: counts become rates over the
/// seconds between the readings, histograms become the p99 of what was recorded between them.
enum Sampler {
    static func sample(from previous: CounterReading, to current: CounterReading, seconds: Double, at t: Int64) -> Sample {
        let seconds = max(seconds, 0.001)
        /// Per second, to a thousandth: the JSON stays short.
        func rate(_ now: Int, _ before: Int) -> Double { (Double(max(0, now - before)) / seconds * 1000).rounded() / 1000 }
        var http: [String: Sample.HTTPGroup] = [:]
        for (group, now) in current.http {
            let before = previous.http[group] ?? .init(requests: 0, latency: LatencyBuckets())
            http[group] = .init(
                requests: rate(now.requests, before.requests),
                p99Milliseconds: now.latency.quantileMilliseconds(0.99, since: before.latency)
            )
        }
        return Sample(
            t: t,
            sockets: current.sockets,
            accountsOnline: current.accountsOnline,
            connects: .init(
                accepted: rate(current.connectsAccepted, previous.connectsAccepted),
                refused: current.connectsRefused.mapValuesWithKeys { reason, count in
                    rate(count, previous.connectsRefused[reason] ?? 0)
                }
            ),
            kicks: rate(current.kicks, previous.kicks),
            messages: rate(current.messages, previous.messages),
            http: http,
            kickP99Milliseconds: current.kickDelivery.quantileMilliseconds(0.99, since: previous.kickDelivery),
            heartbeatLagMilliseconds: Double(current.heartbeatLagMicroseconds) / 1000,
            postgresInUse: min(current.postgresInFlight, current.postgresPoolSize),
            postgresWaiting: max(0, current.postgresInFlight - current.postgresPoolSize),
            redisErrors: rate(current.redisErrors, previous.redisErrors),
            rssBytes: current.process.residentBytes,
            cpu: (max(0, current.process.cpuSeconds - previous.process.cpuSeconds) / seconds * 1000).rounded() / 1000
        )
    }
}

extension Dictionary {
    fileprivate func mapValuesWithKeys<T>(_ transform: (Key, Value) -> T) -> [Key: T] {
        Dictionary<Key, T>(uniqueKeysWithValues: map { ($0.key, transform($0.key, $0.value)) })
    }
}
