DROP TABLE IF EXISTS delivery_logs;
DROP TABLE IF EXISTS conversations;
DROP TABLE IF EXISTS events;
DROP TABLE IF EXISTS webhook_subscriptions;
