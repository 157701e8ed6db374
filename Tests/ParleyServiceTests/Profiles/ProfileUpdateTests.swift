import Foundation
import HTTPTypes
import Testing
@testable import ParleyService

@Suite("POST /user/update (docs/api.md §3)")
struct ProfileUpdateTests {
    @Test func changesWhatIsSentAndKeepsTheRest() async throws {
        try await withParley { client in
            let me = try await client.signUp()
            let first = try await client.post("/user/update", ["nickname": "小明", "sex": "男", "sign": "你好", "area": "上海"], token: me.token)
            #expect(first.status == .ok)
            #expect(first.data.keys == profileKeys)
            #expect(first.data["nickname"].string == "小明")
            #expect(first.data["sex"].string == "男")
            let second = try await client.post("/user/update", ["area": "", "sex": "保密"], token: me.token)
            #expect(second.data["nickname"].string == "小明")
            #expect(second.data["sign"].string == "你好")
            #expect(second.data["area"].string == "")
            #expect(second.data["sex"].string == "保密")
        }
    }

    @Test(arguments: [
        (["sex": "other"] as [String: any Sendable], "性别 的值 `other` 必须在 [`男`、`女`、`保密`] 中"),
        (["nickname": String(repeating: "名", count: 21)], "昵称 的长度 必须 在 0 和 20 之间"),
        (["sign": String(repeating: "s", count: 101)], "个性签名 的长度 必须 在 0 和 100 之间"),
        (["area": String(repeating: "a", count: 51)], "地区 的长度 必须 在 0 和 50 之间"),
        (["nickname": 12], "昵称 的值 `12` 的类型不是 `string`"),
        (["avatar": "https://evil.example/x.png"], "头像 的值 `https://evil.example/x.png` 不是上传的图片"),
        (["avatar": "http://h/media/" + String(repeating: "0", count: 64)], "头像 的值 `http://h/media/\(String(repeating: "0", count: 64))` 不是上传的图片"),
    ])
    func refusesInvalidFieldsWith422(fields: [String: any Sendable], text: String) async throws {
        try await expectValidationFailure("/user/update", fields: fields, text: text)
    }

    @Test func takesTheURLOfAnUploadedImageOnly() async throws {
        try await withParley { client in
            let me = try await client.signUp()
            let image = try await withTestDatabase { try await $0.insertMedia(kind: "image") }
            let audio = try await withTestDatabase { try await $0.insertMedia(kind: "audio") }
            let url = "http://127.0.0.1:8080/media/\(image)"
            let answer = try await client.post("/user/update", ["avatar": url], token: me.token)
            #expect(answer.status == .ok)
            #expect(answer.data["avatar"].string == url)
            let notAnImage = try await client.post("/user/update", ["avatar": "/media/\(audio)"], token: me.token)
            #expect(notAnImage.code == "validation_failed")
            #expect(try await client.post("/user/update", ["avatar": ""], token: me.token).data["avatar"].string == "")
        }
    }

    @Test func friendsSeeTheChangeAtOnce() async throws {
        try await withParley { client in
            let me = try await client.signUp()
            let friend = try await client.signUp()
            try await client.befriend(me, friend)
            _ = try await client.post("/user/update", ["nickname": "Zed"], token: me.token)
            let list = try await client.get("/friend/list", token: friend.token)
            #expect(list.data["rows"]["newList"][0]["title"].string == "Z")
            #expect(list.data["rows"]["newList"][0]["list"][0]["name"].string == "Zed")
            let read = try await client.get("/friend/read/\(me.id)", token: friend.token)
            #expect(read.data["nickname"].string == "Zed")
        }
    }
}

extension Database {
    /// A media row without bytes, for routes that only look a file up; its hash.
    func insertMedia(kind: String) async throws -> String {
        let hash = (0..<4).map { _ in UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased() }.joined().prefix(64)
        let isImage = kind == "image"
        _ = try await query(
            """
            INSERT INTO media (hash, kind, content_type, size, width, height, blob_id, chunk_size)
            VALUES (\(String(hash)), \(kind), \(kind + "/x"), 1, \(isImage ? Int32(1) : nil), \(isImage ? Int32(1) : nil),
                gen_random_uuid(), 262144)
            """
        ).all()
        return String(hash)
    }
}
