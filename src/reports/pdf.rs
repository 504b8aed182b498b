//! PDF on A4 in Bahasa Indonesia: header with unit, period, generation time and the data's
//! SHA-256; the three charts as vector graphics; every table, with page breaks and a footer
//! "halaman N dari M". Text uses the PDF standard fonts (Helvetica) in WinAnsi encoding, so the
//! file needs no embedded font and opens in every reader.

use chrono::{Datelike, Timelike};
use pdf_writer::{Content, Date, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use super::charts::{self, Chart};
use crate::domain::report::{column_label, Cell, ReportDocument, Table};

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN: f32 = 48.0;
const REGULAR: Name = Name(b"F1");
const BOLD: Name = Name(b"F2");

/// Advance widths (per 1000 em) of Helvetica and Helvetica-Bold for ASCII 32..=126, from
/// the standard fonts' metrics; other characters are measured as a digit.
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556,
    556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833,
    722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556,
    556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334,
    260, 334, 584,
];
const HELVETICA_BOLD: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556,
    556, 556, 556, 333, 333, 584, 584, 584, 611, 975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833,
    722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556, 333, 556, 611, 556, 611,
    556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389,
    280, 389, 584,
];

fn width(text: &str, size: f32, bold: bool) -> f32 {
    let table = if bold { &HELVETICA_BOLD } else { &HELVETICA };
    let units: u32 = text
        .chars()
        .map(|c| match c as u32 {
            code @ 32..=126 => u32::from(table[(code - 32) as usize]),
            _ => 556,
        })
        .sum();
    units as f32 * size / 1000.0
}

/// WinAnsi bytes of `text`; what the encoding lacks becomes `?`.
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            ' '..='~' => c as u8,
            '\u{a0}'..='\u{ff}' => c as u32 as u8,
            '–' => 0x96,
            '—' => 0x97,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '…' => 0x85,
            '€' => 0x80,
            _ => b'?',
        })
        .collect()
}

/// Cuts `text` to fit `max` points, marking the cut with "…".
fn fit(text: &str, size: f32, bold: bool, max: f32) -> String {
    if width(text, size, bold) <= max {
        return text.to_string();
    }
    let mut out = String::new();
    for c in text.chars() {
        if width(&out, size, bold) + width(&format!("{c}…"), size, bold) > max {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

/// Splits `text` into lines no wider than `max`.
fn wrap(text: &str, size: f32, bold: bool, max: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() { word.to_string() } else { format!("{line} {word}") };
        if width(&candidate, size, bold) <= max || line.is_empty() {
            line = candidate;
        } else {
            lines.push(std::mem::take(&mut line));
            line = word.to_string();
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines.into_iter().map(|l| fit(&l, size, bold, max)).collect()
}

struct Writer {
    pages: Vec<Content>,
    y: f32,
}

impl Writer {
    fn new() -> Writer {
        Writer { pages: vec![Content::new()], y: PAGE_H - MARGIN }
    }

    fn page(&mut self) -> &mut Content {
        if self.pages.is_empty() {
            self.pages.push(Content::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// Starts a new page unless `height` still fits above the footer.
    fn ensure(&mut self, height: f32) {
        if self.y - height < MARGIN + 20.0 {
            self.pages.push(Content::new());
            self.y = PAGE_H - MARGIN;
        }
    }

    fn text(&mut self, x: f32, y: f32, size: f32, bold: bool, text: &str) {
        let bytes = win_ansi(text);
        let page = self.page();
        page.begin_text();
        page.set_font(if bold { BOLD } else { REGULAR }, size);
        page.next_line(x, y);
        page.show(Str(&bytes));
        page.end_text();
    }

    fn text_right(&mut self, right: f32, y: f32, size: f32, bold: bool, text: &str) {
        self.text(right - width(text, size, bold), y, size, bold, text);
    }

    fn fill_rect(&mut self, x: f32, y: f32, w: f32, h: f32, rgb: (u8, u8, u8)) {
        let page = self.page();
        page.set_fill_rgb(f32::from(rgb.0) / 255.0, f32::from(rgb.1) / 255.0, f32::from(rgb.2) / 255.0);
        page.rect(x, y, w, h);
        page.fill_nonzero();
        page.set_fill_gray(0.0);
    }

    fn line(&mut self, x0: f32, y0: f32, x1: f32, y1: f32, gray: f32) {
        let page = self.page();
        page.set_stroke_rgb(gray, gray, gray);
        page.set_line_width(0.5);
        page.move_to(x0, y0);
        page.line_to(x1, y1);
        page.stroke();
    }

    /// A section heading, kept on the page with at least a few lines of what follows.
    fn heading(&mut self, text: &str) {
        self.ensure(110.0);
        self.y -= 22.0;
        self.text(MARGIN, self.y, 12.0, true, text);
        self.y -= 4.0;
        self.line(MARGIN, self.y, PAGE_W - MARGIN, self.y, 0.3);
        self.y -= 6.0;
    }
}

fn chart(w: &mut Writer, chart: &Chart) {
    let height = 150.0;
    w.heading(chart.title);
    w.ensure(height + 10.0);
    let (left, right) = (MARGIN + 34.0, PAGE_W - MARGIN);
    let top = w.y - if chart.series.len() > 1 { 28.0 } else { 14.0 };
    let bottom = w.y - height + 14.0;
    let plot_h = top - bottom;
    for f in [0.0f32, 0.5, 1.0] {
        let y = bottom + plot_h * f;
        w.line(left, y, right, y, 0.8);
        w.text_right(left - 4.0, y - 3.0, 7.0, false, &charts::value_label(chart.max * f64::from(f), chart.percent));
    }
    let n = chart.bars.len().max(1) as f32;
    let slot = (right - left) / n;
    let series = chart.series.len().max(1) as f32;
    let bar_w = (slot * 0.8 / series).max(0.5);
    let label_every = (chart.bars.len() / 16).max(1);
    for (i, bar) in chart.bars.iter().enumerate() {
        let x0 = left + slot * i as f32 + slot * 0.1;
        for (s, value) in bar.values.iter().enumerate() {
            let Some(value) = value else { continue };
            let h = ((value / chart.max).clamp(0.0, 1.0) as f32) * plot_h;
            let color = chart.series.get(s).map_or((0, 0, 0), |s| s.color);
            let x = x0 + bar_w * s as f32;
            w.fill_rect(x, bottom, bar_w, h, color);
            if chart.bars.len() <= 12 {
                let label = charts::value_label(*value, chart.percent);
                let lw = width(&label, 7.0, false);
                w.text(x + bar_w / 2.0 - lw / 2.0, bottom + h + 2.0, 7.0, false, &label);
            }
        }
        if i % label_every == 0 {
            let lw = width(&bar.label, 7.0, false);
            w.text(left + slot * (i as f32 + 0.5) - lw / 2.0, bottom - 10.0, 7.0, false, &bar.label);
        }
    }
    if chart.series.len() > 1 {
        for (s, series) in chart.series.iter().enumerate() {
            let x = left + 120.0 * s as f32;
            w.fill_rect(x, top + 14.0, 7.0, 7.0, series.color);
            w.text(x + 10.0, top + 15.0, 8.0, false, series.name);
        }
    }
    w.y -= height;
}

fn table(w: &mut Writer, table: &Table) {
    w.heading(table.title);
    if table.rows.is_empty() {
        w.ensure(14.0);
        w.y -= 12.0;
        w.text(MARGIN, w.y, 8.0, false, "Tidak ada data pada periode ini.");
        return;
    }
    let size = match table.columns.len() {
        0..=8 => 8.0,
        9..=12 => 6.5,
        _ => 6.0,
    };
    let available = PAGE_W - 2.0 * MARGIN;
    let cells: Vec<Vec<String>> = table.rows.iter().map(|r| r.iter().map(Cell::text).collect()).collect();
    let labels: Vec<&str> = table.columns.iter().map(|c| column_label(c)).collect();
    // Every column gets at least its widest cell and its longest header word; what room is
    // left goes to the columns whose headers would otherwise wrap the most.
    let minimum: Vec<f32> = (0..labels.len())
        .map(|c| {
            let content = cells.iter().map(|r| width(&r[c], size, false)).fold(0.0, f32::max);
            let longest_word = labels[c].split_whitespace().map(|wd| width(wd, size, true)).fold(0.0, f32::max);
            content.max(longest_word) + 6.0
        })
        .collect();
    let desired: Vec<f32> =
        minimum.iter().zip(&labels).map(|(m, l)| m.max(width(l, size, true).min(90.0) + 8.0)).collect();
    let (min_total, desired_total): (f32, f32) = (minimum.iter().sum(), desired.iter().sum());
    let widths: Vec<f32> = if desired_total <= available {
        desired
    } else if min_total <= available {
        let share = (available - min_total) / (desired_total - min_total);
        minimum.iter().zip(&desired).map(|(m, d)| m + (d - m) * share).collect()
    } else {
        minimum.iter().map(|m| m * available / min_total).collect()
    };
    let header_lines: Vec<Vec<String>> =
        labels.iter().zip(&widths).map(|(l, wd)| wrap(l, size, true, wd - 6.0)).collect();
    let header_h = header_lines.iter().map(Vec::len).max().unwrap_or(1) as f32 * (size + 2.0) + 6.0;
    let row_h = size + 6.0;
    let header = |w: &mut Writer| {
        w.ensure(header_h + row_h);
        let mut x = MARGIN;
        let top = w.y;
        w.fill_rect(MARGIN, top - header_h, widths.iter().sum(), header_h, (232, 239, 246));
        for (c, lines) in header_lines.iter().enumerate() {
            for (i, line) in lines.iter().enumerate() {
                w.text(x + 3.0, top - 3.0 - (i as f32 + 1.0) * (size + 2.0) + 2.0, size, true, line);
            }
            x += widths[c];
        }
        w.y -= header_h;
    };
    header(w);
    for (r, row) in table.rows.iter().enumerate() {
        if w.y - row_h < MARGIN + 20.0 {
            w.ensure(PAGE_H);
            header(w);
        }
        let baseline = w.y - row_h + 4.0;
        let mut x = MARGIN;
        for (c, cell) in row.iter().enumerate() {
            let text = fit(&cells[r][c], size, false, widths[c] - 6.0);
            match cell {
                Cell::Int(_) | Cell::Num(_) => w.text_right(x + widths[c] - 3.0, baseline, size, false, &text),
                Cell::Empty => w.text_right(x + widths[c] - 3.0, baseline, size, false, "–"),
                Cell::Text(_) => w.text(x + 3.0, baseline, size, false, &text),
            }
            x += widths[c];
        }
        w.y -= row_h;
        w.line(MARGIN, w.y, MARGIN + widths.iter().sum::<f32>(), w.y, 0.85);
    }
}

fn pdf_date(t: chrono::DateTime<chrono::Utc>) -> Date {
    Date::new(t.year().clamp(0, 9999) as u16)
        .month(t.month() as u8)
        .day(t.day() as u8)
        .hour(t.hour() as u8)
        .minute(t.minute() as u8)
        .second(t.second() as u8)
        .utc_offset_hour(0)
}

pub fn render(doc: &ReportDocument) -> Vec<u8> {
    let report = &doc.report;
    let mut w = Writer::new();
    w.text(MARGIN, w.y - 16.0, 16.0, true, "Laporan Pelaksanaan Tugas Service Desk");
    w.y -= 36.0;
    let meta = [
        ("Unit", format!("{} ({})", report.scope.name, report.scope.code)),
        ("Periode", format!("{} ({} s.d. {})", report.period.title, report.period.first_day, report.period.last_day)),
        ("Keadaan per", super::local_time(doc, report.period.as_of)),
        ("Dibuat", super::local_time(doc, doc.generated_at)),
        ("SHA-256 data", doc.data_sha256.clone()),
    ]
    .into_iter()
    .chain(super::history_note(doc))
    .collect::<Vec<_>>();
    for (label, value) in &meta {
        w.text(MARGIN, w.y, 9.0, true, label);
        w.text(MARGIN + 80.0, w.y, if label.starts_with("SHA") { 7.5 } else { 9.0 }, false, value);
        w.y -= 13.0;
    }
    for c in charts::charts(report) {
        chart(&mut w, &c);
    }
    for t in report.tables() {
        table(&mut w, &t);
    }
    w.ensure(30.0);
    w.y -= 20.0;
    for line in wrap(
        "Waktu SLA dihitung dalam waktu kerja menurut kalender layanan; tiket dihitung pada periode saat tiket masuk. \
         SHA-256 data adalah sidik bagian data laporan (JSON) dan sama untuk data yang sama.",
        7.5,
        false,
        PAGE_W - 2.0 * MARGIN,
    ) {
        w.text(MARGIN, w.y, 7.5, false, &line);
        w.y -= 10.0;
    }

    let footer = format!("meja · {} · {}", report.scope.name, report.period.title);
    let title = format!("Laporan Pelaksanaan Tugas — {} — {}", report.scope.name, report.period.title);
    assemble(w, &title, &footer, doc.generated_at)
}

/// The pages of `w` as one A4 PDF: Helvetica in WinAnsi, a footer with the page numbers.
fn assemble(mut w: Writer, title: &str, footer: &str, created: chrono::DateTime<chrono::Utc>) -> Vec<u8> {
    let total = w.pages.len();
    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let (regular, bold, info) = (Ref::new(3), Ref::new(4), Ref::new(5));
    let first_page = 6;
    let page_ids: Vec<Ref> = (0..total).map(|i| Ref::new(first_page + 2 * i as i32)).collect();
    pdf.catalog(catalog).pages(tree).lang(TextStr("id"));
    pdf.pages(tree).kids(page_ids.iter().copied()).count(total as i32);
    pdf.type1_font(regular).base_font(Name(b"Helvetica")).encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold).base_font(Name(b"Helvetica-Bold")).encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.document_info(info).title(TextStr(title)).creator(TextStr("meja")).creation_date(pdf_date(created));
    let pages = std::mem::take(&mut w.pages);
    for (i, mut content) in pages.into_iter().enumerate() {
        let label = format!("halaman {} dari {total}", i + 1);
        for (text, x) in [(footer, MARGIN), (label.as_str(), PAGE_W - MARGIN - width(&label, 7.0, false))] {
            let bytes = win_ansi(&fit(text, 7.0, false, 380.0));
            content.begin_text();
            content.set_font(REGULAR, 7.0);
            content.next_line(x, MARGIN - 16.0);
            content.show(Str(&bytes));
            content.end_text();
        }
        let page_id = page_ids[i];
        let content_id = Ref::new(page_id.get() + 1);
        let mut page = pdf.page(page_id);
        page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H));
        page.parent(tree);
        page.contents(content_id);
        let mut resources = page.resources();
        resources.fonts().pair(REGULAR, regular).pair(BOLD, bold);
        resources.finish();
        page.finish();
        pdf.stream(content_id, &content.finish());
    }
    pdf.finish()
}

/// A written document (the incident notice): a title, labelled facts, then sections of
/// paragraphs, wrapped to the page, on A4.
pub struct TextDocument<'a> {
    pub title: &'a str,
    pub facts: &'a [(String, String)],
    pub sections: &'a [(String, Vec<String>)],
    pub footer: &'a str,
    pub created: chrono::DateTime<chrono::Utc>,
}

pub fn render_text(doc: &TextDocument) -> Vec<u8> {
    let mut w = Writer::new();
    let text_width = PAGE_W - 2.0 * MARGIN;
    for line in wrap(doc.title, 15.0, true, text_width) {
        w.text(MARGIN, w.y - 16.0, 15.0, true, &line);
        w.y -= 20.0;
    }
    w.y -= 10.0;
    for (label, value) in doc.facts {
        let lines = wrap(value, 9.0, false, text_width - 120.0);
        w.ensure(13.0 * lines.len() as f32);
        w.text(MARGIN, w.y, 9.0, true, label);
        for line in lines {
            w.text(MARGIN + 120.0, w.y, 9.0, false, &line);
            w.y -= 13.0;
        }
    }
    for (heading, paragraphs) in doc.sections {
        w.heading(heading);
        for paragraph in paragraphs {
            for source_line in paragraph.lines() {
                for line in wrap(source_line, 9.5, false, text_width) {
                    w.ensure(14.0);
                    w.y -= 13.0;
                    w.text(MARGIN, w.y, 9.5, false, &line);
                }
            }
            w.y -= 6.0;
        }
    }
    assemble(w, doc.title, doc.footer, doc.created)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_and_encodes_text() {
        assert!((width("0000", 10.0, false) - 22.24).abs() < 0.01);
        assert_eq!(win_ansi("Rp 5–10 é?"), b"Rp 5\x9610 \xe9?".to_vec());
        assert_eq!(win_ansi("日本"), b"??".to_vec());
        let cut = fit("Dinas Komunikasi dan Informatika", 8.0, false, 60.0);
        assert!(cut.ends_with('…') && width(&cut, 8.0, false) <= 60.0, "{cut}");
        assert_eq!(wrap("Kepatuhan respons (%)", 8.0, true, 50.0).len(), 2);
    }
}
