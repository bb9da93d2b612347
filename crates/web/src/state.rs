use std::sync::Arc;
use std::time::Duration;

use shequ_store::access::users::LoginPolicy;
use shequ_store::{Conn, Pool, StoreError};

use crate::error::AppError;

#[derive(Clone)]
pub struct AppState {
    pub inner: Arc<Inner>,
}

pub struct Inner {
    pub pool: Pool,
    /// Sessions idle longer than this end.
    pub idle: Duration,
    pub login: LoginPolicy,
    /// Reached over HTTPS (TLS here or at a proxy): Secure cookies and HSTS.
    pub secure: bool,
    /// Files uploaded for import, waiting to be checked and committed (memory only).
    pub uploads: crate::uploads::Uploads,
    /// Signs the time a public form was handed out (the 居民随手拍 form refuses one sent
    /// faster than a person types). New at every start: a form open across a restart is
    /// simply reloaded.
    pub form_secret: [u8; 32],
    /// The address residents and other systems reach this site at (`serve --public-url`), for
    /// the 随手拍 QR codes and Open311 discovery; never taken from a request's Host header.
    /// Unset, it becomes the listening address when the server starts (a local demo).
    pub public_url: std::sync::OnceLock<String>,
    /// Password hashes verified at once: argon2 is CPU-bound by design, and a flood of logins
    /// must leave cores (and pooled connections) to the people saving their work.
    pub login_hashing: tokio::sync::Semaphore,
    /// 随手拍 form stamps already used, until they expire: each form is sent once.
    pub used_stamps: std::sync::Mutex<std::collections::HashMap<String, u64>>,
    /// One permit per pooled connection, taken before a request's database work gets a
    /// blocking thread: requests beyond the pool wait here as cheap tasks instead of each
    /// parking a thread of its own on the pool (under 64 connections that grew tokio's
    /// blocking pool to hundreds of threads, each with its allocator heap).
    pub db_slots: Arc<tokio::sync::Semaphore>,
}

/// What an operator may tune at start-up.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub idle: Duration,
    pub login: LoginPolicy,
    pub secure: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            idle: Duration::from_secs(30 * 60),
            login: LoginPolicy::default(),
            secure: false,
        }
    }
}

impl AppState {
    pub fn new(pool: Pool, settings: Settings) -> AppState {
        AppState {
            inner: Arc::new(Inner {
                pool: pool.clone(),
                idle: settings.idle,
                login: settings.login,
                secure: settings.secure,
                uploads: Default::default(),
                form_secret: {
                    let mut s = [0u8; 32];
                    // Without system randomness the secret stays fixed, which only weakens
                    // the typing-speed check; sessions fail loudly elsewhere in that case.
                    let _ = getrandom::fill(&mut s);
                    s
                },
                public_url: std::sync::OnceLock::new(),
                login_hashing: tokio::sync::Semaphore::new(
                    std::thread::available_parallelism()
                        .map_or(1, |n| n.get() / 2)
                        .max(1),
                ),
                used_stamps: Default::default(),
                db_slots: Arc::new(tokio::sync::Semaphore::new(pool.max_size())),
            }),
        }
    }

    /// The site's public address without a trailing '/', e.g. `https://shequ.example.gov.cn`.
    pub fn public_url(&self) -> &str {
        self.inner
            .public_url
            .get()
            .map_or("http://127.0.0.1:8080", |u| u.trim_end_matches('/'))
    }

    /// Runs blocking database work off the async runtime, on a pooled connection, once one of
    /// the pool's slots is free (so at most one blocking thread per connection does it).
    /// Runs a short read on the calling thread when that costs less than handing it to a
    /// worker: on SQLite (a read is local and never waits for a writer under WAL) with a pooled
    /// connection idle right now; otherwise gives `f` back, for `db`. Only for point reads by
    /// an index (a session, a record's area): anything longer would hold up every request
    /// this thread serves. Under 64 connections a request's thread hand-offs (its session, its
    /// record's area, its work) cost more CPU than those reads themselves.
    pub fn read_here<T, F>(&self, f: F) -> Result<Result<T, AppError>, F>
    where
        F: FnOnce(&mut Conn) -> Result<T, StoreError>,
    {
        if !matches!(self.inner.pool.url(), shequ_store::DbUrl::Sqlite(_)) {
            return Err(f);
        }
        let Ok(_slot) = self.inner.db_slots.try_acquire() else {
            return Err(f);
        };
        let Some(mut conn) = self.inner.pool.try_get() else {
            return Err(f);
        };
        Ok(f(&mut conn).map_err(AppError::from))
    }

    /// A point read (see `read_here`): here when it can be, else on a database worker.
    pub async fn point_read<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Conn) -> Result<T, StoreError> + Send + 'static,
    {
        match self.read_here(f) {
            Ok(answer) => answer,
            Err(f) => self.db(f).await,
        }
    }

    pub async fn db<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Conn) -> Result<T, StoreError> + Send + 'static,
    {
        let slot = self
            .inner
            .db_slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| AppError::Internal(format!("数据库工作队列已关闭：{e}")))?;
        let pool = self.inner.pool.clone();
        tokio::task::spawn_blocking(move || {
            // Held until the connection is back in the pool, even when the request that
            // asked has gone away meanwhile.
            let _slot = slot;
            let mut conn = pool.get().map_err(StoreError::from)?;
            f(&mut conn)
        })
        .await
        .map_err(|e| AppError::Internal(format!("后台任务失败：{e}")))?
        .map_err(AppError::from)
    }
}
