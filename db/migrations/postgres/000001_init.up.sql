CREATE TABLE webhook_subscriptions (
    id                text PRIMARY KEY,
    provider          text NOT NULL,
    name              text NOT NULL,
    subscribed_events text NOT NULL DEFAULT '[]',
    secret_key        text NOT NULL DEFAULT '',
    auth_type         text NOT NULL DEFAULT 'NONE',
    auth_username     text NOT NULL DEFAULT '',
    auth_salt         text NOT NULL DEFAULT '',
    auth_hash         text NOT NULL DEFAULT '',
    enabled           boolean NOT NULL DEFAULT true,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    created_by        text NOT NULL DEFAULT '',
    updated_by        text NOT NULL DEFAULT ''
);

-- Events are append-only. (tx, seq) is the stream position: tx is the id of
-- the writing transaction, so readers can take only the prefix of the
-- history that no running transaction can still add to.
CREATE TABLE events (
    seq                 bigserial NOT NULL,
    tx                  bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
    id                  text NOT NULL UNIQUE,
    provider            text NOT NULL,
    type                text NOT NULL,
    provider_event_type text NOT NULL,
    dedupe_key          text NOT NULL,
    subscription_id     text NOT NULL,
    conversation_id     text,
    occurred_at         timestamptz NOT NULL,
    received_at         timestamptz NOT NULL,
    reason              text NOT NULL DEFAULT '',
    payload             bytea NOT NULL,
    PRIMARY KEY (tx, seq)
);
CREATE UNIQUE INDEX events_dedupe ON events (provider, dedupe_key);
CREATE INDEX events_conversation ON events (conversation_id, tx, seq);
CREATE INDEX events_subscription ON events (subscription_id, tx, seq);

CREATE TABLE conversations (
    seq             bigserial NOT NULL UNIQUE,
    id              text PRIMARY KEY,
    provider        text NOT NULL,
    external_id     text NOT NULL,
    kind            text NOT NULL,
    status          text NOT NULL,
    provider_status text,
    channel         text,
    subject         text,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    state_at        timestamptz NOT NULL,
    UNIQUE (provider, external_id)
);

CREATE TABLE delivery_logs (
    id              bigserial PRIMARY KEY,
    subscription_id text NOT NULL,
    event           text NOT NULL DEFAULT '',
    outcome         text NOT NULL,
    delivered_at    timestamptz NOT NULL,
    success         boolean NOT NULL,
    response_code   integer NOT NULL,
    response_text   text NOT NULL,
    payload         bytea NOT NULL
);
CREATE INDEX delivery_logs_subscription ON delivery_logs (subscription_id, id);
CREATE INDEX delivery_logs_subscription_event ON delivery_logs (subscription_id, event, id);
