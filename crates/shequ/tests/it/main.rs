//! The integration tests of shequ, one binary so that a full run links once: each module is what
//! used to be a test file of its own (`tests/<name>.rs`), and `support` is their shared harness
//! (a fresh database per test, the real binary on a free port, HTTP clients, the 375 px phone).
//!
//! A new test file goes in this folder as `<name>.rs`, with `use crate::support;` where an old
//! file said `mod support;`, and one `mod <name>;` line below. Every test runs on a thread of this
//! one process, beside the tests of every other module, so none may rely on a process of its own:
//! no `std::env::set_var`, no change of the current directory, and scratch files named so that
//! no other test of the binary uses the name (the process id alone is the same for all of them).
//!
//! Run one module with `cargo test -p shequ --test it <name>::`, one test by its name.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod account_forms_browser;
mod api;
mod audit;
mod authz;
mod browser;
mod clock;
mod daily_work;
mod district_settings;
mod exports;
mod field_browser;
mod field_forms_browser;
mod figures;
mod figures_events;
mod forms;
mod forms_browser;
mod forms_covered;
mod imports;
mod ledgers;
mod login;
mod masking;
mod mediation;
mod mediation_lists;
mod migrations;
mod office_ledgers;
mod open311;
mod openapi;
mod page_errors;
mod page_text;
mod pages_browser;
mod patrols;
mod period_locks;
mod person_browser;
mod pool_panic;
mod privacy;
mod public_report;
mod records_forms_browser;
mod registration;
mod sealed;
mod security;
mod settings_forms_browser;
mod summary;
mod tickets;
mod tls;
mod tree_move;
mod visits;
mod vocabularies;
mod webdriver_smoke;
