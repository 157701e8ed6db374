import Logging
import NIOCore
import NIORedis

/// Counts sign-in attempts per username in Redis, so the limit holds across every node: once
/// ``maximumFailures`` attempts within ``window`` have not succeeded, every attempt for that username
/// is refused with 429, right password or not (API.md §4).
///
/// An attempt is counted *before* its password is checked, in one atomic step that also says whether
/// it may go on: a burst of concurrent guesses, on any number of nodes, gets at most
/// ``maximumFailures`` bcrypt checks, never more (a check-then-count throttle let 11–27 of 40 through).
/// A success clears the count.
///
/// The key is a hash of the username, so its size is fixed whatever the client sent. Redis being down
/// must not lock everybody out: the throttle then fails open, and says so in the log.
struct LoginThrottle: Sendable {
    static let maximumFailures = 10
    static let window = 300
    /// A sign-in waits no longer than this for the counter.
    static let timeout: TimeAmount = .milliseconds(500)

    let redis: RedisClient
    let keys: ClusterKeys
    let logger: Logger

    /// Counts an attempt and answers the count; the window starts with the first one.
    private static let countAttempt = RedisScript("""
        local count = redis.call('INCR', KEYS[1])
        if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
        return count
        """)

    /// Counts an attempt for `username`; `false` when the username is locked out and the attempt
    /// must be refused without checking its password.
    func admit(_ username: String) async -> Bool {
        do {
            let attempts = try await redis.evaluate(
                Self.countAttempt,
                keys: [keys.loginAttempts(username)],
                arguments: [String(Self.window)],
                timeout: Self.timeout
            ).int ?? 0
            return attempts <= Self.maximumFailures
        } catch {
            NodeMetrics.redisError("login_throttle")
            logger.warning("Login throttle unavailable, letting the attempt through", metadata: ["error": "\(error)"])
            return true
        }
    }

    /// A right password: the username's count starts again.
    func recordSuccess(_ username: String) async {
        _ = try? await redis.send(["DEL", keys.loginAttempts(username)], timeout: Self.timeout)
    }
}
