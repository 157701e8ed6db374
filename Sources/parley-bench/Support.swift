import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Latency samples in nanoseconds → milliseconds summary.
struct Samples {
    var values: [Double] = []  // milliseconds

    mutating func add(nanos: Int64) { values.append(Double(nanos) / 1_000_000) }

    func percentile(_ p: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }

    var summary: [String: Any] {
        [
            "count": values.count, "p50_ms": round3(percentile(50)), "p99_ms": round3(percentile(99)),
            "p999_ms": round3(percentile(99.9)), "max_ms": round3(values.max() ?? .nan),
            "mean_ms": round3(values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count)),
        ]
    }
}

func round3(_ value: Double) -> Any { value.isFinite ? (value * 1000).rounded() / 1000 : NSNull() }

/// Prints the result as one JSON line, then a one-line human summary.
func report(_ result: [String: Any], summary: String) {
    var result = result
    result["cores"] = ProcessInfo.processInfo.activeProcessorCount
    result["at"] = ISO8601DateFormatter().string(from: Date())
    let data = try! JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
    print(summary)
    fflush(stdout)
}

func log(_ message: String) {
    FileHandle.standardError.write(Data("parley-bench: \(message)\n".utf8))
}

enum Proc {
    /// VmRSS of a process, in bytes.
    static func rss(_ pid: Int32) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count >= 2, let kb = Int(fields[1]) { return kb * 1024 }
        }
        throw BenchError("no VmRSS for pid \(pid)")
    }

    /// utime + stime of a process, in clock ticks.
    static func cpuTicks(_ pid: Int32) throws -> Int {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        guard let close = stat.lastIndex(of: ")") else { throw BenchError("bad /proc/\(pid)/stat") }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command: state is field 3, utime 14, stime 15 (1-based in proc(5)).
        guard fields.count > 12, let utime = Int(fields[11]), let stime = Int(fields[12]) else { throw BenchError("bad /proc/\(pid)/stat") }
        return utime + stime
    }

    /// The process's CPU use over `seconds`, in percent of one core.
    static func cpuPercent(_ pid: Int32, over seconds: Double) async throws -> Double {
        let cpu = try CPUMeter(pid)
        let start = nowNanos()
        try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
        let elapsed = Double(nowNanos() - start) / 1e9
        return try cpu.seconds() / elapsed * 100
    }
}

/// A process's CPU time from this meter's start on, shared out over the work done in it.
struct CPUMeter {
    let pid: Int32
    private let startTicks: Int

    init(_ pid: Int32) throws {
        self.pid = pid
        startTicks = try Proc.cpuTicks(pid)
    }

    /// CPU seconds since the start, in clock ticks of 10 ms.
    func seconds() throws -> Double {
        Double(try Proc.cpuTicks(pid) - startTicks) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// CPU microseconds per unit of `count` since the start: at 10,000 units one 10 ms tick is one
    /// microsecond per unit, the resolution.
    func microseconds(per count: Int) throws -> Double {
        guard count > 0 else { return 0 }
        return (try seconds() * 1e6 / Double(count)).rounded()
    }
}

/// Loopback source addresses 127.0.0.2 … to spread many client sockets over ephemeral port ranges.
struct SourceAddresses {
    let count: Int
    func address(_ index: Int) -> String? {
        count <= 0 ? nil : "127.0.0.\(2 + index % count)"
    }
}

/// A child process this tool started (echo server, Node `ws` server), stopped on request.
final class ChildServer {
    let pid: Int32
    let name: String

    init(name: String, executable: String, arguments: [String], environment: [String: String] = [:]) throws {
        self.name = name
        pid = try spawn(executable, arguments, outputPath: "/dev/null", environment: environment)
    }

    var isRunning: Bool { waitpid(pid, nil, WNOHANG) == 0 }

    /// Waits until a TCP connect to the port succeeds (bounded).
    func waitListening(_ endpoint: Endpoint, timeout: Double = 15) async throws {
        let deadline = nowNanos() + UInt64(timeout * 1e9)
        while nowNanos() < deadline {
            guard isRunning else { throw BenchError("\(name) exited") }
            if let channel = try? await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: endpoint.host, port: endpoint.port).get() {
                try? await channel.close()
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw BenchError("\(name) did not listen on \(endpoint)")
    }

    /// SIGTERM, then SIGKILL after 5 s.
    func stop() {
        kill(pid, SIGTERM)
        for _ in 0..<100 {
            if waitpid(pid, nil, WNOHANG) != 0 { return }
            usleep(50_000)
        }
        kill(pid, SIGKILL)
        waitpid(pid, nil, 0)
    }
}

/// Path of this executable (to start `parley-bench echo-server` as a child).
func selfExecutable() -> String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
}

/// Runs `count` jobs with at most `concurrency` in flight; returns the errors' count and the first error.
func runConcurrently(count: Int, concurrency: Int, _ job: @escaping @Sendable (Int) async throws -> Void) async -> (failures: Int, firstError: String?) {
    let next = NIOLockedValueBox(0)
    let failures = NIOLockedValueBox((0, String?.none))
    await withTaskGroup(of: Void.self) { group in
        for _ in 0..<max(1, min(concurrency, count)) {
            group.addTask {
                while true {
                    let index = next.withLockedValue { value -> Int in defer { value += 1 }; return value }
                    guard index < count else { return }
                    do { try await job(index) } catch {
                        failures.withLockedValue { state in
                            state.0 += 1
                            if state.1 == nil { state.1 = "\(error)" }
                        }
                    }
                }
            }
        }
    }
    return failures.withLockedValue { ($0.0, $0.1) }
}

/// Fetches the node's id (`GET /` → data.node).
func nodeID(_ endpoint: Endpoint) async throws -> String {
    try await HTTPConnection.with(endpoint) { http in
        let answer = try await http.request(.GET, "/")
        guard let data = answer.data as? [String: Any], let node = data["node"] as? String else { throw BenchError("GET / on \(endpoint): \(answer.text)") }
        return node
    }
}

/// The node's accepted (authenticated and claimed) socket connects so far, from /metrics.
func acceptedConnects(_ http: HTTPConnection) async throws -> Double {
    let metrics = try await http.request(.GET, "/metrics")
    return metricValue(metrics.text, "parley_socket_connects_total{outcome=\"accepted\"") ?? 0
}

/// Runs a program to completion with its output in `outputPath`, with an empty signal mask and
/// default signal handlers (Foundation's `Process` passes on the mask of the spawning thread, and
/// pgbench's `-T` relies on SIGALRM). Returns the exit status.
func spawnAndWait(_ executable: String, _ arguments: [String], outputPath: String) throws -> Int32 {
    let pid = try spawn(executable, arguments, outputPath: outputPath)
    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    return (status >> 8) & 0xff
}

/// Starts a program with an empty signal mask and default handlers, its output in `outputPath`.
func spawn(_ executable: String, _ arguments: [String], outputPath: String, environment: [String: String] = [:]) throws -> pid_t {
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var empty = sigset_t(), all = sigset_t()
    sigemptyset(&empty)
    sigfillset(&all)
    posix_spawnattr_setsigmask(&attributes, &empty)
    posix_spawnattr_setsigdefault(&attributes, &all)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    let variables = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
    let envp: [UnsafeMutablePointer<CChar>?] = variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { for pointer in envp { free(pointer) } }
    var pid = pid_t()
    let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
    guard spawned == 0 else { throw BenchError("cannot start \(executable): \(String(cString: strerror(spawned)))") }
    return pid
}

/// pgbench on the nodes' database: the limit for a route that is one or two statements, in the
/// protocol mode the node uses for them — `extended` for a query (PostgresNIO's unnamed
/// Parse/Bind/Execute), `prepared` for a prepared statement.
struct Pgbench {
    let binary: String
    let databaseURL: String
    let clients: Int
    let threads: Int
    var mode = "extended"

    /// Transactions per second of `script` over `seconds`.
    func tps(script: String, seconds: Int) throws -> Double {
        let outputPath = script + ".out"
        let status = try spawnAndWait(
            binary, ["-n", "-M", mode, "-c", "\(clients)", "-j", "\(threads)", "-T", "\(seconds)", "-f", script, databaseURL],
            outputPath: outputPath)
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        guard status == 0 else { throw BenchError("pgbench failed (\(status)): \(text)") }
        for line in text.split(separator: "\n") where line.hasPrefix("tps = ") {
            if let value = line.split(separator: " ").dropFirst(2).first, let tps = Double(value) { return tps }
        }
        throw BenchError("no tps in pgbench output: \(text)")
    }
}
