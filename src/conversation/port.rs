//! The desk as the conversation sees it: [`meja_conversation::DeskPort`] for one contact over
//! one writer transaction, through the same use cases as the API (scopes, audit, outbox
//! included). Telegram and WhatsApp differ only in their [`Contact`].

use meja_conversation::{
    Choice, DeskPort, Dialogue, Filed, PortError, PortResult, Rated, Report, Sender, StaffAct, Suggestion, TicketLine,
};

use crate::db::catalog as catalog_db;
use crate::db::mail::{self as mail_db, AttachmentRow};
use crate::db::tickets as tickets_db;
use crate::desk::telegram_links::{self, Linked};
use crate::desk::tickets::{self, ActionRequest, Author, NewMessage, NewTicket, RequesterInput};
use crate::desk::{new_id, view, Desk, DeskError, Tx};
use crate::domain::role::Actor;
use crate::domain::ticket::{Kind, Level};

use super::Contact;

pub struct TxPort<'a, 'c> {
    pub tx: &'a mut Tx<'c>,
    pub desk: &'a Desk,
    pub contact: Contact,
    /// `MEJA_PUBLIC_URL`: a new report's tracking link is built from it.
    pub public_url: &'a str,
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
    let line = description.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("Laporan");
    let mut title: String = line.chars().take(80).collect();
    if line.chars().count() > 80 {
        title.push('…');
    }
    title
}

/// An agent's refusal in the words the API would use, in Bahasa Indonesia.
fn staff_refused(number: &str, e: DeskError) -> PortError {
    match e {
        // Out of scope reads as absent, exactly as in the API (404).
        DeskError::NotFound { .. } => PortError::Refused(format!("Tiket {number} tidak ditemukan.")),
        DeskError::Forbidden(_) | DeskError::Refused { .. } => {
            PortError::Refused(format!("Anda tidak berwenang melakukan itu pada {number}."))
        }
        DeskError::Conflict { allowed, .. } => PortError::Refused(format!(
            "Tidak dapat dilakukan pada {number} sekarang{}.",
            allowed.map(|a| format!(" (yang mungkin: {})", a.join(", "))).unwrap_or_default()
        )),
        DeskError::Invalid { field, detail } => {
            PortError::Refused(format!("Isian {field} tidak dapat diterima: {detail}"))
        }
        other => failed(other),
    }
}

impl TxPort<'_, '_> {
    /// The staff account a Telegram chat is linked to, as an actor (inactive accounts act as
    /// nobody). Agents act from Telegram only.
    fn agent(&mut self) -> PortResult<Option<Actor>> {
        let Contact::Telegram { chat } = self.contact else { return Ok(None) };
        let Some(user_id) = crate::db::telegram::user_of_chat(self.tx.conn, chat).map_err(failed)? else {
            return Ok(None);
        };
        let Some(user) = catalog_db::user_by_id(self.tx.conn, &user_id).map_err(failed)?.filter(|u| u.active) else {
            return Ok(None);
        };
        Ok(crate::desk::accounts::staff_actor(&user))
    }

    fn own_ticket(&mut self, number: &str) -> PortResult<Option<tickets_db::TicketRow>> {
        let Some(row) = tickets_db::by_number_for_update(self.tx.conn, number).map_err(failed)? else {
            return Ok(None);
        };
        let requester = catalog_db::requester_by_id(self.tx.conn, &row.requester_id).map_err(failed)?;
        Ok(requester.filter(|r| self.contact.owns(r)).map(|_| row))
    }

    /// A ticket this contact follows as the requester of a report merged into it.
    fn followed_ticket(&mut self, number: &str) -> PortResult<Option<tickets_db::TicketRow>> {
        let Some(row) = tickets_db::by_number_for_update(self.tx.conn, number).map_err(failed)? else {
            return Ok(None);
        };
        for follower in crate::db::followers::of_ticket(self.tx.conn, &row.id).map_err(failed)? {
            let Some(id) = follower.requester_id else { continue };
            let requester = catalog_db::requester_by_id(self.tx.conn, &id).map_err(failed)?;
            if requester.is_some_and(|r| self.contact.owns(&r)) {
                return Ok(Some(row));
            }
        }
        Ok(None)
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
    fn dialogue(&mut self) -> PortResult<Dialogue> {
        self.contact.dialogue(self.tx.conn).map_err(failed)
    }

    fn save_dialogue(&mut self, dialogue: &Dialogue) -> PortResult<()> {
        let text = serde_json::to_string(dialogue).map_err(failed)?;
        self.contact.save_dialogue(self.tx.conn, &text, self.tx.now.naive_utc()).map_err(failed)
    }

    fn units(&mut self) -> PortResult<Vec<Choice>> {
        let mut units = catalog_db::list_units(self.tx.conn).map_err(failed)?;
        units.retain(|u| u.active);
        // The city-wide desk first: "when in doubt, Diskominfo".
        units.sort_by_key(|u| !u.tier2);
        Ok(units.into_iter().map(|u| Choice { code: u.code, name: u.name }).collect())
    }

    fn services(&mut self, unit: &str) -> PortResult<Vec<Choice>> {
        let Some(unit) = catalog_db::unit_by_code(self.tx.conn, unit).map_err(failed)? else { return Ok(Vec::new()) };
        let services = catalog_db::list_services(self.tx.conn, Some(&unit.id)).map_err(failed)?;
        Ok(services.into_iter().filter(|s| s.active).map(|s| Choice { code: s.code, name: s.name }).collect())
    }

    fn known_disruption(&mut self, service: &str) -> PortResult<Option<String>> {
        let Some(service) = catalog_db::service_by_code(self.tx.conn, service).map_err(failed)? else {
            return Ok(None);
        };
        let current = crate::desk::disruptions::intake::current_outage(self.tx, &service.id).map_err(failed)?;
        Ok(current.map(|d| d.title))
    }

    fn open_ticket(&mut self, from: &Sender, report: &Report) -> PortResult<Filed> {
        // The requester's notices (mail too) speak the language the conversation spoke.
        let language = (from.lang == meja_conversation::Lang::En).then(|| "en".to_string());
        let input = NewTicket {
            // "security_incident" and "personal_data_breach" are incidents with their flag.
            kind: Kind::parse(&report.kind).unwrap_or(Kind::Incident),
            title: title_of(&report.description),
            description: report.description.clone(),
            unit: Some(report.unit.clone()),
            service: report.service.clone(),
            // The desk's judgement, not the citizen's (as on the public web form).
            impact: Level::Medium,
            urgency: Level::Medium,
            requester: Some(match &self.contact {
                Contact::Telegram { chat } => RequesterInput {
                    name: from.name.clone(),
                    email: None,
                    telegram_id: Some(chat.to_string()),
                    phone: None,
                    language: language.clone(),
                },
                Contact::WhatsApp { phone, .. } => RequesterInput {
                    name: from.name.clone(),
                    email: None,
                    telegram_id: None,
                    phone: Some(phone.clone()),
                    language: language.clone(),
                },
            }),
            classification: None,
            security_incident: Some(report.kind == "security_incident"),
            personal_data_breach: Some(report.kind == "personal_data_breach"),
            channel: Some(self.contact.channel()),
            follow_disruption: None,
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
                    internal: false,
                },
            )
            .map_err(failed)?;
        }
        let tracking_link = opened
            .tracking_token
            .as_ref()
            .filter(|_| !self.public_url.is_empty())
            .map(|token| format!("{}/lacak/{}?token={token}", self.public_url, ticket.number));
        Ok(Filed { number: ticket.number.clone(), tracking_link })
    }

    fn my_tickets(&mut self) -> PortResult<Vec<TicketLine>> {
        let rows = self.contact.tickets(self.tx.conn, 10).map_err(failed)?;
        Ok(rows.iter().map(|r| self.line(r)).collect())
    }

    fn ticket(&mut self, number: &str) -> PortResult<Option<TicketLine>> {
        Ok(self.own_ticket(number)?.map(|r| self.line(&r)))
    }

    fn reply(&mut self, from: &Sender, number: &str, text: &str) -> PortResult<bool> {
        // The requester answers as the requester; the requester of a report merged into this
        // one (a follower by chat) answers too, without reopening or resuming it.
        let (row, follower) = match self.own_ticket(number)? {
            // A report merged into another: the answer belongs to the case that carries on.
            Some(row) => match crate::db::merges::merged_into(self.tx.conn, &row.id).map_err(failed)? {
                Some(into) => match self.followed_ticket(&into)? {
                    Some(target) => (target, true),
                    None => (row, false),
                },
                None => (row, false),
            },
            None => match self.followed_ticket(number)? {
                Some(row) => (row, true),
                None => return Ok(false),
            },
        };
        let ticket = view::Ticket::load(self.tx.conn, row).map_err(failed)?;
        let message = NewMessage {
            body: text.to_string(),
            internal: false,
            channel: Some(self.contact.channel()),
            files: Vec::new(),
            minutes: None,
        };
        let author = if follower {
            Author::Follower { name: from.name.clone() }
        } else {
            Author::Requester { name: from.name.clone() }
        };
        tickets::add_message(self.tx, self.desk, author, ticket, message).map_err(refused)?;
        Ok(true)
    }

    fn rate(&mut self, number: &str, rating: u8) -> PortResult<Rated> {
        let Some(row) = self.own_ticket(number)? else { return Ok(Rated::NotFound) };
        match crate::desk::csat::rate_as_requester(self.tx, row, i32::from(rating)) {
            Ok(_) => Ok(Rated::Recorded),
            Err(DeskError::Conflict { code: "already_rated", .. }) => Ok(Rated::AlreadyRated),
            Err(DeskError::Conflict { .. }) => Ok(Rated::NotResolved),
            Err(e) => Err(failed(e)),
        }
    }

    fn suggest(&mut self, text: &str, service: Option<&str>) -> PortResult<Vec<Suggestion>> {
        let terms = crate::domain::kb::search_terms(text);
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        // Articles of the chosen service first; any public article when it has none.
        let mut articles = match service {
            Some(code) => match catalog_db::service_by_code(self.tx.conn, code).map_err(failed)? {
                Some(s) => crate::db::kb::search(self.tx.conn, &terms, true, Some(&s.id), 3).map_err(failed)?,
                None => Vec::new(),
            },
            None => Vec::new(),
        };
        if articles.is_empty() {
            articles = crate::db::kb::search(self.tx.conn, &terms, true, None, 3).map_err(failed)?;
        }
        Ok(articles
            .into_iter()
            .map(|a| {
                let text = crate::domain::markdown::to_text(&a.body);
                let mut excerpt: String = text.chars().take(160).collect();
                if text.chars().count() > 160 {
                    excerpt.push('…');
                }
                Suggestion { title: a.title, excerpt, link: None }
            })
            .collect())
    }

    fn link(&mut self, from: &Sender, code: &str) -> PortResult<String> {
        let Contact::Telegram { chat } = self.contact else {
            return Err(PortError::Refused("Akun petugas dihubungkan lewat Telegram.".into()));
        };
        match telegram_links::link(self.tx, chat, !from.private, code) {
            Ok(Linked::Account { name }) => Ok(format!(
                "Akun Telegram ini terhubung dengan {name}. Anda akan menerima pemberitahuan tiket di sini.\n\n{}",
                meja_conversation::texts::STAFF_HELP
            )),
            Ok(Linked::Unit { name }) => Ok(format!("Grup ini sekarang menerima antrean {name}.")),
            Err(DeskError::Invalid { detail, .. }) if detail.contains("group code") => {
                Err(PortError::Refused("Kode ini untuk grup: kirim di grup unit.".into()))
            }
            Err(DeskError::Invalid { detail, .. }) if detail.contains("account code") => {
                Err(PortError::Refused("Kode ini untuk akun petugas: kirim lewat pesan pribadi.".into()))
            }
            Err(DeskError::Invalid { .. }) => Err(PortError::Refused(
                "Kode tidak dikenal, sudah dipakai, atau kedaluwarsa. Minta kode baru di konsol.".into(),
            )),
            Err(e) => Err(failed(e)),
        }
    }

    fn staff(&mut self) -> PortResult<Option<String>> {
        Ok(self.agent()?.map(|a| a.name))
    }

    fn staff_act(&mut self, act: &StaffAct) -> PortResult<String> {
        let channel = self.contact.channel();
        let Some(actor) = self.agent()? else {
            return Err(PortError::Refused("Akun ini tidak lagi terhubung dengan petugas aktif.".into()));
        };
        let (desk, tx) = (self.desk, &mut *self.tx);
        match act {
            StaffAct::Take { number } => {
                let request = ActionRequest::Assign { username: actor.username.clone() };
                let ticket = tickets::act(tx, desk, &actor, number, request).map_err(|e| staff_refused(number, e))?;
                Ok(format!(
                    "Tiket {number} sekarang Anda tangani ({}).",
                    meja_conversation::texts::status_label(ticket.status.as_str())
                ))
            }
            StaffAct::Escalate { number, reason } => {
                let request = ActionRequest::Escalate { reason: reason.clone() };
                tickets::act(tx, desk, &actor, number, request).map_err(|e| staff_refused(number, e))?;
                Ok(format!("Tiket {number} dieskalasi ke Tier 2."))
            }
            StaffAct::Note { number, text } | StaffAct::Reply { number, text } => {
                let internal = matches!(act, StaffAct::Note { .. });
                let ticket = tickets::visible_ticket_for_update(tx.conn, &actor, number)
                    .map_err(|e| staff_refused(number, e))?;
                let message = NewMessage {
                    body: text.clone(),
                    internal,
                    channel: Some(channel),
                    files: Vec::new(),
                    minutes: None,
                };
                tickets::add_message(tx, desk, Author::User(&actor), ticket, message)
                    .map_err(|e| staff_refused(number, e))?;
                Ok(if internal {
                    format!("Catatan internal ditambahkan ke {number}.")
                } else {
                    format!("Balasan Anda dikirim ke pelapor {number}.")
                })
            }
            StaffAct::CannedList { number } => {
                let choices = canned_for(tx, desk, &actor, number)?;
                if choices.is_empty() {
                    return Ok("Belum ada balasan siap pakai untuk Anda. Buat di konsol: Balasan siap pakai.".into());
                }
                let mut text = format!("Balasan siap pakai untuk {number}:\n");
                for (i, (view, filled)) in choices.iter().enumerate() {
                    let preview: String = filled.chars().take(80).collect();
                    let action = match view.action.as_deref() {
                        Some("pend") => " (lalu ditunda)",
                        Some("resolve") => " (lalu diselesaikan)",
                        _ => "",
                    };
                    text.push_str(&format!("\n{}. {}{action}\n   {preview}…", i + 1, view.title));
                }
                text.push_str(&format!("\n\nKirim dengan /siap {number} <urutan>."));
                Ok(text)
            }
            StaffAct::CannedSend { number, pick } => {
                let choices = canned_for(tx, desk, &actor, number)?;
                let Some((view, _)) = choices.get(pick - 1) else {
                    return Err(PortError::Refused(format!("Tidak ada balasan nomor {pick}; lihat /siap {number}.")));
                };
                let message = NewMessage {
                    body: String::new(),
                    internal: false,
                    channel: Some(channel),
                    files: Vec::new(),
                    minutes: None,
                };
                crate::desk::canned::add_message(tx, desk, &actor, number, message, Some(&view.id))
                    .map_err(|e| staff_refused(number, e))?;
                Ok(format!("Balasan \"{}\" dikirim ke pelapor {number}.", view.title))
            }
        }
    }

    fn ticket_of_message(&mut self, message: &str) -> PortResult<Option<String>> {
        let Some(id) = self.contact.ticket_of_message(self.tx.conn, message).map_err(failed)? else {
            return Ok(None);
        };
        Ok(tickets_db::by_id(self.tx.conn, &id).map_err(failed)?.map(|t| t.number))
    }
}

/// The canned replies an agent may use on a ticket, filled in, in the console's order.
fn canned_for(
    tx: &mut Tx,
    desk: &Desk,
    actor: &Actor,
    number: &str,
) -> PortResult<Vec<(crate::desk::canned::CannedView, String)>> {
    let ticket = tickets::visible_ticket(tx.conn, actor, number).map_err(|e| staff_refused(number, e))?;
    crate::desk::canned::filled_for(desk, tx.conn, actor, &ticket).map_err(|e| staff_refused(number, e))
}
