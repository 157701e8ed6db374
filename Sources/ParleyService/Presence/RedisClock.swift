import Foundation
import NIOCore
import Synchronization

/// This node's estimate of Redis's clock, from the time Redis reports at every heartbeat: the scripts
/// whose caller may give up carry a deadline on Redis's clock, so one that reaches Redis after its
/// caller stopped waiting does nothing (a claim that timed out must not take the account and kick
/// its other socket later; a login's kick must not land after the new device's claim).
final class RedisClock: Sendable {
    /// Redis's clock minus this node's, in milliseconds; `nil` until the first heartbeat.
    private let offset = Mutex<Int64?>(nil)

    /// A heartbeat sent at `sent` was answered at `received` with Redis's time `redisMilliseconds`:
    /// Redis read its clock about halfway between.
    func observe(redisMilliseconds: Int64, sent: Date, received: Date) {
        let midpoint = (Self.milliseconds(sent) + Self.milliseconds(received)) / 2
        offset.withLock { $0 = redisMilliseconds - midpoint }
    }

    /// The Redis time after which a command sent now with `timeout` must not run: halfway through the
    /// timeout, so that a command run just before it still has half the timeout for its reply to come
    /// back. 0 (no deadline) while Redis's clock is unknown.
    func deadline(for timeout: TimeAmount, now: Date = Date()) -> Int64 {
        redisMilliseconds(at: now).map { $0 + timeout.nanoseconds / 2_000_000 } ?? 0
    }

    /// `date` on Redis's clock, `nil` while that clock is unknown.
    func redisMilliseconds(at date: Date) -> Int64? {
        offset.withLock { $0 }.map { Self.milliseconds(date) + $0 }
    }

    private static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded())
    }
}
