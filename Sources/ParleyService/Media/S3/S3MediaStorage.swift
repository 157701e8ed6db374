import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Media bytes in an S3-compatible bucket (`PARLEY_MEDIA_URL`): uploads stream through a node in
/// 5 MiB parts, downloads never pass through one (a redirect to a presigned URL).
///
/// A file is stored as `media/<hash>`. Its hash is known only at its end, so a file of several parts
/// is uploaded as `uploads/<uuid>` (a multipart upload) and then copied inside the bucket; a file
/// of one part is put under its hash at once. The `media` row is inserted only once the object is
/// there, so no node ever redirects to a missing object; bytes already listed are not stored again.
struct S3MediaStorage: MediaStorage {
    let client: S3Client
    let media: MediaStore

    /// S3's smallest part but the last.
    static let partSize = 5 * 1024 * 1024
    /// Presigned URLs are signed at the start of a window of this many seconds and stay valid for
    /// two: every request of one window gets the same URL (so browsers cache the file once per
    /// window, not per request), and a URL handed out is good for at least one window more.
    static let presignWindow = 300
    /// What the stored objects answer S3's GETs with, as `GET /media/:hash` did.
    static let objectCacheControl = "public, max-age=31536000, immutable"

    var partSize: Int { Self.partSize }

    static func key(of hash: String) -> String { "media/\(hash)" }

    func startUpload() -> any MediaStorageUpload {
        Upload(client: client, media: media, key: "uploads/\(UUID().uuidString.lowercased())")
    }

    /// A 302 to the object, presigned; the redirect itself may be cached for one window.
    func response(for record: MediaRecord, request: Request, headers: HTTPFields) async throws -> Response {
        let now = Int(Date().timeIntervalSince1970)
        let windowStart = now - now % Self.presignWindow
        var headers = headers
        headers[.location] = client.presignedGet(
            key: Self.key(of: record.hash), date: Date(timeIntervalSince1970: TimeInterval(windowStart)), expires: 2 * Self.presignWindow
        )
        headers[.cacheControl] = "public, max-age=\(windowStart + Self.presignWindow - now)"
        headers[.contentType] = nil
        return Response(status: .found, headers: headers)
    }

    struct Upload: MediaStorageUpload {
        let client: S3Client
        let media: MediaStore
        /// Where the parts go until the hash is known.
        let key: String
        /// Set by the first part.
        private var uploadID: String?
        private var etags: [String] = []
        /// The multipart upload became the object `key`, which then has to be deleted, not aborted.
        private var completed = false

        init(client: S3Client, media: MediaStore, key: String) {
            self.client = client
            self.media = media
            self.key = key
        }

        mutating func write(part index: Int, _ bytes: ByteBuffer) async throws {
            if uploadID == nil { uploadID = try await client.createMultipartUpload(key: key) }
            etags.append(try await client.uploadPart(key: key, uploadID: uploadID!, number: index + 1, bytes: bytes))
        }

        mutating func commit(lastPart: ByteBuffer, as file: FinishedUpload, uploaderID: Int) async throws -> Bool {
            let finalKey = S3MediaStorage.key(of: file.hash)
            let objectHeaders = [("content-type", file.format.contentType), ("cache-control", S3MediaStorage.objectCacheControl)]
            guard let uploadID else {
                // One part: put under its hash at once, unless those bytes are listed already.
                guard try await media.record(hash: file.hash) == nil else { return false }
                try await client.put(key: finalKey, bytes: lastPart, headers: objectHeaders)
                return try await media.insert(file, uploaderID: uploaderID)
            }
            if lastPart.readableBytes > 0 { try await write(part: etags.count, lastPart) }
            try await client.completeMultipartUpload(key: key, uploadID: uploadID, etags: etags)
            completed = true
            var new = false
            if try await media.record(hash: file.hash) == nil {
                try await client.copy(key, to: finalKey, headers: objectHeaders)
                new = try await media.insert(file, uploaderID: uploaderID)
            }
            try await client.delete(key: key)
            return new
        }

        func discard() async throws {
            if completed {
                try await client.delete(key: key)
            } else if let uploadID {
                try await client.abortMultipartUpload(key: key, uploadID: uploadID)
            }
        }
    }
}
