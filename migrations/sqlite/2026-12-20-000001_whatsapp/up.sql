-- The WhatsApp channel (issue 16). One row per WhatsApp contact: the number Meta reports
-- (`wa_id`), the E.164 number it stands for (one requester with the portal and the phone), the
-- conversation state, the 24-hour window (the contact's last message), and BERHENTI.
CREATE TABLE whatsapp_contacts (
    wa_id TEXT PRIMARY KEY NOT NULL,
    phone TEXT NOT NULL,
    name TEXT NOT NULL,
    dialogue TEXT NOT NULL,
    last_inbound_at TIMESTAMP NULL,
    opted_out_at TIMESTAMP NULL,
    -- A contact that changed number (Meta's `system` message) points to its new wa_id.
    moved_to TEXT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX whatsapp_contacts_by_phone ON whatsapp_contacts (phone);
-- Every message id seen or sent: inbound ids make a resent webhook a no-op; outbound ids tie a
-- quoted reply to its ticket and a status callback to its outbox row.
CREATE TABLE whatsapp_messages (
    id TEXT PRIMARY KEY NOT NULL,
    wa_id TEXT NOT NULL,
    inbound BOOLEAN NOT NULL,
    ticket_id TEXT NULL,
    outbox_id TEXT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX whatsapp_messages_by_outbox ON whatsapp_messages (outbox_id);
-- What the far side said of a delivered notice (WhatsApp: sent, delivered, read, failed).
ALTER TABLE outbox ADD COLUMN remote_id TEXT NULL;
ALTER TABLE outbox ADD COLUMN remote_status TEXT NULL;
ALTER TABLE outbox ADD COLUMN remote_status_at TIMESTAMP NULL;
