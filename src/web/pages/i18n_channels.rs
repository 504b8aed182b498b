//! The words of the chat channels in the console (issue 16): the WhatsApp admin page and what
//! the ticket page says of deliveries. Same shape: (key, Bahasa Indonesia, English).

pub static TABLE: &[(&str, &str, &str)] = &[
    ("channel.whatsapp", "WhatsApp", "WhatsApp"),
    ("admin.whatsapp", "WhatsApp", "WhatsApp"),
    (
        "admin.wa_hint",
        "Saluran WhatsApp (WhatsApp Business Cloud API): pengaturan, templat pesan dan kontak warga.",
        "The WhatsApp channel (WhatsApp Business Cloud API): settings, message templates and citizens' contacts.",
    ),
    (
        "admin.wa_off",
        "Saluran WhatsApp mati. Atur MEJA_WHATSAPP_TOKEN, MEJA_WHATSAPP_PHONE_NUMBER_ID, MEJA_WHATSAPP_APP_SECRET dan MEJA_WHATSAPP_VERIFY_TOKEN (lihat panduan operator).",
        "The WhatsApp channel is off. Set MEJA_WHATSAPP_TOKEN, MEJA_WHATSAPP_PHONE_NUMBER_ID, MEJA_WHATSAPP_APP_SECRET and MEJA_WHATSAPP_VERIFY_TOKEN (see the operator's guide).",
    ),
    ("admin.wa_settings", "Pengaturan", "Settings"),
    ("admin.wa_phone_number_id", "ID nomor telepon", "Phone number ID"),
    ("admin.wa_api", "Alamat API", "API address"),
    ("admin.wa_webhook", "Webhook", "Webhook"),
    (
        "admin.wa_webhook_hint",
        "Daftarkan alamat webhook ini di dasbor aplikasi Meta (WhatsApp → Configuration), dengan token verifikasi dari MEJA_WHATSAPP_VERIFY_TOKEN.",
        "Register this webhook address in Meta's app dashboard (WhatsApp → Configuration) with the verify token of MEJA_WHATSAPP_VERIFY_TOKEN.",
    ),
    ("admin.wa_max_file", "Berkas terbesar", "Largest file"),
    ("admin.wa_rate", "Batas pesan/menit", "Messages/minute"),
    ("admin.wa_templates", "Templat pesan (di luar jendela 24 jam)", "Message templates (outside the 24-hour window)"),
    ("admin.wa_notice", "Pemberitahuan", "Notice"),
    ("admin.wa_template", "Templat dan bahasa", "Template and language"),
    (
        "admin.wa_unset",
        "belum diatur: di luar jendela 24 jam pemberitahuan ini tidak terkirim",
        "not set: outside the 24-hour window this notice is not sent",
    ),
    ("admin.wa_received", "Laporan diterima (nomor, judul)", "Report received (number, title)"),
    ("admin.wa_reply", "Balasan petugas (nomor)", "Agent's reply (number)"),
    ("admin.wa_status", "Perubahan status (nomor, status)", "Status changed (number, status)"),
    ("admin.wa_resolved", "Selesai dan penilaian (nomor)", "Resolved and rating (number)"),
    ("admin.wa_contacts", "Kontak", "Contacts"),
    ("admin.wa_open", "dengan jendela 24 jam terbuka", "with the 24-hour window open"),
    ("admin.wa_stopped", "menulis BERHENTI", "wrote BERHENTI"),
    ("ticket.wa_open", "WhatsApp: jendela 24 jam terbuka sampai", "WhatsApp: 24-hour window open until"),
    (
        "ticket.wa_closed",
        "WhatsApp: jendela 24 jam tertutup (pemberitahuan lewat templat)",
        "WhatsApp: 24-hour window closed (notices go as templates)",
    ),
    ("ticket.wa_stopped", "WhatsApp: pelapor menulis BERHENTI", "WhatsApp: the requester wrote BERHENTI"),
    ("delivery.sent", "terkirim", "sent"),
    ("delivery.delivered", "sampai", "delivered"),
    ("delivery.read", "dibaca", "read"),
    ("delivery.failed", "gagal", "failed"),
];
