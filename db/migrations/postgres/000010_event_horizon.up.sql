-- event_horizon records how far retention has pruned the history: the
-- events at or before position are removed, and the payloads at or before
-- payload_position are emptied (an empty payload is a removed one). It is
-- moved forward in the transaction that prunes, so a reader that reads it
-- after its events knows whether any event after its cursor was removed:
-- a cursor older than position is answered CURSOR_EXPIRED, never with a
-- silent gap. Nothing refers to events by a foreign key: conversations,
-- people and messages keep their latest state when their events go.
CREATE TABLE event_horizon (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    position         bigint NOT NULL,
    payload_position bigint NOT NULL
);
INSERT INTO event_horizon (id, position, payload_position) VALUES (1, 0, 0);
