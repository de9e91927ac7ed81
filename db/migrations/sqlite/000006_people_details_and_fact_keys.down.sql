DROP INDEX events_fact;
ALTER TABLE events DROP COLUMN fact_key;
ALTER TABLE people DROP COLUMN phones;
ALTER TABLE people DROP COLUMN emails;
ALTER TABLE people DROP COLUMN avatar_url;
ALTER TABLE people DROP COLUMN company;
ALTER TABLE people DROP COLUMN last_name;
ALTER TABLE people DROP COLUMN first_name;
