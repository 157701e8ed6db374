/// The cluster's series from its nodes' (docs/api.md §9): the samples of the same `t` combined —
/// counts, rates and gauges summed; latencies and heartbeat lag the highest node's, since the nodes'
/// histograms are not kept and an operator looks for the worst node anyway.
enum ClusterSeries {
    static func combine(_ nodes: [[Sample]]) -> [Sample] {
        var byTime: [Int64: Sample] = [:]
        for sample in nodes.joined() {
            byTime[sample.t] = byTime[sample.t].map { combine($0, sample) } ?? sample
        }
        return byTime.values.sorted { $0.t < $1.t }
    }

    static func combine(_ a: Sample, _ b: Sample) -> Sample {
        var http = a.http
        for (group, other) in b.http {
            http[group] = http[group].map {
                Sample.HTTPGroup(requests: $0.requests + other.requests, p99Milliseconds: highest($0.p99Milliseconds, other.p99Milliseconds))
            } ?? other
        }
        return Sample(
            t: a.t,
            sockets: a.sockets + b.sockets,
            accountsOnline: a.accountsOnline + b.accountsOnline,
            connects: .init(
                accepted: a.connects.accepted + b.connects.accepted,
                refused: a.connects.refused.merging(b.connects.refused, uniquingKeysWith: +)
            ),
            kicks: a.kicks + b.kicks,
            messages: a.messages + b.messages,
            http: http,
            kickP99Milliseconds: highest(a.kickP99Milliseconds, b.kickP99Milliseconds),
            heartbeatLagMilliseconds: max(a.heartbeatLagMilliseconds, b.heartbeatLagMilliseconds),
            postgresInUse: a.postgresInUse + b.postgresInUse,
            postgresWaiting: a.postgresWaiting + b.postgresWaiting,
            redisErrors: a.redisErrors + b.redisErrors,
            rssBytes: a.rssBytes + b.rssBytes,
            cpu: a.cpu + b.cpu
        )
    }

    private static func highest(_ a: Double?, _ b: Double?) -> Double? {
        switch (a, b) {
        case (let a?, let b?): max(a, b)
        default: a ?? b
        }
    }
}
