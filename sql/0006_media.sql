-- Uploaded media (POST /upload, GET /media/:hash), kept in PostgreSQL so that every node serves every
-- file and one `make run` needs nothing more. A file is named by the SHA-256 of its bytes: the same
-- bytes, uploaded by anybody, are stored once.

CREATE TABLE media (
    hash         text        PRIMARY KEY,
    kind         text        NOT NULL,
    content_type text        NOT NULL,
    size         bigint      NOT NULL,
    -- Images only: their dimensions, read from the bytes at upload.
    width        integer,
    height       integer,
    -- The chunks holding the bytes (media_chunks.blob_id), each chunk_size bytes but the last.
    blob_id      uuid        NOT NULL,
    chunk_size   integer     NOT NULL,
    uploaded_by  bigint      REFERENCES users (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT media_blob_key UNIQUE (blob_id),
    CONSTRAINT media_hash_format CHECK (hash ~ '^[0-9a-f]{64}$'),
    CONSTRAINT media_kind_check CHECK (kind IN ('image', 'audio', 'video')),
    CONSTRAINT media_size_positive CHECK (size > 0),
    CONSTRAINT media_chunk_size_positive CHECK (chunk_size > 0),
    CONSTRAINT media_image_dimensions
        CHECK ((kind = 'image') = (width IS NOT NULL AND height IS NOT NULL) AND COALESCE(width > 0 AND height > 0, true))
);

-- The bytes, in chunks: chunk `seq` holds bytes [seq × chunk_size, (seq + 1) × chunk_size). An upload
-- writes its chunks under a new blob id as they arrive, before its hash is known; then the media row
-- naming the blob is inserted, or the chunks are deleted (the same bytes were already stored, or the
-- upload was refused or cut short). So no node holds a whole file, writing or reading.
CREATE TABLE media_chunks (
    blob_id    uuid        NOT NULL,
    seq        integer     NOT NULL,
    data       bytea       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (blob_id, seq),
    CONSTRAINT media_chunks_seq_check CHECK (seq >= 0)
);

-- Media are compressed already: out of line, without TOAST's compression attempt on every chunk.
ALTER TABLE media_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
