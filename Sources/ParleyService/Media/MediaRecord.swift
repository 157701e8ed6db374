import Foundation

/// A stored file, as `media` holds it.
public struct MediaRecord: Sendable, Equatable {
    /// Where a file's bytes are: each file stays where it was uploaded to, so media stored in
    /// PostgreSQL are still served after `PARLEY_MEDIA_URL` is set.
    public enum Location: Sendable, Equatable {
        /// In `media_chunks`, under `blobID`, `chunkSize` bytes a chunk.
        case postgres(blobID: UUID, chunkSize: Int)
        /// In the bucket of `PARLEY_MEDIA_URL`, under ``S3MediaStorage/key(of:)``.
        case s3
    }

    /// The SHA-256 of the bytes, in lower-case hex: the file's name.
    public let hash: String
    public let kind: MediaKind
    public let contentType: String
    public let size: Int
    public let location: Location
}
