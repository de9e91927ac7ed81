DROP TABLE IF EXISTS messages;
DROP TABLE IF EXISTS people;
DROP INDEX IF EXISTS events_untranslated;
ALTER TABLE events DROP COLUMN message_id;
CREATE TABLE conversations_old (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT NOT NULL UNIQUE,
    provider        TEXT NOT NULL,
    external_id     TEXT NOT NULL,
    kind            TEXT NOT NULL,
    status          TEXT NOT NULL,
    provider_status TEXT,
    channel         TEXT,
    subject         TEXT,
    created_at      DATETIME NOT NULL,
    updated_at      DATETIME NOT NULL,
    state_at        DATETIME NOT NULL,
    UNIQUE (provider, external_id)
);
INSERT INTO conversations_old (seq, id, provider, external_id, kind, status, provider_status, channel, subject, created_at, updated_at, state_at)
    SELECT seq, id, provider, external_id, kind, status, provider_status, channel, subject, created_at, updated_at, state_at FROM conversations;
DROP TABLE conversations;
ALTER TABLE conversations_old RENAME TO conversations;
