-- Abuse reports. One reporter may have one pending report per target; other reporters are never
-- blocked by it.

CREATE TABLE reports (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id       bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE, -- the reporter
    reported_id   bigint      NOT NULL, -- a user or a group, depending on reported_type
    reported_type text        NOT NULL,
    content       text        NOT NULL,
    category      text        NOT NULL,
    status        text        NOT NULL DEFAULT 'pending',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT reports_reported_type_check CHECK (reported_type IN ('user', 'group')),
    CONSTRAINT reports_status_check CHECK (status IN ('pending', 'handled', 'rejected')),
    CONSTRAINT reports_content_length CHECK (char_length(content) BETWEEN 1 AND 500),
    CONSTRAINT reports_category_length CHECK (char_length(category) BETWEEN 1 AND 10),
    CONSTRAINT reports_not_self CHECK (reported_type <> 'user' OR reported_id <> user_id)
);

CREATE UNIQUE INDEX reports_one_pending_per_reporter
    ON reports (user_id, reported_type, reported_id) WHERE status = 'pending';
