import Foundation
import NIOCore
import PostgresNIO

/// The SQL of media (sql/0006_media.sql, 0007): the `media` row of every file wherever its bytes
/// are, and the chunks of the files kept in PostgreSQL.
struct MediaStore: Sendable {
    let database: Database

    /// The bytes per chunk: small enough that a node holds a few at a time, large enough that a
    /// 100 MiB video is 400 rows.
    static let chunkSize = 256 * 1024

    func record(hash: String) async throws -> MediaRecord? {
        let rows = try await database.query(
            "SELECT kind, content_type, size, storage, blob_id, chunk_size FROM media WHERE hash = \(hash)"
        )
        for try await (kind, contentType, size, storage, blobID, chunkSize)
            in rows.decode((String, String, Int, String, UUID?, Int32?).self)
        {
            guard let kind = MediaKind(rawValue: kind) else { return nil }
            let location: MediaRecord.Location
            switch (storage, blobID, chunkSize) {
            case ("postgres", let blobID?, let chunkSize?): location = .postgres(blobID: blobID, chunkSize: Int(chunkSize))
            case ("s3", _, _): location = .s3
            default: return nil
            }
            return MediaRecord(hash: hash, kind: kind, contentType: contentType, size: size, location: location)
        }
        return nil
    }

    /// Lists a file whose bytes are in the bucket; `false` when the same bytes were listed already.
    func insert(_ file: FinishedUpload, uploaderID: Int) async throws -> Bool {
        try await database.transaction { connection in
            try await insert(file, blobID: nil, uploaderID: uploaderID, on: connection)
        }
    }

    /// Writes chunk `seq` of an upload in progress.
    func writeChunk(blobID: UUID, seq: Int, data: ByteBuffer) async throws {
        _ = try await database.query(
            "INSERT INTO media_chunks (blob_id, seq, data) VALUES (\(blobID), \(Int32(seq)), \(data))"
        )
    }

    /// Names the finished upload's chunks by its hash; `false` when the same bytes were stored
    /// already, in which case the upload's chunks are deleted and the stored file stays.
    func commit(_ upload: FinishedUpload, blobID: UUID, uploaderID: Int) async throws -> Bool {
        try await database.transaction { connection in
            if try await insert(upload, blobID: blobID, uploaderID: uploaderID, on: connection) { return true }
            try await connection.query("DELETE FROM media_chunks WHERE blob_id = \(blobID)", logger: database.logger)
            return false
        }
    }

    /// The `media` row of `file`: in PostgreSQL's chunks under `blobID`, or in the bucket when `nil`.
    private func insert(_ file: FinishedUpload, blobID: UUID?, uploaderID: Int, on connection: PostgresConnection) async throws -> Bool {
        let rows = try await connection.query(
            """
            INSERT INTO media (hash, kind, content_type, size, width, height, storage, blob_id, chunk_size, uploaded_by)
            VALUES (\(file.hash), \(file.format.kind.rawValue), \(file.format.contentType), \(file.size),
                \(file.format.width.map(Int32.init)), \(file.format.height.map(Int32.init)),
                \(blobID == nil ? "s3" : "postgres"), \(blobID), \(blobID.map { _ in Int32(Self.chunkSize) }), \(uploaderID))
            ON CONFLICT (hash) DO NOTHING RETURNING hash
            """,
            logger: database.logger
        )
        for try await _ in rows { return true }
        return false
    }

    /// Deletes the chunks of an upload that was refused or cut short.
    func discard(blobID: UUID) async throws {
        _ = try await database.query("DELETE FROM media_chunks WHERE blob_id = \(blobID)")
    }

    /// The chunks `seqs` of a stored file, in order.
    func chunks(blobID: UUID, seqs: ClosedRange<Int>) async throws -> [ByteBuffer] {
        let rows = try await database.query(
            """
            SELECT data FROM media_chunks
            WHERE blob_id = \(blobID) AND seq BETWEEN \(Int32(seqs.lowerBound)) AND \(Int32(seqs.upperBound))
            ORDER BY seq
            """
        )
        var chunks: [ByteBuffer] = []
        for try await data in rows.decode(ByteBuffer.self) { chunks.append(data) }
        return chunks
    }
}
