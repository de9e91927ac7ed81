-- Conversations are keyed by (provider, account, external_id): Dixa and
-- Voxsig ids are unique only within one organisation or account.
ALTER TABLE conversations ADD COLUMN account text NOT NULL DEFAULT '';
ALTER TABLE conversations DROP CONSTRAINT conversations_provider_external_id_key;
ALTER TABLE conversations ADD CONSTRAINT conversations_identity UNIQUE (provider, account, external_id);
ALTER TABLE conversations ADD COLUMN requester_id text;
ALTER TABLE conversations ADD COLUMN assignee_id text;
ALTER TABLE conversations ADD COLUMN assignee_at timestamptz NOT NULL DEFAULT '0001-01-01 00:00:00+00';
-- merge_state: when each tag and descriptive field was last set, so that
-- events that arrive out of order still leave the newest state.
ALTER TABLE conversations ADD COLUMN merge_state text NOT NULL DEFAULT '{}';
ALTER TABLE conversations ADD COLUMN tags text NOT NULL DEFAULT '[]';

ALTER TABLE events ADD COLUMN message_id text;
CREATE INDEX events_untranslated ON events (tx, seq) WHERE reason <> '';

CREATE TABLE people (
    seq         bigserial NOT NULL UNIQUE,
    id          text PRIMARY KEY,
    provider    text NOT NULL,
    account     text NOT NULL DEFAULT '',
    external_id text NOT NULL,
    role        text NOT NULL,
    name        text NOT NULL DEFAULT '',
    email       text NOT NULL DEFAULT '',
    phone       text NOT NULL DEFAULT '',
    deleted     boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE INDEX people_role ON people (role, seq);

CREATE TABLE messages (
    seq             bigserial NOT NULL UNIQUE,
    id              text PRIMARY KEY,
    conversation_id text,
    provider        text NOT NULL,
    external_id     text NOT NULL,
    direction       text NOT NULL DEFAULT '',
    private         boolean NOT NULL DEFAULT false,
    content         text NOT NULL DEFAULT '',
    content_type    text NOT NULL DEFAULT '',
    author_id       text,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX messages_conversation ON messages (conversation_id, created_at, seq);
