//! Importing the ledgers offices already keep, in one shape for every kind (persons, special
//! groups, 辖区单位, 出租房屋): a plan compares every row with the registry without writing
//! anything — new, unchanged, an update to accept or skip, or rejected with the reason — and
//! `commit_plan` writes it in one transaction, all or nothing: an idempotency key per upload
//! makes a retried commit a no-op, a cancel stops it with nothing kept, and the import leaves
//! its `imports` row and one audit row with who, the file's hash and the counts. A kind
//! (`Kind`) says only what is its own: its names, its rows, the node imported into, and how
//! one row is written.

pub mod mediation;
pub mod patrols;
pub mod persons;
pub mod rentals;
pub mod tags;
pub mod tickets;
pub mod units;
pub mod visits;

pub use persons::{
    ImportRow, Plan, Verdict, masked_id, plan, remember_mapping, remembered_mapping,
};

use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;
use shequ_domain::registry::org::NodeKind;

use crate::access::audit::{self, By, Event};
use crate::access::scope::Actor;
use crate::clock::now;
use crate::db::Conn;
use crate::error::{StoreError, StoreResult};
use crate::params;
use crate::registry::tree::{self, Node};

/// A difference between the file and the registry, with numbers masked.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    pub field: &'static str,
    pub before: String,
    pub after: String,
}

#[derive(Debug, Clone, Copy, Default, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Counts {
    pub new: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub rejected: usize,
    /// Updates shown but not accepted.
    pub skipped: usize,
}

/// How a plan judged one row, as counted before the commit.
#[derive(Debug, Clone, Copy)]
pub enum Judged {
    New,
    Unchanged,
    Update,
    Rejected,
}

/// "13" → "13幢", "2" → "2单元": the names the tree uses.
pub(crate) fn building_name(b: &str) -> String {
    let b = b.trim();
    if b.chars().all(|c| c.is_ascii_digit()) {
        format!("{b}幢")
    } else {
        b.to_string()
    }
}

pub(crate) fn unit_name(u: &str) -> String {
    let u = u.trim();
    if u.chars().all(|c| c.is_ascii_digit()) {
        format!("{u}单元")
    } else {
        u.to_string()
    }
}

/// The grid a ledger is imported into, if the actor may bring `what` (人员, 单位 …) there.
pub(crate) fn grid_for(
    conn: &mut Conn,
    actor: &Actor,
    grid_id: i64,
    what: &str,
) -> StoreResult<Node> {
    let grid = tree::get(conn, actor, grid_id)?;
    if grid.kind != NodeKind::Grid {
        return Err(StoreError::invalid(
            "导入位置",
            format!("请选择一个网格（“{}”是{}）", grid.name, grid.kind.label()),
        ));
    }
    if !actor.sees_people_at(&grid.path) {
        return Err(StoreError::Forbidden(format!("您无权向这个网格导入{what}")));
    }
    Ok(grid)
}

/// Who imports what, for the `imports` table and the audit row.
#[derive(Debug, Clone)]
pub struct FileInfo {
    pub file_name: String,
    pub sha256: String,
    /// One per upload: a second commit of the same upload changes nothing.
    pub idempotency_key: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub import_id: i64,
    pub counts: Counts,
    /// This upload had been committed before: nothing was written now.
    pub already_committed: bool,
}

/// Rows written so far, for a progress bar; `cancel` stops the commit (nothing is kept).
pub struct Progress<'a> {
    pub on_row: &'a (dyn Fn(usize, usize) + Sync),
    pub cancel: &'a AtomicBool,
}

/// What committing one row of a plan came to.
pub enum Written {
    New,
    Updated,
    /// An update the user did not accept.
    Skipped,
    Unchanged,
    Rejected,
    /// Written (and counted) by `Kind::write_ahead`.
    Ahead,
}

/// The names of a kind of import.
pub struct Names {
    /// `imports.kind`.
    pub code: &'static str,
    /// 类别 in the audit row.
    pub label: &'static str,
    /// What the role must be allowed to do.
    pub doing: &'static str,
    /// The audit row's key for the node imported into.
    pub place: &'static str,
    /// A bigger SQLite page cache for the commit's connection while it runs.
    pub large: bool,
}

impl Names {
    /// A kind whose audit row names the node imported into 位置, committed with the default
    /// page cache.
    pub fn of(code: &'static str, label: &'static str, doing: &'static str) -> Names {
        Names {
            code,
            label,
            doing,
            place: "位置",
            large: false,
        }
    }
}

/// What a kind wrote before the row pass: new rows, and what its audit row adds.
#[derive(Default)]
pub struct Ahead {
    pub new: usize,
    pub audit: Vec<(&'static str, serde_json::Value)>,
}

/// A kind of import, as its plan: what the skeleton of `commit` asks of it.
pub trait Kind {
    type Row;
    type Verdict;

    fn names(&self) -> Names;
    fn rows(&self) -> &[(Self::Row, Self::Verdict)];
    fn judged(v: &Self::Verdict) -> Judged;

    /// The plan's rows counted by how they were judged.
    fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for (_, v) in self.rows() {
            match Self::judged(v) {
                Judged::New => c.new += 1,
                Judged::Unchanged => c.unchanged += 1,
                Judged::Update => c.updated += 1,
                Judged::Rejected => c.rejected += 1,
            }
        }
        c
    }
    /// The node imported into, looked up again inside the commit's transaction.
    fn node(&self, c: &mut Conn, actor: &Actor) -> StoreResult<Node>;

    /// The order rows are written in.
    fn order(&self) -> Vec<usize> {
        (0..self.rows().len()).collect()
    }

    /// What is written in one go before the rows one by one (nothing, unless a kind loads in
    /// bulk).
    fn write_ahead(
        &self,
        _c: &mut Conn,
        _node: &Node,
        _order: &[usize],
        _progress: &Progress,
    ) -> StoreResult<Ahead> {
        Ok(Ahead::default())
    }

    /// Writes row `i`; `accept(i)` says whether an update shown was accepted.
    fn write(
        &self,
        c: &mut Conn,
        actor: &Actor,
        node: &Node,
        i: usize,
        accept: &dyn Fn(usize) -> bool,
    ) -> StoreResult<Written>;
}

/// Writes a plan of any kind: new rows and the updates accepted (`accept(row index)`), once
/// per upload (the idempotency key), all rows in one transaction with a cancel check and
/// progress every 100 rows, then the `imports` row and one audit row.
pub fn commit<K: Kind>(
    conn: &mut Conn,
    actor: &Actor,
    plan: &K,
    accept: &dyn Fn(usize) -> bool,
    file: &FileInfo,
    progress: &Progress,
) -> StoreResult<Outcome> {
    let names = plan.names();
    actor.require(actor.role.writes_people(), names.doing)?;
    if let Some(done) = committed_before(conn, &file.idempotency_key)? {
        return Ok(done);
    }
    // A large import touches many pages before it commits: a bigger page cache for this
    // connection while it runs keeps them out of the OS round trip, then the default again.
    let sqlite = names.large && conn.backend() == crate::db::Backend::Sqlite;
    if sqlite {
        conn.batch("PRAGMA cache_size = -131072")?;
    }
    let result = conn.transaction(|c| write_plan(c, actor, plan, &names, accept, file, progress));
    if sqlite {
        conn.batch("PRAGMA cache_size = -2000")?;
    }
    result
}

fn write_plan<K: Kind>(
    c: &mut Conn,
    actor: &Actor,
    plan: &K,
    names: &Names,
    accept: &dyn Fn(usize) -> bool,
    file: &FileInfo,
    progress: &Progress,
) -> StoreResult<Outcome> {
    let node = plan.node(c, actor)?;
    let total = plan.rows().len();
    let order = plan.order();
    let ahead = plan.write_ahead(c, &node, &order, progress)?;
    let mut counts = Counts {
        new: ahead.new,
        ..Counts::default()
    };
    for (done, i) in order.into_iter().enumerate() {
        if done % 100 == 0 {
            if progress.cancel.load(Ordering::Relaxed) {
                return Err(StoreError::Conflict("导入已取消，没有写入任何数据".into()));
            }
            (progress.on_row)(done, total);
        }
        match plan.write(c, actor, &node, i, accept)? {
            Written::New => counts.new += 1,
            Written::Updated => counts.updated += 1,
            Written::Skipped => counts.skipped += 1,
            Written::Unchanged => counts.unchanged += 1,
            Written::Rejected => counts.rejected += 1,
            Written::Ahead => {}
        }
    }
    (progress.on_row)(total, total);
    let import_id = record(
        c,
        actor,
        (node.community_id.unwrap_or_default(), node.id),
        names.code,
        file,
        &counts,
    )?;
    let mut detail = serde_json::json!({
        "类别": names.label,
        "文件": file.file_name,
        "SHA-256": file.sha256,
        "新增": counts.new,
        "更新": counts.updated,
        "未变": counts.unchanged,
        "拒绝": counts.rejected,
        "未采纳的更新": counts.skipped,
    });
    if let Some(map) = detail.as_object_mut() {
        map.insert(names.place.into(), node.name.clone().into());
        for (key, value) in ahead.audit {
            map.insert(key.into(), value);
        }
    }
    audit::record(
        c,
        By::Actor(actor),
        Event::ok("import", format!("import:{import_id}")).with(detail),
    )?;
    Ok(Outcome {
        import_id,
        counts,
        already_committed: false,
    })
}

/// A row's error, named by its sheet and row.
pub(crate) fn at_row(sheet: &str, row: u32) -> impl Fn(StoreError) -> StoreError + '_ {
    move |e| StoreError::invalid(format!("工作表“{sheet}”第 {row} 行"), e.to_string())
}

/// How a plan judged a row of past records (visits, patrols, mediation cases): new, with what to
/// write; already recorded; or refused with the field and the reason.
#[derive(Debug, Clone)]
pub enum Past<T> {
    New(T),
    Unchanged,
    Rejected { field: String, message: String },
}

impl<T> Past<T> {
    pub fn refuse(field: &str, message: impl Into<String>) -> Past<T> {
        Past::Rejected {
            field: field.to_string(),
            message: message.into(),
        }
    }

    pub fn judged(&self) -> Judged {
        match self {
            Past::New(_) => Judged::New,
            Past::Unchanged => Judged::Unchanged,
            Past::Rejected { .. } => Judged::Rejected,
        }
    }
}

/// A past record's day inside its community's locked period, refused with the lock's words
/// (the commit's `periods::entering` would refuse it too, for the whole file).
pub(crate) fn in_locked_period<T>(
    conn: &mut Conn,
    community: i64,
    field: &str,
    on: chrono::NaiveDate,
) -> StoreResult<Option<Past<T>>> {
    Ok(crate::periods::current(conn, community)?
        .filter(|lock| on <= lock.through_on)
        .map(|lock| {
            Past::refuse(
                field,
                format!(
                    "{on} 在已锁定的期间内（{} 及以前已由{}锁定）：确需补录请先由社区书记解除锁定",
                    lock.through_on, lock.locked_by
                ),
            )
        }))
}

/// What writing a row in a rolled-back transaction came to.
enum Tried {
    /// It would be written: rolled back on purpose.
    Fine,
    Refused(StoreError),
}

impl From<crate::db::DbError> for Tried {
    fn from(e: crate::db::DbError) -> Tried {
        Tried::Refused(StoreError::Db(e))
    }
}

/// Writes a past record as the page would (`write`), in a transaction rolled back on purpose,
/// so a row is refused for the very reason the page would refuse it: a value by its field, a
/// place the importer may not write or a step the record can't take as 位置. `new` is the row's
/// verdict when nothing was refused; any other error is the plan's.
pub(crate) fn as_the_page_would<T>(
    conn: &mut Conn,
    new: T,
    write: impl FnOnce(&mut Conn) -> StoreResult<()>,
) -> StoreResult<Past<T>> {
    let tried = conn.transaction(|c| -> Result<(), Tried> {
        write(c).map_err(Tried::Refused)?;
        Err(Tried::Fine)
    });
    Ok(match tried {
        Err(Tried::Refused(StoreError::Invalid { field, message })) => {
            Past::Rejected { field, message }
        }
        Err(Tried::Refused(
            e @ (StoreError::Forbidden(_)
            | StoreError::NotFound(_)
            | StoreError::Conflict(_)
            | StoreError::IllegalStep { .. }),
        )) => Past::refuse("位置", message_of(&e)),
        Err(Tried::Refused(e)) => return Err(e),
        Err(Tried::Fine) | Ok(()) => Past::New(new),
    })
}

/// A store error's message without its field (a report names the field itself).
pub(crate) fn message_of(e: &StoreError) -> String {
    match e {
        StoreError::Invalid { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

/// The outcome of the commit this upload already had, if any.
pub(crate) fn committed_before(conn: &mut Conn, key: &str) -> StoreResult<Option<Outcome>> {
    let Some(r) = conn.query_opt(
        "SELECT id, counts FROM imports WHERE idempotency_key = ?",
        params![key],
    )?
    else {
        return Ok(None);
    };
    let counts: String = r.get(1)?;
    Ok(Some(Outcome {
        import_id: r.get(0)?,
        counts: serde_json::from_str(&counts).unwrap_or_default(),
        already_committed: true,
    }))
}

/// The `imports` row of a commit. `at`: (community, the node imported into).
pub(crate) fn record(
    c: &mut Conn,
    actor: &Actor,
    at: (i64, i64),
    kind: &str,
    file: &FileInfo,
    counts: &Counts,
) -> StoreResult<i64> {
    let counts_json = serde_json::to_string(counts).unwrap_or_else(|_| "{}".into());
    Ok(c.insert(
        "INSERT INTO imports (community_id, grid_id, user_id, kind, file_name, file_sha256, idempotency_key, counts, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        params![
            at.0,
            at.1,
            actor.user_id,
            kind,
            file.file_name.as_str(),
            file.sha256.as_str(),
            file.idempotency_key.as_str(),
            counts_json.as_str(),
            now()
        ],
    )?)
}

/// A node named by its path of names from the top ("示范区/第一街道/凤凰熙岸社区/第1网格"), or
/// by its number.
pub fn node_by_path(conn: &mut Conn, path: &str) -> StoreResult<i64> {
    if let Ok(id) = path.trim().parse::<i64>() {
        return Ok(id);
    }
    let mut parent: Option<i64> = None;
    for name in path.split('/').map(str::trim).filter(|n| !n.is_empty()) {
        let found = conn.query_opt(
            "SELECT id FROM org_nodes WHERE parent_id IS NOT DISTINCT FROM ? AND name = ? AND retired_on IS NULL",
            params![parent, name],
        )?;
        match found {
            Some(r) => parent = Some(r.get(0)?),
            None => {
                return Err(StoreError::invalid(
                    "网格",
                    format!(
                        "找不到“{name}”（在“{path}”中）：请写从区开始的完整路径，如 示范区/第一街道/凤凰熙岸社区/第1网格，或写节点编号"
                    ),
                ));
            }
        }
    }
    parent.ok_or_else(|| StoreError::invalid("网格", "请给出网格的路径或编号"))
}
