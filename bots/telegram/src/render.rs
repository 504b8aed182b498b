//! The conversation's answers as Telegram shows them: text within the message limit, choices
//! as an inline keyboard.

use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use crate::Out;

/// Telegram's limit for one message is 4,096 characters; longer text is cut with a note.
pub fn fit(text: &str) -> String {
    const LIMIT: usize = 4000;
    if text.chars().count() <= LIMIT {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(LIMIT).collect();
    cut.push_str("…\n\n(Pesan dipotong; selengkapnya di halaman tiket.)");
    cut
}

/// The choices under a message, row by row.
pub fn keyboard(out: &Out) -> Option<InlineKeyboardMarkup> {
    (!out.buttons.is_empty()).then(|| {
        InlineKeyboardMarkup::new(out.buttons.iter().map(|row| {
            row.iter().map(|b| InlineKeyboardButton::callback(b.label.clone(), b.data.clone())).collect::<Vec<_>>()
        }))
    })
}
