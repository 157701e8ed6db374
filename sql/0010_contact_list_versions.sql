-- A version per contact list (GET /friend/list), raised in the transaction of every change to what
-- the list shows its owner: the owner's friends rows (a friend added or removed, a remark, a star,
-- the blacklist) and a friend's nickname, username or avatar. A node keeps each list it encoded
-- with the version it read *before* the list, and serves it again while a one-row read of the
-- version still finds the same number: a kept list is never older than its version, so a change
-- committed on any node is seen by the next request on every node.
CREATE TABLE contact_list_versions (
    -- No foreign key: a version outliving its account is harmless, and raising one never waits on
    -- the users row.
    user_id bigint PRIMARY KEY,
    version bigint NOT NULL
);

-- Raises the versions of `owners`, in id order: every transaction that raises several takes their
-- row locks in the same order, so two of them never deadlock on each other.
CREATE FUNCTION raise_contact_list_versions(owners bigint[]) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO contact_list_versions AS v (user_id, version)
    SELECT DISTINCT owner, 1 FROM unnest(owners) AS owner ORDER BY owner
    ON CONFLICT (user_id) DO UPDATE SET version = v.version + 1
$$;

-- Once per statement, for the owners of every row it changed.
CREATE FUNCTION friends_rows_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM raise_contact_list_versions(ARRAY(SELECT user_id FROM old_rows));
    ELSE
        PERFORM raise_contact_list_versions(ARRAY(SELECT user_id FROM new_rows));
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER friends_inserted AFTER INSERT ON friends
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION friends_rows_changed();
CREATE TRIGGER friends_updated AFTER UPDATE ON friends
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION friends_rows_changed();
CREATE TRIGGER friends_deleted AFTER DELETE ON friends
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION friends_rows_changed();

-- A user's shown name or avatar changed: every list they are on.
CREATE FUNCTION user_shown_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM raise_contact_list_versions(ARRAY(SELECT user_id FROM friends WHERE friend_id = NEW.id));
    RETURN NULL;
END
$$;

CREATE TRIGGER users_shown_changed AFTER UPDATE OF nickname, username, avatar ON users
    FOR EACH ROW
    WHEN (OLD.nickname IS DISTINCT FROM NEW.nickname OR OLD.username IS DISTINCT FROM NEW.username
        OR OLD.avatar IS DISTINCT FROM NEW.avatar)
    EXECUTE FUNCTION user_shown_changed();
