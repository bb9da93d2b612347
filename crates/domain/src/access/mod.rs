//! Who may do what: roles and their permissions, the second factor (TOTP), and how personal
//! values are masked when they leave.

pub mod mask;
pub mod roles;
pub mod totp;
