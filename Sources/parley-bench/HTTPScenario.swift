import ArgumentParser
import Foundation
import NIOConcurrencyHelpers

/// The SQL of `FriendStore.list` (Sources/ParleyService/Contacts/FriendStore.swift), for pgbench.
let friendListSQL = """
    SELECT u.id, f.nickname, u.nickname, u.username, u.avatar, f.star, f.isblack
    FROM friends f JOIN users u ON u.id = f.friend_id
    WHERE f.user_id = %d;
    """

struct HTTPScenario: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http",
        abstract: "Authenticated GET /friend/list (N friends) requests/s, next to pgbench running the same SQL on the same database.")

    @Option(help: "Node base URL.") var node: String
    @Option(help: "Friends of the user whose list is read.") var friends = 50
    @Option(help: "Duration of each side, e.g. 10s.") var duration = "10s"
    @Option(help: "Keep-alive connections (and pgbench clients).") var concurrency = 16
    @Option(help: "The node's database (for pgbench).") var databaseURL = "postgres://parley@127.0.0.1:55432/parley_bench"
    @Option(help: "pgbench binary.") var pgbench = "/usr/bin/pgbench"
    @Option(help: "pgbench threads.") var pgbenchThreads = 2
    @Option(help: "Where to write the pgbench script.") var scriptDir = NSTemporaryDirectory()
    @OptionGroup var common: CommonOptions

    func run() async throws {
        let endpoint = try Endpoint(node)
        let seconds = Double(duration.replacingOccurrences(of: "s", with: "")) ?? 10
        let accounts = try await Accounts.prepare(on: endpoint, prefix: common.accountPrefix("fl"), count: friends + 1)
        let owner = accounts[0]
        try await befriend(owner: owner, friends: Array(accounts.dropFirst()), on: endpoint)

        // HTTP: `concurrency` keep-alive connections, each asking again as soon as it was answered.
        log("http: GET /friend/list (\(friends) friends) for \(seconds) s, \(concurrency) connections")
        let counts = NIOLockedValueBox((ok: 0, failed: 0))
        let start = nowNanos()
        let deadline = start + UInt64(seconds * 1e9)
        await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    try await HTTPConnection.with(endpoint) { http in
                        var ok = 0, failed = 0
                        while nowNanos() < deadline {
                            let answer = try await http.request(.GET, "/friend/list", token: owner.token)
                            if answer.status == 200 { ok += 1 } else { failed += 1 }
                        }
                        counts.withLockedValue { $0.ok += ok; $0.failed += failed }
                    }
                }
            }
            while let _ = try? await group.next() {}
        }
        let elapsed = Double(nowNanos() - start) / 1e9
        let (ok, failed) = counts.withLockedValue { ($0.ok, $0.failed) }
        let httpRate = Double(ok) / elapsed

        // pgbench: the same statement, extended protocol (PostgresNIO also sends Parse/Bind/Execute).
        let scriptPath = (scriptDir as NSString).appendingPathComponent("parley-friend-list-\(owner.id).sql")
        try String(format: friendListSQL, owner.id).write(toFile: scriptPath, atomically: true, encoding: .utf8)
        log("http: pgbench -M extended -c \(concurrency) -j \(pgbenchThreads) -T \(Int(seconds.rounded(.up))) -f \(scriptPath)")
        let pg = try runPgbench(script: scriptPath, seconds: Int(seconds.rounded(.up)))
        let ratio = pg > 0 ? httpRate / pg : .nan
        report(
            [
                "scenario": "http", "friends": friends, "concurrency": concurrency, "duration_s": round3(elapsed),
                "http": ["ok": ok, "failed": failed, "requests_per_s": httpRate.rounded()],
                "pgbench": ["tps": pg.rounded(), "script": scriptPath, "mode": "extended"],
                "ratio_to_pgbench": round3(ratio),
            ],
            summary: String(format: "http: GET /friend/list %.0f req/s (%d failed), pgbench same SQL %.0f tps, ratio %.2f", httpRate, failed, pg, ratio)
        )
    }

    /// Every friend applies to the owner, who agrees.
    func befriend(owner: Account, friends: [Account], on endpoint: Endpoint) async throws {
        try await HTTPConnection.with(endpoint) { http in
            for friend in friends {
                let apply = try await http.request(
                    .POST, "/apply/addfriend", json: ["friend_id": owner.id, "nickname": "", "lookme": 1, "lookhim": 1], token: friend.token)
                if apply.status == 409 { continue }  // already friends or pending (a reused prefix)
                guard apply.status == 200, let data = apply.data as? [String: Any], let id = data["id"] as? Int else {
                    throw BenchError("/apply/addfriend: \(apply.status) \(apply.text)")
                }
                let handled = try await http.request(
                    .POST, "/apply/handle/\(id)", json: ["status": "agree", "nickname": "", "lookme": 1, "lookhim": 1], token: owner.token)
                guard handled.status == 200 else { throw BenchError("/apply/handle/\(id): \(handled.status) \(handled.text)") }
            }
            let list = try await http.request(.GET, "/friend/list", token: owner.token)
            guard let data = list.data as? [String: Any], let count = data["count"] as? Int, count == friends.count else {
                throw BenchError("/friend/list does not hold \(friends.count) friends: \(list.text.prefix(200))")
            }
        }
    }

    func runPgbench(script: String, seconds: Int) throws -> Double {
        try Pgbench(binary: pgbench, databaseURL: databaseURL, clients: concurrency, threads: pgbenchThreads)
            .tps(script: script, seconds: seconds)
    }
}
