DROP TABLE ticket_incidents;
