//! The e-mail channel's connections to mail servers: delivery of the outbox over SMTP and
//! intake from IMAP mailboxes. What a message means for the desk is decided in `desk::mail`.

pub mod imap_intake;
pub mod outbound;
pub mod templates;
