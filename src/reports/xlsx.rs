//! XLSX: a cover sheet, then one sheet per table with a bold header and real numeric cells.

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format as CellFormat, Workbook};

use super::csv::neutralise;
use crate::domain::report::{Cell, ReportDocument};

pub fn render(doc: &ReportDocument) -> anyhow::Result<Vec<u8>> {
    let report = &doc.report;
    let mut workbook = Workbook::new();
    // The file's creation date is the report's generation time, not the moment of rendering.
    let created = ExcelDateTime::parse_from_str(&doc.generated_at.format("%Y-%m-%dT%H:%M:%S").to_string())?;
    workbook.set_properties(
        &DocProperties::new()
            .set_title(format!("Laporan pelaksanaan tugas {} — {}", report.scope.name, report.period.title))
            .set_author("meja")
            .set_creation_datetime(&created),
    );
    let bold = CellFormat::new().set_bold();
    let title = CellFormat::new().set_bold().set_font_size(14);

    let cover = workbook.add_worksheet().set_name("laporan")?;
    cover.write_string_with_format(0, 0, "Laporan Pelaksanaan Tugas Service Desk", &title)?;
    let lines = [
        ("Unit", report.scope.name.clone()),
        ("Kode unit", report.scope.code.clone()),
        ("Periode", report.period.title.clone()),
        ("Dari", report.period.first_day.to_string()),
        ("Sampai", report.period.last_day.to_string()),
        ("Zona waktu", report.period.zone.clone()),
        ("Dibuat", super::local_time(doc, doc.generated_at)),
        ("SHA-256 data", doc.data_sha256.clone()),
    ]
    .into_iter()
    .chain(super::history_note(doc))
    .collect::<Vec<_>>();
    for (i, (label, value)) in lines.iter().enumerate() {
        let row = i as u32 + 2;
        cover.write_string_with_format(row, 0, *label, &bold)?;
        cover.write_string(row, 1, neutralise(value))?;
    }
    cover.set_column_width(0, 18)?;
    cover.set_column_width(1, 70)?;

    for table in report.tables() {
        let sheet = workbook.add_worksheet().set_name(sheet_name(table.name))?;
        for (c, column) in table.columns.iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, neutralise(column), &bold)?;
            sheet.set_column_width(c as u16, (column.len() as f64 + 2.0).max(12.0))?;
        }
        for (r, row) in table.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                match cell {
                    Cell::Int(n) => {
                        sheet.write_number(r, c, *n as f64)?;
                    }
                    Cell::Num(x) => {
                        sheet.write_number(r, c, *x)?;
                    }
                    Cell::Text(t) => {
                        sheet.write_string(r, c, neutralise(t))?;
                    }
                    Cell::Empty => {}
                }
            }
        }
        sheet.set_freeze_panes(1, 0)?;
    }
    Ok(workbook.save_to_buffer()?)
}

/// Sheet names are at most 31 characters.
fn sheet_name(name: &str) -> String {
    name.chars().take(31).collect()
}
