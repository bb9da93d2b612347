//! Ledgers (台账): the registry as the tables offices print and send upward, derived from the
//! records, never typed again. Taking a copy of personal data out of the system is an export:
//! it needs the permission, a session that passed the second factor, and leaves an audit row
//! with the row count.

pub mod catalogue;
pub mod stream;

use std::collections::HashMap;

use chrono::NaiveDate;
use shequ_domain::registry::tags::tag_kind;

use crate::access::audit::{self, By, Event};
use crate::access::personal::Revealed;
use crate::access::scope::Actor;
use crate::access::sealed::{Field, sealer};
use crate::db::{Conn, Value, prefix_end};
use crate::error::{StoreError, StoreResult};
use crate::registry::search::{age_on, place_names};
use crate::{clock, registry::tree};

/// More than this is not a ledger anyone prints; ask for a smaller area.
pub const MAX_ROWS: usize = 100_000;

/// One resident of the 实有人口台账.
#[derive(Debug, Clone)]
pub struct ResidentRow {
    pub community: String,
    pub address: String,
    pub relation: String,
    pub name: String,
    pub sex: String,
    pub birth_date: NaiveDate,
    pub age: i64,
    pub id_number: Option<String>,
    /// Document type and number of someone without an ID number.
    pub document: Option<String>,
    pub phone: Option<String>,
    pub ethnicity: String,
    pub person_type: String,
    pub registered_here: bool,
    pub moved_in_on: NaiveDate,
    /// Open special-group tags, e.g. "低保、残疾".
    pub groups: String,
}

/// Everyone living under `node_id` now, in the order of the tree (building, unit, room,
/// household head first), with full values. Audited as an export with the row count.
pub fn residents(
    conn: &mut Conn,
    actor: &Actor,
    node_id: i64,
) -> StoreResult<(String, Vec<ResidentRow>)> {
    let (place, rows) = residents_unaudited(conn, actor, node_id)?;
    let rows: Vec<ResidentRow> = rows.into_iter().map(|(_, r)| r).collect();
    audit::record_alone(
        conn,
        By::Actor(actor),
        Event::ok("export", format!("node:{node_id}")).with(serde_json::json!({
            "台账": "实有人口台账",
            "范围": place,
            "行数": rows.len(),
        })),
    )?;
    Ok((place, rows))
}

/// The residents' rows with their person ids; the caller audits the export.
fn residents_unaudited(
    conn: &mut Conn,
    actor: &Actor,
    node_id: i64,
) -> StoreResult<(String, Vec<(i64, ResidentRow)>)> {
    actor.require(actor.role.exports_people(), "导出人员台账")?;
    crate::access::second_factor::require(actor)?;
    let node = tree::get(conn, actor, node_id)?;
    if !actor.sees_people_at(&node.path) {
        return Err(StoreError::Forbidden("您无权导出这里的人员信息".into()));
    }
    let (cf, mut args) = actor.people_community_filter("p.community_id");
    let (pf, pargs) = actor.people_path_filter("p.area_path");
    args.push(Value::from(node.path.as_str()));
    args.push(Value::from(prefix_end(&node.path)));
    args.extend(pargs);
    args.push(Value::from(MAX_ROWS + 1));
    let rows = conn.query(
        &format!(
            "SELECT p.id, p.name, p.sex, p.birth_date, p.id_sealed, p.doc_type, p.doc_no, p.phone, p.ethnicity,
                    p.person_type, p.registered_here, p.area_path, r.relation, r.moved_in_on, r.household_id
             FROM persons p JOIN residences r ON r.person_id = p.id AND r.moved_out_on IS NULL
             WHERE {cf} AND p.living = 1 AND p.area_path >= ? AND p.area_path < ? AND {pf}
             ORDER BY p.area_path, r.household_id, CASE WHEN r.relation = '户主' THEN 0 ELSE 1 END, p.birth_date
             LIMIT ?"
        ),
        &args,
    )?;
    if rows.len() > MAX_ROWS {
        return Err(StoreError::invalid(
            "范围",
            format!("一次最多导出 {MAX_ROWS} 人，请选择更小的范围（例如一个社区或网格）"),
        ));
    }
    let s = sealer()?;
    let ids: Vec<i64> = rows.iter().map(|r| r.get(0)).collect::<Result<_, _>>()?;
    let groups = open_groups(conn, &ids)?;
    let paths: Vec<String> = rows.iter().map(|r| r.get(11)).collect::<Result<_, _>>()?;
    let places = place_names(conn, &paths)?;
    let today = clock::today();
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let id: i64 = r.get(0)?;
        let birth: NaiveDate = r.get(3)?;
        let doc_type: Option<String> = r.get(5)?;
        let doc_no: Option<String> = r.get(6)?;
        let path: String = r.get(11)?;
        let (community, address) = places.get(&path).cloned().unwrap_or_default();
        out.push((
            id,
            ResidentRow {
                community,
                address,
                relation: r.get(12)?,
                name: r.get(1)?,
                sex: r.get(2)?,
                birth_date: birth,
                age: age_on(birth, today),
                id_number: s.open_opt(Field::IdNumber, r.get(4)?)?,
                document: doc_type.zip(doc_no).map(|(t, n)| format!("{t} {n}")),
                phone: s.open_opt(Field::Phone, r.get(7)?)?,
                ethnicity: r.get(8)?,
                person_type: r.get(9)?,
                registered_here: r.get(10)?,
                moved_in_on: r.get(13)?,
                groups: groups.get(&id).cloned().unwrap_or_default(),
            },
        ));
    }
    Ok((node.name, out))
}

/// The open special-group tags of these people, as "低保、残疾".
fn open_groups(conn: &mut Conn, ids: &[i64]) -> StoreResult<HashMap<i64, String>> {
    stream::open_groups_on(conn, ids, clock::today())
}

/// Records an export made elsewhere (the audit log's own export), with its row count.
pub fn record_export(conn: &mut Conn, actor: &Actor, what: &str, rows: usize) -> StoreResult<()> {
    audit::record_alone(
        conn,
        By::Actor(actor),
        Event::ok("export", what.to_string()).with(serde_json::json!({ "行数": rows })),
    )
}

/// One person of a special-group ledger (低保台账, 残疾人档案 …).
#[derive(Debug, Clone)]
pub struct GroupRow {
    pub person: ResidentRow,
    pub category: Option<String>,
    pub grade: Option<i64>,
    pub details: std::collections::BTreeMap<String, String>,
    pub started_on: NaiveDate,
}

/// Everyone under `node_id` with an open tag of `kind` (for household tags: the household's
/// head), with the tag's own fields. Same permission, second factor and audit as `residents`.
pub fn group_list(
    conn: &mut Conn,
    actor: &Actor,
    node_id: i64,
    kind: &str,
) -> StoreResult<(
    String,
    &'static shequ_domain::registry::tags::TagKind,
    Vec<GroupRow>,
)> {
    let spec = tag_kind(kind)
        .ok_or_else(|| StoreError::invalid("类别", format!("没有“{kind}”这一类重点人群")))?;
    let (place, people) = residents_unaudited(conn, actor, node_id)?;
    let by_id: HashMap<i64, ResidentRow> = people.into_iter().collect();
    let ids: Vec<i64> = by_id.keys().copied().collect();
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let marks = vec!["?"; chunk.len()].join(",");
        let mut args: Vec<Value> = vec![Value::from(spec.code)];
        args.extend(chunk.iter().map(|i| Value::Int(*i)));
        args.push(Value::from(spec.code));
        args.extend(chunk.iter().map(|i| Value::Int(*i)));
        // A household's tag is listed on its head.
        for r in conn.query(
            &format!(
                "SELECT p.id, t.category, t.grade, t.details, t.started_on FROM tags t
                 JOIN persons p ON p.id = t.person_id
                 WHERE t.kind = ? AND t.ended_on IS NULL AND p.id IN ({marks})
                 UNION ALL
                 SELECT r.person_id, t.category, t.grade, t.details, t.started_on FROM tags t
                 JOIN residences r ON r.household_id = t.household_id AND r.moved_out_on IS NULL AND r.relation = '户主'
                 WHERE t.kind = ? AND t.ended_on IS NULL AND r.person_id IN ({marks})"
            ),
            &args,
        )? {
            let pid: i64 = r.get(0)?;
            let category: Option<String> = r.get(1)?;
            let details: String = r.get(3)?;
            let details = crate::access::sealed::load_details(spec.code, category.as_deref(), &details)?;
            if let Some(person) = by_id.get(&pid) {
                out.push(GroupRow {
                    person: person.clone(),
                    category,
                    grade: r.get(2)?,
                    details: serde_json::from_str(&details).unwrap_or_default(),
                    started_on: r.get(4)?,
                });
            }
        }
    }
    out.sort_by(|a, b| {
        (&a.person.community, &a.person.address).cmp(&(&b.person.community, &b.person.address))
    });
    audit::record_alone(
        conn,
        By::Actor(actor),
        Event::ok("export", format!("node:{node_id}")).with(serde_json::json!({
            "台账": format!("{}台账", spec.label),
            "范围": place,
            "行数": out.len(),
        })),
    )?;
    Ok((place, spec, out))
}

/// 辖区单位台账 of a node: its open units with their heads' phones in full (through the
/// proof returned), so like the persons ledgers it needs the export permission and the second
/// factor, and is audited.
pub fn units(
    conn: &mut Conn,
    actor: &Actor,
    node_id: i64,
) -> StoreResult<(String, Vec<crate::registry::units::Unit>, Revealed)> {
    actor.require(actor.role.exports_people(), "导出辖区单位台账")?;
    crate::access::second_factor::require(actor)?;
    let node = tree::get(conn, actor, node_id)?;
    if !actor.sees_people_at(&node.path) {
        return Err(StoreError::Forbidden("您无权导出这里的单位信息".into()));
    }
    let place = node.name.clone();
    let list: Vec<crate::registry::units::Unit> =
        crate::registry::units::list(conn, actor, node_id, MAX_ROWS as i64)?
            .into_iter()
            .filter(|u| u.closed_on.is_none())
            .collect();
    audit::record_alone(
        conn,
        By::Actor(actor),
        Event::ok("export", format!("node:{node_id}")).with(serde_json::json!({
            "台账": "辖区单位台账",
            "范围": place,
            "行数": list.len(),
        })),
    )?;
    Ok((place, list, Revealed::new()))
}

/// One rented home of the 出租房屋台账.
#[derive(Debug, Clone)]
pub struct RentalLine {
    pub address: String,
    pub housing: crate::registry::housing::HousingView,
    /// The people living there now, "张三、李四".
    pub tenants: Vec<String>,
}

/// 出租房屋台账 of a node: every home used as 出租, its landlord (phone in full, so the
/// second factor is needed; the proof returned opens it) and who lives there now. Audited.
pub fn rentals(
    conn: &mut Conn,
    actor: &Actor,
    node_id: i64,
) -> StoreResult<(String, Vec<RentalLine>, Revealed)> {
    actor.require(actor.role.exports_people(), "导出出租房屋台账")?;
    crate::access::second_factor::require(actor)?;
    let node = tree::get(conn, actor, node_id)?;
    if !actor.sees_people_at(&node.path) {
        return Err(StoreError::Forbidden("您无权导出这里的房屋信息".into()));
    }
    let rooms: Vec<(i64, String)> = conn
        .query(
            "SELECT n.id, n.path FROM housing h JOIN org_nodes n ON n.id = h.room_id
             WHERE h.usage = '出租' AND n.path >= ? AND n.path < ? AND n.retired_on IS NULL
             ORDER BY n.path LIMIT ?",
            crate::params![node.path.as_str(), prefix_end(&node.path), MAX_ROWS as i64],
        )?
        .iter()
        .map(|r| Ok((r.get(0)?, r.get(1)?)))
        .collect::<StoreResult<_>>()?;
    let mut out = Vec::with_capacity(rooms.len());
    for (room_id, path) in rooms {
        if !actor.sees_people_at(&path) {
            continue;
        }
        let Some(housing) = crate::registry::housing::get(conn, actor, room_id)? else {
            continue;
        };
        let room = tree::load(conn, room_id)?;
        let tenants = conn
            .query(
                "SELECT p.name FROM residences r JOIN persons p ON p.id = r.person_id
                 WHERE r.room_id = ? AND r.moved_out_on IS NULL ORDER BY r.id",
                crate::params![room_id],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect::<Result<Vec<String>, _>>()?;
        out.push(RentalLine {
            address: tree::address_of(conn, &room)?,
            housing,
            tenants,
        });
    }
    audit::record_alone(
        conn,
        By::Actor(actor),
        Event::ok("export", format!("node:{node_id}")).with(serde_json::json!({
            "台账": "出租房屋台账",
            "范围": node.name,
            "行数": out.len(),
        })),
    )?;
    Ok((node.name, out, Revealed::new()))
}
