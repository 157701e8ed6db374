-- Accounts and their sessions. PostgreSQL is the only durable truth: a session row decides whether
-- a token still works, on every node.

CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Stored in Unicode NFC, so look-alike spellings of one name collide on the unique constraint.
    username      text        NOT NULL,
    password_hash text        NOT NULL,
    nickname      text        NOT NULL DEFAULT '',
    avatar        text        NOT NULL DEFAULT '',
    sex           text        NOT NULL DEFAULT '保密',
    sign          text        NOT NULL DEFAULT '',
    area          text        NOT NULL DEFAULT '',
    email         text        NOT NULL DEFAULT '',
    phone         text        NOT NULL DEFAULT '',
    status        smallint    NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_username_key UNIQUE (username),
    CONSTRAINT users_username_length CHECK (char_length(username) BETWEEN 5 AND 20),
    CONSTRAINT users_sex_check CHECK (sex IN ('男', '女', '保密')),
    CONSTRAINT users_status_check CHECK (status IN (0, 1))
);

-- One row per login. A token names its session (`sid`); the token works while the session is not
-- revoked. At most one unrevoked session per user: a login revokes the previous one.
CREATE TABLE sessions (
    id             uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id        bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at     timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL,
    revoked_at     timestamptz,
    revoked_reason text,
    CONSTRAINT sessions_revoked_reason_check
        CHECK (revoked_reason IN ('superseded', 'logged_out', 'disabled')),
    CONSTRAINT sessions_revoked_together
        CHECK ((revoked_at IS NULL) = (revoked_reason IS NULL)),
    CONSTRAINT sessions_expire_after_creation CHECK (expires_at > created_at)
);

CREATE UNIQUE INDEX sessions_one_active_per_user ON sessions (user_id) WHERE revoked_at IS NULL;
-- Pruning a user's revoked sessions at login.
CREATE INDEX sessions_user_id ON sessions (user_id);
