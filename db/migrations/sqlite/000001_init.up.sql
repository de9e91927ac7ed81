CREATE TABLE webhook_subscriptions (
    id                TEXT PRIMARY KEY,
    provider          TEXT NOT NULL,
    name              TEXT NOT NULL,
    subscribed_events TEXT NOT NULL DEFAULT '[]',
    secret_key        TEXT NOT NULL DEFAULT '',
    auth_type         TEXT NOT NULL DEFAULT 'NONE',
    auth_username     TEXT NOT NULL DEFAULT '',
    auth_salt         TEXT NOT NULL DEFAULT '',
    auth_hash         TEXT NOT NULL DEFAULT '',
    enabled           BOOLEAN NOT NULL DEFAULT 1,
    created_at        DATETIME NOT NULL,
    updated_at        DATETIME NOT NULL,
    created_by        TEXT NOT NULL DEFAULT '',
    updated_by        TEXT NOT NULL DEFAULT ''
);

-- One process writes at a time, so seq alone orders commits; tx stays 0.
CREATE TABLE events (
    seq                 INTEGER PRIMARY KEY AUTOINCREMENT,
    tx                  INTEGER NOT NULL DEFAULT 0,
    id                  TEXT NOT NULL UNIQUE,
    provider            TEXT NOT NULL,
    type                TEXT NOT NULL,
    provider_event_type TEXT NOT NULL,
    dedupe_key          TEXT NOT NULL,
    subscription_id     TEXT NOT NULL,
    conversation_id     TEXT,
    occurred_at         DATETIME NOT NULL,
    received_at         DATETIME NOT NULL,
    reason              TEXT NOT NULL DEFAULT '',
    payload             BLOB NOT NULL
);
CREATE UNIQUE INDEX events_dedupe ON events (provider, dedupe_key);
CREATE INDEX events_position ON events (tx, seq);
CREATE INDEX events_conversation ON events (conversation_id, tx, seq);
CREATE INDEX events_subscription ON events (subscription_id, tx, seq);

CREATE TABLE conversations (
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

CREATE TABLE delivery_logs (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    subscription_id TEXT NOT NULL,
    event           TEXT NOT NULL DEFAULT '',
    outcome         TEXT NOT NULL,
    delivered_at    DATETIME NOT NULL,
    success         BOOLEAN NOT NULL,
    response_code   INTEGER NOT NULL,
    response_text   TEXT NOT NULL,
    payload         BLOB NOT NULL
);
CREATE INDEX delivery_logs_subscription ON delivery_logs (subscription_id, id);
CREATE INDEX delivery_logs_subscription_event ON delivery_logs (subscription_id, event, id);
