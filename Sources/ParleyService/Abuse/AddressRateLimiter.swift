import Synchronization

/// At most `limit` events per client address in each `window`, counted on this node (fixed
/// windows). Memory is bounded: expired windows are dropped when the table is full, and an address
/// that finds no room is let through rather than remembered.
public final class AddressRateLimiter: Sendable {
    struct Windows {
        let limit: Int
        let window: Duration
        let capacity: Int
        var counts: [String: (start: ContinuousClock.Instant, count: Int)] = [:]

        mutating func allow(_ address: String, now: ContinuousClock.Instant) -> Bool {
            if let entry = counts[address], now - entry.start < window {
                guard entry.count < limit else { return false }
                counts[address] = (entry.start, entry.count + 1)
                return true
            }
            if counts.count >= capacity {
                counts = counts.filter { now - $0.value.start < window }
                guard counts.count < capacity else { return true }
            }
            counts[address] = (now, 1)
            return true
        }
    }

    private let windows: Mutex<Windows>
    private let isEnabled: Bool

    /// - Parameter limit: events per window; 0 turns the limiter off.
    public init(limit: Int, per window: Duration, capacity: Int = 100_000) {
        windows = Mutex(Windows(limit: limit, window: window, capacity: capacity))
        isEnabled = limit > 0
    }

    /// Counts one event for `address`; `false` when it is over the limit. Unknown addresses pass.
    public func allow(_ address: String?) -> Bool {
        guard isEnabled, let address else { return true }
        return windows.withLock { $0.allow(address, now: .now) }
    }
}
