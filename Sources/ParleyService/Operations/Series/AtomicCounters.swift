import Synchronization

/// One integer that any thread adds to without a lock.
final class AtomicCounter: Sendable {
    private let value = Atomic<Int>(0)

    func add(_ amount: Int = 1) {
        value.add(amount, ordering: .relaxed)
    }

    var current: Int { value.load(ordering: .relaxed) }

    /// The value, set to 0 in the same step (for a maximum per interval).
    func take() -> Int { value.exchange(0, ordering: .relaxed) }

    /// Raises the value to `candidate` when it is higher.
    func raise(to candidate: Int) {
        var seen = value.load(ordering: .relaxed)
        while candidate > seen {
            let (exchanged, original) = value.compareExchange(expected: seen, desired: candidate, ordering: .relaxed)
            if exchanged { return }
            seen = original
        }
    }
}

/// A ``LatencyBuckets`` histogram that any thread records into without a lock.
final class LatencyRecorder: Sendable {
    private let buckets = (0..<LatencyBuckets.count).map { _ in AtomicCounter() }

    func record(_ duration: Duration) {
        buckets[LatencyBuckets.index(microseconds: Double(duration.nanoseconds) / 1000)].add()
    }

    /// The counts so far (cumulative).
    func reading() -> LatencyBuckets {
        LatencyBuckets(counts: buckets.map(\.current))
    }
}

/// Counters under a name from a set that is small and fixed by the code (refusal reasons, route
/// groups): a name's counter is found under a short lock (one dictionary lookup, made on first use);
/// counting into it is atomic.
final class NamedCounters<Counter: Sendable>: Sendable {
    private let counters = Mutex<[String: Counter]>([:])
    private let make: @Sendable () -> Counter

    init(_ make: @escaping @Sendable () -> Counter) {
        self.make = make
    }

    func callAsFunction(_ name: String) -> Counter {
        counters.withLock { counters in
            if let counter = counters[name] { return counter }
            let counter = make()
            counters[name] = counter
            return counter
        }
    }

    var all: [String: Counter] { counters.withLock { $0 } }
}
