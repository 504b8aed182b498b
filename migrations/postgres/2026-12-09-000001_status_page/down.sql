DROP TABLE service_alert_tickets;
DROP TABLE alerts;
DROP TABLE disruption_followers;
DROP TABLE disruption_updates;
DROP TABLE disruptions;
ALTER TABLE services DROP COLUMN alert_declares;
