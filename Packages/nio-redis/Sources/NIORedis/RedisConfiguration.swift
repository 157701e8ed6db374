import NIOCore

/// Where and how to connect; parsed from a `redis://` URL.
public struct RedisConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Redis 6 ACL user; `nil` sends the legacy `AUTH <password>`.
    public var username: String?
    public var password: String?
    public var database: Int
    /// Default time a command may take, including time spent waiting for a connection.
    public var commandTimeout: TimeAmount
    /// Limit for TCP connect plus the AUTH/SELECT handshake.
    public var connectTimeout: TimeAmount
    public var reconnectBackoff: RedisBackoff
    /// Command connections send a `PING` when no reply arrived for this long…
    public var probeIdleInterval: TimeAmount = .seconds(2)
    /// …and restart the connection when no reply at all (the `PING`'s or an earlier command's)
    /// arrives within this: a connection that went silent (a blackholed link, a dead peer) is
    /// replaced within both, not after thousands of timed-out commands or the kernel's TCP timeout.
    public var probeTimeout: TimeAmount = .seconds(2)

    public init(
        host: String = "127.0.0.1",
        port: Int = 6379,
        username: String? = nil,
        password: String? = nil,
        database: Int = 0,
        commandTimeout: TimeAmount = .seconds(5),
        connectTimeout: TimeAmount = .seconds(5),
        reconnectBackoff: RedisBackoff = .init()
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.commandTimeout = commandTimeout
        self.connectTimeout = connectTimeout
        self.reconnectBackoff = reconnectBackoff
    }

    /// Parses `redis://[[user]:password@]host[:port][/db]`. User and password may be percent-encoded.
    public init(url: String) throws {
        self.init()
        let prefix = "redis://"
        guard url.hasPrefix(prefix) else { throw RedisClientError.invalidURL("expected redis://, got \(url)") }
        var rest = Substring(url.dropFirst(prefix.count))

        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = userInfo.firstIndex(of: ":") {
                let user = try Self.percentDecoded(userInfo[..<colon])
                username = user.isEmpty ? nil : user
                password = try Self.percentDecoded(userInfo[userInfo.index(after: colon)...])
            } else {
                password = try Self.percentDecoded(userInfo)
            }
        }

        if let slash = rest.firstIndex(of: "/") {
            let path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
            if !path.isEmpty {
                guard let db = Int(path), db >= 0 else { throw RedisClientError.invalidURL("bad database in \(url)") }
                database = db
            }
        }

        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {  // [IPv6]:port
            host = String(rest[rest.index(after: rest.startIndex)..<close])
            rest = rest[rest.index(after: close)...]
            if rest.first == ":" { try setPort(rest.dropFirst(), url: url) }
        } else if let colon = rest.lastIndex(of: ":") {
            host = String(rest[..<colon])
            try setPort(rest[rest.index(after: colon)...], url: url)
        } else {
            host = String(rest)
        }
        guard !host.isEmpty else { throw RedisClientError.invalidURL("missing host in \(url)") }
    }

    private mutating func setPort(_ text: Substring, url: String) throws {
        guard let port = Int(text), (1...65535).contains(port) else {
            throw RedisClientError.invalidURL("bad port in \(url)")
        }
        self.port = port
    }

    private static func percentDecoded(_ text: Substring) throws -> String {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                throw RedisClientError.invalidURL("bad percent-encoding")
            }
            bytes.append(high << 4 | low)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// The AUTH/SELECT commands run on every (re)connect, before the connection is used.
    var handshakeCommands: [[any RESPArgument]] {
        var commands: [[any RESPArgument]] = []
        if let password {
            commands.append(username.map { ["AUTH", $0, password] } ?? ["AUTH", password])
        }
        if database != 0 {
            commands.append(["SELECT", database])
        }
        return commands
    }
}
