//! Importing a 巡查 ledger kept before `shequ`: each row a patrol of one type on one day in the
//! grid imported into, with its route or place, the units it went into (by name, registered
//! in the community), how many problems it found and what was done, and who went. Compared
//! first — new, already recorded (the same type, day and route under the node), refused with
//! the reason — then committed all-or-nothing with one audit row. Problems found in the past
//! are counted on the patrol; no 事件 is raised for them now. The catalogue's own 巡查记录台账
//! re-imports to no changes.

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::access::scope::Actor;
use crate::db::{Conn, prefix_end};
use crate::error::{StoreError, StoreResult};
use crate::field::patrols::{self, PatrolInput};
use crate::imports::{Judged, Kind, Names, Past, Written, at_row, in_locked_period, message_of};
use crate::params;
use crate::registry::tree::{self, Node};

/// One row of a patrols ledger, read.
#[derive(Debug, Clone)]
pub struct PatrolRow {
    pub sheet: String,
    pub row: u32,
    pub patrolled_on: Option<NaiveDate>,
    /// The type as written (消防安全巡查, 消防 …).
    pub kind: Option<String>,
    pub route: Option<String>,
    /// The units' names as written, separated by 、 or commas.
    pub units: Option<String>,
    pub problems: Option<i64>,
    pub findings: Option<String>,
    pub worker: Option<String>,
}

/// New: the type's code and the units it went into.
pub type PatrolVerdict = Past<(String, Vec<i64>)>;

#[derive(Debug, Clone)]
pub struct PatrolPlan {
    pub node_id: i64,
    pub rows: Vec<(PatrolRow, PatrolVerdict)>,
}

/// Compares every row with the patrols under `node_id` (a grid). Writes nothing.
pub fn plan_patrols(
    conn: &mut Conn,
    actor: &Actor,
    node_id: i64,
    rows: Vec<PatrolRow>,
) -> StoreResult<PatrolPlan> {
    actor.require(
        shequ_domain::tickets::works_tickets(actor.role) && actor.role.writes_people(),
        "导入巡查记录",
    )?;
    let node = tree::get(conn, actor, node_id)?;
    let Some(community) = node.community_id else {
        return Err(StoreError::invalid(
            "导入位置",
            format!(
                "请在社区或网格页面导入巡查记录（“{}”是{}）",
                node.name,
                node.kind.label()
            ),
        ));
    };
    let types = patrols::types_for(conn, Some(community))?;
    let mut first: HashMap<(String, NaiveDate, String), u32> = HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let verdict = judge(conn, &node, community, &types, &row, &mut first)?;
        out.push((row, verdict));
    }
    Ok(PatrolPlan {
        node_id: node.id,
        rows: out,
    })
}

/// The type a ledger names: its name or code; else the type whose name it contains, the
/// longest, or the one named first (消防安全巡查 is a 消防巡查: the first word says what kind
/// of 安全); else the one type whose name contains it
/// (消防 → 消防巡查). Two that fit equally is no answer.
fn type_of<'a>(types: &'a [patrols::PatrolType], written: &str) -> Option<&'a patrols::PatrolType> {
    let w: String = written.chars().filter(|c| !c.is_whitespace()).collect();
    if w.is_empty() {
        return None;
    }
    if let Some(t) = types.iter().find(|t| t.code == w || t.name == w) {
        return Some(t);
    }
    let bare = |s: &str| {
        s.trim_end_matches("巡查")
            .trim_end_matches("检查")
            .trim_end_matches("巡逻")
            .to_string()
    };
    let bw = bare(&w);
    let rank = |t: &patrols::PatrolType| {
        let name = bare(&t.name);
        (
            std::cmp::Reverse(name.chars().count()),
            bw.find(&name).unwrap_or(usize::MAX),
        )
    };
    let only = |mut fits: Vec<&'a patrols::PatrolType>| {
        fits.sort_by_key(|t| rank(t));
        match fits.as_slice() {
            [one] => Some(*one),
            [a, b, ..] if rank(a) < rank(b) => Some(*a),
            _ => None,
        }
    };
    let contained: Vec<_> = types
        .iter()
        .filter(|t| !bare(&t.name).is_empty() && bw.contains(&bare(&t.name)))
        .collect();
    if !contained.is_empty() {
        return only(contained);
    }
    let containing: Vec<_> = types
        .iter()
        .filter(|t| !bw.is_empty() && bare(&t.name).contains(&bw))
        .collect();
    match containing.as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}

fn judge(
    conn: &mut Conn,
    node: &Node,
    community: i64,
    types: &[patrols::PatrolType],
    row: &PatrolRow,
    first: &mut HashMap<(String, NaiveDate, String), u32>,
) -> StoreResult<PatrolVerdict> {
    let Some(on) = row.patrolled_on else {
        return Ok(PatrolVerdict::refuse(
            "巡查日期",
            "缺少巡查日期：每次巡查都要写明哪一天",
        ));
    };
    if let Err(e) = patrols::KIND.day(Some(on)) {
        return Ok(PatrolVerdict::refuse(
            "巡查日期",
            format!("{on}：{}", message_of(&e)),
        ));
    }
    let written = row.kind.as_deref().unwrap_or("");
    let Some(t) = type_of(types, written) else {
        let names: Vec<&str> = types.iter().map(|t| t.name.as_str()).collect();
        return Ok(PatrolVerdict::refuse(
            "巡查类型",
            format!("“{written}”不是巡查类型：请写 {} 之一", names.join("、")),
        ));
    };
    let route = row
        .route
        .as_deref()
        .map(str::trim)
        .unwrap_or("")
        .to_string();
    if route.chars().count() > 200 || row.findings.as_deref().unwrap_or("").chars().count() > 2000 {
        return Ok(PatrolVerdict::refuse(
            "巡查情况",
            "路线不超过 200 字，情况不超过 2000 字",
        ));
    }
    if row.problems.is_some_and(|n| !(0..=1000).contains(&n)) {
        return Ok(PatrolVerdict::refuse(
            "发现问题数",
            "应为 0 到 1000 之间的整数",
        ));
    }
    let mut unit_ids = Vec::new();
    for name in row
        .units
        .as_deref()
        .unwrap_or("")
        .split(['、', ',', '，', ';', '；', '\n'])
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        let found = conn.query_opt(
            "SELECT id FROM units WHERE community_id = ? AND name = ? \
             AND (closed_on IS NULL OR closed_on >= ?) ORDER BY id LIMIT 1",
            params![community, name, on],
        )?;
        match found {
            Some(r) => unit_ids.push(r.get(0)?),
            None => {
                return Ok(PatrolVerdict::refuse(
                    "检查单位",
                    format!(
                        "“{name}”不是本社区登记的辖区单位：请先登记或导入辖区单位，或改正单位名称"
                    ),
                ));
            }
        }
    }
    let recorded = conn.scalar(
        "SELECT count(*) FROM patrols WHERE community_id = ? AND type_code = ? \
         AND patrolled_on = ? AND route = ? AND area_path >= ? AND area_path < ?",
        params![
            community,
            t.code.as_str(),
            on,
            route.as_str(),
            node.path.as_str(),
            prefix_end(&node.path)
        ],
    )?;
    if recorded > 0 {
        return Ok(Past::Unchanged);
    }
    let key = (t.code.clone(), on, route);
    if let Some(earlier) = first.get(&key) {
        return Ok(PatrolVerdict::refuse(
            "巡查日期",
            format!("与第{earlier}行是同一次巡查（同一类型、同一天、同一路线）"),
        ));
    }
    first.insert(key, row.row);
    if let Some(locked) = in_locked_period(conn, community, "巡查日期", on)? {
        return Ok(locked);
    }
    Ok(Past::New((t.code.clone(), unit_ids)))
}

impl Kind for PatrolPlan {
    type Row = PatrolRow;
    type Verdict = PatrolVerdict;

    fn names(&self) -> Names {
        Names::of("patrols", "巡查记录", "导入巡查记录")
    }

    fn rows(&self) -> &[(PatrolRow, PatrolVerdict)] {
        &self.rows
    }

    fn judged(v: &PatrolVerdict) -> Judged {
        v.judged()
    }

    fn node(&self, c: &mut Conn, actor: &Actor) -> StoreResult<Node> {
        tree::get(c, actor, self.node_id)
    }

    fn write(
        &self,
        c: &mut Conn,
        actor: &Actor,
        node: &Node,
        i: usize,
        _accept: &dyn Fn(usize) -> bool,
    ) -> StoreResult<Written> {
        let (row, verdict) = &self.rows[i];
        Ok(match verdict {
            Past::New((type_code, unit_ids)) => {
                let input = PatrolInput {
                    node_id: Some(node.id),
                    type_code: Some(type_code.clone()),
                    patrolled_on: row.patrolled_on,
                    route: row.route.clone(),
                    findings: row.findings.clone(),
                    unit_ids: unit_ids.clone(),
                    worker_name: row.worker.clone(),
                    problems_found: row.problems,
                    ..PatrolInput::default()
                };
                patrols::record(c, actor, &input).map_err(at_row(&row.sheet, row.row))?;
                Written::New
            }
            Past::Unchanged => Written::Unchanged,
            Past::Rejected { .. } => Written::Rejected,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn types() -> Vec<patrols::PatrolType> {
        [
            ("safety", "安全巡查"),
            ("fire", "消防巡查"),
            ("forest", "森林防火巡查"),
            ("public_order", "治安巡逻"),
        ]
        .iter()
        .map(|(c, n)| patrols::PatrolType {
            code: (*c).into(),
            name: (*n).into(),
            checklist: Vec::new(),
        })
        .collect()
    }

    #[test]
    fn a_type_is_found_as_offices_write_it() {
        let t = types();
        let code = |w: &str| type_of(&t, w).map(|t| t.code.as_str());
        assert_eq!(code("消防巡查"), Some("fire"));
        assert_eq!(code("fire"), Some("fire"));
        assert_eq!(code("消防安全巡查"), Some("fire"));
        assert_eq!(code("消防"), Some("fire"));
        assert_eq!(code("夜间治安巡逻"), Some("public_order"));
        assert_eq!(code("森林防火"), Some("forest"));
        assert_eq!(code("飞行检查"), None);
        assert_eq!(code(""), None);
    }
}
