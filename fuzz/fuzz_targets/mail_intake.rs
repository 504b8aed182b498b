//! Any bytes as an incoming e-mail: parsing, the loop-protection rules, the bounce and thread
//! references, the number in the subject and the quote cutting must never panic, and what they
//! return must hold together (`cargo +nightly fuzz run mail_intake -- -max_total_time=600`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use meja::domain::mail::{analyse, cut_quoted_reply, number_in};

fuzz_target!(|raw: &[u8]| {
    if let Ok(mail) = analyse(raw, "SD") {
        assert!(!mail.key.is_empty());
        if let Some(number) = &mail.number_in_subject {
            assert!(number.starts_with("SD-"));
            assert_eq!(number_in(&format!("[{number}]"), "SD").as_deref(), Some(number.as_str()));
        }
        if let Some(sender) = &mail.sender {
            assert!(sender.contains('@'));
        }
    }
    if let Ok(text) = std::str::from_utf8(raw) {
        let _ = number_in(text, "SD");
        let cut = cut_quoted_reply(text);
        assert!(cut.len() <= text.len());
    }
});
