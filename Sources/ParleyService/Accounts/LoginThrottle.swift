import Logging
import NIOCore
import NIORedis

/// Counts failed sign-ins per username in Redis, so the limit holds across every node: after
/// ``maximumFailures`` failures within ``window`` every attempt for that username is refused with
/// 429, right password or not (API.md §4).
///
/// Redis being down must not lock everybody out: the throttle then fails open, and says so in the log.
public struct LoginThrottle: Sendable {
    public static let maximumFailures = 10
    public static let window = 300
    /// A sign-in waits no longer than this for the counter.
    static let timeout: TimeAmount = .milliseconds(500)

    let redis: RedisClient
    let keys: ClusterKeys
    let logger: Logger

    /// Counts a failure; the window starts with the first one.
    private static let countFailure = RedisScript("""
        local count = redis.call('INCR', KEYS[1])
        if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
        return count
        """)

    private func key(_ username: String) -> String { keys.prefix + "login-failures:" + username }

    /// Whether `username` is locked out now.
    public func isLimited(_ username: String) async -> Bool {
        do {
            let failures = try await redis.send(["GET", key(username)], timeout: Self.timeout).int ?? 0
            return failures >= Self.maximumFailures
        } catch {
            NodeMetrics.redisError("login_throttle")
            logger.warning("Login throttle unavailable, letting the attempt through", metadata: ["error": "\(error)"])
            return false
        }
    }

    public func recordFailure(_ username: String) async {
        do {
            try await redis.evaluate(Self.countFailure, keys: [key(username)], arguments: [String(Self.window)], timeout: Self.timeout)
        } catch {
            NodeMetrics.redisError("login_throttle")
            logger.warning("Login throttle unavailable, failure not counted", metadata: ["error": "\(error)"])
        }
    }

    public func recordSuccess(_ username: String) async {
        _ = try? await redis.send(["DEL", key(username)], timeout: Self.timeout)
    }
}
