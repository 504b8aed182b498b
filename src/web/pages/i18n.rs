//! The words of the pages: Bahasa Indonesia by default (SPEC 1), English on request. One table,
//! so that a missing translation is a failing unit test, not a blank on a screen.

use actix_web::HttpRequest;

use crate::domain::role::Role;
use crate::domain::sla::TargetState;
use crate::domain::ticket::{Action, Channel, Classification, Kind, Level, Status};

pub const LANG_COOKIE: &str = "meja_bahasa";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Id,
    En,
}

impl Lang {
    pub fn from_request(req: &HttpRequest) -> Lang {
        match req.cookie(LANG_COOKIE).as_ref().map(|c| c.value()) {
            Some("en") => Lang::En,
            _ => Lang::Id,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Id => "id",
            Lang::En => "en",
        }
    }

    /// The other language, for the switch in the header.
    pub fn other(self) -> Lang {
        match self {
            Lang::Id => Lang::En,
            Lang::En => Lang::Id,
        }
    }

    pub fn t(self, key: &str) -> &'static str {
        match entries().find(|(k, _, _)| *k == key) {
            Some((_, id, en)) => match self {
                Lang::Id => id,
                Lang::En => en,
            },
            None => {
                tracing::warn!(key, "no translation");
                "?"
            }
        }
    }

    pub fn status(self, s: Status) -> &'static str {
        self.t(&format!("status.{}", s.as_str()))
    }

    pub fn kind(self, k: Kind) -> &'static str {
        self.t(&format!("kind.{}", k.as_str()))
    }

    pub fn channel(self, c: Channel) -> &'static str {
        self.t(&format!("channel.{}", c.as_str()))
    }

    pub fn level(self, l: Level) -> &'static str {
        self.t(&format!("level.{}", l.as_str()))
    }

    pub fn classification(self, c: Classification) -> &'static str {
        self.t(&format!("class.{}", c.as_str()))
    }

    pub fn role(self, r: Role) -> &'static str {
        self.t(&format!("role.{}", r.as_str()))
    }

    pub fn action(self, a: Action) -> &'static str {
        self.t(&format!("action.{}", a.as_str()))
    }

    pub fn sla_state(self, s: TargetState) -> &'static str {
        self.t(&format!("sla.{}", s.as_str()))
    }
}

/// (key, Bahasa Indonesia, English)
static TABLE: &[(&str, &str, &str)] = &[
    // Frame
    ("app.name", "meja — Service Desk SPBE", "meja — SPBE Service Desk"),
    ("app.skip", "Langsung ke isi", "Skip to content"),
    ("app.lang_switch", "English", "Bahasa Indonesia"),
    ("app.footer", "Layanan Service Desk SPBE Pemerintah Kota", "SPBE Service Desk of the City Government"),
    ("nav.portal", "Beranda", "Home"),
    ("nav.report", "Laporkan masalah", "Report a problem"),
    ("nav.track", "Lacak tiket", "Track a ticket"),
    ("nav.kb", "Pusat bantuan", "Help centre"),
    ("nav.staff", "Masuk petugas", "Staff sign-in"),
    ("nav.queue", "Antrean", "Queue"),
    ("nav.new_ticket", "Tiket telepon", "Phone ticket"),
    ("nav.dashboard", "Dasbor", "Dashboard"),
    ("nav.reports", "Laporan", "Reports"),
    ("nav.kb_admin", "Basis pengetahuan", "Knowledge base"),
    ("nav.admin", "Administrasi", "Administration"),
    ("nav.telegram", "Telegram", "Telegram"),
    ("nav.logout", "Keluar", "Sign out"),
    ("nav.main", "Menu utama", "Main menu"),
    // Login
    ("dash.holidays_missing", "Belum ada hari libur untuk tahun depan di kalender yang dipakai SLA —", "No holidays yet for the coming year in the calendars the SLA counts in —"),
    ("dash.holidays_hint", "Tanpa itu tenggat akan berjalan melewati libur nasional dan cuti bersama. Masukkan daftar SKB 3 Menteri begitu terbit.", "Without them deadlines run through national holidays and cuti bersama. Add the SKB 3 Menteri list as soon as it is out."),
    ("dash.holidays_link", "Buka kalender", "Open the calendars"),
    ("admin.directory", "Direktori & SSO", "Directory & SSO"),
    ("admin.bulk_import", "Impor CSV", "CSV import"),
    ("directory.hint", "Kelompok di direktori (LDAP/Active Directory) atau klaim groups SSO dipetakan ke peran dan unit meja. Satu pemetaan per baris; yang pertama cocok yang berlaku.", "Directory groups (LDAP/Active Directory) or the SSO groups claim are mapped to a meja role and unit. One mapping per line; the first that matches decides."),
    ("directory.on", "aktif", "on"),
    ("directory.off", "tidak dikonfigurasi", "not configured"),
    ("directory.saved", "Pemetaan disimpan.", "Mappings saved."),
    ("directory.mappings", "Pemetaan kelompok", "Group mappings"),
    ("directory.example", "Contoh (DN yang memuat koma diberi tanda kutip):", "Example (a DN with commas is quoted):"),
    ("import.hint", "Unggah berkas CSV (UTF-8, baris pertama judul kolom). meja memeriksa semua baris dulu; impor hanya dilakukan bila tidak ada baris yang salah, dan seluruhnya sekaligus. Kata sandi tidak pernah ada di berkas: petugas baru menerima tautan untuk membuat kata sandi, atau masuk lewat direktori.", "Upload a CSV file (UTF-8, a header line first). meja checks every line first; it imports only when no line is bad, and all at once. A password is never in the file: new staff get a link to set theirs, or sign in through the directory."),
    ("import.kind", "Jenis data", "Kind of data"),
    ("import.file", "Berkas CSV", "CSV file"),
    ("import.check", "Periksa", "Check"),
    ("import.ready", "Semua baris benar. Baris yang akan diimpor:", "Every line is good. Lines to import:"),
    ("import.apply", "Impor sekarang", "Import now"),
    ("import.done", "Diimpor:", "Imported:"),
    ("import.invited", "tautan undangan dikirim:", "invitation links mailed:"),
    ("import.bad", "Tidak ada yang diimpor. Masalah yang ditemukan:", "Nothing was imported. Problems found:"),
    ("import.line", "Baris", "Line"),
    ("import.field", "Kolom", "Field"),
    ("reports.compliance", "Peta kepatuhan SPBE", "SPBE compliance map"),
    ("reports.compliance_table", "Tabel peta kepatuhan (dapat digeser ke samping)", "Compliance map table (scrolls sideways)"),
    ("reports.compliance_hint", "setiap pasal regulasi, fitur meja yang memenuhinya, uji otomatis dan bukti untuk evaluator (juga ada di paket bukti)", "every article of the regulations, the meja feature that meets it, its automated tests and the evidence for evaluators (also in the evidence pack)"),
    ("login.title", "Masuk petugas", "Staff sign-in"),
    ("login.username", "Nama pengguna", "Username"),
    ("login.password", "Kata sandi", "Password"),
    ("login.submit", "Masuk", "Sign in"),
    ("login.failed", "Nama pengguna atau kata sandi salah.", "Wrong username or password."),
    ("login.directory_down", "Direktori kepegawaian tidak dapat dihubungi; coba lagi sebentar lagi. Akun lokal meja tetap dapat masuk.", "The staff directory cannot be reached; try again shortly. Local meja accounts can still sign in."),
    ("login.not_mapped", "Akun belum dipetakan: kelompok Anda di direktori belum diberi peran dan unit di meja. Hubungi admin layanan.", "Account not mapped: your directory groups have no role and unit in meja yet. Contact the desk's admin."),
    ("login.sso", "Masuk dengan SSO", "Sign in with SSO"),
    ("login.sso_failed", "Masuk lewat SSO gagal; silakan coba lagi dari awal.", "Single sign-on failed; please start again."),
    ("login.sso_local", "Nama pengguna ini milik akun lokal meja; masuklah dengan kata sandi meja.", "This username belongs to a local meja account; sign in with its meja password."),
    ("login.sso_down", "Layanan SSO tidak dapat dihubungi; coba lagi sebentar lagi. Akun lokal meja tetap dapat masuk.", "The single sign-on cannot be reached; try again shortly. Local meja accounts can still sign in."),
    ("login.throttled", "Terlalu banyak percobaan gagal; tunggu sebentar.", "Too many failed attempts; wait a while."),
    (
        "login.requester",
        "Akun ini bukan akun petugas. Gunakan portal untuk melaporkan dan melacak tiket.",
        "This is not a staff account. Use the portal to report and track tickets.",
    ),
    // Errors
    ("error.title", "Terjadi kesalahan", "Something went wrong"),
    ("error.not_found", "Halaman atau tiket tidak ditemukan.", "Page or ticket not found."),
    ("error.forbidden", "Anda tidak berwenang membuka halaman ini.", "You may not open this page."),
    ("error.invalid", "Isian belum benar", "Please correct the form"),
    ("error.conflict", "Tindakan ini tidak dapat dilakukan sekarang", "This cannot be done now"),
    ("error.busy", "Layanan sedang sibuk; coba lagi sebentar.", "The desk is busy; try again shortly."),
    (
        "error.csrf",
        "Formulir kedaluwarsa atau tidak sah. Muat ulang halaman lalu coba lagi.",
        "The form expired or is not valid. Reload the page and try again.",
    ),
    ("error.too_many", "Terlalu banyak permintaan; coba lagi nanti.", "Too many requests; try again later."),
    ("error.back", "Kembali", "Go back"),
    // Words on tickets
    ("ticket.number", "Nomor", "Number"),
    ("ticket.title", "Judul", "Title"),
    ("ticket.description", "Uraian", "Description"),
    ("ticket.status", "Status", "Status"),
    ("ticket.priority", "Prioritas", "Priority"),
    ("ticket.kind", "Jenis", "Kind"),
    ("ticket.unit", "Perangkat Daerah", "Agency"),
    ("ticket.service", "Layanan", "Service"),
    ("ticket.tier", "Tier", "Tier"),
    ("ticket.assignee", "Petugas", "Assignee"),
    ("ticket.unassigned", "Belum ada", "Nobody"),
    ("ticket.requester", "Pelapor", "Requester"),
    ("ticket.channel", "Kanal", "Channel"),
    ("ticket.created", "Dilaporkan", "Reported"),
    ("ticket.updated", "Diperbarui", "Updated"),
    ("ticket.impact", "Dampak", "Impact"),
    ("ticket.urgency", "Urgensi", "Urgency"),
    ("ticket.classification", "Klasifikasi", "Classification"),
    ("ticket.security", "Insiden keamanan", "Security incident"),
    ("ticket.escalated", "Pernah dieskalasi", "Escalated"),
    ("ticket.first_response", "Respons pertama", "First response"),
    ("ticket.resolution", "Penyelesaian", "Resolution"),
    ("ticket.due", "Tenggat", "Due"),
    ("ticket.messages", "Percakapan", "Conversation"),
    ("ticket.timeline", "Riwayat", "History"),
    ("ticket.attachments", "Lampiran", "Attachments"),
    ("ticket.no_messages", "Belum ada pesan.", "No messages yet."),
    ("ticket.internal", "Catatan internal", "Internal note"),
    ("ticket.public", "Balasan publik", "Public reply"),
    ("ticket.reply", "Balas pelapor", "Reply to the requester"),
    ("ticket.note", "Tambah catatan internal", "Add an internal note"),
    ("ticket.send_reply", "Kirim balasan", "Send reply"),
    ("ticket.save_note", "Simpan catatan", "Save note"),
    ("ticket.actions", "Tindakan", "Actions"),
    (
        "ticket.no_actions",
        "Tidak ada tindakan yang dapat Anda lakukan pada tiket ini sekarang.",
        "There is nothing you may do with this ticket now.",
    ),
    ("ticket.reason", "Alasan", "Reason"),
    ("ticket.resolution_text", "Solusi / penyelesaian", "Solution"),
    ("ticket.return_note", "Solusi atau petunjuk untuk Tier 1", "Solution or instructions for Tier 1"),
    ("ticket.to_user", "Tugaskan kepada", "Assign to"),
    ("ticket.to_unit", "Pindahkan ke Perangkat Daerah", "Move to agency"),
    ("ticket.kb_from", "Buat artikel dari tiket ini", "Create an article from this ticket"),
    ("ticket.saved", "Tersimpan.", "Saved."),
    ("ticket.requester_contact", "Kontak", "Contact"),
    ("ticket.event_by", "oleh", "by"),
    ("ticket.system", "sistem", "system"),
    ("ticket.download", "Unduh", "Download"),
    // The requester's personal data (SPEC 6, UU 27/2022)
    ("pdp.title", "Data pribadi pelapor", "Requester's personal data"),
    (
        "pdp.hint",
        "Atas permintaan pelapor (UU 27/2022): salinan semua datanya, atau penghapusan identitasnya. Tiket tetap ada untuk statistik. Keduanya tercatat di log audit.",
        "On the requester's request (UU 27/2022): a copy of all their data, or erasure of their identity. Tickets stay for the statistics. Both are recorded in the audit log.",
    ),
    ("pdp.export", "Ekspor data (ZIP)", "Export data (ZIP)"),
    ("pdp.anonymise", "Anonimkan", "Anonymise"),
    (
        "pdp.reason",
        "Alasan (permintaan dan tanggalnya; jangan tulis nama atau kontak pelapor)",
        "Reason (the request and its date; do not write the requester's name or contact)",
    ),
    (
        "pdp.confirm",
        "Hapus identitas pelapor dari semua tiketnya? Nama, kontak, pesan dan lampirannya dihapus dan tidak dapat dikembalikan.",
        "Erase the requester's identity from all their tickets? Name, contact, messages and files are removed for good.",
    ),
    // Statuses, kinds, channels, levels
    ("status.new", "Baru", "New"),
    ("status.open", "Ditangani", "Open"),
    ("status.pending", "Menunggu pelapor", "Pending"),
    ("status.resolved", "Selesai", "Resolved"),
    ("status.closed", "Ditutup", "Closed"),
    ("status.cancelled", "Dibatalkan", "Cancelled"),
    ("kind.incident", "Gangguan", "Incident"),
    ("kind.service_request", "Permintaan", "Service request"),
    ("kind.complaint", "Keluhan", "Complaint"),
    ("kind.problem", "Masalah", "Problem"),
    ("kind.change", "Perubahan", "Change"),
    ("kind.information", "Informasi", "Information"),
    ("channel.web", "Web", "Web"),
    ("channel.email", "E-mail", "E-mail"),
    ("channel.telegram", "Telegram", "Telegram"),
    ("channel.api", "API", "API"),
    ("channel.phone", "Telepon", "Phone"),
    ("level.high", "Tinggi", "High"),
    ("level.medium", "Sedang", "Medium"),
    ("level.low", "Rendah", "Low"),
    ("class.public", "Publik", "Public"),
    ("class.internal", "Internal", "Internal"),
    ("class.confidential", "Rahasia", "Confidential"),
    ("role.requester", "Pelapor", "Requester"),
    ("role.agent_t1", "Teknisi Tier 1", "Tier 1 agent"),
    ("role.agent_t2", "Teknisi Tier 2", "Tier 2 agent"),
    ("role.supervisor", "Supervisor", "Supervisor"),
    ("role.unit_head", "Kepala PD", "Head of agency"),
    ("role.admin", "Admin", "Admin"),
    ("action.assign", "Tugaskan", "Assign"),
    ("action.start", "Mulai tangani", "Start"),
    ("action.pend", "Tunggu pelapor", "Wait for requester"),
    ("action.resume", "Lanjutkan", "Resume"),
    ("action.resolve", "Selesaikan", "Resolve"),
    ("action.close", "Tutup", "Close"),
    ("action.reopen", "Buka kembali", "Reopen"),
    ("action.cancel", "Batalkan", "Cancel"),
    ("action.escalate", "Eskalasi ke Tier 2", "Escalate to Tier 2"),
    ("action.return", "Kembalikan ke Tier 1", "Return to Tier 1"),
    ("action.transfer", "Pindahkan", "Transfer"),
    ("action.priority", "Ubah prioritas", "Change priority"),
    ("sla.running", "berjalan", "running"),
    ("sla.paused", "dijeda", "paused"),
    ("sla.met", "terpenuhi", "met"),
    ("sla.breached", "terlampaui", "breached"),
    ("sla.left", "tersisa", "left"),
    ("sla.over", "lewat", "over"),
    // Security incidents and personal-data breaches
    ("incident.title", "Insiden keamanan", "Security incident"),
    ("incident.notice_clock", "Laporan insiden tertulis (24 jam)", "Written incident notice (24 hours)"),
    ("incident.breach_clock", "Pemberitahuan kebocoran data pribadi (72 jam)", "Personal-data breach notification (72 hours)"),
    ("incident.running", "berjalan", "running"),
    ("incident.met", "terpenuhi", "met"),
    ("incident.breached", "terlampaui", "breached"),
    ("incident.done_at", "dipenuhi", "done"),
    ("incident.flag", "Tandai", "Flag"),
    ("incident.flag_security", "Insiden keamanan informasi (peretasan, malware, akses tidak sah)", "Information-security incident (hacking, malware, unauthorised access)"),
    ("incident.flag_breach", "Kebocoran data pribadi", "Personal-data breach"),
    ("incident.produce", "Buat laporan insiden (PDF dan Markdown)", "Write the incident notice (PDF and Markdown)"),
    ("incident.notified", "Catat pemberitahuan kepada subjek data dan lembaga", "Record the notification of data subjects and the authority"),
    ("incident.notified_note", "Kepada siapa, kapan, dan bagaimana", "To whom, when and how"),
    ("incident.portal_hint", "Centang bila Anda menduga peretasan, virus, akses tidak sah, atau data pribadi bocor. Laporan ini ditangani segera oleh Diskominfo.", "Tick if you suspect hacking, a virus, unauthorised access or leaked personal data. Diskominfo handles it at once."),
    // Queue
    ("queue.title", "Antrean tiket", "Ticket queue"),
    ("queue.mine", "Tiket saya", "My tickets"),
    ("queue.unit", "Antrean unit", "My agency"),
    ("queue.tier2", "Antrean Tier 2", "Tier 2 queue"),
    ("queue.all", "Semua tiket", "All tickets"),
    ("queue.filters", "Saring", "Filter"),
    ("queue.any", "Semua", "Any"),
    ("queue.active", "Aktif (baru, ditangani, menunggu)", "Active (new, open, pending)"),
    ("queue.breached", "SLA terlampaui", "SLA breached"),
    ("queue.search", "Cari nomor, judul, uraian atau pesan", "Search number, title, description or messages"),
    ("queue.apply", "Terapkan", "Apply"),
    ("queue.empty", "Tidak ada tiket yang cocok.", "No matching tickets."),
    ("queue.next", "Halaman berikutnya", "Next page"),
    ("queue.sla", "SLA", "SLA"),
    ("queue.caption", "Tiket, terbaru lebih dulu", "Tickets, newest first"),
    ("queue.caption_search", "Hasil pencarian, paling cocok lebih dulu", "Search results, best match first"),
    // New ticket (phone)
    ("new.title", "Tiket dari penelepon", "Ticket for a caller"),
    (
        "new.intro",
        "Catat laporan yang diterima lewat telepon. Pelapor menerima nomor tiket bila alamat e-mailnya diisi.",
        "Record a report received by phone. The caller gets the number by e-mail when an address is given.",
    ),
    ("new.submit", "Buat tiket", "Create ticket"),
    ("new.caller", "Nama penelepon", "Caller's name"),
    ("new.phone", "Nomor telepon", "Phone number"),
    ("new.email", "E-mail (boleh kosong)", "E-mail (optional)"),
    ("new.choose", "— pilih —", "— choose —"),
    ("new.security", "Ini insiden keamanan informasi", "This is an information-security incident"),
    // Portal
    ("portal.title", "Service Desk SPBE", "SPBE Service Desk"),
    (
        "portal.lead",
        "Satu pintu untuk melaporkan gangguan, permintaan dan keluhan atas layanan elektronik pemerintah kota.",
        "One door to report incidents, requests and complaints about the city's electronic services.",
    ),
    ("portal.report", "Laporkan masalah", "Report a problem"),
    ("portal.name", "Nama Anda", "Your name"),
    ("portal.email", "E-mail", "E-mail"),
    ("portal.phone", "Nomor telepon (boleh kosong)", "Phone (optional)"),
    (
        "portal.contact_hint",
        "Kami mengirim nomor tiket dan kabar terbaru ke e-mail ini.",
        "We send the ticket number and updates to this address.",
    ),
    ("portal.where", "Layanan atau Perangkat Daerah", "Service or agency"),
    (
        "portal.where_hint",
        "Tidak tahu? Biarkan kosong; Diskominfo akan meneruskannya.",
        "Not sure? Leave it empty; Diskominfo will route it.",
    ),
    ("portal.unknown", "Saya tidak tahu", "I don't know"),
    ("portal.summary", "Ringkasan masalah", "Summary"),
    ("portal.details", "Ceritakan masalahnya", "Describe the problem"),
    (
        "portal.details_hint",
        "Apa yang terjadi, sejak kapan, dan pesan kesalahan yang muncul.",
        "What happened, since when, and any error message.",
    ),
    ("portal.attachment", "Lampiran (gambar atau PDF, paling besar 5 MB)", "Attachment (image or PDF, at most 5 MB)"),
    ("portal.submit", "Kirim laporan", "Send report"),
    ("portal.suggest", "Mungkin artikel ini membantu:", "These articles may help:"),
    ("portal.track", "Lacak tiket", "Track a ticket"),
    (
        "portal.track_hint",
        "Buka tautan pelacakan dari e-mail atau halaman konfirmasi.",
        "Open the tracking link from your e-mail or the confirmation page.",
    ),
    ("portal.kb", "Cari solusi", "Find a solution"),
    ("portal.kb_search", "Kata kunci", "Keywords"),
    ("portal.search", "Cari", "Search"),
    ("portal.done", "Laporan diterima", "Report received"),
    ("portal.done_number", "Nomor tiket Anda", "Your ticket number"),
    (
        "portal.done_link",
        "Simpan tautan ini untuk mengikuti perkembangan dan membalas:",
        "Keep this link to follow progress and reply:",
    ),
    ("portal.done_mail", "Tautan yang sama kami kirim ke e-mail Anda.", "We sent the same link to your e-mail."),
    ("portal.open_tracking", "Buka halaman pelacakan", "Open the tracking page"),
    ("portal.honeypot", "Jangan isi kolom ini", "Leave this field empty"),
    (
        "portal.too_many",
        "Terlalu banyak laporan dari alamat ini. Coba lagi nanti atau hubungi Service Desk.",
        "Too many reports from this address. Try later or call the service desk.",
    ),
    // Tracking page
    ("track.ticket", "Tiket", "Ticket"),
    ("track.you", "Anda", "You"),
    ("track.no_reply", "Belum ada balasan.", "No reply yet."),
    ("track.rate", "Penilaian layanan", "Rate our service"),
    ("track.rate_scale", "Nilai 1 (sangat buruk) sampai 5 (sangat baik)", "From 1 (very poor) to 5 (very good)"),
    ("track.comment", "Komentar (boleh dikosongkan)", "Comment (optional)"),
    ("track.send_rating", "Kirim penilaian", "Send rating"),
    ("track.add", "Tambahkan informasi", "Add information"),
    ("track.message", "Pesan Anda", "Your message"),
    ("track.send", "Kirim", "Send"),
    (
        "track.closed",
        "Tiket ini sudah ditutup. Untuk masalah baru, laporkan kembali.",
        "This ticket is closed. For a new problem, please report again.",
    ),
    // Knowledge base
    ("kb.title", "Pusat bantuan", "Help centre"),
    ("kb.none", "Belum ada artikel yang cocok.", "No matching articles."),
    ("kb.views", "dibaca", "views"),
    ("kb.helped", "Apakah artikel ini membantu?", "Did this help?"),
    ("kb.yes", "Ya, membantu", "Yes, it helped"),
    ("kb.no", "Tidak", "No"),
    ("kb.thanks", "Terima kasih atas masukan Anda.", "Thank you for your feedback."),
    ("kb.still", "Masih butuh bantuan?", "Still need help?"),
    ("kb.new", "Artikel baru", "New article"),
    ("kb.edit", "Ubah artikel", "Edit article"),
    ("kb.body", "Isi (Markdown)", "Body (Markdown)"),
    ("kb.visibility", "Terbuka untuk", "Visible to"),
    ("kb.public", "Publik", "Public"),
    ("kb.internal", "Internal (petugas saja)", "Internal (staff only)"),
    ("kb.published", "Terbit", "Published"),
    ("kb.draft", "Draf", "Draft"),
    ("kb.save", "Simpan artikel", "Save article"),
    ("kb.helpful", "membantu", "helpful"),
    ("kb.not_helpful", "tidak membantu", "not helpful"),
    ("kb.services", "Layanan terkait", "Related services"),
    // Dashboard
    ("dash.title", "Dasbor supervisi", "Supervision dashboard"),
    ("dash.month", "Bulan ini", "This month"),
    ("dash.backlog", "Tiket aktif", "Active tickets"),
    ("dash.breaches", "SLA terlampaui (aktif)", "Open SLA breaches"),
    ("dash.compliance", "Kepatuhan SLA penyelesaian", "Resolution SLA compliance"),
    ("dash.escalation", "Tingkat eskalasi", "Escalation rate"),
    ("dash.opened", "Tiket masuk", "Opened"),
    ("dash.resolved", "Diselesaikan", "Resolved"),
    ("dash.by_unit", "Per Perangkat Daerah", "By agency"),
    ("dash.nearing", "Mendekati tenggat di seluruh kota", "Nearing breach across the city"),
    ("dash.nearing_none", "Tidak ada tiket yang mendekati tenggat.", "No ticket is nearing its deadline."),
    ("dash.total", "Seluruh kota", "City-wide"),
    // Reports
    ("reports.title", "Laporan pelaksanaan tugas", "Periodic reports"),
    ("reports.period", "Periode", "Period"),
    ("reports.period_hint", "2026-11, 2026-Q4, 2026-S2 atau 2026", "2026-11, 2026-Q4, 2026-S2 or 2026"),
    ("reports.from", "Dari tanggal", "From"),
    ("reports.to", "Sampai tanggal", "To"),
    ("reports.format", "Format", "Format"),
    ("reports.all_units", "Semua Perangkat Daerah (kota)", "All agencies (city)"),
    ("reports.generate", "Buat laporan", "Generate"),
    ("reports.archive", "Arsip laporan bulanan", "Monthly report archive"),
    ("reports.archive_none", "Belum ada laporan yang diarsipkan.", "No report archived yet."),
    ("reports.generated", "Dibuat", "Generated"),
    ("reports.evidence", "Paket bukti evaluasi SPBE", "SPBE evaluation evidence pack"),
    // Administration
    ("admin.title", "Administrasi", "Administration"),
    ("admin.units", "Perangkat Daerah", "Agencies"),
    ("admin.services", "Layanan SPBE", "Services"),
    ("admin.users", "Pengguna dan peran", "Users and roles"),
    ("admin.sla", "Kebijakan SLA", "SLA policies"),
    ("admin.calendars", "Kalender dan hari libur", "Calendars and holidays"),
    ("admin.mailboxes", "Kotak surat", "Mailboxes"),
    ("admin.telegram", "Telegram", "Telegram"),
    ("admin.tokens", "Token API", "API tokens"),
    ("admin.webhooks", "Webhook", "Webhooks"),
    ("admin.quarantine", "Karantina surel", "Mail quarantine"),
    ("admin.signins", "Log masuk", "Sign-in log"),
    ("sessions.title", "Sesi dan token Anda", "Your sessions and tokens"),
    ("sessions.caption", "Yang masih berlaku, terbaru di atas", "Those still valid, newest first"),
    ("sessions.began", "Dimulai", "Began"),
    ("sessions.last_used", "Terakhir dipakai", "Last used"),
    ("sessions.browser", "Peramban", "Browser"),
    ("sessions.this", "sesi ini", "this session"),
    ("sessions.end_others", "Keluar dari semua perangkat lain", "Sign out everywhere else"),
    ("signins.caption", "Setiap upaya masuk, terbaru di atas", "Every sign-in attempt, newest first"),
    ("signins.filter", "Saring", "Filter"),
    ("signins.address", "Alamat", "Address"),
    ("signins.method", "Cara", "Method"),
    ("password.title", "Ganti kata sandi", "Change password"),
    ("reset.title", "Lupa kata sandi", "Forgot password"),
    ("twofa.title", "Verifikasi dua langkah", "Two-step verification"),
    ("twofa.enrol_title", "Aktifkan verifikasi dua langkah", "Turn on two-step verification"),
    ("twofa.codes_title", "Kode pemulihan", "Recovery codes"),
    ("twofa.code", "Kode dari aplikasi autentikator", "Code from the authenticator app"),
    ("twofa.code_hint", "6 digit, atau kode pemulihan", "6 digits, or a recovery code"),
    (
        "twofa.enrol_hint",
        "Pindai kode QR ini dengan Google Authenticator, Aegis atau FreeOTP (atau ketik kuncinya), lalu masukkan 6 digit yang muncul.",
        "Scan this QR code with Google Authenticator, Aegis or FreeOTP (or type the key), then enter the 6 digits it shows.",
    ),
    ("twofa.qr_label", "Kode QR untuk aplikasi autentikator", "QR code for the authenticator app"),
    ("twofa.secret", "Kunci", "Key"),
    ("twofa.confirm", "Aktifkan", "Turn on"),
    (
        "twofa.codes_hint",
        "Simpan sepuluh kode ini di tempat aman. Masing-masing dapat dipakai sekali bila ponsel Anda hilang. Kode ini tidak akan ditampilkan lagi.",
        "Keep these ten codes somewhere safe. Each works once if you lose your phone. They will not be shown again.",
    ),
    ("twofa.continue", "Lanjut ke konsol", "Continue to the console"),
    ("twofa.on", "Verifikasi dua langkah aktif.", "Two-step verification is on."),
    ("twofa.off", "Verifikasi dua langkah belum aktif.", "Two-step verification is off."),
    ("twofa.enable", "Aktifkan verifikasi dua langkah", "Turn on two-step verification"),
    ("twofa.disable", "Matikan verifikasi dua langkah", "Turn off two-step verification"),
    ("twofa.wrong_code", "Kode salah atau sudah dipakai", "Wrong or already used code"),
    ("reset.forgot_link", "Lupa kata sandi?", "Forgot your password?"),
    ("reset.login", "Nama pengguna atau e-mail", "Username or e-mail"),
    ("reset.ask_hint", "Kami kirim tautan untuk membuat kata sandi baru ke e-mail akun Anda. Tautan berlaku 30 menit dan hanya sekali pakai.", "We send a link to make a new password to your account's e-mail. It is valid 30 minutes, once."),
    ("reset.send", "Kirim tautan", "Send the link"),
    ("reset.sent", "Jika akun itu ada dan memiliki alamat e-mail, tautan sudah dikirim. Periksa kotak masuk Anda.", "If that account exists and has an e-mail address, the link is on its way. Check your inbox."),
    ("reset.set_title", "Buat kata sandi baru", "Make a new password"),
    ("reset.done", "Kata sandi baru tersimpan. Silakan masuk.", "The new password is saved. Please sign in."),
    ("reset.login_needed", "Isi nama pengguna atau alamat e-mail", "Give a username or an e-mail address"),
    ("reset.link_refused", "Tautan ditolak", "The link was refused"),
    ("password.current", "Kata sandi sekarang", "Current password"),
    ("password.temporary", "Kata sandi sementara", "Temporary password"),
    ("password.new", "Kata sandi baru", "New password"),
    ("password.repeat", "Ulangi kata sandi baru", "Repeat the new password"),
    ("password.rule", "minimal 12 karakter, bukan nama pengguna, bukan sandi umum", "at least 12 characters, not the username, not a common password"),
    ("password.submit", "Simpan kata sandi", "Save password"),
    ("password.changed", "Kata sandi sudah diganti. Sesi Anda di perangkat lain sudah diakhiri.", "Password changed. Your sessions on other devices have ended."),
    ("password.others_signed_out", "Mengganti kata sandi mengakhiri sesi Anda di perangkat lain.", "Changing the password ends your sessions on other devices."),
    (
        "password.temporary_hint",
        "Kata sandi ini sementara dari admin. Buat kata sandi Anda sendiri untuk melanjutkan.",
        "This is a temporary password from an admin. Make your own to continue.",
    ),
    ("password.mismatch", "Kedua kata sandi baru tidak sama", "The two new passwords differ"),
    ("password.refused", "Kata sandi baru ditolak", "The new password was refused"),
    ("password.wrong_current", "Kata sandi sekarang salah", "The current password is wrong"),
    (
        "quarantine.hint",
        "Surel yang disimpan utuh alih-alih diterima (terlalu besar, tanpa pengirim, atau ditolak). Baca isinya sebagai teks, lalu jadikan tiket untuk unit yang tepat atau buang.",
        "Mail kept whole instead of taken in (too large, no sender, or refused). Read it as text, then make it a ticket for the right unit or discard it.",
    ),
    ("quarantine.empty", "Tidak ada surel yang menunggu.", "No mail is waiting."),
    ("quarantine.show_all", "Tampilkan juga yang sudah diselesaikan", "Show settled entries too"),
    ("quarantine.show_waiting", "Hanya yang menunggu", "Only what waits"),
    ("quarantine.sender", "Pengirim", "Sender"),
    ("quarantine.no_sender", "(tanpa pengirim)", "(no sender)"),
    ("quarantine.no_subject", "(tanpa subjek)", "(no subject)"),
    ("quarantine.reason", "Alasan", "Reason"),
    ("quarantine.received", "Diterima", "Received"),
    ("quarantine.mailbox", "Kotak surat", "Mailbox"),
    ("quarantine.size", "Ukuran", "Size"),
    ("quarantine.read_raw", "Baca pesan mentah (teks)", "Read the raw message (text)"),
    ("quarantine.unit", "Unit tujuan", "Unit"),
    ("quarantine.make_ticket", "Jadikan tiket", "Make a ticket"),
    ("quarantine.discard", "Buang", "Discard"),
    ("quarantine.made_ticket", "Dijadikan tiket", "Made a ticket"),
    ("quarantine.discarded", "Dibuang", "Discarded"),
    (
        "admin.webhooks_hint",
        "Alamat sistem lain yang menerima kejadian tiket (tanpa data pribadi pelapor), ditandatangani HMAC-SHA256.",
        "Other systems' addresses that receive ticket events (without the requesters' personal data), signed with HMAC-SHA256.",
    ),
    (
        "admin.webhook_verify_hint",
        "Setiap kiriman membawa X-Meja-Signature: sha256=HMAC-SHA256(rahasia, isi kiriman); penerima memeriksanya.",
        "Every delivery carries X-Meja-Signature: sha256=HMAC-SHA256(secret, body); the receiver checks it.",
    ),
    ("admin.webhook_add", "Tambah webhook", "Add a webhook"),
    ("admin.webhook_url", "URL penerima (http atau https)", "Receiver URL (http or https)"),
    ("admin.webhook_events", "Kejadian", "Events"),
    ("admin.webhook_all", "Semua kejadian (*)", "All events (*)"),
    ("admin.webhook_secret", "Rahasia penanda tangan", "Signing secret"),
    (
        "admin.webhook_secret_hint",
        "Boleh kosong: dibuatkan otomatis. Hanya ditampilkan sekali.",
        "Optional: generated when empty. Shown only once.",
    ),
    (
        "admin.webhook_new",
        "Webhook dibuat. Simpan rahasia ini sekarang; rahasia tidak akan ditampilkan lagi.",
        "Webhook created. Keep this secret now; it will not be shown again.",
    ),
    ("admin.webhook_test", "Kirim ping", "Send a ping"),
    ("admin.webhook_off", "Matikan", "Switch off"),
    ("admin.webhook_on", "Nyalakan", "Switch on"),
    ("admin.webhook_queued", "Menunggu dikirim", "Waiting to be sent"),
    ("admin.webhook_deliveries", "Pengiriman terakhir", "Latest deliveries"),
    ("admin.webhook_none", "Belum ada webhook.", "No webhook yet."),
    ("admin.webhook_no_deliveries", "Belum ada pengiriman.", "Nothing delivered yet."),
    ("admin.when", "Waktu", "When"),
    ("admin.ticket", "Tiket", "Ticket"),
    ("admin.attempt", "Percobaan", "Attempt"),
    ("admin.outcome", "Hasil", "Outcome"),
    ("admin.http_status", "Status HTTP", "HTTP status"),
    ("admin.detail", "Keterangan", "Detail"),
    ("webhook.delivered", "Terkirim", "Delivered"),
    ("webhook.retrying", "Akan dicoba lagi", "Will be retried"),
    ("webhook.given_up", "Dihentikan", "Given up"),
    ("admin.code", "Kode", "Code"),
    ("admin.name", "Nama", "Name"),
    ("admin.tier2", "Tier 2 (Diskominfo)", "Tier 2 (Diskominfo)"),
    ("admin.add", "Tambah", "Add"),
    ("admin.save", "Simpan", "Save"),
    ("admin.username", "Nama pengguna", "Username"),
    ("admin.email", "E-mail", "E-mail"),
    ("admin.role", "Peran", "Role"),
    ("admin.password", "Kata sandi awal", "Initial password"),
    ("admin.active", "Aktif", "Active"),
    ("admin.none", "Tidak ada", "None"),
    ("admin.first_response", "Respons pertama (menit kerja)", "First response (business minutes)"),
    ("admin.resolution", "Penyelesaian (menit kerja)", "Resolution (business minutes)"),
    ("admin.calendar", "Kalender", "Calendar"),
    ("admin.warn", "Peringatan (%)", "Warnings (%)"),
    ("admin.notify_head", "Beri tahu Kepala PD saat terlampaui", "Notify the head of agency on breach"),
    ("admin.escalate", "Eskalasi otomatis ke Tier 2", "Escalate to Tier 2 automatically"),
    ("admin.zone", "Zona waktu", "Time zone"),
    ("admin.hours", "Jam kerja", "Working hours"),
    ("admin.holidays", "Hari libur", "Holidays"),
    ("admin.date", "Tanggal", "Date"),
    ("admin.label", "Keterangan", "Label"),
    ("admin.remove", "Hapus", "Remove"),
    ("admin.import", "Impor CSV atau iCalendar", "Import CSV or iCalendar"),
    ("admin.import_file", "Berkas (.csv atau .ics)", "File (.csv or .ics)"),
    ("admin.address", "Alamat", "Address"),
    ("admin.imap", "IMAP (imaps://pengguna:sandi@host:993/INBOX)", "IMAP (imaps://user:pass@host:993/INBOX)"),
    ("admin.imap_set", "IMAP terpasang", "IMAP configured"),
    ("admin.token_label", "Nama token", "Token label"),
    (
        "admin.token_new",
        "Token baru (salin sekarang; tidak ditampilkan lagi)",
        "New token (copy it now; it is not shown again)",
    ),
    ("admin.expires", "Berlaku sampai", "Expires"),
    ("admin.revoke", "Cabut", "Revoke"),
    ("admin.revoked", "Dicabut", "Revoked"),
    ("admin.owner", "Pemilik", "Owner"),
    ("admin.tg_group", "Hubungkan grup Telegram unit", "Link an agency's Telegram group"),
    ("admin.tg_chats", "Akun dan grup Telegram yang terhubung", "Linked Telegram accounts and groups"),
    (
        "admin.intro",
        "Pengaturan Service Desk: Perangkat Daerah, layanan, petugas, SLA, kanal dan integrasi.",
        "Desk settings: agencies, services, staff, SLA, channels and integrations.",
    ),
    ("admin.units_hint", "Perangkat Daerah yang menangani tiket; satu di antaranya Tier 2.", "Agencies that handle tickets; one of them is tier 2."),
    ("admin.services_hint", "Layanan SPBE dan Perangkat Daerah pemiliknya.", "SPBE services and the agency that owns each."),
    ("admin.users_hint", "Akun petugas dan pelapor beserta perannya.", "Staff and requester accounts and their roles."),
    ("admin.sla_hint", "Target respons dan penyelesaian per prioritas, peringatan dan tindakan saat terlampaui.", "Response and resolution targets per priority, warnings and what a breach does."),
    ("admin.calendars_hint", "Jam kerja per zona waktu dan hari libur nasional serta cuti bersama.", "Working hours per time zone, national holidays and collective leave."),
    ("admin.mailboxes_hint", "Alamat e-mail yang menerima laporan dan Perangkat Daerah tujuannya.", "E-mail addresses that take in reports and the agency each routes to."),
    ("admin.telegram_hint", "Akun petugas dan grup unit yang menerima pemberitahuan lewat Telegram.", "Staff accounts and agency groups that receive notices on Telegram."),
    ("admin.tokens_hint", "Sesi masuk dan token integrasi; cabut yang tidak dipakai lagi.", "Sign-in sessions and integration tokens; revoke those no longer used."),
    ("admin.add_unit", "Tambah Perangkat Daerah", "Add an agency"),
    ("admin.add_service", "Tambah layanan", "Add a service"),
    ("admin.add_user", "Tambah pengguna", "Add a user"),
    ("admin.add_mailbox", "Tambah kotak surat", "Add a mailbox"),
    ("admin.add_holiday", "Tambah hari libur", "Add a holiday"),
    ("admin.code_hint", "Huruf kapital, angka, - atau _ (mis. DINKES)", "Capitals, digits, - or _ (e.g. DINKES)"),
    ("admin.unit_email", "E-mail Perangkat Daerah", "Agency e-mail"),
    ("admin.optional", "boleh kosong", "optional"),
    ("admin.tier2_hint", "Hanya satu unit Tier 2 per kota (Diskominfo).", "One tier-2 unit per city (Diskominfo)."),
    ("admin.username_hint", "Huruf kecil, angka, titik, - atau _", "Lower-case letters, digits, '.', '-' or '_'"),
    ("admin.unit_hint", "Wajib untuk teknisi dan Kepala PD", "Required for agents and heads of agency"),
    ("admin.no_unit", "— tanpa unit —", "— no agency —"),
    (
        "admin.password_hint",
        "Paling sedikit 12 karakter; pengguna dapat menggantinya sendiri di Ganti kata sandi.",
        "At least 12 characters; the user can change it under Change password.",
    ),
    ("admin.edit_user", "Ubah pengguna", "Edit user"),
    ("admin.edit", "Ubah", "Edit"),
    ("admin.saved", "Tersimpan.", "Saved."),
    ("admin.phone", "Telepon", "Phone"),
    ("admin.nip_hint", "18 digit NIP ASN, boleh kosong", "the 18-digit ASN number, optional"),
    ("admin.language", "Bahasa", "Language"),
    (
        "admin.deactivate_hint",
        "Menonaktifkan mengakhiri semua sesi dan token orang ini seketika, dan tiket terbukanya kembali ke antrean unit tanpa petugas.",
        "Switching off ends all of this person's sessions and tokens at once, and their open tickets go back to the unit's queue unassigned.",
    ),
    ("admin.temporary_password", "Kata sandi sementara", "Temporary password"),
    (
        "admin.temporary_password_hint",
        "Ditampilkan sekali ini saja. Berikan kepada orangnya; ia harus menggantinya saat masuk berikutnya.",
        "Shown this once. Give it to the person; they must change it at their next sign-in.",
    ),
    (
        "admin.temporary_choose_hint",
        "kosongkan agar meja membuatkan; sesi orang ini berakhir",
        "leave empty for meja to make one up; this person's sessions end",
    ),
    ("admin.set_temporary", "Beri kata sandi sementara", "Set a temporary password"),
    ("admin.must_change_pending", "Kata sandi sementara belum diganti.", "The temporary password has not been changed yet."),
    ("admin.yes", "Ya", "Yes"),
    ("admin.no", "Tidak", "No"),
    ("admin.empty", "Belum ada data.", "Nothing here yet."),
    ("admin.inactive", "Nonaktif", "Inactive"),
    ("admin.mailbox_name_hint", "Huruf, angka, - atau _ (mis. dinkes)", "Letters, digits, - or _ (e.g. dinkes)"),
    ("admin.imap_hint", "Boleh kosong; tidak pernah ditampilkan kembali.", "Optional; never shown again."),
    ("admin.tg_account", "Akun petugas", "Staff account"),
    ("admin.tg_unit_group", "Grup unit", "Agency group"),
    ("admin.tg_chat", "ID chat", "Chat ID"),
    ("admin.tg_kind", "Jenis", "Kind"),
    ("admin.tg_updated", "Aktivitas terakhir", "Last activity"),
    ("admin.tg_none", "Belum ada akun atau grup yang terhubung.", "No account or group is linked yet."),
    ("admin.tg_codes", "Buat kode penghubung", "Create a link code"),
    ("admin.tokens_caption", "Token terbaru (sesi masuk dan integrasi)", "Newest tokens (sign-in sessions and integrations)"),
    ("admin.created", "Dibuat", "Created"),
    ("admin.state", "Keadaan", "State"),
    ("admin.expired", "Kedaluwarsa", "Expired"),
    ("admin.this_session", "sesi ini", "this session"),
    ("admin.issue", "Terbitkan token integrasi", "Issue an integration token"),
    (
        "admin.token_hint",
        "Token milik akun Anda, berlaku 365 hari, untuk sistem lain yang memakai API.",
        "A token of your own account, valid for 365 days, for another system using the API.",
    ),
    ("admin.sla_caption", "Kebijakan SLA per prioritas", "SLA policy per priority"),
    ("admin.policy", "Kebijakan", "Policy"),
    ("admin.minutes", "menit", "min"),
    ("admin.on_breach", "Saat terlampaui", "On breach"),
    ("admin.warn_hint", "Persen dari target, dipisah koma (mis. 75,90)", "Percent of the target, comma-separated (e.g. 75,90)"),
    ("admin.weekly", "Jam kerja per minggu", "Working hours a week"),
    ("admin.closed", "Tutup", "Closed"),
    ("admin.day", "Hari", "Day"),
    ("admin.new_calendar", "Kalender baru", "New calendar"),
    ("admin.calendar_name_hint", "Huruf kecil, angka dan - (mis. jam-kerja-wita)", "Lower-case letters, digits and - (e.g. jam-kerja-wita)"),
    ("admin.zone_hint", "Asia/Jakarta (WIB), Asia/Makassar (WITA) atau Asia/Jayapura (WIT)", "Asia/Jakarta (WIB), Asia/Makassar (WITA) or Asia/Jayapura (WIT)"),
    ("admin.like", "Salin jam kerja dari", "Copy the working hours of"),
    ("admin.edit_calendar", "Ubah zona waktu dan jam kerja", "Change time zone and working hours"),
    (
        "admin.hours_hint",
        "Rentang jam per hari dipisah koma, mis. 07:30-12:00, 13:00-16:00; kosongkan untuk hari libur.",
        "Time ranges per day, comma-separated, e.g. 07:30-12:00, 13:00-16:00; leave empty when closed.",
    ),
    ("admin.no_holidays", "Tidak ada hari libur pada tahun ini.", "No holidays this year."),
    ("admin.import_paste", "Isi berkas CSV atau iCalendar", "Contents of a CSV or iCalendar file"),
    (
        "admin.import_hint",
        "Tempel isi berkas: CSV satu baris per tanggal (2026-12-25,Hari Raya Natal) atau .ics dari kalender pemerintah.",
        "Paste the file: CSV with one line per date (2026-12-25,Christmas) or an .ics from the government's calendar.",
    ),
    ("admin.import_submit", "Impor", "Import"),
    ("admin.import_done", "Impor selesai", "Import done"),
    ("admin.added", "ditambahkan", "added"),
    ("admin.relabelled", "diganti keterangannya", "relabelled"),
    ("admin.unchanged", "sudah ada", "already there"),
    ("admin.recomputed", "tiket dihitung ulang", "tickets recomputed"),
    ("admin.warnings", "Catatan impor", "Import notes"),
    ("day.mon", "Senin", "Monday"),
    ("day.tue", "Selasa", "Tuesday"),
    ("day.wed", "Rabu", "Wednesday"),
    ("day.thu", "Kamis", "Thursday"),
    ("day.fri", "Jumat", "Friday"),
    ("day.sat", "Sabtu", "Saturday"),
    ("day.sun", "Minggu", "Sunday"),
    // Telegram linking
    ("tg.title", "Hubungkan Telegram", "Link Telegram"),
    (
        "tg.intro",
        "Buat kode sekali pakai, lalu kirim perintah berikut ke bot Service Desk dalam 15 menit.",
        "Create a one-time code, then send this command to the service-desk bot within 15 minutes.",
    ),
    ("tg.create", "Buat kode", "Create code"),
    ("tg.for_me", "Untuk akun saya", "For my account"),
    ("tg.for_group", "Untuk grup unit", "For the agency's group"),
    ("tg.expires", "Berlaku sampai", "Valid until"),
];

/// Every word of the console: the main table and the ones kept in files of their own.
fn entries() -> impl Iterator<Item = &'static (&'static str, &'static str, &'static str)> {
    TABLE.iter().chain(super::i18n_status::TABLE).chain(super::i18n_workbench::TABLE).chain(super::i18n_channels::TABLE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_unique() {
        let mut keys: Vec<_> = entries().map(|(k, _, _)| *k).collect();
        keys.sort_unstable();
        let before = keys.len();
        keys.dedup();
        assert_eq!(before, keys.len(), "a key appears twice");
    }

    #[test]
    fn every_enum_value_has_words() {
        for l in [Lang::Id, Lang::En] {
            for s in Status::names() {
                assert_ne!(l.t(&format!("status.{s}")), "?", "status {s}");
            }
            for k in Kind::names() {
                assert_ne!(l.t(&format!("kind.{k}")), "?", "kind {k}");
            }
            for a in Action::names() {
                assert_ne!(l.t(&format!("action.{a}")), "?", "action {a}");
            }
            for r in Role::names() {
                assert_ne!(l.t(&format!("role.{r}")), "?", "role {r}");
            }
            for c in Channel::names() {
                assert_ne!(l.t(&format!("channel.{c}")), "?", "channel {c}");
            }
        }
    }

    /// Every `.t("…")` in the templates and page code names a key of the table.
    #[test]
    fn templates_use_known_keys() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut sources = Vec::new();
        for dir in ["web/templates", "src/web/pages"] {
            for entry in std::fs::read_dir(root.join(dir)).expect("dir") {
                let path = entry.expect("entry").path();
                sources.push((path.clone(), std::fs::read_to_string(&path).expect("read")));
            }
        }
        for (path, text) in sources {
            for part in text.split(".t(\"").skip(1) {
                let key = part.split('"').next().unwrap_or_default();
                if key.contains('.') && !key.ends_with('.') {
                    assert!(entries().any(|(k, _, _)| *k == key), "{}: unknown key {key}", path.display());
                }
            }
        }
    }
}
