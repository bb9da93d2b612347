#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]
//! Domain types and validation rules of shequ, free of IO.
//!
//! Every parser accepts input the way residents and staff actually type or
//! paste it (full-width characters, stray spaces) and rejects the rest with
//! a Chinese message that names the field and says what to do.

pub mod access;
pub mod clock;
pub mod dates;
pub mod figures;
pub mod forms;
pub mod mediation;
pub mod parallel;
pub mod registry;
mod text;
pub mod tickets;
pub mod workflow;
pub mod worktime;

pub use dates::{DateError, DayTime, format_cn, from_excel_serial, parse_date, parse_day_time};
pub use registry::credit_code::{CreditCode, CreditCodeError};
pub use registry::id_number::{IdNumber, IdNumberError};
pub use registry::names::{NameError, NameKeys, normalize_name};
pub use registry::phone::{Phone, PhoneError};
pub use registry::sex::{Sex, SexError};
