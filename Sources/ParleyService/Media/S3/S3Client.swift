import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1

/// The few S3 operations media need, signed with ``SignatureV4`` and sent with AsyncHTTPClient.
struct S3Client: Sendable {
    let location: S3Location
    let http: HTTPClient

    /// What an operation may take; a 100 MiB copy inside the store is the longest.
    static let timeout: TimeAmount = .seconds(120)
    /// The most of an answer's body read: S3's XML answers are small.
    static let maximumAnswer = 1024 * 1024

    private var signer: SignatureV4 {
        SignatureV4(credentials: location.credentials, region: location.region, service: "s3")
    }

    /// Starts a multipart upload of `key`; its upload id.
    func createMultipartUpload(key: String) async throws -> String {
        let answer = try await send(.POST, key: key, query: [("uploads", "")])
        guard let uploadID = Self.element("UploadId", in: answer.body) else {
            throw S3Error(operation: "CreateMultipartUpload", status: answer.status, code: "no UploadId")
        }
        return uploadID
    }

    /// Uploads part `number` (from 1); its ETag, which completing the upload names.
    func uploadPart(key: String, uploadID: String, number: Int, bytes: ByteBuffer) async throws -> String {
        let answer = try await send(.PUT, key: key, query: [("partNumber", String(number)), ("uploadId", uploadID)], body: bytes)
        guard let etag = answer.headers.first(name: "etag") else {
            throw S3Error(operation: "UploadPart", status: answer.status, code: "no ETag")
        }
        return etag
    }

    /// Joins the parts, whose ETags are given in order, into the object `key`.
    func completeMultipartUpload(key: String, uploadID: String, etags: [String]) async throws {
        let parts = etags.enumerated().map { index, etag in
            "<Part><PartNumber>\(index + 1)</PartNumber><ETag>\(Self.escape(etag))</ETag></Part>"
        }
        let body = "<CompleteMultipartUpload>\(parts.joined())</CompleteMultipartUpload>"
        _ = try await send(.POST, key: key, query: [("uploadId", uploadID)], body: ByteBuffer(string: body))
    }

    /// Drops a multipart upload and the parts it holds.
    func abortMultipartUpload(key: String, uploadID: String) async throws {
        _ = try await send(.DELETE, key: key, query: [("uploadId", uploadID)])
    }

    /// Stores `bytes` as `key` in one request.
    func put(key: String, bytes: ByteBuffer, headers: [(String, String)]) async throws {
        _ = try await send(.PUT, key: key, headers: headers, body: bytes)
    }

    /// Copies `source` to `key` inside the bucket, with `headers` (Content-Type…) replacing the
    /// source's.
    func copy(_ source: String, to key: String, headers: [(String, String)]) async throws {
        let copySource = SignatureV4.encode(path: "/\(location.bucket)/\(location.keyPrefix)\(source)")
        _ = try await send(.PUT, key: key, headers: headers + [("x-amz-copy-source", copySource), ("x-amz-metadata-directive", "REPLACE")])
    }

    func delete(key: String) async throws {
        _ = try await send(.DELETE, key: key)
    }

    /// A URL anybody can GET `key` with, signed at `date` and valid `expires` seconds from then.
    func presignedGet(key: String, date: Date, expires: Int) -> String {
        let request = SignatureV4.Request(method: "GET", host: location.host, path: location.path(of: key))
        return location.url(path: request.path, query: signer.presignedQuery(for: request, expires: expires, date: date))
    }

    /// One signed request; its status, headers and body. Any status but 2xx, or an `<Error>` body
    /// (CompleteMultipartUpload and CopyObject may answer 200 and fail), throws ``S3Error``.
    private func send(
        _ method: HTTPMethod,
        key: String,
        query: [(String, String)] = [],
        headers: [(String, String)] = [],
        body: ByteBuffer? = nil
    ) async throws -> (status: UInt, headers: HTTPHeaders, body: String) {
        let payloadHash = body.map { SignatureV4.hex(SHA256.hash(data: $0.readableBytesView)) } ?? SignatureV4.emptyPayloadHash
        let signed = SignatureV4.Request(
            method: method.rawValue, host: location.host, path: location.path(of: key), query: query,
            headers: headers + [("x-amz-content-sha256", payloadHash)]
        )
        var request = HTTPClientRequest(url: location.url(path: signed.path, query: SignatureV4.canonicalQuery(query)))
        request.method = method
        request.headers.add(name: "host", value: location.host)
        request.headers.add(contentsOf: signed.headers + signer.headers(for: signed, payloadHash: payloadHash, date: Date()))
        if let body {
            request.body = .bytes(body)
        }
        do {
            let response = try await http.execute(request, timeout: Self.timeout)
            let text = String(buffer: try await response.body.collect(upTo: Self.maximumAnswer))
            guard (200..<300).contains(response.status.code), !text.contains("<Error>") else {
                throw S3Error(operation: "\(method.rawValue) \(key)", status: response.status.code, code: Self.element("Code", in: text) ?? "")
            }
            return (response.status.code, response.headers, text)
        } catch {
            throw DependencyUnavailable("s3", underlying: error)
        }
    }

    /// The text of the first `<name>` element of an S3 answer.
    static func element(_ name: String, in xml: String) -> String? {
        guard let start = xml.range(of: "<\(name)>"), let end = xml.range(of: "</\(name)>", range: start.upperBound..<xml.endIndex) else {
            return nil
        }
        return String(xml[start.upperBound..<end.lowerBound])
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }
}

/// An S3 operation was refused: like a store out of reach, answered as 503 `unavailable`.
struct S3Error: Error, CustomStringConvertible {
    let operation: String
    let status: UInt
    /// S3's error code (`NoSuchKey`, `EntityTooSmall`…), when it gave one.
    let code: String

    var description: String { "S3 \(operation): \(status) \(code)" }
}
