//! The desk as the Telegram channel sees it: [`meja_telegram::DeskPort`] over one writer
//! transaction, through the same use cases as the API (scopes, audit, outbox included).

use meja_telegram::{Choice, DeskPort, Dialogue, PortError, PortResult, Rated, Report, Sender, TicketLine};

use crate::db::catalog as catalog_db;
use crate::db::mail::{self as mail_db, AttachmentRow};
use crate::db::telegram as db;
use crate::db::tickets as tickets_db;
use crate::desk::tickets::{self, Author, NewMessage, NewTicket, RequesterInput};
use crate::desk::{new_id, view, Desk, DeskError, Tx};
use crate::domain::ticket::{Channel, Kind, Level};

pub struct TxPort<'a, 'c> {
    pub tx: &'a mut Tx<'c>,
    pub desk: &'a Desk,
}

fn failed(e: impl std::fmt::Display) -> PortError {
    PortError::Failed(e.to_string())
}

/// Errors the citizen should hear about, in Bahasa Indonesia; the rest fail the update.
fn refused(e: DeskError) -> PortError {
    match e {
        DeskError::Invalid { field, .. } => {
            PortError::Refused(format!("Isian tidak dapat diterima ({field}). Coba lagi atau /batal."))
        }
        DeskError::Conflict { detail, .. } => PortError::Refused(format!("Tidak dapat dilakukan: {detail}")),
        other => failed(other),
    }
}

/// A title from the first line of the description, as a person would write it.
fn title_of(description: &str) -> String {
    let line = description.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("Laporan dari Telegram");
    let mut title: String = line.chars().take(80).collect();
    if line.chars().count() > 80 {
        title.push('…');
    }
    title
}

impl TxPort<'_, '_> {
    fn own_ticket(&mut self, chat_id: i64, number: &str) -> PortResult<Option<tickets_db::TicketRow>> {
        let Some(row) = tickets_db::by_number_for_update(self.tx.conn, number).map_err(failed)? else {
            return Ok(None);
        };
        let requester = catalog_db::requester_by_id(self.tx.conn, &row.requester_id).map_err(failed)?;
        let chat = chat_id.to_string();
        Ok(requester.filter(|r| r.telegram_id.as_deref() == Some(chat.as_str())).map(|_| row))
    }

    fn line(&mut self, row: &tickets_db::TicketRow) -> TicketLine {
        let local = row.updated_at.and_utc().with_timezone(&self.desk.zone);
        TicketLine {
            number: row.number.clone(),
            title: row.title.clone(),
            status: row.status.clone(),
            updated: local.format("%d-%m-%Y %H:%M").to_string(),
        }
    }
}

impl DeskPort for TxPort<'_, '_> {
    fn dialogue(&mut self, chat_id: i64) -> PortResult<Dialogue> {
        let stored = db::dialogue(self.tx.conn, chat_id).map_err(failed)?;
        // A state written by an older version that no longer parses starts over.
        Ok(stored.and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default())
    }

    fn save_dialogue(&mut self, chat_id: i64, dialogue: &Dialogue) -> PortResult<()> {
        let text = serde_json::to_string(dialogue).map_err(failed)?;
        db::save_dialogue(self.tx.conn, chat_id, &text, self.tx.now.naive_utc()).map_err(failed)
    }

    fn units(&mut self) -> PortResult<Vec<Choice>> {
        let mut units = catalog_db::list_units(self.tx.conn).map_err(failed)?;
        // The city-wide desk first: "when in doubt, Diskominfo".
        units.sort_by_key(|u| !u.tier2);
        Ok(units.into_iter().map(|u| Choice { code: u.code, name: u.name }).collect())
    }

    fn services(&mut self, unit: &str) -> PortResult<Vec<Choice>> {
        let Some(unit) = catalog_db::unit_by_code(self.tx.conn, unit).map_err(failed)? else { return Ok(Vec::new()) };
        let services = catalog_db::list_services(self.tx.conn, Some(&unit.id)).map_err(failed)?;
        Ok(services.into_iter().map(|s| Choice { code: s.code, name: s.name }).collect())
    }

    fn open_ticket(&mut self, from: &Sender, report: &Report) -> PortResult<String> {
        let input = NewTicket {
            kind: Kind::parse(&report.kind).unwrap_or(Kind::Incident),
            title: title_of(&report.description),
            description: report.description.clone(),
            unit: Some(report.unit.clone()),
            service: report.service.clone(),
            // The desk's judgement, not the citizen's (as on the public web form).
            impact: Level::Medium,
            urgency: Level::Medium,
            requester: Some(RequesterInput {
                name: from.name.clone(),
                email: None,
                telegram_id: Some(from.chat_id.to_string()),
                phone: None,
                language: None,
            }),
            classification: None,
            security_incident: None,
            channel: Some(Channel::Telegram),
        };
        let opened = tickets::open_ticket(self.tx, self.desk, None, input).map_err(refused)?;
        let ticket = &opened.ticket.row;
        for file in &report.files {
            mail_db::insert_attachment(
                self.tx.conn,
                &AttachmentRow {
                    id: new_id(),
                    ticket_id: ticket.id.clone(),
                    message_id: None,
                    filename: file.name.clone(),
                    content_type: file.content_type.clone(),
                    size_bytes: file.size as i64,
                    sha256: file.sha256.clone(),
                    inline_part: false,
                    created_at: self.tx.now.naive_utc(),
                },
            )
            .map_err(failed)?;
        }
        Ok(ticket.number.clone())
    }

    fn my_tickets(&mut self, chat_id: i64) -> PortResult<Vec<TicketLine>> {
        let rows = db::tickets_of_chat(self.tx.conn, chat_id, 10).map_err(failed)?;
        Ok(rows.iter().map(|r| self.line(r)).collect())
    }

    fn ticket(&mut self, chat_id: i64, number: &str) -> PortResult<Option<TicketLine>> {
        Ok(self.own_ticket(chat_id, number)?.map(|r| self.line(&r)))
    }

    fn reply(&mut self, from: &Sender, number: &str, text: &str) -> PortResult<bool> {
        let Some(row) = self.own_ticket(from.chat_id, number)? else { return Ok(false) };
        let ticket = view::Ticket::load(self.tx.conn, row).map_err(failed)?;
        let message = NewMessage { body: text.to_string(), internal: false, channel: Some(Channel::Telegram) };
        tickets::add_message(self.tx, self.desk, Author::Requester { name: from.name.clone() }, ticket, message)
            .map_err(refused)?;
        Ok(true)
    }

    fn rate(&mut self, chat_id: i64, number: &str, rating: u8) -> PortResult<Rated> {
        let Some(row) = self.own_ticket(chat_id, number)? else { return Ok(Rated::NotFound) };
        match crate::desk::csat::rate_as_requester(self.tx, row, i32::from(rating)) {
            Ok(_) => Ok(Rated::Recorded),
            Err(DeskError::Conflict { code: "already_rated", .. }) => Ok(Rated::AlreadyRated),
            Err(DeskError::Conflict { .. }) => Ok(Rated::NotResolved),
            Err(e) => Err(failed(e)),
        }
    }

    fn ticket_of_message(&mut self, chat_id: i64, message_id: i64) -> PortResult<Option<String>> {
        let Some(id) = db::ticket_of_message(self.tx.conn, chat_id, message_id).map_err(failed)? else {
            return Ok(None);
        };
        Ok(tickets_db::by_id(self.tx.conn, &id).map_err(failed)?.map(|t| t.number))
    }
}
