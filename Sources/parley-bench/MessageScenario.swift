import ArgumentParser
import Foundation

/// Cross-node chat: the sender's `POST /chat/send` on node A, the recipient's socket on node B.
/// First `count` messages one at a time (latency from the HTTP answer to the frame), then `count`
/// more with `concurrency` requests in flight (messages per second until the last frame arrives).
struct MessageScenario: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "message",
        abstract: "Cross-node chat delivery: latency p50/p99 and messages per second.")

    @Option(name: .customLong("node"), help: "Node base URL; give exactly two (A: the sender's HTTP, B: the recipient's socket).")
    var nodes: [String]
    @Option(help: "Messages in each phase.") var count = 1000
    @Option(help: "Requests in flight in the throughput phase.") var concurrency = 16
    @OptionGroup var common: CommonOptions

    func run() async throws {
        guard nodes.count == 2 else { throw ValidationError("give --node twice: A and B") }
        let a = try Endpoint(nodes[0]), b = try Endpoint(nodes[1])
        let accounts = try await Accounts.prepare(on: a, prefix: common.accountPrefix("ms"), count: 2)
        let (sender, recipient) = (accounts[0], accounts[1])
        try await makeFriends(sender, recipient, on: a)

        let socket = try await WebSocketClient.connect(to: b, path: "/ws?token=\(recipient.token)")
        defer { socket.close() }
        let nodeB = try await nodeID(b)
        let present = try await HTTPConnection.with(b) { admin in
            try await waitUntilPresent(admin, token: common.adminToken, userID: recipient.id, node: nodeB)
        }
        guard present else { throw BenchError("the recipient's socket never became live on \(b)") }
        // Take what waits (the friendship greeting) so the phases see only their own messages.
        let waiting = try await HTTPConnection.with(b) { http in
            (try await http.request(.POST, "/chat/getmessage", token: recipient.token).data as? Int) ?? 0
        }
        for _ in 0..<waiting { _ = await socket.inbox!.next(timeout: .seconds(5)) }

        log("message: \(count) messages one by one, then \(count) with \(concurrency) in flight, A=\(a) B=\(b)")
        let body: [String: Any] = ["to_id": recipient.id, "chat_type": "user", "type": "text", "data": "bench"]
        var latency = Samples()
        var failures = 0
        try await HTTPConnection.with(a) { http in
            for _ in 0..<count {
                let answer = try await http.request(.POST, "/chat/send", json: body, token: sender.token)
                let answered = nowNanos()
                guard answer.status == 200, let frame = await socket.inbox!.next(timeout: .seconds(5)) else {
                    failures += 1
                    continue
                }
                latency.add(nanos: Int64(frame.at) - Int64(answered))
            }
        }

        let start = nowNanos()
        // Each worker keeps one connection, as a client app does.
        let perWorker = (count + concurrency - 1) / concurrency
        let sentFailures = try await withThrowingTaskGroup(of: Int.self) { group in
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
        var received = 0
        var last = start
        while received < count - sentFailures, let frame = await socket.inbox!.next(timeout: .seconds(10)) {
            received += 1
            last = frame.at
        }
        let perSecond = Double(received) / (Double(last - start) / 1e9)
        report(
            [
                "scenario": "message", "count": count, "concurrency": concurrency, "latency_failures": failures,
                "latency": latency.summary, "throughput_sent_failures": sentFailures, "throughput_received": received,
                "messages_per_second": round3(perSecond),
            ],
            summary: String(
                format: "message: frame after the HTTP answer p50 %.3f ms, p99 %.3f ms (%d failed); %.0f messages/s with %d in flight (%d of %d received)",
                latency.percentile(50), latency.percentile(99), failures, perSecond, concurrency, received, count)
        )
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
