//! The conversation step by step, against a fake desk.

use super::*;
use crate::{Choice, Rated, StaffAct, Suggestion, TicketLine};

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
    let described = say(&mut desk, Input::Text { text: "Aplikasi SIMPUS error 500 sejak pagi".into(), reply_to: None });
    assert!(described[0].text.contains("Mengatasi galat 500 SIMPUS"), "suggested before attachments");
    assert!(described[1].text.contains("foto atau dokumen"));
    let file = FileRef { name: "foto.jpg".into(), content_type: "image/jpeg".into(), sha256: "ab".into(), size: 10 };
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
