//! Liveness and readiness, kept apart as orchestrators and proxies expect:
//! `/healthz` says the process answers (nothing else is asked: a database
//! outage must not get a healthy process restarted); `/readyz` says this
//! instance should be sent traffic: the database answers and the instance
//! is not stopping.

use super::jobs::Readiness;
use actix_web::{web, HttpResponse};
use app::state::AppState;
use app::with_db;

/// `GET /healthz`: alive. Answered from memory.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

/// `GET /readyz`: ready for traffic.
pub async fn readyz(state: web::Data<AppState>, readiness: web::Data<Readiness>) -> HttpResponse {
    if readiness.draining() {
        return HttpResponse::ServiceUnavailable().content_type("text/plain").body("stopping");
    }
    let ok = with_db!(&state.db, |pool| sqlx::query("SELECT 1").execute(pool).await.map(|_| ())).is_ok();
    if ok {
        HttpResponse::Ok().content_type("text/plain").body("ready")
    } else {
        HttpResponse::ServiceUnavailable().content_type("text/plain").body("database unavailable")
    }
}
