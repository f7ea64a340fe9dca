//! `/metrics` in Prometheus's text format (`prometheus-client`): requests
//! by route and status with a latency histogram (every request, timed by
//! [`track`]), job runs, failures and durations (recorded by
//! [`super::jobs::Jobs`]), the client documents answered from memory or
//! rendered (`crate::page_cache`), and, read from the database at each
//! scrape, the outbox backlog and the payments by status.
//!
//! Who may scrape: with `RELANCE_METRICS_TOKEN` set, a request carrying
//! `Authorization: Bearer <token>`; without it, only a client on this
//! machine that did not come through a proxy (a loopback peer and no
//! forwarding header). Anyone else gets a 404, as if there were nothing.

use crate::settings::Secret;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{web, HttpRequest, HttpResponse};
use app::payments::jobs::StepRun;
use app::state::AppState;
use app::with_db;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::time::Instant;
use subtle::ConstantTimeEq;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobLabels {
    job: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ChannelLabels {
    channel: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabels {
    status: String,
}

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

/// 1 ms to about 16 s, doubling.
fn request_buckets() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

/// 1 ms to about 2 min, doubling.
fn job_buckets() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 18))
}

/// One instance's metrics (each instance is scraped on its own).
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Histograms<RouteLabels>,
    job_runs: Family<JobLabels, Counter>,
    job_failures: Family<JobLabels, Counter>,
    job_duration: Histograms<JobLabels>,
    backlog: Family<ChannelLabels, Gauge>,
    payments: Family<StatusLabels, Gauge>,
    database_up: Gauge,
    pages: Family<ResultLabels, Counter>,
    token: Option<Secret>,
    /// One scrape at a time: the database figures are cleared and set.
    scrape: tokio::sync::Mutex<()>,
}

impl Metrics {
    pub fn new(token: Option<Secret>) -> Metrics {
        let mut registry = Registry::with_prefix("relance");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register("http_requests", "HTTP requests answered, by route pattern and status", requests.clone());
        let latency: Histograms<RouteLabels> = Family::new_with_constructor(request_buckets);
        registry.register(
            "http_request_duration_seconds",
            "Time to answer a request (until its headers), by route pattern",
            latency.clone(),
        );
        let job_runs = Family::<JobLabels, Counter>::default();
        registry.register("job_runs", "Background job steps run", job_runs.clone());
        let job_failures = Family::<JobLabels, Counter>::default();
        registry.register("job_failures", "Background job steps that failed (see the log)", job_failures.clone());
        let job_duration: Histograms<JobLabels> = Family::new_with_constructor(job_buckets);
        registry.register("job_duration_seconds", "Time a background job step took", job_duration.clone());
        let backlog = Family::<ChannelLabels, Gauge>::default();
        registry.register("outbox_backlog", "Messages waiting to be sent, by channel", backlog.clone());
        let payments = Family::<StatusLabels, Gauge>::default();
        registry.register("payments", "Payments by status", payments.clone());
        let database_up = Gauge::default();
        registry.register("database_up", "1 when the last scrape could read the database", database_up.clone());
        let pages = Family::<ResultLabels, Counter>::default();
        registry.register(
            "page_cache",
            "Client documents answered from memory (hit) or rendered and kept (miss)",
            pages.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            job_runs,
            job_failures,
            job_duration,
            backlog,
            payments,
            database_up,
            pages,
            token,
            scrape: tokio::sync::Mutex::new(()),
        }
    }

    fn request(&self, method: &str, route: String, status: u16, seconds: f64) {
        self.latency.get_or_create(&RouteLabels { route: route.clone() }).observe(seconds);
        self.requests.get_or_create(&RequestLabels { method: method.to_string(), route, status }).inc();
    }

    /// A client document answered from memory (`hit`) or rendered and
    /// kept (`miss`): see `page_cache`.
    pub fn page(&self, result: &'static str) {
        self.pages.get_or_create(&ResultLabels { result }).inc();
    }

    /// Records the steps of one job pass.
    pub fn job(&self, runs: &[StepRun]) {
        for run in runs {
            let labels = JobLabels { job: run.name };
            self.job_runs.get_or_create(&labels).inc();
            if run.failed {
                self.job_failures.get_or_create(&labels).inc();
            }
            self.job_duration.get_or_create(&labels).observe(run.took.as_secs_f64());
        }
    }

    /// Reads the database figures, then encodes everything.
    async fn render(&self, state: &AppState) -> String {
        let _one = self.scrape.lock().await;
        match figures(state).await {
            Ok((email, sms, payments)) => {
                self.database_up.set(1);
                self.backlog.get_or_create(&ChannelLabels { channel: "email" }).set(email);
                self.backlog.get_or_create(&ChannelLabels { channel: "sms" }).set(sms);
                self.payments.clear();
                for (status, n) in payments {
                    self.payments.get_or_create(&StatusLabels { status }).set(n);
                }
            }
            Err(e) => {
                tracing::error!(error = ?e, "metrics: the database figures could not be read");
                self.database_up.set(0);
            }
        }
        let mut out = String::new();
        if let Err(e) = prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry) {
            tracing::error!(error = ?e, "metrics: encoding failed");
        }
        out
    }

    /// Whether this request may read the metrics.
    fn allowed(&self, req: &HttpRequest) -> bool {
        match &self.token {
            Some(token) => req
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .is_some_and(|given| bool::from(given.as_bytes().ct_eq(token.expose().as_bytes()))),
            None => {
                let loopback = req.peer_addr().is_some_and(|a| a.ip().is_loopback());
                let proxied =
                    ["forwarded", "x-forwarded-for", "x-real-ip"].iter().any(|h| req.headers().contains_key(*h));
                loopback && !proxied
            }
        }
    }
}

type Figures = (i64, i64, Vec<(String, i64)>);

async fn figures(state: &AppState) -> Result<Figures, sqlx::Error> {
    with_db!(&state.db, |pool| {
        let email: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE status = 'pending'").fetch_one(pool).await?;
        let sms: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM sms_outbox WHERE status = 'pending'").fetch_one(pool).await?;
        let payments: Vec<(String, i64)> =
            sqlx::query_as("SELECT status, COUNT(*) FROM payments GROUP BY status ORDER BY status")
                .fetch_all(pool)
                .await?;
        Ok((email, sms, payments))
    })
}

/// `GET /metrics`.
pub async fn scrape(req: HttpRequest, metrics: web::Data<Metrics>, state: web::Data<AppState>) -> HttpResponse {
    if !metrics.allowed(&req) {
        return HttpResponse::NotFound().finish();
    }
    HttpResponse::Ok()
        .content_type(prometheus_client::encoding::prometheus_text::CONTENT_TYPE)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(metrics.render(&state).await)
}

/// Times every request and counts it by route pattern (never by path: a
/// path may carry an id or a token), method and status.
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let method = req.method().clone();
    let route = req.match_pattern().unwrap_or_else(|| "unmatched".to_string());
    let res = next.call(req).await;
    if let Some(metrics) = metrics {
        let status = match &res {
            Ok(r) => r.status().as_u16(),
            Err(e) => e.as_response_error().status_code().as_u16(),
        };
        metrics.request(method.as_str(), route, status, started.elapsed().as_secs_f64());
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn jobs_and_requests_are_counted_by_name_and_route() {
        let m = Metrics::new(None);
        m.request("GET", "/portal/invoices/{id}".into(), 200, 0.004);
        m.request("GET", "/portal/invoices/{id}".into(), 200, 0.002);
        m.job(&[
            StepRun { name: "reminders", took: Duration::from_millis(30), failed: false },
            StepRun { name: "autopay", took: Duration::from_millis(3), failed: true },
        ]);
        let mut out = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut out, &m.registry).unwrap();
        assert!(
            out.contains(r#"relance_http_requests_total{method="GET",route="/portal/invoices/{id}",status="200"} 2"#),
            "{out}"
        );
        assert!(
            out.contains(r#"relance_http_request_duration_seconds_count{route="/portal/invoices/{id}"} 2"#),
            "{out}"
        );
        assert!(out.contains(r#"relance_job_runs_total{job="reminders"} 1"#), "{out}");
        assert!(out.contains(r#"relance_job_failures_total{job="autopay"} 1"#), "{out}");
        assert!(!out.contains(r#"relance_job_failures_total{job="reminders"}"#), "{out}");
    }
}
