//! Integration tests: the real server on a random port, against a fresh
//! SQLite file and a fresh PostgreSQL database. Every test runs on both.

mod auth;
mod authz_matrix;
mod helpers;
mod pages;
mod seed;
