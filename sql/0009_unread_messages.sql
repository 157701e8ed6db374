-- What counts as unread in a conversation: the peer's messages past a number of the account's inbox,
-- recalled ones not counted. One definition for the conversation list and for POST /chat/read's
-- answer (a single-SELECT STABLE function, which PostgreSQL inlines into the calling query).
CREATE FUNCTION unread_messages(account bigint, peer bigint, after bigint) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT count(*) FROM inbox i JOIN messages m ON m.id = i.message_id
    WHERE i.user_id = account AND i.peer_id = peer AND i.kind = 'message' AND i.seq > after
        AND m.recalled_at IS NULL
$$;
