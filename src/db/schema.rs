// The one schema for both backends: portable SQL types only (see migrations/sqlite and
// migrations/postgres, which must stay column-for-column identical).

diesel::table! {
    units (id) {
        id -> Text,
        code -> Text,
        name -> Text,
        tier2 -> Bool,
        email -> Nullable<Text>,
        created_at -> Timestamp,
        active -> Bool,
    }
}

diesel::table! {
    services (id) {
        id -> Text,
        code -> Text,
        name -> Text,
        unit_id -> Text,
        created_at -> Timestamp,
        active -> Bool,
        alert_declares -> Bool,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        username -> Text,
        name -> Text,
        email -> Nullable<Text>,
        password_hash -> Text,
        role -> Text,
        unit_id -> Nullable<Text>,
        active -> Bool,
        created_at -> Timestamp,
        phone -> Nullable<Text>,
        nip -> Nullable<Text>,
        language -> Nullable<Text>,
        must_change_password -> Bool,
        totp_secret -> Nullable<Text>,
        totp_pending -> Nullable<Text>,
        totp_last_step -> Nullable<BigInt>,
        auth_source -> Text,
    }
}

diesel::table! {
    directory_group_mappings (id) {
        id -> Text,
        position -> Integer,
        group_name -> Text,
        role -> Text,
        unit_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    oidc_logins (state_hash) {
        state_hash -> Text,
        nonce -> Text,
        pkce_verifier -> Text,
        next_path -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    totp_recovery_codes (id) {
        id -> Text,
        user_id -> Text,
        code_hash -> Text,
        created_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sign_in_challenges (id) {
        id -> Text,
        user_id -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    password_resets (id) {
        id -> Text,
        user_id -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    signins (id) {
        id -> Text,
        at -> Timestamp,
        username -> Text,
        user_id -> Nullable<Text>,
        address -> Text,
        method -> Text,
        outcome -> Text,
        reason -> Nullable<Text>,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> Text,
        user_id -> Text,
        token_hash -> Text,
        label -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        address -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        last_used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    requesters (id) {
        id -> Text,
        name -> Text,
        email -> Nullable<Text>,
        phone -> Nullable<Text>,
        telegram_id -> Nullable<Text>,
        user_id -> Nullable<Text>,
        created_at -> Timestamp,
        language -> Nullable<Text>,
        anonymised_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    ticket_counters (year) {
        year -> Integer,
        last_seq -> BigInt,
    }
}

diesel::table! {
    tickets (id) {
        id -> Text,
        number -> Text,
        kind -> Text,
        title -> Text,
        description -> Text,
        unit_id -> Text,
        service_id -> Nullable<Text>,
        tier -> Integer,
        status -> Text,
        active -> Bool,
        impact -> Text,
        urgency -> Text,
        priority -> Text,
        classification -> Text,
        security_incident -> Bool,
        channel -> Text,
        requester_id -> Text,
        tracking_token_hash -> Nullable<Text>,
        assignee_id -> Nullable<Text>,
        tier1_assignee_id -> Nullable<Text>,
        escalated -> Bool,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        first_response_at -> Nullable<Timestamp>,
        first_response_due -> Timestamp,
        resolution_due -> Timestamp,
        pending_since -> Nullable<Timestamp>,
        paused_seconds -> BigInt,
        resolved_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
        sla_next_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    messages (id) {
        id -> Text,
        ticket_id -> Text,
        author_id -> Nullable<Text>,
        author_name -> Text,
        internal -> Bool,
        body -> Text,
        channel -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    events (seq) {
        seq -> BigInt,
        id -> Text,
        ticket_id -> Nullable<Text>,
        actor_id -> Nullable<Text>,
        kind -> Text,
        data -> Text,
        created_at -> Timestamp,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    chain_head (id) {
        id -> Integer,
        seq -> BigInt,
        hash -> Text,
    }
}

diesel::table! {
    outbox (id) {
        id -> Text,
        channel -> Text,
        recipient -> Text,
        template -> Text,
        ticket_id -> Nullable<Text>,
        payload -> Text,
        created_at -> Timestamp,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        remote_id -> Nullable<Text>,
        remote_status -> Nullable<Text>,
        remote_status_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    calendars (name) {
        name -> Text,
        zone -> Text,
        week -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    holidays (calendar, day) {
        calendar -> Text,
        day -> Date,
        label -> Text,
    }
}

diesel::table! {
    sla_policies (priority) {
        priority -> Text,
        first_response_minutes -> BigInt,
        resolution_minutes -> BigInt,
        calendar -> Text,
        warn_percents -> Text,
        notify_unit_head -> Bool,
        escalate_to_tier2 -> Bool,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    ticket_incidents (ticket_id) {
        ticket_id -> Text,
        security_flagged_at -> Nullable<Timestamp>,
        breach_flagged_at -> Nullable<Timestamp>,
        notice_produced_at -> Nullable<Timestamp>,
        breach_notified_at -> Nullable<Timestamp>,
        breach_notified_note -> Nullable<Text>,
        next_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sla_alerts (ticket_id, target, percent) {
        ticket_id -> Text,
        target -> Text,
        percent -> Integer,
        due_at -> Timestamp,
        fired_at -> Timestamp,
    }
}

diesel::table! {
    mailboxes (name) {
        name -> Text,
        unit_id -> Text,
        address -> Text,
        imap_url -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    mail_messages (id) {
        id -> Text,
        message_key -> Text,
        direction -> Text,
        mailbox -> Nullable<Text>,
        ticket_id -> Nullable<Text>,
        sender -> Text,
        subject -> Text,
        outcome -> Text,
        size_bytes -> BigInt,
        created_at -> Timestamp,
        fingerprint -> Nullable<Text>,
    }
}

diesel::table! {
    ticket_links (ticket_id, linked_ticket_id) {
        ticket_id -> Text,
        linked_ticket_id -> Text,
        kind -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    blobs (sha256) {
        sha256 -> Text,
        size_bytes -> BigInt,
        content -> Binary,
    }
}

diesel::table! {
    attachments (id) {
        id -> Text,
        ticket_id -> Text,
        message_id -> Nullable<Text>,
        filename -> Text,
        content_type -> Text,
        size_bytes -> BigInt,
        sha256 -> Text,
        inline_part -> Bool,
        created_at -> Timestamp,
        internal -> Bool,
    }
}

diesel::table! {
    mail_quarantine (mail_id) {
        mail_id -> Text,
        raw -> Binary,
        reason -> Text,
        settled_at -> Nullable<Timestamp>,
        settled_by -> Nullable<Text>,
        settlement -> Nullable<Text>,
    }
}

diesel::table! {
    csat (ticket_id) {
        ticket_id -> Text,
        token_hash -> Text,
        requested_at -> Timestamp,
        rating -> Nullable<Integer>,
        comment -> Nullable<Text>,
        rated_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    reports (id) {
        id -> Text,
        scope -> Text,
        unit_id -> Nullable<Text>,
        period -> Text,
        first_day -> Date,
        last_day -> Date,
        generated_at -> Timestamp,
        generated_by -> Nullable<Text>,
        data_sha256 -> Text,
    }
}

diesel::table! {
    report_files (report_id, format) {
        report_id -> Text,
        format -> Text,
        file_name -> Text,
        sha256 -> Text,
        size_bytes -> BigInt,
    }
}

diesel::table! {
    report_reviews (id) {
        id -> Text,
        report_id -> Text,
        author_id -> Text,
        note -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    telegram_chats (chat_id) {
        chat_id -> BigInt,
        user_id -> Nullable<Text>,
        unit_id -> Nullable<Text>,
        dialogue -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    telegram_link_codes (code_hash) {
        code_hash -> Text,
        user_id -> Text,
        unit_id -> Nullable<Text>,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    telegram_messages (chat_id, message_id) {
        chat_id -> BigInt,
        message_id -> BigInt,
        ticket_id -> Text,
        sent_at -> Timestamp,
    }
}

diesel::table! {
    telegram_updates (update_id) {
        update_id -> BigInt,
        handled_at -> Timestamp,
    }
}

diesel::table! {
    whatsapp_contacts (wa_id) {
        wa_id -> Text,
        phone -> Text,
        name -> Text,
        dialogue -> Text,
        last_inbound_at -> Nullable<Timestamp>,
        opted_out_at -> Nullable<Timestamp>,
        moved_to -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    whatsapp_messages (id) {
        id -> Text,
        wa_id -> Text,
        inbound -> Bool,
        ticket_id -> Nullable<Text>,
        outbox_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    kb_articles (id) {
        id -> Text,
        slug -> Text,
        title -> Text,
        body -> Text,
        visibility -> Text,
        service_id -> Nullable<Text>,
        source_ticket_id -> Nullable<Text>,
        author_id -> Nullable<Text>,
        views -> BigInt,
        helpful -> BigInt,
        not_helpful -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    webhooks (id) {
        id -> Text,
        url -> Text,
        secret -> Text,
        events -> Text,
        active -> Bool,
        disabled_reason -> Nullable<Text>,
        created_at -> Timestamp,
        created_by -> Nullable<Text>,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Text,
        webhook_id -> Text,
        outbox_id -> Text,
        event -> Text,
        ticket_number -> Nullable<Text>,
        attempt -> Integer,
        outcome -> Text,
        status_code -> Nullable<Integer>,
        response_excerpt -> Nullable<Text>,
        error -> Nullable<Text>,
        duration_ms -> BigInt,
        attempted_at -> Timestamp,
        next_attempt_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_texts (id) {
        id -> Text,
        ticket_id -> Nullable<Text>,
        sha256 -> Text,
        salt -> Nullable<Text>,
        body -> Nullable<Text>,
        created_at -> Timestamp,
        erased_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_upgrades (name) {
        name -> Text,
        done_at -> Timestamp,
        from_seq -> Nullable<BigInt>,
        to_seq -> Nullable<BigInt>,
        old_head_hash -> Nullable<Text>,
        new_head_hash -> Nullable<Text>,
        texts_moved -> BigInt,
    }
}

diesel::table! {
    kb_votes (article_id, voter) {
        article_id -> Text,
        voter -> Text,
        helpful -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    disruptions (id) {
        id -> Text,
        service_id -> Text,
        state -> Text,
        title -> Text,
        problem_ticket_id -> Nullable<Text>,
        source -> Text,
        starts_at -> Timestamp,
        planned_end_at -> Nullable<Timestamp>,
        ended_at -> Nullable<Timestamp>,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    disruption_updates (id) {
        id -> Text,
        disruption_id -> Text,
        state -> Nullable<Text>,
        body -> Text,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    disruption_followers (disruption_id, ticket_id) {
        disruption_id -> Text,
        ticket_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    alerts (fingerprint) {
        fingerprint -> Text,
        source -> Text,
        service_label -> Text,
        service_id -> Nullable<Text>,
        status -> Text,
        summary -> Text,
        labels -> Text,
        ticket_id -> Nullable<Text>,
        received -> BigInt,
        first_seen_at -> Timestamp,
        status_changed_at -> Timestamp,
        last_received_at -> Timestamp,
    }
}

diesel::table! {
    service_alert_tickets (service_id) {
        service_id -> Text,
        ticket_id -> Text,
        disruption_id -> Nullable<Text>,
        last_alert_at -> Timestamp,
    }
}

diesel::table! {
    rate_counters (bucket, key_hash) {
        bucket -> Text,
        key_hash -> Text,
        count -> BigInt,
        first_at -> Timestamp,
        last_at -> Timestamp,
    }
}

diesel::table! {
    ticket_history (ticket_id, valid_from) {
        ticket_id -> Text,
        valid_from -> Timestamp,
        valid_to -> Nullable<Timestamp>,
        created_at -> Timestamp,
        channel -> Text,
        unit_id -> Text,
        service_id -> Nullable<Text>,
        kind -> Text,
        tier -> Integer,
        status -> Text,
        active -> Bool,
        priority -> Text,
        classification -> Text,
        security_incident -> Bool,
        assignee_id -> Nullable<Text>,
        escalated -> Bool,
        first_response_at -> Nullable<Timestamp>,
        first_response_due -> Timestamp,
        resolution_due -> Timestamp,
        pending_since -> Nullable<Timestamp>,
        paused_seconds -> BigInt,
        resolved_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
        backfilled -> Bool,
    }
}

diesel::table! {
    ticket_history_start (id) {
        id -> Integer,
        exact_from -> Timestamp,
        backfilled_tickets -> BigInt,
    }
}

diesel::joinable!(services -> units (unit_id));
diesel::joinable!(tickets -> units (unit_id));
diesel::joinable!(tickets -> requesters (requester_id));
diesel::joinable!(messages -> tickets (ticket_id));
diesel::joinable!(api_tokens -> users (user_id));

diesel::table! {
    canned_replies (id) {
        id -> Text,
        unit_id -> Nullable<Text>,
        title -> Text,
        body -> Text,
        action -> Nullable<Text>,
        uses -> BigInt,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    ticket_merges (source_id) {
        source_id -> Text,
        target_id -> Text,
        merged_by -> Nullable<Text>,
        merged_at -> Timestamp,
    }
}

diesel::table! {
    ticket_followers (id) {
        id -> Text,
        ticket_id -> Text,
        email -> Nullable<Text>,
        user_id -> Nullable<Text>,
        requester_id -> Nullable<Text>,
        added_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    time_entries (id) {
        id -> Text,
        ticket_id -> Text,
        user_id -> Text,
        minutes -> Integer,
        message_id -> Nullable<Text>,
        action -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    saved_views (id) {
        id -> Text,
        user_id -> Text,
        name -> Text,
        query -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    ticket_typing (ticket_id, user_id) {
        ticket_id -> Text,
        user_id -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    canned_reply_files (id) {
        id -> Text,
        canned_reply_id -> Text,
        filename -> Text,
        content_type -> Text,
        size_bytes -> BigInt,
        sha256 -> Text,
        created_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    canned_replies,
    canned_reply_files,
    ticket_typing,
    saved_views,
    time_entries,
    ticket_merges,
    ticket_followers,
    units,
    services,
    users,
    api_tokens,
    requesters,
    ticket_counters,
    tickets,
    messages,
    events,
    chain_head,
    outbox,
    calendars,
    holidays,
    sla_policies,
    sla_alerts,
    ticket_incidents,
    mailboxes,
    mail_messages,
    ticket_links,
    blobs,
    attachments,
    mail_quarantine,
    csat,
    reports,
    report_files,
    report_reviews,
    telegram_chats,
    telegram_link_codes,
    telegram_messages,
    telegram_updates,
    whatsapp_contacts,
    whatsapp_messages,
    kb_articles,
    webhooks,
    webhook_deliveries,
    audit_texts,
    audit_upgrades,
    kb_votes,
    directory_group_mappings,
    oidc_logins,
    disruptions,
    disruption_updates,
    disruption_followers,
    alerts,
    service_alert_tickets,
    rate_counters,
    ticket_history,
    ticket_history_start,
);
