//! Personal data of requesters (SPEC 6; UU 27/2022 on Pelindungan Data Pribadi): everything the
//! desk holds about one citizen is found by e-mail address, telephone number, Telegram chat or a
//! ticket number, handed over as one ZIP (Pasal 7 and 32: access and a copy; Pasal 13: in a
//! common machine-readable format) and erased on request (Pasal 8 and 43) or when the retention
//! period has passed (Pasal 44). The tickets stay, without the identity, so the periodic
//! reports keep their numbers.
//!
//! Who may: supervisors and admins only — Diskominfo acts for the data controller (the city);
//! a unit's desk does not hand out or erase a citizen's data on its own.

pub mod anonymise;
pub mod export;
pub mod retention;

use serde::Deserialize;

use super::catalog::check_email;
use super::{DeskError, DeskResult};
use crate::db::personal_data::{self as db, HeldRequester};
use crate::db::{catalog as catalog_db, tickets as tickets_db, DbConn};
use crate::domain::role::{Actor, Role};

/// The name an anonymised requester keeps: tickets still need someone to have reported them.
pub const ANONYMOUS_NAME: &str = "Pelapor dianonimkan";
/// The title and the text of a requester's own words once erased.
pub const REDACTED_TITLE: &str = "Laporan (data pribadi pelapor dianonimkan)";
pub const REDACTED_TEXT: &str = "[dihapus: data pribadi pelapor dianonimkan]";
/// What replaces a requester's name, address or number inside other people's text.
pub const REDACTED_WORD: &str = "[dianonimkan]";

/// How the requester is named in a request: exactly one of the four.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lookup {
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub telegram_id: Option<String>,
    #[serde(default)]
    pub ticket: Option<String>,
}

/// The one key of a [`Lookup`], checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    Email(String),
    Phone(String),
    TelegramId(String),
    Ticket(String),
}

impl Key {
    /// The field it came from (for the audit log: which kind of key, never its value).
    pub fn field(&self) -> &'static str {
        match self {
            Key::Email(_) => "email",
            Key::Phone(_) => "phone",
            Key::TelegramId(_) => "telegram_id",
            Key::Ticket(_) => "ticket",
        }
    }
}

impl Lookup {
    pub fn key(&self) -> DeskResult<Key> {
        let given: Vec<(&'static str, String)> = [
            ("email", &self.email),
            ("phone", &self.phone),
            ("telegram_id", &self.telegram_id),
            ("ticket", &self.ticket),
        ]
        .into_iter()
        .filter_map(|(field, value)| {
            value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(|v| (field, v.to_string()))
        })
        .collect();
        let (field, value) = match given.as_slice() {
            [] => {
                return Err(DeskError::invalid(
                    "email",
                    "name the requester: one of email, phone, telegram_id or ticket",
                ))
            }
            [one] => one.clone(),
            [_, second, ..] => {
                return Err(DeskError::invalid(second.0, "give only one of email, phone, telegram_id or ticket"))
            }
        };
        match field {
            "email" => {
                check_email("email", &value)?;
                Ok(Key::Email(value.to_lowercase()))
            }
            "phone" => {
                let digits = phone_digits(&value);
                let ok = value.len() <= 20
                    && digits.len() >= 5
                    && value.chars().all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' ' | '(' | ')'));
                if !ok {
                    return Err(DeskError::invalid("phone", "is not a telephone number"));
                }
                Ok(Key::Phone(value))
            }
            "telegram_id" => {
                if value.len() > 32 || !value.chars().all(|c| c.is_ascii_digit() || c == '-') {
                    return Err(DeskError::invalid("telegram_id", "is not a Telegram chat id"));
                }
                Ok(Key::TelegramId(value))
            }
            _ => {
                if value.len() > 40 || !value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                    return Err(DeskError::invalid("ticket", "is not a ticket number"));
                }
                Ok(Key::Ticket(value.to_ascii_uppercase()))
            }
        }
    }
}

/// The digits of a telephone number with the country code folded into the trunk prefix, so
/// that `+62 812-3456-789` and `0812 3456 789` are the same number.
pub fn phone_digits(phone: &str) -> String {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    match digits.strip_prefix("62") {
        Some(rest) if phone.trim_start().starts_with('+') || digits.len() > 11 => format!("0{rest}"),
        _ => digits,
    }
}

/// Supervisors and admins only; `None` is the operator at the command line.
pub fn may_handle(actor: Option<&Actor>) -> DeskResult<()> {
    match actor {
        Some(a) if !matches!(a.role, Role::Supervisor | Role::Admin) => Err(DeskError::Forbidden(
            "personal data of requesters is handled by supervisors and admins (Diskominfo) only".into(),
        )),
        _ => Ok(()),
    }
}

/// The requester records a key names: all records with that address, number or chat (one
/// citizen may have several: a telephone ticket records a caller anew each time), or the
/// requester of that ticket.
pub fn find(conn: &mut DbConn, key: &Key) -> DeskResult<Vec<HeldRequester>> {
    let found = match key {
        Key::Email(email) => db::requesters_by_email(conn, email)?,
        Key::TelegramId(chat) => db::requesters_by_telegram(conn, chat)?,
        Key::Phone(phone) => {
            let wanted = phone_digits(phone);
            let ids: Vec<String> = db::requester_phones(conn)?
                .into_iter()
                .filter(|(_, p)| phone_digits(p) == wanted)
                .map(|(id, _)| id)
                .collect();
            db::requesters_by_ids(conn, &ids)?
        }
        Key::Ticket(number) => match tickets_db::by_number(conn, number)? {
            Some(ticket) => db::requesters_by_ids(conn, std::slice::from_ref(&ticket.requester_id))?,
            None => Vec::new(),
        },
    };
    if found.is_empty() {
        // The value is not repeated back: it may be somebody's address.
        return Err(DeskError::not_found("requester", format!("with this {}", key.field())));
    }
    Ok(found)
}

/// The words that identify these requesters inside free text written by others (a staff reply
/// that greets them by name, a note that quotes their number): names, addresses, numbers and
/// chat ids, longest first; and the same for a citizen's own account.
pub fn identifiers(conn: &mut DbConn, requesters: &[HeldRequester]) -> DeskResult<Vec<Needle>> {
    let mut needles = Vec::new();
    let add_name = |needles: &mut Vec<Needle>, name: &str| {
        let name = name.trim();
        if name.is_empty() || name == ANONYMOUS_NAME {
            return;
        }
        needles.push(Needle { text: name.to_string(), whole_word: true });
        // Parts of a name ("Pak Budi"): whole words of four letters or more.
        for part in name.split_whitespace().filter(|p| p.chars().count() >= 4) {
            needles
                .push(Needle { text: part.trim_matches(|c: char| !c.is_alphanumeric()).to_string(), whole_word: true });
        }
    };
    for r in requesters {
        add_name(&mut needles, &r.row.name);
        if let Some(email) = &r.row.email {
            needles.push(Needle { text: email.clone(), whole_word: false });
        }
        if let Some(phone) = &r.row.phone {
            needles.push(Needle { text: phone.clone(), whole_word: false });
            let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
            if digits.len() >= 6 {
                needles.push(Needle { text: digits, whole_word: false });
            }
        }
        if let Some(chat) = r.row.telegram_id.as_ref().filter(|c| c.len() >= 5) {
            needles.push(Needle { text: chat.clone(), whole_word: true });
        }
        if let Some(user) = r.row.user_id.as_deref().map(|id| catalog_db::user_by_id(conn, id)).transpose()?.flatten() {
            if user.role == Role::Requester.as_str() {
                add_name(&mut needles, &user.name);
                if let Some(email) = &user.email {
                    needles.push(Needle { text: email.clone(), whole_word: false });
                }
            }
        }
    }
    needles.retain(|n| n.text.chars().count() >= 3);
    needles.sort_by(|a, b| b.text.len().cmp(&a.text.len()).then(a.text.cmp(&b.text)));
    needles.dedup_by(|a, b| a.text.eq_ignore_ascii_case(&b.text));
    Ok(needles)
}

/// One identifying word to take out of text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Needle {
    pub text: String,
    /// Names match whole words only ("Sari" not inside "Sarinah"); addresses and numbers anywhere.
    pub whole_word: bool,
}

/// `text` with every needle replaced by [`REDACTED_WORD`], ignoring ASCII case.
pub fn redact(text: &str, needles: &[Needle]) -> String {
    let mut out = text.to_string();
    for needle in needles {
        out = replace_ignoring_case(&out, &needle.text, needle.whole_word);
    }
    out
}

fn replace_ignoring_case(text: &str, needle: &str, whole_word: bool) -> String {
    let needle = needle.to_ascii_lowercase();
    if needle.is_empty() {
        return text.to_string();
    }
    // ASCII lower-casing keeps every byte offset, so positions found in `lower` hold in `text`.
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let (mut copied, mut from) = (0, 0);
    while let Some(found) = lower[from..].find(&needle) {
        let start = from + found;
        let end = start + needle.len();
        let alone = !whole_word
            || (!text[..start].chars().next_back().is_some_and(char::is_alphanumeric)
                && !text[end..].chars().next().is_some_and(char::is_alphanumeric));
        if alone {
            out.push_str(&text[copied..start]);
            out.push_str(REDACTED_WORD);
            copied = end;
            from = end;
        } else {
            from = start + lower[start..].chars().next().map_or(1, char::len_utf8);
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// The WhatsApp contacts that write (or wrote) from the requesters' numbers.
pub(crate) fn whatsapp_contacts_of(
    conn: &mut crate::db::DbConn,
    phones: impl Iterator<Item = String>,
) -> diesel::QueryResult<Vec<crate::db::whatsapp::ContactRow>> {
    let phones: Vec<String> = phones.filter_map(|p| crate::domain::phone::e164(&p)).collect();
    if phones.is_empty() {
        return Ok(Vec::new());
    }
    crate::db::whatsapp::all_contacts_of_phones(conn, &phones)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn needle(text: &str, whole_word: bool) -> Needle {
        Needle { text: text.into(), whole_word }
    }

    #[test]
    fn names_addresses_and_numbers_leave_free_text() {
        let needles = [needle("Dewi Lestari", true), needle("Lestari", true), needle("dewi@example.com", false)];
        assert_eq!(
            redact("Selamat pagi Ibu DEWI LESTARI, kami kirim ke Dewi@Example.com.", &needles),
            "Selamat pagi Ibu [dianonimkan], kami kirim ke [dianonimkan]."
        );
        // Whole words only for names; non-ASCII text around them survives.
        assert_eq!(
            redact("Lestarikan budaya, ibu Lestari — café", &needles),
            "Lestarikan budaya, ibu [dianonimkan] — café"
        );
        assert_eq!(redact("tanpa nama", &needles), "tanpa nama");
    }

    #[test]
    fn one_key_at_a_time() {
        let both = Lookup { email: Some("a@b.id".into()), ticket: Some("SD-2026-000001".into()), ..Lookup::default() };
        assert!(matches!(both.key(), Err(DeskError::Invalid { field, .. }) if field == "ticket"));
        assert!(matches!(Lookup::default().key(), Err(DeskError::Invalid { .. })));
        let phone = Lookup { phone: Some("+62 812-3456-7890".into()), ..Lookup::default() };
        assert_eq!(phone.key().ok(), Some(Key::Phone("+62 812-3456-7890".into())));
        assert_eq!(phone_digits("+62 812-3456-7890"), phone_digits("0812 3456 7890"));
        let bad = Lookup { email: Some("bukan alamat".into()), ..Lookup::default() };
        assert!(matches!(bad.key(), Err(DeskError::Invalid { field, .. }) if field == "email"));
    }
}
