import Foundation

/// A stored file, as `media` holds it.
public struct MediaRecord: Sendable, Equatable {
    /// The SHA-256 of the bytes, in lower-case hex: the file's name.
    public let hash: String
    public let kind: MediaKind
    public let contentType: String
    public let size: Int
    public let blobID: UUID
    public let chunkSize: Int
}
