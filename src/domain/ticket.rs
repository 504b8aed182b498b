//! Tickets: kinds, the status machine, tiers and the impact × urgency matrix (SPEC section 2).

use super::string_enum;

string_enum!(
    /// What the requester asks for (Gangguan / Permintaan / Keluhan / Masalah / Perubahan / Informasi).
    Kind {
        Incident => "incident",
        ServiceRequest => "service_request",
        Complaint => "complaint",
        Problem => "problem",
        Change => "change",
        Information => "information",
    }
);

string_enum!(
    Status {
        New => "new",
        Open => "open",
        Pending => "pending",
        Resolved => "resolved",
        Closed => "closed",
        Cancelled => "cancelled",
    }
);

impl Status {
    /// Still in somebody's queue: counts toward the backlog and the resolution clock.
    pub fn is_active(self) -> bool {
        matches!(self, Status::New | Status::Open | Status::Pending)
    }
}

string_enum!(
    Level {
        High => "high",
        Medium => "medium",
        Low => "low",
    }
);

string_enum!(
    Priority {
        P1 => "P1",
        P2 => "P2",
        P3 => "P3",
        P4 => "P4",
    }
);

string_enum!(
    Classification {
        Public => "public",
        Internal => "internal",
        Confidential => "confidential",
    }
);

string_enum!(
    Channel {
        Web => "web",
        Email => "email",
        Telegram => "telegram",
        WhatsApp => "whatsapp",
        Api => "api",
        Phone => "phone",
    }
);

string_enum!(
    /// Everything that can be done to a ticket through `POST /tickets/{number}/{action}`.
    Action {
        Assign => "assign",
        Start => "start",
        Pend => "pend",
        Resume => "resume",
        Resolve => "resolve",
        Close => "close",
        Reopen => "reopen",
        Cancel => "cancel",
        Escalate => "escalate",
        Return => "return",
        Transfer => "transfer",
        Priority => "priority",
    }
);

/// SPEC section 2: high impact → P1/P2/P3 for high/medium/low urgency; medium → P2/P3/P4;
/// low → P3/P4/P4.
pub fn priority_of(impact: Level, urgency: Level) -> Priority {
    use Level::*;
    match (impact, urgency) {
        (High, High) => Priority::P1,
        (High, Medium) | (Medium, High) => Priority::P2,
        (High, Low) | (Medium, Medium) | (Low, High) => Priority::P3,
        (Medium, Low) | (Low, Medium) | (Low, Low) => Priority::P4,
    }
}

/// The status a ticket moves to when `action` is applied, or `None` when the status machine
/// forbids it. Tier and role checks are separate (see `role`).
pub fn next_status(status: Status, action: Action) -> Option<Status> {
    use Action as A;
    use Status as S;
    match (action, status) {
        // Triage: assigning a new ticket opens it; reassigning keeps the status.
        (A::Assign, S::New) => Some(S::Open),
        (A::Assign, S::Open | S::Pending) => Some(status),
        (A::Start, S::New) => Some(S::Open),
        (A::Pend, S::Open) => Some(S::Pending),
        (A::Resume, S::Pending) => Some(S::Open),
        (A::Resolve, S::Open) => Some(S::Resolved),
        (A::Close, S::Resolved) => Some(S::Closed),
        (A::Reopen, S::Resolved) => Some(S::Open),
        (A::Cancel, S::New | S::Open | S::Pending) => Some(S::Cancelled),
        // Moving a ticket between tiers or units, or re-rating it, keeps its status.
        (A::Escalate | A::Return | A::Transfer | A::Priority, s) if s.is_active() => Some(s),
        _ => None,
    }
}

/// The tier an action requires: escalation and transfer are tier-1 moves, return is tier 2's.
pub fn required_tier(action: Action) -> Option<i32> {
    match action {
        Action::Escalate | Action::Transfer => Some(1),
        Action::Return => Some(2),
        _ => None,
    }
}

/// Actions the status machine and the tier allow right now, before looking at who asks.
pub fn possible_actions(status: Status, tier: i32) -> Vec<Action> {
    Action::ALL
        .iter()
        .copied()
        .filter(|a| next_status(status, *a).is_some())
        .filter(|a| required_tier(*a).is_none_or(|t| t == tier))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priority_matrix_matches_spec() {
        use Level::*;
        let table = [
            (High, [Priority::P1, Priority::P2, Priority::P3]),
            (Medium, [Priority::P2, Priority::P3, Priority::P4]),
            (Low, [Priority::P3, Priority::P4, Priority::P4]),
        ];
        for (impact, row) in table {
            for (urgency, want) in [High, Medium, Low].into_iter().zip(row) {
                assert_eq!(priority_of(impact, urgency), want, "{impact} × {urgency}");
            }
        }
    }

    #[test]
    fn status_machine_follows_spec_graph() {
        use Status::*;
        assert_eq!(next_status(New, Action::Start), Some(Open));
        assert_eq!(next_status(Open, Action::Pend), Some(Pending));
        assert_eq!(next_status(Pending, Action::Resume), Some(Open));
        assert_eq!(next_status(Open, Action::Resolve), Some(Resolved));
        assert_eq!(next_status(Resolved, Action::Close), Some(Closed));
        assert_eq!(next_status(Resolved, Action::Reopen), Some(Open));
        for s in [New, Open, Pending] {
            assert_eq!(next_status(s, Action::Cancel), Some(Cancelled));
        }
        // Forbidden ones.
        assert_eq!(next_status(New, Action::Close), None);
        assert_eq!(next_status(New, Action::Resolve), None);
        assert_eq!(next_status(Pending, Action::Resolve), None);
        assert_eq!(next_status(Closed, Action::Reopen), None);
        assert_eq!(next_status(Cancelled, Action::Resume), None);
        assert_eq!(next_status(Resolved, Action::Cancel), None);
        assert_eq!(next_status(Closed, Action::Escalate), None);
    }

    #[test]
    fn tier_rules_filter_actions() {
        let t1 = possible_actions(Status::Open, 1);
        assert!(t1.contains(&Action::Escalate) && t1.contains(&Action::Transfer));
        assert!(!t1.contains(&Action::Return));
        let t2 = possible_actions(Status::Open, 2);
        assert!(t2.contains(&Action::Return) && !t2.contains(&Action::Escalate));
        assert_eq!(possible_actions(Status::Closed, 1), Vec::<Action>::new());
    }

    #[test]
    fn enums_round_trip_as_text() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(*k));
        }
        assert_eq!(Kind::parse("bencana"), None);
        assert_eq!(Priority::P2.as_str(), "P2");
    }
}
