//! Bulk actions (issue 15): one action on up to 500 tickets of the queue. Each ticket is
//! checked on its own (visible to the actor, the transition allowed, the fields required) and
//! changed in its own savepoint of the writers' batches, so one refusal undoes nothing else;
//! every change carries the same audit event as when it is done one ticket at a time.

use super::{act, add_message, check_text, visible_ticket_for_update, ActionRequest, Author, NewMessage, MAX_BODY};
use crate::desk::{Desk, DeskError, DeskResult, Tx};
use crate::domain::role::Actor;

/// Most tickets one call may name: a page of the queue is 50, "select all" over ten pages.
pub const MAX_BULK: usize = 500;

/// The actions offered in bulk, by their API names.
pub const BULK_ACTIONS: [&str; 8] = ["assign", "transfer", "priority", "pend", "resolve", "close", "cancel", "note"];

/// What is done to every ticket named.
#[derive(Debug, Clone)]
pub enum BulkAction {
    /// A status-machine action, exactly as `POST /tickets/{number}/{action}`.
    Act(ActionRequest),
    /// An internal note with this text.
    Note { body: String },
}

impl BulkAction {
    /// The fields are checked once for the whole call, before any ticket is touched.
    pub fn validate(&self) -> DeskResult<()> {
        match self {
            BulkAction::Act(request) => request.validate(),
            BulkAction::Note { body } => check_text("body", body, MAX_BODY),
        }
    }
}

/// One ticket's outcome, in the order the numbers were given.
#[derive(Debug)]
pub struct BulkOutcome {
    pub number: String,
    pub result: DeskResult<()>,
}

/// The numbers of a call: trimmed, each once (first mention kept), at least one, at most
/// `MAX_BULK`.
pub fn check_numbers(numbers: Vec<String>) -> DeskResult<Vec<String>> {
    let mut seen = std::collections::HashSet::new();
    let mut unique = Vec::with_capacity(numbers.len());
    for number in numbers {
        let number = number.trim().to_string();
        if number.is_empty() {
            return Err(DeskError::invalid("numbers", "a ticket number is empty"));
        }
        if seen.insert(number.clone()) {
            unique.push(number);
        }
    }
    if unique.is_empty() {
        return Err(DeskError::invalid("numbers", "name at least one ticket"));
    }
    if unique.len() > MAX_BULK {
        return Err(DeskError::invalid(
            "numbers",
            format!("at most {MAX_BULK} tickets a call; {} were given", unique.len()),
        ));
    }
    Ok(unique)
}

/// Applies `action` to every ticket: all are queued to the writers at once (they commit in a
/// few batches), then each outcome is awaited. A ticket the actor may not see fails exactly
/// like one that does not exist.
pub async fn run(desk: &Desk, actor: &Actor, numbers: Vec<String>, action: BulkAction) -> DeskResult<Vec<BulkOutcome>> {
    if !actor.role.is_staff() {
        return Err(DeskError::Forbidden("bulk actions are for the desk's staff".into()));
    }
    action.validate()?;
    let mut pending = Vec::with_capacity(numbers.len());
    for number in numbers {
        let (d, actor, action, n) = (desk.clone(), actor.clone(), action.clone(), number.clone());
        let receiver = desk.writer.enqueue(move |tx| apply(tx, &d, &actor, &n, action));
        pending.push((number, receiver));
    }
    let mut outcomes = Vec::with_capacity(pending.len());
    for (number, receiver) in pending {
        let result = match receiver {
            Ok(receiver) => receiver.await.unwrap_or_else(|_| {
                Err(DeskError::Unavailable("the change could not be committed; nothing was saved, please retry".into()))
            }),
            Err(e) => Err(e),
        };
        outcomes.push(BulkOutcome { number, result });
    }
    Ok(outcomes)
}

fn apply(tx: &mut Tx, desk: &Desk, actor: &Actor, number: &str, action: BulkAction) -> DeskResult<()> {
    match action {
        BulkAction::Act(request) => act(tx, desk, actor, number, request).map(drop),
        BulkAction::Note { body } => {
            let ticket = visible_ticket_for_update(tx.conn, actor, number)?;
            let note = NewMessage { body, internal: true, channel: None, files: Vec::new(), minutes: None };
            add_message(tx, desk, Author::User(actor), ticket, note).map(drop)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_trimmed_and_counted_once() {
        let numbers = check_numbers(vec![" SD-1 ".into(), "SD-2".into(), "SD-1".into()]).expect("valid");
        assert_eq!(numbers, vec!["SD-1", "SD-2"]);
    }

    #[test]
    fn empty_and_oversized_calls_are_refused_naming_the_field() {
        for numbers in [vec![], vec!["  ".to_string()], (0..=MAX_BULK).map(|i| format!("SD-{i}")).collect()] {
            match check_numbers(numbers) {
                Err(DeskError::Invalid { field, .. }) => assert_eq!(field, "numbers"),
                other => panic!("expected a refusal, got {other:?}"),
            }
        }
        assert_eq!(
            check_numbers((0..MAX_BULK).map(|i| format!("SD-{i}")).collect()).expect("500 is allowed").len(),
            MAX_BULK
        );
    }
}
