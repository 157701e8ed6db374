import HummingbirdBcrypt
import NIOPosix

/// bcrypt, run on NIO's thread pool: a hash takes tens of milliseconds at cost 10 and must never
/// hold an event loop.
struct PasswordHasher: Sendable {
    let cost: UInt8
    private let threadPool: NIOThreadPool

    init(cost: UInt8, threadPool: NIOThreadPool = .singleton) {
        self.cost = cost
        self.threadPool = threadPool
    }

    /// Hashes a new password; validation has already refused one bcrypt would read only in part.
    func hash(_ password: String) async throws -> String {
        guard Self.isReadWhole(password) else { throw PartlyReadPassword() }
        let cost = self.cost
        return try await threadPool.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    /// Whether `password` is the one `hash` was made from. A password bcrypt would read only in part
    /// matches nothing: every byte counts, none after a NUL or the 72nd is ignored.
    func verify(_ password: String, hash: String) async throws -> Bool {
        guard Self.isReadWhole(password) else { return false }
        return try await threadPool.runIfActive { Bcrypt.verify(password, hash: hash) }
    }

    /// bcrypt reads a C string of at most 72 bytes: it stops at a NUL and ignores bytes past the 72nd.
    static func isReadWhole(_ password: String) -> Bool {
        password.utf8.count <= AccountFields.passwordBytes.upperBound && !password.utf8.contains(0)
    }

    struct PartlyReadPassword: Error {}
}
