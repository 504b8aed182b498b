//! Telegram updates per second: `cargo bench --bench telegram [-- <updates> [postgres-url]]`.
//!
//! Citizens' chats go through whole `/lapor` dialogues (command, four button presses, a
//! description, "next", "send") plus `/tiketku` and `/status`, queued on the local fake of the
//! Bot API (loopback only); the bot polls them 100 at a time, handles each in the writer,
//! and delivers every answer back to the fake. Prints the rate for handling alone and for
//! handling with delivery. Numbers go to docs/benchmarks.md.

#[path = "../tests/api/fake_telegram.rs"]
#[allow(dead_code)]
mod fake_telegram;

use std::sync::Arc;
use std::time::Instant;

use meja::config::{Secret, Settings};
use meja::desk::catalog::{self, NewService, NewUnit};
use meja::telegram::{delivery, runner, Telegram};

const STEPS_PER_CHAT: usize = 10;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let updates: usize = args.first().and_then(|n| n.parse().ok()).unwrap_or(3_000);
    let dir = std::env::temp_dir().join(format!("meja-bench-telegram-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let database = args.get(1).cloned().unwrap_or_else(|| format!("sqlite://{}/meja.db", dir.display()));
    let fake = fake_telegram::FakeTelegram::start();
    let settings = Settings {
        database_url: Secret::new(database),
        telegram_token: Some(Secret::new(fake_telegram::TOKEN)),
        telegram_api_url: Some(fake.url.clone()),
        ..Settings::default()
    };
    let desk = meja::open_desk(&settings, Arc::new(meja::clock::SystemClock))?;
    desk.writer.write_blocking(|tx| {
        for (code, tier2) in [("KOMINFO", true), ("DINKES", false), ("DISDIK", false)] {
            if meja::db::catalog::unit_by_code(tx.conn, code)?.is_none() {
                let unit = NewUnit { code: code.into(), name: format!("Dinas {code}"), tier2, email: None };
                catalog::create_unit(tx, None, unit)?;
                let service =
                    NewService { code: format!("APP-{code}"), name: format!("Aplikasi {code}"), unit: code.into() };
                catalog::create_service(tx, None, service)?;
            }
        }
        Ok(())
    })?;
    let tg = Telegram::from_settings(&settings)?.ok_or_else(|| anyhow::anyhow!("no bot"))?;

    let chats = updates.div_ceil(STEPS_PER_CHAT);
    for c in 0..chats {
        let chat = 5_000_000 + c as i64;
        fake.text(chat, "/lapor");
        fake.press(chat, 1, "unit:DINKES");
        fake.press(chat, 2, "svc:APP-DINKES");
        fake.press(chat, 3, "kind:incident");
        fake.text(chat, "Aplikasi tidak dapat dibuka sejak pagi, muncul pesan galat 500.");
        fake.press(chat, 4, "lanjut");
        fake.press(chat, 5, "kirim");
        fake.text(chat, "/tiketku");
        fake.text(chat, "/status SD-2026-000001");
        fake.text(chat, "terima kasih");
    }
    let total = chats * STEPS_PER_CHAT;
    let system = actix_web::rt::System::new();
    let (handled, delivered, tickets) = system.block_on(async {
        let started = Instant::now();
        // Until a poll brings nothing new.
        let mut offset = 0;
        loop {
            let next = runner::poll_once(&desk, &tg, offset, 0).await?;
            if next == offset {
                break;
            }
            offset = next;
        }
        let handled = started.elapsed();
        loop {
            let r = delivery::deliver_due(&desk, &tg).await?;
            if r.sent + r.retrying + r.given_up + r.skipped == 0 {
                break;
            }
        }
        let delivered = started.elapsed();
        let tickets = desk.read(|conn| Ok(meja::db::tickets::count(conn)?)).await?;
        Ok::<_, anyhow::Error>((handled, delivered, tickets))
    })?;
    let answers: usize = (0..chats).map(|c| fake.sent_to(5_000_000 + c as i64).len()).sum();
    println!(
        "{}: {total} updates from {chats} chats handled in {:.2} s = {:.0} updates/s; with the {answers} answers delivered {:.2} s = {:.0} updates/s; {tickets} tickets",
        desk.url.backend_name(),
        handled.as_secs_f64(),
        total as f64 / handled.as_secs_f64(),
        delivered.as_secs_f64(),
        total as f64 / delivered.as_secs_f64(),
    );
    desk.close();
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}
