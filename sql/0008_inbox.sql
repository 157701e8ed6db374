-- Acknowledged delivery and history (docs/api.md §7). Every message keeps its place in history, and
-- each account reads what concerns it from its inbox: a stream numbered 1, 2, 3… per account, with no
-- gaps, in the order its entries committed. A node pushes the inbox past the account's delivery
-- cursor; a client syncs it by number; nothing is deleted on delivery.

-- The inbox's counter. Taking the next number locks the row until the sending transaction commits,
-- so a concurrent send to the same account numbers after it: number order is commit order, and a
-- reader never sees number n + 1 before n.
CREATE TABLE mailboxes (
    user_id  bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    last_seq bigint NOT NULL
);

-- The next number of an account's inbox, for the caller's transaction to use.
CREATE FUNCTION next_inbox_seq(account bigint) RETURNS bigint LANGUAGE sql AS $$
    INSERT INTO mailboxes AS b (user_id, last_seq) VALUES (account, 1)
    ON CONFLICT (user_id) DO UPDATE SET last_seq = b.last_seq + 1
    RETURNING last_seq
$$;

-- What the account's sockets have received: written to a socket that does not acknowledge, or
-- acknowledged by one that does. Kept apart from `mailboxes` so acknowledgements never wait for a send.
CREATE TABLE delivery_cursors (
    user_id       bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    delivered_seq bigint NOT NULL
);

-- `message`: a message to the account; `recall`: the recall of one; `read`: the peer read the
-- account's messages up to `message_id`.
CREATE TABLE inbox (
    user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    seq        bigint      NOT NULL,
    kind       text        NOT NULL,
    peer_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    message_id bigint      NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, seq),
    CONSTRAINT inbox_kind_check CHECK (kind IN ('message', 'recall', 'read'))
);

-- Unread counts; and deleting a message (retention) finds its entries.
CREATE INDEX inbox_by_conversation ON inbox (user_id, peer_id, seq) WHERE kind = 'message';
CREATE INDEX inbox_by_message ON inbox (message_id);

-- One row per account and peer it has exchanged messages with: the conversation list, and how far
-- the account has read the peer's messages (a number of its inbox, and the message id it reached).
-- A send only inserts the pair once and never locks it: the last message is read from `messages`.
CREATE TABLE conversations (
    user_id         bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    peer_id         bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    read_seq        bigint NOT NULL DEFAULT 0,
    read_message_id bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, peer_id)
);

-- A conversation's messages, newest first, whichever side sent them.
CREATE INDEX messages_by_conversation ON messages (LEAST(from_id, to_id), GREATEST(from_id, to_id), id);
CREATE INDEX messages_by_age ON messages (created_at);

-- Existing messages enter their recipients' inboxes in id order, recalls after them; what was still
-- waiting in `deliveries` stays past the cursor, so it is pushed as before.
INSERT INTO inbox (user_id, seq, kind, peer_id, message_id, created_at)
SELECT user_id, row_number() OVER (PARTITION BY user_id ORDER BY rank, message_id), kind, peer_id, message_id, created_at
FROM (
    SELECT to_id AS user_id, 0 AS rank, 'message' AS kind, from_id AS peer_id, id AS message_id, created_at FROM messages
    UNION ALL
    SELECT to_id, 1, 'recall', from_id, id, recalled_at FROM messages WHERE recalled_at IS NOT NULL
) entries;

INSERT INTO mailboxes (user_id, last_seq) SELECT user_id, max(seq) FROM inbox GROUP BY user_id;

INSERT INTO delivery_cursors (user_id, delivered_seq)
SELECT b.user_id, COALESCE(
    (SELECT min(i.seq) - 1 FROM deliveries d JOIN inbox i
        ON i.user_id = d.user_id AND i.message_id = d.message_id AND i.kind = d.kind
     WHERE d.user_id = b.user_id),
    b.last_seq)
FROM mailboxes b;

-- Messages exchanged before read state existed count as read.
INSERT INTO conversations (user_id, peer_id, read_seq, read_message_id)
SELECT e.user_id, e.peer_id, COALESCE(b.last_seq, 0), max(e.id) FROM (
    SELECT from_id AS user_id, to_id AS peer_id, id FROM messages
    UNION ALL
    SELECT to_id, from_id, id FROM messages
) e
LEFT JOIN mailboxes b ON b.user_id = e.user_id
GROUP BY e.user_id, e.peer_id, b.last_seq;

DROP TABLE deliveries;
