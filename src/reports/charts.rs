//! The three charts of a report (volume per day, SLA compliance per priority, backlog by age)
//! as plain data, drawn as SVG in HTML and as vector paths in the PDF.

use crate::domain::report::Report;

pub struct Series {
    pub name: &'static str,
    /// RGB, 0–255.
    pub color: (u8, u8, u8),
}

pub struct Bar {
    pub label: String,
    /// One value per series; `None` where there is nothing to measure.
    pub values: Vec<Option<f64>>,
}

pub struct Chart {
    pub title: &'static str,
    pub series: Vec<Series>,
    pub bars: Vec<Bar>,
    /// The top of the scale.
    pub max: f64,
    pub percent: bool,
}

const BLUE: (u8, u8, u8) = (31, 95, 153);
const GREEN: (u8, u8, u8) = (46, 125, 50);
const ORANGE: (u8, u8, u8) = (200, 110, 20);

/// A round top for a count scale: 1, 2, 5, 10, 20, 50 …
fn nice_max(max: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let mut step = 1.0;
    loop {
        for m in [1.0, 2.0, 5.0] {
            if max <= m * step {
                return m * step;
            }
        }
        step *= 10.0;
    }
}

pub fn charts(report: &Report) -> Vec<Chart> {
    let per_day: Vec<Bar> = report
        .volume
        .per_day
        .iter()
        .map(|d| Bar {
            label: d.key.get(8..10).unwrap_or(&d.key).trim_start_matches('0').to_string(),
            values: vec![Some(d.count as f64)],
        })
        .collect();
    let day_max = per_day.iter().filter_map(|b| b.values[0]).fold(0.0, f64::max);
    let backlog: Vec<Bar> = report
        .outcomes
        .backlog_by_age
        .iter()
        .map(|b| Bar { label: b.label.clone(), values: vec![Some(b.count as f64)] })
        .collect();
    let backlog_max = backlog.iter().filter_map(|b| b.values[0]).fold(0.0, f64::max);
    vec![
        Chart {
            title: "Tiket masuk per hari",
            series: vec![Series { name: "Tiket", color: BLUE }],
            max: nice_max(day_max),
            bars: per_day,
            percent: false,
        },
        Chart {
            title: "Kepatuhan SLA per prioritas (%)",
            series: vec![
                Series { name: "Respons pertama", color: BLUE },
                Series { name: "Penyelesaian", color: GREEN },
            ],
            bars: report
                .sla
                .per_priority
                .iter()
                .map(|p| Bar {
                    label: p.priority.clone(),
                    values: vec![p.first_response.compliance_percent, p.resolution.compliance_percent],
                })
                .collect(),
            max: 100.0,
            percent: true,
        },
        Chart {
            title: "Umur tunggakan akhir periode",
            series: vec![Series { name: "Tiket", color: ORANGE }],
            max: nice_max(backlog_max),
            bars: backlog,
            percent: false,
        },
    ]
}

/// Format a value for a bar's label.
pub fn value_label(value: f64, percent: bool) -> String {
    if percent {
        format!("{value:.1}%")
    } else if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        // A half-way scale line of an odd top (2.5 of 5) says so.
        format!("{value:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::nice_max;

    #[test]
    fn scales_are_round() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(3.0), 5.0);
        assert_eq!(nice_max(17.0), 20.0);
        assert_eq!(nice_max(120.0), 200.0);
        assert_eq!(nice_max(1000.0), 1000.0);
    }
}
