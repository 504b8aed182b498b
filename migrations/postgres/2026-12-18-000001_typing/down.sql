DROP TABLE ticket_typing;
