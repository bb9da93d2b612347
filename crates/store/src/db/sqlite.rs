use std::path::Path;
use std::time::Duration;

use rusqlite::types::{ToSqlOutput, Value as SqlValue, ValueRef};

use super::{DbError, DbResult, Row, Value};

pub struct SqliteConn {
    conn: rusqlite::Connection,
    /// How many `Conn::transaction`s are open on this connection (inner ones are savepoints).
    pub(crate) depth: u32,
    pub(crate) commit_hooks: Vec<super::CommitHook>,
}

/// How long a connection waits for another's lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

impl SqliteConn {
    pub fn open(path: &Path) -> DbResult<SqliteConn> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| DbError::Open(format!("无法创建数据目录 {}：{e}", dir.display())))?;
        }
        private_file(path).map_err(|e| {
            DbError::Open(format!("无法设置数据库文件 {} 的权限：{e}", path.display()))
        })?;
        let conn = rusqlite::Connection::open(path)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // Records are legal evidence: durability over speed. WAL lets readers run beside the
        // one writer. Switching a new file to WAL takes a lock SQLite doesn't wait for: when
        // servers start at once on a new file, all but one are told "database is locked" at
        // once. The settings are idempotent, so they are tried again for as long as a busy
        // database is waited for anywhere else.
        let started = std::time::Instant::now();
        loop {
            match conn.execute_batch(
                "PRAGMA journal_mode = WAL;
                 PRAGMA synchronous = FULL;
                 PRAGMA foreign_keys = ON;
                 PRAGMA temp_store = MEMORY;
                 PRAGMA secure_delete = ON;",
            ) {
                Ok(()) => break,
                Err(rusqlite::Error::SqliteFailure(e, _))
                    if e.code == rusqlite::ErrorCode::DatabaseBusy
                        && started.elapsed() < BUSY_TIMEOUT =>
                {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(e) => return Err(e.into()),
            }
        }
        // Without the query planner's stability guarantee, SQLite may mark a statement to be
        // planned again whenever a new value is bound to one of its parameters (its plan could
        // depend on the value): under 64 connections the cached session lookup and search were
        // parsed and planned afresh on every request, 40% of the server's CPU. Our plans come
        // from the indexes and the SQL as written, never from a bound value.
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
            true,
        )?;
        conn.set_prepared_statement_cache_capacity(256);
        Ok(SqliteConn {
            conn,
            depth: 0,
            commit_hooks: Vec::new(),
        })
    }

    pub fn execute(&mut self, sql: &str, params: &[Value]) -> DbResult<u64> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let n = stmt.execute(rusqlite::params_from_iter(params.iter().map(Bind)))?;
        Ok(n as u64)
    }

    pub fn query(&mut self, sql: &str, params: &[Value]) -> DbResult<Vec<Row>> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let cols = stmt.column_count();
        let mut rows = stmt.query(rusqlite::params_from_iter(params.iter().map(Bind)))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let mut vals = Vec::with_capacity(cols);
            for i in 0..cols {
                vals.push(match r.get_ref(i)? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(i) => Value::Int(i),
                    ValueRef::Real(f) => Value::Real(f),
                    ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Blob(b) => Value::Blob(b.to_vec()),
                });
            }
            out.push(Row(vals));
        }
        Ok(out)
    }

    pub fn batch(&mut self, sql: &str) -> DbResult<()> {
        Ok(self.conn.execute_batch(sql)?)
    }

    /// Raw access for the bulk loader and backups.
    pub fn raw(&mut self) -> &mut rusqlite::Connection {
        &mut self.conn
    }
}

struct Bind<'a>(&'a Value);

impl rusqlite::ToSql for Bind<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self.0 {
            Value::Null => ToSqlOutput::Owned(SqlValue::Null),
            Value::Int(i) => ToSqlOutput::Owned(SqlValue::Integer(*i)),
            Value::Real(f) => ToSqlOutput::Owned(SqlValue::Real(*f)),
            Value::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Value::Blob(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
        })
    }
}

/// Makes the database file readable by its owner only (0600, like the key file), creating it
/// so when new: it holds residents' records. SQLite gives its -wal and -shm files the mode of
/// the database file; ones left from before are tightened too.
pub(crate) fn private_file(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        if path.as_os_str().is_empty() || path.as_os_str() == ":memory:" {
            return Ok(());
        }
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
        {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
        for suffix in ["", "-wal", "-shm"] {
            let mut p = path.as_os_str().to_owned();
            p.push(suffix);
            let p = std::path::PathBuf::from(p);
            if let Ok(m) = std::fs::metadata(&p)
                && m.permissions().mode() & 0o077 != 0
            {
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600))?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    /// Without the planner's stability guarantee, cached statements were planned again on every
    /// use under load (see `SqliteConn::open`); only `scripts/bench` would notice it gone.
    #[test]
    fn every_connection_keeps_the_planners_stability_guarantee() {
        let dir = std::env::temp_dir().join(format!("shequ-qpsg-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut c = super::SqliteConn::open(&dir.join("t.db")).unwrap();
        let on = c
            .raw()
            .db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG)
            .unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(on);
    }

    /// Servers (or `shequ migrate` runs) started at once on a new database file: every one
    /// opens it. Switching a new file to WAL takes a lock that SQLite doesn't wait for.
    #[test]
    fn connections_opened_at_once_on_a_new_file_all_open() {
        use std::sync::{Arc, Barrier};
        let dir = std::env::temp_dir().join(format!("shequ-open-race-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for round in 0..100 {
            let file = dir.join(format!("r{round}.db"));
            let barrier = Arc::new(Barrier::new(6));
            let threads: Vec<_> = (0..6)
                .map(|_| {
                    let (file, barrier) = (file.clone(), barrier.clone());
                    std::thread::spawn(move || {
                        barrier.wait();
                        super::SqliteConn::open(&file)
                            .map(|_| ())
                            .map_err(|e| e.to_string())
                    })
                })
                .collect();
            for t in threads {
                let opened = t.join().unwrap();
                assert!(opened.is_ok(), "round {round}: {opened:?}");
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
