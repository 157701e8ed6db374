import ArgumentParser
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Many client sockets opened with bounded concurrency, from rotating loopback source addresses.
struct SocketBatch {
    var sockets: [ClientSocket]
    var failures: Int
    var firstError: String?
    var seconds: Double

    static func open(to endpoint: Endpoint, count: Int, concurrency: Int, sources: SourceAddresses, path: @escaping @Sendable (Int) -> String) async -> SocketBatch {
        let opened = NIOLockedValueBox([ClientSocket]())
        opened.withLockedValue { $0.reserveCapacity(count) }
        let start = nowNanos()
        let (failures, firstError) = await runConcurrently(count: count, concurrency: concurrency) { index in
            let socket = try await WebSocketClient.connect(to: endpoint, path: path(index), from: sources.address(index), keepFrames: false)
            opened.withLockedValue { $0.append(socket) }
        }
        let seconds = Double(nowNanos() - start) / 1e9
        return SocketBatch(sockets: opened.withLockedValue { $0 }, failures: failures, firstError: firstError, seconds: seconds)
    }

    /// Closes every socket and waits (bounded) for them to be closed.
    func close() async {
        for socket in sockets { socket.close() }
        let deadline = nowNanos() + 30_000_000_000
        for socket in sockets {
            guard nowNanos() < deadline else { break }
            try? await socket.channel.closeFuture.get()
        }
    }
}

func freePort() async throws -> Int {
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
    let port = channel.localAddress?.port ?? 0
    try await channel.close()
    return port
}

/// Waits (bounded) until the node counted `target` accepted connects; returns when it did, or nil.
func waitForAccepted(_ http: HTTPConnection, target: Double, timeout: Double) async throws -> UInt64? {
    let deadline = nowNanos() + UInt64(timeout * 1e9)
    while nowNanos() < deadline {
        if try await acceptedConnects(http) >= target { return nowNanos() }
        try await Task.sleep(for: .milliseconds(20))
    }
    return nil
}

// MARK: idle

struct Idle: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "N authenticated idle sockets on one node: its RSS per socket and idle CPU, next to a bare NIO echo server and Node's ws.")

    @Option(help: "Node base URL.") var node: String
    @Option(help: "The node's process id (for /proc).") var pid: Int32
    @Option(help: "Sockets (one account each).") var sockets = 1000
    @Option(help: "Sockets being opened at a time.") var concurrency = 64
    @Option(help: "Seconds over which idle CPU is measured.") var cpuWindow = 10.0
    @Option(help: "Seconds to wait after the last socket is live before reading RSS.") var settle = 2.0
    @Option(help: "Seconds to keep Parley's sockets open after measuring (e.g. to check the cluster).") var hold = 0.0
    @Option(help: "Limits to measure in the same run: comma-separated of echo, ws; empty for none.") var baselines = "echo,ws"
    @Option(help: "Node's ws server script.") var wsScript = "scripts/bench/ws-server.js"
    @Option(help: "Node.js binary.") var nodejs = "/usr/bin/node"
    @OptionGroup var common: CommonOptions

    func run() async throws {
        let endpoint = try Endpoint(node)
        let sources = SourceAddresses(count: common.sources)
        let pool = try await Accounts.prepare(on: endpoint, prefix: common.accountPrefix("id"), count: sockets, concurrency: 32)
        var results: [String: Any] = ["scenario": "idle", "sockets": sockets]

        // Parley: authenticated sockets; live once the node counted them as accepted.
        let tokens = pool.map(\.token)
        let parley = try await HTTPConnection.with(endpoint) { http -> [String: Any] in
            let acceptedBefore = try await acceptedConnects(http)
            let rssBefore = try Proc.rss(pid)
            log("idle: opening \(sockets) sockets on \(endpoint)")
            let batch = await SocketBatch.open(to: endpoint, count: sockets, concurrency: concurrency, sources: sources) { "/ws?token=\(tokens[$0])" }
            let live = try await waitForAccepted(http, target: acceptedBefore + Double(sockets - batch.failures), timeout: 120)
            let accepted = try await acceptedConnects(http) - acceptedBefore
            var result = try await Self.measure(pid: pid, rssBefore: rssBefore, batch: batch, settle: settle, cpuWindow: cpuWindow)
            result["accepted"] = Int(accepted)
            result["all_live"] = live != nil
            if hold > 0 {
                log("idle: holding \(batch.sockets.count) sockets for \(hold) s")
                try await Task.sleep(for: .milliseconds(Int(hold * 1000)))
            }
            await batch.close()
            return result
        }
        results["parley"] = parley
        var summary = "idle: Parley \(Self.perSocket(parley)) per socket at \(sockets) sockets, CPU \(parley["cpu_percent"]!)%"

        for baseline in baselines.split(separator: ",").map({ String($0).trimmingCharacters(in: .whitespaces) }) where !baseline.isEmpty {
            let port = try await freePort()
            let server: ChildServer
            switch baseline {
            case "echo":
                server = try ChildServer(name: "echo-server", executable: selfExecutable(), arguments: ["echo-server", "--port", "\(port)"])
            case "ws":
                server = try ChildServer(name: "node ws", executable: nodejs, arguments: [wsScript, "\(port)"], environment: ["NODE_PATH": "/usr/share/nodejs"])
            default:
                throw ValidationError("unknown baseline \(baseline)")
            }
            defer { server.stop() }
            let serverEndpoint = try Endpoint("http://127.0.0.1:\(port)")
            try await server.waitListening(serverEndpoint)
            try await Task.sleep(for: .milliseconds(500))
            let rssBefore = try Proc.rss(server.pid)
            log("idle: opening \(sockets) sockets on \(baseline)")
            let batch = await SocketBatch.open(to: serverEndpoint, count: sockets, concurrency: concurrency, sources: sources) { _ in "/ws" }
            let result = try await Self.measure(pid: server.pid, rssBefore: rssBefore, batch: batch, settle: settle, cpuWindow: cpuWindow)
            await batch.close()
            results[baseline] = result
            summary += ", \(baseline) \(Self.perSocket(result))"
        }
        if let parleyBytes = parley["bytes_per_socket"] as? Double {
            for baseline in ["echo", "ws"] {
                if let other = (results[baseline] as? [String: Any])?["bytes_per_socket"] as? Double, other > 0 {
                    results["ratio_to_\(baseline)"] = round3(parleyBytes / other)
                }
            }
        }
        report(results, summary: summary)
    }

    static func perSocket(_ result: [String: Any]) -> String {
        guard let bytes = result["bytes_per_socket"] as? Double else { return "?" }
        return String(format: "%.2f KB", bytes / 1000)
    }

    static func measure(pid: Int32, rssBefore: Int, batch: SocketBatch, settle: Double, cpuWindow: Double) async throws -> [String: Any] {
        try await Task.sleep(for: .milliseconds(Int(settle * 1000)))
        let rssAfter = try Proc.rss(pid)
        let cpu = try await Proc.cpuPercent(pid, over: cpuWindow)
        let open = batch.sockets.count
        var result: [String: Any] = [
            "opened": open, "failures": batch.failures, "open_seconds": round3(batch.seconds),
            "rss_before": rssBefore, "rss_after": rssAfter,
            "bytes_per_socket": open > 0 ? (Double(rssAfter - rssBefore) / Double(open)).rounded() : 0,
            "cpu_percent": round3(cpu), "cpu_window_s": cpuWindow,
        ]
        if let error = batch.firstError { result["first_error"] = error }
        return result
    }
}

// MARK: storm

struct Storm: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Authenticated connects per second on one node (the reconnect storm), next to a bare NIO echo server's accept rate.")

    @Option(help: "Node base URL.") var node: String
    @Option(help: "Connects (one account each; the sockets stay open until the end).") var connects = 1000
    @Option(help: "Handshakes in flight at a time.") var concurrency = 64
    @Option(help: "Also measure the bare echo server (child process).") var echo = true
    @Option(help: "The node's process id, to report its CPU per connect (/proc).") var pid: Int32?
    @OptionGroup var common: CommonOptions

    func run() async throws {
        let endpoint = try Endpoint(node)
        let sources = SourceAddresses(count: common.sources)
        let pool = try await Accounts.prepare(on: endpoint, prefix: common.accountPrefix("st"), count: connects, concurrency: 32)
        let tokens = pool.map(\.token)
        var results: [String: Any] = ["scenario": "storm", "connects": connects, "concurrency": concurrency]

        let parley = try await HTTPConnection.with(endpoint) { http -> [String: Any] in
            let before = try await acceptedConnects(http)
            log("storm: \(connects) authenticated connects on \(endpoint), \(concurrency) at a time")
            let start = nowNanos()
            let cpu = try pid.map(CPUMeter.init)
            let batch = await SocketBatch.open(to: endpoint, count: connects, concurrency: concurrency, sources: sources) { "/ws?token=\(tokens[$0])" }
            let done = try await waitForAccepted(http, target: before + Double(connects - batch.failures), timeout: 120) ?? nowNanos()
            let accepted = try await acceptedConnects(http) - before
            let seconds = Double(done - start) / 1e9
            var result: [String: Any] = [
                "accepted": Int(accepted), "failures": batch.failures, "handshake_seconds": round3(batch.seconds),
                "seconds": round3(seconds), "connects_per_s": (accepted / seconds).rounded(),
            ]
            if let cpu { result["cpu_us_per_connect"] = try cpu.microseconds(per: Int(accepted)) }
            await batch.close()
            if let error = batch.firstError { result["first_error"] = error }
            return result
        }
        results["parley"] = parley
        var summary = "storm: Parley \(parley["connects_per_s"]!) authenticated connects/s"

        if echo {
            // NIO's typed upgrader is the storm's limit; the lean one shows what an upgrade costs at the
            // least, and behind Hummingbird's server what serving the port through it adds.
            let nio = try await Self.measureEcho(upgrader: .nio, connects: connects, concurrency: concurrency, sources: sources)
            let lean = try await Self.measureEcho(upgrader: .lean, connects: connects, concurrency: concurrency, sources: sources)
            let hummingbird = try await Self.measureEcho(upgrader: .hummingbird, connects: connects, concurrency: concurrency, sources: sources)
            results["echo"] = nio
            results["echo_lean"] = lean
            results["echo_hummingbird"] = hummingbird
            if let parleyRate = parley["connects_per_s"] as? Double, let rate = nio["connects_per_s"] as? Double, rate > 0 {
                results["ratio_to_echo"] = round3(parleyRate / rate)
            }
            summary += ", bare NIO echo server \(nio["connects_per_s"]!) upgrades/s (lean upgrade \(lean["connects_per_s"]!), "
                + "behind Hummingbird's server \(hummingbird["connects_per_s"]!))"
        }
        report(results, summary: summary)
    }

    /// Opens `connects` sockets on a fresh echo server (child process): its rate and CPU per upgrade.
    static func measureEcho(upgrader: EchoServer.Upgrader, connects: Int, concurrency: Int, sources: SourceAddresses) async throws -> [String: Any] {
        let port = try await freePort()
        let server = try ChildServer(
            name: "echo-server", executable: selfExecutable(), arguments: ["echo-server", "--port", "\(port)", "--upgrader", upgrader.rawValue])
        defer { server.stop() }
        let endpoint = try Endpoint("http://127.0.0.1:\(port)")
        try await server.waitListening(endpoint)
        let cpu = try CPUMeter(server.pid)
        let batch = await SocketBatch.open(to: endpoint, count: connects, concurrency: concurrency, sources: sources) { _ in "/ws" }
        let cpuPerUpgrade = try cpu.microseconds(per: batch.sockets.count)
        await batch.close()
        var result: [String: Any] = [
            "opened": batch.sockets.count, "failures": batch.failures, "seconds": round3(batch.seconds),
            "connects_per_s": (Double(batch.sockets.count) / batch.seconds).rounded(), "cpu_us_per_connect": cpuPerUpgrade,
        ]
        if let error = batch.firstError { result["first_error"] = error }
        return result
    }
}
