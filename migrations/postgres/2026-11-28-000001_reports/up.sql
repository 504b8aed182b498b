-- Reports (SPEC section 8): indexes for period scans, and the archive of generated reports.
CREATE INDEX tickets_created ON tickets(created_at);
CREATE INDEX tickets_resolved ON tickets(resolved_at) WHERE resolved_at IS NOT NULL;
CREATE INDEX tickets_closed ON tickets(closed_at) WHERE closed_at IS NOT NULL;
CREATE INDEX sla_alerts_due ON sla_alerts(due_at);
CREATE INDEX csat_requested ON csat(requested_at);
CREATE INDEX events_kind_time ON events(kind, created_at);
CREATE INDEX messages_time ON messages(created_at);

-- One row per archived report: a scope (unit code or 'all') and a period are generated once.
CREATE TABLE reports (
    id TEXT PRIMARY KEY NOT NULL,
    scope TEXT NOT NULL,
    unit_id TEXT REFERENCES units(id),
    period TEXT NOT NULL,
    first_day DATE NOT NULL,
    last_day DATE NOT NULL,
    generated_at TIMESTAMP NOT NULL,
    generated_by TEXT REFERENCES users(id),
    data_sha256 TEXT NOT NULL,
    UNIQUE (scope, period)
);
CREATE INDEX reports_period ON reports(first_day, last_day);

-- The files of an archived report, stored unchanged (content in blobs, by SHA-256).
CREATE TABLE report_files (
    report_id TEXT NOT NULL REFERENCES reports(id),
    format TEXT NOT NULL,
    file_name TEXT NOT NULL,
    sha256 TEXT NOT NULL REFERENCES blobs(sha256),
    size_bytes BIGINT NOT NULL,
    PRIMARY KEY (report_id, format)
);

-- Review notes supervisors write on an archived report (evidence for the SPBE evaluation).
CREATE TABLE report_reviews (
    id TEXT PRIMARY KEY NOT NULL,
    report_id TEXT NOT NULL REFERENCES reports(id),
    author_id TEXT NOT NULL REFERENCES users(id),
    note TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX report_reviews_report ON report_reviews(report_id, created_at);
