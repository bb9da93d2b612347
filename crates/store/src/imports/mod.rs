//! Importing the ledgers offices already keep. `plan` compares every row with the registry
//! (by ID number, or document) without writing anything: new, unchanged, an update to accept
//! or skip, or rejected with the reason. `commit` writes the plan in one transaction — all or
//! nothing — creating the buildings, units and rooms the rows name under the chosen grid;
//! an idempotency key per upload makes a retried commit a no-op, and the import is audited
//! with who, the file's hash and the counts.

pub mod rentals;
pub mod tags;
pub mod units;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::NaiveDate;
use serde::Serialize;
use shequ_domain::access::mask::{mask_id, mask_phone};
use shequ_domain::registry::org::NodeKind;

use shequ_domain::registry::{RELATIONS, pick};

use crate::access::audit::{self, By, Event};
use crate::access::scope::Actor;
use crate::access::sealed::{Field, sealer};
use crate::clock::{now, today};
use crate::db::bulk;
use crate::db::{Conn, Value};
use crate::error::{StoreError, StoreResult};
use crate::params;
use crate::registry::people::{self, Person, PersonInput, ValidPerson};
use crate::registry::tree::{self, Node};

/// One row of a file, already read and mapped to the registry's fields.
#[derive(Debug, Clone)]
pub struct ImportRow {
    pub sheet: String,
    pub row: u32,
    pub person: PersonInput,
    pub building: String,
    pub unit: Option<String>,
    pub room: String,
    pub relation: Option<String>,
    pub moved_in_on: Option<NaiveDate>,
    /// 户号: rows of a room with the same number are one household, and rows with different
    /// numbers are different households, whoever is marked 户主.
    pub household_no: Option<String>,
}

/// A difference between the file and the registry, with numbers masked.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    pub field: &'static str,
    pub before: String,
    pub after: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    New,
    Unchanged {
        person_id: i64,
    },
    Update {
        person_id: i64,
        version: i64,
        changes: Vec<Change>,
    },
    Rejected {
        field: String,
        message: String,
    },
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

#[derive(Debug, Clone)]
pub struct Plan {
    pub grid_id: i64,
    pub rows: Vec<(ImportRow, Verdict)>,
}

impl Plan {
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for (_, v) in &self.rows {
            match v {
                Verdict::New => c.new += 1,
                Verdict::Unchanged { .. } => c.unchanged += 1,
                Verdict::Update { .. } => c.updated += 1,
                Verdict::Rejected { .. } => c.rejected += 1,
            }
        }
        c
    }
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

/// Compares every row with the registry. Writes nothing.
pub fn plan(
    conn: &mut Conn,
    actor: &Actor,
    grid_id: i64,
    rows: Vec<ImportRow>,
) -> StoreResult<Plan> {
    actor.require(actor.role.writes_people(), "导入人员")?;
    grid_for(conn, actor, grid_id, "人员")?;
    let s = sealer()?;
    // Checks and blind indexes are per row: spread over the cores.
    let checked = shequ_domain::parallel::par_map(&rows, 2000, |_, r| {
        let v = r.person.validate();
        let blind = match &v {
            Ok(p) => p
                .id_number
                .as_ref()
                .map(|id| s.blind(Field::IdNumber, id.as_str())),
            Err(_) => None,
        };
        (v, blind)
    });
    let mut valid = Vec::with_capacity(rows.len());
    // Existing people by the blind index of their ID number, 500 at a time.
    let mut blinds: Vec<(usize, String)> = Vec::new();
    for (i, (v, blind)) in checked.into_iter().enumerate() {
        if let Some(b) = blind {
            blinds.push((i, b?));
        }
        valid.push(v);
    }
    let mut existing: HashMap<String, (i64, String)> = HashMap::new();
    for chunk in blinds.chunks(500) {
        let marks = vec!["?"; chunk.len()].join(",");
        let args: Vec<Value> = chunk.iter().map(|(_, b)| Value::from(b.as_str())).collect();
        for r in conn.query(
            &format!("SELECT id_blind, id, area_path FROM persons WHERE id_blind IN ({marks})"),
            &args,
        )? {
            existing.insert(r.get(0)?, (r.get(1)?, r.get(2)?));
        }
    }
    let mut by_row: HashMap<usize, (i64, String)> = HashMap::new();
    for (i, b) in &blinds {
        if let Some(found) = existing.get(b) {
            by_row.insert(*i, found.clone());
        }
    }
    let mut out = Vec::with_capacity(rows.len());
    for (i, row) in rows.into_iter().enumerate() {
        let verdict =
            match std::mem::replace(&mut valid[i], Err(StoreError::Conflict(String::new()))) {
                Err(StoreError::Invalid { field, message }) => Verdict::Rejected { field, message },
                Err(e) => Verdict::Rejected {
                    field: String::new(),
                    message: e.to_string(),
                },
                Ok(p) => match by_row.get(&i) {
                    None => match document_holder(conn, &p)? {
                        None => Verdict::New,
                        Some((id, path)) => compare(conn, actor, &row, &p, id, &path)?,
                    },
                    Some((id, path)) => compare(conn, actor, &row, &p, *id, path)?,
                },
            };
        out.push((row, verdict));
    }
    Ok(Plan { grid_id, rows: out })
}

/// Someone without an ID number, matched by their document.
fn document_holder(conn: &mut Conn, p: &ValidPerson) -> StoreResult<Option<(i64, String)>> {
    if p.id_number.is_some() {
        return Ok(None);
    }
    let Some((t, n)) = &p.document else {
        return Ok(None);
    };
    Ok(
        match conn.query_opt(
            "SELECT id, area_path FROM persons WHERE doc_type = ? AND doc_no = ?",
            params![*t, n.as_str()],
        )? {
            Some(r) => Some((r.get(0)?, r.get(1)?)),
            None => None,
        },
    )
}

fn compare(
    conn: &mut Conn,
    actor: &Actor,
    row: &ImportRow,
    p: &ValidPerson,
    id: i64,
    path: &str,
) -> StoreResult<Verdict> {
    if !actor.sees_people_at(path) {
        // Nothing about that record is shown: only that it belongs elsewhere.
        return Ok(Verdict::Rejected {
            field: "公民身份号码".into(),
            message: "此人已在其他社区或网格登记，不能在这里重复登记；如已迁入本辖区，请联系原社区办理迁出后再录入".into(),
        });
    }
    let old = people::get(conn, actor, id)?;
    let mut changes = Vec::new();
    let mut diff = |field: &'static str, before: Option<String>, after: Option<String>| {
        if after.is_some() && before != after {
            changes.push(Change {
                field,
                before: before.unwrap_or_default(),
                after: after.unwrap_or_default(),
            });
        }
    };
    diff(
        "姓名",
        Some(old.name.expose().to_string()),
        Some(p.name.clone()),
    );
    diff(
        "联系电话",
        old.phone.as_ref().map(|x| x.masked()),
        p.phone.as_ref().map(|x| mask_phone(x.as_str())),
    );
    if row.person.ethnicity.is_some() {
        diff(
            "民族",
            Some(old.ethnicity.clone()),
            Some(p.ethnicity.to_string()),
        );
    }
    if row.person.person_type.is_some() {
        diff(
            "人员类型",
            Some(old.person_type.clone()),
            Some(p.person_type.to_string()),
        );
    }
    if row.person.employment.is_some() {
        diff(
            "就业状况",
            old.employment.clone(),
            p.employment.map(str::to_string),
        );
    }
    if row.person.notes.is_some() {
        diff("备注", old.notes.clone(), p.notes.clone());
    }
    Ok(if changes.is_empty() {
        Verdict::Unchanged { person_id: id }
    } else {
        Verdict::Update {
            person_id: id,
            version: old.version,
            changes,
        }
    })
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

/// Writes the plan: new people (with the buildings, units and rooms they need) and the updates
/// accepted (`accept(row index)`), in one transaction with the import's record and audit row.
pub fn commit(
    conn: &mut Conn,
    actor: &Actor,
    plan: &Plan,
    accept: &dyn Fn(usize) -> bool,
    file: &FileInfo,
    progress: &Progress,
) -> StoreResult<Outcome> {
    actor.require(actor.role.writes_people(), "导入人员")?;
    if let Some(done) = committed_before(conn, &file.idempotency_key)? {
        return Ok(done);
    }
    // A large import touches many pages before it commits: a bigger page cache for this
    // connection while it runs keeps them out of the OS round trip, then the default again.
    let sqlite = conn.backend() == crate::db::Backend::Sqlite;
    if sqlite {
        conn.batch("PRAGMA cache_size = -131072")?;
    }
    let result = commit_in(conn, actor, plan, accept, file, progress);
    if sqlite {
        conn.batch("PRAGMA cache_size = -2000")?;
    }
    result
}

fn commit_in(
    conn: &mut Conn,
    actor: &Actor,
    plan: &Plan,
    accept: &dyn Fn(usize) -> bool,
    file: &FileInfo,
    progress: &Progress,
) -> StoreResult<Outcome> {
    conn.transaction(|c| {
        let grid = grid_for(c, actor, plan.grid_id, "人员")?;
        let mut counts = Counts::default();
        let total = plan.rows.len();
        // Heads of household first, so the rest of a room's rows join their household.
        let mut order: Vec<usize> = (0..total).collect();
        order.sort_by_key(|i| {
            let r = &plan.rows[*i].0;
            r.relation.as_deref() != Some("户主")
        });
        let (written, places) = if rebuild_indexes(c, plan)? {
            bulk::without_indexes(c, "persons", |c| {
                bulk::without_indexes(c, "residences", |c| {
                    write_new(c, &grid, plan, &order, progress)
                })
            })
            .map_err(|e| match e {
                // With the indexes rebuilt afterwards, a duplicate shows up there.
                StoreError::Db(e) if e.is_unique_violation() => already_registered(),
                other => other,
            })?
        } else {
            write_new(c, &grid, plan, &order, progress)?
        };
        counts.new = written;
        for (done, i) in order.into_iter().enumerate() {
            if done % 100 == 0 {
                if progress.cancel.load(Ordering::Relaxed) {
                    return Err(StoreError::Conflict("导入已取消，没有写入任何数据".into()));
                }
                (progress.on_row)(done, total);
            }
            let (row, verdict) = &plan.rows[i];
            let at = at_row(&row.sheet, row.row);
            match verdict {
                // Written in one go above.
                Verdict::New => {}
                Verdict::Update {
                    person_id, version, ..
                } => {
                    if accept(i) {
                        let old = people::get(c, actor, *person_id)?;
                        let merged = merge(&old, &row.person);
                        people::update(c, actor, *person_id, &merged, Some(*version))
                            .map_err(at)?;
                        counts.updated += 1;
                    } else {
                        counts.skipped += 1;
                    }
                }
                Verdict::Unchanged { .. } => counts.unchanged += 1,
                Verdict::Rejected { .. } => counts.rejected += 1,
            }
        }
        (progress.on_row)(total, total);
        let import_id = record(
            c,
            actor,
            (grid.community_id.unwrap_or_default(), grid.id),
            "persons",
            file,
            &counts,
        )?;
        audit::record(
            c,
            By::Actor(actor),
            Event::ok("import", format!("import:{import_id}")).with(serde_json::json!({
                "类别": "人员",
                "网格": grid.name,
                "文件": file.file_name,
                "SHA-256": file.sha256,
                "新增": counts.new,
                "更新": counts.updated,
                "未变": counts.unchanged,
                "拒绝": counts.rejected,
                "新建楼栋单元房屋": places,
                "未采纳的更新": counts.skipped,
            })),
        )?;
        Ok(Outcome {
            import_id,
            counts,
            already_committed: false,
        })
    })
}

/// What committing one row of a plan came to.
pub(crate) enum Written {
    New,
    Updated,
    /// An update the user did not accept.
    Skipped,
    Unchanged,
    Rejected,
}

/// The commit every kind of import other than persons shares: once per upload (the
/// idempotency key), all rows in one transaction with a cancel check and progress every 100
/// rows, then the `imports` row and one audit row. `write` takes one row (with the node imported
/// into); `what` is the kind's
/// (code, label, what the role must be allowed to do).
#[allow(clippy::too_many_arguments)]
pub(crate) fn commit_plan<R>(
    conn: &mut Conn,
    actor: &Actor,
    what: (&str, &str, &str),
    node: impl FnOnce(&mut Conn) -> StoreResult<Node>,
    rows: &[R],
    file: &FileInfo,
    progress: &Progress,
    mut write: impl FnMut(&mut Conn, &Node, usize, &R) -> StoreResult<Written>,
) -> StoreResult<Outcome> {
    let (code, label, doing) = what;
    actor.require(actor.role.writes_people(), doing)?;
    if let Some(done) = committed_before(conn, &file.idempotency_key)? {
        return Ok(done);
    }
    conn.transaction(|c| {
        let node = node(c)?;
        let mut counts = Counts::default();
        let total = rows.len();
        for (i, row) in rows.iter().enumerate() {
            if i % 100 == 0 {
                if progress.cancel.load(Ordering::Relaxed) {
                    return Err(StoreError::Conflict("导入已取消，没有写入任何数据".into()));
                }
                (progress.on_row)(i, total);
            }
            match write(c, &node, i, row)? {
                Written::New => counts.new += 1,
                Written::Updated => counts.updated += 1,
                Written::Skipped => counts.skipped += 1,
                Written::Unchanged => counts.unchanged += 1,
                Written::Rejected => counts.rejected += 1,
            }
        }
        (progress.on_row)(total, total);
        let import_id = record(
            c,
            actor,
            (node.community_id.unwrap_or_default(), node.id),
            code,
            file,
            &counts,
        )?;
        audit::record(
            c,
            By::Actor(actor),
            Event::ok("import", format!("import:{import_id}")).with(serde_json::json!({
                "类别": label,
                "位置": node.name,
                "文件": file.file_name,
                "SHA-256": file.sha256,
                "新增": counts.new,
                "更新": counts.updated,
                "未变": counts.unchanged,
                "拒绝": counts.rejected,
                "未采纳的更新": counts.skipped,
            })),
        )?;
        Ok(Outcome {
            import_id,
            counts,
            already_committed: false,
        })
    })
}

/// A row's error, named by its sheet and row.
pub(crate) fn at_row(sheet: &str, row: u32) -> impl Fn(StoreError) -> StoreError + '_ {
    move |e| StoreError::invalid(format!("工作表“{sheet}”第 {row} 行"), e.to_string())
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

/// The file's values over the record's: what the file leaves empty stays as it is.
fn merge(old: &Person, new: &PersonInput) -> PersonInput {
    let pick = |n: &Option<String>, o: &Option<String>| n.clone().or_else(|| o.clone());
    PersonInput {
        name: new.name.clone(),
        id_number: old.id_number.as_ref().map(|v| v.expose().to_string()),
        doc_type: old.doc_type.clone(),
        doc_no: old.doc_no.as_ref().map(|v| v.expose().to_string()),
        sex: if old.id_number.is_some() {
            None
        } else {
            Some(old.sex.clone())
        },
        birth_date: if old.id_number.is_some() {
            None
        } else {
            Some(old.birth_date)
        },
        phone: pick(
            &new.phone,
            &old.phone.as_ref().map(|v| v.expose().to_string()),
        ),
        ethnicity: pick(&new.ethnicity, &Some(old.ethnicity.clone())),
        person_type: pick(&new.person_type, &Some(old.person_type.clone())),
        registered_here: new.registered_here.or(Some(old.registered_here)),
        employment: pick(&new.employment, &old.employment),
        notes: pick(&new.notes, &old.notes),
    }
}

/// Masked, for showing a row of the plan.
pub fn masked_id(row: &ImportRow) -> String {
    row.person
        .id_number
        .as_deref()
        .map(mask_id)
        .or_else(|| row.person.doc_no.as_deref().map(mask_id))
        .unwrap_or_default()
}

/// A mapping the user corrected for files with this header, if any (stored as JSON).
pub fn remembered_mapping(
    conn: &mut Conn,
    community_id: i64,
    signature: &str,
) -> StoreResult<Option<String>> {
    Ok(
        match conn.query_opt(
            "SELECT mapping FROM import_mappings WHERE community_id = ? AND kind = 'persons' AND signature = ?",
            params![community_id, signature],
        )? {
            Some(r) => Some(r.get(0)?),
            None => None,
        },
    )
}

pub fn remember_mapping(
    conn: &mut Conn,
    community_id: i64,
    signature: &str,
    mapping_json: &str,
) -> StoreResult<()> {
    conn.transaction(|c| {
        c.execute(
            "DELETE FROM import_mappings WHERE community_id = ? AND kind = 'persons' AND signature = ?",
            params![community_id, signature],
        )?;
        c.execute(
            "INSERT INTO import_mappings (community_id, kind, signature, mapping, updated_at) VALUES (?, 'persons', ?, ?, ?)",
            params![community_id, signature, mapping_json, now()],
        )?;
        Ok(())
    })
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

/// The new people of a plan, written the way a bulk load is: ids handed out here, rooms and
/// their households resolved once per room, rows inserted with prepared statements (COPY on
/// PostgreSQL). Inside the commit's transaction; the import's one audit row covers them.
/// Returns (people written, places created).
fn write_new(
    c: &mut Conn,
    grid: &Node,
    plan: &Plan,
    order: &[usize],
    progress: &Progress,
) -> StoreResult<(usize, usize)> {
    let community_id = grid.community_id.unwrap_or_default();
    let ts = now();
    let today = today();
    let mut ids = NextIds {
        node: bulk::next_id(c, "org_nodes")?,
        person: bulk::next_id(c, "persons")?,
        household: bulk::next_id(c, "households")?,
        residence: bulk::next_id(c, "residences")?,
    };
    let mut places: HashMap<(i64, String), (i64, String, NodeKind)> = HashMap::new();
    let mut created_places = 0;
    // Per room and 户号 (none when the file has none): the household rows join, and whether
    // it has a head yet.
    let mut households: HashMap<(i64, Option<String>), (i64, bool)> = HashMap::new();
    let mut pending = Pending::default();
    let mut fresh: std::collections::HashSet<i64> = std::collections::HashSet::new();
    let total = order.len();
    let mut written = 0;
    let new_rows: Vec<usize> = order
        .iter()
        .copied()
        .filter(|&i| matches!(plan.rows[i].1, Verdict::New))
        .collect();
    // The CPU-bound part of each row (checks, pinyin, sealing) is done a slice ahead on the
    // other cores while this thread writes: places and households need the rows in order.
    std::thread::scope(|s| -> StoreResult<()> {
        let (ahead, ready) = std::sync::mpsc::sync_channel(1);
        let slices = &new_rows;
        s.spawn(move || {
            for slice in slices.chunks(SLICE) {
                let prepared = shequ_domain::parallel::par_map(slice, 256, |_, &i| {
                    plan.rows[i].0.person.validate().and_then(|p| p.values())
                });
                // The writer stopped (an error, a cancel): nothing more is wanted.
                if ahead.send(prepared).is_err() {
                    return;
                }
            }
        });
        let mut prepared = Vec::new().into_iter();
        for (done, &i) in new_rows.iter().enumerate() {
            let row = &plan.rows[i].0;
            if done % 500 == 0 && progress.cancel.load(Ordering::Relaxed) {
                return Err(StoreError::Conflict("导入已取消，没有写入任何数据".into()));
            }
            if done % SLICE == 0 {
                (progress.on_row)(done, total);
                prepared = ready
                    .recv()
                    .map_err(|_| {
                        StoreError::Conflict(
                            "导入的核对线程意外停止，没有写入任何数据，请重试".into(),
                        )
                    })?
                    .into_iter();
            }
            let at = at_row(&row.sheet, row.row);
            let person_values = prepared
                .next()
                .ok_or_else(|| StoreError::Conflict("导入的行数与核对时不一致，请重新导入".into()))?
                .map_err(&at)?;
            // Building, unit, room: found, or made under the grid.
            let mut parent = (grid.id, grid.path.clone(), NodeKind::Grid);
            let mut steps = vec![(NodeKind::Building, building_name(&row.building))];
            if let Some(u) = &row.unit {
                steps.push((NodeKind::Unit, unit_name(u)));
            }
            steps.push((NodeKind::Room, row.room.trim().to_string()));
            for (kind, name) in steps {
                let key = (parent.0, name.clone());
                if let Some(found) = places.get(&key) {
                    parent = found.clone();
                    continue;
                }
                // Under a place made by this import there is nothing to find yet.
                let existing = if fresh.contains(&parent.0) {
                    None
                } else {
                    c.query_opt(
                    "SELECT id, path, kind FROM org_nodes WHERE parent_id = ? AND name = ? AND retired_on IS NULL",
                    params![parent.0, name.as_str()],
                )?
                };
                let node = match existing {
                    Some(r) => {
                        let k: String = r.get(2)?;
                        (r.get(0)?, r.get(1)?, NodeKind::parse(&k).unwrap_or(kind))
                    }
                    None => {
                        if !parent.2.may_contain(kind) {
                            return Err(at(StoreError::invalid(
                                "住址",
                                format!("{}下面不能直接建{}", parent.2.label(), kind.label()),
                            )));
                        }
                        let id = ids.node;
                        ids.node += 1;
                        let path = format!("{}{id}/", parent.1);
                        pending.nodes.push(
                            params![
                                id,
                                parent.0,
                                kind.as_str(),
                                name.as_str(),
                                path.as_str(),
                                community_id,
                                ts.as_str()
                            ]
                            .to_vec(),
                        );
                        pending.events.push(
                            params![
                                id,
                                community_id,
                                today,
                                ts.as_str(),
                                "created",
                                name.as_str()
                            ]
                            .to_vec(),
                        );
                        fresh.insert(id);
                        created_places += 1;
                        (id, path, kind)
                    }
                };
                places.insert(key, node.clone());
                parent = node;
            }
            let (room_id, room_path, _) = parent;
            let relation = pick(
                "与户主关系",
                RELATIONS,
                row.relation.as_deref().unwrap_or("户主"),
            )
            .map_err(|m| at(StoreError::invalid("与户主关系", m)))?;
            let head = relation == "户主";
            let numbered = row.household_no.is_some();
            let key = (room_id, row.household_no.clone());
            if let std::collections::hash_map::Entry::Vacant(slot) = households.entry(key.clone())
                && !fresh.contains(&room_id)
            {
                // A room that was there before may have a household already (with this 户号,
                // when the file gives one).
                let open: Vec<i64> = match &row.household_no {
                    None => c.query(
                        "SELECT DISTINCT household_id FROM residences WHERE room_id = ? AND moved_out_on IS NULL ORDER BY household_id",
                        params![room_id],
                    )?,
                    Some(no) => c.query(
                        "SELECT DISTINCT r.household_id FROM residences r JOIN households h ON h.id = r.household_id
                         WHERE r.room_id = ? AND r.moved_out_on IS NULL AND h.household_no = ? ORDER BY r.household_id",
                        params![room_id, no.as_str()],
                    )?,
                }
                .iter()
                .map(|r| r.get(0))
                .collect::<Result<_, _>>()?;
                if let Some(h) = open.first() {
                    let heads = c.scalar(
                    "SELECT count(*) FROM residences WHERE household_id = ? AND moved_out_on IS NULL AND relation = '户主'",
                    params![*h],
                )?;
                    slot.insert((*h, heads > 0));
                }
            }
            let on = row.moved_in_on.filter(|d| *d <= today).unwrap_or(today);
            let household = match households.get(&key) {
                // Without a 户号, a second head in the room starts a household of their own;
                // with one, the number says whose household it is.
                Some((h, has_head)) if numbered || !(head && *has_head) => *h,
                _ => {
                    let h = ids.household;
                    ids.household += 1;
                    pending.households.push(
                        params![h, community_id, room_id, row.household_no.as_deref(), on].to_vec(),
                    );
                    h
                }
            };
            let had_head = households
                .get(&key)
                .is_some_and(|x| x.0 == household && x.1);
            households.insert(key, (household, head || had_head));
            let pid = ids.person;
            ids.person += 1;
            let mut values = params![pid, community_id, room_path.as_str(), 1].to_vec();
            values.extend(person_values);
            values.extend(params![ts.as_str(), ts.as_str()].to_vec());
            pending.persons.push(values);
            pending.residences.push(
                params![
                    ids.residence,
                    community_id,
                    pid,
                    household,
                    room_id,
                    relation,
                    on
                ]
                .to_vec(),
            );
            ids.residence += 1;
            // Written in slices, so a large file never holds all its rows as SQL values at once.
            if pending.persons.len() >= SLICE {
                written += pending.flush(c)?;
            }
        }
        written += pending.flush(c)?;
        Ok(())
    })?;
    bulk::finish(c, &["org_nodes", "persons", "households", "residences"])?;
    Ok((written, created_places))
}

/// Someone in the file was registered between the dry run and the commit.
fn already_registered() -> StoreError {
    StoreError::Conflict("文件中有人已在系统中登记（可能刚被他人录入），请重新核对后再导入".into())
}

/// New rows from which a load into SQLite drops the persons and residences indexes and builds
/// them again afterwards, when the file also brings at least as many people as are stored.
/// Building an index from all rows at once is cheaper than inserting each new row into it
/// (the blind indexes are random by design) only while the table isn't much bigger than the
/// file: a community's first ledger, not the thousandth row of a city's database.
const REBUILD_FROM_ROWS: usize = 20_000;

fn rebuild_indexes(c: &mut Conn, plan: &Plan) -> StoreResult<bool> {
    if c.backend() != crate::db::Backend::Sqlite {
        // On PostgreSQL dropping an index would lock every reader of the table out.
        return Ok(false);
    }
    let new = plan
        .rows
        .iter()
        .filter(|(_, v)| matches!(v, Verdict::New))
        .count();
    if new < REBUILD_FROM_ROWS {
        return Ok(false);
    }
    let stored = c.scalar("SELECT count(*) FROM persons", params![])?;
    Ok(i64::try_from(new).unwrap_or(i64::MAX) >= stored)
}

/// Rows prepared and written at a time: large enough to keep every core busy, small enough
/// that a 200 000-row file never holds all its rows as SQL values at once.
const SLICE: usize = 5000;

/// Rows waiting to be written, in the order foreign keys need them.
#[derive(Default)]
struct Pending {
    nodes: Vec<Vec<Value>>,
    events: Vec<Vec<Value>>,
    persons: Vec<Vec<Value>>,
    households: Vec<Vec<Value>>,
    residences: Vec<Vec<Value>>,
}

impl Pending {
    fn flush(&mut self, c: &mut Conn) -> StoreResult<usize> {
        bulk::insert_rows(
            c,
            "org_nodes",
            &[
                "id",
                "parent_id",
                "kind",
                "name",
                "path",
                "community_id",
                "created_at",
            ],
            &self.nodes,
        )?;
        bulk::insert_rows(
            c,
            "node_events",
            &[
                "node_id",
                "community_id",
                "happened_on",
                "recorded_at",
                "kind",
                "after_value",
            ],
            &self.events,
        )?;
        let mut person_cols = vec!["id", "community_id", "area_path", "living"];
        person_cols.extend_from_slice(people::STORED);
        person_cols.extend_from_slice(&["created_at", "updated_at"]);
        let written = self.persons.len();
        bulk::insert_rows(c, "persons", &person_cols, &self.persons).map_err(|e| {
            if e.is_unique_violation() {
                already_registered()
            } else {
                e.into()
            }
        })?;
        bulk::insert_rows(
            c,
            "households",
            &[
                "id",
                "community_id",
                "room_id",
                "household_no",
                "created_on",
            ],
            &self.households,
        )?;
        bulk::insert_rows(
            c,
            "residences",
            &[
                "id",
                "community_id",
                "person_id",
                "household_id",
                "room_id",
                "relation",
                "moved_in_on",
            ],
            &self.residences,
        )?;
        *self = Pending::default();
        Ok(written)
    }
}

struct NextIds {
    node: i64,
    person: i64,
    household: i64,
    residence: i64,
}
