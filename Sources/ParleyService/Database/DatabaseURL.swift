import Foundation
import PostgresNIO

/// The parts of `PARLEY_DATABASE_URL`:
/// `postgres://user[:password]@host[:port]/database[?sslmode=disable|prefer|require]`.
///
/// TLS is off unless `sslmode` asks for it: the default deployment talks to PostgreSQL on a
/// private network or loopback.
struct DatabaseURL {
    enum TLSMode: String {
        case disable, prefer, require
    }

    var host: String
    var port: Int
    var username: String
    var password: String?
    var database: String
    var tls: TLSMode

    init(_ string: String) throws {
        guard let url = URLComponents(string: string),
            url.scheme == "postgres" || url.scheme == "postgresql",
            let host = url.host, !host.isEmpty,
            let user = url.user, !user.isEmpty
        else {
            throw ConfigurationError.invalid("PARLEY_DATABASE_URL", reason: "expected postgres://user[:password]@host[:port]/database")
        }
        let sslmode = url.queryItems?.first(where: { $0.name == "sslmode" })?.value ?? "disable"
        guard let tls = TLSMode(rawValue: sslmode) else {
            throw ConfigurationError.invalid("PARLEY_DATABASE_URL", reason: "unsupported sslmode \(sslmode)")
        }
        let database = String(url.path.drop(while: { $0 == "/" }))
        self.host = host
        self.port = url.port ?? 5432
        self.username = user.removingPercentEncoding ?? user
        self.password = url.password?.removingPercentEncoding
        self.database = database.isEmpty ? self.username : database
        self.tls = tls
    }
}

extension PostgresClient.Configuration {
    /// The pool's configuration for `PARLEY_DATABASE_URL` (``DatabaseURL``).
    init(url string: String) throws {
        let url = try DatabaseURL(string)
        let tls: TLS =
            switch url.tls {
            case .disable: .disable
            case .prefer: .prefer(.makeClientConfiguration())
            case .require: .require(.makeClientConfiguration())
            }
        self.init(host: url.host, port: url.port, username: url.username, password: url.password, database: url.database, tls: tls)
    }
}

extension PostgresConnection.Configuration {
    /// A single connection's configuration for `PARLEY_DATABASE_URL` (``DatabaseURL``).
    init(url string: String) throws {
        let url = try DatabaseURL(string)
        let tls: TLS =
            switch url.tls {
            case .disable: .disable
            case .prefer: try .prefer(.init(configuration: .makeClientConfiguration()))
            case .require: try .require(.init(configuration: .makeClientConfiguration()))
            }
        self.init(host: url.host, port: url.port, username: url.username, password: url.password, database: url.database, tls: tls)
    }
}
