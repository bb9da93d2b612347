//! 走访 (home visits): the rules (how often each special group is visited), the visits made,
//! and the due list computed from them: who in my area is due or overdue, nearest first by
//! building, with the rule that makes them due. A visit counts for every rule its person (or,
//! for a household's group such as 低保, any member of the household) falls under; problems
//! found become 事件 in the same step.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use shequ_domain::registry::tags::tag_kind;

use super::{FieldRecord, Place};
use crate::access::audit::{self, By, Event};
use crate::access::personal::PersonName;
use crate::access::scope::Actor;
use crate::attachments::{FileIn, NewFile, Owner};
use crate::clock::{now, today};
use crate::db::{Conn, Value, prefix_end};
use crate::error::{StoreError, StoreResult};
use crate::mediation::DisputeFound;
use crate::params;
use crate::registry::people;
use crate::registry::tree;

pub const VISIT_KINDS: &[&str] = &["入户", "电话", "微信"];

/// The "六清" a visit to a registered unemployed person establishes (seed 002): what the
/// worker found on each, kept as the visit's checklist items.
pub const SIX_CLEAR: &[&str] = &[
    "家庭情况",
    "就业意愿",
    "技能特长",
    "就业要求",
    "培训要求",
    "创业意愿",
];

/// The groups whose visits ask the 六清.
pub fn asks_six_clear(kind: &str) -> bool {
    matches!(kind, "unemployed" | "hard_to_employ")
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VisitRule {
    pub id: i64,
    /// None: the default everywhere.
    pub community_id: Option<i64>,
    pub tag_kind: String,
    pub tag_label: String,
    pub category: Option<String>,
    /// A risk level (高风险): the rule applies to people assessed at it.
    pub risk: Option<String>,
    pub every_days: i64,
    pub label: String,
}

/// The rules in force in a community: its own where it has set one, the defaults elsewhere.
pub fn rules(conn: &mut Conn, community_id: i64) -> StoreResult<Vec<VisitRule>> {
    let rows = conn.query(
        "SELECT id, community_id, tag_kind, category, every_days, label, risk FROM visit_rules
         WHERE community_id IS NULL OR community_id = ? ORDER BY tag_kind, category, risk, community_id",
        params![community_id],
    )?;
    let mut by_key: BTreeMap<(String, Option<String>, Option<String>), VisitRule> = BTreeMap::new();
    for r in &rows {
        let kind: String = r.get(2)?;
        let rule = VisitRule {
            id: r.get(0)?,
            community_id: r.get(1)?,
            tag_label: tag_kind(&kind).map_or(kind.clone(), |k| k.label.to_string()),
            tag_kind: kind,
            category: r.get(3)?,
            every_days: r.get(4)?,
            label: r.get(5)?,
            risk: r.get(6)?,
        };
        let key = (
            rule.tag_kind.clone(),
            rule.category.clone(),
            rule.risk.clone(),
        );
        // A community's own rule replaces the default for the same group and class.
        match by_key.get(&key) {
            Some(existing) if existing.community_id.is_some() => {}
            _ => {
                by_key.insert(key, rule);
            }
        }
    }
    Ok(by_key.into_values().collect())
}

/// Sets a community's own frequency for a group (and class): the community head's call.
pub fn set_rule(
    conn: &mut Conn,
    actor: &Actor,
    community_id: i64,
    kind: &str,
    category: Option<&str>,
    risk: Option<&str>,
    every_days: i64,
) -> StoreResult<()> {
    actor.require(actor.role.manages_tree(), "修改走访频次")?;
    let spec = tag_kind(kind)
        .ok_or_else(|| StoreError::invalid("重点人群", format!("没有“{kind}”这一类重点人群")))?;
    let risk = risk.map(str::trim).filter(|r| !r.is_empty());
    if let Some(r) = risk {
        let assessed = spec.fields.iter().any(|f| f.key == "risk");
        if !assessed || !shequ_domain::registry::tags::RISKS.contains(&r) {
            return Err(StoreError::invalid(
                "风险等级",
                if assessed {
                    format!(
                        "“{r}”不对，应为 {} 之一",
                        shequ_domain::registry::tags::RISKS.join("、")
                    )
                } else {
                    format!("{}没有风险等级", spec.label)
                },
            ));
        }
    }
    if !(1..=3660).contains(&every_days) {
        return Err(StoreError::invalid("走访周期", "应为 1–3660 天"));
    }
    let category = category.map(str::trim).filter(|c| !c.is_empty());
    if let (Some(c), Some((label, allowed))) = (category, spec.category)
        && !allowed.contains(&c)
    {
        return Err(StoreError::invalid(
            label,
            format!("“{c}”不对，应为 {} 之一", allowed.join("、")),
        ));
    }
    conn.transaction(|c| {
        let node = tree::get(c, actor, community_id)?;
        if node.community_id != Some(node.id) {
            return Err(StoreError::invalid("社区", "走访频次按社区设定，请选择一个社区"));
        }
        c.execute(
            "DELETE FROM visit_rules WHERE community_id = ? AND tag_kind = ? AND category IS NOT DISTINCT FROM ? AND risk IS NOT DISTINCT FROM ?",
            params![node.id, spec.code, category, risk],
        )?;
        let label = format!(
            "{}{}{}每{every_days}天走访一次",
            risk.unwrap_or_default(),
            spec.label,
            category.map(|c| format!("（{c}）")).unwrap_or_default()
        );
        c.execute(
            "INSERT INTO visit_rules (community_id, tag_kind, category, risk, every_days, label, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            params![node.id, spec.code, category, risk, every_days, label.as_str(), now()],
        )?;
        audit::record(
            c,
            By::Actor(actor),
            Event::ok("visit.rule", format!("node:{}", node.id))
                .with(serde_json::json!({ "规则": label })),
        )
    })
}

pub use crate::tickets::ProblemInput;

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitInput {
    pub person_id: i64,
    /// Default: today.
    #[serde(default)]
    pub visited_on: Option<NaiveDate>,
    /// 入户 | 电话 | 微信 (default 入户)
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub findings: Option<String>,
    /// Checklist answers, e.g. the unemployed's "清" items: {"就业意愿": "有"}.
    #[serde(default)]
    pub items: BTreeMap<String, String>,
    #[serde(default)]
    pub problems: Vec<ProblemInput>,
    /// Disputes found (矛盾纠纷): they enter the 排查 register.
    #[serde(default)]
    pub disputes: Vec<DisputeFound>,
    /// Photos of the visit (optional).
    #[serde(default)]
    pub photos: Vec<NewFile>,
    #[serde(skip)]
    pub files: Vec<FileIn>,
    /// Who went, as an imported ledger names them (走访人); the recording user otherwise.
    #[serde(skip)]
    pub worker_name: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Recorded {
    pub id: i64,
    /// The 事件 raised from the problems found.
    pub ticket_ids: Vec<i64>,
}

/// What a visit is to the shared field record.
pub const KIND: super::Kind = super::Kind {
    source: "visit",
    noun: "走访",
    max_problems: 10,
    day: (
        "走访日期",
        "不能晚于今天",
        "超过一年的走访请在备注中说明，不要补录",
    ),
    owner: Owner::Visit,
};

/// Records a visit and turns each problem found into a ticket, all in one transaction.
pub fn record(conn: &mut Conn, actor: &Actor, input: &VisitInput) -> StoreResult<Recorded> {
    actor.require(actor.role.writes_people(), "记录走访")?;
    let on = KIND.day(input.visited_on)?;
    let kind = input.kind.as_deref().map(str::trim).unwrap_or("入户");
    if !VISIT_KINDS.contains(&kind) {
        return Err(StoreError::invalid(
            "走访方式",
            format!("应为 {} 之一", VISIT_KINDS.join("、")),
        ));
    }
    let findings = input.findings.as_deref().map(str::trim).unwrap_or("");
    if findings.chars().count() > 2000 {
        return Err(StoreError::invalid("走访情况", "超过 2000 字，请精简"));
    }
    super::check_free_answers(&input.items, "走访项目")?;
    let shared = FieldRecord::check(
        &KIND,
        on,
        &input.problems,
        &input.disputes,
        (&input.photos, &input.files),
    )?;
    conn.transaction(|c| {
        let person = people::get(c, actor, input.person_id)?;
        let home = people::current_home(c, person.id)?;
        let area: String = c
            .query_opt("SELECT area_path FROM persons WHERE id = ?", params![person.id])?
            .map(|r| r.get(0))
            .transpose()?
            .unwrap_or_default();
        let entered = crate::periods::entering(c, person.community_id, KIND.day.0, on)?;
        let id = c.insert(
            "INSERT INTO visits (community_id, area_path, person_id, household_id, visited_on, kind, findings, items, user_id, worker_name, created_at, backdated)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            params![
                person.community_id,
                area.as_str(),
                person.id,
                home.as_ref().map(|h| h.household_id),
                on,
                kind,
                findings,
                super::answers_json(&input.items),
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
            community_id: person.community_id,
            node_id: home.as_ref().map_or(person.community_id, |h| h.room_id),
            area_path: &area,
            route: None,
        };
        let ticket_ids = shared.file(c, actor, id, place)?;
        audit::record(
            c,
            By::Actor(actor),
            Event::ok("visit.record", format!("person:{}", person.id)).with(serde_json::json!({
                "走访": id, "日期": on, "补录": entered.backdated, "方式": kind, "事件": ticket_ids
            })),
        )?;
        Ok(Recorded { id, ticket_ids })
    })
}

/// Where a due visit falls: the list is read in these groups, in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DueGroup {
    /// 超期: past its due day (or never visited since joining the group).
    Overdue,
    /// 本周: due from today to this Sunday.
    ThisWeek,
    /// 以后: due later within the horizon asked for.
    Later,
}

impl DueGroup {
    pub const ALL: [DueGroup; 3] = [DueGroup::Overdue, DueGroup::ThisWeek, DueGroup::Later];

    pub fn as_str(self) -> &'static str {
        match self {
            DueGroup::Overdue => "overdue",
            DueGroup::ThisWeek => "this_week",
            DueGroup::Later => "later",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DueGroup::Overdue => "超期",
            DueGroup::ThisWeek => "本周",
            DueGroup::Later => "以后",
        }
    }

    pub fn parse(s: &str) -> Option<DueGroup> {
        DueGroup::ALL
            .into_iter()
            .find(|g| g.as_str() == s || g.label() == s)
    }

    fn of(due_on: NaiveDate, today: NaiveDate) -> DueGroup {
        use chrono::Datelike;
        let sunday =
            today + chrono::Duration::days(6 - i64::from(today.weekday().num_days_from_monday()));
        if due_on < today {
            DueGroup::Overdue
        } else if due_on <= sunday {
            DueGroup::ThisWeek
        } else {
            DueGroup::Later
        }
    }
}

/// How many are due in each group: counted from the list itself, so the start page's figures
/// and the list's headings are the same numbers.
#[derive(Debug, Clone, Copy, Default, Serialize, utoipa::ToSchema)]
pub struct DueCounts {
    pub overdue: i64,
    pub this_week: i64,
    pub later: i64,
    /// Of this week's, those due today.
    pub today: i64,
    /// Of all of them, those never visited at all.
    pub never_visited: i64,
}

impl DueCounts {
    pub fn of(list: &[DueVisit]) -> DueCounts {
        let mut c = DueCounts::default();
        for d in list {
            match d.group {
                DueGroup::Overdue => c.overdue += 1,
                DueGroup::ThisWeek => c.this_week += 1,
                DueGroup::Later => c.later += 1,
            }
            c.never_visited += i64::from(d.last_visited_on.is_none());
            c.today += i64::from(
                d.group == DueGroup::ThisWeek
                    && d.overdue_days == 0
                    && d.due_on == crate::clock::today(),
            );
        }
        c
    }

    pub fn get(&self, g: DueGroup) -> i64 {
        match g {
            DueGroup::Overdue => self.overdue,
            DueGroup::ThisWeek => self.this_week,
            DueGroup::Later => self.later,
        }
    }
}

/// Someone due for a visit.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DueVisit {
    pub person_id: i64,
    pub name: PersonName,
    pub address: String,
    /// The rules that make them due ("刑释解教/社区矫正人员每月走访一次").
    pub reasons: Vec<String>,
    pub last_visited_on: Option<NaiveDate>,
    pub due_on: NaiveDate,
    /// Days past `due_on` (0 when not yet due). Someone never visited is "从未走访", not
    /// "overdue for years": see `last_visited_on`.
    pub overdue_days: i64,
    pub group: DueGroup,
    /// The building they live in (for filtering and the walk round), if any.
    pub building_id: Option<i64>,
    pub building: Option<String>,
    #[serde(skip)]
    area_path: String,
    #[serde(skip)]
    order: Vec<(String, u64)>,
}

/// A name's sort key with its numbers as numbers: "2幢" before "11幢".
pub fn natural(name: &str) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut num: Option<u64> = None;
    for ch in name.chars() {
        match ch.to_digit(10) {
            Some(d) => {
                num = Some(
                    num.unwrap_or(0)
                        .saturating_mul(10)
                        .saturating_add(u64::from(d)),
                );
            }
            None => {
                if let Some(n) = num.take() {
                    out.push((std::mem::take(&mut text), n));
                }
                text.push(ch);
            }
        }
    }
    out.push((text, num.unwrap_or(0)));
    out
}

/// Everyone under `node_id` due within `horizon_days` (overdue ones included), overdue first,
/// then nearest first by building.
pub fn due(
    conn: &mut Conn,
    actor: &Actor,
    node_id: i64,
    horizon_days: i64,
) -> StoreResult<Vec<DueVisit>> {
    actor.require(actor.reads_people(), "查看走访任务")?;
    let node = tree::get(conn, actor, node_id)?;
    let today = today();
    let until = today + chrono::Duration::days(horizon_days.clamp(0, 366));
    let (cf, cargs) = actor.people_community_filter("p.community_id");
    let (pf, pargs) = actor.people_path_filter("p.area_path");
    let scope = |args: &mut Vec<Value>| {
        args.extend(cargs.iter().cloned());
        args.push(Value::from(node.path.as_str()));
        args.push(Value::from(prefix_end(&node.path)));
        args.extend(pargs.iter().cloned());
    };
    let mut args = Vec::new();
    scope(&mut args);
    let mut more = Vec::new();
    scope(&mut more);
    args.extend(more);
    // (person, name, area, kind, category, started, rule community, every, label, last visit,
    // rule risk)
    let rows = conn.query(
        &format!(
            "SELECT p.id, p.name, p.area_path, t.kind, t.category, t.started_on, r.community_id, r.every_days, r.label,
                    (SELECT max(v.visited_on) FROM visits v WHERE v.person_id = p.id), r.risk
             FROM tags t JOIN persons p ON p.id = t.person_id
             JOIN visit_rules r ON r.tag_kind = t.kind AND (r.category IS NULL OR r.category = t.category)
                  AND (r.risk IS NULL OR r.risk = t.risk)
                  AND (r.community_id IS NULL OR r.community_id = p.community_id)
             WHERE t.ended_on IS NULL AND p.living = 1 AND {cf} AND p.area_path >= ? AND p.area_path < ? AND {pf}
             UNION ALL
             SELECT p.id, p.name, p.area_path, t.kind, t.category, t.started_on, r.community_id, r.every_days, r.label,
                    (SELECT max(v.visited_on) FROM visits v WHERE v.household_id = t.household_id), r.risk
             FROM tags t JOIN residences h ON h.household_id = t.household_id AND h.moved_out_on IS NULL AND h.relation = '户主'
             JOIN persons p ON p.id = h.person_id
             JOIN visit_rules r ON r.tag_kind = t.kind AND (r.category IS NULL OR r.category = t.category)
                  AND (r.risk IS NULL OR r.risk = t.risk)
                  AND (r.community_id IS NULL OR r.community_id = p.community_id)
             WHERE t.ended_on IS NULL AND p.living = 1 AND {cf} AND p.area_path >= ? AND p.area_path < ? AND {pf}"
        ),
        &args,
    )?;
    // Per person and group, the community's own rule wins over the default.
    struct Hit {
        name: String,
        area: String,
        started: NaiveDate,
        own: bool,
        every: i64,
        label: String,
        last: Option<NaiveDate>,
    }
    // Keyed by person, group, class and the rule's risk level: a risk rule is kept apart from
    // the group's general rule, and then replaces it for that person.
    let mut hits: HashMap<(i64, String, Option<String>, Option<String>), Hit> = HashMap::new();
    for r in &rows {
        let key = (
            r.get::<i64>(0)?,
            r.get::<String>(3)?,
            r.get::<Option<String>>(4)?,
            r.get::<Option<String>>(10)?,
        );
        let hit = Hit {
            name: r.get(1)?,
            area: r.get(2)?,
            started: r.get(5)?,
            own: r.get::<Option<i64>>(6)?.is_some(),
            every: r.get(7)?,
            label: r.get(8)?,
            last: r.get(9)?,
        };
        match hits.get(&key) {
            Some(existing) if existing.own && !hit.own => {}
            _ => {
                hits.insert(key, hit);
            }
        }
    }
    let assessed: std::collections::HashSet<(i64, String)> = hits
        .keys()
        .filter(|k| k.3.is_some())
        .map(|k| (k.0, k.1.clone()))
        .collect();
    hits.retain(|k, _| k.3.is_some() || !assessed.contains(&(k.0, k.1.clone())));
    let mut people: HashMap<i64, DueVisit> = HashMap::new();
    for ((person, _, _, _), h) in hits {
        // Never visited: due from the day they joined the group.
        let due_on = match h.last {
            Some(last) => last + chrono::Duration::days(h.every),
            None => h.started,
        };
        if due_on > until {
            continue;
        }
        let entry = people.entry(person).or_insert_with(|| DueVisit {
            person_id: person,
            name: PersonName::for_viewer(h.name.clone(), actor),
            address: String::new(),
            reasons: Vec::new(),
            last_visited_on: h.last,
            due_on,
            overdue_days: 0,
            group: DueGroup::Later,
            building_id: None,
            building: None,
            area_path: h.area.clone(),
            order: Vec::new(),
        });
        entry.due_on = entry.due_on.min(due_on);
        entry.last_visited_on = entry.last_visited_on.max(h.last);
        entry.reasons.push(h.label);
    }
    let mut out: Vec<DueVisit> = people.into_values().collect();
    let paths: Vec<String> = out.iter().map(|d| d.area_path.clone()).collect();
    let places = crate::registry::search::place_names(conn, &paths)?;
    let buildings = buildings_of(conn, &paths)?;
    for d in &mut out {
        d.overdue_days = (today - d.due_on).num_days().max(0);
        d.group = DueGroup::of(d.due_on, today);
        d.reasons.sort();
        d.address = places
            .get(&d.area_path)
            .map(|(_, place)| place.clone())
            .unwrap_or_default();
        if let Some((id, name)) = buildings.get(&d.area_path) {
            d.building_id = Some(*id);
            d.building = Some(name.clone());
        }
        // Building by building, then unit and room, as the worker walks round.
        d.order = natural(&d.address);
    }
    out.sort_by(|a, b| {
        (a.group, &a.order, a.due_on, a.person_id).cmp(&(b.group, &b.order, b.due_on, b.person_id))
    });
    Ok(out)
}

/// The building (id, name) each path lies in, where it lies in one.
fn buildings_of(conn: &mut Conn, paths: &[String]) -> StoreResult<HashMap<String, (i64, String)>> {
    let mut ids: Vec<i64> = paths.iter().flat_map(|p| tree::path_ids(p)).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut buildings: HashMap<i64, String> = HashMap::new();
    for chunk in ids.chunks(500) {
        let marks = vec!["?"; chunk.len()].join(",");
        let args: Vec<Value> = chunk.iter().map(|i| Value::Int(*i)).collect();
        for r in conn.query(
            &format!("SELECT id, name FROM org_nodes WHERE kind = 'building' AND id IN ({marks})"),
            &args,
        )? {
            buildings.insert(r.get(0)?, r.get(1)?);
        }
    }
    Ok(paths
        .iter()
        .filter_map(|p| {
            tree::path_ids(p)
                .into_iter()
                .find_map(|id| buildings.get(&id).map(|n| (p.clone(), (id, n.clone()))))
        })
        .collect())
}

/// Overdue visits per grid under a node, with the grid's workers: the community head's view.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GridOverdue {
    pub grid_id: i64,
    pub grid: String,
    pub workers: Vec<String>,
    pub overdue: i64,
    pub due_this_week: i64,
}

pub fn overdue_by_grid(
    conn: &mut Conn,
    actor: &Actor,
    node_id: i64,
) -> StoreResult<Vec<GridOverdue>> {
    let list = due(conn, actor, node_id, 7)?;
    let node = tree::get(conn, actor, node_id)?;
    let grids = conn.query(
        "SELECT id, name, path FROM org_nodes WHERE kind = 'grid' AND path >= ? AND path < ? AND retired_on IS NULL ORDER BY path",
        params![node.path.as_str(), prefix_end(&node.path)],
    )?;
    let mut out = Vec::new();
    for g in &grids {
        let (id, name, path): (i64, String, String) = (g.get(0)?, g.get(1)?, g.get(2)?);
        let workers = conn
            .query(
                "SELECT u.display_name FROM user_scopes s JOIN users u ON u.id = s.user_id
                 WHERE s.node_id = ? AND u.role = 'grid_worker' AND u.active = 1 ORDER BY u.display_name",
                params![id],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect::<Result<Vec<String>, _>>()?;
        let mine: Vec<&DueVisit> = list
            .iter()
            .filter(|d| d.area_path.starts_with(&path))
            .collect();
        out.push(GridOverdue {
            grid_id: id,
            grid: name,
            workers,
            overdue: mine.iter().filter(|d| d.group == DueGroup::Overdue).count() as i64,
            due_this_week: mine
                .iter()
                .filter(|d| d.group == DueGroup::ThisWeek)
                .count() as i64,
        });
    }
    Ok(out)
}

/// A person's last visits, newest first (the visit form shows them).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PastVisit {
    pub id: i64,
    pub visited_on: NaiveDate,
    pub kind: String,
    pub findings: String,
    pub worker_name: String,
    /// Checklist answers (the 六清 …).
    pub items: BTreeMap<String, String>,
    /// Entered on a later day than it was made (补录).
    pub backdated: bool,
}

pub fn history(
    conn: &mut Conn,
    actor: &Actor,
    person_id: i64,
    limit: i64,
) -> StoreResult<Vec<PastVisit>> {
    people::get(conn, actor, person_id)?;
    conn.query(
        "SELECT id, visited_on, kind, findings, worker_name, items, backdated FROM visits WHERE person_id = ? ORDER BY visited_on DESC, id DESC LIMIT ?",
        params![person_id, limit.clamp(1, 100)],
    )?
    .iter()
    .map(|r| {
        Ok(PastVisit {
            id: r.get(0)?,
            visited_on: r.get(1)?,
            kind: r.get(2)?,
            findings: r.get(3)?,
            worker_name: r.get(4)?,
            items: super::answers_from_json(&r.get::<String>(5)?),
            backdated: r.get::<i64>(6)? != 0,
        })
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buildings_sort_by_their_numbers() {
        let mut names = vec![
            "11幢2单元301",
            "2幢1单元101",
            "2幢10单元101",
            "2幢2单元101",
            "附1幢",
        ];
        names.sort_by_key(|n| natural(n));
        assert_eq!(
            names,
            vec![
                "2幢1单元101",
                "2幢2单元101",
                "2幢10单元101",
                "11幢2单元301",
                "附1幢"
            ]
        );
    }

    #[test]
    fn the_week_ends_on_sunday() {
        let wed = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap_or_default();
        let on = |d: u32| NaiveDate::from_ymd_opt(2026, 12, d).unwrap_or_default();
        assert_eq!(DueGroup::of(on(1), wed), DueGroup::Overdue);
        assert_eq!(DueGroup::of(wed, wed), DueGroup::ThisWeek);
        assert_eq!(DueGroup::of(on(6), wed), DueGroup::ThisWeek);
        assert_eq!(DueGroup::of(on(7), wed), DueGroup::Later);
    }
}
