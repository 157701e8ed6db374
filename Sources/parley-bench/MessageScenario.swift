import ArgumentParser
import Foundation

/// The prepared statements of `MessageStore.send` (Sources/ParleyService/Chat/ChatStatements.swift),
/// for pgbench: the names and friendship read, then the message, its inbox entry and the conversation
/// pair in one statement. Sender and recipient ids are filled in.
let sendSQL = """
    SELECT r.status,
        COALESCE(NULLIF(rf.nickname, ''), NULLIF(s.nickname, ''), s.username), s.avatar,
        COALESCE(NULLIF(sf.nickname, ''), NULLIF(r.nickname, ''), r.username), r.avatar
    FROM users r
    JOIN friends rf ON rf.user_id = r.id AND rf.friend_id = %1$d AND rf.isblack = 0
    JOIN users s ON s.id = %1$d
    LEFT JOIN friends sf ON sf.user_id = s.id AND sf.friend_id = r.id
    WHERE r.id = %2$d;
    WITH message AS (
        INSERT INTO messages (from_id, to_id, chat_type, type, data, options, from_name, from_avatar, to_name, to_avatar)
        VALUES (%1$d, %2$d, 'user', 'text', 'bench', '{}'::jsonb, 'sender', '', 'recipient', '')
        RETURNING id, created_at
    ), entry AS (
        INSERT INTO inbox (user_id, seq, kind, peer_id, message_id)
        SELECT %2$d, next_inbox_seq(%2$d), 'message', %1$d, id FROM message
    ), pair AS (
        INSERT INTO conversations (user_id, peer_id)
        SELECT u, p FROM (VALUES (%1$d::bigint, %2$d::bigint), (%2$d, %1$d)) v (u, p)
        ORDER BY u
        ON CONFLICT DO NOTHING
    )
    SELECT id, created_at FROM message;
    """

/// Cross-node chat: the sender's `POST /chat/send` on node A, the recipient's socket on node B, once
/// with the old client's socket and once with an acknowledging one (docs/api.md §7). For each: first
/// `count` messages one at a time (latency from the HTTP answer to the frame), then `count` more with
/// `concurrency` requests in flight (messages per second until the last frame arrives). Next to it,
/// the limits measured in the same run: Redis PUBLISH → receive, and pgbench running the send's
/// statements with as many clients.
struct MessageScenario: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "message",
        abstract: "Cross-node chat delivery, acks off and on: latency p50/p99 and messages per second, next to Redis and pgbench.")

    @Option(name: .customLong("node"), help: "Node base URL; give exactly two (A: the sender's HTTP, B: the recipient's socket).")
    var nodes: [String]
    @Option(help: "Messages in each phase.") var count = 1000
    @Option(help: "Requests in flight in the throughput phase (and pgbench clients).") var concurrency = 16
    @Option(help: "Redis the nodes share (for the bare PUBLISH → receive round trip).") var redis = "redis://127.0.0.1:56379/2"
    @Option(help: "The nodes' database (for pgbench).") var databaseURL = "postgres://parley@127.0.0.1:55432/parley_bench"
    @Option(help: "pgbench binary.") var pgbench = "/usr/bin/pgbench"
    @Option(help: "Seconds of pgbench.") var pgbenchSeconds = 10
    @Option(help: "Where to write the pgbench script.") var scriptDir = NSTemporaryDirectory()
    @OptionGroup var common: CommonOptions

    /// What one kind of socket achieved.
    struct Outcome {
        var latency = Samples()
        var latencyFailures = 0
        var sentFailures = 0
        var received = 0
        var perSecond = 0.0

        var json: [String: Any] {
            [
                "latency": latency.summary, "latency_failures": latencyFailures, "throughput_sent_failures": sentFailures,
                "throughput_received": received, "messages_per_second": round3(perSecond),
            ]
        }
    }

    func run() async throws {
        guard nodes.count == 2 else { throw ValidationError("give --node twice: A and B") }
        let a = try Endpoint(nodes[0]), b = try Endpoint(nodes[1])
        log("message: \(count) messages one by one, then \(count) with \(concurrency) in flight, acks off then on, A=\(a) B=\(b)")
        let legacy = try await measure(acknowledging: false, a: a, b: b)
        let acknowledged = try await measure(acknowledging: true, a: a, b: b)
        let redisSamples = try await RedisRoundTrip.measure(try Endpoint(redis), rounds: count)

        let pair = try await Accounts.prepare(on: a, prefix: common.accountPrefix("m") + "p", count: 2)
        try await makeFriends(pair[0], pair[1], on: a)
        let scriptPath = (scriptDir as NSString).appendingPathComponent("parley-send-\(pair[0].id).sql")
        try String(format: sendSQL, pair[0].id, pair[1].id).write(toFile: scriptPath, atomically: true, encoding: .utf8)
        log("message: pgbench -M prepared -c \(concurrency) -T \(pgbenchSeconds) -f \(scriptPath)")
        let tps = try Pgbench(binary: pgbench, databaseURL: databaseURL, clients: concurrency, threads: 2, mode: "prepared")
            .tps(script: scriptPath, seconds: pgbenchSeconds)
        report(
            [
                "scenario": "message", "count": count, "concurrency": concurrency,
                "legacy": legacy.json, "acknowledged": acknowledged.json, "redis_roundtrip": redisSamples.summary,
                "pgbench": ["tps": tps.rounded(), "script": scriptPath, "mode": "prepared"],
                "ratio_to_pgbench": round3(legacy.perSecond / tps), "acknowledged_ratio_to_pgbench": round3(acknowledged.perSecond / tps),
            ],
            summary: String(
                format: "message: frame after the HTTP answer p50 %.3f / %.3f ms, p99 %.3f / %.3f ms (acks off / on); "
                    + "%.0f / %.0f messages/s with %d in flight; Redis publish→receive p99 %.3f ms; pgbench send %.0f tps",
                legacy.latency.percentile(50), acknowledged.latency.percentile(50), legacy.latency.percentile(99),
                acknowledged.latency.percentile(99), legacy.perSecond, acknowledged.perSecond, concurrency,
                redisSamples.percentile(99), tps)
        )
    }

    /// Both phases with a recipient socket of one kind.
    private func measure(acknowledging: Bool, a: Endpoint, b: Endpoint) async throws -> Outcome {
        // Three pairs per run, apart also under one --prefix.
        let accounts = try await Accounts.prepare(on: a, prefix: common.accountPrefix("m") + (acknowledging ? "a" : "l"), count: 2)
        let (sender, recipient) = (accounts[0], accounts[1])
        try await makeFriends(sender, recipient, on: a)

        let socket = try await WebSocketClient.connect(to: b, path: "/ws?token=\(recipient.token)" + (acknowledging ? "&ack=1" : ""))
        defer { socket.close() }
        let nodeB = try await nodeID(b)
        let present = try await HTTPConnection.with(b) { admin in
            try await waitUntilPresent(admin, token: common.adminToken, userID: recipient.id, node: nodeB)
        }
        guard present else { throw BenchError("the recipient's socket never became live on \(b)") }
        // Take what waits (the friendship greeting) so the phases see only their own messages: an
        // acknowledging socket is sent it at once, the old client's after it asks.
        var waiting = 1
        if !acknowledging {
            waiting = try await HTTPConnection.with(b) { http in
                (try await http.request(.POST, "/chat/getmessage", token: recipient.token).data as? Int) ?? 0
            }
        }
        var reader = FrameReader(socket: socket, acknowledging: acknowledging)
        for _ in 0..<waiting { _ = await reader.next(acknowledgeEvery: 1) }

        let body: [String: Any] = ["to_id": recipient.id, "chat_type": "user", "type": "text", "data": "bench"]
        var outcome = Outcome()
        try await HTTPConnection.with(a) { http in
            for _ in 0..<count {
                let answer = try await http.request(.POST, "/chat/send", json: body, token: sender.token)
                let answered = nowNanos()
                guard answer.status == 200, let at = await reader.next(acknowledgeEvery: 1) else {
                    outcome.latencyFailures += 1
                    continue
                }
                outcome.latency.add(nanos: Int64(at) - Int64(answered))
            }
        }

        let start = nowNanos()
        // Each worker keeps one connection, as a client app does.
        let perWorker = (count + concurrency - 1) / concurrency
        outcome.sentFailures = try await withThrowingTaskGroup(of: Int.self) { group in
            for worker in 0..<concurrency {
                let share = max(0, min(perWorker, count - worker * perWorker))
                group.addTask {
                    try await HTTPConnection.with(a) { http in
                        var failed = 0
                        for _ in 0..<share {
                            let answer = try await http.request(.POST, "/chat/send", json: body, token: sender.token)
                            if answer.status != 200 { failed += 1 }
                        }
                        return failed
                    }
                }
            }
            return try await group.reduce(0, +)
        }
        var last = start
        while outcome.received < count - outcome.sentFailures, let at = await reader.next(acknowledgeEvery: 32) {
            outcome.received += 1
            last = at
        }
        outcome.perSecond = Double(outcome.received) / (Double(last - start) / 1e9)
        return outcome
    }
}

/// Reads a recipient's frames; on an acknowledging socket, acknowledges them as a client app would.
struct FrameReader {
    let socket: ClientSocket
    let acknowledging: Bool
    private var unacknowledged = 0

    init(socket: ClientSocket, acknowledging: Bool) {
        self.socket = socket
        self.acknowledging = acknowledging
    }

    /// The next frame's arrival time; acknowledges every `acknowledgeEvery` frames (cumulatively).
    mutating func next(acknowledgeEvery: Int) async -> UInt64? {
        guard let frame = await socket.inbox!.next(timeout: .seconds(10)) else { return nil }
        if acknowledging {
            unacknowledged += 1
            if unacknowledged >= acknowledgeEvery, let seq = Self.seq(of: frame.text) {
                socket.send(#"{"type":"ack","seq":\#(seq)}"#)
                unacknowledged = 0
            }
        }
        return frame.at
    }

    static func seq(of text: String) -> Int? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return nil }
        return object["seq"] as? Int
    }
}

/// `first` asks, `second` agrees: they can chat.
func makeFriends(_ first: Account, _ second: Account, on endpoint: Endpoint) async throws {
    try await HTTPConnection.with(endpoint) { http in
        let apply = try await http.request(
            .POST, "/apply/addfriend", json: ["friend_id": second.id, "lookme": 1, "lookhim": 1], token: first.token)
        guard apply.status == 200, let data = apply.data as? [String: Any], let id = data["id"] as? Int else {
            throw BenchError("/apply/addfriend: \(apply.status) \(apply.text)")
        }
        let agree = try await http.request(
            .POST, "/apply/handle/\(id)", json: ["status": "agree", "lookme": 1, "lookhim": 1], token: second.token)
        guard agree.status == 200 else { throw BenchError("/apply/handle/\(id): \(agree.status) \(agree.text)") }
    }
}
