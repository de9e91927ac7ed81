-- API keys: only the SHA-256 of a token is stored, so a leaked database
-- leaks no usable token. A revoked key keeps its row, for the audit trail.
CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    scope        TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    hash         TEXT NOT NULL UNIQUE,
    created_at   DATETIME NOT NULL,
    created_by   TEXT NOT NULL DEFAULT '',
    revoked_at   DATETIME,
    last_used_at DATETIME
);
