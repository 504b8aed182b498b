//! Where a redirect may go: only a path of this site. Targets come from query strings (`?ke=`
//! of the language switch, `next`/`lanjut` of the sign-in), so they are decoded by the `url`
//! crate, refused if they hold control characters, whitespace or backslashes (browsers turn
//! `/\t/evil.example` and `/\evil.example` into `//evil.example`), and resolved against a
//! placeholder origin: what does not stay on that origin is refused.

use url::Url;

const PLACEHOLDER: &str = "http://meja.invalid/";

/// The path (and query) of `target` if it names a page of this site, else `None`.
pub fn local_path(target: &str) -> Option<String> {
    if !target.starts_with('/') || target.starts_with("//") {
        return None;
    }
    if target.chars().any(|c| c.is_control() || c.is_whitespace() || c == '\\') {
        return None;
    }
    let base = Url::parse(PLACEHOLDER).ok()?;
    let resolved = base.join(target).ok()?;
    if resolved.origin() != base.origin() || resolved.username() != "" || resolved.password().is_some() {
        return None;
    }
    let mut path = resolved.path().to_string();
    if let Some(query) = resolved.query() {
        path.push('?');
        path.push_str(query);
    }
    Some(path)
}

/// The value of `name` in a query string, decoded.
pub fn query_value(query: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_of_this_site() {
        assert_eq!(local_path("/konsol?status=open"), Some("/konsol?status=open".into()));
        assert_eq!(local_path("/lacak/SD-2026-000001?token=abc"), Some("/lacak/SD-2026-000001?token=abc".into()));
        for evil in [
            "//evil.example/x",
            "/\t/evil.example/x",
            "/\\evil.example",
            "/\n/x",
            "/\r\nSet-Cookie: a=b",
            "https://evil.example/",
            "javascript:alert(1)",
            "evil.example",
            "/ /evil.example",
            "",
        ] {
            assert_eq!(local_path(evil), None, "{evil:?}");
        }
    }

    #[test]
    fn query_values_are_decoded_by_the_url_crate() {
        assert_eq!(query_value("ke=%2Fkonsol%3Fa%3D1", "ke"), Some("/konsol?a=1".into()));
        assert_eq!(query_value("x=1&ke=/%09/evil.example/x", "ke"), Some("/\t/evil.example/x".into()));
        assert_eq!(query_value("x=1", "ke"), None);
    }
}
