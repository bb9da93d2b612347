//! Uploaded files waiting for their owner to check and commit them. They live in memory only:
//! a ledger holds plaintext ID numbers, which never go to the database unsealed. An upload
//! expires after an hour; a user holds at most a few at a time.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use shequ_store::imports::{Outcome, Plan};

use shequ_ledgers::importing::Reading;

/// An upload of a ledger other than persons, read and compared.
pub type Other = Box<dyn shequ_ledgers::checked::Checked>;

pub const MAX_PER_USER: usize = 3;
pub const TTL: Duration = Duration::from_secs(3600);

#[derive(Debug, Clone)]
pub enum Stage {
    /// Read and compared: waiting for the user's decision.
    Checked,
    Writing,
    Done(Outcome),
    Failed(String),
}

pub struct Upload {
    pub id: i64,
    pub user_id: i64,
    pub grid_id: i64,
    /// Where the grid is (the access guard checks it like any record's area).
    pub grid_path: String,
    pub community_id: i64,
    pub bytes: Vec<u8>,
    pub reading: Mutex<Reading>,
    pub plan: Mutex<Plan>,
    /// A special-group list or a units ledger instead of a persons ledger (then `reading` and
    /// `plan` are empty).
    pub other: Option<Other>,
    pub stage: Mutex<Stage>,
    pub written: AtomicUsize,
    pub total: AtomicUsize,
    pub cancel: AtomicBool,
    created: Instant,
}

impl Upload {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        id: i64,
        user_id: i64,
        grid_id: i64,
        grid_path: String,
        community_id: i64,
        bytes: Vec<u8>,
        reading: Reading,
        plan: Plan,
    ) -> Upload {
        Upload {
            id,
            user_id,
            grid_id,
            grid_path,
            community_id,
            bytes,
            reading: Mutex::new(reading),
            plan: Mutex::new(plan),
            other: None,
            stage: Mutex::new(Stage::Checked),
            written: AtomicUsize::new(0),
            total: AtomicUsize::new(0),
            cancel: AtomicBool::new(false),
            created: Instant::now(),
        }
    }

    /// An upload of another kind of ledger.
    pub fn with_other(mut self, other: Other) -> Upload {
        self.other = Some(other);
        self
    }

    pub fn stage(&self) -> Stage {
        match self.stage.lock() {
            Ok(s) => s.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    pub fn set_stage(&self, s: Stage) {
        match self.stage.lock() {
            Ok(mut g) => *g = s,
            Err(p) => *p.into_inner() = s,
        }
    }

    pub fn progress(&self) -> (usize, usize) {
        (
            self.written.load(Ordering::Relaxed),
            self.total.load(Ordering::Relaxed),
        )
    }
}

/// Locks a mutex, recovering the data if a panicking thread poisoned it (an upload's data is
/// plain values, never left half-updated by a panic).
pub fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

#[derive(Default)]
pub struct Uploads {
    map: Mutex<HashMap<i64, Arc<Upload>>>,
}

impl Uploads {
    /// Keeps an upload; drops expired ones, and the user's oldest beyond `MAX_PER_USER`.
    pub fn put(&self, u: Upload) -> Arc<Upload> {
        let mut map = lock(&self.map);
        map.retain(|_, x| x.created.elapsed() < TTL);
        let mut mine: Vec<(Instant, i64)> = map
            .values()
            .filter(|x| x.user_id == u.user_id && !matches!(x.stage(), Stage::Writing))
            .map(|x| (x.created, x.id))
            .collect();
        mine.sort();
        while mine.len() >= MAX_PER_USER {
            let (_, id) = mine.remove(0);
            map.remove(&id);
        }
        let u = Arc::new(u);
        map.insert(u.id, u.clone());
        u
    }

    pub fn get(&self, id: i64) -> Option<Arc<Upload>> {
        lock(&self.map)
            .get(&id)
            .filter(|u| u.created.elapsed() < TTL)
            .cloned()
    }

    pub fn remove(&self, id: i64) {
        lock(&self.map).remove(&id);
    }
}

/// A random positive id for an upload (not guessable, unlike a counter).
pub fn new_id() -> Option<i64> {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).ok()?;
    Some((i64::from_le_bytes(b) & i64::MAX).max(1))
}
