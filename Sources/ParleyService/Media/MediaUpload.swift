import Crypto
import Foundation
import NIOCore

/// One file being stored as it arrives: its bytes are hashed and written chunk by chunk under a new
/// blob id, its format is detected from the first chunk before anything is written, and its size is
/// held to its kind's limit as it grows. At most one chunk and one input buffer are in memory.
struct MediaUpload {
    let store: MediaStore
    let blobID = UUID()
    /// The part's `Content-Type`, the client's word: checked against the bytes, never believed.
    let declaredContentType: String?

    private var hasher = SHA256()
    private var pending = ByteBuffer()
    private var nextSeq = 0
    private(set) var size = 0
    private var format: MediaFormat?

    init(store: MediaStore, declaredContentType: String?) {
        self.store = store
        self.declaredContentType = declaredContentType
    }

    /// Takes the next bytes of the file, writing every chunk they complete.
    mutating func append(_ bytes: ByteBuffer) async throws {
        size += bytes.readableBytes
        try checkSize()
        bytes.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
        var bytes = bytes
        pending.writeBuffer(&bytes)
        while pending.readableBytes >= MediaStore.chunkSize, let chunk = pending.readSlice(length: MediaStore.chunkSize) {
            try await write(chunk)
        }
        pending.discardReadBytes()
    }

    /// Writes what is left and answers what was stored; `no_file` for an empty file.
    mutating func finish() async throws -> FinishedUpload {
        guard size > 0 else { throw ParleyError(.noFile) }
        if pending.readableBytes > 0 { try await write(pending) }
        let hash = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        return FinishedUpload(hash: hash, size: size, format: format!)
    }

    private mutating func write(_ chunk: ByteBuffer) async throws {
        if format == nil {
            format = try Self.detect(chunk, declaredContentType: declaredContentType)
            try checkSize()
        }
        try await store.writeChunk(blobID: blobID, seq: nextSeq, data: chunk)
        nextSeq += 1
    }

    /// Over the limit of its kind, or of every kind while the kind is not known yet.
    private func checkSize() throws {
        guard size > (format?.kind.sizeLimit ?? MediaKind.largestSizeLimit) else { return }
        throw ParleyError(.fileTooLarge(format?.kind ?? .video))
    }

    /// The format of a file starting with `chunk`, refused when it is none Parley takes or when the
    /// client declared another kind.
    static func detect(_ chunk: ByteBuffer, declaredContentType: String?) throws -> MediaFormat {
        let format: MediaFormat
        do {
            format = try MediaFormat.detect(Array(chunk.readableBytesView.prefix(MediaFormat.sniffLength)))
        } catch .unsupported {
            throw ParleyError(.unsupportedMedia)
        } catch .imageDimensions {
            throw ParleyError(.imageTooLarge)
        }
        if let declaredContentType, let declared = MediaKind(declaredContentType: declaredContentType), declared != format.kind {
            throw ParleyError(.mediaTypeMismatch)
        }
        return format
    }
}
