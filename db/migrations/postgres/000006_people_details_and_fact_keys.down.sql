DROP INDEX events_fact;
ALTER TABLE events DROP COLUMN fact_key;
ALTER TABLE people
    DROP COLUMN phones,
    DROP COLUMN emails,
    DROP COLUMN avatar_url,
    DROP COLUMN company,
    DROP COLUMN last_name,
    DROP COLUMN first_name;
