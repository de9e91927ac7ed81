-- Conditions on live streams test the conversation's stored state, so it
-- keeps the routing facts conditions name: queue, inbox and the origin of
-- its latest event.
ALTER TABLE conversations ADD COLUMN queue text;
ALTER TABLE conversations ADD COLUMN inbox text;
ALTER TABLE conversations ADD COLUMN origin text;

-- A re-translation is appended as a new event naming the one it corrects.
ALTER TABLE events ADD COLUMN corrects text;
CREATE INDEX events_corrects ON events (corrects) WHERE corrects IS NOT NULL;
