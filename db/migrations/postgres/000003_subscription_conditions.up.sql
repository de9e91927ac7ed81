-- conditions: {"conditions": [...], "match": "...", "expression": "..."}.
-- previous_secrets: [{"key": "...", "expiresAt": "..."}], secrets that still
-- verify for a grace period after a rotation.
ALTER TABLE webhook_subscriptions ADD COLUMN conditions text NOT NULL DEFAULT '{}';
ALTER TABLE webhook_subscriptions ADD COLUMN previous_secrets text NOT NULL DEFAULT '[]';
