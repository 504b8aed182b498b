//! The words of a ticket search and how matches are shown (issue 17). Whatever someone types,
//! quotes, operators, SQL or FTS syntax, or pages of text, becomes at most [`MAX_WORDS`] plain
//! words of letters and digits, so no input can change the meaning of the query the database
//! runs. Each word matches as a prefix, and every word must match.

/// More words than this add nothing a person can read in a queue.
pub const MAX_WORDS: usize = 8;
/// A longer "word" (a pasted hash, a URL's path) is cut here.
const MAX_WORD_CHARS: usize = 64;

/// The search words of `text`, lower-case, each once, in the order typed.
pub fn words(text: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for word in text.split(|c: char| !c.is_alphanumeric()) {
        if word.is_empty() {
            continue;
        }
        // Lower-casing can add combining marks ("İ" becomes "i" and a dot): letters and digits only.
        let word: String = word.to_lowercase().chars().filter(|c| c.is_alphanumeric()).take(MAX_WORD_CHARS).collect();
        if !word.is_empty() && !words.contains(&word) {
            words.push(word);
        }
        if words.len() == MAX_WORDS {
            break;
        }
    }
    words
}

/// Whether `word` matches as the start of words, or (one or two characters, which start too
/// many words to be worth it: "si") only as a whole word.
pub fn is_prefix(word: &str) -> bool {
    word.chars().count() > 2
}

/// A word as an SQLite FTS5 phrase, quoted: any of `forms` when the caller found the words of
/// the index it starts (`db::ticket_search`), else a prefix where [`is_prefix`], else the
/// whole word. Forms are used only if they are letters and digits, like the word.
pub fn fts5_phrase(word: &str, forms: Option<&[String]>) -> String {
    match forms {
        Some(forms) if !forms.is_empty() && forms.iter().all(|f| f.chars().all(char::is_alphanumeric)) => {
            let any = forms.iter().map(|f| format!("\"{f}\"")).collect::<Vec<_>>().join(" OR ");
            format!("({any})")
        }
        _ if is_prefix(word) => format!("\"{word}\"*"),
        _ => format!("\"{word}\""),
    }
}

/// SQLite FTS5: every phrase ([`fts5_phrase`]) required (`"simpus"* AND "mati"* AND "3"`);
/// `columns` narrows the match to those columns.
pub fn fts5_query(phrases: &[String], columns: Option<&[&str]>) -> String {
    let all = phrases.join(" AND ");
    match columns {
        Some(columns) => format!("{{{}}} : ({all})", columns.join(" ")),
        None => all,
    }
}

/// `text` as HTML with every word that starts with a search word in `<mark>`.
pub fn highlight(text: &str, words: &[String]) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while !rest.is_empty() {
        let start = rest.find(|c: char| c.is_alphanumeric()).unwrap_or(rest.len());
        escape_into(&mut out, &rest[..start]);
        rest = &rest[start..];
        let end = rest.find(|c: char| !c.is_alphanumeric()).unwrap_or(rest.len());
        let word = &rest[..end];
        if !word.is_empty() {
            let lower = word.to_lowercase();
            if words.iter().any(|w| if is_prefix(w) { lower.starts_with(w.as_str()) } else { lower == *w }) {
                out.push_str("<mark>");
                escape_into(&mut out, word);
                out.push_str("</mark>");
            } else {
                escape_into(&mut out, word);
            }
        }
        rest = &rest[end..];
    }
    out
}

/// Up to `width` characters of `text` around its first match, highlighted, with "…" where
/// it was cut; `None` when no word matches.
pub fn excerpt(text: &str, words: &[String], width: usize) -> Option<String> {
    let lower = text.to_lowercase();
    // Positions in characters: lower-casing can change byte lengths.
    let chars: Vec<char> = text.chars().collect();
    let lower_chars: Vec<char> = lower.chars().collect();
    if chars.len() != lower_chars.len() {
        return words.iter().any(|w| lower.contains(w.as_str())).then(|| highlight(text, words));
    }
    let starts_word = |i: usize| i == 0 || !lower_chars[i - 1].is_alphanumeric();
    let ends_word = |i: usize| i >= lower_chars.len() || !lower_chars[i].is_alphanumeric();
    let hit = (0..lower_chars.len()).find(|&i| {
        starts_word(i)
            && words.iter().any(|w| {
                let w: Vec<char> = w.chars().collect();
                lower_chars[i..].starts_with(&w) && (is_prefix(&w.iter().collect::<String>()) || ends_word(i + w.len()))
            })
    })?;
    let from = hit.saturating_sub(width / 3);
    let to = (from + width).min(chars.len());
    let piece: String = chars[from..to].iter().collect();
    let mut out = String::new();
    if from > 0 {
        out.push('…');
    }
    out.push_str(&highlight(&piece, words));
    if to < chars.len() {
        out.push('…');
    }
    Some(out)
}

fn escape_into(out: &mut String, text: &str) {
    out.push_str(&super::markdown::escape_html(text));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_input_becomes_plain_words() {
        assert_eq!(
            words("SIMPUS \"mati\" OR 1=1; DROP TABLE tickets --"),
            ["simpus", "mati", "or", "1", "drop", "table", "tickets"]
        );
        assert_eq!(words("NEAR(a b) * ^col: \"x\"*"), ["near", "a", "b", "col", "x"]);
        assert_eq!(words("SD-2026-000042"), ["sd", "2026", "000042"]);
        assert!(words("'\"()*:^-+").is_empty());
        let long = "kata ".repeat(2_000) + &"x".repeat(10_000);
        assert_eq!(words(&long), ["kata", &"x".repeat(64)]);
        assert_eq!(words(&"a1 b2 c3 d4 e5 f6 g7 h8 i9 j10 ".repeat(100)).len(), MAX_WORDS);
        assert_eq!(words("Kartu Keluarga kartu"), ["kartu", "keluarga"]);
    }

    #[test]
    fn fts5_queries_quote_every_word() {
        let phrases = |text: &str| words(text).iter().map(|w| fts5_phrase(w, None)).collect::<Vec<_>>();
        assert_eq!(fts5_query(&phrases("simpus mati"), None), "\"simpus\"* AND \"mati\"*");
        assert_eq!(
            fts5_query(&phrases("simpus mati"), Some(&["title", "body"])),
            "{title body} : (\"simpus\"* AND \"mati\"*)"
        );
        assert_eq!(
            fts5_query(&phrases("nomor 3 ab"), None),
            "\"nomor\"* AND \"3\" AND \"ab\"",
            "short words are whole words"
        );
        assert_eq!(words("İzin"), ["izin"], "no combining mark left by lower-casing");
    }

    #[test]
    fn a_prefix_can_be_searched_as_the_words_it_starts() {
        let forms = vec!["sertifikat".to_string(), "sertifikatnya".to_string()];
        assert_eq!(fts5_phrase("sertifikat", Some(&forms)), "(\"sertifikat\" OR \"sertifikatnya\")");
        assert_eq!(fts5_phrase("sertifikat", Some(&[])), "\"sertifikat\"*", "none found: the prefix finds none");
        let odd = vec!["ser\"tifikat".to_string()];
        assert_eq!(
            fts5_phrase("sertifikat", Some(&odd)),
            "\"sertifikat\"*",
            "a form that is not a plain word is not quoted in"
        );
    }

    #[test]
    fn matches_are_marked_and_the_rest_escaped() {
        let w = words("simpu login");
        assert_eq!(
            highlight("<b>SIMPUS</b> tidak bisa Login & lambat", &w),
            "&lt;b&gt;<mark>SIMPUS</mark>&lt;/b&gt; tidak bisa <mark>Login</mark> &amp; lambat"
        );
        assert_eq!(highlight("pembayaran", &words("bayar")), "pembayaran", "a prefix, not any substring");
    }

    #[test]
    fn excerpts_centre_on_the_first_match() {
        let text = format!("{} server SIMPUS mati sejak pagi {}", "awal ".repeat(40), "akhir ".repeat(40));
        let cut = excerpt(&text, &words("simpus"), 60).expect("a match");
        assert!(cut.starts_with('…') && cut.ends_with('…'), "{cut}");
        assert!(cut.contains("<mark>SIMPUS</mark>"), "{cut}");
        assert_eq!(excerpt("tidak ada", &words("simpus"), 60), None);
        assert_eq!(
            excerpt("sistem mati, ruang 3", &words("3"), 60).as_deref(),
            Some("sistem mati, ruang <mark>3</mark>")
        );
        assert_eq!(excerpt("ruang 300", &words("3"), 60), None, "a short word is a whole word");
    }
}
