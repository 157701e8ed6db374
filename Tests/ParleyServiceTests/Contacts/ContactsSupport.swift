import Foundation
import HTTPTypes
import PostgresNIO
import Testing
@testable import ParleyService

/// The keys of an Apply (API.md §3).
let applyKeys: Set<String> = ["id", "user_id", "friend_id", "nickname", "lookme", "lookhim", "status", "created_at", "updated_at"]
/// The keys of a Profile (API.md §3).
let profileKeys: Set<String> = ["id", "username", "nickname", "avatar", "sex", "sign", "area", "created_at", "updated_at"]

extension ParleyClient {
    /// A friend request from `applicant` to `target`, which must succeed; its id.
    func apply(
        from applicant: Account,
        to target: Account,
        nickname: String = "",
        lookme: Int = 1,
        lookhim: Int = 1
    ) async throws -> Int {
        let answer = try await post(
            "/apply/addfriend",
            ["friend_id": target.id, "nickname": nickname, "lookme": lookme, "lookhim": lookhim],
            token: applicant.token
        )
        guard answer.status == .ok, let id = answer.data["id"].int else {
            throw TestFailure("apply from \(applicant.id) to \(target.id) failed: \(answer)")
        }
        return id
    }

    /// Answers `applyID` as `addressee`.
    func handle(
        _ applyID: Int,
        as addressee: Account,
        status: String = "agree",
        nickname: String? = nil,
        lookme: Int = 1,
        lookhim: Int = 1
    ) async throws -> Answer {
        var fields: [String: Any] = ["status": status, "lookme": lookme, "lookhim": lookhim]
        fields["nickname"] = nickname
        return try await post("/apply/handle/\(applyID)", fields, token: addressee.token)
    }

    /// Makes `first` and `second` friends: `first` asks, `second` agrees.
    func befriend(_ first: Account, _ second: Account) async throws {
        let answer = try await handle(apply(from: first, to: second), as: second)
        guard answer.status == .ok else { throw TestFailure("agree failed: \(answer)") }
    }

    /// A form-encoded POST.
    func postForm(_ path: String, _ body: String, token: String) async throws -> Answer {
        try await request(.post, path, json: body, token: token, headers: [.contentType: "application/x-www-form-urlencoded"])
    }
}

/// A friend row as stored: the owner's view of the friend.
struct FriendRow: Equatable {
    let owner: Int
    let friend: Int
    let nickname: String
    let lookme: Int
    let lookhim: Int
}

extension Database {
    func setNickname(userID: Int, _ nickname: String) async throws {
        _ = try await query("UPDATE users SET nickname = \(nickname) WHERE id = \(userID)").all()
    }

    /// The friend rows between two people, in either direction, the lower owner first.
    func friendRows(between first: Int, and second: Int) async throws -> [FriendRow] {
        try await query(
            """
            SELECT user_id, friend_id, nickname, lookme, lookhim FROM friends
            WHERE (user_id = \(first) AND friend_id = \(second)) OR (user_id = \(second) AND friend_id = \(first))
            ORDER BY user_id
            """
        ).decode((Int, Int, String, Int16, Int16).self).all().map {
            FriendRow(owner: $0.0, friend: $0.1, nickname: $0.2, lookme: Int($0.3), lookhim: Int($0.4))
        }
    }

    func applyStatus(_ applyID: Int) async throws -> String? {
        try await query("SELECT status FROM applies WHERE id = \(applyID)").decode(String.self).all().first
    }
}

/// Expects a failure envelope with exactly this status, text and code.
func expectFailure(
    _ answer: Answer,
    _ status: HTTPResponse.Status,
    _ text: String,
    code: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(answer.status == status, sourceLocation: sourceLocation)
    #expect(answer.msg == "fail", sourceLocation: sourceLocation)
    #expect(answer.data.string == text, sourceLocation: sourceLocation)
    #expect(answer.code == code, sourceLocation: sourceLocation)
}

/// Sends `fields` (no body when empty) to `path` as a new account and expects the 422 `text`.
func expectValidationFailure(
    _ path: String,
    fields: [String: any Sendable] = [:],
    method: HTTPRequest.Method = .post,
    text: String,
    sourceLocation: SourceLocation = #_sourceLocation
) async throws {
    try await withParley { client in
        let me = try await client.signUp()
        let answer = try await client.request(method, path, json: fields.isEmpty ? nil : jsonText(fields), token: me.token)
        expectFailure(answer, .unprocessableContent, text, code: "validation_failed", sourceLocation: sourceLocation)
    }
}
