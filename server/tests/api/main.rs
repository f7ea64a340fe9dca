//! Integration tests: the real server on a random port, against a fresh
//! SQLite file and a fresh PostgreSQL database. Every test runs on both.

mod accounts;
mod admin;
mod aging;
mod auth;
mod authz_matrix;
mod cli;
mod credit_note_einvoices;
mod disputes;
mod early_discount;
mod einvoice_imports;
mod exports;
mod hardening;
mod helpers;
mod imports;
mod invoicing;
mod late_charges;
mod ledger;
mod legal;
mod mail;
mod mock_stripe;
mod money;
mod no_js;
mod ops;
mod pages;
mod payment_flows;
mod payments;
mod promises;
mod received;
mod reminder_messages;
mod reminder_timing;
mod reminders;
mod seed;
mod sms;
mod stripe_gateway;
mod stripe_mode;
