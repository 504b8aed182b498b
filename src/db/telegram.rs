//! The Telegram channel's tables: chats and their dialogue, messages about tickets, handled updates.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{requesters, telegram_chats, telegram_link_codes, telegram_messages, telegram_updates, tickets};
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

/// The chat's dialogue, read outside a transaction (to decide whether to fetch a file).
pub fn dialogue_unlocked(conn: &mut DbConn, chat_id: i64) -> QueryResult<Option<String>> {
    telegram_chats::table.find(chat_id).select(telegram_chats::dialogue).first(conn).optional()
}

/// The chat's dialogue, its row locked until the transaction ends on PostgreSQL (two updates
/// of one chat handled at once, by two writers, take turns).
pub fn dialogue(conn: &mut DbConn, chat_id: i64) -> QueryResult<Option<String>> {
    match conn {
        DbConn::Pg(c) => {
            telegram_chats::table.find(chat_id).select(telegram_chats::dialogue).for_update().first(c).optional()
        }
        DbConn::Sqlite(c) => telegram_chats::table.find(chat_id).select(telegram_chats::dialogue).first(c).optional(),
    }
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

pub fn insert_link_code(
    conn: &mut DbConn,
    code_hash: &str,
    user_id: &str,
    unit_id: Option<&str>,
    expires_at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(telegram_link_codes::table)
        .values((
            telegram_link_codes::code_hash.eq(code_hash),
            telegram_link_codes::user_id.eq(user_id),
            telegram_link_codes::unit_id.eq(unit_id),
            telegram_link_codes::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .map(drop)
}

/// The (user, unit) a code was issued for, if it is unused and valid now.
pub fn peek_link_code(
    conn: &mut DbConn,
    code_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<(String, Option<String>)>> {
    telegram_link_codes::table
        .find(code_hash)
        .filter(telegram_link_codes::used_at.is_null())
        .filter(telegram_link_codes::expires_at.gt(now))
        .select((telegram_link_codes::user_id, telegram_link_codes::unit_id))
        .first(conn)
        .optional()
}

/// Uses a code: true for the one caller that did (a single conditional update, so two chats
/// racing with the same code cannot both win).
pub fn consume_link_code(conn: &mut DbConn, code_hash: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let updated = diesel::update(
        telegram_link_codes::table
            .find(code_hash)
            .filter(telegram_link_codes::used_at.is_null())
            .filter(telegram_link_codes::expires_at.gt(now)),
    )
    .set(telegram_link_codes::used_at.eq(now))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Links the chat to a staff account (`unit` none) or a unit's group (`unit` set); a chat is
/// one or the other, and an account has one chat.
pub fn link_chat(
    conn: &mut DbConn,
    chat_id: i64,
    user_id: Option<&str>,
    unit_id: Option<&str>,
    at: NaiveDateTime,
) -> QueryResult<()> {
    super::hot::changed();
    if let Some(user) = user_id {
        diesel::update(telegram_chats::table.filter(telegram_chats::user_id.eq(user)))
            .set(telegram_chats::user_id.eq(None::<String>))
            .execute(conn)?;
    }
    save_dialogue(conn, chat_id, "{\"step\":\"idle\"}", at)?;
    diesel::update(telegram_chats::table.find(chat_id))
        .set((telegram_chats::user_id.eq(user_id), telegram_chats::unit_id.eq(unit_id)))
        .execute(conn)
        .map(drop)
}

/// A linked chat: (chat, user id, unit id, last update).
pub type LinkedChatRow = (i64, Option<String>, Option<String>, NaiveDateTime);

/// Chats linked to a staff account or to a unit's group.
pub fn linked_chats(conn: &mut DbConn) -> QueryResult<Vec<LinkedChatRow>> {
    telegram_chats::table
        .filter(telegram_chats::user_id.is_not_null().or(telegram_chats::unit_id.is_not_null()))
        .order(telegram_chats::chat_id.asc())
        .select((telegram_chats::chat_id, telegram_chats::user_id, telegram_chats::unit_id, telegram_chats::updated_at))
        .load(conn)
}

/// The staff account a chat is linked to.
pub fn user_of_chat(conn: &mut DbConn, chat_id: i64) -> QueryResult<Option<String>> {
    Ok(telegram_chats::table.find(chat_id).select(telegram_chats::user_id).first(conn).optional()?.flatten())
}

/// The chats that should see a staff notice mailed to `address`: the chat of the account with
/// that address, and (`with_groups`) the group chats of the unit whose address (or desk
/// mailbox) it is.
pub fn chats_for_address(conn: &mut DbConn, address: &str, with_groups: bool) -> QueryResult<Vec<i64>> {
    use super::schema::{mailboxes, units, users};
    let mut chats: Vec<i64> = telegram_chats::table
        .inner_join(users::table.on(users::id.nullable().eq(telegram_chats::user_id)))
        .filter(users::email.eq(address))
        .filter(users::active.eq(true))
        .select(telegram_chats::chat_id)
        .load(conn)?;
    let mut unit_ids: Vec<String> = units::table.filter(units::email.eq(address)).select(units::id).load(conn)?;
    unit_ids.extend(
        mailboxes::table.filter(mailboxes::address.eq(address)).select(mailboxes::unit_id).load::<String>(conn)?,
    );
    if with_groups && !unit_ids.is_empty() {
        chats.extend(group_chats_of(conn, &unit_ids)?);
    }
    chats.sort_unstable();
    chats.dedup();
    Ok(chats)
}

/// The private chats a staff account linked.
pub fn chats_of_user(conn: &mut DbConn, user_id: &str) -> QueryResult<Vec<i64>> {
    telegram_chats::table.filter(telegram_chats::user_id.eq(user_id)).select(telegram_chats::chat_id).load(conn)
}

pub fn group_chats_of(conn: &mut DbConn, unit_ids: &[String]) -> QueryResult<Vec<i64>> {
    telegram_chats::table
        .filter(telegram_chats::unit_id.eq_any(unit_ids))
        .filter(telegram_chats::user_id.is_null())
        .select(telegram_chats::chat_id)
        .load(conn)
}
