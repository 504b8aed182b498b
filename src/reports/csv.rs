//! CSV: one file per table (`01-summary.csv`, …) in a ZIP, UTF-8, comma-separated, quoted as
//! RFC 4180 by the `csv` crate, numbers with a dot. The ZIP's entries carry a fixed date, so the
//! same data gives the same bytes.
//!
//! Text people wrote (titles, names, review notes) can start like a spreadsheet formula; opened
//! in Excel or LibreOffice, `=HYPERLINK(…)` or `@SUM(…)` would run. Every CSV and XLSX writer
//! passes such text through [`neutralise`] (OWASP's advice: a leading `'`). Numbers are written
//! as numbers and left alone.

use std::borrow::Cow;
use std::io::Write;

use zip::write::SimpleFileOptions;

use crate::domain::report::{Cell, ReportDocument, Table};

/// Text that a spreadsheet would read as a formula, made plain: `'` before a leading `=`, `+`,
/// `-`, `@`, tab or carriage return.
pub fn neutralise(text: &str) -> Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// CSV text built row by row: every field neutralised and quoted where needed, CRLF lines.
pub struct CsvText {
    writer: csv::Writer<Vec<u8>>,
}

impl Default for CsvText {
    fn default() -> Self {
        CsvText { writer: csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new()) }
    }
}

impl CsvText {
    /// A row of text fields (people's words): each neutralised.
    pub fn text_row(&mut self, fields: &[&str]) -> anyhow::Result<()> {
        Ok(self.writer.write_record(fields.iter().map(|f| neutralise(f).into_owned()))?)
    }

    /// A row of cells: text neutralised, numbers as they are.
    pub fn cell_row(&mut self, cells: &[Cell]) -> anyhow::Result<()> {
        let fields = cells.iter().map(|cell| match cell {
            Cell::Text(t) => neutralise(t).into_owned(),
            other => other.text(),
        });
        Ok(self.writer.write_record(fields)?)
    }

    pub fn into_bytes(self) -> anyhow::Result<Vec<u8>> {
        self.writer.into_inner().map_err(|e| anyhow::anyhow!("writing CSV: {e}"))
    }
}

/// One table as CSV text, header first.
pub fn table_csv(table: &Table) -> anyhow::Result<Vec<u8>> {
    let mut out = CsvText::default();
    out.text_row(&table.columns)?;
    for row in &table.rows {
        out.cell_row(row)?;
    }
    out.into_bytes()
}

pub fn render(doc: &ReportDocument) -> anyhow::Result<Vec<u8>> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    // The default date (1980-01-01) on every entry: the bytes depend on the data only.
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    if let Some((label, note)) = super::history_note(doc) {
        let mut note_csv = CsvText::default();
        note_csv.text_row(&["keterangan", "nilai"])?;
        note_csv.text_row(&[label, &note])?;
        zip.start_file("00-catatan.csv", options)?;
        zip.write_all(&note_csv.into_bytes()?)?;
    }
    for (i, table) in doc.report.tables().iter().enumerate() {
        zip.start_file(format!("{:02}-{}.csv", i + 1, table.name), options)?;
        zip.write_all(&table_csv(table)?)?;
    }
    Ok(zip.finish()?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_what_needs_quoting() {
        let table = Table {
            name: "t",
            title: "T",
            columns: vec!["a", "b"],
            rows: vec![vec![Cell::Text("Dinas \"Kesehatan\", Kota".into()), Cell::Num(12.5)]],
        };
        assert_eq!(table_csv(&table).expect("csv"), b"a,b\r\n\"Dinas \"\"Kesehatan\"\", Kota\",12.5\r\n");
    }

    #[test]
    fn formulas_in_text_are_neutralised_and_numbers_kept() {
        let table = Table {
            name: "t",
            title: "T",
            columns: vec!["judul", "selisih"],
            rows: vec![
                vec![Cell::Text("=HYPERLINK(\"http://evil.example\",\"x\")".into()), Cell::Int(-3)],
                vec![Cell::Text("@SUM(1+1)".into()), Cell::Num(-0.5)],
                vec![Cell::Text("+62 811".into()), Cell::Empty],
                vec![Cell::Text("\tTab".into()), Cell::Empty],
                vec![Cell::Text("Biasa - aman".into()), Cell::Empty],
            ],
        };
        let text = String::from_utf8(table_csv(&table).expect("csv")).expect("utf-8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[1], "\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\",-3");
        assert_eq!(lines[2], "'@SUM(1+1),-0.5");
        assert_eq!(lines[3], "'+62 811,");
        assert_eq!(lines[4], "'\tTab,");
        assert_eq!(lines[5], "Biasa - aman,");
        assert_eq!(neutralise("-5"), "'-5", "text that looks negative is text");
    }
}
