//! What an operator needs beside the portal: metrics, liveness and
//! readiness, jobs that stop cleanly, and SQLite backups.

pub mod backup;
pub mod health;
pub mod jobs;
pub mod metrics;
