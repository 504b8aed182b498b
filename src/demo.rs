//! `meja serve --demo`: a demo city — Diskominfo as the tier-2 unit, six Perangkat Daerah,
//! their services, staff in every role and a few hundred tickets in every status and tier,
//! all made through the same use cases as real work (so the audit chain holds).

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::clock::{Clock, ManualClock};
use crate::config::Settings;
use crate::desk::auth::hash_password;
use crate::desk::catalog::{self, NewService, NewUnit, NewUser};
use crate::desk::tickets::{self, ActionRequest, Author, NewMessage, NewTicket, RequesterInput};
use crate::desk::{DeskResult, Tx};
use crate::domain::role::{Actor, Role};
use crate::domain::ticket::{Kind, Level};

/// Every demo account uses this password; printed at start. A demo is not a production desk.
pub const DEMO_PASSWORD: &str = "Meja-Demo-2026";
pub const DEMO_TICKETS: usize = 320;

struct UnitSpec {
    code: &'static str,
    name: &'static str,
    services: &'static [(&'static str, &'static str)],
    problems: &'static [&'static str],
}

const TIER2: UnitSpec = UnitSpec {
    code: "DISKOMINFO",
    name: "Dinas Komunikasi dan Informatika",
    services: &[
        ("JARINGAN", "Jaringan Intra Pemerintah"),
        ("EMAIL-DINAS", "E-mail Dinas"),
        ("WEBSITE", "Portal dan Website Pemerintah Kota"),
        ("SSO", "Single Sign-On ASN"),
    ],
    problems: &[
        "Internet kantor kelurahan putus",
        "Tidak bisa login e-mail dinas",
        "Website kecamatan tidak bisa diakses",
        "Akun SSO terkunci",
        "Permintaan subdomain baru",
    ],
};

/// Public help-centre articles of the demo: (title, Markdown, service).
const DEMO_ARTICLES: &[(&str, &str, Option<&str>)] = &[
    (
        "Lupa kata sandi SIMPUS",
        "Jika Anda lupa kata sandi **SIMPUS**:\n\n1. Buka halaman masuk SIMPUS dan pilih *Lupa kata sandi*.\n2. Masukkan NIP atau nama pengguna Anda.\n3. Buka tautan yang dikirim ke e-mail dinas Anda dalam 30 menit.\n\nBila e-mail tidak datang, laporkan lewat portal ini dengan memilih layanan SIMPUS.",
        Some("SIMPUS"),
    ),
    (
        "Halaman PPDB tidak bisa dibuka saat pendaftaran",
        "Pada hari pertama pendaftaran PPDB, server sangat sibuk.\n\n- Coba lagi di luar jam 08.00–10.00.\n- Gunakan peramban terbaru (Chrome, Firefox).\n- Hapus cache peramban lalu muat ulang halaman.\n\nJika tetap gagal setelah pukul 10.00, laporkan dengan tangkapan layar pesan kesalahannya.",
        Some("PPDB"),
    ),
    (
        "Cara mengambil nomor antrian online Dukcapil",
        "Nomor antrian dapat diambil H-7 sampai H-1 melalui aplikasi **Antrian Online Dukcapil**. Siapkan NIK dan nomor KK. Satu NIK hanya dapat mengambil satu nomor per hari layanan.",
        Some("ANTRIAN"),
    ),
    (
        "Tidak bisa login e-PBB: pesan \"akun terkunci\"",
        "Akun e-PBB terkunci setelah 5 kali salah kata sandi dan terbuka otomatis setelah 30 menit. Setelah itu gunakan fitur *Lupa kata sandi*.",
        Some("EPBB"),
    ),
];

const PDS: [UnitSpec; 6] = [
    UnitSpec {
        code: "DINKES",
        name: "Dinas Kesehatan",
        services: &[("SIMPUS", "Sistem Informasi Puskesmas"), ("SIKDA", "Sistem Informasi Kesehatan Daerah")],
        problems: &[
            "SIMPUS tidak bisa login",
            "Data kunjungan pasien tidak tersimpan",
            "Laporan bulanan SIKDA error",
            "Printer antrian puskesmas tidak terbaca",
        ],
    },
    UnitSpec {
        code: "DISDIK",
        name: "Dinas Pendidikan",
        services: &[("PPDB", "Penerimaan Peserta Didik Baru"), ("DAPODIK", "Data Pokok Pendidikan")],
        problems: &[
            "Halaman PPDB lambat",
            "Nilai rapor tidak muncul di PPDB",
            "Sinkronisasi Dapodik gagal",
            "Lupa password akun sekolah",
        ],
    },
    UnitSpec {
        code: "DISDUKCAPIL",
        name: "Dinas Kependudukan dan Pencatatan Sipil",
        services: &[("SIAK", "Sistem Informasi Administrasi Kependudukan"), ("ANTRIAN", "Antrian Online Dukcapil")],
        problems: &[
            "Antrian online penuh terus",
            "Status KTP-el tidak berubah",
            "Gagal unggah dokumen akta kelahiran",
            "Permintaan data kependudukan untuk OPD",
        ],
    },
    UnitSpec {
        code: "BAPENDA",
        name: "Badan Pendapatan Daerah",
        services: &[("EPBB", "e-PBB"), ("ESPTPD", "e-SPTPD Pajak Daerah")],
        problems: &[
            "Tagihan PBB tidak sesuai",
            "Kode bayar e-SPTPD tidak terbit",
            "Pembayaran sudah dilakukan tetapi status belum lunas",
        ],
    },
    UnitSpec {
        code: "DPMPTSP",
        name: "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu",
        services: &[("SICANTIK", "Perizinan Online SiCantik")],
        problems: &[
            "Berkas izin tidak bisa diunggah",
            "Status permohonan izin tidak berubah",
            "Tanda tangan elektronik gagal",
        ],
    },
    UnitSpec {
        code: "BKPSDM",
        name: "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia",
        services: &[("SIMPEG", "Sistem Informasi Kepegawaian")],
        problems: &["Data riwayat jabatan salah", "Tidak bisa cetak SKP", "Permintaan reset akun SIMPEG"],
    },
];

const REQUESTERS: [(&str, &str); 12] = [
    ("Budi Santoso", "budi.santoso@example.com"),
    ("Siti Rahmawati", "siti.rahma@example.com"),
    ("Agus Pratama", "agus.pratama@example.com"),
    ("Dewi Lestari", "dewi.lestari@example.com"),
    ("Rudi Hartono", "rudi.h@example.com"),
    ("Nur Aini", "nuraini@example.com"),
    ("Wahyu Hidayat", "wahyu.hidayat@example.com"),
    ("Rina Marlina", "rina.marlina@example.com"),
    ("Eko Saputra", "eko.saputra@example.com"),
    ("Yuliana", "yuliana@example.com"),
    ("Hendra Gunawan", "hendra.g@example.com"),
    ("Puskesmas Kedungmundu", "pkm.kedungmundu@example.go.id"),
];

pub struct DemoLogin {
    pub username: String,
    pub role: Role,
    pub unit: Option<String>,
}

fn actor_of(user: &crate::db::catalog::UserRow) -> Actor {
    Actor {
        user_id: user.id.clone(),
        username: user.username.clone(),
        name: user.name.clone(),
        role: Role::parse(&user.role).unwrap_or(Role::Requester),
        unit_id: user.unit_id.clone(),
    }
}

/// Seeds the demo city unless the database already has units. Returns the logins made.
pub fn seed(settings: &Settings) -> anyhow::Result<Option<Vec<DemoLogin>>> {
    let real_now = crate::clock::SystemClock.now();
    let clock = ManualClock::starting_at(real_now - Duration::days(60));
    let desk = crate::open_desk(settings, Arc::new(clock.clone()))?;
    let has_units = desk.read_blocking(|conn| Ok(!crate::db::catalog::list_units(conn)?.is_empty()))?;
    if has_units {
        return Ok(None);
    }
    let hash = hash_password(DEMO_PASSWORD)?;
    let mut people: Vec<(String, String, Role, &'static str)> = vec![
        ("sup.kominfo".into(), "Sri Wahyuni (Koordinator Service Desk)".into(), Role::Supervisor, TIER2.code),
        ("t2.andi".into(), "Andi Nugroho (Tier 2)".into(), Role::AgentT2, TIER2.code),
        ("t2.rina".into(), "Rina Kusuma (Tier 2)".into(), Role::AgentT2, TIER2.code),
        ("t1.kominfo".into(), "Fajar Setiawan (Service Desk Kota)".into(), Role::AgentT1, TIER2.code),
        ("kepala.kominfo".into(), "Kepala Diskominfo".into(), Role::UnitHead, TIER2.code),
    ];
    for pd in &PDS {
        let lower = pd.code.to_lowercase();
        people.push((format!("t1.{lower}"), format!("Teknisi TIK {}", pd.name), Role::AgentT1, pd.code));
        people.push((format!("t1b.{lower}"), format!("Teknisi TIK 2 {}", pd.name), Role::AgentT1, pd.code));
        people.push((format!("kepala.{lower}"), format!("Kepala {}", pd.name), Role::UnitHead, pd.code));
    }
    let logins: Vec<DemoLogin> = people
        .iter()
        .map(|(username, _, role, unit)| DemoLogin {
            username: username.clone(),
            role: *role,
            unit: Some(unit.to_string()),
        })
        .collect();
    let d = desk.clone();
    desk.writer.write_blocking(move |tx| {
        for spec in std::iter::once(&TIER2).chain(PDS.iter()) {
            catalog::create_unit(
                tx,
                None,
                NewUnit {
                    code: spec.code.into(),
                    name: spec.name.into(),
                    tier2: spec.code == TIER2.code,
                    email: Some(format!("servicedesk.{}@example.go.id", spec.code.to_lowercase())),
                },
            )?;
            for (code, name) in spec.services {
                catalog::create_service(
                    tx,
                    None,
                    NewService { code: (*code).into(), name: (*name).into(), unit: spec.code.into() },
                )?;
            }
            // A desk address per unit (no IMAP in the demo: feed it with `meja ingest-email`);
            // Diskominfo's is the city-wide one.
            let lower = spec.code.to_lowercase();
            let (name, address) = if spec.code == TIER2.code {
                ("kota".to_string(), "layanan@example.go.id".to_string())
            } else {
                (lower.clone(), format!("layanan.{lower}@example.go.id"))
            };
            let mailbox = crate::desk::mail::NewMailbox { name, unit: spec.code.into(), address, imap_url: None };
            crate::desk::mail::create_mailbox(tx, &d, None, mailbox)?;
        }
        for (username, name, role, unit) in people {
            let input = NewUser {
                email: Some(format!("{username}@example.go.id")),
                username,
                name,
                password: DEMO_PASSWORD.into(),
                role,
                unit: Some(unit.into()),
            };
            catalog::create_user(tx, None, input, hash.clone())?;
        }
        Ok(())
    })?;
    let users = desk.read_blocking(|conn| Ok(crate::db::catalog::list_users(conn, None)?))?;
    let actors: Vec<Actor> = users.iter().map(actor_of).collect();
    let find = move |username: &str| actors.iter().find(|a| a.username == username).cloned();
    let mut rng = StdRng::seed_from_u64(2026);
    let start = clock.now();
    // Tickets arrive over sixty days, more of them recently; a batch of 40 per transaction.
    let mut plans = Vec::with_capacity(DEMO_TICKETS);
    for i in 0..DEMO_TICKETS {
        let fraction = (i as f64 / DEMO_TICKETS as f64).sqrt();
        let at = start
            + Duration::minutes((fraction * 60.0 * 24.0 * 59.5) as i64)
            + Duration::minutes(rng.gen_range(0..120));
        plans.extend(plan_ticket(&mut rng, at.min(real_now - Duration::minutes(30)), &find));
    }
    for chunk in plans.chunks(40) {
        let chunk = chunk.to_vec();
        let d = desk.clone();
        desk.writer.write_blocking(move |tx| {
            for plan in chunk {
                run_plan(tx, &d, plan)?;
            }
            Ok(())
        })?;
    }
    // A few articles for the portal's help centre and its suggestions while citizens type.
    if let Some(author) = find("sup.kominfo") {
        desk.writer.write_blocking(move |tx| {
            for (title, body, service) in DEMO_ARTICLES {
                let input = crate::desk::kb::NewArticle {
                    title: (*title).into(),
                    body: (*body).into(),
                    visibility: Some("public".into()),
                    service: service.map(str::to_string),
                };
                crate::desk::kb::create(tx, &author, input)?;
            }
            Ok(())
        })?;
    }
    // Canned replies: two for the whole city (tier 2's) and two of Dinas Kesehatan's.
    if let (Some(tier2), Some(dinkes)) = (find("t2.andi"), find("t1.dinkes")) {
        let d = desk.clone();
        desk.writer.write_blocking(move |tx| {
            for (unit, title, body, action) in DEMO_CANNED {
                let actor = if unit.is_some() { &dinkes } else { &tier2 };
                let input = crate::desk::canned::NewCanned {
                    title: (*title).into(),
                    body: (*body).into(),
                    unit: unit.map(str::to_string),
                    action: action.map(str::to_string),
                };
                crate::desk::canned::create(tx, &d, actor, input)?;
            }
            Ok(())
        })?;
    }
    // Bring the SLA clocks up to the present: warnings and breaches of the open tickets fire
    // (and P1/P2 breaches escalate) as the scheduler of `serve` would have done.
    if let Some(tier2) = find("t2.andi") {
        crate::demo_status::seed(&desk, &clock, &tier2, real_now)?;
    }
    clock.set(real_now);
    crate::desk::scheduler::sweep_blocking(&desk, crate::desk::scheduler::DEFAULT_BATCH)?;
    // The notices of that invented history are not sent: only what happens from now on is.
    let at = real_now.naive_utc();
    desk.writer
        .write_blocking(move |tx| Ok(crate::db::outbox::settle_all_pending(tx.conn, at, "demo history: not sent")?))?;
    desk.close();
    Ok(Some(logins))
}

/// (unit, title, body, action) of the demo city's canned replies: the city's are made by tier
/// 2, the unit's by its tier-1 agent.
type DemoCanned = (Option<&'static str>, &'static str, &'static str, Option<&'static str>);
const DEMO_CANNED: &[DemoCanned] = &[
    (None, "Laporan diterima", "Yth. {{nama_pelapor}}, laporan Anda nomor {{nomor}} sudah kami terima dan sedang kami pelajari. Kami akan mengabari Anda di tiket ini.\n\nSalam,\n{{petugas}}", None),
    (None, "Mohon data tambahan", "Yth. {{nama_pelapor}}, agar laporan {{nomor}} dapat kami tindak lanjuti, mohon kirimkan tangkapan layar pesan kesalahan dan waktu kejadiannya.\n\nSalam,\n{{petugas}}", Some("pend")),
    (Some("DINKES"), "SIMPUS: sedang diperiksa vendor", "Yth. {{nama_pelapor}}, masalah {{layanan}} pada laporan {{nomor}} sudah kami teruskan ke vendor aplikasi. Kami kabari begitu ada hasil.\n\n{{petugas}}, {{unit}}", Some("pend")),
    (Some("DINKES"), "Sudah normal kembali", "Yth. {{nama_pelapor}}, {{layanan}} sudah kembali normal. Silakan dicoba lagi; bila masih bermasalah, balas pesan ini.\n\n{{petugas}}, {{unit}}", Some("resolve")),
];

#[derive(Clone)]
struct Plan {
    at: DateTime<Utc>,
    opener: Actor,
    input: NewTicket,
    steps: Vec<(i64, Actor, Step)>,
}

#[derive(Clone)]
enum Step {
    Act(ActionRequest),
    Reply(String, bool),
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.gen_range(0..items.len())]
}

fn plan_ticket(rng: &mut StdRng, at: DateTime<Utc>, find: &dyn Fn(&str) -> Option<Actor>) -> Option<Plan> {
    let all: Vec<&UnitSpec> = std::iter::once(&TIER2).chain(PDS.iter()).collect();
    let spec = *pick(rng, &all);
    let lower = spec.code.to_lowercase();
    let agent = find(&format!("t1.{lower}")).or_else(|| find("t1.kominfo"))?;
    let t2 = find(if rng.gen_bool(0.5) { "t2.andi" } else { "t2.rina" }).unwrap_or_else(|| agent.clone());
    let (name, email) = *pick(rng, &REQUESTERS);
    let (service, _) = *pick(rng, spec.services);
    let title = (*pick(rng, spec.problems)).to_string();
    let levels = [Level::High, Level::Medium, Level::Medium, Level::Low, Level::Low];
    let kinds = [
        Kind::Incident,
        Kind::Incident,
        Kind::Incident,
        Kind::ServiceRequest,
        Kind::Complaint,
        Kind::Information,
        Kind::Change,
        Kind::Problem,
    ];
    let input = NewTicket {
        kind: *pick(rng, &kinds),
        title: title.clone(),
        description: format!("{title}. Dilaporkan oleh {name} melalui service desk; mohon segera ditindaklanjuti."),
        unit: Some(spec.code.into()),
        service: Some(service.into()),
        impact: *pick(rng, &levels),
        urgency: *pick(rng, &levels),
        requester: Some(RequesterInput::named(name, Some(email.into()))),
        classification: None,
        security_incident: Some(rng.gen_bool(0.02)),
        personal_data_breach: None,
        channel: Some(*pick(rng, &[crate::domain::ticket::Channel::Phone, crate::domain::ticket::Channel::Api])),
        follow_disruption: None,
    };
    let mut steps: Vec<(i64, Actor, Step)> = Vec::new();
    let mut t = 0i64;
    let mut next = |rng: &mut StdRng, max: i64| {
        t += rng.gen_range(5..max);
        t
    };
    // The share of each final state: new, open, pending, resolved, closed, cancelled.
    let roll: u32 = rng.gen_range(0..100);
    let escalate = rng.gen_bool(0.22);
    if roll >= 8 {
        steps.push((
            next(rng, 90),
            agent.clone(),
            Step::Act(ActionRequest::Assign { username: agent.username.clone() }),
        ));
        steps.push((
            next(rng, 60),
            agent.clone(),
            Step::Reply("Terima kasih, laporan Anda sedang kami periksa.".into(), false),
        ));
        if roll >= 88 {
            steps.push((
                next(rng, 120),
                agent.clone(),
                Step::Act(ActionRequest::Cancel { reason: "Laporan ganda, sudah ditangani di tiket lain.".into() }),
            ));
        } else {
            let mut holder = agent.clone();
            if escalate {
                steps.push((
                    next(rng, 240),
                    agent.clone(),
                    Step::Act(ActionRequest::Escalate {
                        reason: "Perlu akses server di pusat data Diskominfo.".into(),
                    }),
                ));
                steps.push((
                    next(rng, 120),
                    t2.clone(),
                    Step::Act(ActionRequest::Assign { username: t2.username.clone() }),
                ));
                steps.push((
                    next(rng, 60),
                    t2.clone(),
                    Step::Reply("Cek log aplikasi di server produksi.".into(), true),
                ));
                holder = t2.clone();
                if rng.gen_bool(0.3) {
                    steps.push((
                        next(rng, 600),
                        t2.clone(),
                        Step::Act(ActionRequest::Return {
                            note: "Konfigurasi server sudah diperbaiki; mohon konfirmasi ke pelapor.".into(),
                        }),
                    ));
                    holder = agent.clone();
                }
            }
            if (25..40).contains(&roll) {
                steps.push((
                    next(rng, 300),
                    holder.clone(),
                    Step::Act(ActionRequest::Pend { reason: Some("Menunggu tangkapan layar dari pelapor.".into()) }),
                ));
            } else if roll >= 40 {
                steps.push((
                    next(rng, 900),
                    holder.clone(),
                    Step::Act(ActionRequest::Resolve {
                        resolution: "Masalah sudah diperbaiki. Silakan dicoba kembali.".into(),
                        resolve_linked: false,
                    }),
                ));
                if roll >= 60 {
                    steps.push((next(rng, 3000), holder, Step::Act(ActionRequest::Close)));
                }
            }
        }
    }
    Some(Plan { at, opener: agent, input, steps })
}

/// Six requesters in ten answer the rating request of a resolution, mostly content.
fn rate_like_a_citizen(tx: &mut Tx, ticket_id: &str, number: &str) -> DeskResult<()> {
    let seq: usize = number.rsplit('-').next().and_then(|n| n.parse().ok()).unwrap_or(0);
    const RATINGS: [i32; 10] = [5, 4, 5, 3, 4, 0, 5, 0, 2, 0];
    let rating = RATINGS[seq % RATINGS.len()];
    if rating == 0 {
        return Ok(());
    }
    let token = crate::db::outbox::for_ticket(tx.conn, ticket_id)?
        .into_iter()
        .rev()
        .find(|o| o.template == "ticket_resolved")
        .and_then(|o| serde_json::from_str::<serde_json::Value>(&o.payload).ok())
        .and_then(|p| p["csat_token"].as_str().map(str::to_string));
    if let Some(token) = token {
        let comment = (rating <= 3).then(|| "Penanganannya agak lama.".to_string());
        crate::desk::csat::rate(tx, number, &token, crate::desk::csat::Rating { rating, comment })?;
    }
    Ok(())
}

fn run_plan(tx: &mut Tx, desk: &crate::desk::Desk, plan: Plan) -> DeskResult<()> {
    let real_now = crate::clock::SystemClock.now();
    tx.now = plan.at;
    let opened = tickets::open_ticket(tx, desk, Some(&plan.opener), plan.input)?;
    let number = opened.ticket.row.number.clone();
    for (minutes, actor, step) in plan.steps {
        let at = plan.at + Duration::minutes(minutes);
        if at >= real_now {
            break;
        }
        tx.now = at;
        match step {
            Step::Act(request) => {
                let resolving = matches!(request, ActionRequest::Resolve { .. });
                tickets::act(tx, desk, &actor, &number, request)?;
                if resolving {
                    rate_like_a_citizen(tx, &opened.ticket.row.id, &number)?;
                }
            }
            Step::Reply(body, internal) => {
                let ticket = tickets::visible_ticket_for_update(tx.conn, &actor, &number)?;
                tickets::add_message(
                    tx,
                    desk,
                    Author::User(&actor),
                    ticket,
                    NewMessage { body, internal, channel: None, files: Vec::new(), minutes: None },
                )?;
            }
        }
    }
    Ok(())
}
