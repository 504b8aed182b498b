DROP INDEX webhook_deliveries_webhook;
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
