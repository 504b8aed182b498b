//! A citizen's conversation with the desk, the same on every chat channel. The state is stored
//! by the desk after every step, so a restart of `meja` in the middle of a report loses nothing.

use serde::{Deserialize, Serialize};

use crate::answers::{add_to_ticket, enough_files, idle_text, my_tickets, rate, status};
use crate::texts::{self, KINDS};
use crate::{words, Lang};
use crate::{Button, DeskPort, FileRef, Filed, Input, Out, PortError, PortResult, Report, Sender, Style};

pub(crate) const MIN_DESCRIPTION: usize = 10;
/// Below Telegram's (4,096) and WhatsApp's (4,096) limit for one message.
pub(crate) const MAX_DESCRIPTION: usize = 4000;
pub(crate) const MAX_FILES: usize = 5;

/// Where a contact is in a report (`/lapor` on Telegram; any first message on WhatsApp).
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
        /// Locations shared before the description, added to it.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        notes: Vec<String>,
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

impl Draft {
    /// A shared location (or another note) joins the description.
    fn add_note(&mut self, note: &str) {
        self.description.push_str("\n\n");
        self.description.push_str(note);
    }
}

pub(crate) fn cancel_row(style: Style) -> Vec<Button> {
    vec![Button::new(if style.lang == Lang::En { "✖ Cancel" } else { "✖ Batal" }, "batal")]
}

pub(crate) fn next_button(style: Style) -> Button {
    Button::new(if style.lang == Lang::En { "Next ▶" } else { "Lanjut ▶" }, "lanjut")
}

/// A page of choices with ◀ ▶ when there are more.
fn choice_page(
    style: Style,
    items: &[crate::Choice],
    page: usize,
    pick: &str,
    turn: &str,
    extra: Option<Button>,
) -> Vec<Vec<Button>> {
    let size = style.page.max(1);
    let pages = items.len().div_ceil(size).max(1);
    let page = page.min(pages - 1);
    let mut rows: Vec<Vec<Button>> = items
        .iter()
        .skip(page * size)
        .take(size)
        .map(|c| vec![Button::new(c.name.clone(), format!("{pick}:{}", c.code))])
        .collect();
    let mut nav = Vec::new();
    if page > 0 {
        nav.push(Button::new(
            if style.lang == Lang::En { "◀ Previous" } else { "◀ Sebelumnya" },
            format!("{turn}:{}", page - 1),
        ));
    }
    if page + 1 < pages {
        nav.push(Button::new(
            if style.lang == Lang::En { "More ▶" } else { "Lainnya ▶" },
            format!("{turn}:{}", page + 1),
        ));
    }
    if !nav.is_empty() {
        rows.push(nav);
    }
    if let Some(extra) = extra {
        rows.push(vec![extra]);
    }
    rows.push(cancel_row(style));
    rows
}

fn ask_unit(port: &mut dyn DeskPort, style: Style, page: usize) -> PortResult<Out> {
    let units = port.units()?;
    Ok(Out::text(words!(
        style.lang,
        "Laporan untuk Perangkat Daerah mana? Pilih di bawah (atau Diskominfo bila tidak tahu).",
        "Which agency is the report for? Pick one below (or Diskominfo if you are not sure)."
    ))
    .with_buttons(choice_page(style, &units, page, "unit", "unit_page", None)))
}

fn ask_service(port: &mut dyn DeskPort, style: Style, unit: &str, page: usize) -> PortResult<Option<Out>> {
    let services = port.services(unit)?;
    if services.is_empty() {
        return Ok(None);
    }
    Ok(Some(
        Out::text(words!(style.lang, "Layanan mana yang bermasalah?", "Which service has the problem?")).with_buttons(
            choice_page(
                style,
                &services,
                page,
                "svc",
                "svc_page",
                Some(Button::new(
                    if style.lang == Lang::En { "Not sure / other" } else { "Tidak tahu / lainnya" },
                    "svc:-",
                )),
            ),
        ),
    ))
}

fn ask_kind(style: Style) -> Out {
    let mut rows: Vec<Vec<Button>> = KINDS
        .iter()
        .map(|(k, _)| vec![Button::new(texts::kind_label_in(style.lang, k), format!("kind:{k}"))])
        .collect();
    rows.push(cancel_row(style));
    Out::text(words!(style.lang, "Jenis laporan?", "What kind of report?")).with_buttons(rows)
}

fn ask_files(style: Style, draft: &Draft) -> Out {
    let count = draft.files.len();
    let text = if draft.files.is_empty() {
        words!(
            style.lang,
            "Ada foto atau dokumen pendukung (tangkapan layar, surat)? Kirim sekarang, atau tekan Lanjut.",
            "Any photo or document that helps (a screenshot, a letter)? Send it now, or press Next."
        )
    } else {
        words!(
            style.lang,
            "Lampiran diterima ({count}). Kirim lagi atau tekan Lanjut.",
            "Attachment received ({count}). Send more or press Next."
        )
    };
    Out::text(text).with_buttons(vec![vec![next_button(style)], cancel_row(style)])
}

fn summary(style: Style, draft: &Draft) -> Out {
    let en = style.lang == Lang::En;
    let mut text = format!(
        "{}\n\nUnit: {}\n{}{}: {}\n{}: {}\n",
        if en { "Check your report:" } else { "Periksa laporan Anda:" },
        draft.unit,
        draft
            .service
            .as_ref()
            .map(|s| format!("{}: {s}\n", if en { "Service" } else { "Layanan" }))
            .unwrap_or_default(),
        if en { "Kind" } else { "Jenis" },
        texts::kind_label_in(style.lang, &draft.kind),
        if en { "Description" } else { "Uraian" },
        draft.description
    );
    if !draft.files.is_empty() {
        text.push_str(&format!(
            "{}: {}\n",
            if en { "Attachments" } else { "Lampiran" },
            draft.files.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(", ")
        ));
    }
    text.push_str(if en { "\nSend this report?" } else { "\nKirim laporan ini?" });
    let send = Button::new(if en { "✔ Send" } else { "✔ Kirim" }, "kirim");
    Out::text(text).with_buttons(vec![vec![send, cancel_row(style).remove(0)]])
}

pub(crate) fn status_line(lang: Lang, t: &crate::TicketLine) -> String {
    let (number, title, updated) = (&t.number, &t.title, &t.updated);
    let status = texts::status_label_in(lang, &t.status);
    words!(
        lang,
        "{number} — {title}\nStatus: {status} (diperbarui {updated})",
        "{number} — {title}\nStatus: {status} (updated {updated})"
    )
}

pub(crate) fn looks_like_number(text: &str) -> Option<String> {
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

/// Handles one input of one contact: the desk calls of the step, the new state saved, what
/// to send back. Group chats only get help (reports come from private chats).
pub fn handle(port: &mut dyn DeskPort, style: Style, from: &Sender, input: Input) -> PortResult<Vec<Out>> {
    let style = style.speaking(from.lang);
    if let Input::Command { name, args, .. } = &input {
        if name == "hubungkan" && style.staff {
            return Ok(vec![crate::staff::link(port, from, args)?]);
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
    if style.staff {
        if let Some(out) = crate::staff::staff_input(port, &input)? {
            return Ok(vec![out]);
        }
    }
    let state = port.dialogue()?;
    let (next, outs) = step(port, style, from, state, input)?;
    port.save_dialogue(&next)?;
    Ok(outs)
}

type Step = (Dialogue, Vec<Out>);

fn step(port: &mut dyn DeskPort, style: Style, from: &Sender, state: Dialogue, input: Input) -> PortResult<Step> {
    let batal = style.cmd("batal");
    // A reply to the desk's message about a ticket lands on that ticket, even in the middle of
    // a report (which then goes on where it was).
    if let (false, Input::Text { text, reply_to: Some(message) }) = (state == Dialogue::Idle, &input) {
        if let Some(number) = port.ticket_of_message(message)? {
            let out = add_to_ticket(port, style.lang, from, &number, text)?;
            return Ok((state, vec![out]));
        }
    }
    // What works at any step.
    match &input {
        Input::Command { name, .. } if name == "batal" => {
            let text = if state == Dialogue::Idle {
                words!(style.lang, "Tidak ada isian yang berjalan.", "No report is being written.")
            } else {
                words!(style.lang, "Dibatalkan. Tidak ada yang dikirim.", "Cancelled. Nothing was sent.")
            };
            return Ok((Dialogue::Idle, vec![Out::text(text)]));
        }
        Input::Callback { data } if data == "batal" => {
            let text = words!(style.lang, "Dibatalkan. Tidak ada yang dikirim.", "Cancelled. Nothing was sent.");
            return Ok((Dialogue::Idle, vec![Out::text(text)]));
        }
        Input::Command { name, .. } if name == "start" || name == "help" || name == "bantuan" => {
            return Ok((Dialogue::Idle, vec![texts::menu(style)]));
        }
        Input::Command { name, .. } if name == "lapor" => {
            return Ok((Dialogue::Unit { page: 0 }, vec![ask_unit(port, style, 0)?]))
        }
        Input::Callback { data } if data == "menu:lapor" => {
            return Ok((Dialogue::Unit { page: 0 }, vec![ask_unit(port, style, 0)?]))
        }
        Input::Command { name, .. } if name == "tiketku" => return Ok((state, vec![my_tickets(port, style)?])),
        Input::Callback { data } if data == "menu:tiketku" => return Ok((state, vec![my_tickets(port, style)?])),
        Input::Command { name, args, .. } if name == "status" => return Ok((state, vec![status(port, style, args)?])),
        Input::Callback { data } if data.starts_with("rate:") => {
            return Ok((state, vec![rate(port, style.lang, data)?]))
        }
        Input::Command { .. } => {
            let help = texts::help(style);
            return Ok((
                state,
                vec![Out::text(words!(style.lang, "Perintah tidak dikenal.\n\n{help}", "Unknown command.\n\n{help}"))],
            ));
        }
        Input::Edited => {
            let text = words!(
                style.lang,
                "Pesan yang diubah tidak diproses. Kirim pesan baru bila perlu.",
                "Edited messages are not read again. Send a new message if needed."
            );
            return Ok((state, vec![Out::text(text)]));
        }
        Input::Unsupported(what) => {
            let text = words!(
                style.lang,
                "Maaf, {what} tidak dapat saya proses. Kirim teks, foto, atau dokumen.",
                "Sorry, I cannot take this ({what}). Send text, a photo or a document."
            );
            return Ok((state, vec![Out::text(text)]));
        }
        Input::TooLarge { size } => {
            let mb = size.div_ceil(1024 * 1024);
            let text = words!(
                style.lang,
                "Berkas terlalu besar ({mb} MB). Kirim berkas yang lebih kecil, atau tautan berbagi berkas.",
                "The file is too large ({mb} MB). Send a smaller file, or a file-sharing link."
            );
            return Ok((state, vec![Out::text(text)]));
        }
        _ => {}
    }
    match (state, input) {
        (Dialogue::Unit { .. }, Input::Callback { data }) if data.starts_with("unit_page:") => {
            let page = data["unit_page:".len()..].parse().unwrap_or(0);
            Ok((Dialogue::Unit { page }, vec![ask_unit(port, style, page)?]))
        }
        (Dialogue::Unit { page }, Input::Callback { data }) if data.starts_with("unit:") => {
            let unit = data["unit:".len()..].to_string();
            if !port.units()?.iter().any(|u| u.code == unit) {
                return Ok((Dialogue::Unit { page }, vec![ask_unit(port, style, page)?]));
            }
            match ask_service(port, style, &unit, 0)? {
                Some(out) => Ok((Dialogue::Service { unit, page: 0 }, vec![out])),
                None => Ok((Dialogue::Kind { unit, service: None }, vec![ask_kind(style)])),
            }
        }
        (Dialogue::Service { unit, .. }, Input::Callback { data }) if data.starts_with("svc_page:") => {
            let page = data["svc_page:".len()..].parse().unwrap_or(0);
            let out = ask_service(port, style, &unit, page)?.unwrap_or_else(|| ask_kind(style));
            Ok((Dialogue::Service { unit, page }, vec![out]))
        }
        (Dialogue::Service { unit, page }, Input::Callback { data }) if data.starts_with("svc:") => {
            let code = &data["svc:".len()..];
            let service = if code == "-" {
                None
            } else if port.services(&unit)?.iter().any(|s| s.code == code) {
                Some(code.to_string())
            } else {
                let out = ask_service(port, style, &unit, page)?.unwrap_or_else(|| ask_kind(style));
                return Ok((Dialogue::Service { unit, page }, vec![out]));
            };
            let mut outs = Vec::new();
            if let Some(title) = service.as_deref().map(|s| port.known_disruption(s)).transpose()?.flatten() {
                outs.push(Out::text(words!(
                    style.lang,
                    "ℹ Gangguan layanan ini sudah kami ketahui dan sedang ditangani: {title}.\n\
                     Jika Anda melaporkan gangguan ini (jenis: Gangguan), laporan Anda ditautkan ke sana dan setiap kabar terbarunya kami kirim ke sini.",
                    "ℹ We already know of a disruption of this service and are working on it: {title}.\n\
                     If you report this disruption (kind: Service disruption), your report is linked to it and every update reaches you here."
                )));
            }
            outs.push(ask_kind(style));
            Ok((Dialogue::Kind { unit, service }, outs))
        }
        (Dialogue::Kind { unit, service }, Input::Callback { data }) if data.starts_with("kind:") => {
            let kind = data["kind:".len()..].to_string();
            if !KINDS.iter().any(|(k, _)| *k == kind) {
                return Ok((Dialogue::Kind { unit, service }, vec![ask_kind(style)]));
            }
            let out = Out::text(words!(
                style.lang,
                "Jelaskan masalahnya: apa yang terjadi, sejak kapan, di layanan mana. ({MIN_DESCRIPTION}–{MAX_DESCRIPTION} karakter)",
                "Describe the problem: what happens, since when, in which service. ({MIN_DESCRIPTION}–{MAX_DESCRIPTION} characters)"
            ))
            .with_buttons(vec![cancel_row(style)]);
            Ok((Dialogue::Describe { unit, service, kind, notes: Vec::new() }, vec![out]))
        }
        (Dialogue::Describe { unit, service, kind, mut notes }, Input::Location { text, .. }) => {
            notes.push(text);
            let out = Out::text(words!(
                style.lang,
                "Lokasi dicatat. Sekarang tulis uraian masalahnya.",
                "Location noted. Now describe the problem."
            ));
            Ok((Dialogue::Describe { unit, service, kind, notes }, vec![out]))
        }
        (Dialogue::Describe { unit, service, kind, notes }, Input::Text { text, .. }) => {
            let description = text.trim().to_string();
            let length = description.chars().count();
            if !(MIN_DESCRIPTION..=MAX_DESCRIPTION).contains(&length) {
                let text = match (length < MIN_DESCRIPTION, style.lang) {
                    (true, Lang::Id) => {
                        format!("Uraian terlalu singkat: tulis {MIN_DESCRIPTION}–{MAX_DESCRIPTION} karakter.")
                    }
                    (false, Lang::Id) => {
                        format!("Uraian terlalu panjang: tulis {MIN_DESCRIPTION}–{MAX_DESCRIPTION} karakter.")
                    }
                    (true, Lang::En) => format!("Too short: write {MIN_DESCRIPTION}–{MAX_DESCRIPTION} characters."),
                    (false, Lang::En) => format!("Too long: write {MIN_DESCRIPTION}–{MAX_DESCRIPTION} characters."),
                };
                return Ok((Dialogue::Describe { unit, service, kind, notes }, vec![Out::text(text)]));
            }
            // SPEC 7: articles that may already answer it, before the report goes in.
            let suggestions = port.suggest(&description, service.as_deref())?;
            let mut draft = Draft { unit, service, kind, description, files: Vec::new() };
            for note in &notes {
                draft.add_note(note);
            }
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
                let items = items.join("\n\n");
                outs.push(Out::text(words!(
                    style.lang,
                    "Mungkin ini membantu:\n\n{items}\n\nJika sudah terjawab, ketik {batal}. Jika belum, lanjutkan laporan Anda.",
                    "This may help:\n\n{items}\n\nIf it answers your question, type {batal}. If not, go on with your report."
                )));
            }
            outs.push(ask_files(style, &draft));
            Ok((Dialogue::Attach { report: draft }, outs))
        }
        (Dialogue::Attach { mut report }, Input::File(file)) => {
            if report.files.len() >= MAX_FILES {
                return Ok((Dialogue::Attach { report }, vec![enough_files(style)]));
            }
            report.files.push(file);
            let out = ask_files(style, &report);
            Ok((Dialogue::Attach { report }, vec![out]))
        }
        (Dialogue::Attach { mut report } | Dialogue::Confirm { mut report }, Input::Location { text, .. }) => {
            report.add_note(&text);
            let noted = words!(style.lang, "Lokasi dicatat pada laporan.", "Location added to the report.");
            let out = ask_files(style, &report).with_text_before(&noted);
            Ok((Dialogue::Attach { report }, vec![out]))
        }
        (Dialogue::Attach { report }, Input::Callback { data }) if data == "lanjut" => {
            let out = summary(style, &report);
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
                Ok(Filed { number, tracking_link }) => {
                    let (status, mine) = (style.cmd("status"), style.cmd("tiketku"));
                    let page = match (tracking_link, style.lang) {
                        (Some(l), Lang::Id) => format!("\n\nHalaman pelacakan: {l}"),
                        (Some(l), Lang::En) => format!("\n\nTracking page: {l}"),
                        (None, _) => String::new(),
                    };
                    let out = Out::text(words!(
                        style.lang,
                        "Terima kasih. Laporan Anda tercatat dengan nomor {number}.\n\n\
                         Ikuti perkembangannya dengan {status} {number} atau {mine}. Kami akan mengabari Anda di sini; \
                         balas pesan ini untuk menambah informasi.{page}",
                        "Thank you. Your report is recorded as {number}.\n\n\
                         Follow it with {status} {number} or {mine}. We will keep you posted here; \
                         reply to this message to add information.{page}"
                    ))
                    .about(number);
                    Ok((Dialogue::Idle, vec![out]))
                }
                Err(PortError::Refused(why)) => Ok((Dialogue::Confirm { report }, vec![Out::text(why)])),
                Err(e) => Err(e),
            }
        }
        (Dialogue::Idle, Input::Text { reply_to: None, .. }) if style.text_starts_report => {
            // WhatsApp: any message outside a report starts one (the greeting says how else).
            let mut ask = ask_unit(port, style, 0)?;
            let (question, help) = (ask.text.clone(), style.cmd("bantuan"));
            ask.text = words!(
                style.lang,
                "Halo! Ini layanan pengaduan SPBE. Mari catat laporan Anda.\n\n{question}\n\n(Ketik {help} untuk perintah lain, {batal} untuk membatalkan.)",
                "Hello! This is the SPBE service desk. Let us write down your report.\n\n{question}\n\n(Type {help} for other commands, {batal} to cancel.)"
            );
            Ok((Dialogue::Unit { page: 0 }, vec![ask]))
        }
        (Dialogue::Idle, Input::Text { text, reply_to } | Input::Location { text, reply_to }) => {
            Ok((Dialogue::Idle, vec![idle_text(port, style, from, &text, reply_to)?]))
        }
        (Dialogue::Attach { report }, Input::Offered) => Ok((Dialogue::Attach { report }, vec![enough_files(style)])),
        (Dialogue::Idle, Input::File(_) | Input::Offered) => {
            let lapor = style.cmd("lapor");
            let text = words!(
                style.lang,
                "Untuk mengirim lampiran, mulai laporan dengan {lapor} lalu kirim berkasnya saat diminta.",
                "To send a file, start a report with {lapor} and send the file when asked."
            );
            Ok((Dialogue::Idle, vec![Out::text(text)]))
        }
        (state, Input::Callback { .. }) => {
            // An old button from an earlier step: say where we are.
            let text = words!(
                style.lang,
                "Pilihan itu sudah tidak berlaku. Lanjutkan dari pesan terakhir, atau {batal}.",
                "That choice no longer applies. Go on from the last message, or {batal}."
            );
            Ok((state, vec![Out::text(text)]))
        }
        (state, _) => {
            let hint = match &state {
                Dialogue::Unit { .. } | Dialogue::Service { .. } | Dialogue::Kind { .. } => {
                    words!(
                        style.lang,
                        "Pilih salah satu pilihan di atas, atau {batal}.",
                        "Pick one of the choices above, or {batal}."
                    )
                }
                Dialogue::Describe { .. } => words!(
                    style.lang,
                    "Tulis uraian masalahnya dalam satu pesan teks, atau {batal}.",
                    "Describe the problem in one text message, or {batal}."
                ),
                Dialogue::Attach { .. } => {
                    words!(
                        style.lang,
                        "Kirim foto atau dokumen, atau tekan Lanjut.",
                        "Send a photo or document, or press Next."
                    )
                }
                Dialogue::Confirm { .. } => words!(style.lang, "Tekan Kirim atau Batal.", "Press Send or Cancel."),
                Dialogue::Idle => texts::help(style),
            };
            Ok((state, vec![Out::text(hint)]))
        }
    }
}

#[cfg(test)]
#[path = "dialogue_tests.rs"]
mod tests;
