//! Human ticket numbers: `<PREFIX>-<YYYY>-<NNNNNN>`, the sequence restarting each year.

pub const DEFAULT_PREFIX: &str = "SD";

pub fn format_number(prefix: &str, year: i32, seq: i64) -> String {
    format!("{}{seq:06}", number_stem(prefix, year))
}

/// A number without its sequence value, `<PREFIX>-<YYYY>-`: on PostgreSQL the database
/// completes it as the ticket is inserted (migration `2026-12-21-000001_write_path`).
pub fn number_stem(prefix: &str, year: i32) -> String {
    format!("{prefix}-{year:04}-")
}

/// True when `text` has the shape of a ticket number (any prefix of 1–10 capitals).
pub fn looks_like_number(text: &str) -> bool {
    let mut parts = text.split('-');
    let (Some(prefix), Some(year), Some(seq), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    (1..=10).contains(&prefix.len())
        && prefix.bytes().all(|b| b.is_ascii_uppercase())
        && year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && seq.len() >= 6
        && seq.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_recognises_numbers() {
        assert_eq!(format_number("SD", 2026, 42), "SD-2026-000042");
        assert_eq!(format_number("SD", 2027, 1_234_567), "SD-2027-1234567");
        assert!(looks_like_number("SD-2026-000042"));
        assert!(!looks_like_number("SD-26-000042"));
        assert!(!looks_like_number("sd-2026-000042"));
        assert!(!looks_like_number("SD-2026-42"));
        assert!(!looks_like_number("SD-2026-000042-1"));
    }
}
