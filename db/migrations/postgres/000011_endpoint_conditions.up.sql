-- conditions: {"conditions": [...], "match": "...", "expression": "..."},
-- as on webhook_subscriptions: an endpoint receives the events its filter
-- selects and its conditions pass.
ALTER TABLE webhook_endpoints ADD COLUMN conditions text NOT NULL DEFAULT '{}';
