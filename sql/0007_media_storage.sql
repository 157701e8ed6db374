-- Media bytes may live in an S3-compatible bucket (PARLEY_MEDIA_URL) instead of media_chunks. Each
-- file stays where it was uploaded to: `storage` says where, and only PostgreSQL's files name a blob.

ALTER TABLE media
    ADD COLUMN storage text NOT NULL DEFAULT 'postgres',
    ALTER COLUMN blob_id DROP NOT NULL,
    ALTER COLUMN chunk_size DROP NOT NULL,
    ADD CONSTRAINT media_storage_check CHECK (storage IN ('postgres', 's3')),
    ADD CONSTRAINT media_storage_blob
        CHECK ((storage = 'postgres') = (blob_id IS NOT NULL AND chunk_size IS NOT NULL));
