-- Outbound push: each endpoint is a reader of the event history with a
-- durable cursor of its own. Attempts above the cursor are the retry state
-- (how many, since when, next try), so a restart resumes exactly where the
-- killed process left off. The lease columns let one gateway process at a
-- time deliver to an endpoint.
CREATE TABLE webhook_endpoints (
    id               text PRIMARY KEY,
    name             text NOT NULL,
    url              text NOT NULL,
    filter           text NOT NULL DEFAULT 'null',
    ordering         text NOT NULL,
    enabled          boolean NOT NULL,
    secret           text NOT NULL,
    previous_secrets text NOT NULL DEFAULT '[]',
    timeout_ms       bigint NOT NULL,
    rate_limit       double precision NOT NULL DEFAULT 0,
    cursor_position  bigint NOT NULL DEFAULT 0,
    generation       bigint NOT NULL DEFAULT 0,
    failing          boolean NOT NULL DEFAULT false,
    failing_since    timestamptz,
    disabled_reason  text NOT NULL DEFAULT '',
    delivered        bigint NOT NULL DEFAULT 0,
    failed           bigint NOT NULL DEFAULT 0,
    lease_owner      text NOT NULL DEFAULT '',
    lease_until      timestamptz,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    created_by       text NOT NULL DEFAULT '',
    updated_by       text NOT NULL DEFAULT ''
);

CREATE TABLE webhook_attempts (
    id             bigserial PRIMARY KEY,
    endpoint_id    text NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    generation     bigint NOT NULL,
    event_id       text NOT NULL,
    event_position bigint NOT NULL,
    attempt        integer NOT NULL,
    attempted_at   timestamptz NOT NULL,
    status         integer NOT NULL DEFAULT 0,
    latency_ms     double precision NOT NULL DEFAULT 0,
    response       text NOT NULL DEFAULT '',
    error          text NOT NULL DEFAULT '',
    outcome        text NOT NULL,
    retry_at       timestamptz
);
CREATE INDEX webhook_attempts_endpoint ON webhook_attempts (endpoint_id, id);
CREATE INDEX webhook_attempts_pending ON webhook_attempts (endpoint_id, event_position);
