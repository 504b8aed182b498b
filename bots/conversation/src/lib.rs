//! The citizens' conversation of meja (SPEC section 5), one piece of code for every chat
//! channel: the steps of a report, the commands, the words, over the small [`DeskPort`] trait
//! that the desk implements for one contact. A channel (`meja-telegram`, `meja-whatsapp`)
//! turns what arrives into an [`Input`] and renders each [`Out`] with its own controls; the
//! [`Style`] says what the channel's controls can hold. The crate knows nothing of databases
//! or HTTP; `meja` runs a step inside its writer transaction and delivers the answers through
//! the outbox.

mod answers;
pub mod dialogue;
mod staff;
pub mod texts;

pub use dialogue::{handle, Dialogue};

use serde::{Deserialize, Serialize};

/// One choice offered under a message (an inline button on Telegram, a reply button or a list
/// row on WhatsApp): its label and the data it sends back (at most 64 bytes).
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

/// A message the desk sends: its text, rows of choices, and the ticket it is about (a reply
/// to it then lands on that ticket).
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

    /// The same message with a line said first.
    pub fn with_text_before(mut self, line: &str) -> Out {
        self.text = format!("{line}\n\n{}", self.text);
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

/// A report filed: its number, and the address of its tracking page (with the citizen's token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filed {
    pub number: String,
    pub tracking_link: Option<String>,
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

/// What the conversation needs from the desk, for the one contact whose message is handled.
/// Every call of one message runs in one transaction.
pub trait DeskPort {
    fn dialogue(&mut self) -> PortResult<Dialogue>;
    fn save_dialogue(&mut self, dialogue: &Dialogue) -> PortResult<()>;
    fn units(&mut self) -> PortResult<Vec<Choice>>;
    fn services(&mut self, unit: &str) -> PortResult<Vec<Choice>>;
    /// The title of the service's disruption the desk already knows of (status page), if any.
    fn known_disruption(&mut self, service: &str) -> PortResult<Option<String>>;
    /// Opens the ticket for the contact's requester.
    fn open_ticket(&mut self, from: &Sender, report: &Report) -> PortResult<Filed>;
    /// The contact's own tickets, newest first.
    fn my_tickets(&mut self) -> PortResult<Vec<TicketLine>>;
    /// One of the contact's own tickets (`None` for anybody else's: numbers cannot be probed).
    fn ticket(&mut self, number: &str) -> PortResult<Option<TicketLine>>;
    /// Adds the contact's message to one of their tickets; false if it is not theirs.
    fn reply(&mut self, from: &Sender, number: &str, text: &str) -> PortResult<bool>;
    fn rate(&mut self, number: &str, rating: u8) -> PortResult<Rated>;
    /// The ticket a message the desk sent to this contact was about.
    fn ticket_of_message(&mut self, message: &str) -> PortResult<Option<String>>;
    /// Public knowledge-base articles that match what the citizen describes (at most 3).
    fn suggest(&mut self, text: &str, service: Option<&str>) -> PortResult<Vec<Suggestion>>;
    /// Links the chat with a one-time code from the console: a staff account (private chat) or
    /// a unit's group (group chat). What was linked, to say so.
    fn link(&mut self, from: &Sender, code: &str) -> PortResult<String>;
    /// The name of the staff account this contact is linked to.
    fn staff(&mut self) -> PortResult<Option<String>>;
    /// Runs an agent's action as the linked account, scoped exactly as in the API.
    fn staff_act(&mut self, act: &StaffAct) -> PortResult<String>;
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

/// Who wrote: the contact's key on its channel (a Telegram chat id, a WhatsApp `wa_id`),
/// whether it is a private conversation, and the name the person gave the channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender {
    pub chat: String,
    pub private: bool,
    pub name: String,
    /// The language to speak with this person (the channel decides).
    pub lang: Lang,
}

/// One thing a contact said, as the conversation understands it. `reply_to` is the channel's
/// id of the desk's message being answered (Telegram's reply, WhatsApp's quote).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// `/lapor`, `/status SD-2026-000042` on Telegram; `lapor`, `status SD-2026-000042`,
    /// `tiket saya` typed on WhatsApp.
    Command { name: String, args: String, reply_to: Option<String> },
    /// Text, and the message it answers if it is a reply.
    Text { text: String, reply_to: Option<String> },
    /// A choice was picked (button, list row): its data.
    Callback { data: String },
    /// A photo, document or voice note, stored by the desk.
    File(FileRef),
    /// A file over the size the desk accepts.
    TooLarge { size: u64 },
    /// A file sent when the dialogue was not asking for one (not fetched).
    Offered,
    /// A shared location, written out as words and a map link.
    Location { text: String, reply_to: Option<String> },
    /// An edited message: not processed again.
    Edited,
    /// Stickers, reactions, contacts… what the desk cannot take.
    Unsupported(&'static str),
}

/// The language the desk speaks with a contact: Bahasa Indonesia unless the contact's app
/// speaks English (Telegram) or its number is not Indonesian (WhatsApp).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Lang {
    #[default]
    Id,
    En,
}

impl Lang {
    /// The requester language code the desk keeps (`id`, `en`).
    pub fn code(self) -> &'static str {
        match self {
            Lang::Id => "id",
            Lang::En => "en",
        }
    }
}

/// The same words in both languages, formatted with the variables in scope:
/// `words!(style, "Tiket {number} …", "Ticket {number} …")`.
#[macro_export]
macro_rules! words {
    ($lang:expr, $id:literal, $en:literal) => {
        match $lang {
            $crate::Lang::Id => format!($id),
            $crate::Lang::En => format!($en),
        }
    };
}

/// What a channel's controls can hold, and how its commands are typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// Units or services shown at once.
    pub page: usize,
    /// Telegram's commands start with `/`; on WhatsApp people type the bare word.
    pub slash: bool,
    /// Whether a plain message outside a report starts one (WhatsApp: any first message).
    pub text_starts_report: bool,
    /// Whether agents link and act from this channel (Telegram only).
    pub staff: bool,
    /// The contact's language.
    pub lang: Lang,
}

impl Style {
    /// Eight choices a page, then ◀ ▶ and Batal rows.
    pub const TELEGRAM: Style = Style { page: 8, slash: true, text_starts_report: false, staff: true, lang: Lang::Id };
    /// A WhatsApp list holds ten rows in all: six choices, ◀, Lainnya ▶, one extra and Batal.
    pub const WHATSAPP: Style = Style { page: 6, slash: false, text_starts_report: true, staff: false, lang: Lang::Id };

    /// The same channel, speaking `lang`.
    pub fn speaking(self, lang: Lang) -> Style {
        Style { lang, ..self }
    }

    /// How a person types the command `name` on this channel.
    pub fn cmd(&self, name: &str) -> String {
        match (self.slash, name) {
            (true, _) => format!("/{name}"),
            (false, "tiketku") => "tiket saya".to_string(),
            (false, _) => name.to_string(),
        }
    }
}
