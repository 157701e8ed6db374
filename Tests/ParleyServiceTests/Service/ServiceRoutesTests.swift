import Foundation
import HTTPTypes
import Testing
@testable import ParleyService

@Suite("Service routes and the envelope")
struct ServiceRoutesTests {
    @Test func rootNamesTheServiceAndNode() async throws {
        try await withParley { client in
            let answer = try await client.get("/")
            #expect(answer.status == .ok)
            #expect(answer.data["name"].string == "parley")
            #expect(answer.data["node"].string == "test-node")
            #expect(answer.data["version"].string == ParleyConfiguration.version)
        }
    }

    @Test func healthAndReadiness() async throws {
        try await withParley { client in
            let health = try await client.get("/health")
            let ready = try await client.get("/ready")
            #expect(health.status == .ok)
            #expect(ready.status == .ok)
        }
    }

    @Test func readinessFailsWhenPostgreSQLDoesNotAnswer() async throws {
        var configuration = TestEnvironment.configuration()
        configuration.databaseURL = "postgres://parley@127.0.0.1:1/parley"
        try await withParley(configuration) { client in
            let answer = try await client.get("/ready")
            #expect(answer.status == .serviceUnavailable)
            #expect(answer.code == "unavailable")
        }
    }

    @Test func unknownRoutesAnswer404WithTheEnvelope() async throws {
        try await withParley { client in
            let answer = try await client.get("/no/such/route")
            #expect(answer.status == .notFound)
            #expect(answer.msg == "fail")
            #expect(answer.code == "not_found")
            #expect(answer.data.string?.isEmpty == false)
        }
    }

    @Test func bodiesOver64KiBAnswer413() async throws {
        try await withParley { client in
            let big = jsonText(["username": String(repeating: "a", count: 70_000)])
            let answer = try await client.request(.post, "/reg", json: big)
            #expect(answer.status == .contentTooLarge)
            #expect(answer.code == "payload_too_large")
            let justUnder = jsonText(["username": String(repeating: "a", count: 60_000)])
            let accepted = try await client.request(.post, "/reg", json: justUnder)
            #expect(accepted.status == .unprocessableContent)
            #expect(accepted.data.string == "用户名 的长度 必须 在 5 和 20 之间")
        }
    }

    @Test func malformedJSONAndWrongContentTypesAnswer400() async throws {
        try await withParley { client in
            let malformed = try await client.request(.post, "/reg", json: "{\"username\":")
            #expect(malformed.status == .badRequest)
            #expect(malformed.code == "bad_request")
            let array = try await client.request(.post, "/reg", json: "[1,2]")
            #expect(array.status == .badRequest)
            let xml = try await client.request(.post, "/reg", json: "<a/>", headers: [.contentType: "text/xml"])
            #expect(xml.status == .badRequest)
            #expect(xml.code == "bad_request")
        }
    }

    @Test func theAdminTreeIsAbsentWithoutAnAdminToken() async throws {
        try await withParley { client in
            for path in ["/admin/", "/admin/cluster", "/admin/presence/1"] {
                let answer = try await client.get(path)
                #expect(answer.status == .notFound)
                #expect(answer.code == "not_found")
            }
        }
    }

    @Test func corsAllowsAnyOriginByDefaultAndAListWhenConfigured() async throws {
        try await withParley { client in
            let preflight = try await client.client.execute(
                uri: "/login", method: .options,
                headers: [.origin: "https://app.example", .accessControlRequestMethod: "POST", .accessControlRequestHeaders: "token"]
            ) { $0 }
            #expect(preflight.status == .noContent)
            #expect(preflight.headers[.accessControlAllowOrigin] == "*")
            #expect(preflight.headers[.accessControlAllowHeaders]?.contains("token") == true)
            #expect(preflight.headers[.accessControlAllowHeaders]?.contains("X-Parley-Language") == true)
            let get = try await client.client.execute(uri: "/", method: .get, headers: [.origin: "https://app.example"]) { $0 }
            #expect(get.headers[.accessControlAllowOrigin] == "*")
            // A browser client may read a renewed token (docs/api.md §2).
            #expect(get.headers[.accessControlExposeHeaders] == "X-Parley-Token")
        }
        var configuration = TestEnvironment.configuration()
        configuration.corsOrigins = ["https://app.example"]
        try await withParley(configuration) { client in
            let allowed = try await client.client.execute(uri: "/", method: .get, headers: [.origin: "https://app.example"]) { $0 }
            #expect(allowed.headers[.accessControlAllowOrigin] == "https://app.example")
            let other = try await client.client.execute(uri: "/", method: .get, headers: [.origin: "https://evil.example"]) { $0 }
            #expect(other.headers[.accessControlAllowOrigin] == nil)
        }
    }
}
