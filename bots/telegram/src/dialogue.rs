//! A citizen's conversation with the bot. The state is stored by the desk after every step, so
//! a restart of `meja` in the middle of `/lapor` loses nothing.

use serde::{Deserialize, Serialize};

use crate::texts::{self, KINDS};
use crate::{Button, DeskPort, FileRef, Input, Out, PortError, PortResult, Rated, Report, Sender, StaffAct};

/// Units or services per keyboard page.
const PAGE: usize = 8;
const MIN_DESCRIPTION: usize = 10;
/// Telegram's own limit for one message; the desk's limit for a description is above it.
const MAX_DESCRIPTION: usize = 4000;
const MAX_FILES: usize = 5;

/// Where a chat is in `/lapor`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Dialogue {
    #[default]
    Idle,
    Unit {
        page: usize,
    },
    Service {
        unit: String,
        page: usize,
    },
    Kind {
        unit: String,
        service: Option<String>,
    },
    Describe {
        unit: String,
        service: Option<String>,
        kind: String,
    },
    Attach {
        report: Draft,
    },
    Confirm {
        report: Draft,
    },
}

impl Dialogue {
    /// Whether a photo or document sent now would be taken (so the desk fetches it).
    pub fn wants_file(&self) -> bool {
        matches!(self, Dialogue::Attach { report } if report.files.len() < MAX_FILES)
    }
}

/// A report being written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    pub unit: String,
    pub service: Option<String>,
    pub kind: String,
    pub description: String,
    pub files: Vec<FileRef>,
}

fn cancel_row() -> Vec<Button> {
    vec![Button::new("✖ Batal", "batal")]
}

/// A page of choices with ◀ ▶ when there are more.
fn choice_page(
    items: &[crate::Choice],
    page: usize,
    pick: &str,
    turn: &str,
    extra: Option<Button>,
) -> Vec<Vec<Button>> {
    let pages = items.len().div_ceil(PAGE).max(1);
    let page = page.min(pages - 1);
    let mut rows: Vec<Vec<Button>> = items
        .iter()
        .skip(page * PAGE)
        .take(PAGE)
        .map(|c| vec![Button::new(c.name.clone(), format!("{pick}:{}", c.code))])
        .collect();
    let mut nav = Vec::new();
    if page > 0 {
        nav.push(Button::new("◀ Sebelumnya", format!("{turn}:{}", page - 1)));
    }
    if page + 1 < pages {
        nav.push(Button::new("Berikutnya ▶", format!("{turn}:{}", page + 1)));
    }
    if !nav.is_empty() {
        rows.push(nav);
    }
    if let Some(extra) = extra {
        rows.push(vec![extra]);
    }
    rows.push(cancel_row());
    rows
}

fn ask_unit(port: &mut dyn DeskPort, page: usize) -> PortResult<Out> {
    let units = port.units()?;
    Ok(Out::text("Laporan untuk Perangkat Daerah mana? Pilih di bawah (atau Diskominfo bila tidak tahu).")
        .with_buttons(choice_page(&units, page, "unit", "unit_page", None)))
}

fn ask_service(port: &mut dyn DeskPort, unit: &str, page: usize) -> PortResult<Option<Out>> {
    let services = port.services(unit)?;
    if services.is_empty() {
        return Ok(None);
    }
    Ok(Some(Out::text("Layanan mana yang bermasalah?").with_buttons(choice_page(
        &services,
        page,
        "svc",
        "svc_page",
        Some(Button::new("Tidak tahu / lainnya", "svc:-")),
    ))))
}

fn ask_kind() -> Out {
    let mut rows: Vec<Vec<Button>> =
        KINDS.iter().map(|(k, label)| vec![Button::new(*label, format!("kind:{k}"))]).collect();
    rows.push(cancel_row());
    Out::text("Jenis laporan?").with_buttons(rows)
}

fn ask_files(draft: &Draft) -> Out {
    let text = if draft.files.is_empty() {
        "Ada foto atau dokumen pendukung (tangkapan layar, surat)? Kirim sekarang, atau tekan Lanjut.".to_string()
    } else {
        format!("Lampiran diterima ({}). Kirim lagi atau tekan Lanjut.", draft.files.len())
    };
    Out::text(text).with_buttons(vec![vec![Button::new("Lanjut ▶", "lanjut")], cancel_row()])
}

fn summary(draft: &Draft) -> Out {
    let mut text = format!(
        "Periksa laporan Anda:\n\nUnit: {}\n{}Jenis: {}\nUraian: {}\n",
        draft.unit,
        draft.service.as_ref().map(|s| format!("Layanan: {s}\n")).unwrap_or_default(),
        texts::kind_label(&draft.kind),
        draft.description
    );
    if !draft.files.is_empty() {
        text.push_str(&format!(
            "Lampiran: {}\n",
            draft.files.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(", ")
        ));
    }
    text.push_str("\nKirim laporan ini?");
    Out::text(text).with_buttons(vec![vec![Button::new("✔ Kirim", "kirim"), Button::new("✖ Batal", "batal")]])
}

fn status_line(t: &crate::TicketLine) -> String {
    format!("{} — {}\nStatus: {} (diperbarui {})", t.number, t.title, texts::status_label(&t.status), t.updated)
}

fn looks_like_number(text: &str) -> Option<String> {
    let n = text.trim().to_uppercase();
    let parts: Vec<&str> = n.split('-').collect();
    let ok = parts.len() == 3
        && !parts[0].is_empty()
        && parts[0].chars().all(|c| c.is_ascii_uppercase())
        && parts[1].len() == 4
        && parts[1].chars().all(|c| c.is_ascii_digit())
        && !parts[2].is_empty()
        && parts[2].chars().all(|c| c.is_ascii_digit());
    ok.then_some(n)
}

/// Handles one input of one chat: the desk calls of the step, the new state saved, what to
/// send back. Group chats only get help (reports come from private chats).
pub fn handle(port: &mut dyn DeskPort, from: &Sender, input: Input) -> PortResult<Vec<Out>> {
    if let Input::Command { name, args, .. } = &input {
        if name == "hubungkan" {
            return Ok(vec![link(port, from, args)?]);
        }
    }
    if !from.private {
        return Ok(match input {
            Input::Command { name, .. } if name == "start" || name == "help" => {
                vec![Out::text("Untuk melapor, tulis kepada saya lewat pesan pribadi. Petugas: hubungkan grup dengan /hubungkan <kode>.")]
            }
            _ => Vec::new(),
        });
    }
    if let Some(out) = staff_input(port, from, &input)? {
        return Ok(vec![out]);
    }
    let state = port.dialogue(from.chat_id)?;
    let (next, outs) = step(port, from, state, input)?;
    port.save_dialogue(from.chat_id, &next)?;
    Ok(outs)
}

type Step = (Dialogue, Vec<Out>);

fn step(port: &mut dyn DeskPort, from: &Sender, state: Dialogue, input: Input) -> PortResult<Step> {
    // What works at any step.
    match &input {
        Input::Command { name, .. } if name == "batal" => {
            let text = if state == Dialogue::Idle {
                "Tidak ada isian yang berjalan."
            } else {
                "Dibatalkan. Tidak ada yang dikirim."
            };
            return Ok((Dialogue::Idle, vec![Out::text(text)]));
        }
        Input::Callback { data } if data == "batal" => {
            return Ok((Dialogue::Idle, vec![Out::text("Dibatalkan. Tidak ada yang dikirim.")]));
        }
        Input::Command { name, .. } if name == "start" || name == "help" || name == "bantuan" => {
            return Ok((Dialogue::Idle, vec![texts::menu()]));
        }
        Input::Command { name, .. } if name == "lapor" => {
            return Ok((Dialogue::Unit { page: 0 }, vec![ask_unit(port, 0)?]))
        }
        Input::Callback { data } if data == "menu:lapor" => {
            return Ok((Dialogue::Unit { page: 0 }, vec![ask_unit(port, 0)?]))
        }
        Input::Command { name, .. } if name == "tiketku" => return Ok((state, vec![my_tickets(port, from)?])),
        Input::Callback { data } if data == "menu:tiketku" => return Ok((state, vec![my_tickets(port, from)?])),
        Input::Command { name, args, .. } if name == "status" => return Ok((state, vec![status(port, from, args)?])),
        Input::Callback { data } if data.starts_with("rate:") => return Ok((state, vec![rate(port, from, data)?])),
        Input::Command { .. } => {
            return Ok((state, vec![Out::text(format!("Perintah tidak dikenal.\n\n{}", texts::HELP))]))
        }
        Input::Edited => {
            return Ok((state, vec![Out::text("Pesan yang diubah tidak diproses. Kirim pesan baru bila perlu.")]))
        }
        Input::Unsupported(what) => {
            return Ok((
                state,
                vec![Out::text(format!("Maaf, {what} tidak dapat saya proses. Kirim teks, foto, atau dokumen."))],
            ))
        }
        Input::TooLarge { size } => {
            return Ok((
                state,
                vec![Out::text(format!(
                    "Berkas terlalu besar ({} MB). Kirim berkas di bawah 20 MB atau tautan berbagi berkas.",
                    size / (1024 * 1024)
                ))],
            ))
        }
        _ => {}
    }
    match (state, input) {
        (Dialogue::Unit { .. }, Input::Callback { data }) if data.starts_with("unit_page:") => {
            let page = data["unit_page:".len()..].parse().unwrap_or(0);
            Ok((Dialogue::Unit { page }, vec![ask_unit(port, page)?]))
        }
        (Dialogue::Unit { page }, Input::Callback { data }) if data.starts_with("unit:") => {
            let unit = data["unit:".len()..].to_string();
            if !port.units()?.iter().any(|u| u.code == unit) {
                return Ok((Dialogue::Unit { page }, vec![ask_unit(port, page)?]));
            }
            match ask_service(port, &unit, 0)? {
                Some(out) => Ok((Dialogue::Service { unit, page: 0 }, vec![out])),
                None => Ok((Dialogue::Kind { unit, service: None }, vec![ask_kind()])),
            }
        }
        (Dialogue::Service { unit, .. }, Input::Callback { data }) if data.starts_with("svc_page:") => {
            let page = data["svc_page:".len()..].parse().unwrap_or(0);
            let out = ask_service(port, &unit, page)?.unwrap_or_else(ask_kind);
            Ok((Dialogue::Service { unit, page }, vec![out]))
        }
        (Dialogue::Service { unit, page }, Input::Callback { data }) if data.starts_with("svc:") => {
            let code = &data["svc:".len()..];
            let service = if code == "-" {
                None
            } else if port.services(&unit)?.iter().any(|s| s.code == code) {
                Some(code.to_string())
            } else {
                let out = ask_service(port, &unit, page)?.unwrap_or_else(ask_kind);
                return Ok((Dialogue::Service { unit, page }, vec![out]));
            };
            let mut outs = Vec::new();
            if let Some(title) = service.as_deref().map(|s| port.known_disruption(s)).transpose()?.flatten() {
                outs.push(Out::text(format!(
                    "ℹ Gangguan layanan ini sudah kami ketahui dan sedang ditangani: {title}.\n\
                     Jika Anda melaporkan gangguan ini (jenis: Gangguan), laporan Anda ditautkan ke sana dan setiap kabar terbarunya kami kirim ke sini."
                )));
            }
            outs.push(ask_kind());
            Ok((Dialogue::Kind { unit, service }, outs))
        }
        (Dialogue::Kind { unit, service }, Input::Callback { data }) if data.starts_with("kind:") => {
            let kind = data["kind:".len()..].to_string();
            if !KINDS.iter().any(|(k, _)| *k == kind) {
                return Ok((Dialogue::Kind { unit, service }, vec![ask_kind()]));
            }
            let out = Out::text(format!(
                "Jelaskan masalahnya: apa yang terjadi, sejak kapan, di layanan mana. ({MIN_DESCRIPTION}–{MAX_DESCRIPTION} karakter)"
            ))
            .with_buttons(vec![cancel_row()]);
            Ok((Dialogue::Describe { unit, service, kind }, vec![out]))
        }
        (Dialogue::Describe { unit, service, kind }, Input::Text { text, .. }) => {
            let description = text.trim().to_string();
            let length = description.chars().count();
            if !(MIN_DESCRIPTION..=MAX_DESCRIPTION).contains(&length) {
                let why = if length < MIN_DESCRIPTION { "terlalu singkat" } else { "terlalu panjang" };
                return Ok((
                    Dialogue::Describe { unit, service, kind },
                    vec![Out::text(format!("Uraian {why}: tulis {MIN_DESCRIPTION}–{MAX_DESCRIPTION} karakter."))],
                ));
            }
            // SPEC 7: articles that may already answer it, before the report goes in.
            let suggestions = port.suggest(&description, service.as_deref())?;
            let draft = Draft { unit, service, kind, description, files: Vec::new() };
            let mut outs = Vec::new();
            if !suggestions.is_empty() {
                let items: Vec<String> = suggestions
                    .iter()
                    .map(|s| {
                        format!(
                            "• {}\n  {}{}",
                            s.title,
                            s.excerpt,
                            s.link.as_ref().map(|l| format!("\n  {l}")).unwrap_or_default()
                        )
                    })
                    .collect();
                outs.push(Out::text(format!(
                    "Mungkin ini membantu:\n\n{}\n\nJika sudah terjawab, ketik /batal. Jika belum, lanjutkan laporan Anda.",
                    items.join("\n\n")
                )));
            }
            outs.push(ask_files(&draft));
            Ok((Dialogue::Attach { report: draft }, outs))
        }
        (Dialogue::Attach { mut report }, Input::File(file)) => {
            if report.files.len() >= MAX_FILES {
                let out = Out::text(format!("Paling banyak {MAX_FILES} lampiran. Tekan Lanjut."))
                    .with_buttons(vec![vec![Button::new("Lanjut ▶", "lanjut")], cancel_row()]);
                return Ok((Dialogue::Attach { report }, vec![out]));
            }
            report.files.push(file);
            let out = ask_files(&report);
            Ok((Dialogue::Attach { report }, vec![out]))
        }
        (Dialogue::Attach { report }, Input::Callback { data }) if data == "lanjut" => {
            let out = summary(&report);
            Ok((Dialogue::Confirm { report }, vec![out]))
        }
        (Dialogue::Confirm { report }, Input::Callback { data }) if data == "kirim" => {
            let filed = Report {
                unit: report.unit.clone(),
                service: report.service.clone(),
                kind: report.kind.clone(),
                description: report.description.clone(),
                files: report.files.clone(),
            };
            match port.open_ticket(from, &filed) {
                Ok(number) => {
                    let out = Out::text(format!(
                        "Terima kasih. Laporan Anda tercatat dengan nomor {number}.\n\n\
                         Ikuti perkembangannya dengan /status {number} atau /tiketku. Kami akan mengabari Anda di sini; \
                         balas pesan ini untuk menambah informasi."
                    ))
                    .about(number);
                    Ok((Dialogue::Idle, vec![out]))
                }
                Err(PortError::Refused(why)) => Ok((Dialogue::Confirm { report }, vec![Out::text(why)])),
                Err(e) => Err(e),
            }
        }
        (Dialogue::Idle, Input::Text { text, reply_to }) => {
            Ok((Dialogue::Idle, vec![idle_text(port, from, &text, reply_to)?]))
        }
        (Dialogue::Attach { report }, Input::Offered) => {
            let out = Out::text(format!("Paling banyak {MAX_FILES} lampiran. Tekan Lanjut."))
                .with_buttons(vec![vec![Button::new("Lanjut ▶", "lanjut")], cancel_row()]);
            Ok((Dialogue::Attach { report }, vec![out]))
        }
        (Dialogue::Idle, Input::File(_) | Input::Offered) => Ok((
            Dialogue::Idle,
            vec![Out::text("Untuk mengirim lampiran, mulai laporan dengan /lapor lalu kirim berkasnya saat diminta.")],
        )),
        (state, Input::Callback { .. }) => {
            // An old button from an earlier step: say where we are.
            let out = Out::text("Tombol itu sudah tidak berlaku. Lanjutkan dari pesan terakhir, atau /batal.");
            Ok((state, vec![out]))
        }
        (state, _) => {
            let hint = match &state {
                Dialogue::Unit { .. } | Dialogue::Service { .. } | Dialogue::Kind { .. } => {
                    "Pilih salah satu tombol di atas, atau /batal."
                }
                Dialogue::Describe { .. } => "Tulis uraian masalahnya dalam satu pesan teks, atau /batal.",
                Dialogue::Attach { .. } => "Kirim foto atau dokumen, atau tekan Lanjut.",
                Dialogue::Confirm { .. } => "Tekan Kirim atau Batal.",
                Dialogue::Idle => texts::HELP,
            };
            Ok((state, vec![Out::text(hint)]))
        }
    }
}

fn link(port: &mut dyn DeskPort, from: &Sender, code: &str) -> PortResult<Out> {
    if code.trim().is_empty() {
        return Ok(Out::text("Tulis kodenya: /hubungkan KODE (dari konsol petugas)."));
    }
    Ok(match port.link(from, code) {
        Ok(what) => Out::text(what),
        Err(PortError::Refused(why)) => Out::text(why),
        Err(e) => return Err(e),
    })
}

const STAFF_COMMANDS: [&str; 4] = ["ambil", "eskalasi", "catatan", "siap"];

/// What a linked agent says: the agent commands, and replies to notices (public replies).
/// `None` when it is citizen business.
fn staff_input(port: &mut dyn DeskPort, from: &Sender, input: &Input) -> PortResult<Option<Out>> {
    let command = match input {
        Input::Command { name, args, reply_to } if STAFF_COMMANDS.contains(&name.as_str()) => {
            Some((name, args, *reply_to))
        }
        Input::Text { reply_to: Some(_), .. } => None,
        Input::Command { name, .. } if name == "start" || name == "help" => None,
        _ => return Ok(None),
    };
    let Some(agent) = port.staff(from.chat_id)? else {
        return Ok(command.map(|_| {
            Out::text("Perintah ini untuk petugas. Hubungkan akun Anda dengan /hubungkan <kode> dari konsol petugas.")
        }));
    };
    let act = match (command, input) {
        (None, Input::Command { .. }) => {
            return Ok(Some(Out::text(format!("Akun ini terhubung dengan {agent}.\n\n{}", texts::STAFF_HELP))))
        }
        (None, Input::Text { text, reply_to: Some(message) }) => {
            let Some(number) = port.ticket_of_message(from.chat_id, *message)? else {
                return Ok(Some(Out::text("Pesan yang Anda balas bukan pemberitahuan tiket.")));
            };
            StaffAct::Reply { number, text: text.trim().to_string() }
        }
        (Some((name, args, reply_to)), _) => {
            let mut words = args.splitn(2, char::is_whitespace);
            let first = words.next().unwrap_or("");
            let rest = words.next().unwrap_or("").trim().to_string();
            let replied = match reply_to {
                Some(message) => port.ticket_of_message(from.chat_id, message)?,
                None => None,
            };
            // The number may be left out when replying to a notice about the ticket.
            let (number, text) = match (looks_like_number(first), replied) {
                (Some(n), _) => (Some(n), rest),
                (None, Some(n)) => (Some(n), args.trim().to_string()),
                (None, None) => (None, rest),
            };
            let Some(number) = number else {
                return Ok(Some(Out::text(format!("Tulis nomor tiketnya.\n\n{}", texts::STAFF_HELP))));
            };
            match name.as_str() {
                "ambil" => StaffAct::Take { number },
                "eskalasi" if text.is_empty() => {
                    return Ok(Some(Out::text("Tulis alasannya: /eskalasi <nomor> <alasan>")))
                }
                "eskalasi" => StaffAct::Escalate { number, reason: text },
                "siap" if text.is_empty() => StaffAct::CannedList { number },
                "siap" => match text.parse::<usize>() {
                    Ok(pick) if pick > 0 => StaffAct::CannedSend { number, pick },
                    _ => return Ok(Some(Out::text("Tulis urutan balasan dari daftar: /siap <nomor> <urutan>"))),
                },
                _ if text.is_empty() => return Ok(Some(Out::text("Tulis catatannya: /catatan <nomor> <teks>"))),
                _ => StaffAct::Note { number, text },
            }
        }
        _ => return Ok(None),
    };
    Ok(Some(match port.staff_act(from.chat_id, &act) {
        Ok(done) => Out::text(done),
        Err(PortError::Refused(why)) => Out::text(why),
        Err(e) => return Err(e),
    }))
}

fn idle_text(port: &mut dyn DeskPort, from: &Sender, text: &str, reply_to: Option<i64>) -> PortResult<Out> {
    let Some(message) = reply_to else {
        return Ok(Out::text(format!(
            "Untuk melapor ketik /lapor. Untuk menambah informasi pada tiket, balas (reply) pesan saya tentang tiket itu.\n\n{}",
            texts::HELP
        )));
    };
    let Some(number) = port.ticket_of_message(from.chat_id, message)? else {
        return Ok(Out::text("Pesan yang Anda balas bukan tentang tiket. Ketik /tiketku untuk melihat tiket Anda."));
    };
    if text.trim().is_empty() || text.chars().count() > MAX_DESCRIPTION {
        return Ok(Out::text(format!("Tulis 1–{MAX_DESCRIPTION} karakter.")));
    }
    if port.reply(from, &number, text.trim())? {
        Ok(Out::text(format!("Pesan Anda ditambahkan ke tiket {number}.")).about(number))
    } else {
        Ok(Out::text("Tiket itu tidak ditemukan."))
    }
}

fn my_tickets(port: &mut dyn DeskPort, from: &Sender) -> PortResult<Out> {
    let tickets = port.my_tickets(from.chat_id)?;
    if tickets.is_empty() {
        return Ok(Out::text("Anda belum punya tiket. Ketik /lapor untuk melapor."));
    }
    let lines: Vec<String> = tickets.iter().take(10).map(status_line).collect();
    Ok(Out::text(format!("Tiket Anda:\n\n{}", lines.join("\n\n"))))
}

fn status(port: &mut dyn DeskPort, from: &Sender, args: &str) -> PortResult<Out> {
    let Some(number) = looks_like_number(args) else {
        return Ok(Out::text("Tulis nomornya: /status SD-2026-000042"));
    };
    Ok(match port.ticket(from.chat_id, &number)? {
        Some(t) => Out::text(status_line(&t)).about(t.number),
        None => Out::text(format!("Tiket {number} tidak ditemukan di antara tiket Anda.")),
    })
}

fn rate(port: &mut dyn DeskPort, from: &Sender, data: &str) -> PortResult<Out> {
    let mut parts = data.splitn(3, ':').skip(1);
    let (Some(number), Some(rating)) = (parts.next(), parts.next().and_then(|r| r.parse::<u8>().ok())) else {
        return Ok(Out::text("Penilaian tidak terbaca."));
    };
    if !(1..=5).contains(&rating) {
        return Ok(Out::text("Nilai 1 sampai 5."));
    }
    Ok(Out::text(match port.rate(from.chat_id, number, rating)? {
        Rated::Recorded => format!("Terima kasih atas penilaian Anda ({rating}/5) untuk {number}."),
        Rated::AlreadyRated => format!("Tiket {number} sudah Anda nilai. Terima kasih."),
        Rated::NotResolved => format!("Tiket {number} belum selesai."),
        Rated::NotFound => "Tiket itu tidak ditemukan.".to_string(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Choice, Suggestion, TicketLine};

    #[derive(Default)]
    struct FakeDesk {
        state: Dialogue,
        /// The service S1's known disruption, when the test declares one.
        disrupted: Option<String>,
        opened: Vec<Report>,
        replies: Vec<(String, String)>,
        staff: Option<String>,
        acts: Vec<StaffAct>,
    }

    impl DeskPort for FakeDesk {
        fn dialogue(&mut self, _: i64) -> PortResult<Dialogue> {
            Ok(self.state.clone())
        }
        fn save_dialogue(&mut self, _: i64, d: &Dialogue) -> PortResult<()> {
            self.state = d.clone();
            Ok(())
        }
        fn units(&mut self) -> PortResult<Vec<Choice>> {
            Ok((0..11).map(|i| Choice { code: format!("U{i}"), name: format!("Unit {i}") }).collect())
        }
        fn services(&mut self, unit: &str) -> PortResult<Vec<Choice>> {
            Ok(if unit == "U1" { vec![Choice { code: "S1".into(), name: "Layanan 1".into() }] } else { vec![] })
        }
        fn known_disruption(&mut self, service: &str) -> PortResult<Option<String>> {
            Ok(self.disrupted.clone().filter(|_| service == "S1"))
        }
        fn open_ticket(&mut self, _: &Sender, report: &Report) -> PortResult<String> {
            self.opened.push(report.clone());
            Ok("SD-2026-000001".into())
        }
        fn my_tickets(&mut self, _: i64) -> PortResult<Vec<TicketLine>> {
            Ok(vec![])
        }
        fn ticket(&mut self, _: i64, _: &str) -> PortResult<Option<TicketLine>> {
            Ok(None)
        }
        fn reply(&mut self, _: &Sender, number: &str, text: &str) -> PortResult<bool> {
            self.replies.push((number.into(), text.into()));
            Ok(true)
        }
        fn rate(&mut self, _: i64, _: &str, _: u8) -> PortResult<Rated> {
            Ok(Rated::Recorded)
        }
        fn ticket_of_message(&mut self, _: i64, message: i64) -> PortResult<Option<String>> {
            Ok((message == 77).then(|| "SD-2026-000001".to_string()))
        }
        fn suggest(&mut self, text: &str, _: Option<&str>) -> PortResult<Vec<Suggestion>> {
            Ok(if text.contains("SIMPUS") {
                vec![Suggestion {
                    title: "Mengatasi galat 500 SIMPUS".into(),
                    excerpt: "Bersihkan cache.".into(),
                    link: None,
                }]
            } else {
                vec![]
            })
        }
        fn link(&mut self, _: &Sender, code: &str) -> PortResult<String> {
            if code == "GOOD" {
                self.staff = Some("Teknisi".into());
                Ok("terhubung".into())
            } else {
                Err(PortError::Refused("kode salah".into()))
            }
        }
        fn staff(&mut self, _: i64) -> PortResult<Option<String>> {
            Ok(self.staff.clone())
        }
        fn staff_act(&mut self, _: i64, act: &StaffAct) -> PortResult<String> {
            self.acts.push(act.clone());
            Ok("ok".into())
        }
    }

    fn me() -> Sender {
        Sender { chat_id: 5, private: true, user_id: 5, name: "Budi".into() }
    }

    fn say(desk: &mut FakeDesk, input: Input) -> Vec<Out> {
        handle(desk, &me(), input).expect("step")
    }

    fn cb(data: &str) -> Input {
        Input::Callback { data: data.into() }
    }

    #[test]
    fn a_whole_report() {
        let mut desk = FakeDesk::default();
        let first = say(&mut desk, Input::Command { name: "lapor".into(), args: String::new(), reply_to: None });
        // 11 units: a first page of 8 and a "next" button.
        assert_eq!(first[0].buttons.iter().filter(|r| r[0].data.starts_with("unit:")).count(), 8);
        assert!(first[0].buttons.iter().flatten().any(|b| b.data == "unit_page:1"));
        let second = say(&mut desk, cb("unit_page:1"));
        assert_eq!(second[0].buttons.iter().filter(|r| r[0].data.starts_with("unit:")).count(), 3);
        say(&mut desk, cb("unit:U1"));
        assert!(matches!(desk.state, Dialogue::Service { .. }));
        say(&mut desk, cb("svc:S1"));
        say(&mut desk, cb("kind:incident"));
        let short = say(&mut desk, Input::Text { text: "rusak".into(), reply_to: None });
        assert!(short[0].text.contains("terlalu singkat"));
        let described =
            say(&mut desk, Input::Text { text: "Aplikasi SIMPUS error 500 sejak pagi".into(), reply_to: None });
        assert!(described[0].text.contains("Mengatasi galat 500 SIMPUS"), "suggested before attachments");
        assert!(described[1].text.contains("foto atau dokumen"));
        let file =
            FileRef { name: "foto.jpg".into(), content_type: "image/jpeg".into(), sha256: "ab".into(), size: 10 };
        say(&mut desk, Input::File(file.clone()));
        let check = say(&mut desk, cb("lanjut"));
        assert!(check[0].text.contains("foto.jpg") && check[0].text.contains("Gangguan"));
        let done = say(&mut desk, cb("kirim"));
        assert!(done[0].text.contains("SD-2026-000001"));
        assert_eq!(done[0].ticket.as_deref(), Some("SD-2026-000001"));
        assert_eq!(desk.state, Dialogue::Idle);
        assert_eq!(
            desk.opened,
            vec![Report {
                unit: "U1".into(),
                service: Some("S1".into()),
                kind: "incident".into(),
                description: "Aplikasi SIMPUS error 500 sejak pagi".into(),
                files: vec![file],
            }]
        );
    }

    #[test]
    fn a_service_known_to_be_disrupted_is_said_before_the_kind_is_asked() {
        let mut desk = FakeDesk { disrupted: Some("SIMPUS tidak dapat diakses".into()), ..FakeDesk::default() };
        say(&mut desk, Input::Command { name: "lapor".into(), args: String::new(), reply_to: None });
        say(&mut desk, cb("unit:U1"));
        let picked = say(&mut desk, cb("svc:S1"));
        assert!(picked[0].text.contains("sudah kami ketahui") && picked[0].text.contains("SIMPUS tidak dapat diakses"));
        assert!(picked[1].text.contains("Jenis laporan"));
        assert!(matches!(desk.state, Dialogue::Kind { .. }));
        let mut calm = FakeDesk::default();
        say(&mut calm, Input::Command { name: "lapor".into(), args: String::new(), reply_to: None });
        say(&mut calm, cb("unit:U1"));
        assert_eq!(say(&mut calm, cb("svc:S1")).len(), 1, "no disruption, no notice");
    }

    #[test]
    fn cancel_stale_buttons_and_odd_input() {
        let mut desk = FakeDesk::default();
        say(&mut desk, Input::Command { name: "lapor".into(), args: String::new(), reply_to: None });
        say(&mut desk, cb("unit:U2"));
        assert!(matches!(desk.state, Dialogue::Kind { .. }), "a unit without services goes straight to the kind");
        let stale = say(&mut desk, cb("unit:U3"));
        assert!(stale[0].text.contains("tidak berlaku"));
        let sticker = say(&mut desk, Input::Unsupported("stiker"));
        assert!(sticker[0].text.contains("stiker"));
        let forged = say(&mut desk, cb("kind:evil"));
        assert!(forged[0].text.contains("Jenis laporan"), "unknown kinds are asked again");
        say(&mut desk, Input::Command { name: "batal".into(), args: String::new(), reply_to: None });
        assert_eq!(desk.state, Dialogue::Idle);
        assert!(desk.opened.is_empty());
    }

    #[test]
    fn agents_link_and_act() {
        let mut desk = FakeDesk::default();
        let cmd = |name: &str, args: &str, reply_to: Option<i64>| Input::Command {
            name: name.into(),
            args: args.into(),
            reply_to,
        };
        let refused = say(&mut desk, cmd("ambil", "SD-2026-000001", None));
        assert!(refused[0].text.contains("untuk petugas"), "not linked yet");
        assert_eq!(say(&mut desk, cmd("hubungkan", "BAD", None))[0].text, "kode salah");
        say(&mut desk, cmd("hubungkan", "GOOD", None));
        say(&mut desk, cmd("ambil", "sd-2026-000001", None));
        say(&mut desk, cmd("eskalasi", "SD-2026-000001 perlu akses server", None));
        say(&mut desk, cmd("catatan", "cek log dulu", Some(77)));
        say(&mut desk, Input::Text { text: "Sudah kami perbaiki.".into(), reply_to: Some(77) });
        let missing = say(&mut desk, cmd("eskalasi", "SD-2026-000001", None));
        assert!(missing[0].text.contains("alasan"));
        let n = "SD-2026-000001".to_string();
        assert_eq!(
            desk.acts,
            vec![
                StaffAct::Take { number: n.clone() },
                StaffAct::Escalate { number: n.clone(), reason: "perlu akses server".into() },
                StaffAct::Note { number: n.clone(), text: "cek log dulu".into() },
                StaffAct::Reply { number: n, text: "Sudah kami perbaiki.".into() },
            ]
        );
        assert!(desk.replies.is_empty(), "an agent's reply is not a citizen's");
        // A group links with a code too, and says nothing else.
        let group = Sender { private: false, ..me() };
        assert_eq!(handle(&mut desk, &group, cmd("hubungkan", "GOOD", None)).expect("step")[0].text, "terhubung");
    }

    #[test]
    fn replies_thread_and_groups_stay_quiet() {
        let mut desk = FakeDesk::default();
        let out = say(&mut desk, Input::Text { text: "Sudah saya coba lagi".into(), reply_to: Some(77) });
        assert!(out[0].text.contains("SD-2026-000001"));
        assert_eq!(desk.replies, vec![("SD-2026-000001".into(), "Sudah saya coba lagi".into())]);
        let group = Sender { private: false, ..me() };
        assert!(handle(&mut desk, &group, Input::Text { text: "halo".into(), reply_to: None })
            .expect("step")
            .is_empty());
        assert_eq!(looks_like_number(" sd-2026-000042 "), Some("SD-2026-000042".into()));
        assert_eq!(looks_like_number("SD-26-1"), None);
    }
}
