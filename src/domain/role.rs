//! Roles and scopes (SPEC section 3). The list query in `db::tickets` mirrors `can_read`
//! in SQL; the scope-matrix integration test holds the two together.

use super::string_enum;
use super::ticket::{Action, Classification};

string_enum!(
    Role {
        Requester => "requester",
        AgentT1 => "agent_t1",
        AgentT2 => "agent_t2",
        Supervisor => "supervisor",
        UnitHead => "unit_head",
        Admin => "admin",
    }
);

impl Role {
    /// Roles that belong to one unit and cannot exist without it.
    pub fn needs_unit(self) -> bool {
        matches!(self, Role::AgentT1 | Role::AgentT2 | Role::UnitHead)
    }

    pub fn is_staff(self) -> bool {
        !matches!(self, Role::Requester)
    }

    /// Supervisors and admins see and may move every ticket (Pontianak Pasal 51(11):
    /// Diskominfo coordinates and supervises all Tier-1 desks).
    pub fn sees_everything(self) -> bool {
        matches!(self, Role::Supervisor | Role::Admin)
    }
}

/// Who is asking, as the scope rules need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: String,
    pub username: String,
    pub name: String,
    pub role: Role,
    pub unit_id: Option<String>,
}

/// What the scope rules need to know of a ticket.
#[derive(Debug, Clone, Copy)]
pub struct TicketScope<'a> {
    pub unit_id: &'a str,
    pub tier: i32,
    pub escalated: bool,
    pub classification: Classification,
    pub assignee_id: Option<&'a str>,
    pub requester_user_id: Option<&'a str>,
}

impl Actor {
    fn is_assignee(&self, t: &TicketScope) -> bool {
        t.assignee_id == Some(self.user_id.as_str())
    }

    fn in_unit(&self, t: &TicketScope) -> bool {
        self.unit_id.as_deref() == Some(t.unit_id)
    }

    /// Confidential tickets are visible only to the assignee, tier 2, supervisors and admins;
    /// this narrows the scope below, it never widens it.
    fn passes_confidentiality(&self, t: &TicketScope) -> bool {
        t.classification != Classification::Confidential
            || self.is_assignee(t)
            || matches!(self.role, Role::AgentT2 | Role::Supervisor | Role::Admin)
    }

    /// May this actor see the ticket at all? Outside this scope the API answers 404.
    pub fn can_read(&self, t: &TicketScope) -> bool {
        let base = match self.role {
            Role::Admin | Role::Supervisor => true,
            Role::AgentT1 | Role::UnitHead => self.in_unit(t),
            // Tier 2 works tier-2 tickets of every unit and keeps reading those it handed back.
            Role::AgentT2 => t.tier == 2 || t.escalated,
            Role::Requester => t.requester_user_id == Some(self.user_id.as_str()),
        };
        base && (self.role == Role::Requester || self.passes_confidentiality(t))
    }

    /// May this actor add messages to the ticket? Internal notes are for staff only.
    pub fn can_write_messages(&self, t: &TicketScope, internal: bool) -> bool {
        if !self.can_read(t) {
            return false;
        }
        match self.role {
            Role::Admin | Role::Supervisor | Role::AgentT1 => true,
            Role::AgentT2 => t.tier == 2 || t.escalated,
            Role::UnitHead => internal,
            Role::Requester => !internal,
        }
    }

    /// May this actor run `action` on the ticket (the status machine is checked separately)?
    pub fn may(&self, t: &TicketScope, action: Action) -> bool {
        if !self.can_read(t) {
            return false;
        }
        match self.role {
            Role::Admin | Role::Supervisor => true,
            // The unit's tier 1 works its tickets while they are at tier 1; once escalated
            // it follows them but tier 2 holds the actions.
            Role::AgentT1 => t.tier == 1 && action != Action::Return,
            Role::AgentT2 => t.tier == 2 && !matches!(action, Action::Escalate | Action::Transfer),
            Role::UnitHead => false,
            // A citizen may withdraw its report or reopen it when the solution did not help.
            Role::Requester => matches!(action, Action::Cancel | Action::Reopen),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, unit: Option<&str>) -> Actor {
        Actor {
            user_id: format!("u-{role}"),
            username: role.to_string(),
            name: role.to_string(),
            role,
            unit_id: unit.map(str::to_string),
        }
    }

    fn ticket<'a>(unit: &'a str, tier: i32, class: Classification) -> TicketScope<'a> {
        TicketScope {
            unit_id: unit,
            tier,
            escalated: tier == 2,
            classification: class,
            assignee_id: None,
            requester_user_id: None,
        }
    }

    #[test]
    fn tier1_sees_only_own_unit() {
        let a = actor(Role::AgentT1, Some("dinkes"));
        assert!(a.can_read(&ticket("dinkes", 1, Classification::Public)));
        assert!(!a.can_read(&ticket("disdik", 1, Classification::Public)));
        // The unit keeps seeing its escalated tickets, but cannot act on them.
        let escalated = ticket("dinkes", 2, Classification::Public);
        assert!(a.can_read(&escalated));
        assert!(!a.may(&escalated, Action::Resolve));
    }

    #[test]
    fn tier2_sees_escalated_tickets_of_every_unit() {
        let a = actor(Role::AgentT2, Some("kominfo"));
        assert!(a.can_read(&ticket("disdik", 2, Classification::Public)));
        assert!(!a.can_read(&ticket("disdik", 1, Classification::Public)));
        assert!(a.may(&ticket("disdik", 2, Classification::Public), Action::Return));
        assert!(!a.may(&ticket("disdik", 2, Classification::Public), Action::Escalate));
    }

    #[test]
    fn confidential_hidden_from_unit_unless_assignee() {
        let t1 = actor(Role::AgentT1, Some("dinkes"));
        let head = actor(Role::UnitHead, Some("dinkes"));
        let mut t = ticket("dinkes", 1, Classification::Confidential);
        assert!(!t1.can_read(&t));
        assert!(!head.can_read(&t));
        assert!(actor(Role::Supervisor, None).can_read(&t));
        assert!(actor(Role::Admin, None).can_read(&t));
        let id = t1.user_id.clone();
        t.assignee_id = Some(&id);
        assert!(t1.can_read(&t));
    }

    #[test]
    fn unit_head_reads_but_does_not_act() {
        let head = actor(Role::UnitHead, Some("dinkes"));
        let t = ticket("dinkes", 1, Classification::Public);
        assert!(head.can_read(&t));
        assert!(!head.may(&t, Action::Resolve));
        assert!(!head.can_write_messages(&t, false));
    }
}
