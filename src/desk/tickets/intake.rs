//! Opening a ticket: checks, the requester found or made, SLA clocks, and the notices.

use super::*;

fn clean_optional(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_string()).filter(|t| !t.is_empty())
}

/// The checks of a new ticket's own fields, before anything is read or written. The public
/// portal runs them before it queues a report too: a report refused here then costs the batch
/// nothing, where a failure inside it makes the new tickets sharing its savepoint run again.
pub fn validate_new_ticket(input: &NewTicket) -> DeskResult<()> {
    check_text("title", &input.title, MAX_TITLE)?;
    check_text("description", &input.description, MAX_BODY)?;
    if let Some(r) = &input.requester {
        check_text("requester.name", &r.name, 200)?;
        if let Some(email) = r.email.as_deref().filter(|e| !e.trim().is_empty()) {
            check_email("requester.email", email.trim())?;
        }
        if let Some(phone) = r.phone.as_deref().filter(|p| !p.trim().is_empty()) {
            crate::desk::requesters::check_phone("requester.phone", phone)?;
        }
        if let Some(chat) = r.telegram_id.as_deref().filter(|c| !c.trim().is_empty()) {
            if chat.len() > 32 || !chat.chars().all(|c| c.is_ascii_digit() || c == '-') {
                return Err(DeskError::invalid("requester.telegram_id", "is not a Telegram chat id"));
            }
        }
    }
    Ok(())
}

/// The local year of the city, for numbering: a ticket opened at 23:30 WIB on 31 December
/// belongs to that year.
fn local_year(desk: &Desk, at: DateTime<Utc>) -> i32 {
    at.with_timezone(&desk.zone).year()
}

/// Resume and reopen: the resolution clock moves by the pause, the first response does not.
pub(crate) fn recompute_resolution_due(
    desk: &Desk,
    row: &mut TicketRow,
    priority: crate::domain::ticket::Priority,
) -> DeskResult<()> {
    sla::recompute_resolution_due(&desk.rules(), row, priority)
}

/// Business time between `from` and `now` on the resolution calendar, added to the pauses.
pub(crate) fn add_pause(
    desk: &Desk,
    row: &mut TicketRow,
    priority: crate::domain::ticket::Priority,
    from: DateTime<Utc>,
    now: DateTime<Utc>,
) -> i64 {
    let rules = desk.rules();
    let (_, calendar) = rules.for_priority(priority);
    let paused = calendar.business_seconds_between(from, now);
    row.paused_seconds += paused;
    paused
}

pub(crate) fn queue_notice(
    tx: &mut Tx,
    ticket: &TicketRow,
    channel: &str,
    recipient: &str,
    template: &str,
    payload: serde_json::Value,
) -> DeskResult<()> {
    let row = OutboxRow::new(tx.now.naive_utc(), Some(&ticket.id), channel, recipient, template, &payload);
    outbox::insert(tx.conn, &row)?;
    // Staff who linked Telegram get the notice there too.
    crate::desk::telegram_links::queue_mirrored(tx, std::slice::from_ref(&row))
}

/// Tells the requester on the channels it gave us. Delivery happens after commit.
pub(crate) fn notify_requester(
    tx: &mut Tx,
    ticket: &TicketRow,
    template: &str,
    payload: serde_json::Value,
) -> DeskResult<()> {
    crate::desk::followers::notify(tx, ticket, template, &payload)?;
    match catalog_db::requester_by_id(tx.conn, &ticket.requester_id)? {
        Some(requester) => notify(tx, ticket, &requester, template, payload),
        None => Ok(()),
    }
}

fn notify(
    tx: &mut Tx,
    ticket: &TicketRow,
    requester: &RequesterRow,
    template: &str,
    payload: serde_json::Value,
) -> DeskResult<()> {
    if let Some(email) = &requester.email {
        queue_notice(tx, ticket, "email", email, template, payload.clone())?;
    }
    let mut chats: Vec<(&str, String)> = requester.telegram_id.iter().map(|c| ("telegram", c.clone())).collect();
    for wa_id in whatsapp_contacts(tx, Some(requester))? {
        chats.push(("whatsapp", wa_id));
    }
    // Files go as their own messages after the text, each sent (and retried) on its own.
    let files = payload["attachments"].as_array().cloned().unwrap_or_default();
    for (channel, chat) in chats {
        queue_notice(tx, ticket, channel, &chat, template, payload.clone())?;
        for file in &files {
            queue_notice(tx, ticket, channel, &chat, "reply_file", json!({ "number": ticket.number, "file": file }))?;
        }
    }
    Ok(())
}

/// The WhatsApp contacts that write from a requester's number: notices go to them too (only
/// to numbers that wrote to the desk; whether BERHENTI or the window allow it is decided at
/// delivery). Only a record that is a number and nothing else is heard on WhatsApp: a number
/// typed next to an address on the portal may be anybody's.
pub(crate) fn whatsapp_contacts(tx: &mut Tx, requester: Option<&RequesterRow>) -> DeskResult<Vec<String>> {
    let Some(requester) = requester.filter(|r| crate::conversation::phone_only(r)) else { return Ok(Vec::new()) };
    let Some(phone) = requester.phone.as_deref().and_then(crate::domain::phone::e164) else { return Ok(Vec::new()) };
    Ok(crate::db::whatsapp::contacts_of_phone(tx.conn, &phone)?.into_iter().map(|c| c.wa_id).collect())
}

/// The requester of a new ticket: the account's own record, else one found by e-mail address
/// or Telegram chat, else a new one. A found record keeps its identity unless the change comes
/// from staff or from the requester signed in (then it is audited, `requester.updated`): a
/// report without a sign-in can name anybody's address (issue 20). Missing contact details are
/// filled in only on the same terms.
fn find_or_create_requester(
    tx: &mut Tx,
    actor: Option<&Actor>,
    input: Option<RequesterInput>,
) -> DeskResult<RequesterRow> {
    let account = actor.filter(|a| a.role == Role::Requester);
    let input = match (input, account) {
        (Some(i), _) => i,
        (None, Some(a)) => RequesterInput::named(a.name.clone(), None),
        (None, None) => {
            return Err(DeskError::invalid("requester", "who reports the problem is required: requester.name at least"))
        }
    };
    let email = clean_optional(input.email).map(|e| e.to_lowercase());
    // Kept as written (erasure finds it in the texts so); matched in any form (E.164 below).
    let phone = clean_optional(input.phone);
    let telegram = clean_optional(input.telegram_id);
    let name = input.name.trim().to_string();
    let user_id = account.map(|a| a.user_id.clone());
    let language = crate::desk::requesters::parse_language("requester.language", input.language.as_deref())?;
    // A number is matched only for reports that carry nothing else (WhatsApp, the telephone),
    // and only to records that are a number and nothing else.
    let phone_forms = match (phone.as_deref(), &email, &telegram, &user_id) {
        (Some(p), None, None, None) => {
            crate::domain::phone::e164(p).map(|p| crate::domain::phone::stored_forms(&p)).unwrap_or_default()
        }
        _ => Vec::new(),
    };
    if let Some(mut existing) =
        catalog_db::find_requester(tx.conn, user_id.as_deref(), email.as_deref(), telegram.as_deref(), &phone_forms)?
    {
        let entitled = actor
            .filter(|a| a.role.is_staff() || existing.user_id.as_deref().is_some_and(|own| own == a.user_id.as_str()));
        let Some(actor) = entitled else { return Ok(existing) };
        if existing.email.is_none() && email.is_some() {
            existing.email = email;
            catalog_db::update_requester(tx.conn, &existing)?;
            tx.record(
                None,
                Some(&actor.user_id),
                "requester.updated",
                json!({ "requester_id": existing.id, "fields": ["email"], "via": "ticket" }),
            )?;
        }
        // An existing chat link is never replaced through another channel's details.
        if existing.telegram_id.is_none() && telegram.is_some() {
            existing.telegram_id = telegram;
            catalog_db::update_requester(tx.conn, &existing)?;
            tx.record(
                None,
                Some(&actor.user_id),
                "requester.updated",
                json!({ "requester_id": existing.id, "fields": ["telegram_id"], "via": "ticket" }),
            )?;
        }
        crate::desk::requesters::apply(tx, actor, &mut existing, Some(name), phone.map(Some), language, "ticket")?;
        return Ok(existing);
    }
    let row = RequesterRow {
        id: new_id(),
        name,
        email,
        phone,
        telegram_id: telegram,
        user_id,
        created_at: tx.now.naive_utc(),
        language,
    };
    catalog_db::insert_requester(tx.conn, &row)?;
    Ok(row)
}

/// The result of opening a ticket: the citizen's tracking token is shown once, never stored.
#[derive(Debug, Clone)]
pub struct Opened {
    pub ticket: Ticket,
    pub tracking_token: Option<String>,
    pub requester: RequesterRow,
    /// The known disruption of the ticket's service it was linked to, if any.
    pub disruption: Option<crate::desk::disruptions::intake::KnownDisruption>,
}

/// Opens a ticket at tier 1 of its unit with its SLA clocks running. `actor` is `None` for
/// the public portal.
pub fn open_ticket(tx: &mut Tx, desk: &Desk, actor: Option<&Actor>, input: NewTicket) -> DeskResult<Opened> {
    validate_new_ticket(&input)?;
    let input_breach = input.personal_data_breach.unwrap_or(false);
    if actor.is_some_and(|a| a.role.is_staff()) && input.requester.is_none() {
        return Err(DeskError::invalid("requester", "who reports the problem is required: requester.name at least"));
    }
    let service = match &input.service {
        Some(code) => Some(
            desk.names
                .service_by_code(tx.conn, code)?
                .filter(|s| s.active)
                .ok_or_else(|| DeskError::invalid("service", format!("no active service with code {code}")))?,
        ),
        None => None,
    };
    let unit = match (&input.unit, &service) {
        (Some(code), _) => desk
            .names
            .unit_by_code(tx.conn, code)?
            .filter(|u| u.active)
            .ok_or_else(|| DeskError::invalid("unit", format!("no active unit with code {code}")))?,
        (None, Some(s)) => desk
            .names
            .unit_by_id(tx.conn, &s.unit_id)?
            .ok_or_else(|| DeskError::Internal("service without unit".into()))?,
        (None, None) => {
            let own = actor.filter(|a| a.role.is_staff()).and_then(|a| a.unit_id.clone());
            match own {
                Some(id) => desk
                    .names
                    .unit_by_id(tx.conn, &id)?
                    .ok_or_else(|| DeskError::Internal("actor's unit is gone".into()))?,
                // The city-wide desk: tier 1 of the tier-2 unit receives and routes.
                None => catalog_db::tier2_unit(tx.conn)?.ok_or_else(|| {
                    DeskError::invalid("unit", "unit or service is required (no city-wide desk is configured)")
                })?,
            }
        }
    };
    if let Some(s) = &service {
        if s.unit_id != unit.id {
            return Err(DeskError::invalid(
                "service",
                format!("service {} does not belong to unit {}", s.code, unit.code),
            ));
        }
    }
    if let Some(a) = actor {
        if matches!(a.role, Role::AgentT1 | Role::UnitHead) && a.unit_id.as_deref() != Some(unit.id.as_str()) {
            return Err(DeskError::Forbidden(format!(
                "a tier-1 desk opens tickets for its own unit; open it here and transfer it to {}",
                unit.code
            )));
        }
    }
    let channel = match (actor, input.channel) {
        // The public portal says web; the e-mail intake says email.
        (None, given) => given.unwrap_or(Channel::Web),
        (Some(a), Some(c)) if a.role.is_staff() => c,
        (Some(a), _) if a.role == Role::Requester => Channel::Web,
        _ => Channel::Api,
    };
    let requester = find_or_create_requester(tx, actor, input.requester)?;
    let priority = priority_of(input.impact, input.urgency);
    let year = local_year(desk, tx.now);
    let tracking_token = actor.is_none().then(|| crate::desk::auth::random_secret(20));
    let classification = input.classification.unwrap_or(Classification::Internal);
    let now = tx.now.naive_utc();
    let mut row = TicketRow {
        id: new_id(),
        // Drawn as the row is inserted.
        number: String::new(),
        kind: input.kind.as_str().into(),
        title: input.title.trim().to_string(),
        description: input.description.trim().to_string(),
        unit_id: unit.id.clone(),
        service_id: service.as_ref().map(|s| s.id.clone()),
        tier: 1,
        status: Status::New.as_str().into(),
        active: true,
        impact: input.impact.as_str().into(),
        urgency: input.urgency.as_str().into(),
        priority: priority.as_str().into(),
        classification: classification.as_str().into(),
        security_incident: input.security_incident.unwrap_or(false) || input.personal_data_breach.unwrap_or(false),
        channel: channel.as_str().into(),
        requester_id: requester.id.clone(),
        tracking_token_hash: tracking_token.as_deref().map(crate::desk::auth::sha256_hex),
        assignee_id: None,
        tier1_assignee_id: None,
        escalated: false,
        created_by: actor.map(|a| a.user_id.clone()),
        created_at: now,
        updated_at: now,
        first_response_at: None,
        first_response_due: now,
        resolution_due: now,
        pending_since: None,
        paused_seconds: 0,
        resolved_at: None,
        closed_at: None,
        sla_next_at: None,
    };
    // A confidential ticket is visible to its assignee only (besides tier 2 and supervisors):
    // the agent who records one keeps it, rather than losing sight of it at once.
    if classification == Classification::Confidential {
        if let Some(a) = actor.filter(|a| matches!(a.role, Role::AgentT1 | Role::AgentT2)) {
            row.assignee_id = Some(a.user_id.clone());
        }
    }
    let rules = desk.rules();
    sla::recompute_dues(&rules, &mut row, priority)?;
    sla::reschedule(tx.conn, &rules, &mut row, Some(&[]))?;
    db::insert_numbered(tx.conn, &mut row, &desk.number_prefix, year)?;
    desk.names.remember_unit(&unit.id, &unit.code);
    tx.record(
        Some(&row.id),
        actor.map(|a| a.user_id.as_str()),
        "ticket.created",
        json!({
            "number": row.number, "kind": row.kind, "unit": unit.code,
            "service": service.as_ref().map(|s| &s.code), "tier": 1, "priority": row.priority,
            "classification": row.classification, "channel": row.channel,
            "security_incident": row.security_incident,
            "first_response_due": utc(row.first_response_due), "resolution_due": utc(row.resolution_due),
        }),
    )?;
    // SPEC 6: a flag at intake starts its notice clock and tells tier 2 and the supervisors now.
    let (security, breach) = (row.security_incident, input_breach);
    if security || breach {
        crate::desk::incidents::raise(tx, &mut row, actor.map(|a| a.user_id.as_str()), security, breach, None)?;
    }
    crate::desk::telegram_links::queue_new_ticket(tx, &row)?;
    // A report on a service known to be down joins the disruption's problem (SPEC 2), and the
    // acknowledgement says the disruption is known.
    let disruption = crate::desk::disruptions::intake::join_current(tx, &row, input.follow_disruption.unwrap_or(true))?;
    // The tracking token travels in the acknowledgement (and is scrubbed once it is sent).
    notify(
        tx,
        &row,
        &requester,
        "ticket_received",
        json!({ "number": row.number, "tracking_token": tracking_token, "disruption": disruption }),
    )?;
    let ticket = Ticket::from_row(row, requester.user_id.clone())?;
    Ok(Opened { ticket, tracking_token, requester, disruption })
}
