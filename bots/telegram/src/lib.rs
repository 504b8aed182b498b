//! The Telegram channel of meja (SPEC section 5): what arrives from the Bot API turned into the
//! shared conversation's [`Input`], and the conversation's answers rendered as inline
//! keyboards. The dialogue itself lives in `meja-conversation`, shared with WhatsApp.

pub mod input;
pub mod render;

pub use meja_conversation::*;
/// The Bot API client, for the desk's polling and delivery loops.
pub use teloxide;
