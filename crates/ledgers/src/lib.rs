//! The composition of files from records and of records from files, for the pages and the
//! command line alike: `importing` reads a ledger into rows for the store's import plans and
//! reports on them; `export` lays out the ledgers the store hands out as .xlsx workbooks.
//! Nothing here speaks HTTP, so `shequ import` builds without the web crate.

pub mod book;
pub mod checked;
pub mod export;
pub mod forms;
pub mod importing;
pub mod summary;
