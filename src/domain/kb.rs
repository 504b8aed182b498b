//! Knowledge-base words: what a search looks for, and an article's address.

/// Words that say nothing about the problem (Bahasa Indonesia and English).
const STOPWORDS: &[&str] = &[
    "yang",
    "dan",
    "atau",
    "di",
    "ke",
    "dari",
    "untuk",
    "pada",
    "dengan",
    "tidak",
    "bisa",
    "dapat",
    "saya",
    "kami",
    "ada",
    "ini",
    "itu",
    "sudah",
    "belum",
    "sejak",
    "juga",
    "akan",
    "karena",
    "agar",
    "mohon",
    "tolong",
    "apa",
    "bagaimana",
    "kenapa",
    "the",
    "and",
    "for",
    "with",
    "not",
    "can",
    "cannot",
    "this",
    "that",
    "from",
];

/// The words of `text` worth searching for: letters and digits, at least 3 characters, no
/// stopwords, at most 8.
pub fn search_terms(text: &str) -> Vec<String> {
    let mut terms: Vec<String> = Vec::new();
    for word in text.split(|c: char| !c.is_alphanumeric()) {
        let word = word.to_lowercase();
        if word.chars().count() >= 3 && !STOPWORDS.contains(&word.as_str()) && !terms.contains(&word) {
            terms.push(word);
        }
        if terms.len() == 8 {
            break;
        }
    }
    terms
}

/// `cara-reset-kata-sandi-simpus` from a title.
pub fn slugify(title: &str) -> String {
    let mut slug = String::new();
    for c in title.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
        if slug.len() >= 60 {
            break;
        }
    }
    let slug = slug.trim_end_matches('-').to_string();
    if slug.is_empty() {
        "artikel".into()
    } else {
        slug
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_and_slugs() {
        assert_eq!(search_terms("Saya tidak bisa login ke SIMPUS, error 500!"), ["login", "simpus", "error", "500"]);
        assert_eq!(search_terms("\"x\" OR * NEAR(a b)"), ["near"]);
        assert_eq!(slugify("Cara Reset Kata Sandi SIMPUS?"), "cara-reset-kata-sandi-simpus");
        assert_eq!(slugify("!!!"), "artikel");
    }
}
