-- A subscription's version counts its writes: a write names the version
-- it read, so one that raced another is refused instead of undoing it.
ALTER TABLE webhook_subscriptions ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
