-- Back to (tx, seq) positions. Events appended since the upgrade take tx 0
-- ahead of nothing: they are numbered after every legacy event by seq.
DROP TABLE event_head;
DROP INDEX events_untranslated;
DROP INDEX events_subscription;
DROP INDEX events_conversation;
DROP INDEX events_legacy;
ALTER TABLE events DROP CONSTRAINT events_pkey;
UPDATE events SET legacy_tx = (SELECT COALESCE(max(legacy_tx), 0) FROM events), legacy_seq = position
    WHERE legacy_tx IS NULL;
CREATE SEQUENCE events_seq_seq OWNED BY events.legacy_seq;
SELECT setval('events_seq_seq', GREATEST((SELECT COALESCE(max(legacy_seq), 0) FROM events), 1));
ALTER TABLE events RENAME COLUMN legacy_tx TO tx;
ALTER TABLE events RENAME COLUMN legacy_seq TO seq;
ALTER TABLE events ALTER COLUMN tx SET NOT NULL, ALTER COLUMN tx SET DEFAULT (pg_current_xact_id()::text::bigint);
ALTER TABLE events ALTER COLUMN seq SET NOT NULL, ALTER COLUMN seq SET DEFAULT nextval('events_seq_seq');
ALTER TABLE events DROP COLUMN position;
ALTER TABLE events ADD PRIMARY KEY (tx, seq);
CREATE INDEX events_conversation ON events (conversation_id, tx, seq);
CREATE INDEX events_subscription ON events (subscription_id, tx, seq);
CREATE INDEX events_untranslated ON events (tx, seq) WHERE reason <> '';
