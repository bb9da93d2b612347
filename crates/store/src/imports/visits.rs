//! Importing a 走访记录 ledger kept before `shequ` (a community that starts in July still
//! writes its year's summary): each row names a resident already registered (by ID number, or
//! by name where the name is unique under the node or the address tells namesakes apart), the
//! day of the visit, its way, what was found and who went. Compared first — new, already
//! recorded (the same person, day and way), refused with the reason (a day in the future, in a
//! locked period, or more than a year back; a person not registered) — then committed
//! all-or-nothing with one audit row. The catalogue's own 走访记录台账 re-imports to no changes.

use std::collections::HashMap;

use chrono::NaiveDate;
use shequ_domain::access::mask::mask_id;

use crate::access::scope::Actor;
use crate::access::sealed::{Field, sealer};
use crate::db::{Conn, prefix_end};
use crate::error::{StoreError, StoreResult};
use crate::field::visits::{self, VisitInput};
use crate::imports::{Judged, Kind, Names, Past, Written, at_row, in_locked_period, message_of};
use crate::params;
use crate::registry::tree::{self, Node};

/// One row of a visits ledger, read.
#[derive(Debug, Clone)]
pub struct VisitRow {
    pub sheet: String,
    pub row: u32,
    pub name: String,
    pub id_number: Option<String>,
    /// The address as written (to tell namesakes apart).
    pub address: Option<String>,
    pub visited_on: Option<NaiveDate>,
    /// As written: 入户 (入户走访), 电话 (电话回访), 微信.
    pub kind: Option<String>,
    pub findings: Option<String>,
    /// 走访人 as written.
    pub worker: Option<String>,
}

/// New: the person and the way of the visit.
pub type VisitVerdict = Past<(i64, &'static str)>;

#[derive(Debug, Clone)]
pub struct VisitPlan {
    pub node_id: i64,
    pub rows: Vec<(VisitRow, VisitVerdict)>,
}

/// The way of a visit as offices write it.
pub fn visit_kind(written: Option<&str>) -> Option<&'static str> {
    let w: String = written
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if w.is_empty() || w.contains("入户") || w.contains("上门") || w == "走访" || w == "面访"
    {
        Some("入户")
    } else if w.contains("电话") {
        Some("电话")
    } else if w.contains("微信") || w.contains("视频") {
        Some("微信")
    } else {
        None
    }
}

/// Compares every row with the registry and the visits under `node_id`. Writes nothing.
pub fn plan_visits(
    conn: &mut Conn,
    actor: &Actor,
    node_id: i64,
    rows: Vec<VisitRow>,
) -> StoreResult<VisitPlan> {
    actor.require(actor.role.writes_people(), "导入走访记录")?;
    let node = tree::get(conn, actor, node_id)?;
    if node.community_id.is_none() || !actor.sees_people_at(&node.path) {
        return Err(StoreError::Forbidden(format!(
            "您无权向“{}”导入走访记录：请在社区或网格页面导入",
            node.name
        )));
    }
    let s = sealer()?;
    let mut first: HashMap<(i64, NaiveDate, &'static str), u32> = HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let verdict = judge(conn, actor, &node, &s, &row, &mut first)?;
        out.push((row, verdict));
    }
    Ok(VisitPlan {
        node_id: node.id,
        rows: out,
    })
}

fn judge(
    conn: &mut Conn,
    actor: &Actor,
    node: &Node,
    s: &crate::access::sealed::Sealer,
    row: &VisitRow,
    first: &mut HashMap<(i64, NaiveDate, &'static str), u32>,
) -> StoreResult<VisitVerdict> {
    let Some(on) = row.visited_on else {
        return Ok(VisitVerdict::refuse(
            "走访日期",
            "缺少走访日期：每条走访都要写明哪一天",
        ));
    };
    if let Err(e) = visits::KIND.day(Some(on)) {
        return Ok(VisitVerdict::refuse(
            "走访日期",
            format!("{on}：{}", message_of(&e)),
        ));
    }
    let Some(kind) = visit_kind(row.kind.as_deref()) else {
        return Ok(VisitVerdict::refuse(
            "走访方式",
            format!(
                "“{}”不是走访方式：请写入户、电话或微信",
                row.kind.as_deref().unwrap_or_default()
            ),
        ));
    };
    if row.findings.as_deref().unwrap_or("").chars().count() > 2000 {
        return Ok(VisitVerdict::refuse("走访情况", "超过 2000 字，请精简"));
    }
    let person = match &row.id_number {
        Some(id) => conn
            .query_opt(
                "SELECT id, area_path, name, community_id FROM persons WHERE id_blind = ?",
                params![s.blind(Field::IdNumber, id)?],
            )?
            .map(|r| -> StoreResult<_> { Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)) })
            .transpose()?,
        None => match namesake(conn, node, row)? {
            Ok(found) => Some(found),
            Err(verdict) => return Ok(verdict),
        },
    };
    let Some((person_id, path, name, community_id)) = person else {
        return Ok(VisitVerdict::refuse(
            "被走访人",
            format!(
                "{} {} 尚未登记：请先录入或导入实有人口，再导入走访记录",
                row.name,
                row.id_number.as_deref().map(mask_id).unwrap_or_default()
            ),
        ));
    };
    let (person_id, path, name, community_id): (i64, String, String, i64) =
        (person_id, path, name, community_id);
    if !path.starts_with(&node.path) || !actor.sees_people_at(&path) {
        return Ok(VisitVerdict::refuse(
            "被走访人",
            format!("{name}不在“{}”登记：请在其所在社区或网格导入", node.name),
        ));
    }
    if !row.name.is_empty() && row.name != name {
        return Ok(VisitVerdict::refuse(
            "姓名",
            format!(
                "姓名“{}”与系统中此身份证号码登记的“{name}”不一致：请核对是哪一边写错了",
                row.name
            ),
        ));
    }
    // What is recorded already stays as it is, locked or not.
    let recorded = conn.scalar(
        "SELECT count(*) FROM visits WHERE person_id = ? AND visited_on = ? AND kind = ?",
        params![person_id, on, kind],
    )?;
    if recorded > 0 {
        return Ok(Past::Unchanged);
    }
    if let Some(earlier) = first.get(&(person_id, on, kind)) {
        return Ok(VisitVerdict::refuse(
            "走访日期",
            format!("与第{earlier}行是同一次走访（同一人、同一天、同一方式）"),
        ));
    }
    first.insert((person_id, on, kind), row.row);
    if let Some(locked) = in_locked_period(conn, community_id, "走访日期", on)? {
        return Ok(locked);
    }
    Ok(Past::New((person_id, kind)))
}

type Found = (i64, String, String, i64);

/// The one person of this name under the node, told apart from namesakes by the address when
/// there are several; `Err` is the refusal.
fn namesake(
    conn: &mut Conn,
    node: &Node,
    row: &VisitRow,
) -> StoreResult<Result<Found, VisitVerdict>> {
    if row.name.is_empty() {
        return Ok(Err(VisitVerdict::refuse(
            "被走访人",
            "缺少被走访人的姓名或公民身份号码",
        )));
    }
    let rows = conn.query(
        "SELECT id, area_path, name, community_id FROM persons \
         WHERE name = ? AND area_path >= ? AND area_path < ? ORDER BY id",
        params![
            row.name.as_str(),
            node.path.as_str(),
            prefix_end(&node.path)
        ],
    )?;
    let mut found: Vec<Found> = Vec::with_capacity(rows.len());
    for r in &rows {
        found.push((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?));
    }
    if found.len() > 1
        && let Some(address) = row
            .address
            .as_deref()
            .map(compact)
            .filter(|a| !a.is_empty())
    {
        let mut matching = Vec::new();
        for f in found {
            if let Some(room) = crate::registry::people::current_home(conn, f.0)? {
                let room = tree::load(conn, room.room_id)?;
                let written = compact(&tree::address_of(conn, &room)?);
                if address.ends_with(&written) || written.ends_with(&address) {
                    matching.push(f);
                }
            }
        }
        found = matching;
    }
    Ok(match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(VisitVerdict::refuse(
            "被走访人",
            format!(
                "{}尚未在“{}”登记：请先录入或导入实有人口，或填写公民身份号码",
                row.name, node.name
            ),
        )),
        n => Err(VisitVerdict::refuse(
            "被走访人",
            format!(
                "“{}”有 {n} 人同名：请填写公民身份号码或住址以区分",
                row.name
            ),
        )),
    })
}

fn compact(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

impl Kind for VisitPlan {
    type Row = VisitRow;
    type Verdict = VisitVerdict;

    fn names(&self) -> Names {
        Names::of("visits", "走访记录", "导入走访记录")
    }

    fn rows(&self) -> &[(VisitRow, VisitVerdict)] {
        &self.rows
    }

    fn judged(v: &VisitVerdict) -> Judged {
        v.judged()
    }

    fn node(&self, c: &mut Conn, actor: &Actor) -> StoreResult<Node> {
        tree::get(c, actor, self.node_id)
    }

    fn write(
        &self,
        c: &mut Conn,
        actor: &Actor,
        _node: &Node,
        i: usize,
        _accept: &dyn Fn(usize) -> bool,
    ) -> StoreResult<Written> {
        let (row, verdict) = &self.rows[i];
        Ok(match verdict {
            Past::New((person_id, kind)) => {
                let input = VisitInput {
                    person_id: *person_id,
                    visited_on: row.visited_on,
                    kind: Some((*kind).to_string()),
                    findings: row.findings.clone(),
                    worker_name: row.worker.clone(),
                    ..VisitInput::default()
                };
                visits::record(c, actor, &input).map_err(at_row(&row.sheet, row.row))?;
                Written::New
            }
            Past::Unchanged => Written::Unchanged,
            Past::Rejected { .. } => Written::Rejected,
        })
    }
}
