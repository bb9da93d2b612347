#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]
//! Domain types and validation rules of shequ, free of IO.
//!
//! Every parser accepts input the way residents and staff actually type or
//! paste it (full-width characters, stray spaces) and rejects the rest with
//! a Chinese message that names the field and says what to do.

pub mod clock;
pub mod credit_code;
pub mod dates;
pub mod id_number;
pub mod mask;
pub mod mediation;
pub mod names;
pub mod org;
pub mod parallel;
pub mod phone;
pub mod registry;
pub mod roles;
pub mod sex;
pub mod tags;
mod text;
pub mod tickets;
pub mod totp;
pub mod worktime;

pub use credit_code::{CreditCode, CreditCodeError};
pub use dates::{DateError, format_cn, from_excel_serial, parse_date};
pub use id_number::{IdNumber, IdNumberError};
pub use names::{NameError, NameKeys, normalize_name};
pub use phone::{Phone, PhoneError};
pub use sex::{Sex, SexError};
