import Foundation
import PostgresNIO

extension PostgresClient.Configuration {
    /// Reads `postgres://user[:password]@host[:port]/database[?sslmode=disable|prefer|require]`.
    ///
    /// TLS is off unless `sslmode` asks for it: the default deployment talks to PostgreSQL on a
    /// private network or loopback.
    public init(url string: String) throws {
        guard let url = URLComponents(string: string),
            url.scheme == "postgres" || url.scheme == "postgresql",
            let host = url.host, !host.isEmpty,
            let user = url.user, !user.isEmpty
        else {
            throw ConfigurationError.invalid("PARLEY_DATABASE_URL", reason: "expected postgres://user[:password]@host[:port]/database")
        }
        let database = String(url.path.drop(while: { $0 == "/" }))
        let tls: PostgresClient.Configuration.TLS
        switch url.queryItems?.first(where: { $0.name == "sslmode" })?.value ?? "disable" {
        case "disable": tls = .disable
        case "prefer": tls = .prefer(.makeClientConfiguration())
        case "require": tls = .require(.makeClientConfiguration())
        case let mode:
            throw ConfigurationError.invalid("PARLEY_DATABASE_URL", reason: "unsupported sslmode \(mode)")
        }
        self.init(
            host: host,
            port: url.port ?? 5432,
            username: user.removingPercentEncoding ?? user,
            password: url.password?.removingPercentEncoding,
            database: database.isEmpty ? user : database,
            tls: tls
        )
    }
}
