//! The Telegram channel of meja (SPEC section 5): what the bot says and how a citizen's
//! conversation goes, over the small [`DeskPort`] trait that the desk implements. The crate
//! knows nothing of databases or HTTP servers; `meja` feeds it updates inside its writer
//! transaction and delivers what it answers through the outbox.

pub mod dialogue;
pub mod input;
pub mod texts;

pub use dialogue::{handle, Dialogue};
pub use input::{Input, Sender};
/// The Bot API client, for the desk's polling and delivery loops.
pub use teloxide;

use serde::{Deserialize, Serialize};

/// One inline button: its label and the callback data it sends back (at most 64 bytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Button {
    pub label: String,
    pub data: String,
}

impl Button {
    pub fn new(label: impl Into<String>, data: impl Into<String>) -> Button {
        Button { label: label.into(), data: data.into() }
    }
}

/// A message the bot sends: its text, inline keyboard rows, and the ticket it is about (a
/// reply to it then lands on that ticket).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Out {
    pub text: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buttons: Vec<Vec<Button>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
}

impl Out {
    pub fn text(text: impl Into<String>) -> Out {
        Out { text: text.into(), ..Out::default() }
    }

    pub fn with_buttons(mut self, rows: Vec<Vec<Button>>) -> Out {
        self.buttons = rows;
        self
    }

    pub fn about(mut self, number: impl Into<String>) -> Out {
        self.ticket = Some(number.into());
        self
    }
}

/// A unit or service to choose from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub code: String,
    pub name: String,
}

/// A file the citizen sent, already stored by the desk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRef {
    pub name: String,
    pub content_type: String,
    pub sha256: String,
    pub size: u64,
}

/// What a finished `/lapor` dialogue reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub unit: String,
    pub service: Option<String>,
    pub kind: String,
    pub description: String,
    pub files: Vec<FileRef>,
}

/// A ticket as the citizen sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketLine {
    pub number: String,
    pub title: String,
    pub status: String,
    pub updated: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rated {
    Recorded,
    AlreadyRated,
    NotResolved,
    NotFound,
}

/// Why the desk did not do what was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortError {
    /// Something the citizen can fix or should know, in Bahasa Indonesia.
    Refused(String),
    /// The desk failed; the update is retried.
    Failed(String),
}

impl std::fmt::Display for PortError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PortError::Refused(why) => write!(f, "refused: {why}"),
            PortError::Failed(why) => write!(f, "failed: {why}"),
        }
    }
}

pub type PortResult<T> = Result<T, PortError>;

/// What the channel needs from the desk. Every call of one update runs in one transaction.
pub trait DeskPort {
    fn dialogue(&mut self, chat_id: i64) -> PortResult<Dialogue>;
    fn save_dialogue(&mut self, chat_id: i64, dialogue: &Dialogue) -> PortResult<()>;
    fn units(&mut self) -> PortResult<Vec<Choice>>;
    fn services(&mut self, unit: &str) -> PortResult<Vec<Choice>>;
    /// The title of the service's disruption the desk already knows of (status page), if any.
    fn known_disruption(&mut self, service: &str) -> PortResult<Option<String>>;
    /// Opens the ticket for the chat's requester; its number.
    fn open_ticket(&mut self, from: &Sender, report: &Report) -> PortResult<String>;
    /// The chat's own tickets, newest first.
    fn my_tickets(&mut self, chat_id: i64) -> PortResult<Vec<TicketLine>>;
    /// One of the chat's own tickets (`None` for anybody else's: numbers cannot be probed).
    fn ticket(&mut self, chat_id: i64, number: &str) -> PortResult<Option<TicketLine>>;
    /// Adds the citizen's message to one of their tickets; false if it is not theirs.
    fn reply(&mut self, from: &Sender, number: &str, text: &str) -> PortResult<bool>;
    fn rate(&mut self, chat_id: i64, number: &str, rating: u8) -> PortResult<Rated>;
    /// The ticket a message the bot sent in this chat was about.
    fn ticket_of_message(&mut self, chat_id: i64, message_id: i64) -> PortResult<Option<String>>;
    /// Public knowledge-base articles that match what the citizen describes (at most 3).
    fn suggest(&mut self, text: &str, service: Option<&str>) -> PortResult<Vec<Suggestion>>;
    /// Links the chat with a one-time code from the console: a staff account (private chat) or
    /// a unit's group (group chat). What was linked, to say so.
    fn link(&mut self, from: &Sender, code: &str) -> PortResult<String>;
    /// The name of the staff account this chat is linked to.
    fn staff(&mut self, chat_id: i64) -> PortResult<Option<String>>;
    /// Runs an agent's action as the linked account, scoped exactly as in the API.
    fn staff_act(&mut self, chat_id: i64, act: &StaffAct) -> PortResult<String>;
}

/// A knowledge-base article to offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub title: String,
    pub excerpt: String,
    /// Where to read it whole, if the desk has a public address.
    pub link: Option<String>,
}

/// What a linked agent can do from Telegram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaffAct {
    /// `/ambil <number>`: take the ticket (assign to oneself and start).
    Take { number: String },
    /// `/eskalasi <number> <reason>`.
    Escalate { number: String, reason: String },
    /// `/catatan <number> <text>`, or `/catatan <text>` in reply to a notice: an internal note.
    Note { number: String, text: String },
    /// A reply to a notice: a public reply to the requester.
    Reply { number: String, text: String },
    /// `/siap <number>`: the canned replies the agent may use, numbered.
    CannedList { number: String },
    /// `/siap <number> <k>`: the k-th of that list sent, filled in (with its action).
    CannedSend { number: String, pick: usize },
}
