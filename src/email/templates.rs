//! The words of the desk's mails, in Bahasa Indonesia: a subject with the ticket number (so a
//! reply threads back), a plain-text body and the same as simple HTML.

use serde_json::Value;

/// What one notice says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
}

/// Facts a template may need beyond the outbox payload.
pub struct Context<'a> {
    pub number: Option<&'a str>,
    pub title: Option<&'a str>,
    pub public_url: &'a str,
    /// The body of the message a `reply` or `ticket_resolved` notice carries.
    pub message: Option<&'a str>,
}

fn field<'a>(payload: &'a Value, key: &str) -> &'a str {
    payload[key].as_str().unwrap_or("")
}

fn status_label(status: &str) -> &str {
    match status {
        "new" => "baru",
        "open" => "sedang ditangani",
        "pending" => "menunggu jawaban Anda",
        "resolved" => "selesai",
        "closed" => "ditutup",
        "cancelled" => "dibatalkan",
        other => other,
    }
}

fn target_label(target: &str) -> &str {
    match target {
        "first_response" => "tanggapan pertama",
        "resolution" => "penyelesaian",
        other => other,
    }
}

const SIGNATURE: &str = "\n\nSalam,\nService Desk\n\nBalas e-mail ini untuk menambahkan informasi; nomor tiket di subjek menjaga balasan Anda tetap pada tiket yang sama.";

pub fn render(template: &str, payload: &Value, ctx: &Context) -> Rendered {
    let number = ctx.number.unwrap_or_else(|| field(payload, "number"));
    let title = ctx.title.unwrap_or("");
    let tag = if number.is_empty() { String::new() } else { format!("[{number}] ") };
    let tracking = match payload["tracking_token"].as_str() {
        Some(token) if !token.is_empty() => {
            format!("\n\nIkuti perkembangannya di: {}/lacak/{number}?token={token}", ctx.public_url)
        }
        _ => String::new(),
    };
    let (subject, body) = match template {
        "ticket_received" => (
            format!("{tag}Laporan Anda telah kami terima: {title}"),
            format!("Terima kasih. Laporan Anda telah kami catat dengan nomor {number}.{tracking}"),
        ),
        "reply" => (
            format!("Re: {tag}{title}"),
            format!("Petugas kami menanggapi laporan {number}:\n\n{}", ctx.message.unwrap_or("")),
        ),
        "ticket_pending" => (
            format!("{tag}Kami menunggu informasi dari Anda"),
            format!("Laporan {number} menunggu jawaban Anda. Balas e-mail ini agar kami dapat melanjutkan."),
        ),
        "ticket_resolved" => (
            format!("{tag}Laporan Anda telah diselesaikan"),
            format!(
                "Laporan {number} telah kami selesaikan:\n\n{}\n\nJika masalahnya belum teratasi, balas e-mail ini dan laporan akan dibuka kembali.",
                ctx.message.unwrap_or("")
            ),
        ),
        "ticket_cancelled" => (
            format!("{tag}Laporan dibatalkan"),
            format!("Laporan {number} dibatalkan. Alasan: {}", field(payload, "reason")),
        ),
        "ticket_status" => (
            format!("{tag}Status laporan: {}", status_label(field(payload, "status"))),
            format!("Status laporan {number} sekarang: {}.", status_label(field(payload, "status"))),
        ),
        "ticket_assigned" => (format!("{tag}Tiket ditugaskan kepada Anda"), format!("Tiket {number} ({title}) ditugaskan kepada Anda.")),
        "ticket_escalated" => (
            format!("{tag}Tiket dieskalasi ke Tier 2"),
            format!(
                "Tiket {number} ({title}) dieskalasi ke Tier 2{}.",
                if payload["automatic"] == true { " secara otomatis karena batas waktu penyelesaian terlampaui" } else { "" }
            ),
        ),
        "ticket_transferred" => (format!("{tag}Tiket dialihkan ke unit Anda"), format!("Tiket {number} ({title}) dialihkan ke unit Anda.")),
        "sla_warning" => (
            format!("{tag}Peringatan SLA: {}% waktu {} terpakai", payload["percent"], target_label(field(payload, "target"))),
            format!(
                "Tiket {number} telah memakai {}% waktu {}. Batas waktu: {}.",
                payload["percent"],
                target_label(field(payload, "target")),
                field(payload, "due")
            ),
        ),
        "sla_breached" => (
            format!("{tag}SLA terlampaui: {}", target_label(field(payload, "target"))),
            format!("Batas waktu {} tiket {number} ({}) terlampaui.", target_label(field(payload, "target")), field(payload, "due")),
        ),
        "mail_too_large" => (
            format!("Re: {}", field(payload, "subject")),
            format!(
                "E-mail Anda ({} MB) melebihi batas {} MB sehingga belum dapat kami proses. E-mail tersebut kami simpan; petugas akan menindaklanjutinya. Jika memungkinkan, kirim ulang tanpa lampiran besar atau gunakan tautan berbagi berkas.",
                payload["size_mb"], payload["limit_mb"]
            ),
        ),
        other => (format!("{tag}Pemberitahuan"), format!("Ada pembaruan pada tiket {number} ({other}).")),
    };
    Rendered { subject: subject.trim().to_string(), text: format!("{body}{SIGNATURE}") }
}

/// The same text as minimal HTML: escaped, paragraphs kept, links clickable.
pub fn html_of(text: &str) -> String {
    let escaped = text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
    let linked: Vec<String> = escaped
        .split(' ')
        .map(|w| {
            if w.starts_with("http://") || w.starts_with("https://") {
                format!("<a href=\"{w}\">{w}</a>")
            } else {
                w.to_string()
            }
        })
        .collect();
    let body =
        linked.join(" ").split("\n\n").map(|p| format!("<p>{}</p>", p.replace('\n', "<br>"))).collect::<String>();
    format!(
        "<!DOCTYPE html><html lang=\"id\"><body style=\"font-family:sans-serif;line-height:1.5\">{body}</body></html>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx<'a>(message: Option<&'a str>) -> Context<'a> {
        Context {
            number: Some("SD-2026-000042"),
            title: Some("Printer rusak"),
            public_url: "https://layanan.kota.go.id",
            message,
        }
    }

    #[test]
    fn acknowledgement_has_number_and_tracking_link() {
        let r = render("ticket_received", &json!({ "number": "SD-2026-000042", "tracking_token": "abc" }), &ctx(None));
        assert_eq!(r.subject, "[SD-2026-000042] Laporan Anda telah kami terima: Printer rusak");
        assert!(r.text.contains("https://layanan.kota.go.id/lacak/SD-2026-000042?token=abc"));
    }

    #[test]
    fn reply_carries_the_message_and_html_is_escaped() {
        let r = render("reply", &json!({}), &ctx(Some("Coba <restart> dulu & kabari.")));
        assert_eq!(r.subject, "Re: [SD-2026-000042] Printer rusak");
        let html = html_of(&r.text);
        assert!(html.contains("Coba &lt;restart&gt; dulu &amp; kabari."));
        assert!(!html.contains("<restart>"));
    }
}
