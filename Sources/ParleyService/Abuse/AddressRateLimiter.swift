import Synchronization

/// At most `limit` events per client in each `window` (fixed windows), counted on this node, where a
/// client is an IPv4 address or an IPv6 /64 (``IPAddress/clientKey``).
///
/// The counts are a count-min sketch: a few rows of counters, each address adding to one counter
/// per row and reading the smallest. Every request costs the same few steps whatever the number of
/// addresses, memory is fixed (``rows`` × ``width`` counters, 1 MiB), and a count is never lower than
/// the truth, so spraying addresses can never make the limit fail open — at worst, with far more
/// active clients per window than counters, some are refused a little early. Each counter carries the
/// window it counts in, so a new window starts without clearing anything.
final class AddressRateLimiter: Sendable {
    static let rows = 4
    static let width = 1 << 15

    struct Sketch {
        let limit: Int
        let window: Duration
        let start: ContinuousClock.Instant
        /// `rows × width` counters: the window number in the high 32 bits, the count in the low 32.
        var counters: [UInt64]
        /// Per-limiter salts: which counters an address uses cannot be predicted from outside.
        let salts: (UInt64, UInt64)

        init(limit: Int, window: Duration, start: ContinuousClock.Instant) {
            self.limit = limit
            self.window = window
            self.start = start
            counters = Array(repeating: 0, count: AddressRateLimiter.rows * AddressRateLimiter.width)
            salts = (.random(in: .min ... .max), .random(in: .min ... .max))
        }

        mutating func allow(_ client: IPAddress, now: ContinuousClock.Instant) -> Bool {
            let windowNumber = UInt64(max(0, (now - start) / window))
            var hasher = Hasher()
            hasher.combine(salts.0)
            hasher.combine(client)
            let first = UInt64(bitPattern: Int64(hasher.finalize()))
            hasher = Hasher()
            hasher.combine(salts.1)
            hasher.combine(client)
            let step = UInt64(bitPattern: Int64(hasher.finalize())) | 1

            func slot(_ row: Int) -> Int {
                row * AddressRateLimiter.width + Int((first &+ UInt64(row) &* step) % UInt64(AddressRateLimiter.width))
            }
            var smallest = UInt64.max
            for row in 0..<AddressRateLimiter.rows {
                smallest = min(smallest, count(at: slot(row), window: windowNumber))
            }
            guard smallest < UInt64(limit) else { return false }
            // Conservative update: only the counters at the smallest count grow, which keeps the
            // other addresses sharing a counter from being over-counted needlessly.
            for row in 0..<AddressRateLimiter.rows where count(at: slot(row), window: windowNumber) == smallest {
                counters[slot(row)] = (windowNumber & 0xFFFF_FFFF) << 32 | (smallest + 1)
            }
            return true
        }

        private func count(at slot: Int, window windowNumber: UInt64) -> UInt64 {
            let counter = counters[slot]
            return counter >> 32 == windowNumber & 0xFFFF_FFFF ? counter & 0xFFFF_FFFF : 0
        }
    }

    private let sketch: Mutex<Sketch>
    private let isEnabled: Bool

    /// - Parameter limit: events per window; 0 turns the limiter off.
    init(limit: Int, per window: Duration) {
        sketch = Mutex(Sketch(limit: limit, window: window, start: .now))
        isEnabled = limit > 0
    }

    /// Counts one event for `client`; `false` when it is over the limit. Unknown addresses pass.
    func allow(_ client: IPAddress?) -> Bool {
        guard isEnabled, let client else { return true }
        return sketch.withLock { $0.allow(client.clientKey, now: .now) }
    }
}
