#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]
//! Office files (to be written).
