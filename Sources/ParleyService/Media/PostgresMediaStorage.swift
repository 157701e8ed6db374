import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Media bytes in PostgreSQL's `media_chunks`, the default: one `make run` needs nothing more, and
/// any node serves any file, ranges included, a few chunks in memory at a time.
struct PostgresMediaStorage: MediaStorage {
    let media: MediaStore

    /// Chunks read per query while serving a file: 1 MiB in memory at a time.
    static let chunksPerRead = 4

    var partSize: Int { MediaStore.chunkSize }

    func startUpload() -> any MediaStorageUpload {
        Upload(media: media, blobID: UUID())
    }

    /// Chunks are written under a new blob id as they arrive, named by the hash at the end.
    struct Upload: MediaStorageUpload {
        let media: MediaStore
        let blobID: UUID

        func write(part index: Int, _ bytes: ByteBuffer) async throws {
            try await media.writeChunk(blobID: blobID, seq: index, data: bytes)
        }

        func commit(lastPart: ByteBuffer, as file: FinishedUpload, uploaderID: Int) async throws -> Bool {
            if lastPart.readableBytes > 0 {
                try await write(part: (file.size - 1) / MediaStore.chunkSize, lastPart)
            }
            return try await media.commit(file, blobID: blobID, uploaderID: uploaderID)
        }

        func discard() async throws {
            try await media.discard(blobID: blobID)
        }
    }

    func response(for record: MediaRecord, request: Request, headers: HTTPFields) async throws -> Response {
        guard case .postgres(let blobID, let chunkSize) = record.location else { throw ParleyError(.notFound) }
        var headers = headers
        headers[.acceptRanges] = "bytes"
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
            try await Self.write(bytes, blobID: blobID, chunkSize: chunkSize, from: media, to: &writer)
            try await writer.finish(nil)
        })
    }

    /// Streams `bytes` of a stored file, a few chunks per query.
    static func write(
        _ bytes: ClosedRange<Int>, blobID: UUID, chunkSize: Int, from media: MediaStore, to writer: inout any ResponseBodyWriter
    ) async throws {
        let lastSeq = bytes.upperBound / chunkSize
        var seq = bytes.lowerBound / chunkSize
        while seq <= lastSeq {
            let batch = seq...min(seq + chunksPerRead - 1, lastSeq)
            for (offset, chunk) in try await media.chunks(blobID: blobID, seqs: batch).enumerated() {
                let chunkStart = (batch.lowerBound + offset) * chunkSize
                let from = max(bytes.lowerBound - chunkStart, 0)
                let to = min(bytes.upperBound - chunkStart + 1, chunk.readableBytes)
                guard from < to, let slice = chunk.getSlice(at: chunk.readerIndex + from, length: to - from) else { continue }
                try await writer.write(slice)
            }
            seq = batch.upperBound + 1
        }
    }
}
