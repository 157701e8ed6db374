-- The social graph: friend requests (applies), friendships (one row per direction), tags.

CREATE TABLE applies (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE, -- who asks
    friend_id  bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE, -- who is asked
    nickname   text        NOT NULL DEFAULT '', -- the applicant's remark for the target
    lookme     smallint    NOT NULL,
    lookhim    smallint    NOT NULL,
    status     text        NOT NULL DEFAULT 'pending',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT applies_not_self CHECK (user_id <> friend_id),
    CONSTRAINT applies_nickname_length CHECK (char_length(nickname) <= 30),
    CONSTRAINT applies_lookme_check CHECK (lookme IN (0, 1)),
    CONSTRAINT applies_lookhim_check CHECK (lookhim IN (0, 1)),
    CONSTRAINT applies_status_check CHECK (status IN ('pending', 'refuse', 'agree', 'ignore'))
);

-- At most one pending apply from one user to another.
CREATE UNIQUE INDEX applies_one_pending_per_pair ON applies (user_id, friend_id) WHERE status = 'pending';
-- GET /apply/:page: the applies sent to me, newest first, and how many are pending.
CREATE INDEX applies_inbox ON applies (friend_id, id DESC);
CREATE INDEX applies_pending_inbox ON applies (friend_id) WHERE status = 'pending';

-- A friendship is two rows, one per direction; each row holds its owner's (user_id) view.
CREATE TABLE friends (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE, -- the owner
    friend_id  bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    nickname   text        NOT NULL DEFAULT '', -- the owner's remark for the friend
    lookme     smallint    NOT NULL DEFAULT 1,
    lookhim    smallint    NOT NULL DEFAULT 1,
    star       smallint    NOT NULL DEFAULT 0,
    isblack    smallint    NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    -- One friendship per ordered pair: two agrees racing can never duplicate it.
    CONSTRAINT friends_pair_key UNIQUE (user_id, friend_id),
    -- Lets friend_tags require that a tag and a friend row share their owner.
    CONSTRAINT friends_id_owner_key UNIQUE (id, user_id),
    CONSTRAINT friends_not_self CHECK (user_id <> friend_id),
    CONSTRAINT friends_nickname_length CHECK (char_length(nickname) <= 30),
    CONSTRAINT friends_lookme_check CHECK (lookme IN (0, 1)),
    CONSTRAINT friends_lookhim_check CHECK (lookhim IN (0, 1)),
    CONSTRAINT friends_star_check CHECK (star IN (0, 1)),
    CONSTRAINT friends_isblack_check CHECK (isblack IN (0, 1))
);

-- Who has me as a friend (the reverse direction of friends_pair_key).
CREATE INDEX friends_friend_id ON friends (friend_id);

-- Tags belong to their owner: two users may both have a tag named 家人.
CREATE TABLE tags (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT tags_owner_name_key UNIQUE (user_id, name),
    CONSTRAINT tags_id_owner_key UNIQUE (id, user_id),
    CONSTRAINT tags_name_length CHECK (char_length(name) BETWEEN 1 AND 30)
);

-- Which of my tags I gave a friend. The composite keys make the database refuse a tag of one
-- owner on another owner's friend row.
CREATE TABLE friend_tags (
    user_id   bigint NOT NULL,
    friend_row_id bigint NOT NULL,
    tag_id    bigint NOT NULL,
    PRIMARY KEY (friend_row_id, tag_id),
    FOREIGN KEY (friend_row_id, user_id) REFERENCES friends (id, user_id) ON DELETE CASCADE,
    FOREIGN KEY (tag_id, user_id) REFERENCES tags (id, user_id) ON DELETE CASCADE
);

CREATE INDEX friend_tags_tag_id ON friend_tags (tag_id);
