//! WhatsApp webhooks and delivery: `cargo bench --bench whatsapp [-- <messages> [postgres-url]]`.
//!
//! `meja serve` runs on loopback with the WhatsApp channel pointed at the local fake of the
//! Cloud API. 32 clients post signed webhooks as Meta does — each contact a whole report
//! (a first message, unit, service and kind from lists, a description, "Lanjut", "Kirim"),
//! then "tiket saya" — every contact's messages in order. Prints the messages handled per
//! second (each answered 200 only after its transaction committed). Then the desk delivers
//! every answer to the fake through the outbox and prints messages delivered per second, and
//! checks that each contact received its answers in the order they were written. Numbers go to
//! docs/benchmarks.md.

#[path = "../tests/api/fake_whatsapp.rs"]
#[allow(dead_code)]
mod fake_whatsapp;

use std::sync::Arc;
use std::time::{Duration, Instant};

use fake_whatsapp::{Citizen, FakeWhatsApp};
use meja::config::{Secret, Settings};
use meja::desk::catalog::{self, NewService, NewUnit};
use meja::whatsapp::{delivery, WhatsApp};

const MESSAGES_PER_CONTACT: usize = 9;
const CLIENTS: usize = 32;

fn configure(settings: &mut Settings, fake: &str) {
    let w = &mut settings.whatsapp;
    w.token = Some(Secret::new(fake_whatsapp::TOKEN));
    w.phone_number_id = fake_whatsapp::PHONE_NUMBER_ID.into();
    w.app_secret = Some(Secret::new(fake_whatsapp::APP_SECRET));
    w.verify_token = Some(Secret::new(fake_whatsapp::VERIFY_TOKEN));
    w.api_url = fake.into();
    w.api_version = fake_whatsapp::VERSION.into();
    // The benchmark's contacts are not floods.
    w.messages_per_minute = 1_000;
}

fn contact_messages(citizen: &Citizen) -> Vec<serde_json::Value> {
    vec![
        citizen.text("Halo, aplikasi tidak bisa dibuka"),
        citizen.pick("unit:DINKES"),
        citizen.pick("svc:APP-DINKES"),
        citizen.pick("kind:incident"),
        citizen.text("Aplikasi tidak dapat dibuka sejak pagi, muncul pesan galat 500."),
        citizen.pick("lanjut"),
        citizen.pick("kirim"),
        citizen.text("tiket saya"),
        citizen.text("bantuan"),
    ]
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let messages: usize = args.first().and_then(|n| n.parse().ok()).unwrap_or(3_600);
    let dir = std::env::temp_dir().join(format!("meja-bench-whatsapp-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let database = args.get(1).cloned().unwrap_or_else(|| format!("sqlite://{}/meja.db", dir.display()));
    let fake = FakeWhatsApp::start();
    let mut settings = Settings {
        database_url: Secret::new(database),
        bind: "127.0.0.1:0".into(),
        admin_password: Some(Secret::new("bench-admin-password-1")),
        jobs: false,
        ..Settings::default()
    };
    configure(&mut settings, &fake.url);
    let server_settings = settings.clone();
    let (sender, receiver) = std::sync::mpsc::channel();
    let server = std::thread::spawn(move || {
        let system = actix_web::rt::System::new();
        system.block_on(async move {
            let app = meja::Application::build(&server_settings, Arc::new(meja::clock::SystemClock)).expect("app");
            sender.send((app.port(), app.desk.clone(), app.server_handle())).expect("port");
            let _ = app.run_until_stopped().await;
        });
    });
    let (port, desk, handle) = receiver.recv()?;
    let base = format!("http://127.0.0.1:{port}");
    desk.writer.write_blocking(|tx| {
        for (code, tier2) in [("KOMINFO", true), ("DINKES", false)] {
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

    let contacts = messages.div_ceil(MESSAGES_PER_CONTACT);
    let bodies: Vec<Vec<serde_json::Value>> = (0..contacts)
        .map(|c| contact_messages(&Citizen::new(&format!("62857{:08}", 10_000_000 + c), "Warga")))
        .collect();
    let total: usize = bodies.iter().map(Vec::len).sum();
    let queue = std::sync::Mutex::new(bodies);
    let failures = std::sync::atomic::AtomicUsize::new(0);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..CLIENTS {
            scope.spawn(|| loop {
                let next = queue.lock().ok().and_then(|mut q| q.pop());
                let Some(contact) = next else { break };
                for body in &contact {
                    if fake_whatsapp::post(&base, body) != 200 {
                        failures.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                }
            });
        }
    });
    let handling = started.elapsed();
    let failed = failures.load(std::sync::atomic::Ordering::Relaxed);
    println!(
        "handled {total} webhook messages of {contacts} contacts in {:.2} s: {:.0} messages/s ({} clients, {failed} not 200)",
        handling.as_secs_f64(),
        total as f64 / handling.as_secs_f64(),
        CLIENTS
    );

    let whatsapp = WhatsApp::from_settings(&settings)?.ok_or_else(|| anyhow::anyhow!("no channel"))?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let started = Instant::now();
    let mut sent = 0;
    let deadline = Instant::now() + Duration::from_secs(600);
    while Instant::now() < deadline {
        let r = runtime.block_on(delivery::deliver_due(&desk, &whatsapp))?;
        sent += r.sent;
        if r.sent + r.retrying + r.given_up + r.skipped + r.held == 0 {
            break;
        }
    }
    let delivering = started.elapsed();
    println!(
        "delivered {sent} messages in {:.2} s: {:.0} messages/s",
        delivering.as_secs_f64(),
        sent as f64 / delivering.as_secs_f64()
    );

    // In order per contact: what each contact received is its answers in the order written.
    let rows = desk.read_blocking(|conn| {
        Ok(meja::db::outbox::for_channel_in_order(conn, "whatsapp")?
            .into_iter()
            .map(|r| (r.recipient, r.remote_id))
            .collect::<Vec<_>>())
    })?;
    let mut out_of_order = 0;
    let mut by_contact: std::collections::HashMap<String, Vec<String>> = std::collections::HashMap::new();
    for (to, id) in rows {
        by_contact.entry(to).or_default().extend(id);
    }
    for (wa_id, written) in &by_contact {
        let received: Vec<String> = fake.sent_to(wa_id).into_iter().map(|(id, _)| id).collect();
        // The fake numbers what it receives in arrival order; a message of several parts
        // (long text before a list) keeps its last id on the row.
        let arrived: Vec<&String> = received.iter().filter(|id| written.contains(id)).collect();
        if arrived.iter().map(|s| s.as_str()).collect::<Vec<_>>()
            != written.iter().map(String::as_str).collect::<Vec<_>>()
        {
            out_of_order += 1;
        }
    }
    println!("{} contacts, {out_of_order} received their answers out of order", by_contact.len());
    actix_web::rt::System::new().block_on(handle.stop(true));
    let _ = server.join();
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
