#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]
//! Storage of `shequ`: one API over SQLite and PostgreSQL. Every function that returns records
//! takes the acting user (`scope::Actor`) and filters by their area inside the SQL.

pub mod access;
pub mod attachments;
pub mod clock;
pub mod db;
pub mod error;
pub mod field;
pub mod forms;
pub mod highlights;
pub mod imports;
pub mod indicators;
pub mod ledger;
pub mod mediation;
pub mod periods;
pub mod records;
pub mod registry;
pub mod tickets;

// The build's scan of `migrations/`, included here so its unit tests run with the store's.
#[cfg(test)]
#[path = "../build/scan.rs"]
mod build_scan;

pub use access::scope::Actor;
pub use clock::today;
pub use db::{Backend, Conn, DbUrl, Pool};
pub use error::{StoreError, StoreResult};

/// Opens the database named by `url`, runs pending migrations and returns a pool.
pub fn open(url: &str, pool_size: usize) -> StoreResult<Pool> {
    let url = DbUrl::parse(url).map_err(db::DbError::from)?;
    let pool = Pool::new(url, pool_size);
    let mut conn = pool.get()?;
    db::migrate::run(&mut conn)?;
    tickets::fill_respond_by(&mut conn)?;
    drop(conn);
    Ok(pool)
}

/// Opens the database (running migrations) and its key: `key_file`, else the default place
/// beside the database (`sealed::default_key_path`).
pub fn open_with_key(
    url: &str,
    pool_size: usize,
    key_file: Option<&std::path::Path>,
) -> StoreResult<(Pool, access::sealed::KeyReport)> {
    let parsed = DbUrl::parse(url).map_err(db::DbError::from)?;
    let path = key_file.map_or_else(
        || access::sealed::default_key_path(&parsed),
        |p| p.to_path_buf(),
    );
    let pool = open(url, pool_size)?;
    let mut conn = pool.get()?;
    let report = access::sealed::open_key(&mut conn, &path)?;
    drop(conn);
    Ok((pool, report))
}

/// A consistent copy of an SQLite database through `VACUUM INTO` (never a file copy, which
/// could catch a half-written page or miss the WAL). The key file is not part of it, on purpose.
pub fn backup(conn: &mut Conn, to: &std::path::Path) -> StoreResult<()> {
    if conn.backend() != Backend::Sqlite {
        return Err(StoreError::invalid(
            "数据库",
            "PostgreSQL 请用 pg_dump 备份（例如 pg_dump -Fc 库名 > 备份文件）",
        ));
    }
    if to.exists() {
        return Err(StoreError::invalid(
            "备份文件",
            format!("{} 已存在，请换一个文件名，以免覆盖旧备份", to.display()),
        ));
    }
    // An empty file made private first (VACUUM INTO fills an empty file): the copy holds the
    // same records as the database and must not be readable by others, not even for a moment.
    db::sqlite::private_file(to)
        .map_err(|e| StoreError::invalid("备份文件", format!("无法创建 {}：{e}", to.display())))?;
    let target = to.to_string_lossy().to_string();
    if let Err(e) = conn.execute("VACUUM INTO ?", params![target]) {
        let _ = std::fs::remove_file(to);
        return Err(e.into());
    }
    Ok(())
}
