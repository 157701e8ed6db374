import Configuration
import Testing
@testable import ParleyService

@Suite("Configuration (API.md §7)")
struct ConfigurationTests {
    func configuration(_ environment: [String: String]) throws -> ParleyConfiguration {
        try ParleyConfiguration(reader: ConfigReader(provider: EnvironmentVariablesProvider(environmentVariables: environment)))
    }

    @Test func defaultsAreThoseOfTheContract() throws {
        let configuration = try configuration([:])
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 8080)
        #expect(configuration.databaseURL == "postgres://parley@127.0.0.1:5432/parley")
        #expect(configuration.redisURL == "redis://127.0.0.1:6379/0")
        #expect(configuration.redisPrefix == "parley:")
        #expect(configuration.jwtSecret == nil)
        #expect(configuration.tokenLifetime == .seconds(604_800))
        #expect(configuration.adminToken == nil)
        #expect(configuration.bcryptCost == 10)
        #expect(configuration.heartbeat == .seconds(3))
        #expect(configuration.presenceTTL == .seconds(10))
        #expect(configuration.logLevel == .info)
        #expect(!configuration.nodeID.isEmpty)
        #expect(configuration.corsOrigins == nil)
    }

    @Test func readsEveryVariable() throws {
        let configuration = try configuration([
            "PARLEY_HOST": "0.0.0.0", "PARLEY_PORT": "9000", "PARLEY_NODE_ID": "n1",
            "PARLEY_DATABASE_URL": "postgres://u@db:5433/x", "PARLEY_REDIS_URL": "redis://r:6380/2",
            "PARLEY_REDIS_PREFIX": "p:", "PARLEY_JWT_SECRET": String(repeating: "s", count: 32), "PARLEY_TOKEN_TTL": "3600",
            "PARLEY_ADMIN_TOKEN": "adm", "PARLEY_BCRYPT_COST": "12", "PARLEY_HEARTBEAT": "2", "PARLEY_PRESENCE_TTL": "7",
            "PARLEY_LOG_LEVEL": "debug", "PARLEY_LOG_FORMAT": "json", "PARLEY_CORS_ORIGINS": "https://a.example, https://b.example",
            "PARLEY_SOCKET_RATE": "0", "PARLEY_REG_RATE": "5", "PARLEY_TRUST_PROXY": "1",
            "PARLEY_ADVERTISE_ADDRESS": "10.0.0.7:8080",
        ])
        #expect(configuration.host == "0.0.0.0")
        #expect(configuration.port == 9000)
        #expect(configuration.nodeID == "n1")
        #expect(configuration.databaseURL == "postgres://u@db:5433/x")
        #expect(configuration.redisURL == "redis://r:6380/2")
        #expect(configuration.redisPrefix == "p:")
        #expect(try configuration.requiredJWTSecret().count == 32)
        #expect(configuration.tokenLifetime == .seconds(3600))
        #expect(configuration.adminToken == "adm")
        #expect(configuration.bcryptCost == 12)
        #expect(configuration.heartbeat == .seconds(2))
        #expect(configuration.presenceTTL == .seconds(7))
        #expect(configuration.logLevel == .debug)
        #expect(configuration.logFormat == .json)
        #expect(configuration.corsOrigins == ["https://a.example", "https://b.example"])
        #expect(configuration.socketRatePerMinute == 0)
        #expect(configuration.registrationRatePerHour == 5)
        #expect(configuration.trustProxy)
        #expect(configuration.advertiseAddress == "10.0.0.7:8080")
    }

    @Test(arguments: [
        ["PARLEY_PORT": "http"], ["PARLEY_PORT": "70000"], ["PARLEY_BCRYPT_COST": "3"], ["PARLEY_LOG_LEVEL": "loud"],
        ["PARLEY_HEARTBEAT": "10", "PARLEY_PRESENCE_TTL": "5"], ["PARLEY_LOG_FORMAT": "xml"],
    ])
    func refusesNonsenseWithTheVariablesName(environment: [String: String]) {
        #expect(throws: ConfigurationError.self) { try configuration(environment) }
    }

    @Test func serveNeedsALongEnoughSecret() throws {
        let short = try configuration(["PARLEY_JWT_SECRET": "short"])
        let error = try #require(throws: ConfigurationError.self) { try short.requiredJWTSecret() }
        #expect(error.description.contains("PARLEY_JWT_SECRET"))
        #expect(error.description.contains("32"))
    }
}

@Suite("AddressRateLimiter")
struct AddressRateLimiterTests {
    @Test func countsPerAddressAndWindow() {
        var windows = AddressRateLimiter.Windows(limit: 2, window: .seconds(60), capacity: 10)
        let start = ContinuousClock.now
        let answers = [
            windows.allow("a", now: start), windows.allow("a", now: start), windows.allow("a", now: start + .seconds(59)),
            windows.allow("b", now: start + .seconds(59)), windows.allow("a", now: start + .seconds(60)),
        ]
        #expect(answers == [true, true, false, true, true])
    }

    @Test func staysBoundedUnderManyAddresses() {
        var windows = AddressRateLimiter.Windows(limit: 1, window: .seconds(60), capacity: 3)
        let start = ContinuousClock.now
        let filled = ["a", "b", "c"].map { windows.allow($0, now: start) }
        #expect(filled == [true, true, true])
        // Full of live windows: new addresses pass without being remembered.
        let unremembered = [windows.allow("d", now: start), windows.allow("d", now: start)]
        #expect(unremembered == [true, true])
        #expect(windows.counts.count == 3)
        // Once the windows expire, room is made again.
        let afterExpiry = windows.allow("e", now: start + .seconds(61))
        #expect(afterExpiry)
        #expect(windows.counts.count == 1)
    }

    @Test func zeroTurnsItOff() {
        let limiter = AddressRateLimiter(limit: 0, per: .seconds(60))
        for _ in 0..<100 { #expect(limiter.allow("a")) }
    }
}
