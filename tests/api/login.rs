//! Signing in through the console's form, shared by the page tests and the page benchmark.

/// Signs in through the sign-in form as a browser does: the form first (its CSRF cookie and
/// token), then the post.
pub fn post_login(
    agent: &ureq::Agent,
    base: &str,
    username: &str,
    password: &str,
) -> Result<ureq::Response, Box<ureq::Error>> {
    post_login_next(agent, base, username, password, "/konsol")
}

/// The same, with the page to go to afterwards.
pub fn post_login_next(
    agent: &ureq::Agent,
    base: &str,
    username: &str,
    password: &str,
    next: &str,
) -> Result<ureq::Response, Box<ureq::Error>> {
    let form = agent.get(&format!("{base}/masuk")).call()?;
    let cookie = form
        .all("Set-Cookie")
        .into_iter()
        .find(|c| c.starts_with("meja_csrf="))
        .and_then(|c| c.split(';').next())
        .unwrap_or_default()
        .to_string();
    let html = form.into_string().unwrap_or_default();
    let start = html.find("name=\"csrf\" value=\"").map_or(html.len(), |i| i + "name=\"csrf\" value=\"".len());
    let token = html[start..].split('"').next().unwrap_or_default().to_string();
    Ok(agent.post(&format!("{base}/masuk")).set("Cookie", &cookie).send_form(&[
        ("username", username),
        ("password", password),
        ("next", next),
        ("csrf", &token),
    ])?)
}
