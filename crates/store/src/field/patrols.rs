//! 巡查 (patrols and inspections): types with editable checklists, schedules (a type over a
//! target under a node every so many days, e.g. a river section weekly, rented homes monthly),
//! the patrols made (each checklist item answered; problems found become 事件 in the same
//! step), and the due list computed from the schedules and the last patrol.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{Checklist, FieldRecord, Place};
use crate::access::audit::{self, By, Event};
use crate::access::scope::Actor;
use crate::attachments::{FileIn, NewFile, Owner};
use crate::clock::{now, today};
use crate::db::{Conn, Value, prefix_end};
use crate::error::{StoreError, StoreResult};
use crate::mediation::DisputeFound;
use crate::params;
use crate::registry::tree;
use crate::tickets::ProblemInput;
use crate::tickets::settings::{SettingsScope, settings_scope};

/// Answers a checklist item may have.
pub const ANSWERS: &[&str] = &["正常", "问题", "未查"];

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PatrolType {
    pub code: String,
    pub name: String,
    pub checklist: Vec<String>,
}

/// The district's types and checklists.
pub fn types(conn: &mut Conn) -> StoreResult<Vec<PatrolType>> {
    types_for(conn, None)
}

/// The types as `community` patrols them: the district's checklist, then the community's own
/// items. Other communities' items never appear.
pub fn types_for(conn: &mut Conn, community: Option<i64>) -> StoreResult<Vec<PatrolType>> {
    conn.query(
        "SELECT t.code, t.name, t.checklist, x.items FROM patrol_types t
         LEFT JOIN community_checklist_items x ON x.type_code = t.code AND x.community_id = ?
         ORDER BY t.code",
        params![community],
    )?
    .iter()
    .map(|r| {
        let list: String = r.get(2)?;
        let mut checklist: Vec<String> = serde_json::from_str(&list).unwrap_or_default();
        if let Some(own) = r.get::<Option<String>>(3)? {
            let own: Vec<String> = serde_json::from_str(&own).unwrap_or_default();
            for item in own {
                if !checklist.contains(&item) {
                    checklist.push(item);
                }
            }
        }
        Ok(PatrolType {
            code: r.get(0)?,
            name: r.get(1)?,
            checklist,
        })
    })
    .collect()
}

fn patrol_type_in(conn: &mut Conn, code: &str, community: Option<i64>) -> StoreResult<PatrolType> {
    types_for(conn, community)?
        .into_iter()
        .find(|t| t.code == code || t.name == code)
        .ok_or_else(|| StoreError::invalid("巡查类型", format!("没有“{code}”这种巡查")))
}

fn patrol_type(conn: &mut Conn, code: &str) -> StoreResult<PatrolType> {
    patrol_type_in(conn, code, None)
}

fn checklist_items(items: &[String]) -> StoreResult<Vec<String>> {
    let items: Vec<String> = items
        .iter()
        .map(|i| i.trim().to_string())
        .filter(|i| !i.is_empty())
        .collect();
    if items.len() > 40 || items.iter().any(|i| i.chars().count() > 40) {
        return Err(StoreError::invalid(
            "检查项目",
            "请列出 1–40 项，每项不超过 40 字",
        ));
    }
    Ok(items)
}

/// Replaces a type's checklist for the whole district (the district administrator's).
pub fn set_checklist(
    conn: &mut Conn,
    actor: &Actor,
    code: &str,
    items: &[String],
) -> StoreResult<PatrolType> {
    actor.require(
        actor.role.manages_district_settings(),
        "修改全区的巡查清单（由区级管理员修改；社区可添加本社区的检查项目）",
    )?;
    let items = checklist_items(items)?;
    if items.is_empty() {
        return Err(StoreError::invalid(
            "检查项目",
            "请列出 1–40 项，每项不超过 40 字",
        ));
    }
    let t = patrol_type(conn, code)?;
    conn.transaction(|c| {
        c.execute(
            "UPDATE patrol_types SET checklist = ?, updated_at = ? WHERE code = ?",
            params![
                serde_json::to_string(&items).unwrap_or_else(|_| "[]".into()),
                now(),
                t.code.as_str()
            ],
        )?;
        audit::record(
            c,
            By::Actor(actor),
            Event::ok("patrol.checklist", format!("patrol_type:{}", t.code))
                .with(serde_json::json!({ "清单": items })),
        )
    })?;
    patrol_type(conn, code)
}

/// Sets a community's own items of a type's checklist, asked after the district's there and
/// nowhere else (the community head's; an empty list removes them). Returns the type as the
/// community sees it.
pub fn set_community_items(
    conn: &mut Conn,
    actor: &Actor,
    code: &str,
    items: &[String],
) -> StoreResult<PatrolType> {
    let SettingsScope::Community(community) = settings_scope(actor, "添加本社区的检查项目")?
    else {
        return Err(StoreError::Forbidden(
            "区级管理员请直接修改全区的巡查清单；本社区的检查项目由社区书记/主任添加".into(),
        ));
    };
    let items = checklist_items(items)?;
    let t = patrol_type(conn, code)?;
    conn.transaction(|c| {
        c.execute(
            "DELETE FROM community_checklist_items WHERE community_id = ? AND type_code = ?",
            params![community, t.code.as_str()],
        )?;
        if !items.is_empty() {
            c.execute(
                "INSERT INTO community_checklist_items (community_id, type_code, items, updated_at) VALUES (?, ?, ?, ?)",
                params![
                    community,
                    t.code.as_str(),
                    serde_json::to_string(&items).unwrap_or_else(|_| "[]".into()),
                    now()
                ],
            )?;
        }
        audit::record(
            c,
            By::Actor(actor),
            Event::ok("patrol.checklist", format!("patrol_type:{}", t.code))
                .with(serde_json::json!({ "本社区检查项目": items })),
        )
    })?;
    patrol_type_in(conn, code, Some(community))
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleInput {
    pub node_id: i64,
    pub type_code: String,
    pub every_days: i64,
    /// What is covered: "凤凰河 xx 桥至 yy 闸段", "辖区出租房".
    pub target: String,
}

/// Adds a schedule (the community head's): returns its id.
pub fn add_schedule(conn: &mut Conn, actor: &Actor, input: &ScheduleInput) -> StoreResult<i64> {
    actor.require(actor.role.manages_tree(), "安排巡查")?;
    let t = patrol_type(conn, &input.type_code)?;
    if !(1..=366).contains(&input.every_days) {
        return Err(StoreError::invalid("巡查周期", "应为 1–366 天"));
    }
    let target = input.target.trim();
    if target.is_empty() || target.chars().count() > 100 {
        return Err(StoreError::invalid(
            "巡查对象",
            "请写明巡查的河段、区域或对象（不超过 100 字）",
        ));
    }
    conn.transaction(|c| {
        let node = tree::get(c, actor, input.node_id)?;
        let community = node
            .community_id
            .ok_or_else(|| StoreError::invalid("位置", "请选择社区、网格或其下的节点"))?;
        let id = c.insert(
            "INSERT INTO patrol_schedules (community_id, node_id, area_path, type_code, every_days, target, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            params![community, node.id, node.path.as_str(), t.code.as_str(), input.every_days, target, now()],
        )?;
        audit::record(
            c,
            By::Actor(actor),
            Event::ok("patrol.schedule", format!("patrol_schedule:{id}")).with(
                serde_json::json!({ "类型": t.name, "对象": target, "周期（天）": input.every_days }),
            ),
        )?;
        Ok(id)
    })
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatrolInput {
    /// Where (a community, grid, building …); with a schedule, its node by default.
    #[serde(default)]
    pub node_id: Option<i64>,
    #[serde(default)]
    pub schedule_id: Option<i64>,
    /// Needed without a schedule.
    #[serde(default)]
    pub type_code: Option<String>,
    #[serde(default)]
    pub patrolled_on: Option<NaiveDate>,
    #[serde(default)]
    pub route: Option<String>,
    /// Checklist item → 正常 | 问题 | 未查.
    #[serde(default)]
    pub results: BTreeMap<String, String>,
    #[serde(default)]
    pub findings: Option<String>,
    #[serde(default)]
    pub problems: Vec<ProblemInput>,
    /// Disputes found (矛盾纠纷): they enter the 排查 register.
    #[serde(default)]
    pub disputes: Vec<DisputeFound>,
    /// The units (辖区单位) the patrol went into, of its community and open on its day.
    #[serde(default)]
    pub unit_ids: Vec<i64>,
    /// Photos of the patrol (optional).
    #[serde(default)]
    pub photos: Vec<NewFile>,
    #[serde(skip)]
    pub files: Vec<FileIn>,
    /// Who went, as an imported ledger names them (巡查人); the recording user otherwise.
    #[serde(skip)]
    pub worker_name: Option<String>,
    /// Problems an imported ledger says the patrol found (no 事件 is raised for them now);
    /// otherwise the problems reported with it.
    #[serde(skip)]
    pub problems_found: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PatrolRecorded {
    pub id: i64,
    pub ticket_ids: Vec<i64>,
}

/// What a patrol is to the shared field record.
pub const KIND: super::Kind = super::Kind {
    source: "patrol",
    noun: "巡查",
    max_problems: 20,
    day: ("巡查日期", "应在今天和一年前之间", "应在今天和一年前之间"),
    owner: Owner::Patrol,
};

/// Records a patrol; every problem found becomes a 事件, in one transaction.
pub fn record(conn: &mut Conn, actor: &Actor, input: &PatrolInput) -> StoreResult<PatrolRecorded> {
    actor.require(tickets_role(actor), "记录巡查")?;
    let on = KIND.day(input.patrolled_on)?;
    let route = input.route.as_deref().map(str::trim).unwrap_or("");
    let findings = input.findings.as_deref().map(str::trim).unwrap_or("");
    if route.chars().count() > 200 || findings.chars().count() > 2000 {
        return Err(StoreError::invalid(
            "巡查情况",
            "路线不超过 200 字，情况不超过 2000 字",
        ));
    }
    let shared = FieldRecord::check(
        &KIND,
        on,
        &input.problems,
        &input.disputes,
        (&input.photos, &input.files),
    )?;
    conn.transaction(|c| {
        let (schedule, node_id, type_code) = match input.schedule_id {
            Some(sid) => {
                let r = c
                    .query_opt(
                        "SELECT node_id, type_code FROM patrol_schedules WHERE id = ? AND ended_on IS NULL",
                        params![sid],
                    )?
                    .ok_or_else(|| StoreError::NotFound(format!("巡查安排 {sid}")))?;
                (Some(sid), input.node_id.unwrap_or(r.get(0)?), r.get::<String>(1)?)
            }
            None => (
                None,
                input
                    .node_id
                    .ok_or_else(|| StoreError::invalid("位置", "请选择巡查的地点"))?,
                input
                    .type_code
                    .clone()
                    .ok_or_else(|| StoreError::invalid("巡查类型", "请选择巡查类型"))?,
            ),
        };
        let node = tree::get(c, actor, node_id)?;
        let t = patrol_type_in(c, &type_code, node.community_id)?;
        Checklist {
            name: &t.name,
            items: &t.checklist,
            answers: ANSWERS,
        }
        .check(&input.results)?;
        let community = node
            .community_id
            .ok_or_else(|| StoreError::invalid("位置", "请选择社区、网格或其下的节点"))?;
        let entered = crate::periods::entering(c, community, KIND.day.0, on)?;
        let id = c.insert(
            "INSERT INTO patrols (community_id, node_id, area_path, type_code, schedule_id, patrolled_on, route, results, findings, problems, user_id, worker_name, created_at, backdated)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            params![
                community,
                node.id,
                node.path.as_str(),
                t.code.as_str(),
                schedule,
                on,
                route,
                super::answers_json(&input.results),
                findings,
                input
                    .problems_found
                    .unwrap_or(input.problems.len() as i64),
                actor.user_id,
                input
                    .worker_name
                    .as_deref()
                    .map(str::trim)
                    .filter(|w| !w.is_empty())
                    .unwrap_or(&actor.display_name),
                now(),
                entered.flag()
            ],
        )?;
        let place = Place {
            community_id: community,
            node_id: node.id,
            area_path: &node.path,
            route: (!route.is_empty()).then_some(route),
        };
        let units = checked_units(c, community, on, &input.unit_ids)?;
        for unit in &units {
            c.execute(
                "INSERT INTO patrol_units (patrol_id, unit_id, community_id) VALUES (?, ?, ?)",
                params![id, *unit, community],
            )?;
        }
        let ticket_ids = shared.file(c, actor, id, place)?;
        audit::record(
            c,
            By::Actor(actor),
            Event::ok("patrol.record", format!("patrol:{id}")).with(serde_json::json!({
                "类型": t.name, "日期": on, "补录": entered.backdated, "问题": ticket_ids.len(),
                "检查单位": units.len()
            })),
        )?;
        Ok(PatrolRecorded { id, ticket_ids })
    })
}

/// More than this is not one patrol's round.
const MAX_UNITS: usize = 100;

/// The units a patrol says it checked, each once: of its community and open on its day.
fn checked_units(
    c: &mut Conn,
    community: i64,
    on: NaiveDate,
    asked: &[i64],
) -> StoreResult<Vec<i64>> {
    let mut ids: Vec<i64> = asked.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() > MAX_UNITS {
        return Err(StoreError::invalid(
            "检查单位",
            format!("一次巡查最多记录 {MAX_UNITS} 家单位，请分次记录"),
        ));
    }
    for id in &ids {
        let row = c.query_opt(
            "SELECT name, community_id, closed_on FROM units WHERE id = ?",
            params![*id],
        )?;
        let Some(r) = row else {
            return Err(StoreError::invalid(
                "检查单位",
                format!("没有编号为 {id} 的辖区单位，请从本社区的单位中选择"),
            ));
        };
        let name: String = r.get(0)?;
        let of: i64 = r.get(1)?;
        let closed: Option<NaiveDate> = r.get(2)?;
        if of != community {
            return Err(StoreError::invalid(
                "检查单位",
                format!("“{name}”不在本社区，请从本社区的单位中选择"),
            ));
        }
        if closed.is_some_and(|d| d <= on) {
            return Err(StoreError::invalid(
                "检查单位",
                format!("“{name}”在巡查日之前已关闭"),
            ));
        }
    }
    Ok(ids)
}

fn tickets_role(actor: &Actor) -> bool {
    shequ_domain::tickets::works_tickets(actor.role)
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DuePatrol {
    pub schedule_id: i64,
    pub type_code: String,
    pub type_name: String,
    pub target: String,
    pub node_id: i64,
    pub every_days: i64,
    pub last_patrolled_on: Option<NaiveDate>,
    pub due_on: NaiveDate,
    pub overdue_days: i64,
}

/// Schedules under a node due within `horizon_days` (overdue first). A schedule never patrolled
/// is due from the day it was made.
pub fn due(
    conn: &mut Conn,
    actor: &Actor,
    node_id: i64,
    horizon_days: i64,
) -> StoreResult<Vec<DuePatrol>> {
    actor.require(tickets_role(actor), "查看巡查任务")?;
    let node = tree::get(conn, actor, node_id)?;
    let (cf, mut args) = actor.community_filter("s.community_id");
    let (pf, pargs) = actor.path_filter("s.area_path");
    args.push(Value::from(node.path.as_str()));
    args.push(Value::from(prefix_end(&node.path)));
    args.extend(pargs);
    let rows = conn.query(
        &format!(
            "SELECT s.id, s.type_code, t.name, s.target, s.node_id, s.every_days, s.created_at,
                    (SELECT max(p.patrolled_on) FROM patrols p WHERE p.schedule_id = s.id)
             FROM patrol_schedules s JOIN patrol_types t ON t.code = s.type_code
             WHERE s.ended_on IS NULL AND {cf} AND s.area_path >= ? AND s.area_path < ? AND {pf}"
        ),
        &args,
    )?;
    let today = today();
    let until = today + chrono::Duration::days(horizon_days.clamp(0, 366));
    let mut out = Vec::new();
    for r in &rows {
        let created: String = r.get(6)?;
        let made = created
            .get(..10)
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .unwrap_or(today);
        let last: Option<NaiveDate> = r.get(7)?;
        let every: i64 = r.get(5)?;
        let due_on = last.map_or(made, |l| l + chrono::Duration::days(every));
        if due_on > until {
            continue;
        }
        out.push(DuePatrol {
            schedule_id: r.get(0)?,
            type_code: r.get(1)?,
            type_name: r.get(2)?,
            target: r.get(3)?,
            node_id: r.get(4)?,
            every_days: every,
            last_patrolled_on: last,
            due_on,
            overdue_days: (today - due_on).num_days().max(0),
        });
    }
    out.sort_by_key(|d| (d.due_on, d.schedule_id));
    Ok(out)
}
