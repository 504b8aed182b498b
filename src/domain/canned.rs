//! Canned replies' placeholders (issue 15): `{{nomor}}` and friends, checked when a reply is
//! saved and filled in with one ticket's facts when it is used.

/// The placeholders a canned reply may use, in the order the console lists them.
pub const PLACEHOLDERS: [&str; 5] = ["nomor", "nama_pelapor", "layanan", "unit", "petugas"];

/// What the placeholders stand for on one ticket.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// The ticket's number.
    pub nomor: String,
    /// The requester's name.
    pub nama_pelapor: String,
    /// The service's name, or empty when the ticket names none.
    pub layanan: String,
    /// The unit's name.
    pub unit: String,
    /// The name of the agent who sends the reply.
    pub petugas: String,
}

impl Facts {
    fn value(&self, name: &str) -> Option<&str> {
        Some(match name {
            "nomor" => &self.nomor,
            "nama_pelapor" => &self.nama_pelapor,
            "layanan" => &self.layanan,
            "unit" => &self.unit,
            "petugas" => &self.petugas,
            _ => return None,
        })
    }
}

/// The text split at its placeholders: literal text, and `{{name}}` with the name trimmed.
enum Piece<'a> {
    Text(&'a str),
    Placeholder(&'a str),
}

fn pieces(body: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start + 2..].find("}}") else { break };
        out.push(Piece::Text(&rest[..start]));
        out.push(Piece::Placeholder(rest[start + 2..start + 2 + len].trim()));
        rest = &rest[start + 2 + len + 2..];
    }
    out.push(Piece::Text(rest));
    out
}

/// The first placeholder of `body` that is not one of `PLACEHOLDERS`, if any.
pub fn unknown_placeholder(body: &str) -> Option<String> {
    pieces(body).into_iter().find_map(|p| match p {
        Piece::Placeholder(name) if !PLACEHOLDERS.contains(&name) => Some(format!("{{{{{name}}}}}")),
        _ => None,
    })
}

/// `body` with every placeholder replaced by the ticket's fact. Unknown placeholders (only in
/// replies saved before a check existed) are left as written.
pub fn fill(body: &str, facts: &Facts) -> String {
    let mut out = String::with_capacity(body.len() + 64);
    for piece in pieces(body) {
        match piece {
            Piece::Text(text) => out.push_str(text),
            Piece::Placeholder(name) => match facts.value(name) {
                Some(value) => out.push_str(value),
                None => {
                    out.push_str("{{");
                    out.push_str(name);
                    out.push_str("}}");
                }
            },
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> Facts {
        Facts {
            nomor: "SD-2026-000042".into(),
            nama_pelapor: "Budi Santoso".into(),
            layanan: "SIMPUS".into(),
            unit: "Dinas Kesehatan".into(),
            petugas: "Rina".into(),
        }
    }

    #[test]
    fn placeholders_are_filled_with_the_tickets_facts() {
        let body = "Yth. {{nama_pelapor}}, laporan {{ nomor }} tentang {{layanan}} ({{unit}}) sudah kami terima. Salam, {{petugas}}";
        assert_eq!(
            fill(body, &facts()),
            "Yth. Budi Santoso, laporan SD-2026-000042 tentang SIMPUS (Dinas Kesehatan) sudah kami terima. Salam, Rina"
        );
    }

    #[test]
    fn unknown_placeholders_are_named() {
        assert_eq!(unknown_placeholder("Halo {{nama}}"), Some("{{nama}}".into()));
        assert_eq!(unknown_placeholder("Halo {{nama_pelapor}}, {{nomor}}"), None);
        // Braces that do not close are text.
        assert_eq!(unknown_placeholder("kurung {{ tanpa tutup"), None);
        assert_eq!(fill("kurung {{ tanpa tutup", &facts()), "kurung {{ tanpa tutup");
    }

    #[test]
    fn a_fact_that_looks_like_a_placeholder_is_not_filled_again() {
        let mut f = facts();
        f.nama_pelapor = "{{nomor}}".into();
        assert_eq!(fill("{{nama_pelapor}}", &f), "{{nomor}}");
    }
}
