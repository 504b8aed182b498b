//! Renderers of the periodic report: every format is drawn from the same [`Report`] and its
//! tables, so the figures cannot differ between an HTML page and the PDF sent to the Walikota.

pub mod charts;
pub mod csv;
pub mod html;
pub mod pdf;
pub mod xlsx;

use crate::domain::report::ReportDocument;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    Xlsx,
    Pdf,
    Html,
}

impl Format {
    pub const ALL: [Format; 5] = [Format::Json, Format::Csv, Format::Xlsx, Format::Pdf, Format::Html];

    pub fn parse(text: &str) -> Result<Format, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            "xlsx" => Ok(Format::Xlsx),
            "pdf" => Ok(Format::Pdf),
            "html" => Ok(Format::Html),
            other => Err(format!("format {other:?} is not one of json, csv, xlsx, pdf, html")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Pdf => "pdf",
            Format::Html => "html",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Csv => "application/zip",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Pdf => "application/pdf",
            Format::Html => "text/html; charset=utf-8",
        }
    }

    /// The file's extension: CSV comes as a ZIP of one file per table.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv.zip",
            other => other.as_str(),
        }
    }
}

/// `laporan-dinkes-2026-11.pdf`.
pub fn file_name(doc: &ReportDocument, format: Format) -> String {
    let scope: String = doc
        .report
        .scope
        .code
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
        .collect();
    let period: String =
        doc.report.period.label.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
    format!("laporan-{scope}-{period}.{}", format.extension())
}

/// The report in `format`.
pub fn render(doc: &ReportDocument, format: Format) -> anyhow::Result<Vec<u8>> {
    Ok(match format {
        Format::Json => serde_json::to_vec_pretty(doc)?,
        Format::Csv => csv::render(doc)?,
        Format::Xlsx => xlsx::render(doc)?,
        Format::Pdf => pdf::render(doc),
        Format::Html => html::render(doc).into_bytes(),
    })
}

/// "24 November 2026 08.15 WIB": times on the report, in its zone.
pub fn local_time(doc: &ReportDocument, t: chrono::DateTime<chrono::Utc>) -> String {
    let zone = doc.report.zone();
    let local = t.with_timezone(&zone);
    let abbreviation = match doc.report.period.zone.as_str() {
        "Asia/Jakarta" | "Asia/Pontianak" => "WIB",
        "Asia/Makassar" => "WITA",
        "Asia/Jayapura" => "WIT",
        other => other,
    };
    format!("{} {} {abbreviation}", crate::domain::report::period::long_date(local.date_naive()), local.format("%H.%M"))
}

/// The line every format adds when the period began before the ticket history was kept.
pub fn history_note(doc: &ReportDocument) -> Option<(&'static str, String)> {
    doc.report.period.history_exact_from.map(|at| {
        ("Riwayat tiket", format!("tepat sejak {}; sebelumnya disusun ulang dari jejak audit", local_time(doc, at)))
    })
}
