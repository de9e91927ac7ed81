DROP INDEX events_corrects;
ALTER TABLE events DROP COLUMN corrects;
ALTER TABLE conversations DROP COLUMN origin;
ALTER TABLE conversations DROP COLUMN inbox;
ALTER TABLE conversations DROP COLUMN queue;
