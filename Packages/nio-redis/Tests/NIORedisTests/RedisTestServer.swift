import Foundation
import XCTest
import Logging
import NIOCore
import NIOPosix
@testable import NIORedis

/// A private `redis-server` process for tests that restart or kill things.
final class RedisTestServer: @unchecked Sendable {
    let port: Int
    private var process: Process?
    private let extraArguments: [String]

    init(extraArguments: [String] = []) throws {
        self.port = try Self.freePort()
        self.extraArguments = extraArguments
        try start()
    }

    var url: String { "redis://127.0.0.1:\(port)/0" }

    func start() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["redis-server", "--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"] + extraArguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        for _ in 0..<200 where !Self.isListening(port: port) {
            usleep(25_000)
        }
        guard Self.isListening(port: port) else { throw TestServerError.didNotStart }
    }

    func stop() {
        guard let process else { return }
        // SIGKILL: the test process's signal mask (inherited by the child) may block SIGTERM.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    func restart() throws {
        stop()
        try start()
    }

    /// Runs `redis-cli` against this server (for admin commands outside the client under test).
    @discardableResult
    func cli(_ arguments: String...) throws -> String {
        let process = Process()
        let pipe = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["redis-cli", "-p", "\(port)"] + arguments
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: output, as: UTF8.self)
    }

    deinit { stop() }

    enum TestServerError: Error { case didNotStart }

    static func freePort() throws -> Int {
        let channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).wait()
        defer { try? channel.close().wait() }
        return channel.localAddress!.port!
    }

    private static func isListening(port: Int) -> Bool {
        (try? ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port).flatMap { $0.close() }.wait()) != nil
    }
}

/// The shared server for non-destructive tests: `NIOREDIS_TEST_URL`, or a private one.
enum SharedRedis {
    private static let privateServer: RedisTestServer? = {
        guard ProcessInfo.processInfo.environment["NIOREDIS_TEST_URL"] == nil else { return nil }
        let server = try! RedisTestServer()
        atexit { SharedRedis.privateServer?.stop() }  // statics are never deinitialised
        return server
    }()

    static var url: String {
        ProcessInfo.processInfo.environment["NIOREDIS_TEST_URL"] ?? privateServer!.url
    }
}

var testLogger: Logger {
    var logger = Logger(label: "nio-redis-tests")
    logger.logLevel = ProcessInfo.processInfo.environment["NIOREDIS_TEST_LOG"].flatMap { Logger.Level(rawValue: $0) } ?? .critical
    return logger
}

/// Runs `body` with a running client, then shuts the client down.
@discardableResult
func withClient<T: Sendable>(
    url: String = SharedRedis.url,
    eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
    configure: (inout RedisConfiguration) -> Void = { _ in },
    _ body: @Sendable (RedisClient) async throws -> T
) async throws -> T {
    var configuration = try RedisConfiguration(url: url)
    configure(&configuration)
    let client = RedisClient(configuration: configuration, eventLoopGroup: eventLoopGroup, logger: testLogger)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await client.run() }
        defer { group.cancelAll() }
        return try await body(client)
    }
}

/// Runs `body` with a running subscriber (and its publisher client).
func withSubscriber<T: Sendable>(
    url: String = SharedRedis.url,
    subscriberURL: String? = nil,
    options: RedisSubscriber.Options = .init(),
    _ body: @Sendable (RedisSubscriber, RedisClient) async throws -> T
) async throws -> T {
    try await withClient(url: url) { client in
        let subscriber = RedisSubscriber(
            configuration: try RedisConfiguration(url: subscriberURL ?? url),
            options: options,
            publisher: client,
            logger: testLogger
        )
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await subscriber.run() }
            defer { group.cancelAll() }
            return try await body(subscriber, client)
        }
    }
}

/// Retries `body` until it succeeds or `timeout` passes (only to prevent hangs).
@discardableResult
func eventually<T>(timeout: Duration = .seconds(20), _ body: () async throws -> T) async throws -> T {
    let deadline = ContinuousClock.now + timeout
    while true {
        do {
            return try await body()
        } catch {
            if ContinuousClock.now >= deadline { throw error }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}

func uniqueKey(_ name: String = #function) -> String {
    "nio-redis-test:\(name):\(UInt64.random(in: 0...UInt64.max))"
}

/// Drains an AsyncStream in the background so tests can wait for what arrived.
/// (Cancelling an AsyncStream iterator would finish the stream, so tests never do that.)
actor Collector<Element: Sendable> {
    private(set) var items: [Element] = []
    private var task: Task<Void, Never>?

    init(_ stream: AsyncStream<Element>) {
        let (task) = Task { [weak self] in
            for await item in stream { await self?.append(item) }
        }
        Task { await self.setTask(task) }
    }

    private func setTask(_ task: Task<Void, Never>) { self.task = task }
    private func append(_ item: Element) { items.append(item) }

    /// Waits until `condition` holds for the collected items (polling; `timeout` only prevents hangs).
    func wait(timeout: Duration = .seconds(30), until condition: ([Element]) -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while !condition(items) {
            if ContinuousClock.now >= deadline { throw TimedOut() }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    func removeAll() { items.removeAll() }
}

struct TimedOut: Error {}

/// `XCTAssertEqual` for an async expression.
func assertEqual<T: Equatable>(
    _ expression: @autoclosure () async throws -> T,
    _ expected: T,
    file: StaticString = #filePath,
    line: UInt = #line
) async throws {
    let value = try await expression()
    XCTAssertEqual(value, expected, file: file, line: line)
}
