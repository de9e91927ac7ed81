-- An event's position belongs to the data (see docs/event-positions.md).
-- On SQLite one transaction writes at a time, so seq already was the
-- position: it is renamed, and the former cursor's (tx, seq) is kept as
-- legacy_tx and legacy_seq so cursors of the former form resume at the
-- same place.
DROP INDEX events_position;
DROP INDEX events_conversation;
DROP INDEX events_subscription;
DROP INDEX events_untranslated;
ALTER TABLE events RENAME COLUMN seq TO position;
ALTER TABLE events DROP COLUMN tx;
ALTER TABLE events ADD COLUMN legacy_tx INTEGER;
ALTER TABLE events ADD COLUMN legacy_seq INTEGER;
UPDATE events SET legacy_tx = 0, legacy_seq = position;
CREATE INDEX events_legacy ON events (legacy_tx, legacy_seq) WHERE legacy_tx IS NOT NULL;
CREATE INDEX events_conversation ON events (conversation_id, position);
CREATE INDEX events_subscription ON events (subscription_id, position);
CREATE INDEX events_untranslated ON events (position) WHERE reason <> '';

-- event_head holds the newest position handed out; it outlives the events
-- it counted (retention may delete them), so positions never repeat.
CREATE TABLE event_head (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    position INTEGER NOT NULL
);
INSERT INTO event_head (id, position) SELECT 1, COALESCE(max(position), 0) FROM events;
