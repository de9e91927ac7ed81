-- An event's position belongs to the data: a number stored with the event,
-- handed out in commit order by writers that hold the lock on the one
-- event_head row until they commit (see docs/event-positions.md). It keeps
-- its meaning after pg_dump/restore into another cluster and through
-- logical replication, which transaction ids (the former tx column) do not.
--
-- Existing events are numbered in their former (tx, seq) order; tx and seq
-- stay as legacy_tx and legacy_seq so cursors of the former form resume at
-- the same place.
ALTER TABLE events DROP CONSTRAINT events_pkey;
ALTER TABLE events RENAME COLUMN tx TO legacy_tx;
ALTER TABLE events RENAME COLUMN seq TO legacy_seq;
ALTER TABLE events ALTER COLUMN legacy_tx DROP DEFAULT, ALTER COLUMN legacy_tx DROP NOT NULL;
ALTER TABLE events ALTER COLUMN legacy_seq DROP DEFAULT, ALTER COLUMN legacy_seq DROP NOT NULL;
DROP SEQUENCE events_seq_seq;
ALTER TABLE events ADD COLUMN position bigint;
UPDATE events SET position = numbered.n
    FROM (SELECT legacy_tx, legacy_seq, row_number() OVER (ORDER BY legacy_tx, legacy_seq) AS n FROM events) AS numbered
    WHERE events.legacy_tx = numbered.legacy_tx AND events.legacy_seq = numbered.legacy_seq;
ALTER TABLE events ALTER COLUMN position SET NOT NULL;
ALTER TABLE events ADD PRIMARY KEY (position);
CREATE INDEX events_legacy ON events (legacy_tx, legacy_seq) WHERE legacy_tx IS NOT NULL;
DROP INDEX events_conversation;
CREATE INDEX events_conversation ON events (conversation_id, position);
DROP INDEX events_subscription;
CREATE INDEX events_subscription ON events (subscription_id, position);
DROP INDEX events_untranslated;
CREATE INDEX events_untranslated ON events (position) WHERE reason <> '';

-- event_head holds the newest position handed out. Its row is the writers'
-- lock: taken first in every transaction that appends events, held until
-- the commit, so positions are handed out in commit order. It outlives the
-- events it counted (retention may delete them), so positions never repeat.
CREATE TABLE event_head (
    id       integer PRIMARY KEY CHECK (id = 1),
    position bigint NOT NULL
);
INSERT INTO event_head (id, position) SELECT 1, COALESCE(max(position), 0) FROM events;
