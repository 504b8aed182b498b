//! CSV: one file per table (`01-summary.csv`, …) in a ZIP, UTF-8, comma-separated, quoted as
//! RFC 4180, numbers with a dot. The ZIP's entries carry a fixed date, so the same data gives
//! the same bytes.

use std::io::Write;

use zip::write::SimpleFileOptions;

use crate::domain::report::{Cell, ReportDocument, Table};

/// One CSV field, quoted when it holds a comma, quote or line break.
pub fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// One table as CSV text, header first.
pub fn table_csv(table: &Table) -> String {
    let mut out = String::new();
    out.push_str(&table.columns.iter().map(|c| field(c)).collect::<Vec<_>>().join(","));
    out.push_str("\r\n");
    for row in &table.rows {
        let line: Vec<String> = row
            .iter()
            .map(|cell| match cell {
                Cell::Text(t) => field(t),
                other => other.text(),
            })
            .collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

pub fn render(doc: &ReportDocument) -> anyhow::Result<Vec<u8>> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    // The default date (1980-01-01) on every entry: the bytes depend on the data only.
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (i, table) in doc.report.tables().iter().enumerate() {
        zip.start_file(format!("{:02}-{}.csv", i + 1, table.name), options)?;
        zip.write_all(table_csv(table).as_bytes())?;
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
        assert_eq!(table_csv(&table), "a,b\r\n\"Dinas \"\"Kesehatan\"\", Kota\",12.5\r\n");
    }
}
