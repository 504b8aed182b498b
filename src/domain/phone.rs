//! Telephone numbers in one form (E.164, `+62812…`), so that the number a citizen types on the
//! portal, the one an agent takes down on the phone and the one WhatsApp reports are one
//! requester. Parsing is libphonenumber's (the `phonenumber` crate); numbers without a country
//! code are Indonesian.

use phonenumber::country::Id;
use phonenumber::Mode;

/// `0812-3456-7890`, `62 812 3456 7890`, `+62 (812) 3456-7890` → `+6281234567890`; `None` for
/// what is not a telephone number anywhere.
pub fn e164(text: &str) -> Option<String> {
    let trimmed = text.trim();
    if trimmed.is_empty() || trimmed.len() > 32 {
        return None;
    }
    // WhatsApp's wa_id and people alike write the country code without its plus.
    let digits_only = trimmed.chars().all(|c| c.is_ascii_digit());
    let candidates: Vec<String> = if digits_only && !trimmed.starts_with('0') {
        vec![format!("+{trimmed}"), trimmed.to_string()]
    } else {
        vec![trimmed.to_string()]
    };
    candidates.iter().find_map(|candidate| {
        let number = phonenumber::parse(Some(Id::ID), candidate).ok()?;
        phonenumber::is_valid(&number).then(|| number.format().mode(Mode::E164).to_string())
    })
}

/// The ways people write an E.164 number once spaces, dashes, dots and brackets are left out:
/// as is, without the plus, and (Indonesian numbers) with the trunk 0. Stored numbers are kept
/// as they were written, so lookups compare these with the stored number stripped the same way
/// ([`sql_matches`]).
pub fn stored_forms(e164: &str) -> Vec<String> {
    let bare = e164.trim_start_matches('+').to_string();
    let mut forms = vec![e164.to_string(), bare.clone()];
    if let Some(national) = bare.strip_prefix("62") {
        forms.push(format!("0{national}"));
    }
    forms
}

/// An SQL condition (SQLite and PostgreSQL alike) that `column`, with spaces, dashes, dots and
/// brackets left out, is one of `forms`. Only digits and `+` reach the SQL text: anything else
/// in a form makes the condition false.
pub fn sql_matches(column: &str, forms: &[String]) -> String {
    let safe: Vec<String> = forms
        .iter()
        .filter(|f| !f.is_empty() && f.chars().all(|c| c.is_ascii_digit() || c == '+'))
        .map(|f| format!("'{f}'"))
        .collect();
    if safe.is_empty() {
        return "1 = 0".into();
    }
    let mut stripped = column.to_string();
    for c in [" ", "-", ".", "(", ")"] {
        stripped = format!("REPLACE({stripped}, '{c}', '')");
    }
    format!("{stripped} IN ({})", safe.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_form_for_every_way_of_writing_it() {
        for written in ["0812-3456-7890", "6281234567890", "+62 812-3456-7890", "+62 (812) 3456 7890", " 081234567890 "]
        {
            assert_eq!(e164(written).as_deref(), Some("+6281234567890"), "{written}");
        }
        assert_eq!(e164("+1 202 555 0143").as_deref(), Some("+12025550143"));
        assert_eq!(e164("12025550143").as_deref(), Some("+12025550143"), "a wa_id from abroad");
        assert_eq!(e164("halo"), None);
        assert_eq!(e164("123"), None);
        assert_eq!(stored_forms("+6281234567890"), vec!["+6281234567890", "6281234567890", "081234567890"]);
    }
}
