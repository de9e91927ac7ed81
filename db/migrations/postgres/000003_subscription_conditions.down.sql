ALTER TABLE webhook_subscriptions DROP COLUMN previous_secrets;
ALTER TABLE webhook_subscriptions DROP COLUMN conditions;
