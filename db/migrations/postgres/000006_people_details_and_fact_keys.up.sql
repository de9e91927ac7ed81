-- People keep every detail a frontend shows: the name's parts, company,
-- picture, and every address and number the providers send. emails is a
-- JSON array, replaced whole by a newer non-empty list; phones is a JSON
-- object of numbers by kind ({"MOBILE": ["+44..."]}), merged kind by kind,
-- so that a delivery that leaves a kind out (or sends it empty) keeps the
-- number known for it.
ALTER TABLE people
    ADD COLUMN first_name text NOT NULL DEFAULT '',
    ADD COLUMN last_name  text NOT NULL DEFAULT '',
    ADD COLUMN company    text NOT NULL DEFAULT '',
    ADD COLUMN avatar_url text NOT NULL DEFAULT '',
    ADD COLUMN emails     text NOT NULL DEFAULT '[]',
    ADD COLUMN phones     text NOT NULL DEFAULT '{}';

-- A fact key names what an event reports whichever way the provider
-- delivered it (a Voxsig message through an account webhook and again
-- through an automation rule): one event per provider and fact key. Events
-- stored before this version have none, and keep their dedupe keys.
ALTER TABLE events ADD COLUMN fact_key text;
CREATE UNIQUE INDEX events_fact ON events (provider, fact_key) WHERE fact_key IS NOT NULL;
