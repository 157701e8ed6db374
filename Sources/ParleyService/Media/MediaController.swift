import HTTPTypes
import Hummingbird
import NIOCore

/// `POST /upload` and `GET /media/:hash` (docs/api.md §5).
public struct MediaController: Sendable {
    let media: MediaStore
    /// The base of the URLs uploads answer (`PARLEY_PUBLIC_URL`); the request's host when `nil`.
    let publicURL: String?

    public init(media: MediaStore, publicURL: String?) {
        self.media = media
        self.publicURL = publicURL
    }

    /// Chunks read per query while serving a file: 1 MiB in memory at a time.
    static let chunksPerRead = 4
    /// The multipart framing around the file (boundaries, part headers, small form fields) may add
    /// this much to the file's own limit.
    static let framingAllowance = 64 * 1024

    public func addRoutes(to router: Router<AppRequestContext>, authentication: AuthenticationMiddleware) {
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
                if upload == nil { upload = MediaUpload(store: media, declaredContentType: reader.declaredContentType) }
                for slice in bytes { try await upload!.append(slice) }
            }
            guard reader.fileComplete, var finished = upload else { throw ParleyError(.noFile) }
            let file = try await finished.finish()
            let stored = try await media.commit(file, blobID: finished.blobID, uploaderID: me)
            context.logger.info(
                "Uploaded",
                metadata: ["media.kind": "\(file.format.kind.rawValue)", "media.size": "\(file.size)", "media.new": "\(stored)"]
            )
            return Envelope(MediaURL.url(hash: file.hash, publicURL: publicURL, request: request))
        } catch {
            if let upload { try? await media.discard(blobID: upload.blobID) }
            throw error
        }
    }

    @Sendable func serve(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let hash = context.parameters.get("hash"), MediaURL.isHash(hash), let record = try await media.record(hash: hash) else {
            throw ParleyError(.notFound)
        }
        let etag = "\"\(hash)\""
        var headers: HTTPFields = [
            .eTag: etag,
            .cacheControl: "public, max-age=31536000, immutable",
            .acceptRanges: "bytes",
            .contentType: record.contentType,
        ]
        if let match = request.headers[.ifNoneMatch], match == "*" || match.split(separator: ",").contains(where: {
            $0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "W/", with: "") == etag
        }) {
            return Response(status: .notModified, headers: headers)
        }
        let bytes: ClosedRange<Int>
        let status: HTTPResponse.Status
        switch ByteRange(header: request.headers[.range], size: record.size) {
        case .whole:
            (bytes, status) = (0...(record.size - 1), .ok)
        case .part(let range):
            (bytes, status) = (range, .partialContent)
            headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(record.size)"
        case .unsatisfiable:
            headers[.contentRange] = "bytes */\(record.size)"
            headers[.contentType] = nil
            return Response(status: .rangeNotSatisfiable, headers: headers)
        }
        let media = self.media
        return Response(status: status, headers: headers, body: ResponseBody(contentLength: bytes.count) { writer in
            try await Self.write(bytes, of: record, from: media, to: &writer)
            try await writer.finish(nil)
        })
    }

    /// Streams `bytes` of a stored file, a few chunks per query.
    static func write(_ bytes: ClosedRange<Int>, of record: MediaRecord, from media: MediaStore, to writer: inout any ResponseBodyWriter) async throws {
        let lastSeq = bytes.upperBound / record.chunkSize
        var seq = bytes.lowerBound / record.chunkSize
        while seq <= lastSeq {
            let batch = seq...min(seq + chunksPerRead - 1, lastSeq)
            for (offset, var chunk) in try await media.chunks(blobID: record.blobID, seqs: batch).enumerated() {
                let chunkStart = (batch.lowerBound + offset) * record.chunkSize
                let from = max(bytes.lowerBound - chunkStart, 0)
                let to = min(bytes.upperBound - chunkStart + 1, chunk.readableBytes)
                guard from < to, let slice = chunk.getSlice(at: chunk.readerIndex + from, length: to - from) else { continue }
                chunk = slice
                try await writer.write(chunk)
            }
            seq = batch.upperBound + 1
        }
    }
}
