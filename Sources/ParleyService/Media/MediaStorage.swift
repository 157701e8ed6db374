import HTTPTypes
import Hummingbird
import NIOCore

/// Where the bytes of uploaded files go (docs/api.md §5): PostgreSQL by default
/// (``PostgresMediaStorage``), or an S3-compatible bucket (``S3MediaStorage``). Either way the
/// `media` table lists every file, so any node knows every file's kind and where it is.
protocol MediaStorage: Sendable {
    /// The bytes of every part of an upload but the last, the most a node holds of one upload.
    var partSize: Int { get }

    /// Starts storing a new file, whose hash is known only at its end.
    func startUpload() -> any MediaStorageUpload

    /// The answer to `GET /media/:hash` for a stored file: its bytes (`headers` are the file's
    /// ETag, Cache-Control and type), or where to get them.
    func response(for record: MediaRecord, request: Request, headers: HTTPFields) async throws -> Response
}

/// One file being stored, part by part.
protocol MediaStorageUpload {
    /// Stores part `index` (from 0): exactly ``MediaStorage/partSize`` bytes.
    mutating func write(part index: Int, _ bytes: ByteBuffer) async throws

    /// Stores the last part (possibly empty) and lists the whole file in `media` under its hash;
    /// `false` when the same bytes were stored already, whose copy then stays and this one goes.
    mutating func commit(lastPart: ByteBuffer, as file: FinishedUpload, uploaderID: Int) async throws -> Bool

    /// Drops what an upload that was refused or cut short stored.
    func discard() async throws
}
