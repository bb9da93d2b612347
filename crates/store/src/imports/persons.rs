//! Importing a persons ledger (实有人口台账) into a grid. `plan` compares every row with the
//! registry (by the blind index of the ID number, or by document) without writing anything;
//! the commit (the shared skeleton in `imports`) writes new people in one bulk load — creating
//! the buildings, units and rooms the rows name under the grid, households grouped by the
//! ledger's 户号 when it has one, else by room — then the accepted updates.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use chrono::NaiveDate;
use serde::Serialize;
use shequ_domain::access::mask::{mask_id, mask_phone};
use shequ_domain::registry::org::NodeKind;
use shequ_domain::registry::{RELATIONS, pick};

use crate::access::scope::Actor;
use crate::access::sealed::{Field, sealer};
use crate::clock::{now, today};
use crate::db::bulk;
use crate::db::{Conn, Value};
use crate::error::{StoreError, StoreResult};
use crate::imports::{
    Ahead, Change, Judged, Kind, Names, Progress, Written, at_row, building_name, grid_for,
    unit_name,
};
use crate::params;
use crate::registry::people::{self, Person, PersonInput, ValidPerson};
use crate::registry::tree::Node;

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

#[derive(Debug, Clone)]
pub struct Plan {
    pub grid_id: i64,
    pub rows: Vec<(ImportRow, Verdict)>,
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

impl Kind for Plan {
    type Row = ImportRow;
    type Verdict = Verdict;

    fn names(&self) -> Names {
        Names {
            code: "persons",
            label: "人员",
            doing: "导入人员",
            place: "网格",
            // A large import touches many pages before it commits.
            large: true,
        }
    }

    fn rows(&self) -> &[(ImportRow, Verdict)] {
        &self.rows
    }

    fn judged(v: &Verdict) -> Judged {
        match v {
            Verdict::New => Judged::New,
            Verdict::Unchanged { .. } => Judged::Unchanged,
            Verdict::Update { .. } => Judged::Update,
            Verdict::Rejected { .. } => Judged::Rejected,
        }
    }

    fn node(&self, c: &mut Conn, actor: &Actor) -> StoreResult<Node> {
        grid_for(c, actor, self.grid_id, "人员")
    }

    /// Heads of household first, so the rest of a room's rows join their household.
    fn order(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.rows.len()).collect();
        order.sort_by_key(|i| {
            let r = &self.rows[*i].0;
            r.relation.as_deref() != Some("户主")
        });
        order
    }

    /// The new people, in one bulk load before the row pass.
    fn write_ahead(
        &self,
        c: &mut Conn,
        grid: &Node,
        order: &[usize],
        progress: &Progress,
    ) -> StoreResult<Ahead> {
        let (written, places) = if rebuild_indexes(c, self)? {
            bulk::without_indexes(c, "persons", |c| {
                bulk::without_indexes(c, "residences", |c| {
                    write_new(c, grid, self, order, progress)
                })
            })
            .map_err(|e| match e {
                // With the indexes rebuilt afterwards, a duplicate shows up there.
                StoreError::Db(e) if e.is_unique_violation() => already_registered(),
                other => other,
            })?
        } else {
            write_new(c, grid, self, order, progress)?
        };
        Ok(Ahead {
            new: written,
            audit: vec![("新建楼栋单元房屋", places.into())],
        })
    }

    fn write(
        &self,
        c: &mut Conn,
        actor: &Actor,
        _: &Node,
        i: usize,
        accept: &dyn Fn(usize) -> bool,
    ) -> StoreResult<Written> {
        let (row, verdict) = &self.rows[i];
        let at = at_row(&row.sheet, row.row);
        Ok(match verdict {
            // Written in one go ahead of the rows.
            Verdict::New => Written::Ahead,
            Verdict::Update {
                person_id, version, ..
            } => {
                if accept(i) {
                    let old = people::get(c, actor, *person_id)?;
                    let merged = merge(&old, &row.person);
                    people::update(c, actor, *person_id, &merged, Some(*version)).map_err(at)?;
                    Written::Updated
                } else {
                    Written::Skipped
                }
            }
            Verdict::Unchanged { .. } => Written::Unchanged,
            Verdict::Rejected { .. } => Written::Rejected,
        })
    }
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
