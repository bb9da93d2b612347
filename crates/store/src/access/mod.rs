//! Who is acting and what they may see: the acting user and their area (`scope`), accounts and
//! sessions (`users`), the second factor (`second_factor`), the types personal values leave the
//! store in (`personal`), encrypted columns (`sealed`) and the hash-chained audit log (`audit`).

pub mod audit;
pub mod personal;
pub mod scope;
pub mod sealed;
pub mod second_factor;
pub mod users;
