use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use super::{Conn, DbError, DbResult, DbUrl};

/// A fixed-size connection pool. Connections are blocking; the web layer borrows one inside
/// `spawn_blocking`, so a slow query never stalls the async runtime.
#[derive(Clone)]
pub struct Pool {
    inner: Arc<Inner>,
}

struct Inner {
    url: DbUrl,
    max: usize,
    state: Mutex<State>,
    freed: Condvar,
}

struct State {
    idle: Vec<Conn>,
    open: usize,
}

impl Pool {
    pub fn new(url: DbUrl, max: usize) -> Pool {
        Pool {
            inner: Arc::new(Inner {
                url,
                max: max.max(1),
                state: Mutex::new(State {
                    idle: Vec::new(),
                    open: 0,
                }),
                freed: Condvar::new(),
            }),
        }
    }

    pub fn url(&self) -> &DbUrl {
        &self.inner.url
    }

    pub fn get(&self) -> DbResult<PooledConn> {
        let poisoned = |_| DbError::Open("连接池状态损坏".into());
        let mut state = self.inner.state.lock().map_err(poisoned)?;
        loop {
            if let Some(conn) = state.idle.pop() {
                return Ok(PooledConn {
                    conn: Some(conn),
                    pool: self.clone(),
                });
            }
            if state.open < self.inner.max {
                state.open += 1;
                drop(state);
                return match Conn::open(&self.inner.url) {
                    Ok(conn) => Ok(PooledConn {
                        conn: Some(conn),
                        pool: self.clone(),
                    }),
                    Err(e) => {
                        if let Ok(mut s) = self.inner.state.lock() {
                            s.open -= 1;
                        }
                        self.inner.freed.notify_one();
                        Err(e)
                    }
                };
            }
            let (s, timeout) = self
                .inner
                .freed
                .wait_timeout(state, Duration::from_secs(30))
                .map_err(|_| DbError::Open("连接池状态损坏".into()))?;
            state = s;
            if timeout.timed_out() && state.idle.is_empty() && state.open >= self.inner.max {
                return Err(DbError::Open("数据库繁忙：30 秒内没有空闲连接".into()));
            }
        }
    }
}

pub struct PooledConn {
    conn: Option<Conn>,
    pool: Pool,
}

impl Deref for PooledConn {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        // Only `drop` takes the connection out.
        self.conn.as_ref().unwrap_or_else(|| unreachable!())
    }
}

impl DerefMut for PooledConn {
    fn deref_mut(&mut self) -> &mut Conn {
        self.conn.as_mut().unwrap_or_else(|| unreachable!())
    }
}

impl Drop for PooledConn {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        if let Ok(mut state) = self.pool.inner.state.lock() {
            if conn.is_broken() {
                state.open -= 1;
            } else {
                state.idle.push(conn);
            }
        }
        self.pool.inner.freed.notify_one();
    }
}
