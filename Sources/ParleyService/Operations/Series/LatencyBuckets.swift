import Foundation

/// A histogram of durations in buckets four to a doubling, from 64 µs up: the counts behind the
/// p99s of docs/api.md §9, small enough (80 integers) to keep one per route group.
///
/// A percentile is the upper bound of the bucket it falls in, so it reads at most 2^(1/4) − 1 ≈ 19 %
/// high, never low.
struct LatencyBuckets: Sendable, Equatable {
    static let count = 80
    /// The first bucket holds everything up to 64 µs; the last, everything from about 67 s.
    static let smallestMicroseconds = 64.0
    static let perDoubling = 4.0

    var counts: [Int]

    init(counts: [Int] = Array(repeating: 0, count: LatencyBuckets.count)) {
        self.counts = counts
    }

    /// The bucket of a duration.
    static func index(microseconds: Double) -> Int {
        guard microseconds > smallestMicroseconds else { return 0 }
        let index = Int((log2(microseconds / smallestMicroseconds) * perDoubling).rounded(.up))
        return min(index, count - 1)
    }

    /// The largest duration in bucket `index`, in milliseconds.
    static func upperBoundMilliseconds(of index: Int) -> Double {
        smallestMicroseconds * pow(2, Double(index) / perDoubling) / 1000
    }

    /// The `quantile` (0.99 for p99) of what was recorded between `earlier` and this reading, in
    /// milliseconds; `nil` when nothing was.
    func quantileMilliseconds(_ quantile: Double, since earlier: LatencyBuckets) -> Double? {
        let recorded = zip(counts, earlier.counts).map { $0 - $1 }
        let total = recorded.reduce(0, +)
        guard total > 0 else { return nil }
        let rank = Int((Double(total) * quantile).rounded(.up))
        var seen = 0
        for (index, count) in recorded.enumerated() {
            seen += count
            if seen >= rank { return Self.upperBoundMilliseconds(of: index) }
        }
        return Self.upperBoundMilliseconds(of: Self.count - 1)
    }
}
