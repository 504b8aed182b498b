//! The WhatsApp channel's tables: contacts (conversation state, the 24-hour window, BERHENTI)
//! and every message id seen or sent.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{outbox, requesters, tickets, whatsapp_contacts, whatsapp_messages};
use super::tickets::TicketRow;
use super::DbConn;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = whatsapp_contacts)]
pub struct ContactRow {
    pub wa_id: String,
    pub phone: String,
    pub name: String,
    pub dialogue: String,
    pub last_inbound_at: Option<NaiveDateTime>,
    pub opted_out_at: Option<NaiveDateTime>,
    pub moved_to: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Records an inbound message id; false when it was seen before (Meta sent the webhook again).
pub fn first_time(conn: &mut DbConn, message_id: &str, wa_id: &str, at: NaiveDateTime) -> QueryResult<bool> {
    let row = (
        whatsapp_messages::id.eq(message_id),
        whatsapp_messages::wa_id.eq(wa_id),
        whatsapp_messages::inbound.eq(true),
        whatsapp_messages::created_at.eq(at),
    );
    let inserted = match conn {
        DbConn::Sqlite(c) => {
            diesel::insert_into(whatsapp_messages::table).values(row).on_conflict_do_nothing().execute(c)?
        }
        DbConn::Pg(c) => {
            diesel::insert_into(whatsapp_messages::table).values(row).on_conflict_do_nothing().execute(c)?
        }
    };
    Ok(inserted == 1)
}

/// Whether an inbound message id was handled before (read outside the handling transaction,
/// which checks again).
pub fn seen(conn: &mut DbConn, message_id: &str, wa_id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        whatsapp_messages::table.find(message_id).filter(whatsapp_messages::wa_id.eq(wa_id)),
    ))
    .get_result(conn)
}

/// The contact, its row locked on PostgreSQL until the transaction ends (two messages of one
/// contact handled at once take turns).
pub fn contact_for_update(conn: &mut DbConn, wa_id: &str) -> QueryResult<Option<ContactRow>> {
    macro_rules! find {
        () => {
            whatsapp_contacts::table.find(wa_id).select(ContactRow::as_select())
        };
    }
    match conn {
        DbConn::Pg(c) => find!().for_update().first(c).optional(),
        DbConn::Sqlite(c) => find!().first(c).optional(),
    }
}

pub fn contact(conn: &mut DbConn, wa_id: &str) -> QueryResult<Option<ContactRow>> {
    whatsapp_contacts::table.find(wa_id).select(ContactRow::as_select()).first(conn).optional()
}

/// The contact wrote now: created if new, its name and number kept up to date, its window opened.
pub fn touch_contact(
    conn: &mut DbConn,
    wa_id: &str,
    phone: &str,
    name: &str,
    at: NaiveDateTime,
) -> QueryResult<ContactRow> {
    // A number that moved on and writes again is somebody else now (numbers are recycled):
    // it starts afresh, nothing of the previous person's conversation or choices carried over.
    diesel::update(whatsapp_contacts::table.find(wa_id).filter(whatsapp_contacts::moved_to.is_not_null()))
        .set((
            whatsapp_contacts::moved_to.eq(None::<String>),
            whatsapp_contacts::dialogue.eq("{\"step\":\"idle\"}"),
            whatsapp_contacts::opted_out_at.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    let updated = diesel::update(whatsapp_contacts::table.find(wa_id))
        .set((
            whatsapp_contacts::phone.eq(phone),
            whatsapp_contacts::name.eq(name),
            whatsapp_contacts::last_inbound_at.eq(at),
            whatsapp_contacts::updated_at.eq(at),
        ))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(whatsapp_contacts::table)
            .values((
                whatsapp_contacts::wa_id.eq(wa_id),
                whatsapp_contacts::phone.eq(phone),
                whatsapp_contacts::name.eq(name),
                whatsapp_contacts::dialogue.eq("{\"step\":\"idle\"}"),
                whatsapp_contacts::last_inbound_at.eq(at),
                whatsapp_contacts::created_at.eq(at),
                whatsapp_contacts::updated_at.eq(at),
            ))
            .execute(conn)?;
    }
    contact_for_update(conn, wa_id)?.ok_or(diesel::result::Error::NotFound)
}

pub fn save_dialogue(conn: &mut DbConn, wa_id: &str, dialogue: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(whatsapp_contacts::table.find(wa_id))
        .set((whatsapp_contacts::dialogue.eq(dialogue), whatsapp_contacts::updated_at.eq(at)))
        .execute(conn)
        .map(drop)
}

/// BERHENTI (`Some`) or MULAI (`None`).
pub fn set_opted_out(conn: &mut DbConn, wa_id: &str, at: Option<NaiveDateTime>) -> QueryResult<()> {
    diesel::update(whatsapp_contacts::table.find(wa_id))
        .set(whatsapp_contacts::opted_out_at.eq(at))
        .execute(conn)
        .map(drop)
}

/// Meta told us the person moved to a new number: the old contact points to the new one.
pub fn set_moved(conn: &mut DbConn, wa_id: &str, new_wa_id: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(whatsapp_contacts::table.find(wa_id))
        .set((whatsapp_contacts::moved_to.eq(new_wa_id), whatsapp_contacts::updated_at.eq(at)))
        .execute(conn)
        .map(drop)
}

/// The contacts that stand for an E.164 number (usually one), the ones that moved on left out.
pub fn contacts_of_phone(conn: &mut DbConn, phone: &str) -> QueryResult<Vec<ContactRow>> {
    whatsapp_contacts::table
        .filter(whatsapp_contacts::phone.eq(phone))
        .filter(whatsapp_contacts::moved_to.is_null())
        .select(ContactRow::as_select())
        .load(conn)
}

/// A message the desk sent, tied to its ticket and outbox row.
pub fn record_outbound(
    conn: &mut DbConn,
    message_id: &str,
    wa_id: &str,
    ticket_id: Option<&str>,
    outbox_id: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    let row = (
        whatsapp_messages::id.eq(message_id),
        whatsapp_messages::wa_id.eq(wa_id),
        whatsapp_messages::inbound.eq(false),
        whatsapp_messages::ticket_id.eq(ticket_id),
        whatsapp_messages::outbox_id.eq(outbox_id),
        whatsapp_messages::created_at.eq(at),
    );
    match conn {
        DbConn::Sqlite(c) => {
            diesel::insert_into(whatsapp_messages::table).values(row).on_conflict_do_nothing().execute(c)
        }
        DbConn::Pg(c) => diesel::insert_into(whatsapp_messages::table).values(row).on_conflict_do_nothing().execute(c),
    }
    .map(drop)
}

/// The ticket a message the desk sent to this contact was about.
pub fn ticket_of_message(conn: &mut DbConn, wa_id: &str, message_id: &str) -> QueryResult<Option<String>> {
    whatsapp_messages::table
        .find(message_id)
        .filter(whatsapp_messages::wa_id.eq(wa_id))
        .filter(whatsapp_messages::inbound.eq(false))
        .select(whatsapp_messages::ticket_id)
        .first::<Option<String>>(conn)
        .optional()
        .map(Option::flatten)
}

/// The outbox row a sent message id belongs to.
pub fn outbox_of_message(conn: &mut DbConn, message_id: &str) -> QueryResult<Option<String>> {
    whatsapp_messages::table
        .find(message_id)
        .filter(whatsapp_messages::inbound.eq(false))
        .select(whatsapp_messages::outbox_id)
        .first::<Option<String>>(conn)
        .optional()
        .map(Option::flatten)
}

/// Records what Meta said of a sent message on its outbox row. Statuses can arrive out of
/// order (`read` before `delivered`, or without it): a later stage is never overwritten by an
/// earlier one, a failure always is recorded.
pub fn record_status(
    conn: &mut DbConn,
    outbox_id: &str,
    status: &str,
    at: NaiveDateTime,
) -> QueryResult<Option<String>> {
    super::outbox_queue::flush(conn)?;
    let current: Option<Option<String>> =
        outbox::table.find(outbox_id).select(outbox::remote_status).first(conn).optional()?;
    let Some(current) = current else { return Ok(None) };
    let rank = |s: &str| match s {
        "sent" => 1,
        "delivered" => 2,
        "read" => 3,
        _ => 0,
    };
    let failed = status.starts_with("failed");
    // A failure stays (a late `sent` must not hide it); a later stage is never undone.
    if !failed && current.as_deref().is_some_and(|c| c.starts_with("failed") || rank(c) >= rank(status)) {
        return Ok(current);
    }
    diesel::update(outbox::table.find(outbox_id))
        .set((outbox::remote_status.eq(status), outbox::remote_status_at.eq(at)))
        .execute(conn)?;
    Ok(Some(status.to_string()))
}

/// Tickets whose requester has this telephone number (in any form it was stored in), newest first.
pub fn tickets_of_phone(conn: &mut DbConn, forms: &[String], limit: i64) -> QueryResult<Vec<TicketRow>> {
    let matches = crate::domain::phone::sql_matches("requesters.phone", forms);
    tickets::table
        .inner_join(requesters::table)
        .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(&matches))
        // Records that are the number and nothing else (see `conversation::phone_only`).
        .filter(requesters::email.is_null())
        .filter(requesters::telegram_id.is_null())
        .filter(requesters::user_id.is_null())
        .order(tickets::id.desc())
        .limit(limit)
        .select(TicketRow::as_select())
        .load(conn)
}

/// Every contact that ever stood for one of these E.164 numbers (moved ones too): what
/// personal-data export and erasure cover.
pub fn all_contacts_of_phones(conn: &mut DbConn, phones: &[String]) -> QueryResult<Vec<ContactRow>> {
    let mut found: Vec<ContactRow> = whatsapp_contacts::table
        .filter(whatsapp_contacts::phone.eq_any(phones))
        .select(ContactRow::as_select())
        .load(conn)?;
    // And the numbers the person wrote from before, however many times they moved.
    loop {
        let known: Vec<String> = found.iter().map(|c| c.wa_id.clone()).collect();
        let earlier: Vec<ContactRow> = whatsapp_contacts::table
            .filter(whatsapp_contacts::moved_to.eq_any(&known))
            .filter(whatsapp_contacts::wa_id.ne_all(&known))
            .select(ContactRow::as_select())
            .load(conn)?;
        if earlier.is_empty() {
            return Ok(found);
        }
        found.extend(earlier);
    }
}

/// How many message ids the desk keeps for a contact.
pub fn message_count(conn: &mut DbConn, wa_id: &str) -> QueryResult<i64> {
    whatsapp_messages::table.filter(whatsapp_messages::wa_id.eq(wa_id)).count().get_result(conn)
}

/// Forgets contacts: their conversation state, window, BERHENTI and every message id; how many.
pub fn forget(conn: &mut DbConn, wa_ids: &[String]) -> QueryResult<usize> {
    diesel::delete(whatsapp_messages::table.filter(whatsapp_messages::wa_id.eq_any(wa_ids))).execute(conn)?;
    diesel::delete(whatsapp_contacts::table.filter(whatsapp_contacts::wa_id.eq_any(wa_ids))).execute(conn)
}

/// How many contacts there are, how many of them wrote since `window_from` (window open), and
/// how many wrote BERHENTI.
pub fn contact_counts(conn: &mut DbConn, window_from: NaiveDateTime) -> QueryResult<(i64, i64, i64)> {
    let live = || whatsapp_contacts::table.filter(whatsapp_contacts::moved_to.is_null());
    let total = live().count().get_result(conn)?;
    let open = live().filter(whatsapp_contacts::last_inbound_at.gt(window_from)).count().get_result(conn)?;
    let stopped = live().filter(whatsapp_contacts::opted_out_at.is_not_null()).count().get_result(conn)?;
    Ok((total, open, stopped))
}
