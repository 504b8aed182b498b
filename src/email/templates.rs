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
    /// `en` for a requester who writes in English; anything else is Bahasa Indonesia.
    pub language: &'a str,
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

fn notice_label(clock: &str) -> &str {
    match clock {
        "incident_notice" => "laporan insiden tertulis (1×24 jam)",
        "breach_notice" => "pemberitahuan kebocoran data pribadi (3×24 jam)",
        other => other,
    }
}

/// The acknowledgement of a report on a service known to be disrupted says so (issue: a
/// citizen should not wonder whether anyone knows).
fn known_disruption(payload: &Value, language: &str) -> String {
    let d = &payload["disruption"];
    let Some(title) = d["title"].as_str() else { return String::new() };
    let following = d["following"] == true;
    match (language, following) {
        ("en", true) => format!("\n\nThis disruption is already known and being handled: {title}. Your report is linked to it and we will e-mail you each update until it is over."),
        ("en", false) => format!("\n\nThis disruption is already known and being handled: {title}. Your report is linked to it."),
        (_, true) => format!("\n\nGangguan ini sudah kami ketahui dan sedang ditangani: {title}. Laporan Anda kami tautkan ke gangguan tersebut dan setiap kabar terbarunya akan kami kirimkan sampai gangguan berakhir."),
        (_, false) => format!("\n\nGangguan ini sudah kami ketahui dan sedang ditangani: {title}. Laporan Anda kami tautkan ke gangguan tersebut."),
    }
}

const SIGNATURE: &str = "\n\nSalam,\nService Desk\n\nBalas e-mail ini untuk menambahkan informasi; nomor tiket di subjek menjaga balasan Anda tetap pada tiket yang sama.";

fn csat_link(payload: &Value, ctx: &Context, number: &str) -> Option<String> {
    let token = payload["csat_token"].as_str().filter(|t| !t.is_empty())?;
    Some(format!("{}/nilai/{number}?token={token}", ctx.public_url))
}

const SIGNATURE_EN: &str = "\n\nKind regards,\nService Desk\n\nReply to this e-mail to add information; the ticket number in the subject keeps your reply on the same ticket.";

/// The requester-facing mails in English; `None` for those only staff receive.
fn render_english(template: &str, payload: &Value, ctx: &Context, number: &str, tag: &str) -> Option<Rendered> {
    let title = ctx.title.unwrap_or("");
    let tracking = match payload["tracking_token"].as_str() {
        Some(token) if !token.is_empty() => {
            format!("\n\nFollow its progress at: {}/lacak/{number}?token={token}", ctx.public_url)
        }
        _ => String::new(),
    };
    let (subject, body) = match template {
        "ticket_received" => (
            format!("{tag}We have received your report: {title}"),
            format!("Thank you. Your report has been recorded as {number}.{}{tracking}", known_disruption(payload, "en")),
        ),
        "disruption_update" => (
            format!("{tag}{}: {}", if payload["ended"] == true { "Disruption over" } else { "Disruption update" }, field(payload, "service")),
            format!(
                "News of the disruption of {} that your report {number} is about ({}):\n\n{}",
                field(payload, "service"),
                field(payload, "disruption_title"),
                field(payload, "update")
            ),
        ),
        "reply" => (format!("Re: {tag}{title}"), format!("Our staff replied to {number}:\n\n{}", ctx.message.unwrap_or(""))),
        "ticket_pending" => (
            format!("{tag}We are waiting for your information"),
            format!("Ticket {number} is waiting for your answer. Reply to this e-mail so that we can continue."),
        ),
        "ticket_resolved" => (
            format!("{tag}Your report has been resolved"),
            format!(
                "We have resolved {number}:\n\n{}\n\nIf the problem persists, reply to this e-mail and the ticket will be reopened.{}",
                ctx.message.unwrap_or(""),
                csat_link(payload, ctx, number)
                    .map(|l| format!("\n\nHow did we do? Rate our service (1-5): {l}"))
                    .unwrap_or_default()
            ),
        ),
        "ticket_cancelled" => {
            (format!("{tag}Report cancelled"), format!("Ticket {number} was cancelled. Reason: {}", field(payload, "reason")))
        }
        "ticket_status" => (
            format!("{tag}Status: {}", field(payload, "status")),
            format!("Ticket {number} is now {}.", field(payload, "status")),
        ),
        "ticket_merged" => (
            format!("{tag}Your report continues as {}", field(payload, "into")),
            format!(
                "Ticket {number} reports the same problem as {} and was merged into it: follow the case there; our replies will come on {}.",
                field(payload, "into"),
                field(payload, "into")
            ),
        ),
        "mail_too_large" => (
            format!("Re: {}", field(payload, "subject")),
            format!(
                "Your e-mail ({} MB) is over our {} MB limit, so we could not process it yet. We have kept it and our staff will follow up. If you can, send it again without large attachments or with a file-sharing link.",
                payload["size_mb"], payload["limit_mb"]
            ),
        ),
        _ => return None,
    };
    Some(Rendered { subject: subject.trim().to_string(), text: format!("{body}{SIGNATURE_EN}") })
}

pub fn render(template: &str, payload: &Value, ctx: &Context) -> Rendered {
    let number = ctx.number.unwrap_or_else(|| field(payload, "number"));
    if ctx.language == "en" {
        let tag = if number.is_empty() { String::new() } else { format!("[{number}] ") };
        if let Some(english) = render_english(template, payload, ctx, number, &tag) {
            return english;
        }
    }
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
            format!("Terima kasih. Laporan Anda telah kami catat dengan nomor {number}.{}{tracking}", known_disruption(payload, "id")),
        ),
        "disruption_update" => (
            format!("{tag}{}: {}", if payload["ended"] == true { "Gangguan berakhir" } else { "Kabar gangguan" }, field(payload, "service")),
            format!(
                "Kabar terbaru gangguan {} yang Anda laporkan dalam {number} ({}):\n\n{}",
                field(payload, "service"),
                field(payload, "disruption_title"),
                field(payload, "update")
            ),
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
                "Laporan {number} telah kami selesaikan:\n\n{}\n\nJika masalahnya belum teratasi, balas e-mail ini dan laporan akan dibuka kembali.{}",
                ctx.message.unwrap_or(""),
                csat_link(payload, ctx, number)
                    .map(|l| format!("\n\nBagaimana pelayanan kami? Beri penilaian (1-5): {l}"))
                    .unwrap_or_default()
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
        "ticket_merged" => (
            format!("{tag}Laporan Anda dilanjutkan di {}", field(payload, "into")),
            format!(
                "Laporan {number} menyangkut masalah yang sama dengan {} dan telah digabungkan ke sana. Penanganannya dilanjutkan di {}; tanggapan kami akan datang dengan nomor itu.",
                field(payload, "into"),
                field(payload, "into")
            ),
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
        "ticket_unassigned" => (
            format!("{tag}Tiket kembali ke antrean unit"),
            format!(
                "Tiket {number} ({title}) kembali ke antrean unit tanpa petugas: akun {} dinonaktifkan. Mohon tugaskan petugas lain.",
                field(payload, "from")
            ),
        ),
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
        "incident_flagged" => (
            format!(
                "{tag}{}",
                if payload["personal_data_breach"] == true { "Kebocoran data pribadi dilaporkan" } else { "Insiden keamanan dilaporkan" }
            ),
            format!(
                "Tiket {number} ({title}) ditandai sebagai {}.{}{}\n\nTangani segera tanpa menunggu eskalasi; tiket ini tampil di antrean Tier 2 dan dasbor supervisi.",
                if payload["personal_data_breach"] == true { "kebocoran data pribadi" } else { "insiden keamanan informasi" },
                payload["incident_notice_due"].as_str().map(|d| format!("\nLaporan insiden tertulis (kronologi, dampak, tindakan) paling lambat {d} (1×24 jam).")).unwrap_or_default(),
                payload["breach_notice_due"].as_str().map(|d| format!("\nPemberitahuan kepada subjek data dan lembaga paling lambat {d} (3×24 jam, UU 27/2022 Pasal 46).")).unwrap_or_default(),
            ),
        ),
        "incident_notice_warning" => (
            format!("{tag}Peringatan: {}% waktu {} terpakai", payload["percent"], notice_label(field(payload, "clock"))),
            format!(
                "Tiket {number} ({title}): {}% waktu untuk {} telah terpakai. Batas waktu: {}.",
                payload["percent"],
                notice_label(field(payload, "clock")),
                field(payload, "due")
            ),
        ),
        "incident_notice_breached" => (
            format!("{tag}Batas waktu {} terlampaui", notice_label(field(payload, "clock"))),
            format!(
                "Tiket {number} ({title}): batas waktu {} ({}) terlampaui. Selesaikan dan catat segera.",
                notice_label(field(payload, "clock")),
                field(payload, "due")
            ),
        ),
        "mail_too_large" => (
            format!("Re: {}", field(payload, "subject")),
            format!(
                "E-mail Anda ({} MB) melebihi batas {} MB sehingga belum dapat kami proses. E-mail tersebut kami simpan; petugas akan menindaklanjutinya. Jika memungkinkan, kirim ulang tanpa lampiran besar atau gunakan tautan berbagi berkas.",
                payload["size_mb"], payload["limit_mb"]
            ),
        ),
        "password_reset" => {
            return Rendered {
                subject: "Atur ulang kata sandi Service Desk".into(),
                text: format!(
                    "Yth. {},\n\nAda permintaan mengatur ulang kata sandi akun Anda. Buka tautan ini dalam {} menit untuk membuat kata sandi baru (tautan hanya dapat dipakai sekali):\n\n{}/masuk/sandi-baru?token={}\n\n\
                     Jika Anda tidak memintanya, abaikan e-mail ini; kata sandi Anda tidak berubah.\n\nSalam,\nService Desk",
                    field(payload, "name"),
                    payload["minutes"],
                    ctx.public_url,
                    field(payload, "reset_token"),
                ),
            };
        }
        "account_invitation" => {
            return Rendered {
                subject: "Akun Service Desk Anda".into(),
                text: format!(
                    "Yth. {},\n\nAkun Service Desk untuk Anda telah dibuat dengan nama pengguna {}. Buka tautan ini dalam {} hari untuk membuat kata sandi Anda (tautan hanya dapat dipakai sekali):\n\n{}/masuk/sandi-baru?token={}\n\n\
                     Setelah itu Anda dapat masuk di {}/masuk. Jika tautan kedaluwarsa, pakai \"Lupa kata sandi\" di halaman masuk.\n\nSalam,\nService Desk",
                    field(payload, "name"),
                    field(payload, "username"),
                    payload["days"],
                    ctx.public_url,
                    field(payload, "reset_token"),
                    ctx.public_url,
                ),
            };
        }
        "report_ready" => {
            return Rendered {
                subject: format!("Laporan pelaksanaan tugas: {} — {}", field(payload, "scope_name"), field(payload, "period_title")),
                text: format!(
                    "Yth. Bapak/Ibu,\n\nTerlampir laporan pelaksanaan tugas service desk {} untuk periode {}, dibuat {}.\n\n\
                     SHA-256 data laporan: {}\n{}\nLaporan ini tersimpan tanpa perubahan dan sidiknya tercatat pada log audit.\n\n\
                     Salam,\nService Desk",
                    field(payload, "scope_name"),
                    field(payload, "period_title"),
                    field(payload, "generated"),
                    field(payload, "data_sha256"),
                    payload["attachments"]
                        .as_array()
                        .map(|files| files
                            .iter()
                            .map(|f| format!("SHA-256 {}: {}\n", field(f, "file_name"), field(f, "sha256")))
                            .collect::<String>())
                        .unwrap_or_default(),
                ),
            };
        }
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
            language: "id",
        }
    }

    #[test]
    fn resolution_asks_for_a_rating_in_the_requesters_language() {
        let payload = json!({ "csat_token": "xyz" });
        let id = render("ticket_resolved", &payload, &ctx(Some("Sudah diganti.")));
        assert!(
            id.text.contains("Beri penilaian (1-5): https://layanan.kota.go.id/nilai/SD-2026-000042?token=xyz"),
            "{}",
            id.text
        );
        let en = render("ticket_resolved", &payload, &Context { language: "en", ..ctx(Some("Replaced.")) });
        assert_eq!(en.subject, "[SD-2026-000042] Your report has been resolved");
        assert!(en.text.contains("Rate our service (1-5): https://layanan.kota.go.id/nilai/SD-2026-000042?token=xyz"));
        // Staff notices stay in Bahasa Indonesia.
        let staff =
            render("sla_breached", &json!({ "target": "resolution" }), &Context { language: "en", ..ctx(None) });
        assert!(staff.subject.contains("SLA terlampaui"));
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

    #[test]
    fn a_report_on_a_known_disruption_is_told_so_and_updates_follow() {
        let payload = json!({ "disruption": { "title": "SIMPUS tidak dapat diakses", "following": true } });
        let ack = render("ticket_received", &payload, &ctx(None));
        assert!(
            ack.text.contains("sudah kami ketahui dan sedang ditangani: SIMPUS tidak dapat diakses"),
            "{}",
            ack.text
        );
        assert!(ack.text.contains("setiap kabar terbarunya"), "following: told updates come");
        let plain = render("ticket_received", &json!({}), &ctx(None));
        assert!(!plain.text.contains("sudah kami ketahui"), "no disruption, no sentence");
        let update = json!({ "service": "SIMPUS", "disruption_title": "SIMPUS tidak dapat diakses",
                             "update": "Server dipulihkan.", "ended": true });
        let id = render("disruption_update", &update, &ctx(None));
        assert_eq!(id.subject, "[SD-2026-000042] Gangguan berakhir: SIMPUS");
        assert!(id.text.contains("Server dipulihkan.") && id.text.contains("SD-2026-000042"));
        let en = render("disruption_update", &update, &Context { language: "en", ..ctx(None) });
        assert_eq!(en.subject, "[SD-2026-000042] Disruption over: SIMPUS");
    }
}
