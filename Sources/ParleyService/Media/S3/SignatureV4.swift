import Crypto
import Foundation

/// AWS Signature Version 4 (HMAC-SHA256), as S3 and S3-compatible stores check it: in an
/// `Authorization` header, or in a presigned URL's query.
///
/// Paths are encoded as S3 wants them, once (every byte but `A–Z a–z 0–9 - _ . ~ /`); other
/// services' double encoding and path normalisation are not needed for object keys.
struct SignatureV4: Sendable {
    struct Credentials: Sendable, Equatable {
        let accessKeyID: String
        let secretAccessKey: String
    }

    /// A request as it is signed and then sent.
    struct Request {
        var method: String
        /// `host`, or `host:port` when the port is not the scheme's default (the `Host` header).
        var host: String
        /// Not encoded yet: `/bucket/media/ab12…`.
        var path: String
        /// Not encoded yet, in any order.
        var query: [(String, String)] = []
        /// Headers to sign besides `host` and `x-amz-date`, which are always signed.
        var headers: [(String, String)] = []
    }

    static let algorithm = "AWS4-HMAC-SHA256"
    static let emptyPayloadHash = hex(SHA256.hash(data: [UInt8]()))
    /// What a presigned URL signs for its body, which it cannot know.
    static let unsignedPayload = "UNSIGNED-PAYLOAD"

    let credentials: Credentials
    let region: String
    let service: String

    /// The headers that authenticate `request` sent at `date`: `x-amz-date` and `authorization`.
    func headers(for request: Request, payloadHash: String, date: Date) -> [(String, String)] {
        let timestamp = Self.timestamp(date)
        let headers = request.headers + [("host", request.host), ("x-amz-date", timestamp)]
        let (canonicalHeaders, signedHeaders) = Self.canonical(headers)
        let canonicalRequest = [
            request.method, Self.encode(path: request.path), Self.canonicalQuery(request.query),
            canonicalHeaders, signedHeaders, payloadHash,
        ].joined(separator: "\n")
        let authorization = "\(Self.algorithm) Credential=\(credentials.accessKeyID)/\(scope(date)), "
            + "SignedHeaders=\(signedHeaders), Signature=\(signature(of: canonicalRequest, date: date))"
        return [("x-amz-date", timestamp), ("authorization", authorization)]
    }

    /// The query of a presigned URL for `request`, valid `expires` seconds from `date`: the request's
    /// own parameters, the `X-Amz-*` ones and the signature, encoded (append it after `?`).
    func presignedQuery(for request: Request, expires: Int, date: Date) -> String {
        let (canonicalHeaders, signedHeaders) = Self.canonical(request.headers + [("host", request.host)])
        let query = request.query + [
            ("X-Amz-Algorithm", Self.algorithm),
            ("X-Amz-Credential", "\(credentials.accessKeyID)/\(scope(date))"),
            ("X-Amz-Date", Self.timestamp(date)),
            ("X-Amz-Expires", String(expires)),
            ("X-Amz-SignedHeaders", signedHeaders),
        ]
        let canonicalRequest = [
            request.method, Self.encode(path: request.path), Self.canonicalQuery(query),
            canonicalHeaders, signedHeaders, Self.unsignedPayload,
        ].joined(separator: "\n")
        return Self.canonicalQuery(query + [("X-Amz-Signature", signature(of: canonicalRequest, date: date))])
    }

    /// `yyyyMMdd/region/service/aws4_request`.
    private func scope(_ date: Date) -> String {
        "\(Self.timestamp(date).prefix(8))/\(region)/\(service)/aws4_request"
    }

    private func signature(of canonicalRequest: String, date: Date) -> String {
        let stringToSign = [
            Self.algorithm, Self.timestamp(date), scope(date), Self.hex(SHA256.hash(data: Data(canonicalRequest.utf8))),
        ].joined(separator: "\n")
        var key = SymmetricKey(data: Data("AWS4\(credentials.secretAccessKey)".utf8))
        for part in [String(Self.timestamp(date).prefix(8)), region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        return Self.hex(HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: key))
    }

    /// Lower-case names, values trimmed with inner runs of spaces made one, sorted by name:
    /// the canonical header block (each line ending in a newline) and the signed header list.
    private static func canonical(_ headers: [(String, String)]) -> (block: String, signed: String) {
        let lines = headers.map { name, value in
            (name.lowercased(), value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " "))
        }.sorted { $0.0 < $1.0 }
        return (lines.map { "\($0):\($1)\n" }.joined(), lines.map(\.0).joined(separator: ";"))
    }

    /// Keys and values encoded, sorted by key then value, joined with `&`.
    static func canonicalQuery(_ query: [(String, String)]) -> String {
        let encoded: [(key: String, value: String)] = query.map { (encode($0.0), encode($0.1)) }
        return encoded.sorted { $0.key == $1.key ? $0.value < $1.value : $0.key < $1.key }
            .map { "\($0.key)=\($0.value)" }
            .joined(separator: "&")
    }

    /// A path with every byte but the unreserved ones and `/` percent-encoded.
    static func encode(path: String) -> String {
        encode(path, keeping: UInt8(ascii: "/"))
    }

    /// RFC 3986's unreserved characters kept, every other byte as `%XX` (upper-case hex).
    static func encode(_ text: String, keeping kept: UInt8? = nil) -> String {
        var encoded = ""
        for byte in text.utf8 {
            if byte == kept || unreserved.contains(byte) {
                encoded.unicodeScalars.append(UnicodeScalar(byte))
            } else {
                encoded += String(format: "%%%02X", byte)
            }
        }
        return encoded
    }

    private static let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~".utf8)

    /// `yyyyMMdd'T'HHmmss'Z'` in UTC.
    static func timestamp(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(
            format: "%04d%02d%02dT%02d%02d%02dZ", parts.year!, parts.month!, parts.day!, parts.hour!, parts.minute!, parts.second!
        )
    }

    static func hex<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}
