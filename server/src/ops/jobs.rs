//! Background jobs and stopping. Every job loop (payments and reminders,
//! mail, text messages, housekeeping) runs through [`Jobs::every`]: each
//! pass is recorded in the metrics, and a stop lets the pass under way
//! finish (a pass is never cut in the middle) before the process exits.
//!
//! [`Stopper::stop`] is what SIGTERM or Ctrl-C does: readiness turns to
//! 503 (`/readyz`), no job starts another pass, the server stops accepting
//! connections and finishes the requests in flight (up to 30 s), then
//! [`Jobs::finish`] waits for the passes under way (up to 60 s).

use super::metrics::Metrics;
use actix_web::dev::ServerHandle;
use app::payments::jobs::StepRun;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// How long a stop waits for requests in flight (seconds).
pub const REQUEST_GRACE_SECONDS: u64 = 30;
/// How long a stop waits for job passes under way.
pub const JOB_GRACE: Duration = Duration::from_secs(60);

#[derive(Clone)]
pub struct Jobs {
    stop: CancellationToken,
    tracker: TaskTracker,
    metrics: Arc<Metrics>,
}

impl Jobs {
    pub fn new(metrics: Arc<Metrics>) -> Jobs {
        Jobs { stop: CancellationToken::new(), tracker: TaskTracker::new(), metrics }
    }

    /// Runs `pass` every `every` (the first at once) until the stop.
    pub fn every<F, Fut>(&self, every: Duration, mut pass: F)
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = Vec<StepRun>> + Send + 'static,
    {
        let (stop, metrics) = (self.stop.clone(), self.metrics.clone());
        self.tracker.spawn(async move {
            let mut tick = tokio::time::interval(every.max(Duration::from_millis(10)));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    biased;
                    _ = stop.cancelled() => break,
                    _ = tick.tick() => {}
                }
                let runs = pass().await;
                metrics.job(&runs);
            }
        });
    }

    /// No job starts another pass.
    pub fn stop(&self) {
        self.stop.cancel();
    }

    /// Stops the jobs and waits for the passes under way, at most `grace`;
    /// answers whether they all finished.
    pub async fn finish(&self, grace: Duration) -> bool {
        self.stop();
        self.tracker.close();
        tokio::time::timeout(grace, self.tracker.wait()).await.is_ok()
    }
}

/// A one-step pass: `what`, timed, named `name`.
pub async fn step<T, E: std::fmt::Debug>(name: &'static str, what: impl Future<Output = Result<T, E>>) -> Vec<StepRun> {
    let started = Instant::now();
    let failed = match what.await {
        Ok(_) => false,
        Err(e) => {
            tracing::error!(error = ?e, job = name, "job step failed");
            true
        }
    };
    vec![StepRun { name, took: started.elapsed(), failed }]
}

/// Whether this instance should be sent traffic: false once stopping.
#[derive(Clone, Default)]
pub struct Readiness(Arc<AtomicBool>);

impl Readiness {
    pub fn draining(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Stops one running [`crate::startup::Application`] gracefully.
#[derive(Clone)]
pub struct Stopper {
    pub(crate) server: ServerHandle,
    pub(crate) jobs: Jobs,
    pub(crate) readiness: Readiness,
}

impl Stopper {
    /// Not ready any more, no new job pass, no new connection; returns
    /// once the requests in flight are answered.
    /// `Application::run_until_stopped` then waits for the jobs.
    pub async fn stop(&self) {
        self.readiness.0.store(true, Ordering::SeqCst);
        self.jobs.stop();
        self.server.stop(true).await;
    }
}

/// Waits for SIGTERM (systemd, a container runtime) or Ctrl-C.
pub async fn signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(e) => {
                tracing::error!(error = ?e, "SIGTERM cannot be caught; stopping on Ctrl-C only");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[tokio::test]
    async fn a_stop_lets_the_pass_under_way_finish_and_starts_no_other() {
        let jobs = Jobs::new(Arc::new(Metrics::new(None)));
        let (started, done) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let (s, d) = (started.clone(), done.clone());
        jobs.every(Duration::from_millis(10), move || {
            let (s, d) = (s.clone(), d.clone());
            async move {
                s.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(300)).await;
                d.fetch_add(1, Ordering::SeqCst);
                Vec::new()
            }
        });
        while started.load(Ordering::SeqCst) == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(jobs.finish(Duration::from_secs(5)).await, "the pass under way finishes");
        assert_eq!(done.load(Ordering::SeqCst), 1, "it was not cut short");
        assert_eq!(started.load(Ordering::SeqCst), 1, "no pass starts after the stop");
    }

    #[tokio::test]
    async fn a_pass_longer_than_the_grace_is_reported() {
        let jobs = Jobs::new(Arc::new(Metrics::new(None)));
        let started = Arc::new(AtomicBool::new(false));
        let s = started.clone();
        jobs.every(Duration::from_millis(10), move || {
            let s = s.clone();
            async move {
                s.store(true, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_secs(30)).await;
                Vec::new()
            }
        });
        while !started.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(!jobs.finish(Duration::from_millis(50)).await);
    }
}
