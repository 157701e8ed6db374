import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// One keep-alive HTTP/1.1 connection (plain NIO), used by one task at a time.
final class HTTPConnection {
    struct Response {
        let status: Int
        let body: ByteBuffer

        /// The envelope's `data`, parsed.
        var data: Any? {
            guard let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] else { return nil }
            return object["data"]
        }

        var text: String { String(buffer: body) }
    }

    private let endpoint: Endpoint
    private var inbound: NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>
    private let hostHeader: String

    private init(endpoint: Endpoint, inbound: NIOAsyncChannelInboundStream<HTTPClientResponsePart>, outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>) {
        self.endpoint = endpoint
        self.inbound = inbound.makeAsyncIterator()
        self.outbound = outbound
        self.hostHeader = "\(endpoint.host):\(endpoint.port)"
    }

    /// Runs `body` with a connection to `endpoint`, closed afterwards.
    static func with<T>(_ endpoint: Endpoint, _ body: (HTTPConnection) async throws -> T) async throws -> T {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .channelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .connect(host: endpoint.host, port: endpoint.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await body(HTTPConnection(endpoint: endpoint, inbound: inbound, outbound: outbound))
        }
    }

    func request(_ method: HTTPMethod, _ path: String, json: [String: Any]? = nil, token: String? = nil, bearer: String? = nil) async throws -> Response {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: hostHeader)
        if let token { headers.add(name: "token", value: token) }
        if let bearer { headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        var body: ByteBuffer?
        if let json {
            let data = try JSONSerialization.data(withJSONObject: json)
            body = ByteBuffer(bytes: data)
            headers.add(name: "Content-Type", value: "application/json")
        }
        headers.add(name: "Content-Length", value: "\(body?.readableBytes ?? 0)")
        try await outbound.write(.head(HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: headers)))
        if let body { try await outbound.write(.body(.byteBuffer(body))) }
        try await outbound.write(.end(nil))
        var status = 0
        var collected = ByteBuffer()
        while let part = try await inbound.next() {
            switch part {
            case .head(let head): status = Int(head.status.code)
            case .body(var chunk): collected.writeBuffer(&chunk)
            case .end: return Response(status: status, body: collected)
            }
        }
        throw BenchError("\(endpoint): connection closed during \(method) \(path)")
    }
}

/// Signed-in benchmark accounts.
struct Account: Sendable {
    let id: Int
    let username: String
    let token: String
}

enum Accounts {
    static let password = "bench-secret-1"

    /// Registers (or reuses, when the name is taken) and signs in `count` accounts named
    /// `prefix` + index, with `concurrency` connections.
    static func prepare(on endpoint: Endpoint, prefix: String, count: Int, first: Int = 0, concurrency: Int = 16) async throws -> [Account] {
        var accounts = [Account?](repeating: nil, count: count)
        try await withThrowingTaskGroup(of: [(Int, Account)].self) { group in
            let workers = max(1, min(concurrency, count))
            for worker in 0..<workers {
                group.addTask {
                    try await HTTPConnection.with(endpoint) { http in
                        var done: [(Int, Account)] = []
                        var index = worker
                        while index < count {
                            let username = "\(prefix)\(first + index)"
                            done.append((index, try await signIn(http, username: username)))
                            index += workers
                        }
                        return done
                    }
                }
            }
            for try await batch in group { for (index, account) in batch { accounts[index] = account } }
        }
        return accounts.map { $0! }
    }

    static func signIn(_ http: HTTPConnection, username: String) async throws -> Account {
        // A 503 (PostgreSQL briefly away, e.g. another suite's outage test) is retried for up to a minute.
        for attempt in 1...60 {
            do {
                return try await signInOnce(http, username: username)
            } catch let error as Unavailable where attempt < 60 {
                _ = error
                try await Task.sleep(for: .seconds(1))
            }
        }
        throw BenchError("unreachable")
    }

    struct Unavailable: Error {}

    static func signInOnce(_ http: HTTPConnection, username: String) async throws -> Account {
        let credentials = ["username": username, "password": password]
        let registered = try await http.request(.POST, "/reg", json: credentials.merging(["repassword": password]) { a, _ in a })
        if registered.status == 503 { throw Unavailable() }
        guard registered.status == 200 || registered.status == 409 else {
            throw BenchError("/reg \(username): \(registered.status) \(registered.text)")
        }
        let login = try await http.request(.POST, "/login", json: credentials)
        if login.status == 503 { throw Unavailable() }
        guard login.status == 200, let me = login.data as? [String: Any], let id = me["id"] as? Int, let token = me["token"] as? String else {
            throw BenchError("/login \(username): \(login.status) \(login.text)")
        }
        return Account(id: id, username: username, token: token)
    }

    /// A short random tag so that repeated runs use fresh accounts.
    static func randomTag() -> String {
        String((0..<5).map { _ in "abcdefghijkmnpqrstuvwxyz23456789".randomElement()! })
    }
}

/// Prometheus text → the value of the first sample whose line starts with `prefix`.
func metricValue(_ text: String, _ prefix: String) -> Double? {
    for line in text.split(separator: "\n") where line.hasPrefix(prefix) {
        if let value = line.split(separator: " ").last, let number = Double(value) { return number }
    }
    return nil
}
