-- SQLite cannot change a table's constraints: the conversations table is
-- rebuilt with its new identity (provider, account, external_id).
CREATE TABLE conversations_new (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT NOT NULL UNIQUE,
    provider        TEXT NOT NULL,
    account         TEXT NOT NULL DEFAULT '',
    external_id     TEXT NOT NULL,
    kind            TEXT NOT NULL,
    status          TEXT NOT NULL,
    provider_status TEXT,
    channel         TEXT,
    subject         TEXT,
    created_at      DATETIME NOT NULL,
    updated_at      DATETIME NOT NULL,
    state_at        DATETIME NOT NULL,
    requester_id    TEXT,
    assignee_id     TEXT,
    assignee_at     DATETIME NOT NULL DEFAULT '0001-01-01 00:00:00+00:00',
    merge_state     TEXT NOT NULL DEFAULT '{}',
    tags            TEXT NOT NULL DEFAULT '[]',
    UNIQUE (provider, account, external_id)
);
INSERT INTO conversations_new (seq, id, provider, external_id, kind, status, provider_status, channel, subject, created_at, updated_at, state_at)
    SELECT seq, id, provider, external_id, kind, status, provider_status, channel, subject, created_at, updated_at, state_at FROM conversations;
DROP TABLE conversations;
ALTER TABLE conversations_new RENAME TO conversations;

ALTER TABLE events ADD COLUMN message_id TEXT;
CREATE INDEX events_untranslated ON events (tx, seq) WHERE reason <> '';

CREATE TABLE people (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL UNIQUE,
    provider    TEXT NOT NULL,
    account     TEXT NOT NULL DEFAULT '',
    external_id TEXT NOT NULL,
    role        TEXT NOT NULL,
    name        TEXT NOT NULL DEFAULT '',
    email       TEXT NOT NULL DEFAULT '',
    phone       TEXT NOT NULL DEFAULT '',
    deleted     BOOLEAN NOT NULL DEFAULT 0,
    created_at  DATETIME NOT NULL,
    updated_at  DATETIME NOT NULL
);
CREATE INDEX people_role ON people (role, seq);

CREATE TABLE messages (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT NOT NULL UNIQUE,
    conversation_id TEXT,
    provider        TEXT NOT NULL,
    external_id     TEXT NOT NULL,
    direction       TEXT NOT NULL DEFAULT '',
    private         BOOLEAN NOT NULL DEFAULT 0,
    content         TEXT NOT NULL DEFAULT '',
    content_type    TEXT NOT NULL DEFAULT '',
    author_id       TEXT,
    created_at      DATETIME NOT NULL,
    updated_at      DATETIME NOT NULL
);
CREATE INDEX messages_conversation ON messages (conversation_id, created_at, seq);
