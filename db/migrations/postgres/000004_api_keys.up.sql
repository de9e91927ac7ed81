-- API keys: only the SHA-256 of a token is stored, so a leaked database
-- leaks no usable token. A revoked key keeps its row, for the audit trail.
CREATE TABLE api_keys (
    id           text PRIMARY KEY,
    name         text NOT NULL,
    scope        text NOT NULL,
    prefix       text NOT NULL,
    hash         text NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL,
    created_by   text NOT NULL DEFAULT '',
    revoked_at   timestamptz,
    last_used_at timestamptz
);
