//! The Telegram channel's tables: chats and their dialogue, messages about tickets, handled updates.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{requesters, telegram_chats, telegram_messages, telegram_updates, tickets};
use super::tickets::TicketRow;
use super::DbConn;

/// Records an update as handled; false when it was handled before (Telegram delivered it again).
pub fn first_time(conn: &mut DbConn, update_id: i64, at: NaiveDateTime) -> QueryResult<bool> {
    let row = (telegram_updates::update_id.eq(update_id), telegram_updates::handled_at.eq(at));
    let inserted = match conn {
        DbConn::Sqlite(c) => {
            diesel::insert_into(telegram_updates::table).values(row).on_conflict_do_nothing().execute(c)?
        }
        DbConn::Pg(c) => {
            diesel::insert_into(telegram_updates::table).values(row).on_conflict_do_nothing().execute(c)?
        }
    };
    Ok(inserted == 1)
}

/// The highest update handled, to poll from after a restart.
pub fn last_update(conn: &mut DbConn) -> QueryResult<Option<i64>> {
    telegram_updates::table.select(diesel::dsl::max(telegram_updates::update_id)).first(conn)
}

pub fn dialogue(conn: &mut DbConn, chat_id: i64) -> QueryResult<Option<String>> {
    telegram_chats::table.find(chat_id).select(telegram_chats::dialogue).first(conn).optional()
}

pub fn save_dialogue(conn: &mut DbConn, chat_id: i64, dialogue: &str, at: NaiveDateTime) -> QueryResult<()> {
    let updated = diesel::update(telegram_chats::table.find(chat_id))
        .set((telegram_chats::dialogue.eq(dialogue), telegram_chats::updated_at.eq(at)))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(telegram_chats::table)
            .values((
                telegram_chats::chat_id.eq(chat_id),
                telegram_chats::dialogue.eq(dialogue),
                telegram_chats::updated_at.eq(at),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn record_message(
    conn: &mut DbConn,
    chat_id: i64,
    message_id: i64,
    ticket_id: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(telegram_messages::table)
        .values((
            telegram_messages::chat_id.eq(chat_id),
            telegram_messages::message_id.eq(message_id),
            telegram_messages::ticket_id.eq(ticket_id),
            telegram_messages::sent_at.eq(at),
        ))
        .execute(conn)
        .map(drop)
}

pub fn ticket_of_message(conn: &mut DbConn, chat_id: i64, message_id: i64) -> QueryResult<Option<String>> {
    telegram_messages::table.find((chat_id, message_id)).select(telegram_messages::ticket_id).first(conn).optional()
}

/// Tickets whose requester is this chat, newest first.
pub fn tickets_of_chat(conn: &mut DbConn, chat_id: i64, limit: i64) -> QueryResult<Vec<TicketRow>> {
    tickets::table
        .inner_join(requesters::table)
        .filter(requesters::telegram_id.eq(chat_id.to_string()))
        .order(tickets::id.desc())
        .limit(limit)
        .select(TicketRow::as_select())
        .load(conn)
}
