import Crypto
import Foundation
import NIOCore

/// One file being stored as it arrives: its bytes are hashed and handed to the storage part by part,
/// its format is detected from the first part before anything is stored, and its size is held to its
/// kind's limit as it grows. At most one part and one input buffer are in memory.
struct MediaUpload {
    private var storage: any MediaStorageUpload
    private let partSize: Int
    /// The part's `Content-Type`, the client's word: checked against the bytes, never believed.
    let declaredContentType: String?

    private var hasher = SHA256()
    private var pending = ByteBuffer()
    private var nextPart = 0
    private(set) var size = 0
    private var format: MediaFormat?

    init(storage: any MediaStorage, declaredContentType: String?) {
        self.storage = storage.startUpload()
        self.partSize = storage.partSize
        self.declaredContentType = declaredContentType
    }

    /// Takes the next bytes of the file, storing every part they complete.
    mutating func append(_ bytes: ByteBuffer) async throws {
        size += bytes.readableBytes
        try checkSize()
        bytes.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
        var bytes = bytes
        pending.writeBuffer(&bytes)
        while pending.readableBytes >= partSize, let part = pending.readSlice(length: partSize) {
            try detectFormat(part)
            try await storage.write(part: nextPart, part)
            nextPart += 1
        }
        pending.discardReadBytes()
    }

    /// Stores the rest and lists the file; whether its bytes were new. `no_file` for an empty file.
    mutating func commit(uploaderID: Int) async throws -> (file: FinishedUpload, new: Bool) {
        guard size > 0 else { throw ParleyError(.noFile) }
        try detectFormat(pending)
        let hash = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        let file = FinishedUpload(hash: hash, size: size, format: format!)
        return (file, try await storage.commit(lastPart: pending, as: file, uploaderID: uploaderID))
    }

    /// Drops what was stored of a refused or broken upload.
    func discard() async throws {
        try await storage.discard()
    }

    /// The format, from the file's first part.
    private mutating func detectFormat(_ firstPart: ByteBuffer) throws {
        guard format == nil else { return }
        format = try Self.detect(firstPart, declaredContentType: declaredContentType)
        try checkSize()
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
