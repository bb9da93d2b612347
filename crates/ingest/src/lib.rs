#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]
//! Reading the ledgers offices already keep. `read` opens an untrusted .xlsx/.xls/.csv with
//! limits (size, entries, decompression ratio, cell references) into plain `Table`s;
//! `header` finds the header row among title rows and recognises column names; `persons`
//! turns one row into a person candidate with per-cell errors and warnings; `tags` reads a
//! special-group list (低保台账 …) the same way, plus the group's own columns. No database here.

pub mod form;
pub mod header;
pub mod labelled;
pub mod persons;
pub mod read;
pub mod table;
pub mod tags;

pub use header::{Column, Field, Header, find_header, recognise, signature};
pub use persons::{
    Address, Candidate, Mapping, Problem, RowOutcome, is_data_sheet, parse_row, parse_table,
};
pub use read::{Limits, LooksLike, ReadError, read};
pub use table::{Cell, Merge, Row, Table};
