import ArgumentParser
import Logging
import NIORedis

/// Measures pipelined SET and GET throughput of `RedisClient` against a running Redis.
///
/// `--pipeline N` tasks each send their commands one after another, so at most
/// N commands are in flight on the client's single connection at any time.
@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nio-redis-bench",
        abstract: "Pipelined SET/GET throughput of NIORedis.RedisClient."
    )

    @Option(help: "Redis URL.")
    var url = "redis://127.0.0.1:6379/0"

    @Option(help: "Commands per operation (SET, then GET).")
    var requests = 100_000

    @Option(help: "Commands in flight at once on the connection.")
    var pipeline = 16

    @Option(help: "Value size in bytes (redis-benchmark's default is 3).")
    var valueSize = 3

    func run() async throws {
        var logger = Logger(label: "nio-redis-bench")
        logger.logLevel = .warning
        let client = RedisClient(configuration: try RedisConfiguration(url: url), logger: logger)
        let value = String(repeating: "x", count: valueSize)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.run() }
            try await client.send("PING")
            let set = try await measure(client, ["SET", "nio-redis-bench:key", value])
            let get = try await measure(client, ["GET", "nio-redis-bench:key"])
            print(#"{"client":"NIORedis","requests":\#(requests),"pipeline":\#(pipeline),"value_size":\#(valueSize),"set_ops_per_sec":\#(Int(set)),"get_ops_per_sec":\#(Int(get))}"#)
            print("NIORedis pipeline=\(pipeline) requests=\(requests): SET \(Int(set)) ops/s, GET \(Int(get)) ops/s")
            group.cancelAll()
        }
    }

    /// Returns commands per second.
    private func measure(_ client: RedisClient, _ command: [any RESPArgument]) async throws -> Double {
        let workers = max(1, min(pipeline, requests))
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<workers {
                let count = requests / workers + (worker < requests % workers ? 1 : 0)
                group.addTask {
                    for _ in 0..<count {
                        try await client.send(command)
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return Double(requests) / seconds
    }
}
