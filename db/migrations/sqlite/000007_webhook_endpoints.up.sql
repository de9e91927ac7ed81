-- Outbound push: each endpoint is a reader of the event history with a
-- durable cursor of its own. Attempts above the cursor are the retry state
-- (how many, since when, next try), so a restart resumes exactly where the
-- killed process left off. The lease columns let one gateway process at a
-- time deliver to an endpoint.
CREATE TABLE webhook_endpoints (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    url              TEXT NOT NULL,
    filter           TEXT NOT NULL DEFAULT 'null',
    ordering         TEXT NOT NULL,
    enabled          BOOLEAN NOT NULL,
    secret           TEXT NOT NULL,
    previous_secrets TEXT NOT NULL DEFAULT '[]',
    timeout_ms       INTEGER NOT NULL,
    rate_limit       REAL NOT NULL DEFAULT 0,
    cursor_position  INTEGER NOT NULL DEFAULT 0,
    generation       INTEGER NOT NULL DEFAULT 0,
    failing          BOOLEAN NOT NULL DEFAULT 0,
    failing_since    DATETIME,
    disabled_reason  TEXT NOT NULL DEFAULT '',
    delivered        INTEGER NOT NULL DEFAULT 0,
    failed           INTEGER NOT NULL DEFAULT 0,
    lease_owner      TEXT NOT NULL DEFAULT '',
    lease_until      DATETIME,
    created_at       DATETIME NOT NULL,
    updated_at       DATETIME NOT NULL,
    created_by       TEXT NOT NULL DEFAULT '',
    updated_by       TEXT NOT NULL DEFAULT ''
);

CREATE TABLE webhook_attempts (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    endpoint_id    TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    generation     INTEGER NOT NULL,
    event_id       TEXT NOT NULL,
    event_position INTEGER NOT NULL,
    attempt        INTEGER NOT NULL,
    attempted_at   DATETIME NOT NULL,
    status         INTEGER NOT NULL DEFAULT 0,
    latency_ms     REAL NOT NULL DEFAULT 0,
    response       TEXT NOT NULL DEFAULT '',
    error          TEXT NOT NULL DEFAULT '',
    outcome        TEXT NOT NULL,
    retry_at       DATETIME
);
CREATE INDEX webhook_attempts_endpoint ON webhook_attempts (endpoint_id, id);
CREATE INDEX webhook_attempts_pending ON webhook_attempts (endpoint_id, event_position);
