//! One small SQL interface over SQLite (rusqlite) and PostgreSQL (postgres). Queries are written
//! once with `?` placeholders in the common subset of both dialects; the few places where the
//! dialects really differ ask `Conn::backend()`.

pub mod bulk;
pub mod migrate;
mod pg;
mod pool;
pub(crate) mod sqlite;
mod url;
mod value;

pub use pool::{Pool, PooledConn};

/// Work to do after the outermost transaction commits (`Conn::on_commit`), with its key.
pub(crate) type CommitHook = (&'static str, Box<dyn FnOnce() + Send>);
pub use url::{DbUrl, DbUrlError};
pub use value::{FromValue, Row, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("PostgreSQL: {0}")]
    Postgres(#[from] postgres::Error),
    #[error("{0}")]
    Url(#[from] DbUrlError),
    #[error("读取数据库结果出错：{0}")]
    Decode(String),
    #[error("数据库迁移出错：{0}")]
    Migration(String),
    #[error("无法打开数据库：{0}")]
    Open(String),
}

impl DbError {
    /// A unique or primary-key constraint refused the write.
    pub fn is_unique_violation(&self) -> bool {
        match self {
            DbError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            }
            DbError::Postgres(e) => e.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION),
            _ => false,
        }
    }
}

pub type DbResult<T> = Result<T, DbError>;

/// An open connection to either backend.
pub enum Conn {
    Sqlite(sqlite::SqliteConn),
    Postgres(Box<pg::PgConn>),
}

impl Conn {
    pub fn open(url: &DbUrl) -> DbResult<Conn> {
        Ok(match url {
            DbUrl::Sqlite(path) => Conn::Sqlite(sqlite::SqliteConn::open(path)?),
            DbUrl::Postgres(u) => Conn::Postgres(Box::new(pg::PgConn::open(u)?)),
        })
    }

    pub fn backend(&self) -> Backend {
        match self {
            Conn::Sqlite(_) => Backend::Sqlite,
            Conn::Postgres(_) => Backend::Postgres,
        }
    }

    /// Runs one statement; returns the number of rows changed.
    pub fn execute(&mut self, sql: &str, params: &[Value]) -> DbResult<u64> {
        match self {
            Conn::Sqlite(c) => c.execute(sql, params),
            Conn::Postgres(c) => c.execute(sql, params),
        }
    }

    pub fn query(&mut self, sql: &str, params: &[Value]) -> DbResult<Vec<Row>> {
        match self {
            Conn::Sqlite(c) => c.query(sql, params),
            Conn::Postgres(c) => c.query(sql, params),
        }
    }

    pub fn query_opt(&mut self, sql: &str, params: &[Value]) -> DbResult<Option<Row>> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    pub fn query_one(&mut self, sql: &str, params: &[Value]) -> DbResult<Row> {
        self.query_opt(sql, params)?
            .ok_or_else(|| DbError::Decode("查询没有返回结果".into()))
    }

    /// A single integer, e.g. a `count(*)`.
    pub fn scalar(&mut self, sql: &str, params: &[Value]) -> DbResult<i64> {
        self.query_one(sql, params)?.get(0)
    }

    /// Runs an `INSERT … RETURNING id` and returns that id.
    pub fn insert(&mut self, sql: &str, params: &[Value]) -> DbResult<i64> {
        self.scalar(sql, params)
    }

    /// Runs several `;`-separated statements without parameters.
    pub fn batch(&mut self, sql: &str) -> DbResult<()> {
        match self {
            Conn::Sqlite(c) => c.batch(sql),
            Conn::Postgres(c) => c.batch(sql),
        }
    }

    /// Runs `f` in one write transaction: on SQLite `BEGIN IMMEDIATE`, so the write lock is
    /// taken up front and two writers queue on `busy_timeout` instead of one failing mid-way.
    /// Any error, or a panic, rolls everything back.
    /// Runs `f` in a transaction: committed when it returns Ok, rolled back otherwise. Called
    /// inside another transaction (an import creating people one by one), it becomes a
    /// savepoint, so the outer transaction still commits or vanishes as a whole.
    pub fn transaction<T, E: From<DbError>>(
        &mut self,
        f: impl FnOnce(&mut Conn) -> Result<T, E>,
    ) -> Result<T, E> {
        let depth = self.depth();
        let (begin, commit, rollback) = if depth == 0 {
            let begin = match self.backend() {
                Backend::Sqlite => "BEGIN IMMEDIATE".to_string(),
                Backend::Postgres => "BEGIN".to_string(),
            };
            (begin, "COMMIT".to_string(), "ROLLBACK".to_string())
        } else {
            (
                format!("SAVEPOINT sp{depth}"),
                format!("RELEASE SAVEPOINT sp{depth}"),
                format!("ROLLBACK TO SAVEPOINT sp{depth}; RELEASE SAVEPOINT sp{depth}"),
            )
        };
        self.batch(&begin)?;
        let hooks_before = self.hooks().len();
        self.set_depth(depth + 1);
        // A panic inside `f` must not leave the transaction open (on SQLite, holding the
        // write lock for every other connection) nor this thread's pending audit end pointing
        // at a row that will never exist: roll back here, then let the panic go on.
        let result = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(self))) {
            Ok(r) => r,
            Err(panic) => {
                self.set_depth(depth);
                let _ = self.batch(&rollback);
                self.hooks().truncate(hooks_before);
                std::panic::resume_unwind(panic);
            }
        };
        self.set_depth(depth);
        // Only the outermost transaction's end decides whether what was registered with
        // `on_commit` happens (the audit chain's end anchored outside the database) or is
        // forgotten with the rows it was about.
        match result {
            Ok(v) => {
                if let Err(e) = self.batch(&commit) {
                    let _ = self.batch(&rollback);
                    self.hooks().truncate(hooks_before);
                    return Err(e.into());
                }
                if depth == 0 {
                    self.run_commit_hooks();
                }
                Ok(v)
            }
            Err(e) => {
                let _ = self.batch(&rollback);
                self.hooks().truncate(hooks_before);
                Err(e)
            }
        }
    }

    /// Runs `hook` once the outermost transaction open on this connection commits; forgets it
    /// if that transaction (or the savepoint it was registered in) rolls back. Of several hooks
    /// registered under one `key` in a transaction only the last runs: the audit log registers
    /// the chain's end after every row, and only the final end needs anchoring. Outside a
    /// transaction the hook runs at once. This keeps the database layer ignorant of what the
    /// hooks do (the audit log sits above it).
    pub fn on_commit(&mut self, key: &'static str, hook: Box<dyn FnOnce() + Send>) {
        if self.depth() == 0 {
            hook();
        } else {
            self.hooks().push((key, hook));
        }
    }

    fn hooks(&mut self) -> &mut Vec<CommitHook> {
        match self {
            Conn::Sqlite(c) => &mut c.commit_hooks,
            Conn::Postgres(c) => &mut c.commit_hooks,
        }
    }

    fn run_commit_hooks(&mut self) {
        let hooks = std::mem::take(self.hooks());
        let mut seen = Vec::new();
        let mut last = Vec::new();
        for (key, hook) in hooks.into_iter().rev() {
            if !seen.contains(&key) {
                seen.push(key);
                last.push(hook);
            }
        }
        for hook in last.into_iter().rev() {
            hook();
        }
    }

    fn depth(&self) -> u32 {
        match self {
            Conn::Sqlite(c) => c.depth,
            Conn::Postgres(c) => c.depth,
        }
    }

    fn set_depth(&mut self, d: u32) {
        match self {
            Conn::Sqlite(c) => c.depth = d,
            Conn::Postgres(c) => c.depth = d,
        }
    }

    /// True while a transaction is open on this connection: one of `transaction`'s, or on
    /// SQLite any that the engine itself reports.
    pub(crate) fn in_transaction(&mut self) -> bool {
        match self {
            Conn::Sqlite(c) => c.depth > 0 || !c.raw().is_autocommit(),
            Conn::Postgres(c) => c.depth > 0,
        }
    }

    /// Rolls back whatever transaction is open, for a connection whose holder never ended it.
    pub(crate) fn abandon_transaction(&mut self) -> DbResult<()> {
        self.set_depth(0);
        self.hooks().clear();
        self.batch("ROLLBACK")
    }

    /// True when the connection can't be reused (PostgreSQL server gone).
    pub(crate) fn is_broken(&self) -> bool {
        match self {
            Conn::Sqlite(_) => false,
            Conn::Postgres(c) => c.is_closed(),
        }
    }
}

/// Upper bound for a prefix range scan: `col >= p AND col < prefix_end(p)` uses an index on
/// both backends (with byte-order collation), where `LIKE 'p%'` would not on PostgreSQL.
pub fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}
