//! The ticket page's timeline: audit events told in words, in the viewer's language.

use chrono::{DateTime, Utc};

use super::i18n::Lang;
use crate::desk::deliveries::Deliveries;
use crate::domain::ticket::Action;

/// Who a follower event names: a username, an address, or the Cc addresses of a mail.
fn follower_named(data: &serde_json::Value) -> String {
    if let Some(cc) = data["cc"].as_array() {
        return cc.iter().filter_map(|a| a.as_str()).collect::<Vec<_>>().join(", ");
    }
    data["username"].as_str().or_else(|| data["email"].as_str()).unwrap_or_default().to_string()
}

/// A line of the timeline for an audit event: what happened, in words.
pub fn describe(l: Lang, kind: &str, data: &serde_json::Value) -> (String, Option<String>) {
    let text = |k: &str| data.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let words = match (kind, l) {
        ("ticket.created", Lang::Id) => "membuat tiket".to_string(),
        ("ticket.created", Lang::En) => "opened the ticket".to_string(),
        ("sla.warning", Lang::Id) => {
            format!("peringatan SLA {} {}%", text("target").unwrap_or_default(), data["percent"])
        }
        ("sla.warning", Lang::En) => format!("SLA warning {} {}%", text("target").unwrap_or_default(), data["percent"]),
        ("sla.breached", Lang::Id) => format!("SLA terlampaui: {}", text("target").unwrap_or_default()),
        ("sla.breached", Lang::En) => format!("SLA breached: {}", text("target").unwrap_or_default()),
        ("csat.rated", Lang::Id) => format!("pelapor memberi nilai {}", data["rating"]),
        ("csat.rated", Lang::En) => format!("the requester rated it {}", data["rating"]),
        ("disruption.declared", Lang::Id) => format!(
            "mengumumkan gangguan {}: {}",
            text("service").unwrap_or_default(),
            text("title").unwrap_or_default()
        ),
        ("disruption.declared", Lang::En) => format!(
            "declared a disruption of {}: {}",
            text("service").unwrap_or_default(),
            text("title").unwrap_or_default()
        ),
        ("disruption.updated", Lang::Id) => "menerbitkan kabar gangguan".to_string(),
        ("disruption.updated", Lang::En) => "published a disruption update".to_string(),
        ("disruption.ended", Lang::Id) => "mengakhiri gangguan".to_string(),
        ("disruption.ended", Lang::En) => "ended the disruption".to_string(),
        ("disruption.joined", Lang::Id) => "ditautkan ke gangguan yang sudah diketahui".to_string(),
        ("disruption.joined", Lang::En) => "linked to a known disruption".to_string(),
        ("ticket.merged", Lang::Id) => format!("menggabungkan tiket ini ke {}", text("into").unwrap_or_default()),
        ("ticket.merged", Lang::En) => format!("merged this ticket into {}", text("into").unwrap_or_default()),
        ("ticket.merged_in", Lang::Id) => format!(
            "menggabungkan {} ke tiket ini ({} pesan, {} lampiran)",
            text("from").unwrap_or_default(),
            data["moved"]["messages"],
            data["moved"]["attachments"]
        ),
        ("ticket.merged_in", Lang::En) => format!(
            "merged {} into this ticket ({} messages, {} files)",
            text("from").unwrap_or_default(),
            data["moved"]["messages"],
            data["moved"]["attachments"]
        ),
        ("follower.added", Lang::Id) => format!("menambah pengikut {}", follower_named(data)),
        ("follower.added", Lang::En) => format!("added follower {}", follower_named(data)),
        ("follower.removed", Lang::Id) => format!("menghapus pengikut {}", follower_named(data)),
        ("follower.removed", Lang::En) => format!("removed follower {}", follower_named(data)),
        ("ticket.unlinked", Lang::Id) => format!("melepas insiden {}", text("incident").unwrap_or_default()),
        ("ticket.unlinked", Lang::En) => format!("unlinked incident {}", text("incident").unwrap_or_default()),
        ("time.recorded", Lang::Id) => format!("mencatat {} menit kerja", data["minutes"]),
        ("time.recorded", Lang::En) => format!("recorded {} minutes of work", data["minutes"]),
        ("ticket.linked", Lang::Id) => format!("menautkan insiden {}", text("incident").unwrap_or_default()),
        ("ticket.linked", Lang::En) => format!("linked incident {}", text("incident").unwrap_or_default()),
        (k, _) if k.starts_with("ticket.") => {
            let action = match k.trim_start_matches("ticket.") {
                "assigned" => Some(Action::Assign),
                "started" => Some(Action::Start),
                "pending" => Some(Action::Pend),
                "resumed" => Some(Action::Resume),
                "resolved" => Some(Action::Resolve),
                "closed" => Some(Action::Close),
                "reopened" => Some(Action::Reopen),
                "cancelled" => Some(Action::Cancel),
                "escalated" => Some(Action::Escalate),
                "returned" => Some(Action::Return),
                "transferred" => Some(Action::Transfer),
                "priority_changed" => Some(Action::Priority),
                _ => None,
            };
            let mut words = action.map_or_else(|| k.to_string(), |a| l.action(a).to_string());
            if let Some(to) = text("to") {
                words.push_str(&format!(" → {to}"));
            }
            words
        }
        (k, _) => k.to_string(),
    };
    let detail = ["reason", "resolution", "note"].iter().find_map(|k| text(k));
    (words, detail)
}

/// A timeline line of a chat delivery: when, the channel, what the far side said.
pub type ChatLine = (DateTime<Utc>, &'static str, String);

/// What the ticket page says of the chat channels: the WhatsApp window of the requester's
/// number (facts), and a timeline line for each status the far side reported of a message
/// (when, channel, what).
pub fn chat_facts(l: Lang, zone: chrono_tz::Tz, d: &Deliveries) -> (Vec<String>, Vec<ChatLine>) {
    let facts = d
        .whatsapp
        .iter()
        .map(|w| match (w.opted_out, w.open, w.open_until) {
            (true, _, _) => l.t("ticket.wa_stopped").to_string(),
            (false, true, Some(until)) => format!("{} {}", l.t("ticket.wa_open"), super::when(zone, until)),
            _ => l.t("ticket.wa_closed").to_string(),
        })
        .collect();
    let lines = d
        .items
        .iter()
        .filter_map(|item| {
            let (status, at) = (item.remote_status.as_deref()?, item.remote_status_at?);
            let (word, code) = status.split_once(':').unwrap_or((status, ""));
            let said = l.t(&format!("delivery.{word}"));
            let what = if code.is_empty() {
                format!("{} · {said}", item.notice)
            } else {
                format!("{} · {said} ({code})", item.notice)
            };
            let channel = if item.channel == "whatsapp" { "WhatsApp" } else { "Telegram" };
            Some((at, channel, what))
        })
        .collect();
    (facts, lines)
}
