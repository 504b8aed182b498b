//! What a linked agent says to the desk from a chat (Telegram): `/hubungkan`, the agent
//! commands, and replies to notices (public replies). Staff words stay in Bahasa Indonesia.

use crate::texts;
use crate::{DeskPort, Input, Out, PortError, PortResult, Sender, StaffAct};

use crate::dialogue::looks_like_number;

pub(crate) fn link(port: &mut dyn DeskPort, from: &Sender, code: &str) -> PortResult<Out> {
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
pub(crate) fn staff_input(port: &mut dyn DeskPort, input: &Input) -> PortResult<Option<Out>> {
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
