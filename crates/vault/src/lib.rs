#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]
//! Encryption at rest (to be written).
