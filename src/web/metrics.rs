//! Prometheus metrics in the text exposition format, without a metrics framework: a few
//! counters and one latency histogram are all the desk needs.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex};
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse};

use crate::desk::Desk;

pub struct Counter(AtomicU64);

impl Counter {
    pub const fn new() -> Self {
        Counter(AtomicU64::new(0))
    }
    pub fn inc(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

impl Default for Counter {
    fn default() -> Self {
        Counter::new()
    }
}

pub static TICKETS_OPENED: Counter = Counter::new();

const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
struct HttpStats {
    /// (method, route pattern, status) → requests
    requests: BTreeMap<(String, String, u16), u64>,
    latency: Histogram,
}

static HTTP: LazyLock<Mutex<HttpStats>> = LazyLock::new(|| Mutex::new(HttpStats::default()));

/// Middleware: counts every request by its route pattern (not its path, which would make one
/// series per ticket) and records its latency.
pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().to_string();
    let route = req.match_pattern().unwrap_or_else(|| "unmatched".into());
    let mut response = next.call(req).await?;
    let seconds = started.elapsed().as_secs_f64();
    let status = response.status().as_u16();
    // The server's own time for the request (the body is already rendered): browsers show it
    // in their network panel and the page benchmark reads it.
    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&format!("app;dur={:.3}", seconds * 1000.0)) {
        response.headers_mut().insert(actix_web::http::header::HeaderName::from_static("server-timing"), value);
    }
    if let Ok(mut stats) = HTTP.lock() {
        *stats.requests.entry((method, route, status)).or_default() += 1;
        let h = &mut stats.latency;
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                h.counts[i] += 1;
            }
        }
        h.count += 1;
        h.sum += seconds;
    }
    Ok(response)
}

fn escape_label(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

pub fn render(desk: &Desk) -> String {
    let mut out = String::new();
    if let Ok(stats) = HTTP.lock() {
        out.push_str("# HELP meja_http_requests_total HTTP requests by method, route and status.\n# TYPE meja_http_requests_total counter\n");
        for ((method, route, status), n) in &stats.requests {
            let _ = writeln!(
                out,
                "meja_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {n}",
                escape_label(method),
                escape_label(route)
            );
        }
        out.push_str("# HELP meja_http_request_duration_seconds Time to answer a request.\n# TYPE meja_http_request_duration_seconds histogram\n");
        for (bound, n) in BUCKETS.iter().zip(stats.latency.counts) {
            let _ = writeln!(out, "meja_http_request_duration_seconds_bucket{{le=\"{bound}\"}} {n}");
        }
        let _ = writeln!(out, "meja_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {}", stats.latency.count);
        let _ = writeln!(out, "meja_http_request_duration_seconds_sum {}", stats.latency.sum);
        let _ = writeln!(out, "meja_http_request_duration_seconds_count {}", stats.latency.count);
    }
    let w = desk.writer.stats();
    let pool = desk.pool.state();
    let _ = write!(
        out,
        "# HELP meja_tickets_opened_total Tickets opened by this process.\n# TYPE meja_tickets_opened_total counter\nmeja_tickets_opened_total {}\n\
         # HELP meja_writer_batches_total Write transactions committed by the group-commit writer.\n# TYPE meja_writer_batches_total counter\nmeja_writer_batches_total {}\n\
         # HELP meja_writer_jobs_total State changes run by the writer.\n# TYPE meja_writer_jobs_total counter\nmeja_writer_jobs_total {}\n\
         # HELP meja_writer_failed_commits_total Write transactions that failed to commit.\n# TYPE meja_writer_failed_commits_total counter\nmeja_writer_failed_commits_total {}\n\
         # HELP meja_db_pool_connections Connections in the read pool.\n# TYPE meja_db_pool_connections gauge\nmeja_db_pool_connections {}\n\
         # HELP meja_db_pool_idle_connections Idle connections in the read pool.\n# TYPE meja_db_pool_idle_connections gauge\nmeja_db_pool_idle_connections {}\n",
        TICKETS_OPENED.get(),
        w.batches.load(Ordering::Relaxed),
        w.jobs.load(Ordering::Relaxed),
        w.failed_commits.load(Ordering::Relaxed),
        pool.connections,
        pool.idle_connections,
    );
    let tokens = desk.token_checks.stats();
    let _ = write!(
        out,
        "# HELP meja_token_checks_total Bearer tokens and sessions checked by this process.\n# TYPE meja_token_checks_total counter\nmeja_token_checks_total {}\n\
         # HELP meja_token_check_reads_total Database reads those checks took (concurrent checks share one).\n# TYPE meja_token_check_reads_total counter\nmeja_token_check_reads_total {}\n",
        tokens.checks.load(Ordering::Relaxed),
        tokens.reads.load(Ordering::Relaxed),
    );
    let sla = &crate::desk::scheduler::STATS;
    let _ = write!(
        out,
        "# HELP meja_sla_passes_total SLA scheduler passes completed by this process.\n# TYPE meja_sla_passes_total counter\nmeja_sla_passes_total {}\n\
         # HELP meja_sla_failed_passes_total SLA scheduler passes that failed (retried next tick).\n# TYPE meja_sla_failed_passes_total counter\nmeja_sla_failed_passes_total {}\n\
         # HELP meja_sla_alerts_total SLA warnings and breaches fired by this process.\n# TYPE meja_sla_alerts_total counter\nmeja_sla_alerts_total{{kind=\"warning\"}} {}\nmeja_sla_alerts_total{{kind=\"breach\"}} {}\n\
         # HELP meja_sla_escalations_total Tickets escalated to tier 2 by a resolution breach.\n# TYPE meja_sla_escalations_total counter\nmeja_sla_escalations_total {}\n\
         # HELP meja_sla_last_pass_timestamp_seconds When the last SLA pass completed (0: none yet; alert if it lags).\n# TYPE meja_sla_last_pass_timestamp_seconds gauge\nmeja_sla_last_pass_timestamp_seconds {}\n",
        sla.passes.load(Ordering::Relaxed),
        sla.failed_passes.load(Ordering::Relaxed),
        sla.warnings.load(Ordering::Relaxed),
        sla.breaches.load(Ordering::Relaxed),
        sla.escalations.load(Ordering::Relaxed),
        sla.last_pass.load(Ordering::Relaxed),
    );
    out
}

pub async fn metrics(desk: web::Data<Desk>) -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(render(&desk))
}

/// How long `/healthz` waits for a database connection. Shorter than the pool's own wait (10 s)
/// and than a load balancer's check timeout: while the database is down the answer is a quick
/// 503, not a request that hangs until the pool gives up.
const HEALTH_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

pub async fn healthz(desk: web::Data<Desk>) -> HttpResponse {
    let backend = desk.url.backend_name();
    let pool = desk.pool.clone();
    let checked = web::block(move || -> Result<(), String> {
        let mut conn = pool.get_timeout(HEALTH_WAIT).map_err(|e| e.to_string())?;
        crate::db::ping(&mut conn).map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| e.to_string())
    .and_then(|r| r);
    match checked {
        Ok(()) => HttpResponse::Ok().json(serde_json::json!({ "status": "ok", "database": backend })),
        Err(e) => {
            tracing::warn!(error = %e, "health check failed");
            HttpResponse::ServiceUnavailable().json(serde_json::json!({ "status": "unavailable", "database": backend }))
        }
    }
}
