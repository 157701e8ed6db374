import HTTPTypes
import Hummingbird
import NIOCore

/// `POST /upload` and `GET /media/:hash` (docs/api.md §5).
struct MediaController: Sendable {
    let media: MediaStore
    /// Where uploads go: the bucket of `PARLEY_MEDIA_URL`, else PostgreSQL.
    let uploads: any MediaStorage
    let postgres: PostgresMediaStorage
    let s3: S3MediaStorage?
    /// The base of the URLs uploads answer (`PARLEY_PUBLIC_URL`); the request's host when `nil`.
    let publicURL: String?

    init(media: MediaStore, s3: S3MediaStorage?, publicURL: String?) {
        self.media = media
        self.postgres = PostgresMediaStorage(media: media)
        self.s3 = s3
        self.uploads = s3 ?? postgres
        self.publicURL = publicURL
    }

    /// The multipart framing around the file (boundaries, part headers, small form fields) may add
    /// this much to the file's own limit.
    static let framingAllowance = 64 * 1024

    func addRoutes(to router: Router<AppRequestContext>, authentication: AuthenticationMiddleware) {
        router.group()
            .add(middleware: authentication)
            .post("upload", use: upload)
        router.get("media/:hash", use: serve)
    }

    @Sendable func upload(_ request: Request, context: AppRequestContext) async throws -> Envelope<String> {
        let me = try context.requireIdentity().userID
        guard let reader = MultipartFileReader(contentType: request.headers[.contentType]) else { throw ParleyError(.noFile) }
        var upload: MediaUpload?
        do {
            var received = 0
            for try await buffer in request.body {
                received += buffer.readableBytes
                guard received <= MediaKind.largestSizeLimit + Self.framingAllowance else {
                    throw ParleyError(.fileTooLarge(.video))
                }
                try reader.read(buffer)
                let bytes = reader.take()
                guard !bytes.isEmpty else { continue }
                if upload == nil { upload = MediaUpload(storage: uploads, declaredContentType: reader.declaredContentType) }
                for slice in bytes { try await upload!.append(slice) }
            }
            guard reader.fileComplete, upload != nil else { throw ParleyError(.noFile) }
            let (file, stored) = try await upload!.commit(uploaderID: me)
            context.logger.info(
                "Uploaded",
                metadata: ["media.kind": "\(file.format.kind.rawValue)", "media.size": "\(file.size)", "media.new": "\(stored)"]
            )
            return Envelope(MediaURL.url(hash: file.hash, publicURL: publicURL, request: request))
        } catch {
            if let upload { try? await upload.discard() }
            throw error
        }
    }

    @Sendable func serve(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let hash = context.parameters.get("hash"), MediaURL.isHash(hash), let record = try await media.record(hash: hash) else {
            throw ParleyError(.notFound)
        }
        let etag = "\"\(hash)\""
        let headers: HTTPFields = [
            .eTag: etag,
            .cacheControl: "public, max-age=31536000, immutable",
            .contentType: record.contentType,
        ]
        if let match = request.headers[.ifNoneMatch], match == "*" || match.split(separator: ",").contains(where: {
            $0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "W/", with: "") == etag
        }) {
            return Response(status: .notModified, headers: headers)
        }
        switch record.location {
        case .postgres: return try await postgres.response(for: record, request: request, headers: headers)
        case .s3:
            // Stored while PARLEY_MEDIA_URL named a bucket this node is not told of.
            guard let s3 else { throw ParleyError(.unavailable) }
            return try await s3.response(for: record, request: request, headers: headers)
        }
    }
}
