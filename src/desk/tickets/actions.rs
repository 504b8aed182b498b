//! The status machine's actions on a ticket (SPEC 2), each with its audit event and notices.

use super::*;

/// The body of `POST /tickets/{number}/{action}`, one shape per action.
#[derive(Debug, Clone)]
pub enum ActionRequest {
    Assign {
        username: String,
    },
    Start,
    Pend {
        reason: Option<String>,
    },
    Resume,
    /// `resolve_linked`: a problem also resolves its linked incidents that are still new, open
    /// or pending, with the same resolution (SPEC 2).
    Resolve {
        resolution: String,
        resolve_linked: bool,
    },
    Close,
    Reopen {
        reason: Option<String>,
    },
    Cancel {
        reason: String,
    },
    Escalate {
        reason: String,
    },
    Return {
        note: String,
    },
    Transfer {
        unit: String,
        reason: Option<String>,
    },
    Priority {
        impact: Level,
        urgency: Level,
    },
}

impl ActionRequest {
    pub fn action(&self) -> Action {
        match self {
            ActionRequest::Assign { .. } => Action::Assign,
            ActionRequest::Start => Action::Start,
            ActionRequest::Pend { .. } => Action::Pend,
            ActionRequest::Resume => Action::Resume,
            ActionRequest::Resolve { .. } => Action::Resolve,
            ActionRequest::Close => Action::Close,
            ActionRequest::Reopen { .. } => Action::Reopen,
            ActionRequest::Cancel { .. } => Action::Cancel,
            ActionRequest::Escalate { .. } => Action::Escalate,
            ActionRequest::Return { .. } => Action::Return,
            ActionRequest::Transfer { .. } => Action::Transfer,
            ActionRequest::Priority { .. } => Action::Priority,
        }
    }

    /// Text fields are checked before the transaction.
    pub fn validate(&self) -> DeskResult<()> {
        let optional =
            |field: &str, text: &Option<String>| text.as_deref().map_or(Ok(()), |t| check_text(field, t, MAX_BODY));
        match self {
            ActionRequest::Resolve { resolution, .. } => check_text("resolution", resolution, MAX_BODY),
            ActionRequest::Cancel { reason } | ActionRequest::Escalate { reason } => {
                check_text("reason", reason, MAX_BODY)
            }
            ActionRequest::Return { note } => check_text("note", note, MAX_BODY),
            ActionRequest::Pend { reason }
            | ActionRequest::Reopen { reason }
            | ActionRequest::Transfer { reason, .. } => optional("reason", reason),
            _ => Ok(()),
        }
    }
}

/// An action with the minutes the agent spent on it (issue 15), recorded in the same change.
pub fn act_with_time(
    tx: &mut Tx,
    desk: &Desk,
    actor: &Actor,
    number: &str,
    request: ActionRequest,
    minutes: Option<i32>,
) -> DeskResult<Ticket> {
    crate::desk::time_spent::check(Some(actor), minutes)?;
    let action = request.action();
    let ticket = act(tx, desk, actor, number, request)?;
    if let Some(minutes) = minutes {
        crate::desk::time_spent::record(tx, &ticket.row.id, actor, minutes, None, Some(action.as_str()))?;
    }
    Ok(ticket)
}

pub fn act(tx: &mut Tx, desk: &Desk, actor: &Actor, number: &str, request: ActionRequest) -> DeskResult<Ticket> {
    request.validate()?;
    let action = request.action();
    let ticket = visible_ticket_for_update(tx.conn, actor, number)?;
    let status = ticket.status;
    let Some(next) = next_status(status, action) else {
        return Err(conflict_with_allowed(&ticket, actor, format!("cannot {action} a ticket that is {status}")));
    };
    if let Some(tier) = required_tier(action) {
        if ticket.row.tier != tier {
            return Err(conflict_with_allowed(
                &ticket,
                actor,
                format!("cannot {action} a ticket at tier {}", ticket.row.tier),
            ));
        }
    }
    if !actor.may(&ticket.scope(), action) {
        return Err(DeskError::Forbidden(format!("a {} may not {action} this ticket", actor.role)));
    }
    let now = tx.now;
    let mut row = ticket.row.clone();
    let mut priority = ticket.priority;
    let mut data = json!({ "from_status": status.as_str(), "to_status": next.as_str() });
    let request_after = request.clone();
    match request {
        ActionRequest::Assign { username } => {
            let user = assignee_for(tx, &ticket, &username)?;
            data["from"] = json!(row.assignee_id.as_ref().map(|id| desk.names.username(tx.conn, id)).transpose()?);
            data["to"] = json!(user.username);
            row.assignee_id = Some(user.id.clone());
            match &user.email {
                Some(email) => {
                    queue_notice(tx, &row, "email", email, "ticket_assigned", json!({ "number": row.number }))?
                }
                // Staff without an address still hear of it on the Telegram chats they linked.
                None => {
                    for chat in crate::db::telegram::chats_of_user(tx.conn, &user.id)? {
                        let payload = json!({ "number": row.number });
                        let notice = OutboxRow::new(
                            tx.now.naive_utc(),
                            Some(&row.id),
                            "telegram",
                            &chat.to_string(),
                            "ticket_assigned",
                            &payload,
                        );
                        outbox::insert(tx.conn, &notice)?;
                    }
                }
            }
        }
        ActionRequest::Start => {
            if row.assignee_id.is_none() && matches!(actor.role, Role::AgentT1 | Role::AgentT2) {
                row.assignee_id = Some(actor.user_id.clone());
                data["to"] = json!(actor.username);
            }
        }
        ActionRequest::Pend { reason } => {
            row.pending_since = Some(now.naive_utc());
            data["reason"] = json!(reason);
            notify_requester(tx, &row, "ticket_pending", json!({ "number": row.number }))?;
        }
        ActionRequest::Resume => {
            if let Some(since) = row.pending_since.take() {
                let paused = add_pause(desk, &mut row, priority, utc(since), now);
                data["paused_minutes"] = json!(paused / 60);
            }
            recompute_resolution_due(desk, &mut row, priority)?;
            data["resolution_due"] = json!(utc(row.resolution_due));
        }
        ActionRequest::Resolve { resolution, resolve_linked } => {
            if resolve_linked && row.kind != Kind::Problem.as_str() {
                return Err(DeskError::invalid("resolve_linked", format!("{} is not a problem ticket", row.number)));
            }
            let message = public_reply(tx, &mut row, actor, resolution.trim().to_string())?;
            row.resolved_at = Some(now.naive_utc());
            data["message_id"] = json!(message.id);
            // SPEC 2: the requester is asked for a rating (once per ticket) with the resolution.
            let csat_token = crate::desk::csat::request(tx, &row)?;
            notify_requester(
                tx,
                &row,
                "ticket_resolved",
                json!({ "number": row.number, "message_id": message.id, "csat_token": csat_token }),
            )?;
        }
        ActionRequest::Close => {
            row.closed_at = Some(now.naive_utc());
        }
        ActionRequest::Reopen { reason } => {
            // SPEC 4: a reopen resumes the resolution clock with the time already used; the
            // time spent resolved does not count.
            if let Some(resolved) = row.resolved_at.take() {
                add_pause(desk, &mut row, priority, utc(resolved), now);
            }
            recompute_resolution_due(desk, &mut row, priority)?;
            data["reason"] = json!(reason);
            data["resolution_due"] = json!(utc(row.resolution_due));
        }
        ActionRequest::Cancel { reason } => {
            row.closed_at = Some(now.naive_utc());
            // The clock stops here as it would on resume-then-stop: a pause ending with the
            // cancellation moves the due time by its length, so that a ticket cancelled while
            // pending is judged on the time it was actually worked (list and detail agree).
            if let Some(since) = row.pending_since.take() {
                add_pause(desk, &mut row, priority, utc(since), now);
                recompute_resolution_due(desk, &mut row, priority)?;
                data["resolution_due"] = json!(utc(row.resolution_due));
            }
            data["reason"] = json!(reason);
            notify_requester(tx, &row, "ticket_cancelled", json!({ "number": row.number, "reason": reason }))?;
        }
        ActionRequest::Escalate { reason } => {
            // Pontianak Pasal 51(9): what tier 1 cannot solve goes to tier 2 at Diskominfo.
            row.tier = 2;
            row.escalated = true;
            row.tier1_assignee_id = row.assignee_id.take();
            internal_note(tx, &row.id, actor, format!("Eskalasi ke Tier 2: {}", reason.trim()))?;
            data["reason"] = json!(reason.trim());
            if let Some(unit) = catalog_db::tier2_unit(tx.conn)?.and_then(|u| u.email) {
                queue_notice(tx, &row, "email", &unit, "ticket_escalated", json!({ "number": row.number }))?;
            }
        }
        ActionRequest::Return { note } => {
            row.tier = 1;
            row.assignee_id = row.tier1_assignee_id.take();
            internal_note(tx, &row.id, actor, format!("Dikembalikan ke Tier 1: {}", note.trim()))?;
            data["note"] = json!(note.trim());
        }
        ActionRequest::Transfer { unit, reason } => {
            let target = catalog_db::unit_by_code(tx.conn, &unit)?
                .filter(|u| u.active)
                .ok_or_else(|| DeskError::invalid("unit", format!("no active unit with code {unit}")))?;
            if target.id == row.unit_id {
                return Err(DeskError::invalid("unit", format!("the ticket is already at {unit}")));
            }
            data["from_unit"] = json!(desk.names.unit_code(tx.conn, &row.unit_id)?);
            data["to_unit"] = json!(target.code);
            data["reason"] = json!(reason);
            if let Some(service) = &row.service_id {
                let belongs = catalog_db::service_by_id(tx.conn, service)?.is_some_and(|s| s.unit_id == target.id);
                if !belongs {
                    row.service_id = None;
                }
            }
            row.unit_id = target.id.clone();
            row.assignee_id = None;
            row.tier1_assignee_id = None;
            if let Some(email) = &target.email {
                queue_notice(tx, &row, "email", email, "ticket_transferred", json!({ "number": row.number }))?;
            }
        }
        ActionRequest::Priority { impact, urgency } => {
            let new_priority = priority_of(impact, urgency);
            data["from_priority"] = json!(priority.as_str());
            data["to_priority"] = json!(new_priority.as_str());
            priority = new_priority;
            row.impact = impact.as_str().into();
            row.urgency = urgency.as_str().into();
            row.priority = priority.as_str().into();
            // SPEC 4: recompute both due times from creation with the new targets, keeping
            // the pauses (measured again if the new priority counts in another calendar).
            let rules = desk.rules();
            let (old, new) = (rules.for_priority(ticket.priority).1, rules.for_priority(priority).1);
            if old.name != new.name {
                sla::remeasure_pauses(tx.conn, &new, &mut row)?;
            }
            sla::recompute_dues(&rules, &mut row, priority)?;
            data["first_response_due"] = json!(utc(row.first_response_due));
            data["resolution_due"] = json!(utc(row.resolution_due));
        }
    }
    row.status = next.as_str().into();
    row.active = next.is_active();
    row.updated_at = now.naive_utc();
    sla::reschedule(tx.conn, &desk.rules(), &mut row, None)?;
    db::save(tx.conn, &row)?;
    tx.record(Some(&row.id), Some(&actor.user_id), &format!("ticket.{}", event_name(action)), data)?;
    if let ActionRequest::Resolve { resolution, resolve_linked } = &request_after {
        if row.kind == Kind::Problem.as_str() {
            // Linked reports are answered first: their requesters then hear the resolution,
            // not also the disruption's end.
            if *resolve_linked {
                crate::desk::disruptions::intake::resolve_linked(tx, desk, actor, &row, resolution.trim())?;
            }
            crate::desk::disruptions::end_with_problem(tx, actor, &row.id)?;
        }
    }
    if status != next && !matches!(action, Action::Resolve | Action::Pend | Action::Cancel) {
        notify_requester(tx, &row, "ticket_status", json!({ "number": row.number, "status": next.as_str() }))?;
    }
    Ticket::from_row(row, ticket.requester_user_id)
}

fn event_name(action: Action) -> &'static str {
    match action {
        Action::Assign => "assigned",
        Action::Start => "started",
        Action::Pend => "pending",
        Action::Resume => "resumed",
        Action::Resolve => "resolved",
        Action::Close => "closed",
        Action::Reopen => "reopened",
        Action::Cancel => "cancelled",
        Action::Escalate => "escalated",
        Action::Return => "returned",
        Action::Transfer => "transferred",
        Action::Priority => "priority_changed",
    }
}
