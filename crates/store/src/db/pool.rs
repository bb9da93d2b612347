use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::{Conn, DbError, DbResult, DbUrl};

/// How long `get` waits for a free connection before telling the caller the database is busy.
const WAIT: Duration = Duration::from_secs(30);

/// A fixed-size connection pool (r2d2). Connections are blocking; the web layer borrows one
/// inside `spawn_blocking`, so a slow query never stalls the async runtime.
///
/// A connection comes back only outside any transaction: one returned inside a transaction
/// (its holder panicked between BEGIN and COMMIT) is rolled back, or dropped when that fails,
/// so nobody is handed SQLite's write lock or half a transaction.
#[derive(Clone)]
pub struct Pool {
    inner: r2d2::Pool<Manager>,
    url: Arc<DbUrl>,
    /// Whether the last attempt to open a connection worked. r2d2 opens connections on its
    /// own thread and reports a failure only after the whole wait; while the database is
    /// unreachable, `get` opens one itself so the caller hears why at once, as before.
    reachable: Arc<AtomicBool>,
}

struct Manager {
    url: Arc<DbUrl>,
    reachable: Arc<AtomicBool>,
}

impl r2d2::ManageConnection for Manager {
    type Connection = Conn;
    type Error = DbError;

    fn connect(&self) -> DbResult<Conn> {
        let conn = Conn::open(&self.url);
        self.reachable.store(conn.is_ok(), Ordering::Relaxed);
        conn
    }

    /// Checked at every checkout, so it must not cost a round trip: `Conn::transaction` ends
    /// what it begins, and the return check below already mended what a panic left open.
    fn is_valid(&self, conn: &mut Conn) -> DbResult<()> {
        if conn.in_transaction() {
            return Err(DbError::Open("连接仍处于未结束的事务中".into()));
        }
        Ok(())
    }

    fn has_broken(&self, conn: &mut Conn) -> bool {
        if conn.is_broken() {
            return true;
        }
        if conn.in_transaction() {
            tracing::warn!("数据库连接归还时仍在事务中（持有者中途崩溃），已回滚");
            return conn.abandon_transaction().is_err();
        }
        false
    }
}

impl Pool {
    pub fn new(url: DbUrl, max: usize) -> Pool {
        let url = Arc::new(url);
        let reachable = Arc::new(AtomicBool::new(false));
        let manager = Manager {
            url: url.clone(),
            reachable: reachable.clone(),
        };
        // Opened on demand and kept, like the hand-written pool before: a street office's
        // server is idle at night and must not fail its first morning request reconnecting.
        let inner = r2d2::Pool::builder()
            .max_size(u32::try_from(max.max(1)).unwrap_or(u32::MAX))
            .min_idle(Some(0))
            .idle_timeout(None)
            .max_lifetime(None)
            .connection_timeout(WAIT)
            .error_handler(Box::new(r2d2::NopErrorHandler))
            .build_unchecked(manager);
        Pool {
            inner,
            url,
            reachable,
        }
    }

    pub fn url(&self) -> &DbUrl {
        &self.url
    }

    /// Most connections the pool holds at once.
    pub fn max_size(&self) -> usize {
        self.inner.max_size() as usize
    }

    /// A connection if one is idle right now, never waiting (nor opening one).
    pub fn try_get(&self) -> Option<PooledConn> {
        self.inner.try_get().map(|conn| PooledConn { conn })
    }

    pub fn get(&self) -> DbResult<PooledConn> {
        if !self.reachable.load(Ordering::Relaxed) && self.inner.state().idle_connections == 0 {
            // The error the database gives, now, rather than "busy" in 30 seconds.
            drop(Conn::open(&self.url)?);
            self.reachable.store(true, Ordering::Relaxed);
        }
        match self.inner.get() {
            Ok(conn) => Ok(PooledConn { conn }),
            Err(e) if self.reachable.load(Ordering::Relaxed) => {
                tracing::debug!("waiting for a pooled connection: {e}");
                Err(DbError::Open("数据库繁忙：30 秒内没有空闲连接".into()))
            }
            Err(e) => Err(DbError::Open(e.to_string())),
        }
    }
}

pub struct PooledConn {
    conn: r2d2::PooledConnection<Manager>,
}

impl Deref for PooledConn {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        &self.conn
    }
}

impl DerefMut for PooledConn {
    fn deref_mut(&mut self) -> &mut Conn {
        &mut self.conn
    }
}
