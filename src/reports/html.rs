//! HTML: one self-contained page (inline CSS, SVG charts, no script) that prints well on A4.

use std::fmt::Write;

use super::charts::{self, Chart};
use crate::domain::report::{column_label, Cell, ReportDocument, Table};

/// The report is self-contained with inline CSS and no script: nothing else may load or run,
/// wherever it is served (the console, the API).
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

pub use crate::domain::markdown::escape_html as escape;

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0 auto;max-width:60rem;\
padding:1rem;color:#1b1f23;line-height:1.4}h1{font-size:1.5rem;margin-bottom:.25rem}h2{font-size:1.15rem;\
margin-top:2rem;border-bottom:2px solid #1f5f99;padding-bottom:.2rem}dl.meta{display:grid;grid-template-columns:\
max-content 1fr;gap:.2rem 1rem;font-size:.9rem}dl.meta dt{font-weight:600}dl.meta dd{margin:0;word-break:break-all}\
.scroll{overflow-x:auto}table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0;min-width:50%}\
th,td{border:1px solid #c8ccd0;padding:.25rem .5rem;text-align:left}td.n{text-align:right;font-variant-numeric:\
tabular-nums}th{background:#eef3f8}figure{margin:1rem 0}figcaption{font-weight:600;margin-bottom:.25rem}\
svg{max-width:100%;height:auto}.empty{color:#5f6b76;font-style:italic}@media print{body{max-width:none}h2{break-after:avoid}}";

fn table_html(out: &mut String, table: &Table) {
    let _ = write!(out, "<h2 id=\"{}\">{}</h2>", table.name, escape(table.title));
    if table.rows.is_empty() {
        out.push_str("<p class=\"empty\">Tidak ada data pada periode ini.</p>");
        return;
    }
    out.push_str("<div class=\"scroll\"><table><thead><tr>");
    for column in &table.columns {
        let _ = write!(out, "<th scope=\"col\">{}</th>", escape(column_label(column)));
    }
    out.push_str("</tr></thead><tbody>");
    for row in &table.rows {
        out.push_str("<tr>");
        for cell in row {
            match cell {
                Cell::Int(_) | Cell::Num(_) => {
                    let _ = write!(out, "<td class=\"n\">{}</td>", cell.text());
                }
                Cell::Text(t) => {
                    let _ = write!(out, "<td>{}</td>", escape(t));
                }
                Cell::Empty => out.push_str("<td class=\"n\">–</td>"),
            }
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div>");
}

/// A bar chart as SVG, with a text alternative for screen readers.
pub fn chart_svg(chart: &Chart) -> String {
    // Room above the plot for the legend and the labels over full bars.
    let top = if chart.series.len() > 1 { 36.0 } else { 24.0 };
    let (width, height, left, bottom) = (640.0, 220.0, 40.0, 30.0);
    let plot_w = width - left - 10.0;
    let plot_h = height - bottom - top;
    let n = chart.bars.len().max(1) as f64;
    let slot = plot_w / n;
    let series = chart.series.len().max(1) as f64;
    let bar_w = (slot * 0.8 / series).max(1.0);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{}\">",
        escape(chart.title)
    );
    // Scale lines at 0, 50% and 100% of the top.
    for f in [0.0, 0.5, 1.0] {
        let y = top + plot_h * (1.0 - f);
        let _ = write!(
            svg,
            "<line x1=\"{left}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#c8ccd0\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"end\" fill=\"#5f6b76\">{}</text>",
            width - 10.0,
            left - 4.0,
            y + 3.0,
            charts::value_label(chart.max * f, chart.percent)
        );
    }
    let label_every = (chart.bars.len() / 16).max(1);
    for (i, bar) in chart.bars.iter().enumerate() {
        let x0 = left + slot * i as f64 + slot * 0.1;
        for (s, value) in bar.values.iter().enumerate() {
            let Some(value) = value else { continue };
            let h = (value / chart.max).clamp(0.0, 1.0) * plot_h;
            let (r, g, b) = chart.series.get(s).map_or((0, 0, 0), |s| s.color);
            let x = x0 + bar_w * s as f64;
            let _ = write!(
                svg,
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{bar_w:.1}\" height=\"{h:.1}\" fill=\"rgb({r},{g},{b})\">\
                 <title>{}: {}</title></rect>",
                top + plot_h - h,
                escape(&bar.label),
                charts::value_label(*value, chart.percent)
            );
            if chart.bars.len() <= 12 {
                let _ = write!(
                    svg,
                    "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\">{}</text>",
                    x + bar_w / 2.0,
                    top + plot_h - h - 3.0,
                    charts::value_label(*value, chart.percent)
                );
            }
        }
        if i % label_every == 0 {
            let _ = write!(
                svg,
                "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\">{}</text>",
                left + slot * (i as f64 + 0.5),
                height - bottom + 14.0,
                escape(&bar.label)
            );
        }
    }
    if chart.series.len() > 1 {
        for (s, series) in chart.series.iter().enumerate() {
            let (r, g, b) = series.color;
            let x = left + 150.0 * s as f64;
            let _ = write!(
                svg,
                "<rect x=\"{x}\" y=\"4\" width=\"10\" height=\"10\" fill=\"rgb({r},{g},{b})\"/>\
                 <text x=\"{}\" y=\"13\" font-size=\"11\">{}</text>",
                x + 14.0,
                escape(series.name)
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

pub fn render(doc: &ReportDocument) -> String {
    let report = &doc.report;
    let mut out = String::with_capacity(64 * 1024);
    let title = format!("Laporan Pelaksanaan Tugas — {} — {}", report.scope.name, report.period.title);
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"id\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title><style>{STYLE}</style>\
         </head><body><main><h1>Laporan Pelaksanaan Tugas Service Desk</h1><p>{} · {}</p><dl class=\"meta\">",
        escape(&title),
        escape(&report.scope.name),
        escape(&report.period.title),
    );
    let meta = [
        ("Unit", format!("{} ({})", report.scope.name, report.scope.code)),
        ("Periode", format!("{} s.d. {}", report.period.first_day, report.period.last_day)),
        ("Keadaan per", super::local_time(doc, report.period.as_of)),
        ("Dibuat", super::local_time(doc, doc.generated_at)),
        ("SHA-256 data", doc.data_sha256.clone()),
    ]
    .into_iter()
    .chain(super::history_note(doc))
    .collect::<Vec<_>>();
    for (label, value) in meta {
        let _ = write!(out, "<dt>{label}</dt><dd>{}</dd>", escape(&value));
    }
    out.push_str("</dl>");
    for chart in charts::charts(report) {
        let _ = write!(out, "<figure><figcaption>{}</figcaption>{}</figure>", escape(chart.title), chart_svg(&chart));
    }
    for table in report.tables() {
        table_html(&mut out, &table);
    }
    out.push_str(
        "<p class=\"empty\">Waktu SLA dihitung dalam waktu kerja menurut kalender layanan; tiket dihitung pada \
         periode saat tiket masuk.</p></main></body></html>",
    );
    out
}
