//! The desk's words in Bahasa Indonesia and English, and the notices it pushes to a contact's
//! chat (a requester's in its language; staff notices in Bahasa Indonesia).

use serde_json::Value;

use crate::{words, Button, Lang, Out, Style};

/// The kinds a citizen picks from. The last two are incidents with a flag (SPEC 6): the desk
/// opens them as `incident` with `security_incident` or `personal_data_breach` set.
pub const KINDS: [(&str, &str); 8] = [
    ("incident", "Gangguan layanan"),
    ("service_request", "Permintaan layanan"),
    ("complaint", "Keluhan"),
    ("information", "Permintaan informasi"),
    ("change", "Usulan perubahan"),
    ("problem", "Masalah berulang"),
    ("security_incident", "Insiden keamanan (peretasan, virus, akses tidak sah)"),
    ("personal_data_breach", "Kebocoran data pribadi"),
];

/// The same kinds in English, in the same order.
pub const KINDS_EN: [&str; 8] = [
    "Service disruption",
    "Service request",
    "Complaint",
    "Request for information",
    "Proposed change",
    "Recurring problem",
    "Security incident (hacking, virus, unauthorised access)",
    "Personal data breach",
];

pub fn kind_label(kind: &str) -> &str {
    KINDS.iter().find(|(k, _)| *k == kind).map_or(kind, |(_, l)| l)
}

pub fn kind_label_in(lang: Lang, kind: &str) -> &str {
    match (lang, KINDS.iter().position(|(k, _)| *k == kind)) {
        (Lang::En, Some(i)) => KINDS_EN[i],
        _ => kind_label(kind),
    }
}

fn target_label(target: &str) -> &str {
    match target {
        "first_response" => "tanggapan pertama",
        "resolution" => "penyelesaian",
        other => other,
    }
}

pub fn status_label_in(lang: Lang, status: &str) -> &str {
    if lang == Lang::Id {
        return status_label(status);
    }
    match status {
        "new" => "new, waiting for an officer",
        "open" => "being handled",
        "pending" => "waiting for your answer",
        "resolved" => "resolved",
        "closed" => "closed",
        "cancelled" => "cancelled",
        other => other,
    }
}

pub fn status_label(status: &str) -> &str {
    match status {
        "new" => "baru, menunggu petugas",
        "open" => "sedang ditangani",
        "pending" => "menunggu jawaban Anda",
        "resolved" => "selesai",
        "closed" => "ditutup",
        "cancelled" => "dibatalkan",
        other => other,
    }
}

/// What the desk can do, in the way the channel's commands are typed.
pub fn help(style: Style) -> String {
    let c = |name: &str| style.cmd(name);
    let (lapor, tiketku, status, batal) = (c("lapor"), c("tiketku"), c("status"), c("batal"));
    words!(
        style.lang,
        "Saya layanan pengaduan SPBE. Perintah:\n\
         {lapor} — laporkan masalah layanan elektronik\n\
         {tiketku} — tiket Anda\n\
         {status} <nomor> — status satu tiket\n\
         {batal} — batalkan isian yang sedang berjalan\n\n\
         Untuk menambah informasi pada tiket, balas (reply) pesan saya tentang tiket itu.",
        "This is the SPBE service desk. Commands:\n\
         {lapor} — report a problem with an electronic service\n\
         {tiketku} — your tickets\n\
         {status} <number> — the status of one ticket\n\
         {batal} — cancel the report being written\n\n\
         To add to a ticket, reply to my message about it."
    )
}

/// A shared location as words and a map link (it becomes part of a report or a message).
pub fn location(latitude: f64, longitude: f64, name: Option<&str>, address: Option<&str>) -> String {
    let place: Vec<&str> = [name, address].into_iter().flatten().filter(|s| !s.trim().is_empty()).collect();
    let named = if place.is_empty() { String::new() } else { format!("{} ", place.join(", ")) };
    format!(
        "📍 Lokasi: {named}({latitude:.6}, {longitude:.6}) https://www.openstreetmap.org/?mlat={latitude:.6}&mlon={longitude:.6}"
    )
}

pub const STAFF_HELP: &str = "Perintah petugas:\n\
/ambil <nomor> — ambil tiket\n\
/eskalasi <nomor> <alasan> — eskalasi ke Tier 2\n\
/catatan <nomor> <teks> — catatan internal (atau balas pemberitahuan dengan /catatan <teks>)\n\
/siap <nomor> — daftar balasan siap pakai; /siap <nomor> <urutan> — kirim salah satunya\n\
Balas pemberitahuan tiket untuk menjawab pelapor.";

pub fn menu(style: Style) -> Out {
    let help = help(style);
    let (report, mine) = match style.lang {
        Lang::Id => ("📝 Lapor masalah", "📋 Tiket saya"),
        Lang::En => ("📝 Report a problem", "📋 My tickets"),
    };
    Out::text(words!(
        style.lang,
        "Selamat datang di layanan pengaduan SPBE.\n\n{help}",
        "Welcome to the SPBE service desk.\n\n{help}"
    ))
    .with_buttons(vec![vec![Button::new(report, "menu:lapor"), Button::new(mine, "menu:tiketku")]])
}

/// A notice to a requester in English (the staff notices and every other one: [`notice`]).
pub fn notice_in(
    lang: Lang,
    template: &str,
    payload: &Value,
    number: &str,
    title: &str,
    message: Option<&str>,
) -> Option<Out> {
    if lang == Lang::Id {
        return notice(template, payload, number, title, message);
    }
    let field = |k: &str| payload[k].as_str().unwrap_or("").to_string();
    let body = message.unwrap_or("");
    let text = match template {
        "ticket_received" => {
            format!("Your report is recorded as {number}: {title}.\nReply to this message to add to it.")
        }
        "reply" => format!("An officer's reply on {number}:\n\n{body}\n\nReply to this message to answer."),
        "ticket_pending" => {
            format!("Ticket {number} is waiting for your answer. Reply to this message so we can go on.")
        }
        "ticket_status" => format!("Ticket {number} is now: {}.", status_label_in(lang, &field("status"))),
        "ticket_cancelled" => format!("Ticket {number} was cancelled. Reason: {}", field("reason")),
        "ticket_merged" => {
            let into = field("into");
            format!("Ticket {number} was merged into {into}, which is about the same problem. It is handled on {into}.")
        }
        "disruption_update" => format!(
            "{} {} — {}\n\n{}\n\n(Your ticket: {number})",
            if payload["ended"] == true { "✅ Disruption over:" } else { "ℹ Disruption update:" },
            field("service"),
            field("disruption_title"),
            field("update")
        ),
        "ticket_resolved" => {
            let out = Out::text(format!(
                "Ticket {number} is resolved:\n\n{body}\n\nIf the problem is still there, reply to this message and the ticket opens again.\n\nHow did we do? Rate us 1–5:"
            ));
            let row = (1..=5).map(|n| Button::new("⭐".repeat(n), format!("rate:{number}:{n}"))).collect();
            return Some(out.with_buttons(vec![row]).about(number));
        }
        _ => return notice(template, payload, number, title, message),
    };
    Some(Out::text(text).about(number))
}

/// A ticket's notice for a chat (the requester's, or a linked agent's or unit group's), from
/// the outbox template and payload; `None` for notices that have no Telegram form.
pub fn notice(template: &str, payload: &Value, number: &str, title: &str, message: Option<&str>) -> Option<Out> {
    let field = |k: &str| payload[k].as_str().unwrap_or("").to_string();
    let text = match template {
        "ticket_received" => {
            format!("Laporan Anda tercatat dengan nomor {number}: {title}.\nBalas pesan ini untuk menambah informasi.")
        }
        "reply" => {
            format!("Balasan petugas untuk {number}:\n\n{}\n\nBalas pesan ini untuk menjawab.", message.unwrap_or(""))
        }
        "ticket_pending" => {
            format!("Tiket {number} menunggu jawaban Anda. Balas pesan ini agar kami dapat melanjutkan.")
        }
        "ticket_status" => format!("Status tiket {number} sekarang: {}.", status_label(&field("status"))),
        "ticket_cancelled" => format!("Tiket {number} dibatalkan. Alasan: {}", field("reason")),
        "ticket_merged" => format!(
            "Tiket {number} digabungkan ke {} karena menyangkut masalah yang sama. Penanganannya dilanjutkan di {}.",
            field("into"),
            field("into")
        ),
        "disruption_update" => format!(
            "{} {} — {}\n\n{}\n\n(Tiket Anda: {number})",
            if payload["ended"] == true { "✅ Gangguan berakhir:" } else { "ℹ Kabar gangguan:" },
            field("service"),
            field("disruption_title"),
            field("update")
        ),
        "ticket_new" => format!("Tiket baru di antrean: {number} — {title}.\nAmbil lewat pesan pribadi ke bot: /ambil {number}"),
        "ticket_assigned" => format!("Tiket {number} ({title}) ditugaskan kepada Anda.\nBalas pesan ini untuk menjawab pelapor; /catatan untuk catatan internal."),
        "ticket_escalated" => format!("Tiket {number} ({title}) dieskalasi ke Tier 2{}.", if payload["automatic"] == true { " secara otomatis (batas waktu terlampaui)" } else { "" }),
        "ticket_transferred" => format!("Tiket {number} ({title}) dialihkan ke unit Anda."),
        "ticket_unassigned" => format!("Tiket {number} ({title}) kembali ke antrean unit: akun {} dinonaktifkan. Mohon tugaskan petugas lain.", field("from")),
        "sla_warning" => format!(
            "⚠ Peringatan SLA {number}: {}% waktu {} terpakai. Batas: {}.",
            payload["percent"],
            target_label(&field("target")),
            field("due")
        ),
        "sla_breached" => format!("⛔ SLA terlampaui {number}: batas waktu {} ({}).", target_label(&field("target")), field("due")),
        "incident_flagged" => format!(
            "🚨 {} {number} ({title}). Tangani segera.",
            if payload["personal_data_breach"] == true { "Kebocoran data pribadi:" } else { "Insiden keamanan:" }
        ),
        "incident_notice_warning" => format!(
            "⚠ {number}: {}% waktu {} terpakai. Batas: {}.",
            payload["percent"],
            if field("clock") == "breach_notice" { "pemberitahuan kebocoran data (72 jam)" } else { "laporan insiden (24 jam)" },
            field("due")
        ),
        "incident_notice_breached" => format!(
            "⛔ {number}: batas waktu {} terlampaui ({}).",
            if field("clock") == "breach_notice" { "pemberitahuan kebocoran data (72 jam)" } else { "laporan insiden (24 jam)" },
            field("due")
        ),
        "ticket_resolved" => {
            let out = Out::text(format!(
                "Tiket {number} telah diselesaikan:\n\n{}\n\nJika masalah masih ada, balas pesan ini dan tiket dibuka kembali.\n\nBagaimana pelayanan kami? Beri nilai 1–5:",
                message.unwrap_or("")
            ));
            let row = (1..=5).map(|n| Button::new("⭐".repeat(n), format!("rate:{number}:{n}"))).collect();
            return Some(out.with_buttons(vec![row]).about(number));
        }
        _ => return None,
    };
    Some(Out::text(text).about(number))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn resolution_asks_for_a_rating_with_buttons() {
        let out =
            notice("ticket_resolved", &json!({}), "SD-2026-000007", "x", Some("Sudah diperbaiki.")).expect("notice");
        assert!(out.text.contains("Sudah diperbaiki."));
        assert_eq!(out.buttons[0].len(), 5);
        assert_eq!(out.buttons[0][4].data, "rate:SD-2026-000007:5");
        assert!(out.buttons[0].iter().all(|b| b.data.len() <= 64));
        assert_eq!(out.ticket.as_deref(), Some("SD-2026-000007"));
        let breach = notice(
            "sla_breached",
            &json!({ "target": "resolution", "due": "2026-11-24 10:00" }),
            "SD-2026-000007",
            "x",
            None,
        );
        assert!(breach.expect("staff notice").text.contains("penyelesaian"));
        assert!(notice("mail_too_large", &json!({}), "SD-2026-000007", "x", None).is_none());
    }
}
