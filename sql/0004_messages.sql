-- One-to-one chat. A message is stored before it is pushed; what a recipient has not received yet
-- waits in `deliveries`, in order, until the node holding the recipient's socket has written it.

CREATE TABLE messages (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    from_id     bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    to_id       bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    chat_type   text        NOT NULL,
    type        text        NOT NULL,
    data        text        NOT NULL,
    options     jsonb       NOT NULL DEFAULT '{}',
    -- The names and avatars as they were when the message was sent (the client shows these).
    from_name   text        NOT NULL,
    from_avatar text        NOT NULL,
    to_name     text        NOT NULL,
    to_avatar   text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    recalled_at timestamptz,
    CONSTRAINT messages_chat_type_check CHECK (chat_type IN ('user')),
    CONSTRAINT messages_type_check
        CHECK (type IN ('text', 'image', 'video', 'audio', 'emoticon', 'card', 'system')),
    CONSTRAINT messages_data_length CHECK (char_length(data) BETWEEN 1 AND 4000),
    CONSTRAINT messages_options_object CHECK (jsonb_typeof(options) = 'object')
);

-- Recalls look a sender's message up by id; the primary key serves them.

-- What each recipient still has to receive: a message, or the recall of one. A row is deleted once
-- the node holding the recipient's socket has written it there.
CREATE TABLE deliveries (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    message_id bigint      NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    kind       text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT deliveries_kind_check CHECK (kind IN ('message', 'recall'))
);

CREATE INDEX deliveries_by_recipient ON deliveries (user_id, id);
