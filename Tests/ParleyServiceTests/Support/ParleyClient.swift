import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import ParleyService

/// An answer as the client sees it: the status and the parsed JSON body.
struct Answer: Sendable {
    let status: HTTPResponse.Status
    let body: JSONValue
    var headers: HTTPFields = [:]

    var msg: String? { body["msg"].string }
    var data: JSONValue { body["data"] }
    var code: String? { body["code"].string }
}

/// Speaks to a node the way the mobile client does: JSON bodies, the token header, the envelope.
struct ParleyClient: Sendable {
    let client: any TestClientProtocol

    func request(
        _ method: HTTPRequest.Method,
        _ path: String,
        json: String? = nil,
        token: String? = nil,
        headers extra: HTTPFields = [:]
    ) async throws -> Answer {
        var headers = extra
        if json != nil, headers[.contentType] == nil { headers[.contentType] = "application/json" }
        if let token { headers[HTTPField.Name("token")!] = token }
        return try await client.execute(
            uri: path,
            method: method,
            headers: headers,
            body: json.map { ByteBuffer(string: $0) }
        ) { response in
            let body = (try? JSONDecoder().decode(JSONValue.self, from: Data(buffer: response.body))) ?? .null
            return Answer(status: response.status, body: body, headers: response.headers)
        }
    }

    func post(_ path: String, _ fields: [String: Any] = [:], token: String? = nil) async throws -> Answer {
        try await request(.post, path, json: jsonText(fields), token: token)
    }

    func get(_ path: String, token: String? = nil) async throws -> Answer {
        try await request(.get, path, token: token)
    }

    /// A new account, signed in.
    func signUp(_ username: String = TestEnvironment.uniqueUsername(), password: String = "secret123") async throws -> Account {
        let registered = try await post("/reg", ["username": username, "password": password, "repassword": password])
        guard registered.status == .ok, let id = registered.data["id"].int else {
            throw TestFailure("registration of \(username) failed: \(registered)")
        }
        let token = try await login(username, password: password)
        return Account(id: id, username: username, password: password, token: token)
    }

    func login(_ username: String, password: String) async throws -> String {
        let answer = try await post("/login", ["username": username, "password": password])
        guard answer.status == .ok, let token = answer.data["token"].string else {
            throw TestFailure("login of \(username) failed: \(answer)")
        }
        return token
    }
}

struct Account: Sendable {
    let id: Int
    let username: String
    let password: String
    let token: String
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func jsonText(_ object: [String: Any]) -> String {
    String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
}

extension JSONValue {
    subscript(key: String) -> JSONValue {
        guard case .object(let members) = self else { return .null }
        return members[key] ?? .null
    }

    subscript(index: Int) -> JSONValue {
        guard case .array(let values) = self, values.indices.contains(index) else { return .null }
        return values[index]
    }

    var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    var int: Int? {
        if case .integer(let value) = self { return Int(value) }
        return nil
    }

    var bool: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    var array: [JSONValue]? {
        if case .array(let values) = self { return values }
        return nil
    }

    var keys: Set<String> {
        if case .object(let members) = self { return Set(members.keys) }
        return []
    }
}
