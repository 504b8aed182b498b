//! Bulk onboarding: a city's units, services and staff from CSV files (`meja import`, the
//! admin console's upload, `POST /api/v1/import/{kind}`). Every line is checked first and every
//! bad one is named with its line (the header is line 1) and field; only a file without a bad
//! line is written, all of it in one transaction, each row with its audit event. A password is
//! never in the file: imported people get a single-use link to choose theirs (when they have an
//! address), or sign in through the directory (`sign_in` column `ldap` or `oidc`).
//!
//! Columns (header names, any order; extra columns are refused so a typo is not ignored):
//! units `code,name,tier2`; services `code,name,unit`; users
//! `username,name,email,phone,role,unit,nip` and optionally `sign_in`.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use serde_json::json;

use super::catalog::{self, NewService, NewUnit};
use super::directory::NO_LOCAL_PASSWORD;
use super::{new_id, Desk, DeskError, DeskResult, Tx};
use crate::db::catalog::{self as db, UserRow};
use crate::domain::role::{Actor, Role};

/// Lines one file may hold: a city has tens of units and thousands of staff, not more.
pub const MAX_LINES: usize = 20_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Units,
    Services,
    Users,
}

impl Kind {
    pub fn parse(text: &str) -> Option<Kind> {
        match text {
            "units" | "unit" => Some(Kind::Units),
            "services" | "service" => Some(Kind::Services),
            "users" | "user" => Some(Kind::Users),
            _ => None,
        }
    }

    fn columns(self) -> (&'static [&'static str], &'static [&'static str]) {
        // (required, optional)
        match self {
            Kind::Units => (&["code", "name"], &["tier2", "email"]),
            Kind::Services => (&["code", "name", "unit"], &[]),
            Kind::Users => (&["username", "name", "role"], &["email", "phone", "unit", "nip", "sign_in", "language"]),
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct LineError {
    /// The line in the file, the header being line 1.
    pub line: usize,
    pub field: String,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    pub kind: Kind,
    /// Data lines read (the header not counted).
    pub lines: usize,
    /// Every bad line and field; empty when the file can be imported.
    pub errors: Vec<LineError>,
    /// Whether the rows were written (never with errors, never for a preview).
    pub applied: bool,
    pub created: usize,
    /// Imported people who were sent a link to choose their password.
    pub invited: usize,
}

/// One data line: its number and its cells by column name.
struct Line {
    number: usize,
    cells: Vec<(String, String)>,
}

impl Line {
    fn get(&self, column: &str) -> Option<&str> {
        self.cells.iter().find(|(c, _)| c == column).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
    }
}

fn line_error(line: usize, field: &str, detail: impl Into<String>) -> LineError {
    LineError { line, field: field.into(), detail: detail.into() }
}

/// Reads the file: its header against the kind's columns, then every line as text cells.
fn read(kind: Kind, text: &str) -> Result<Vec<Line>, Vec<LineError>> {
    let text = text.trim_start_matches('\u{feff}');
    // Spreadsheets in Indonesian locales save CSV with semicolons.
    let first_line = text.lines().next().unwrap_or("");
    let delimiter = if first_line.matches(';').count() > first_line.matches(',').count() { b';' } else { b',' };
    let mut reader =
        csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|c| c.trim().to_lowercase()).collect(),
        Err(e) => return Err(vec![line_error(1, "header", format!("unreadable: {e}"))]),
    };
    let (required, optional) = kind.columns();
    let mut errors = Vec::new();
    for column in required {
        if !header.iter().any(|h| h == column) {
            errors.push(line_error(1, column, "column missing from the header"));
        }
    }
    for (i, column) in header.iter().enumerate() {
        if !required.contains(&column.as_str()) && !optional.contains(&column.as_str()) {
            let known = [required, optional].concat().join(", ");
            errors.push(line_error(1, column, format!("unknown column (the columns are {known})")));
        } else if header[..i].contains(column) {
            errors.push(line_error(1, column, "column given twice"));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut lines = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let number = i + 2;
        if number > MAX_LINES + 1 {
            errors.push(line_error(number, "file", format!("more than {MAX_LINES} lines; split the file")));
            break;
        }
        // The line the record starts on, blank lines and quoted line breaks counted.
        let number = match &record {
            Ok(r) => r.position().map_or(number, |p| line_of_byte(text, p.byte() as usize)),
            Err(_) => number,
        };
        match record {
            Ok(r) if r.iter().all(|c| c.is_empty()) => {}
            Ok(r) if r.len() != header.len() => errors.push(line_error(
                number,
                "line",
                format!("has {} fields where the header has {}", r.len(), header.len()),
            )),
            Ok(r) => {
                lines.push(Line { number, cells: header.iter().cloned().zip(r.iter().map(str::to_string)).collect() })
            }
            Err(e) => errors.push(line_error(number, "line", format!("unreadable: {e}"))),
        }
    }
    if lines.is_empty() && errors.is_empty() {
        errors.push(line_error(1, "file", "no data lines under the header"));
    }
    if errors.is_empty() {
        Ok(lines)
    } else {
        Err(errors)
    }
}

/// The line of the first character at or after `byte` that is not a line break: the csv
/// reader places a record after blank lines at the first of them.
fn line_of_byte(text: &str, byte: usize) -> usize {
    let bytes = text.as_bytes();
    let mut at = byte.min(bytes.len());
    while at < bytes.len() && matches!(bytes[at], b'\r' | b'\n') {
        at += 1;
    }
    bytes[..at].iter().filter(|b| **b == b'\n').count() + 1
}

/// Turns a use case's refusal into a line error: its field, or the key column for a conflict
/// (a code or username that exists already).
fn as_line_error(line: usize, key_column: &str, e: DeskError) -> Result<LineError, DeskError> {
    match e {
        DeskError::Invalid { field, detail } => Ok(line_error(line, &field, detail)),
        DeskError::Conflict { detail, .. } => Ok(line_error(line, key_column, detail)),
        other => Err(other),
    }
}

fn yes(value: Option<&str>) -> Result<bool, String> {
    match value.map(str::to_lowercase).as_deref() {
        None | Some("0" | "false" | "tidak" | "no" | "n") => Ok(false),
        Some("1" | "true" | "ya" | "yes" | "y") => Ok(true),
        Some(other) => Err(format!("{other:?} is not yes/no (ya, tidak, true, false, 1, 0)")),
    }
}

/// Previews (`apply` false) or imports a file. A preview answers what an import would: the
/// same checks, against the database as it is, inside a transaction that writes nothing.
pub async fn run(
    desk: &Desk,
    actor: Option<&Actor>,
    kind: Kind,
    text: String,
    apply: bool,
) -> DeskResult<ImportReport> {
    if let Some(a) = actor {
        catalog::require_admin(a)?;
    }
    let lines = match read(kind, &text) {
        Ok(lines) => lines,
        Err(errors) => return Ok(ImportReport { kind, lines: 0, errors, applied: false, created: 0, invited: 0 }),
    };
    let actor_id = actor.map(|a| a.user_id.clone());
    // A bad file or a preview leaves the transaction by an error, so that every row written
    // while checking is rolled back; its report comes out through here.
    let undone: Arc<Mutex<Option<ImportReport>>> = Arc::default();
    let undone_in = undone.clone();
    let written = desk
        .writer
        .write(move |tx| {
            let mut report =
                ImportReport { kind, lines: lines.len(), errors: Vec::new(), applied: false, created: 0, invited: 0 };
            // Rows are written as they are checked (a later line may name the unit of an
            // earlier one), through the same use cases as the API.
            let mut seen = HashSet::new();
            for line in &lines {
                let key_column = if kind == Kind::Users { "username" } else { "code" };
                let key = line.get(key_column).unwrap_or("").to_string();
                if !key.is_empty() && !seen.insert(key.clone()) {
                    report.errors.push(line_error(line.number, key_column, format!("{key} appears twice in the file")));
                    continue;
                }
                match import_line(tx, actor_id.as_deref(), kind, line) {
                    Ok(invited) => {
                        report.created += 1;
                        report.invited += usize::from(invited);
                    }
                    Err(errors) => {
                        for e in errors {
                            report.errors.push(as_line_error(line.number, key_column, e)?);
                        }
                    }
                }
            }
            if !report.errors.is_empty() || !apply {
                if !report.errors.is_empty() {
                    report.created = 0;
                }
                report.invited = 0;
                if let Ok(mut slot) = undone_in.lock() {
                    *slot = Some(report);
                }
                return Err(DeskError::conflict("import_undone", "rolled back"));
            }
            report.applied = true;
            tx.record(
                None,
                actor_id.as_deref(),
                "catalog.imported",
                json!({ "kind": kind, "created": report.created, "invited": report.invited }),
            )?;
            Ok(report)
        })
        .await;
    match written {
        Err(DeskError::Conflict { code: "import_undone", .. }) => undone
            .lock()
            .ok()
            .and_then(|mut slot| slot.take())
            .ok_or_else(|| DeskError::Internal("import report lost".into())),
        other => other,
    }
}

/// Writes one line through the same use cases as the API; `Ok(true)` when a link was sent.
fn import_line(tx: &mut Tx, actor_id: Option<&str>, kind: Kind, line: &Line) -> Result<bool, Vec<DeskError>> {
    let text = |column: &str| line.get(column).unwrap_or("").to_string();
    match kind {
        Kind::Units => {
            let tier2 = yes(line.get("tier2")).map_err(|detail| vec![DeskError::invalid("tier2", detail)])?;
            let unit =
                NewUnit { code: text("code"), name: text("name"), tier2, email: line.get("email").map(str::to_string) };
            catalog::create_unit(tx, actor_id, unit).map_err(|e| vec![e])?;
            Ok(false)
        }
        Kind::Services => {
            let service = NewService { code: text("code"), name: text("name"), unit: text("unit") };
            catalog::create_service(tx, actor_id, service).map_err(|e| vec![e])?;
            Ok(false)
        }
        Kind::Users => import_user(tx, actor_id, line),
    }
}

/// Checks every field of a user's line (each bad field is reported, not only the first), then
/// writes the person.
fn import_user(tx: &mut Tx, actor_id: Option<&str>, line: &Line) -> Result<bool, Vec<DeskError>> {
    use super::accounts::{apply_patch, UserPatch};
    let mut errors = Vec::new();
    let username = line.get("username").unwrap_or("").to_string();
    if let Err(e) = catalog::check_username(&username) {
        errors.push(e);
    } else if db::user_by_username(tx.conn, &username).map_err(|e| vec![e.into()])?.is_some() {
        errors.push(DeskError::invalid("username", format!("user {username} already exists")));
    }
    let role_text = line.get("role").unwrap_or("");
    let role = Role::parse(role_text);
    if role.is_none() {
        let roles = Role::names().join(", ");
        errors.push(DeskError::invalid("role", format!("{role_text:?} is not one of {roles}")));
    }
    let source = line.get("sign_in").unwrap_or("local").to_lowercase();
    if !matches!(source.as_str(), "local" | "ldap" | "oidc") {
        errors.push(DeskError::invalid("sign_in", "local, ldap or oidc"));
    }
    let mut row = UserRow {
        auth_source: source,
        ..UserRow::new(
            new_id(),
            username,
            String::new(),
            Role::Requester.as_str(),
            NO_LOCAL_PASSWORD.into(),
            tx.now.naive_utc(),
        )
    };
    // The fields an admin can edit are checked exactly as an edit checks them, one at a time
    // (role and unit together: one decides what the other must be).
    let given = |column: &str| line.get(column).map(str::to_string);
    let patches = [
        UserPatch { name: Some(given("name").unwrap_or_default()), ..Default::default() },
        UserPatch { email: given("email"), ..Default::default() },
        UserPatch { phone: given("phone"), ..Default::default() },
        UserPatch { nip: given("nip"), ..Default::default() },
        UserPatch { language: given("language"), ..Default::default() },
        UserPatch { role, unit: given("unit"), ..Default::default() },
    ];
    for patch in patches {
        if patch.role.is_none() && role.is_none() && patch.unit.is_some() {
            continue; // the role is already reported
        }
        if let Err(e) = apply_patch(tx, &mut row, patch) {
            errors.push(e);
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let one = |e: DeskError| vec![e];
    db::insert_user(tx.conn, &row).map_err(|e| one(e.into()))?;
    let data = json!({ "user_id": row.id, "username": row.username, "role": row.role, "unit_id": row.unit_id, "source": row.auth_source, "imported": true });
    tx.record(None, actor_id, "user.created", data).map_err(one)?;
    match (&row.email, row.auth_source.as_str()) {
        (Some(email), "local") => {
            let email = email.clone();
            super::password_reset::send_link(
                tx,
                &row,
                &email,
                super::password_reset::INVITATION_LIFETIME,
                "account_invitation",
            )
            .map_err(one)?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_problems_are_named_on_line_one() {
        let errors =
            read(Kind::Users, "username,nama,role,unit\nbudi,Budi,agent_t1,DINKES\n").err().expect("bad header");
        assert!(errors.contains(&line_error(1, "name", "column missing from the header")), "{errors:?}");
        assert!(errors.iter().any(|e| e.line == 1 && e.field == "nama"), "{errors:?}");
    }

    #[test]
    fn lines_count_from_the_header_and_semicolons_are_read() {
        let file = "code;name;unit\nSIMPUS;Sistem Puskesmas;DINKES\n\nSIKDA;\"Kesehatan; daerah\";DINKES\n";
        let Ok(lines) = read(Kind::Services, file) else { panic!("a good file") };
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].number, 2);
        assert_eq!(lines[1].number, 4);
        assert_eq!(lines[1].get("name"), Some("Kesehatan; daerah"));
        let Err(short) = read(Kind::Services, "code,name,unit\nSIMPUS,Sistem\n") else { panic!("a short line") };
        assert_eq!(short[0].line, 2);
    }

    #[test]
    fn yes_and_no_in_both_languages() {
        assert_eq!(yes(Some("ya")), Ok(true));
        assert_eq!(yes(Some("Tidak")), Ok(false));
        assert_eq!(yes(None), Ok(false));
        assert!(yes(Some("mungkin")).is_err());
    }
}
