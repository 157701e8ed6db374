import Crypto
import Foundation
import HTTPTypes
import NIOCore
@testable import ParleyService

/// Small files of every kind Parley takes, made byte by byte: only their headers matter.
enum MediaSamples {
    static func png(width: Int = 2, height: Int = 3) -> [UInt8] {
        [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13] + Array("IHDR".utf8)
            + bigEndian(width, 4) + bigEndian(height, 4) + [8, 6, 0, 0, 0] + filler(64)
    }

    static func jpeg(width: Int = 640, height: Int = 480) -> [UInt8] {
        // SOI, an APP0 segment to walk over, then SOF0 with the dimensions.
        [0xFF, 0xD8, 0xFF, 0xE0, 0, 16] + Array("JFIF".utf8) + [0, 1, 1, 0, 0, 1, 0, 1, 0, 0]
            + [0xFF, 0xC0, 0, 17, 8] + bigEndian(height, 2) + bigEndian(width, 2) + filler(64)
    }

    static func gif() -> [UInt8] { Array("GIF89a".utf8) + [10, 0, 20, 0] + filler(32) }

    static func webP() -> [UInt8] {
        Array("RIFF".utf8) + [0, 0, 0, 0] + Array("WEBPVP8X".utf8) + [10, 0, 0, 0, 0, 0, 0, 0]
            + [99, 0, 0, 49, 0, 0] + filler(32)
    }

    static func mp3() -> [UInt8] { Array("ID3".utf8) + [3, 0, 0, 0, 0, 0, 0] + filler(256) }

    static func mp4(size: Int = 1024) -> [UInt8] {
        [0, 0, 0, 24] + Array("ftypisom".utf8) + [0, 0, 2, 0] + Array("isomiso2".utf8) + filler(size - 24)
    }

    /// Bytes that differ from call to call, so that every sample is a new file unless reused.
    static func filler(_ count: Int) -> [UInt8] {
        (0..<max(count, 0)).map { _ in UInt8.random(in: 0...255) }
    }

    static func bigEndian(_ value: Int, _ size: Int) -> [UInt8] {
        (0..<size).reversed().map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
    }

    static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }
}

/// A `multipart/form-data` body as `uni.uploadFile` sends it: one `files` part, maybe form fields.
struct MultipartBody {
    static let boundary = "----ParleyTestBoundary7MA4YWxkTrZu0gW"

    static func body(file: [UInt8], field: String = "files", contentType: String? = "application/octet-stream", formFields: [String: String] = [:]) -> ByteBuffer {
        var buffer = ByteBuffer()
        for (name, value) in formFields {
            buffer.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n")
        }
        buffer.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(field)\"; filename=\"a.bin\"\r\n")
        if let contentType { buffer.writeString("Content-Type: \(contentType)\r\n") }
        buffer.writeString("\r\n")
        buffer.writeBytes(file)
        buffer.writeString("\r\n--\(boundary)--\r\n")
        return buffer
    }

    static var contentType: String { "multipart/form-data; boundary=\(boundary)" }
}

extension ParleyClient {
    /// Uploads `file` as `account`.
    func upload(_ file: [UInt8], as account: Account, contentType: String? = "application/octet-stream") async throws -> Answer {
        try await client.execute(
            uri: "/upload",
            method: .post,
            headers: [.contentType: MultipartBody.contentType, HTTPField.Name("token")!: account.token],
            body: MultipartBody.body(file: file, contentType: contentType)
        ) { response in
            let body = (try? JSONDecoder().decode(JSONValue.self, from: Data(buffer: response.body))) ?? .null
            return Answer(status: response.status, body: body, headers: response.headers)
        }
    }

    /// `GET` of a media URL's path, with its raw bytes.
    func media(_ url: String, headers: HTTPFields = [:]) async throws -> (status: HTTPResponse.Status, headers: HTTPFields, bytes: [UInt8]) {
        let path = String(url[url.range(of: "/media/")!.lowerBound...])
        return try await client.execute(uri: path, method: .get, headers: headers, body: nil) { response in
            (response.status, response.headers, Array(response.body.readableBytesView))
        }
    }
}
