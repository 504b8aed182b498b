//! The conversation's answers about the contact's own tickets: a reply added to one, the list,
//! one ticket's status, a rating; and the help for a message outside a report.

use crate::texts;
use crate::{words, DeskPort, Lang, Out, PortResult, Rated, Sender, Style};

use crate::dialogue::{cancel_row, looks_like_number, next_button, status_line, MAX_DESCRIPTION, MAX_FILES};

pub(crate) fn idle_text(
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

pub(crate) fn enough_files(style: Style) -> Out {
    Out::text(words!(
        style.lang,
        "Paling banyak {MAX_FILES} lampiran. Tekan Lanjut.",
        "At most {MAX_FILES} attachments. Press Next."
    ))
    .with_buttons(vec![vec![next_button(style)], cancel_row(style)])
}

pub(crate) fn add_to_ticket(
    port: &mut dyn DeskPort,
    lang: Lang,
    from: &Sender,
    number: &str,
    text: &str,
) -> PortResult<Out> {
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

pub(crate) fn my_tickets(port: &mut dyn DeskPort, style: Style) -> PortResult<Out> {
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

pub(crate) fn status(port: &mut dyn DeskPort, style: Style, args: &str) -> PortResult<Out> {
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

pub(crate) fn rate(port: &mut dyn DeskPort, lang: Lang, data: &str) -> PortResult<Out> {
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
