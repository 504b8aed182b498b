//! A citizen's conversation with the desk, the same on every chat channel. The state is stored
//! by the desk after every step, so a restart of `meja` in the middle of a report loses nothing.

use serde::{Deserialize, Serialize};

use crate::texts::{self, KINDS};
use crate::{words, Lang};
use crate::{
    Button, DeskPort, FileRef, Filed, Input, Out, PortError, PortResult, Rated, Report, Sender, StaffAct, Style,
};

const MIN_DESCRIPTION: usize = 10;
/// Below Telegram's (4,096) and WhatsApp's (4,096) limit for one message.
const MAX_DESCRIPTION: usize = 4000;
const MAX_FILES: usize = 5;

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

fn cancel_row(style: Style) -> Vec<Button> {
    vec![Button::new(if style.lang == Lang::En { "✖ Cancel" } else { "✖ Batal" }, "batal")]
}

fn next_button(style: Style) -> Button {
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

fn status_line(lang: Lang, t: &crate::TicketLine) -> String {
    let (number, title, updated) = (&t.number, &t.title, &t.updated);
    let status = texts::status_label_in(lang, &t.status);
    words!(
        lang,
        "{number} — {title}\nStatus: {status} (diperbarui {updated})",
        "{number} — {title}\nStatus: {status} (updated {updated})"
    )
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

/// Handles one input of one contact: the desk calls of the step, the new state saved, what
/// to send back. Group chats only get help (reports come from private chats).
pub fn handle(port: &mut dyn DeskPort, style: Style, from: &Sender, input: Input) -> PortResult<Vec<Out>> {
    let style = style.speaking(from.lang);
    if let Input::Command { name, args, .. } = &input {
        if name == "hubungkan" && style.staff {
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
    if style.staff {
        if let Some(out) = staff_input(port, &input)? {
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
fn staff_input(port: &mut dyn DeskPort, input: &Input) -> PortResult<Option<Out>> {
    let command = match input {
        Input::Command { name, args, reply_to } if STAFF_COMMANDS.contains(&name.as_str()) => {
            Some((name, args, reply_to.as_deref()))
        }
        Input::Text { reply_to: Some(_), .. } => None,
        Input::Command { name, .. } if name == "start" || name == "help" => None,
        _ => return Ok(None),
    };
    let Some(agent) = port.staff()? else {
        return Ok(command.map(|_| {
            Out::text("Perintah ini untuk petugas. Hubungkan akun Anda dengan /hubungkan <kode> dari konsol petugas.")
        }));
    };
    let act = match (command, input) {
        (None, Input::Command { .. }) => {
            return Ok(Some(Out::text(format!("Akun ini terhubung dengan {agent}.\n\n{}", texts::STAFF_HELP))))
        }
        (None, Input::Text { text, reply_to: Some(message) }) => {
            let Some(number) = port.ticket_of_message(message)? else {
                return Ok(Some(Out::text("Pesan yang Anda balas bukan pemberitahuan tiket.")));
            };
            StaffAct::Reply { number, text: text.trim().to_string() }
        }
        (Some((name, args, reply_to)), _) => {
            let mut words = args.splitn(2, char::is_whitespace);
            let first = words.next().unwrap_or("");
            let rest = words.next().unwrap_or("").trim().to_string();
            let replied = match reply_to {
                Some(message) => port.ticket_of_message(message)?,
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
    Ok(Some(match port.staff_act(&act) {
        Ok(done) => Out::text(done),
        Err(PortError::Refused(why)) => Out::text(why),
        Err(e) => return Err(e),
    }))
}

fn idle_text(
    port: &mut dyn DeskPort,
    style: Style,
    from: &Sender,
    text: &str,
    reply_to: Option<String>,
) -> PortResult<Out> {
    let Some(message) = reply_to else {
        let (lapor, help) = (style.cmd("lapor"), texts::help(style));
        return Ok(Out::text(words!(
            style.lang,
            "Untuk melapor ketik {lapor}. Untuk menambah informasi pada tiket, balas (reply) pesan saya tentang tiket itu.\n\n{help}",
            "To report, type {lapor}. To add to a ticket, reply to my message about it.\n\n{help}"
        )));
    };
    let Some(number) = port.ticket_of_message(&message)? else {
        let mine = style.cmd("tiketku");
        return Ok(Out::text(words!(
            style.lang,
            "Pesan yang Anda balas bukan tentang tiket. Ketik {mine} untuk melihat tiket Anda.",
            "The message you replied to is not about a ticket. Type {mine} to see your tickets."
        )));
    };
    add_to_ticket(port, style.lang, from, &number, text)
}

fn enough_files(style: Style) -> Out {
    Out::text(words!(
        style.lang,
        "Paling banyak {MAX_FILES} lampiran. Tekan Lanjut.",
        "At most {MAX_FILES} attachments. Press Next."
    ))
    .with_buttons(vec![vec![next_button(style)], cancel_row(style)])
}

fn add_to_ticket(port: &mut dyn DeskPort, lang: Lang, from: &Sender, number: &str, text: &str) -> PortResult<Out> {
    if text.trim().is_empty() || text.chars().count() > MAX_DESCRIPTION {
        return Ok(Out::text(words!(
            lang,
            "Tulis 1–{MAX_DESCRIPTION} karakter.",
            "Write 1–{MAX_DESCRIPTION} characters."
        )));
    }
    if port.reply(from, number, text.trim())? {
        Ok(Out::text(words!(
            lang,
            "Pesan Anda ditambahkan ke tiket {number}.",
            "Your message was added to ticket {number}."
        ))
        .about(number))
    } else {
        Ok(Out::text(words!(lang, "Tiket itu tidak ditemukan.", "No such ticket.")))
    }
}

fn my_tickets(port: &mut dyn DeskPort, style: Style) -> PortResult<Out> {
    let tickets = port.my_tickets()?;
    if tickets.is_empty() {
        let lapor = style.cmd("lapor");
        return Ok(Out::text(words!(
            style.lang,
            "Anda belum punya tiket. Ketik {lapor} untuk melapor.",
            "You have no tickets yet. Type {lapor} to report."
        )));
    }
    let lines = tickets.iter().take(10).map(|t| status_line(style.lang, t)).collect::<Vec<_>>().join("\n\n");
    Ok(Out::text(words!(style.lang, "Tiket Anda:\n\n{lines}", "Your tickets:\n\n{lines}")))
}

fn status(port: &mut dyn DeskPort, style: Style, args: &str) -> PortResult<Out> {
    let Some(number) = looks_like_number(args) else {
        let status = style.cmd("status");
        return Ok(Out::text(words!(
            style.lang,
            "Tulis nomornya: {status} SD-2026-000042",
            "Write the number: {status} SD-2026-000042"
        )));
    };
    Ok(match port.ticket(&number)? {
        Some(t) => Out::text(status_line(style.lang, &t)).about(t.number),
        None => Out::text(words!(
            style.lang,
            "Tiket {number} tidak ditemukan di antara tiket Anda.",
            "Ticket {number} is not among your tickets."
        )),
    })
}

fn rate(port: &mut dyn DeskPort, lang: Lang, data: &str) -> PortResult<Out> {
    let mut parts = data.splitn(3, ':').skip(1);
    let (Some(number), Some(rating)) = (parts.next(), parts.next().and_then(|r| r.parse::<u8>().ok())) else {
        return Ok(Out::text(words!(lang, "Penilaian tidak terbaca.", "The rating could not be read.")));
    };
    if !(1..=5).contains(&rating) {
        return Ok(Out::text(words!(lang, "Nilai 1 sampai 5.", "Rate 1 to 5.")));
    }
    Ok(Out::text(match port.rate(number, rating)? {
        Rated::Recorded => words!(
            lang,
            "Terima kasih atas penilaian Anda ({rating}/5) untuk {number}.",
            "Thank you for your rating ({rating}/5) of {number}."
        ),
        Rated::AlreadyRated => {
            words!(lang, "Tiket {number} sudah Anda nilai. Terima kasih.", "You rated {number} already. Thank you.")
        }
        Rated::NotResolved => words!(lang, "Tiket {number} belum selesai.", "Ticket {number} is not resolved yet."),
        Rated::NotFound => words!(lang, "Tiket itu tidak ditemukan.", "No such ticket."),
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
        fn dialogue(&mut self) -> PortResult<Dialogue> {
            Ok(self.state.clone())
        }
        fn save_dialogue(&mut self, d: &Dialogue) -> PortResult<()> {
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
        fn open_ticket(&mut self, _: &Sender, report: &Report) -> PortResult<Filed> {
            self.opened.push(report.clone());
            Ok(Filed { number: "SD-2026-000001".into(), tracking_link: None })
        }
        fn my_tickets(&mut self) -> PortResult<Vec<TicketLine>> {
            Ok(vec![])
        }
        fn ticket(&mut self, _: &str) -> PortResult<Option<TicketLine>> {
            Ok(None)
        }
        fn reply(&mut self, _: &Sender, number: &str, text: &str) -> PortResult<bool> {
            self.replies.push((number.into(), text.into()));
            Ok(true)
        }
        fn rate(&mut self, _: &str, _: u8) -> PortResult<Rated> {
            Ok(Rated::Recorded)
        }
        fn ticket_of_message(&mut self, message: &str) -> PortResult<Option<String>> {
            Ok((message == "77").then(|| "SD-2026-000001".to_string()))
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
        fn staff(&mut self) -> PortResult<Option<String>> {
            Ok(self.staff.clone())
        }
        fn staff_act(&mut self, act: &StaffAct) -> PortResult<String> {
            self.acts.push(act.clone());
            Ok("ok".into())
        }
    }

    fn me() -> Sender {
        Sender { chat: "5".into(), private: true, name: "Budi".into(), lang: Lang::Id }
    }

    fn say(desk: &mut FakeDesk, input: Input) -> Vec<Out> {
        handle(desk, Style::TELEGRAM, &me(), input).expect("step")
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
    fn english_speakers_hear_english() {
        let mut desk = FakeDesk::default();
        let visitor = Sender { lang: Lang::En, ..me() };
        let asked = handle(&mut desk, Style::WHATSAPP, &visitor, Input::Text { text: "hello".into(), reply_to: None })
            .expect("step");
        assert!(asked[0].text.starts_with("Hello!") && asked[0].text.contains("Which agency"), "{}", asked[0].text);
        assert!(asked[0].buttons.iter().flatten().any(|b| b.label == "More ▶"));
        let cancelled =
            handle(&mut desk, Style::WHATSAPP, &visitor, Input::Callback { data: "batal".into() }).expect("step");
        assert_eq!(cancelled[0].text, "Cancelled. Nothing was sent.");
    }

    #[test]
    fn agents_link_and_act() {
        let mut desk = FakeDesk::default();
        let cmd = |name: &str, args: &str, reply_to: Option<i64>| Input::Command {
            name: name.into(),
            args: args.into(),
            reply_to: reply_to.map(|m| m.to_string()),
        };
        let refused = say(&mut desk, cmd("ambil", "SD-2026-000001", None));
        assert!(refused[0].text.contains("untuk petugas"), "not linked yet");
        assert_eq!(say(&mut desk, cmd("hubungkan", "BAD", None))[0].text, "kode salah");
        say(&mut desk, cmd("hubungkan", "GOOD", None));
        say(&mut desk, cmd("ambil", "sd-2026-000001", None));
        say(&mut desk, cmd("eskalasi", "SD-2026-000001 perlu akses server", None));
        say(&mut desk, cmd("catatan", "cek log dulu", Some(77)));
        say(&mut desk, Input::Text { text: "Sudah kami perbaiki.".into(), reply_to: Some("77".into()) });
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
        assert_eq!(
            handle(&mut desk, Style::TELEGRAM, &group, cmd("hubungkan", "GOOD", None)).expect("step")[0].text,
            "terhubung"
        );
    }

    #[test]
    fn replies_thread_and_groups_stay_quiet() {
        let mut desk = FakeDesk::default();
        // In the middle of a report, a reply to a ticket's message still lands on the ticket.
        say(&mut desk, Input::Command { name: "lapor".into(), args: String::new(), reply_to: None });
        say(&mut desk, Input::Text { text: "Masih error".into(), reply_to: Some("77".into()) });
        assert!(matches!(desk.state, Dialogue::Unit { .. }), "the report goes on");
        assert_eq!(desk.replies.len(), 1);
        desk.replies.clear();
        desk.state = Dialogue::Idle;
        let out = say(&mut desk, Input::Text { text: "Sudah saya coba lagi".into(), reply_to: Some("77".into()) });
        assert!(out[0].text.contains("SD-2026-000001"));
        assert_eq!(desk.replies, vec![("SD-2026-000001".into(), "Sudah saya coba lagi".into())]);
        let group = Sender { private: false, ..me() };
        assert!(handle(&mut desk, Style::TELEGRAM, &group, Input::Text { text: "halo".into(), reply_to: None })
            .expect("step")
            .is_empty());
        assert_eq!(looks_like_number(" sd-2026-000042 "), Some("SD-2026-000042".into()));
        assert_eq!(looks_like_number("SD-26-1"), None);
    }
}
