-- People keep every detail a frontend shows: the name's parts, company,
-- picture, and every address and number the providers send. emails is a
-- JSON array, replaced whole by a newer non-empty list; phones is a JSON
-- object of numbers by kind ({"MOBILE": ["+44..."]}), merged kind by kind,
-- so that a delivery that leaves a kind out (or sends it empty) keeps the
-- number known for it.
ALTER TABLE people ADD COLUMN first_name TEXT NOT NULL DEFAULT '';
ALTER TABLE people ADD COLUMN last_name TEXT NOT NULL DEFAULT '';
ALTER TABLE people ADD COLUMN company TEXT NOT NULL DEFAULT '';
ALTER TABLE people ADD COLUMN avatar_url TEXT NOT NULL DEFAULT '';
ALTER TABLE people ADD COLUMN emails TEXT NOT NULL DEFAULT '[]';
ALTER TABLE people ADD COLUMN phones TEXT NOT NULL DEFAULT '{}';

-- A fact key names what an event reports whichever way the provider
-- delivered it (a Voxsig message through an account webhook and again
-- through an automation rule): one event per provider and fact key. Events
-- stored before this version have none, and keep their dedupe keys.
ALTER TABLE events ADD COLUMN fact_key TEXT;
CREATE UNIQUE INDEX events_fact ON events (provider, fact_key) WHERE fact_key IS NOT NULL;
