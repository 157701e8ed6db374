import Foundation
import HTTPTypes
import Hummingbird
import Testing
@testable import ParleyService

/// The OpenAPI document (`Sources/ParleyService/APIDocument/openapi.json`, served at
/// `GET /openapi.json`) against the router, and the AsyncAPI document's close codes against the gateway's.
@Suite("API documents")
struct APIDocumentTests {
    static let openAPIFile = "Sources/ParleyService/APIDocument/openapi.json"

    /// Every route the router serves, with the admin routes (`PARLEY_ADMIN_TOKEN` set), as
    /// `GET /apply/{page}`: Hummingbird writes parameters as OpenAPI does.
    static func servedRoutes() async throws -> Set<String> {
        var configuration = TestEnvironment.configuration()
        configuration.adminToken = "api-document-tests"
        return Set(try await RegisteredRoute.all(configuration: configuration).map { "\($0.method) \(normalized($0.path))" })
    }

    /// Every operation of the document, as `GET /apply/{page}`.
    static func documentedRoutes() throws -> Set<String> {
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: APIDocumentController.resource("openapi"))) as? [String: Any]
        let paths = try #require(document?["paths"] as? [String: [String: Any]])
        let methods: Set<String> = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]
        return Set(paths.flatMap { path, operations in
            operations.keys.filter(methods.contains).map { "\($0.uppercased()) \(normalized(path))" }
        })
    }

    /// `/admin/` and `/admin` are one route to the router.
    static func normalized(_ path: String) -> String {
        path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
    }

    @Test func everyServedRouteIsDocumentedAndEveryDocumentedRouteServed() async throws {
        let served = try await Self.servedRoutes()
        let documented = try Self.documentedRoutes()
        let undocumented = served.subtracting(documented).sorted()
        let unserved = documented.subtracting(served).sorted()
        #expect(
            undocumented.isEmpty,
            "served but missing from \(Self.openAPIFile):\n\(undocumented.map { "  \($0)" }.joined(separator: "\n"))"
        )
        #expect(
            unserved.isEmpty,
            "in \(Self.openAPIFile) but not served:\n\(unserved.map { "  \($0)" }.joined(separator: "\n"))"
        )
        #expect(served.count > 30)
    }

    @Test func theDocumentIsServedWithoutAToken() async throws {
        try await withParley { client in
            let answer = try await client.client.execute(uri: "/openapi.json", method: .get)
            #expect(answer.status == .ok)
            #expect(answer.headers[.contentType]?.hasPrefix("application/json") == true)
            let file = try String(contentsOf: APIDocumentController.resource("openapi"), encoding: .utf8)
            #expect(String(buffer: answer.body) == file)
        }
    }

    /// API.md §5's `fail` frames, as the gateway sends them, are the AsyncAPI document's.
    @Test func theAsyncAPICloseCodesAreTheGatewaysOwn() throws {
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: APIDocumentController.resource("asyncapi"))) as? [String: Any]
        let rows = try #require(document?["x-close-codes"] as? [[String: Any]])
        let documented = Set(rows.compactMap { row -> String? in
            guard let code = row["fail_code"] as? String else { return nil }
            return "\(code) \(row["close_code"] ?? "") \(row["data"] ?? "")"
        })
        let sent = Set(SocketCloseReason.allCases.map { "\($0.code) \($0.closeCode) \($0.text)" })
        #expect(documented == sent)
    }
}
