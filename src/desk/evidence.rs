//! The evidence pack for the SPBE evaluation of service management (Manajemen Layanan SPBE):
//! one ZIP with the period's archived reports, a city-wide report of the whole period, the SLA
//! policy and calendars in force, the units with their tier-1 staff, the supervisors' review
//! notes and a SHA-256 manifest.

use std::io::Write;

use chrono::Datelike;

use zip::write::SimpleFileOptions;

use super::report_archive;
use super::reports;
use super::{Desk, DeskError, DeskResult};
use crate::db::catalog as catalog_db;
use crate::db::mail as mail_db;
use crate::db::DbConn;
use crate::domain::report::{Period, ReportDocument};
use crate::domain::role::{Actor, Role};
use crate::reports::csv::CsvText;
use crate::reports::Format;

struct Pack {
    zip: zip::ZipWriter<std::io::Cursor<Vec<u8>>>,
    manifest: Vec<(String, String)>,
}

impl Pack {
    fn add(&mut self, name: &str, bytes: &[u8]) -> DeskResult<()> {
        let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        self.zip.start_file(name, options).map_err(zip_error)?;
        self.zip.write_all(bytes).map_err(|e| DeskError::Internal(format!("evidence pack: {e}")))?;
        self.manifest.push((crate::domain::report::sha256_hex(bytes), name.to_string()));
        Ok(())
    }
}

fn zip_error(e: zip::result::ZipError) -> DeskError {
    DeskError::Internal(format!("evidence pack: {e}"))
}

/// A CSV row of people's words, neutralised against spreadsheet formulas (`reports::csv`).
fn csv_row(out: &mut CsvText, fields: &[&str]) -> DeskResult<()> {
    out.text_row(fields).map_err(|e| DeskError::Internal(format!("evidence pack: {e:#}")))
}

fn csv_bytes(out: CsvText) -> DeskResult<Vec<u8>> {
    out.into_bytes().map_err(|e| DeskError::Internal(format!("evidence pack: {e:#}")))
}

fn json_bytes(value: &impl serde::Serialize) -> DeskResult<Vec<u8>> {
    serde_json::to_vec_pretty(value).map_err(|e| DeskError::Internal(format!("evidence pack: {e}")))
}

/// Builds the pack for `period`. Supervisors and admins only: it covers every unit.
/// The compliance map (docs/compliance.md), built into the binary: the pack and the console
/// carry the version of the running desk.
pub const COMPLIANCE_MAP: &str = include_str!("../../docs/compliance.md");

pub fn pack(desk: &Desk, conn: &mut DbConn, actor: Option<&Actor>, period: &Period) -> DeskResult<Vec<u8>> {
    if let Some(a) = actor {
        // The pack holds the archived reports with their per-agent figures (SPEC 8.8).
        if a.role != Role::Supervisor {
            return Err(DeskError::Forbidden("the evidence pack is for supervisors".into()));
        }
    }
    let mut pack = Pack { zip: zip::ZipWriter::new(std::io::Cursor::new(Vec::new())), manifest: Vec::new() };
    let system = Actor {
        user_id: String::new(),
        username: "meja".into(),
        name: "meja".into(),
        role: Role::Supervisor,
        unit_id: None,
    };
    let reader = actor.unwrap_or(&system);

    // The archived reports inside the period, unchanged, and their reviews.
    let archived: Vec<_> = report_archive::list(conn, reader, Some(period), None)?
        .into_iter()
        .filter(|r| period.contains(r.first_day) && period.contains(r.last_day))
        .collect();
    let mut reviews = CsvText::default();
    csv_row(&mut reviews, &["report_scope", "report_period", "author", "written_at", "note"])?;
    for report in &archived {
        for file in &report.files {
            let bytes = mail_db::blob(conn, &file.sha256)?
                .ok_or_else(|| DeskError::Internal(format!("report file {} is missing", file.file_name)))?;
            pack.add(&format!("laporan/{}/{}", report.period, file.file_name), &bytes)?;
        }
        for r in &report.reviews {
            csv_row(&mut reviews, &[&report.scope, &report.period, &r.author, &r.created_at.to_rfc3339(), &r.note])?;
        }
    }

    // The whole period, city-wide, as of now.
    let audience = reports::audience_of(conn, None)?;
    let doc = ReportDocument::new(reports::compute(desk, conn, &audience, period)?, desk.now());
    for format in [Format::Pdf, Format::Xlsx, Format::Json] {
        let bytes = crate::reports::render(&doc, format).map_err(|e| DeskError::Internal(format!("{e:#}")))?;
        pack.add(&format!("laporan-periode/{}", crate::reports::file_name(&doc, format)), &bytes)?;
    }

    // The rules in force.
    pack.add("kebijakan-sla.json", &json_bytes(&super::sla::list_policies(conn)?)?)?;
    for calendar in super::sla::list_calendars(conn)? {
        let mut shown = Vec::new();
        for year in period.first_day.year()..=period.last_day.year() {
            shown.push(super::sla::show_calendar(conn, &calendar.name, Some(year))?);
        }
        pack.add(&format!("kalender/{}.json", calendar.name), &json_bytes(&shown)?)?;
    }

    // Units and the staff of their desks.
    let mut staff = CsvText::default();
    csv_row(&mut staff, &["unit_code", "unit_name", "tier2", "role", "username", "name", "email"])?;
    for unit in catalog_db::list_units(conn)? {
        for role in [Role::AgentT1, Role::AgentT2, Role::UnitHead] {
            for user in catalog_db::active_users_with_role(conn, role.as_str(), Some(&unit.id))? {
                csv_row(
                    &mut staff,
                    &[
                        &unit.code,
                        &unit.name,
                        if unit.tier2 { "ya" } else { "tidak" },
                        role.as_str(),
                        &user.username,
                        &user.name,
                        user.email.as_deref().unwrap_or(""),
                    ],
                )?;
            }
        }
    }
    pack.add("unit-dan-petugas.csv", &csv_bytes(staff)?)?;
    pack.add("catatan-reviu.csv", &csv_bytes(reviews)?)?;
    pack.add("peta-kepatuhan.md", COMPLIANCE_MAP.as_bytes())?;

    let readme = format!(
        "Paket bukti Manajemen Layanan SPBE\r\nPeriode: {} ({} s.d. {})\r\nDibuat: {}\r\n\r\n\
         laporan/            laporan bulanan yang diarsipkan, tanpa perubahan (SHA-256 tercatat di log audit)\r\n\
         laporan-periode/    laporan seluruh Perangkat Daerah untuk seluruh periode\r\n\
         kebijakan-sla.json  target SLA per prioritas yang berlaku\r\n\
         kalender/           kalender kerja dan hari libur\r\n\
         unit-dan-petugas.csv  Perangkat Daerah dan petugas service desk\r\n\
         catatan-reviu.csv   catatan reviu supervisor atas laporan\r\n\
         peta-kepatuhan.md   peta kepatuhan: setiap pasal, fitur meja, uji dan bukti (juga dalam bahasa Inggris)\r\n\
         SHA256SUMS          sidik setiap berkas\r\n",
        period.title(),
        period.first_day,
        period.last_day,
        crate::reports::local_time(&doc, doc.generated_at),
    );
    pack.add("BACA-SAYA.txt", readme.as_bytes())?;
    let sums: String = pack.manifest.iter().map(|(sha, name)| format!("{sha}  {name}\n")).collect();
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    pack.zip.start_file("SHA256SUMS", options).map_err(zip_error)?;
    pack.zip.write_all(sums.as_bytes()).map_err(|e| DeskError::Internal(format!("evidence pack: {e}")))?;
    Ok(pack.zip.finish().map_err(zip_error)?.into_inner())
}
