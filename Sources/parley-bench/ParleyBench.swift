import ArgumentParser
import Foundation
import NIOCore
import NIOPosix

/// Load generator for Parley nodes (issue 7). Every scenario prints one JSON line of results and a
/// one-line summary on stdout; progress goes to stderr.
@main
struct ParleyBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parley-bench",
        abstract: "Drives running Parley nodes over real sockets and measures them against their limits.",
        subcommands: [Kick.self, Idle.self, Storm.self, HTTPScenario.self, Push.self, MessageScenario.self, EchoServerCommand.self]
    )
}

struct EchoServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo-server", abstract: "A bare NIO WebSocket echo server (the limit for Parley's sockets).")

    @Option(help: "Listen address.") var host = "127.0.0.1"
    @Option(help: "Listen port.") var port: Int
    @Option(help: "How sockets are upgraded: nio (NIO's typed upgrader), lean (one handler, as a Parley node's), or hummingbird (lean, behind Hummingbird's server, as a node's port).")
    var upgrader = EchoServer.Upgrader.nio

    func run() async throws {
        try await EchoServer.run(host: host, port: port, upgrader: upgrader)
    }
}

/// Options every scenario that signs accounts in shares.
struct CommonOptions: ParsableArguments {
    @Option(help: "Admin token of the nodes (presence checks); default $PARLEY_ADMIN_TOKEN.")
    var adminToken: String? = ProcessInfo.processInfo.environment["PARLEY_ADMIN_TOKEN"]

    @Option(help: "Username prefix of the benchmark accounts (reused when they exist); default: random.")
    var prefix: String?

    @Option(help: "Loopback source addresses to spread client sockets over (127.0.0.2 …); 0 = the kernel's choice.")
    var sources = 40

    func accountPrefix(_ scenario: String) -> String { prefix ?? "\(scenario)\(Accounts.randomTag())_" }
}

/// Waits until the account's presence names `node` (admin API), or a fixed pause without an admin token.
func waitUntilPresent(_ admin: HTTPConnection?, token: String?, userID: Int, node: String, timeout: Double = 5) async throws -> Bool {
    guard let admin, let token else {
        try await Task.sleep(for: .milliseconds(200))
        return true
    }
    let deadline = nowNanos() + UInt64(timeout * 1e9)
    while nowNanos() < deadline {
        let answer = try await admin.request(.GET, "/admin/presence/\(userID)", bearer: token)
        if let data = answer.data as? [String: Any], data["node"] as? String == node { return true }
        try await Task.sleep(for: .microseconds(200))
    }
    return false
}

// MARK: kick

struct Kick: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A socket on node A superseded by one of the same account on node B: B's handshake → A's `kicked` frame.")

    @Option(name: .customLong("node"), help: "Node base URL; give exactly two (A, then B).") var nodes: [String]
    @Option(help: "Rounds.") var rounds = 1000
    @Option(help: "Accounts to rotate through.") var accounts = 4
    @Option(help: "Redis the nodes share (for the bare PUBLISH → receive round trip).") var redis = "redis://127.0.0.1:56379/2"
    @OptionGroup var common: CommonOptions

    func run() async throws {
        guard nodes.count == 2 else { throw ValidationError("give --node twice: A and B") }
        let a = try Endpoint(nodes[0]), b = try Endpoint(nodes[1])
        let nodeA = try await nodeID(a)
        let pool = try await Accounts.prepare(on: a, prefix: common.accountPrefix("kk"), count: accounts)
        log("kick: \(rounds) rounds, A=\(a) B=\(b)")
        var samples = Samples()
        var failures = 0
        let started = nowNanos()
        try await HTTPConnection.with(a) { admin in
            for round in 0..<rounds {
                let account = pool[round % pool.count]
                let path = "/ws?token=\(account.token)"
                let first = try await WebSocketClient.connect(to: a, path: path)
                guard try await waitUntilPresent(admin, token: common.adminToken, userID: account.id, node: nodeA) else {
                    failures += 1
                    first.close()
                    continue
                }
                let second = try await WebSocketClient.connect(to: b, path: path)
                var kickedAt: UInt64?
                while let frame = await first.inbox!.next(timeout: .seconds(5)) {
                    if frame.text.contains("\"kicked\"") { kickedAt = frame.at; break }
                }
                if let kickedAt { samples.add(nanos: Int64(kickedAt) - Int64(second.upgradedAt)) } else { failures += 1 }
                first.close()
                second.close()
                try? await first.channel.closeFuture.get()
                try? await second.channel.closeFuture.get()
            }
        }
        let kickSeconds = Double(nowNanos() - started) / 1e9
        let redisSamples = try await RedisRoundTrip.measure(try Endpoint(redis), rounds: rounds)
        let kick = samples.summary, limit = redisSamples.summary
        let ratio = samples.percentile(99) / redisSamples.percentile(99)
        report(
            [
                "scenario": "kick", "rounds": rounds, "failures": failures, "seconds": round3(kickSeconds),
                "kick": kick, "redis_roundtrip": limit, "p99_ratio_to_redis": round3(ratio),
            ],
            summary: String(
                format: "kick: p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms over %d rounds (%d failed); Redis publish→receive p50 %.3f ms, p99 %.3f ms",
                samples.percentile(50), samples.percentile(99), samples.percentile(99.9), samples.values.count, failures,
                redisSamples.percentile(50), redisSamples.percentile(99))
        )
    }
}

// MARK: push

struct Push: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Cross-node updateApplyList: the target's socket on node B, /apply/addfriend on node A from many applicants.")

    @Option(name: .customLong("node"), help: "Node base URL; give exactly two (A: HTTP, B: the target's socket).") var nodes: [String]
    @Option(help: "Friend requests (one applicant each).") var count = 1000
    @OptionGroup var common: CommonOptions

    func run() async throws {
        guard nodes.count == 2 else { throw ValidationError("give --node twice: A and B") }
        let a = try Endpoint(nodes[0]), b = try Endpoint(nodes[1])
        let prefix = common.accountPrefix("pu")
        let target = try await Accounts.prepare(on: b, prefix: prefix + "t", count: 1)[0]
        let applicants = try await Accounts.prepare(on: a, prefix: prefix, count: count)
        let socket = try await WebSocketClient.connect(to: b, path: "/ws?token=\(target.token)")
        defer { socket.close() }
        let nodeB = try await nodeID(b)
        let present = try await HTTPConnection.with(b) { admin in
            try await waitUntilPresent(admin, token: common.adminToken, userID: target.id, node: nodeB)
        }
        guard present else { throw BenchError("the target's socket never became live on \(b)") }
        log("push: \(count) friend requests on \(a) to a socket on \(b)")
        var fromResponse = Samples(), fromRequest = Samples()
        var failures = 0
        try await HTTPConnection.with(a) { http in
            for applicant in applicants {
                let sent = nowNanos()
                let answer = try await http.request(
                    .POST, "/apply/addfriend", json: ["friend_id": target.id, "nickname": "", "lookme": 1, "lookhim": 1],
                    token: applicant.token)
                let answered = nowNanos()
                guard answer.status == 200 else { failures += 1; continue }
                var frameAt: UInt64?
                while let frame = await socket.inbox!.next(timeout: .seconds(5)) {
                    if frame.text.contains("updateApplyList") { frameAt = frame.at; break }
                }
                guard let frameAt else { failures += 1; continue }
                fromResponse.add(nanos: Int64(frameAt) - Int64(answered))
                fromRequest.add(nanos: Int64(frameAt) - Int64(sent))
            }
        }
        report(
            ["scenario": "push", "count": count, "failures": failures, "from_response": fromResponse.summary, "from_request": fromRequest.summary],
            summary: String(
                format: "push: frame after the HTTP response p50 %.3f ms, p99 %.3f ms; after the request was sent p50 %.3f ms, p99 %.3f ms (%d pushes, %d failed)",
                fromResponse.percentile(50), fromResponse.percentile(99), fromRequest.percentile(50), fromRequest.percentile(99),
                fromRequest.values.count, failures)
        )
    }
}
