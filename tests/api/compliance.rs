//! Issue 18: the compliance map cannot rot silently. Every test `docs/compliance.md` cites (as
//! `path::name`) must exist, and every article of the regulation excerpts must have a row.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn compliance_map() -> String {
    std::fs::read_to_string(root().join("docs/compliance.md")).expect("docs/compliance.md")
}

/// Every inline-code span of the form `path::name` whose path looks like a test file.
fn cited_tests(text: &str) -> Vec<(String, String)> {
    let mut cited = Vec::new();
    for (i, span) in text.split('`').enumerate() {
        if i % 2 == 0 {
            continue; // outside backticks
        }
        let Some((path, name)) = span.split_once("::") else { continue };
        let is_test_file = [".rs", ".mjs", ".py"].iter().any(|ext| path.ends_with(ext));
        let plain_name = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if is_test_file && plain_name && !path.contains(' ') {
            cited.push((path.to_string(), name.to_string()));
        }
    }
    cited
}

#[test]
fn every_test_the_compliance_map_cites_exists() {
    let map = compliance_map();
    let cited = cited_tests(&map);
    assert!(cited.len() >= 40, "the map cites tests as `path::name`: found {}", cited.len());
    let mut missing = Vec::new();
    for (path, name) in &cited {
        let file = root().join(path);
        let Ok(source) = std::fs::read_to_string(&file) else {
            missing.push(format!("{path} (no such file)"));
            continue;
        };
        let found = if path.ends_with(".rs") {
            source.contains(&format!("fn {name}(")) || source.contains(&format!("fn {name}<"))
        } else {
            source.contains(name.as_str())
        };
        if !found {
            missing.push(format!("{path}::{name}"));
        }
    }
    assert!(missing.is_empty(), "docs/compliance.md cites tests that do not exist: {missing:#?}");
}

/// The articles a section of the excerpts is about: from its heading (`Pasal 33 dan 36`,
/// `Pasal 1 angka 31-32`), or, where the heading names none, the first `Pasal N` of its text.
fn articles(heading: &str, body: &[&str]) -> Vec<String> {
    let source = if heading.contains("Pasal") {
        heading.to_string()
    } else {
        body.iter().map(|l| l.trim()).find(|l| l.starts_with("Pasal ")).unwrap_or_default().to_string()
    };
    let Some((_, after)) = source.split_once("Pasal ") else { return Vec::new() };
    let after = after.split('(').next().unwrap_or_default();
    if let Some((_, range)) = after.split_once("angka ") {
        let bounds: Vec<u32> = range.split(['-', '–']).filter_map(|n| n.trim().parse().ok()).collect();
        return match bounds.as_slice() {
            [from, to] => (*from..=*to).map(|n| format!("angka {n}")).collect(),
            [one] => vec![format!("angka {one}")],
            _ => Vec::new(),
        };
    }
    after.split(|c: char| !c.is_ascii_digit()).filter(|n| !n.is_empty()).map(|n| format!("Pasal {n}")).collect()
}

/// (city, article) for every regulation section of the excerpts.
fn excerpt_articles(text: &str) -> Vec<(String, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(heading) = line.strip_prefix("## ") else { continue };
        let Some((_, after)) = heading.split_once("Walikota ") else { continue };
        let city = after.split_whitespace().next().unwrap_or_default().trim_end_matches(',').to_string();
        let end = lines[i + 1..].iter().position(|l| l.starts_with("## ")).map_or(lines.len(), |p| i + 1 + p);
        for article in articles(heading, &lines[i + 1..end]) {
            found.push((city.clone(), article));
        }
    }
    found
}

fn excerpts_path() -> Option<PathBuf> {
    let path = root().parent().map(|p| p.join("shared/regulations/excerpts.md"))?;
    path.exists().then_some(path)
}

#[test]
fn every_article_of_the_excerpts_has_a_row() {
    let Some(path) = excerpts_path() else {
        eprintln!(
            "skipped: the regulation excerpts (shared/regulations/excerpts.md beside the repository) are not here"
        );
        return;
    };
    let excerpts = std::fs::read_to_string(Path::new(&path)).expect("excerpts");
    let wanted = excerpt_articles(&excerpts);
    assert!(wanted.len() >= 8, "read the articles of the excerpts: {wanted:?}");
    let map = compliance_map();
    let rows: Vec<&str> = map.lines().filter(|l| l.starts_with('|') && !l.starts_with("|---")).collect();
    let has_row = |city: &str, article: &str| {
        rows.iter().any(|row| {
            let first_cell = row.trim_start_matches('|').split('|').next().unwrap_or_default();
            first_cell.contains(city)
                && first_cell.match_indices(article).any(|(at, _)| {
                    let next = first_cell[at + article.len()..].chars().next();
                    !next.is_some_and(|c| c.is_ascii_digit())
                })
        })
    };
    let missing: Vec<_> = wanted.iter().filter(|(city, article)| !has_row(city, article)).collect();
    assert!(missing.is_empty(), "articles of the excerpts without a row in docs/compliance.md: {missing:?}");
}

#[test]
fn the_excerpt_reader_finds_articles_in_headings_and_text() {
    let text = "## Peraturan Walikota Pontianak No. 47 Tahun 2021, Pasal 33 dan 36 (keamanan)\n\nPasal 33\n\
                ## Peraturan Walikota Surakarta No. 8 Tahun 2022 (pengaduan)\n\nPengaduan\n\nPasal 39\n\
                ## Peraturan Walikota Madiun Tahun 2021, Pasal 1 angka 31-32 (definisi)\n";
    let found = excerpt_articles(text);
    let pairs: Vec<(&str, &str)> = found.iter().map(|(c, a)| (c.as_str(), a.as_str())).collect();
    assert_eq!(
        pairs,
        vec![
            ("Pontianak", "Pasal 33"),
            ("Pontianak", "Pasal 36"),
            ("Surakarta", "Pasal 39"),
            ("Madiun", "angka 31"),
            ("Madiun", "angka 32"),
        ]
    );
    assert_eq!(cited_tests("see `tests/api/sla.rs::a_b` and `meja::x` and `src/a.rs::not a name`").len(), 1);
}

crate::both_databases!(the_console_links_the_compliance_map);

fn the_console_links_the_compliance_map(app: &crate::helpers::TestApp) {
    app.city();
    let browser = crate::helpers::Browser::sign_in(app, "t1_dinkes", crate::helpers::PASSWORD);
    let reports = browser.get("/konsol/laporan");
    assert!(reports.body.contains("href=\"/konsol/laporan/kepatuhan\""), "{}", reports.body);
    let map = browser.get("/konsol/laporan/kepatuhan");
    assert_eq!(map.status, 200);
    assert!(map.body.contains("<table>") && map.body.contains("Madiun 2021 Pasal 1 angka 31"), "rendered as tables");
    assert!(!map.body.contains("&lt;br&gt;"), "cell line breaks are not shown as text");
    // Not for anyone without a session.
    let anonymous = ureq::AgentBuilder::new().redirects(0).build();
    let r = crate::helpers::answer(anonymous.get(&format!("{}/konsol/laporan/kepatuhan", app.base)).call());
    assert_eq!(r.status, 303);
}
