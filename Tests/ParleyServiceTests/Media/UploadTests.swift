import Foundation
import HTTPTypes
import NIOCore
import Testing
@testable import ParleyService

/// Serialized: `orphanChunks` counts the chunks of every upload in progress.
@Suite("POST /upload and GET /media/:hash (docs/api.md §5)", .serialized)
struct UploadTests {
    @Test(arguments: [
        (MediaSamples.png(), "image/png"), (MediaSamples.jpeg(), "image/jpeg"), (MediaSamples.gif(), "image/gif"),
        (MediaSamples.webP(), "image/webp"), (MediaSamples.mp3(), "audio/mpeg"), (MediaSamples.mp4(), "video/mp4"),
    ])
    func storesEachKindAndServesItBack(file: [UInt8], contentType: String) async throws {
        try await withParley { client in
            let me = try await client.signUp()
            let answer = try await client.upload(file, as: me)
            #expect(answer.status == .ok)
            let url = try #require(answer.data.string)
            #expect(url.hasSuffix("/media/\(MediaSamples.sha256(file))"))
            let served = try await client.media(url)
            #expect(served.status == .ok)
            #expect(served.bytes == file)
            #expect(served.headers[.contentType] == contentType)
            #expect(served.headers[.eTag] == "\"\(MediaSamples.sha256(file))\"")
            #expect(served.headers[.cacheControl] == "public, max-age=31536000, immutable")
            #expect(served.headers[.contentLength] == String(file.count))
        }
    }

    @Test func storesTheSameBytesOnce() async throws {
        try await withParley { client in
            let (me, other) = (try await client.signUp(), try await client.signUp())
            let file = MediaSamples.mp4(size: 700_000)
            let first = try await client.upload(file, as: me)
            let second = try await client.upload(file, as: other)
            #expect(first.data.string == second.data.string)
            let (rows, chunks) = try await withTestDatabase { try await $0.mediaRows(hash: MediaSamples.sha256(file)) }
            #expect(rows == 1)
            #expect(chunks == 3)  // 700,000 bytes in 256 KiB chunks
        }
    }

    @Test func servesRanges() async throws {
        try await withParley { client in
            let me = try await client.signUp()
            let file = MediaSamples.mp4(size: 600_000)
            let url = try #require(try await client.upload(file, as: me).data.string)
            // Across the first chunk boundary (262,144).
            let middle = try await client.media(url, headers: [.range: "bytes=262000-262299"])
            #expect(middle.status == .partialContent)
            #expect(middle.bytes == Array(file[262_000...262_299]))
            #expect(middle.headers[.contentRange] == "bytes 262000-262299/600000")
            let tail = try await client.media(url, headers: [.range: "bytes=-10"])
            #expect(tail.bytes == Array(file.suffix(10)))
            let open = try await client.media(url, headers: [.range: "bytes=599990-"])
            #expect(open.bytes == Array(file.suffix(10)))
            let past = try await client.media(url, headers: [.range: "bytes=600000-"])
            #expect(past.status == .rangeNotSatisfiable)
            #expect(past.headers[.contentRange] == "bytes */600000")
            let cached = try await client.media(url, headers: [.ifNoneMatch: "\"\(MediaSamples.sha256(file))\""])
            #expect(cached.status == .notModified)
            #expect(cached.bytes.isEmpty)
        }
    }

    @Test func refusesForgedAndUnknownContent() async throws {
        try await withParley { client in
            let me = try await client.signUp()
            let forged = try await client.upload(MediaSamples.mp4(), as: me, contentType: "image/png")
            expectFailure(forged, .unsupportedMediaType, "文件内容与类型不符", code: "media_type_mismatch")
            let script = try await client.upload(Array("#!/bin/sh\nrm -rf /\n".utf8), as: me, contentType: "image/png")
            expectFailure(script, .unsupportedMediaType, "只能上传图片、音频或视频", code: "unsupported_media")
            let huge = try await client.upload(MediaSamples.png(width: 9000, height: 10), as: me, contentType: "image/png")
            expectFailure(huge, .unprocessableContent, "图片尺寸不能超过 8192×8192", code: "image_too_large")
            // Nothing of the refused files stays behind.
            #expect(try await withTestDatabase { try await $0.orphanChunks() } == 0)
        }
    }

    @Test func refusesFilesOverTheirKindsLimit() async throws {
        try await withParley { client in
            let me = try await client.signUp()
            let image = MediaSamples.png() + [UInt8](repeating: 0, count: MediaKind.image.sizeLimit)
            expectFailure(try await client.upload(image, as: me), .contentTooLarge, "图片不能超过 10 MB", code: "file_too_large")
        }
    }

    @Test func refusesRequestsWithoutAFile() async throws {
        try await withParley { client in
            let me = try await client.signUp()
            let json = try await client.post("/upload", ["files": "x"], token: me.token)
            expectFailure(json, .badRequest, "请选择要上传的文件", code: "no_file")
            let otherField = try await client.client.execute(
                uri: "/upload", method: .post,
                headers: [.contentType: MultipartBody.contentType, HTTPField.Name("token")!: me.token],
                body: MultipartBody.body(file: MediaSamples.png(), field: "file")
            ) { $0.status }
            #expect(otherField == .badRequest)
            var cut = MultipartBody.body(file: MediaSamples.png())
            cut.moveWriterIndex(to: cut.writerIndex - 20)
            let truncated = try await client.client.execute(
                uri: "/upload", method: .post,
                headers: [.contentType: MultipartBody.contentType, HTTPField.Name("token")!: me.token], body: cut
            ) { $0.status }
            #expect(truncated == .badRequest)
            #expect(try await client.upload(MediaSamples.png(), as: Account(id: 0, username: "", password: "", token: "x")).code == "token_invalid")
        }
    }

    @Test func answersUnderThePublicURLWhenConfigured() async throws {
        var configuration = TestEnvironment.configuration()
        configuration.publicURL = "https://chat.example.com/"
        try await withParley(configuration) { client in
            let me = try await client.signUp()
            let file = MediaSamples.gif()
            #expect(try await client.upload(file, as: me).data.string == "https://chat.example.com/media/\(MediaSamples.sha256(file))")
            let missing = try await client.media("/media/" + String(repeating: "a", count: 64))
            #expect(missing.status == .notFound)
            #expect(try await client.media("/media/nothex").status == .notFound)
        }
    }

    @Test(arguments: [
        ("bytes=0-9", ByteRange.part(0...9)), ("bytes=5-", .part(5...99)), ("bytes=-5", .part(95...99)),
        ("bytes=90-200", .part(90...99)), ("bytes=100-", .unsatisfiable), ("bytes=-0", .unsatisfiable),
        ("bytes=0-1,5-6", .whole), ("bytes=9-2", .whole), ("items=0-1", .whole), ("bytes=x-", .whole),
    ])
    func readsRangeHeaders(header: String, expected: ByteRange) {
        #expect(ByteRange(header: header, size: 100) == expected)
    }
}

extension Database {
    /// How many `media` rows and chunks the file `hash` has.
    func mediaRows(hash: String) async throws -> (Int, Int) {
        try await query(
            """
            SELECT (SELECT count(*) FROM media WHERE hash = \(hash)),
                (SELECT count(*) FROM media_chunks c JOIN media m ON m.blob_id = c.blob_id WHERE m.hash = \(hash))
            """
        ).decode((Int, Int).self).all().first!
    }

    /// Chunks no media row names: uploads refused or in progress.
    func orphanChunks() async throws -> Int {
        try await query(
            "SELECT count(*) FROM media_chunks c WHERE NOT EXISTS (SELECT 1 FROM media m WHERE m.blob_id = c.blob_id)"
        ).decode(Int.self).all().first!
    }
}
