import Foundation

/// A stored file, as `media` holds it.
struct MediaRecord: Sendable, Equatable {
    /// Where a file's bytes are: each file stays where it was uploaded to, so media stored in
    /// PostgreSQL are still served after `PARLEY_MEDIA_URL` is set.
    enum Location: Sendable, Equatable {
        /// In `media_chunks`, under `blobID`, `chunkSize` bytes a chunk.
        case postgres(blobID: UUID, chunkSize: Int)
        /// In the bucket of `PARLEY_MEDIA_URL`, under ``S3MediaStorage/key(of:)``.
        case s3
    }

    /// The SHA-256 of the bytes, in lower-case hex: the file's name.
    let hash: String
    let kind: MediaKind
    let contentType: String
    let size: Int
    let location: Location
}
