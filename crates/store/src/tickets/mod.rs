//! 事件 (issue tickets): reported in the field, then taken through the workflow of
//! `shequ_domain::tickets`, every step a row of `ticket_events` with who, when and why. The time
//! limit starts when the ticket is dispatched and runs in working time (`worktime::Calendar` with
//! the holidays of `calendar_days`). A step names the version it was based on: of two people
//! acting on the same ticket at once, one wins and the other is told.

pub mod dispatch_targets;
pub mod open311;
pub mod public_reports;
pub mod settings;

use chrono::{DateTime, NaiveDateTime};
use serde::{Deserialize, Serialize};
use shequ_domain::tickets::{self as flow, Action, State};
use shequ_domain::worktime::{Calendar, LimitUnit};

use crate::access::audit::{self, By, Event};
use crate::access::personal::PersonName;
use crate::access::scope::{Actor, RecordSql};
use crate::access::sealed::{Field, sealer};
use crate::attachments::{self, Attachment, FileIn, NewFile, Owner};
use crate::clock::now;
use crate::db::{Conn, Row, Value};
use crate::error::{StoreError, StoreResult, text};
use crate::indicators::catalogue::{amount_in, count_in};
use crate::params;
use crate::registry::tree;
use crate::tickets::settings::{SettingsScope, settings_scope};

/// A 事件 sits where it was reported. Read by the access guard (`crate::records`).
pub const RECORD: RecordSql = RecordSql {
    area: "SELECT area_path FROM tickets WHERE id = ?",
    version: Some("SELECT version FROM tickets WHERE id = ?"),
};

/// When a report or a step happened: now, on the page; or, bringing in a past 事件台账, the
/// local time the ledger gives (the record is then 补录, and a hazard needs no photos: nobody
/// can photograph last year's report now).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum When {
    Now,
    Past(NaiveDateTime),
}

impl When {
    /// As stored in `reported_at` and friends.
    fn stamp(self) -> String {
        match self {
            When::Now => now(),
            When::Past(at) => crate::clock::local_to_utc_text(at),
        }
    }

    /// The local wall-clock time a time limit starts from.
    fn local(self) -> NaiveDateTime {
        match self {
            When::Now => shequ_domain::clock::now_local().naive_local(),
            When::Past(at) => at,
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Category {
    pub code: String,
    pub parent_code: Option<String>,
    pub name: String,
    pub limit_normal: Option<String>,
    pub limit_urgent: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TimeLimit {
    pub code: String,
    pub name: String,
    pub amount: i64,
    /// hours | working_hours | working_days | days
    pub unit: String,
}

/// The active categories `communities` may file under: the district's and their own. Every
/// caller says for whom, so a community's own 小类 never shows up in another's picker.
pub fn categories(conn: &mut Conn, communities: &[i64]) -> StoreResult<Vec<Category>> {
    let mut sql = String::from(
        "SELECT code, parent_code, name, limit_normal, limit_urgent FROM ticket_categories
         WHERE active = 1 AND (community_id IS NULL",
    );
    if !communities.is_empty() {
        sql.push_str(" OR community_id IN (");
        sql.push_str(&vec!["?"; communities.len()].join(", "));
        sql.push(')');
    }
    sql.push_str(") ORDER BY code");
    let params: Vec<Value> = communities.iter().map(|c| Value::from(*c)).collect();
    conn.query(&sql, &params)?
        .iter()
        .map(|r| {
            Ok(Category {
                code: r.get(0)?,
                parent_code: r.get(1)?,
                name: r.get(2)?,
                limit_normal: r.get(3)?,
                limit_urgent: r.get(4)?,
            })
        })
        .collect()
}

/// The 小类 a report is filed under (the 大类 only group them), for `communities`.
pub fn subcategories(conn: &mut Conn, communities: &[i64]) -> StoreResult<Vec<Category>> {
    Ok(categories(conn, communities)?
        .into_iter()
        .filter(|c| c.parent_code.is_some())
        .collect())
}

/// The 小类 under their 大类's name, for a picker that shows names (codes are for the ledger).
/// `own`: the communities whose own 小类 are offered besides the district's.
pub fn category_groups(conn: &mut Conn, own: &[i64]) -> StoreResult<Vec<(String, Vec<Category>)>> {
    let mut groups: Vec<(String, Vec<Category>)> = Vec::new();
    let all = categories(conn, own)?;
    for c in &all {
        if c.parent_code.is_none() {
            let subs: Vec<Category> = all
                .iter()
                .filter(|s| s.parent_code.as_deref() == Some(c.code.as_str()))
                .cloned()
                .collect();
            if !subs.is_empty() {
                groups.push((c.name.clone(), subs));
            }
        }
    }
    Ok(groups)
}

/// The 小类 for a report at `node` (a resident's link carries no account to ask).
pub fn subcategories_at(conn: &mut Conn, node: i64) -> StoreResult<Vec<Category>> {
    let own: Vec<i64> = tree::load(conn, node)?.community_id.into_iter().collect();
    subcategories(conn, &own)
}

pub fn time_limits(conn: &mut Conn) -> StoreResult<Vec<TimeLimit>> {
    conn.query(
        "SELECT code, name, amount, unit FROM ticket_time_limits ORDER BY amount, code",
        params![],
    )?
    .iter()
    .map(|r| {
        Ok(TimeLimit {
            code: r.get(0)?,
            name: r.get(1)?,
            amount: r.get(2)?,
            unit: r.get(3)?,
        })
    })
    .collect()
}

/// Changes a time limit (amount and unit); tickets dispatched later get the new limit. The
/// district administrator changes the district's; a community head sets the community's own,
/// which its tickets use instead.
pub fn set_time_limit(
    conn: &mut Conn,
    actor: &Actor,
    code: &str,
    amount: i64,
    unit: &str,
) -> StoreResult<()> {
    let scope = settings_scope(actor, "修改事件处置时限")?;
    let unit = LimitUnit::parse(unit)
        .ok_or_else(|| StoreError::invalid("时限单位", "应为 小时、工作小时、工作日 或 天"))?;
    if !(1..=1000).contains(&amount) {
        return Err(StoreError::invalid("时限", "应为 1–1000 的整数"));
    }
    conn.transaction(|c| {
        let n = match scope {
            SettingsScope::District => c.execute(
                "UPDATE ticket_time_limits SET amount = ?, unit = ?, updated_at = ? WHERE code = ?",
                params![amount, unit.as_str(), now(), code],
            )?,
            SettingsScope::Community(community) => {
                if c.query_opt(
                    "SELECT code FROM ticket_time_limits WHERE code = ?",
                    params![code],
                )?
                .is_none()
                {
                    0
                } else {
                    c.execute(
                        "DELETE FROM community_time_limits WHERE community_id = ? AND code = ?",
                        params![community, code],
                    )?;
                    c.execute(
                        "INSERT INTO community_time_limits (community_id, code, amount, unit, updated_at) VALUES (?, ?, ?, ?, ?)",
                        params![community, code, amount, unit.as_str(), now()],
                    )?
                }
            }
        };
        if n == 0 {
            return Err(StoreError::NotFound(format!("处置时限“{code}”")));
        }
        audit::record(
            c,
            By::Actor(actor),
            Event::ok("ticket.limit", format!("limit:{code}")).with(serde_json::json!({
                "时限": amount, "单位": unit.label(), "范围": scope.label()
            })),
        )
    })
}

/// A community's own amounts for the district's time limits (code, amount, unit).
pub fn community_time_limits(
    conn: &mut Conn,
    community: i64,
) -> StoreResult<Vec<(String, i64, String)>> {
    conn.query(
        "SELECT code, amount, unit FROM community_time_limits WHERE community_id = ? ORDER BY code",
        params![community],
    )?
    .iter()
    .map(|r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
    .collect()
}

/// The working-day calendar: weekdays, with the days entered in `calendar_days`.
pub fn calendar(conn: &mut Conn) -> StoreResult<Calendar> {
    let mut cal = Calendar::default();
    for r in conn.query("SELECT day, workday FROM calendar_days", params![])? {
        let day: chrono::NaiveDate = r.get(0)?;
        let workday: i64 = r.get(1)?;
        cal.overrides.insert(day, workday == 1);
    }
    Ok(cal)
}

/// Marks a day as a holiday (`workday` false) or a worked weekend day (true).
pub fn set_calendar_day(
    conn: &mut Conn,
    actor: &Actor,
    day: chrono::NaiveDate,
    workday: bool,
    name: &str,
) -> StoreResult<()> {
    // Holidays and 调休 are the State Council's, the same for every community.
    actor.require(
        actor.role.manages_district_settings(),
        "维护节假日与调休（由区级管理员统一维护）",
    )?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 40 {
        return Err(StoreError::invalid(
            "名称",
            "请写明节日或调休名称（不超过 40 字）",
        ));
    }
    conn.transaction(|c| {
        c.execute("DELETE FROM calendar_days WHERE day = ?", params![day])?;
        c.execute(
            "INSERT INTO calendar_days (day, workday, name, updated_at) VALUES (?, ?, ?, ?)",
            params![day, i64::from(workday), name, now()],
        )?;
        audit::record(
            c,
            By::Actor(actor),
            Event::ok("calendar.set", format!("day:{day}"))
                .with(serde_json::json!({ "日期": day, "上班": workday, "名称": name })),
        )
    })
}

/// A new report.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketInput {
    /// Where: a grid, building, unit or room of the reporter's area.
    pub node_id: i64,
    /// A 小类 code such as "0102".
    pub category_code: String,
    /// normal (default) | urgent
    #[serde(default)]
    pub urgency: Option<String>,
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Free text: "13幢东侧绿化带".
    #[serde(default)]
    pub location: Option<String>,
    /// worker (default) | resident | open311 | visit | patrol
    #[serde(default)]
    pub source: Option<String>,
    /// The resident who reported it, if a resident did.
    #[serde(default)]
    pub reporter_name: Option<String>,
    #[serde(default)]
    pub reporter_phone: Option<String>,
    /// Photos or files. A hazard (安全隐患) reported by a worker needs a close-up (role close)
    /// and a wide shot (role wide).
    #[serde(default)]
    pub photos: Vec<NewFile>,
    /// Files from a page's upload form (not part of the JSON API).
    #[serde(skip)]
    pub files: Vec<FileIn>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Ticket {
    pub id: i64,
    pub community_id: i64,
    pub node_id: i64,
    /// "13幢2单元501" or the grid's name.
    pub place: String,
    pub category_code: String,
    pub category: String,
    pub urgency: String,
    pub title: String,
    pub description: String,
    pub location: Option<String>,
    pub source: String,
    pub reporter_name: Option<PersonName>,
    /// Masked unless the caller may open personal data here.
    pub reporter_phone: Option<String>,
    pub state: String,
    pub state_label: String,
    pub assignee_kind: Option<String>,
    pub assignee_name: Option<String>,
    pub escalated: bool,
    pub reported_at: String,
    pub dispatched_at: Option<String>,
    pub due_at: Option<String>,
    pub closed_at: Option<String>,
    pub extension_pending: bool,
    pub rating: Option<String>,
    /// How the evaluation was given: resident (through the receipt) | phone (a named staff
    /// member's 电话回访) | unrecorded (from before channels were kept).
    pub rating_channel: Option<String>,
    /// Who recorded it and when: "居民凭回执评价" or "电话回访：王网格，2026-12-01".
    pub rating_source: Option<String>,
    /// none | yellow (past its time limit) | red (past it by another whole limit)
    pub supervision: String,
    /// 补录: brought in from a past 事件台账, its times the ledger's.
    pub backdated: bool,
    /// The steps possible now (codes), whatever the caller's role.
    pub next_steps: Vec<String>,
    /// The steps the caller is offered now (codes): their role's share of `next_steps`.
    pub my_steps: Vec<String>,
    /// The one step that moves it on, if the caller is offered it.
    pub primary_step: Option<String>,
    pub version: i64,
    /// Photos and files (one ticket only; lists leave them out).
    pub attachments: Vec<Attachment>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TicketEvent {
    pub at: String,
    pub actor_name: String,
    pub action: String,
    pub action_label: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub note: Option<String>,
}

const COLS: &str = "t.id, t.community_id, t.node_id, t.category_code, c.name, t.urgency, t.title, \
     t.description, t.location, t.source, t.reporter_name, t.reporter_phone, t.state, \
     t.assignee_kind, t.assignee_name, t.escalated, t.reported_at, t.dispatched_at, t.due_at, \
     t.closed_at, t.extension_pending, t.rating, t.version, t.area_path, l.amount, l.unit, \
     t.rating_channel, t.rated_by, t.rated_on, t.backdated";

const FROM: &str = "tickets t JOIN ticket_categories c ON c.code = t.category_code \
     LEFT JOIN ticket_time_limits l ON l.code = t.limit_code";

/// The deadline for taking up or declining a report that came in at `reported_at`: one working
/// day by the calendar as it is now, stored with the report so the 响应率 of its period never
/// follows later edits of the calendar.
fn respond_by(cal: &Calendar, reported_at: &str) -> Option<String> {
    local(reported_at)
        .map(|at| crate::clock::local_to_utc_text(cal.due(at, 1, LimitUnit::WorkingDays)))
}

/// Gives reports stored before deadlines were kept (migration 0022) theirs, by the calendar as
/// it is when this runs. Returns how many were filled. Runs at every start: the partial index
/// `tickets_without_deadline` answers "none left" without reading the reports.
pub fn fill_respond_by(conn: &mut Conn) -> StoreResult<usize> {
    conn.transaction(|c| {
        let rows = c.query(
            "SELECT id, reported_at FROM tickets WHERE respond_by IS NULL",
            &[],
        )?;
        if rows.is_empty() {
            return Ok(0);
        }
        let cal = calendar(c)?;
        let mut n = 0;
        for r in rows {
            let (id, reported_at): (i64, String) = (r.get(0)?, r.get(1)?);
            if let Some(by) = respond_by(&cal, &reported_at) {
                c.execute(
                    "UPDATE tickets SET respond_by = ? WHERE id = ?",
                    params![by.as_str(), id],
                )?;
                n += 1;
            }
        }
        Ok(n)
    })
}

fn local(utc: &str) -> Option<NaiveDateTime> {
    DateTime::parse_from_rfc3339(utc)
        .ok()
        .map(|d| shequ_domain::clock::local(&d).naive_local())
}

/// How overdue an open ticket is: yellow once past its limit, red once past it by another
/// whole limit.
fn supervision(
    cal: &Calendar,
    state: State,
    due: Option<&str>,
    limit: Option<(i64, &str)>,
) -> &'static str {
    let (Some(due), Some((amount, unit))) = (due.and_then(local), limit) else {
        return "none";
    };
    if !state.is_open() {
        return "none";
    }
    let now = shequ_domain::clock::now_local().naive_local();
    if now <= due {
        return "none";
    }
    let unit = LimitUnit::parse(unit).unwrap_or(LimitUnit::Hours);
    if now > cal.due(due, amount, unit) {
        "red"
    } else {
        "yellow"
    }
}

/// Where a ticket is, as people say it: "13幢2单元501", or the grid's name.
fn place_of(c: &mut Conn, node_id: i64) -> StoreResult<String> {
    let node = tree::load(c, node_id)?;
    tree::address_of(c, &node)
}

fn from_row(c: &mut Conn, actor: &Actor, cal: &Calendar, r: &Row) -> StoreResult<Ticket> {
    let place = place_of(c, r.get(2)?)?;
    build(actor, cal, r, place)
}

fn build(actor: &Actor, cal: &Calendar, r: &Row, place: String) -> StoreResult<Ticket> {
    let state_text: String = r.get(12)?;
    let state = State::parse(&state_text).unwrap_or(State::Reported);
    let node_id: i64 = r.get(2)?;
    let path: String = r.get(23)?;
    let phone: Option<String> = sealer()?.open_opt(Field::ReporterPhone, r.get(11)?)?;
    let opens = actor.sees_people_at(&path);
    let reporter_name: Option<String> = r.get(10)?;
    let due: Option<String> = r.get(18)?;
    let amount: Option<i64> = r.get(24)?;
    let unit: Option<String> = r.get(25)?;
    let extension_pending: i64 = r.get(20)?;
    let escalated: i64 = r.get(15)?;
    let standing = flow::Standing {
        state,
        extension_pending: extension_pending == 1,
        escalated: escalated == 1,
    };
    let rating_channel: Option<String> = r.get(26)?;
    let rated_by: Option<String> = r.get(27)?;
    let rated_on: Option<String> = r.get(28)?;
    let rating_source = rating_channel
        .as_deref()
        .map(|ch| match (ch, rated_by, rated_on) {
            ("phone", Some(by), Some(on)) => format!("电话回访：{by}，{on}"),
            (ch, _, _) => flow::rating_channel_label(ch).to_string(),
        });
    Ok(Ticket {
        id: r.get(0)?,
        community_id: r.get(1)?,
        node_id,
        place,
        category_code: r.get(3)?,
        category: r.get(4)?,
        urgency: r.get(5)?,
        title: r.get(6)?,
        description: r.get(7)?,
        location: r.get(8)?,
        source: r.get(9)?,
        reporter_name: reporter_name.map(|n| {
            if opens {
                PersonName::for_viewer(n, actor)
            } else {
                PersonName::masked_always(n)
            }
        }),
        reporter_phone: phone.map(|p| {
            if opens {
                shequ_domain::access::mask::mask_phone(&p)
            } else {
                "***********".into()
            }
        }),
        state: state.as_str().into(),
        state_label: state.label().into(),
        assignee_kind: r.get(13)?,
        assignee_name: r.get(14)?,
        escalated: escalated == 1,
        reported_at: r.get(16)?,
        dispatched_at: r.get(17)?,
        supervision: supervision(cal, state, due.as_deref(), amount.zip(unit.as_deref())).into(),
        due_at: due,
        closed_at: r.get(19)?,
        extension_pending: extension_pending == 1,
        rating: r.get(21)?,
        rating_channel,
        rating_source,
        backdated: r.get::<i64>(29)? != 0,
        my_steps: flow::offered(actor.role, standing)
            .into_iter()
            .map(|a| a.as_str().to_string())
            .collect(),
        primary_step: flow::primary(actor.role, standing).map(|a| a.as_str().to_string()),
        next_steps: Action::ALL
            .into_iter()
            .filter(|a| flow::next(state, extension_pending == 1, *a).is_ok())
            .map(|a| a.as_str().to_string())
            .collect(),
        version: r.get(22)?,
        attachments: Vec::new(),
    })
}

fn pick<'a>(field: &str, list: &'a [(&'a str, &'a str)], v: &str) -> StoreResult<&'a str> {
    list.iter()
        .find(|(code, label)| *code == v || *label == v)
        .map(|(code, _)| *code)
        .ok_or_else(|| {
            StoreError::invalid(
                field,
                format!(
                    "“{v}”不对，应为 {} 之一",
                    list.iter().map(|(_, l)| *l).collect::<Vec<_>>().join("、")
                ),
            )
        })
}

fn event(
    c: &mut Conn,
    actor: &Actor,
    (ticket, when): ((i64, i64), When),
    action: &str,
    states: (Option<State>, State),
    note: Option<&str>,
    detail: serde_json::Value,
) -> StoreResult<()> {
    c.execute(
        "INSERT INTO ticket_events (community_id, ticket_id, at, user_id, actor_name, action, from_state, to_state, note, detail)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        params![
            ticket.1,
            ticket.0,
            when.stamp(),
            actor.user_id,
            actor.display_name.as_str(),
            action,
            states.0.map(State::as_str),
            states.1.as_str(),
            note,
            detail.to_string()
        ],
    )?;
    Ok(())
}

/// Records a report. Returns the ticket's id.
pub fn create(conn: &mut Conn, actor: &Actor, input: &TicketInput) -> StoreResult<i64> {
    create_when(conn, actor, input, When::Now)
}

/// Records a report made at `when`.
pub(crate) fn create_when(
    conn: &mut Conn,
    actor: &Actor,
    input: &TicketInput,
    when: When,
) -> StoreResult<i64> {
    actor.require(flow::works_tickets(actor.role), "上报事件")?;
    let title = text("标题", Some(&input.title), 100)?
        .ok_or_else(|| StoreError::invalid("标题", "请用一句话写明是什么问题"))?;
    let description = text("情况描述", input.description.as_deref(), 2000)?.unwrap_or_default();
    let location = text("具体位置", input.location.as_deref(), 200)?;
    let urgency = pick(
        "紧急程度",
        flow::URGENCIES,
        input.urgency.as_deref().unwrap_or("normal"),
    )?;
    let source = pick(
        "来源",
        flow::SOURCES,
        input.source.as_deref().unwrap_or("worker"),
    )?;
    let reporter_name = text("反映人", input.reporter_name.as_deref(), 40)?;
    let reporter_phone = text("反映人电话", input.reporter_phone.as_deref(), 20)?
        .map(|p| shequ_domain::Phone::parse(&p).map(|p| p.as_str().to_string()))
        .transpose()
        .map_err(|e| StoreError::invalid("反映人电话", e.to_string()))?;
    if input.category_code.trim().is_empty() {
        // No default: a report filed under whatever came first is worse than none.
        return Err(StoreError::invalid(
            "事件类别",
            "请选择事件类别（如 设施设备 › 路灯损坏）",
        ));
    }
    let files = attachments::check(&attachments::gather(&input.photos, &input.files)?)?;
    conn.transaction(|c| {
        let node = tree::get(c, actor, input.node_id)?;
        let Some(community_id) = node.community_id else {
            return Err(StoreError::invalid(
                "位置",
                "请选择社区、网格或其中的楼栋、房屋",
            ));
        };
        let category = c
            .query_opt(
                "SELECT c.code, c.name, p.photos_required FROM ticket_categories c
                 JOIN ticket_categories p ON p.code = c.parent_code
                 WHERE c.code = ? AND c.active = 1 AND (c.community_id IS NULL OR c.community_id = ?)",
                params![input.category_code.as_str(), community_id],
            )?
            .ok_or_else(|| {
                StoreError::invalid(
                    "事件类别",
                    format!("“{}”不是可用的事件小类（如 0102 暴露垃圾）", input.category_code),
                )
            })?;
        let (category, name, photos): (String, String, i64) =
            (category.get(0)?, category.get(1)?, category.get(2)?);
        if let When::Past(at) = when {
            crate::periods::entering(c, community_id, "上报时间", at.date())?;
        }
        // Residents report as they can; a worker on the spot photographs a hazard.
        if photos == 1 && matches!(source, "worker" | "visit" | "patrol") && when == When::Now {
            attachments::require_close_and_wide(&files, &format!("“{name}”属安全隐患，"))?;
        }
        let (ts, recorded) = (when.stamp(), now());
        let respond_by = respond_by(&calendar(c)?, &ts);
        let id = c.insert(
            "INSERT INTO tickets (community_id, node_id, area_path, category_code, urgency, title, description, location,
                source, reporter_user_id, reporter_name, reporter_phone, state, reported_at, created_at, updated_at,
                respond_by, backdated)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            params![
                community_id,
                node.id,
                node.path.as_str(),
                category.as_str(),
                urgency,
                title.as_str(),
                description.as_str(),
                location,
                source,
                actor.user_id,
                reporter_name,
                sealer()?.seal_opt(Field::ReporterPhone, reporter_phone.as_deref())?,
                State::Reported.as_str(),
                ts.as_str(),
                recorded.as_str(),
                recorded.as_str(),
                respond_by,
                i64::from(when != When::Now)
            ],
        )?;
        event(
            c,
            actor,
            ((id, community_id), when),
            "report",
            (None, State::Reported),
            None,
            serde_json::json!({ "类别": category, "紧急程度": urgency, "来源": source }),
        )?;
        attachments::store(
            c,
            Some(actor.user_id),
            Owner::Ticket(id),
            (community_id, node.path.as_str()),
            &files,
        )?;
        audit::record(
            c,
            By::Actor(actor),
            Event::ok("ticket.report", format!("ticket:{id}")).with(match when {
                When::Now => serde_json::json!({ "类别": category, "标题": title }),
                When::Past(_) => {
                    serde_json::json!({ "类别": category, "标题": title, "补录": ts })
                }
            }),
        )?;
        Ok(id)
    })
}

/// A problem found on a visit or a patrol: it becomes a 事件.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProblemInput {
    pub category_code: String,
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub urgency: Option<String>,
    /// A hazard needs a close-up (role close) and a wide shot (role wide).
    #[serde(default)]
    pub photos: Vec<NewFile>,
    #[serde(skip)]
    pub files: Vec<FileIn>,
}

/// Files the problems found on a visit or patrol as tickets at `at` (node, location), each
/// linked to where it was found: `from` = ("visit" | "patrol", its id). Inside the caller's
/// transaction; a bad problem is named as one.
pub(crate) fn raise_problems(
    c: &mut Conn,
    actor: &Actor,
    problems: &[ProblemInput],
    at: (i64, Option<&str>),
    from: (&str, i64),
) -> StoreResult<Vec<i64>> {
    let link = match from.0 {
        "visit" => "visit_id",
        _ => "patrol_id",
    };
    let mut ids = Vec::with_capacity(problems.len());
    for p in problems {
        let id = create(
            c,
            actor,
            &TicketInput {
                node_id: at.0,
                category_code: p.category_code.clone(),
                urgency: p.urgency.clone(),
                title: p.title.clone(),
                description: p.description.clone(),
                location: at.1.map(str::to_string),
                source: Some(from.0.to_string()),
                reporter_name: None,
                reporter_phone: None,
                photos: p.photos.clone(),
                files: p.files.clone(),
            },
        )
        .map_err(|e| match e {
            StoreError::Invalid { field, message } => {
                StoreError::invalid(format!("发现的问题：{field}"), message)
            }
            other => other,
        })?;
        c.execute(
            &format!("UPDATE tickets SET {link} = ? WHERE id = ?"),
            params![from.1, id],
        )?;
        ids.push(id);
    }
    Ok(ids)
}

/// A report from outside the staff (an Open311 client, 居民随手拍): no reporting user; the
/// channel names itself on the timeline and in the audit log. Inside the caller's transaction.
pub(crate) struct OutsideReport<'a> {
    pub community_id: i64,
    pub node: &'a tree::Node,
    pub category_code: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub location: Option<&'a str>,
    pub reporter_name: Option<&'a str>,
    /// Plain; sealed here.
    pub reporter_phone: Option<&'a str>,
    /// open311 | resident
    pub source: &'a str,
    /// Who the timeline says reported it ("网上报事（系统名）", "居民随手拍").
    pub channel: &'a str,
    /// Who the audit log says acted ("open311:系统名", "report_link:3").
    pub audited_as: &'a str,
    /// The receipt with which the reporter follows it.
    pub token: &'a str,
    pub lat_long: (Option<f64>, Option<f64>),
    pub open311_key_id: Option<i64>,
    pub report_link_id: Option<i64>,
}

pub(crate) fn file_outside_report(c: &mut Conn, r: &OutsideReport) -> StoreResult<i64> {
    let ts = now();
    let respond_by = respond_by(&calendar(c)?, &ts);
    let id = c.insert(
        "INSERT INTO tickets (community_id, node_id, area_path, category_code, urgency, title, description, location,
            source, reporter_name, reporter_phone, state, reported_at, created_at, updated_at,
            latitude, longitude, open311_key_id, open311_token, report_link_id, respond_by)
         VALUES (?, ?, ?, ?, 'normal', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        params![
            r.community_id,
            r.node.id,
            r.node.path.as_str(),
            r.category_code,
            r.title,
            r.description,
            r.location,
            r.source,
            r.reporter_name,
            sealer()?.seal_opt(Field::ReporterPhone, r.reporter_phone)?,
            State::Reported.as_str(),
            ts.as_str(),
            ts.as_str(),
            ts.as_str(),
            r.lat_long.0,
            r.lat_long.1,
            r.open311_key_id,
            r.token,
            r.report_link_id,
            respond_by
        ],
    )?;
    c.execute(
        "INSERT INTO ticket_events (community_id, ticket_id, at, actor_name, action, to_state, detail)
         VALUES (?, ?, ?, ?, 'report', ?, ?)",
        params![
            r.community_id,
            id,
            ts.as_str(),
            r.channel,
            State::Reported.as_str(),
            serde_json::json!({ "类别": r.category_code, "来源": r.source }).to_string()
        ],
    )?;
    audit::record(
        c,
        By::Name(r.audited_as),
        Event::ok("ticket.report", format!("ticket:{id}"))
            .with(serde_json::json!({ "类别": r.category_code, "来源": r.channel })),
    )?;
    Ok(id)
}

fn load_row(c: &mut Conn, actor: &Actor, id: i64) -> StoreResult<Row> {
    let row = c
        .query_opt(
            &format!("SELECT {COLS} FROM {FROM} WHERE t.id = ?"),
            params![id],
        )?
        .ok_or_else(|| StoreError::NotFound(format!("事件 {id}")))?;
    let path: String = row.get(23)?;
    if !actor.sees_path(&path) {
        return Err(StoreError::Forbidden("这件事件不在您的工作范围内".into()));
    }
    Ok(row)
}

pub fn get(conn: &mut Conn, actor: &Actor, id: i64) -> StoreResult<(Ticket, Vec<TicketEvent>)> {
    let cal = calendar(conn)?;
    let row = load_row(conn, actor, id)?;
    let mut ticket = from_row(conn, actor, &cal, &row)?;
    ticket.attachments = attachments::list(conn, Owner::Ticket(id))?;
    let events = conn
        .query(
            "SELECT at, actor_name, action, from_state, to_state, note FROM ticket_events WHERE ticket_id = ? ORDER BY id",
            params![id],
        )?
        .iter()
        .map(|r| {
            let action: String = r.get(2)?;
            Ok(TicketEvent {
                at: r.get(0)?,
                actor_name: r.get(1)?,
                action_label: Action::parse(&action)
                    .map(Action::label)
                    .unwrap_or(if action == "report" { "上报" } else { "" })
                    .to_string(),
                action,
                from_state: r.get(3)?,
                to_state: r.get(4)?,
                note: r.get(5)?,
            })
        })
        .collect::<StoreResult<_>>()?;
    Ok((ticket, events))
}

/// Adds photos or files to a ticket at any step (处置后 photos with the feedback, say).
pub fn add_files(
    conn: &mut Conn,
    actor: &Actor,
    id: i64,
    files: &[FileIn],
) -> StoreResult<Vec<i64>> {
    actor.require(flow::works_tickets(actor.role), "为事件添加照片")?;
    let row = load_row(conn, actor, id)?;
    let community_id: i64 = row.get(1)?;
    let path: String = row.get(23)?;
    attachments::add(
        conn,
        actor,
        Owner::Ticket(id),
        (community_id, path.as_str()),
        files,
    )
}

/// Which tickets a list shows.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListFilter {
    /// A state code (reported, accepted, …) or "open" for every unfinished one.
    #[serde(default)]
    pub state: Option<String>,
    /// Only those past their time limit, most overdue first.
    #[serde(default)]
    pub overdue: Option<bool>,
    /// Only those waiting on the caller: where the step that moves them on is the caller's
    /// to take (`shequ_domain::tickets::primary`).
    #[serde(default)]
    pub waiting: Option<bool>,
    #[serde(default)]
    pub limit: Option<i64>,
}

/// The WHERE clause of a list (and of its count): one place, so a figure and its list agree.
fn filtered(
    conn: &mut Conn,
    actor: &Actor,
    node_id: i64,
    filter: &ListFilter,
) -> StoreResult<(String, Vec<Value>)> {
    actor.require(
        flow::works_tickets(actor.role) || actor.role.views_area(),
        "查看事件",
    )?;
    let node = tree::get(conn, actor, node_id)?;
    let (cf, mut args) = actor.community_filter("t.community_id");
    let (pf, pargs) = actor.path_filter("t.area_path");
    args.push(Value::from(node.path.as_str()));
    args.push(Value::from(crate::db::prefix_end(&node.path)));
    args.extend(pargs);
    let mut sql = format!("{cf} AND t.area_path >= ? AND t.area_path < ? AND {pf}");
    let open: Vec<&str> = State::ALL
        .into_iter()
        .filter(|s| s.is_open())
        .map(State::as_str)
        .collect();
    match filter.state.as_deref() {
        None | Some("") | Some("all") => {}
        Some("open") => {
            sql.push_str(&format!(
                " AND t.state IN ({})",
                vec!["?"; open.len()].join(",")
            ));
            args.extend(open.iter().map(|s| Value::from(*s)));
        }
        Some(s) => {
            let state = State::parse(s)
                .ok_or_else(|| StoreError::invalid("状态", format!("没有“{s}”这种状态")))?;
            sql.push_str(" AND t.state = ?");
            args.push(Value::from(state.as_str()));
        }
    }
    if filter.waiting == Some(true) {
        // Every standing in which the caller holds the primary step, spelled out for SQL.
        let mut any = Vec::new();
        for state in State::ALL {
            for extension_pending in [false, true] {
                for escalated in [false, true] {
                    let at = flow::Standing {
                        state,
                        extension_pending,
                        escalated,
                    };
                    if flow::primary(actor.role, at).is_some() {
                        any.push("(t.state = ? AND t.extension_pending = ? AND t.escalated = ?)");
                        args.push(Value::from(state.as_str()));
                        args.push(Value::Int(i64::from(extension_pending)));
                        args.push(Value::Int(i64::from(escalated)));
                    }
                }
            }
        }
        if any.is_empty() {
            sql.push_str(" AND 1 = 0");
        } else {
            sql.push_str(&format!(" AND ({})", any.join(" OR ")));
        }
    }
    if filter.overdue == Some(true) {
        sql.push_str(&format!(
            " AND t.closed_at IS NULL AND t.due_at IS NOT NULL AND t.state IN ({}) AND t.due_at < ?",
            vec!["?"; open.len()].join(",")
        ));
        args.extend(open.iter().map(|s| Value::from(*s)));
        args.push(Value::from(now()));
    }
    Ok((sql, args))
}

/// How many tickets `list` would show with this filter, without its limit.
pub fn count(
    conn: &mut Conn,
    actor: &Actor,
    node_id: i64,
    filter: &ListFilter,
) -> StoreResult<i64> {
    let (cond, args) = filtered(conn, actor, node_id, filter)?;
    Ok(conn.scalar(
        &format!("SELECT COUNT(*) FROM tickets t WHERE {cond}"),
        &args,
    )?)
}

/// Tickets under a node of the caller's area, newest first (overdue: most overdue first).
pub fn list(
    conn: &mut Conn,
    actor: &Actor,
    node_id: i64,
    filter: &ListFilter,
) -> StoreResult<Vec<Ticket>> {
    let (cond, mut args) = filtered(conn, actor, node_id, filter)?;
    let cal = calendar(conn)?;
    let mut sql = format!("SELECT {COLS} FROM {FROM} WHERE {cond}");
    if filter.overdue == Some(true) {
        sql.push_str(" ORDER BY t.due_at, t.id");
    } else {
        sql.push_str(" ORDER BY t.reported_at DESC, t.id DESC");
    }
    sql.push_str(" LIMIT ?");
    args.push(Value::Int(filter.limit.unwrap_or(200).clamp(1, 1000)));
    let rows = conn.query(&sql, &args)?;
    // Places for the whole page in one go; a ticket at a grid or building is named by its node.
    let paths: Vec<String> = rows.iter().map(|r| r.get(23)).collect::<Result<_, _>>()?;
    let places = crate::registry::search::place_names(conn, &paths)?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let path: String = r.get(23)?;
        let named = places
            .get(&path)
            .map(|(_, p)| p.clone())
            .filter(|p| !p.is_empty());
        let place = match named {
            Some(p) => p,
            None => place_of(conn, r.get(2)?)?,
        };
        out.push(build(actor, &cal, r, place)?);
    }
    Ok(out)
}

/// One step of the workflow.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepInput {
    /// accept | refuse | dispatch | start | feedback | verify_pass | verify_fail | close | rate |
    /// request_extension | approve_extension | deny_extension | supervise | reopen
    pub action: String,
    /// The version the caller saw; a newer one means someone else acted first (409).
    pub version: i64,
    /// Why (required for refuse, feedback, verify_fail, extensions, supervise, reopen).
    #[serde(default)]
    pub note: Option<String>,
    /// dispatch: ignored (the kind comes from the target chosen); kept so older clients work.
    #[serde(default)]
    pub assignee_kind: Option<String>,
    /// dispatch: the exact name of one of the community's 派遣对象 (or give `target_id`).
    #[serde(default)]
    pub assignee_name: Option<String>,
    /// dispatch: the id of one of the community's 派遣对象 (GET /api/v1/nodes/{id}/dispatch-targets).
    #[serde(default)]
    pub target_id: Option<i64>,
    /// rate: 满意 | 基本满意 | 不满意, as the resident said it on the 电话回访 this staff member
    /// made (a resident rates on their own through the receipt page).
    #[serde(default)]
    pub rating: Option<String>,
    /// rate: the day of the 电话回访 (required; not before the ticket was closed, not later
    /// than today).
    #[serde(default)]
    pub callback_on: Option<chrono::NaiveDate>,
    /// request_extension: how many more units of the ticket's time limit.
    #[serde(default)]
    pub extension_amount: Option<i64>,
}

/// Takes one step. An impossible step is a 409 naming the possible ones; a stale version a 409
/// saying someone else acted first; a step the caller's role doesn't take a 403.
pub fn step(conn: &mut Conn, actor: &Actor, id: i64, input: &StepInput) -> StoreResult<Ticket> {
    step_when(conn, actor, id, input, When::Now)
}

/// Takes one step at `when`. A past step's 评价 is the ledger's, by nobody known: its channel is
/// 未记录渠道, never a 电话回访 in the importer's name.
pub(crate) fn step_when(
    conn: &mut Conn,
    actor: &Actor,
    id: i64,
    input: &StepInput,
    when: When,
) -> StoreResult<Ticket> {
    actor.require(flow::works_tickets(actor.role), "办理事件")?;
    let action = Action::parse(&input.action)
        .ok_or_else(|| StoreError::invalid("操作", format!("没有“{}”这一步", input.action)))?;
    if action.for_managers() && !flow::manages_tickets(actor.role) {
        return Err(StoreError::Forbidden(format!(
            "“{}”由社区书记/主任或街道工作人员办理",
            action.label()
        )));
    }
    let note = text("说明", input.note.as_deref(), 1000)?;
    if action.needs_note() && note.is_none() {
        return Err(StoreError::invalid(
            "说明",
            format!("“{}”需要写明理由或处置情况", action.label()),
        ));
    }
    let cal = calendar(conn)?;
    conn.transaction(|c| {
        let row = load_row(c, actor, id)?;
        let community_id: i64 = row.get(1)?;
        let state_text: String = row.get(12)?;
        let state = State::parse(&state_text).unwrap_or(State::Reported);
        let version: i64 = row.get(22)?;
        if version != input.version {
            return Err(StoreError::Conflict(format!(
                "这件事件刚被他人办理过（现在是“{}”），请刷新后再办",
                state.label()
            )));
        }
        let pending: i64 = row.get(20)?;
        let to = flow::next(state, pending == 1, action).map_err(|allowed| {
            StoreError::IllegalStep {
                message: format!(
                    "事件现在是“{}”，不能“{}”；可以：{}",
                    state.label(),
                    action.label(),
                    if allowed.is_empty() {
                        "（没有可办的步骤）".to_string()
                    } else {
                        allowed.iter().map(|a| a.label()).collect::<Vec<_>>().join("、")
                    }
                ),
                allowed: allowed.iter().map(|a| a.as_str()).collect(),
            }
        })?;
        // A past step lands on its own day: that day, too, must not be in a locked period.
        if let When::Past(at) = when {
            crate::periods::entering(c, community_id, &format!("{}时间", action.label()), at.date())?;
        }
        let ts = when.stamp();
        let mut sets: Vec<(&str, Value)> = vec![("state", Value::from(to.as_str()))];
        let mut detail = serde_json::json!({});
        match action {
            Action::Accept => sets.push(("accepted_at", Value::from(ts.as_str()))),
            Action::Dispatch => {
                let target = crate::tickets::dispatch_targets::resolve(
                    c,
                    community_id,
                    input.target_id,
                    input.assignee_name.as_deref(),
                )?;
                let (kind, name) = (target.kind.as_str(), target.name.clone());
                sets.push(("assignee_kind", Value::from(kind)));
                sets.push(("assignee_name", Value::from(name.as_str())));
                sets.push(("dispatch_target_id", Value::Int(target.id)));
                if kind == "street" {
                    sets.push(("escalated", Value::Int(1)));
                }
                // The clock starts at the first dispatch; a re-dispatch keeps it running.
                let dispatched: Option<String> = row.get(17)?;
                if dispatched.is_none() {
                    let category: String = row.get(3)?;
                    let urgency: String = row.get(5)?;
                    let column = if urgency == "urgent" {
                        "limit_urgent"
                    } else {
                        "limit_normal"
                    };
                    let limit = c
                        .query_opt(
                            &format!(
                                "SELECT l.code, COALESCE(o.amount, l.amount), COALESCE(o.unit, l.unit) FROM ticket_categories k
                                 JOIN ticket_time_limits l ON l.code = k.{column}
                                 LEFT JOIN community_time_limits o ON o.code = l.code AND o.community_id = ?
                                 WHERE k.code = ?"
                            ),
                            params![community_id, category.as_str()],
                        )?
                        .ok_or_else(|| {
                            StoreError::Conflict(format!("事件类别 {category} 没有设定处置时限"))
                        })?;
                    let (code, amount, unit): (String, i64, String) =
                        (limit.get(0)?, limit.get(1)?, limit.get(2)?);
                    let unit = LimitUnit::parse(&unit).unwrap_or(LimitUnit::WorkingDays);
                    let due = cal.due(when.local(), amount, unit);
                    sets.push(("dispatched_at", Value::from(ts.as_str())));
                    sets.push(("limit_code", Value::from(code.as_str())));
                    sets.push(("due_at", Value::from(crate::clock::local_to_utc_text(due).as_str())));
                    detail = serde_json::json!({
                        "派给": name, "时限": format!("{amount}{}", unit.label()), "期限": crate::clock::local_to_utc_text(due)
                    });
                } else {
                    detail = serde_json::json!({ "派给": name });
                }
            }
            Action::Feedback => sets.push(("answered_at", Value::from(ts.as_str()))),
            Action::Close => sets.push(("closed_at", Value::from(ts.as_str()))),
            Action::Rate => {
                let rating = input.rating.as_deref().map(str::trim).unwrap_or("");
                if !flow::RATINGS.contains(&rating) {
                    return Err(StoreError::invalid(
                        "评价",
                        format!("应为 {} 之一", flow::RATINGS.join("、")),
                    ));
                }
                // Staff record what the resident said on a 电话回访, under their own name and
                // the call's day; the resident's own rating comes through the receipt page.
                let on = input.callback_on.ok_or_else(|| {
                    StoreError::invalid(
                        "电话回访日期",
                        "工作人员只能录入电话回访的结果：请写明哪天回访了居民（居民本人可凭回执评价）",
                    )
                })?;
                let closed: Option<String> = row.get(19)?;
                let closed_on = closed
                    .as_deref()
                    .and_then(local)
                    .map(|d| d.date())
                    .unwrap_or(on);
                if on > crate::clock::today() || on < closed_on {
                    return Err(StoreError::invalid(
                        "电话回访日期",
                        format!("应在结案（{closed_on}）之后、今天之前"),
                    ));
                }
                sets.push(("rating", Value::from(rating)));
                sets.push(("rated_on", Value::from(on.to_string().as_str())));
                if when == When::Now {
                    sets.push(("rating_channel", Value::from("phone")));
                    sets.push(("rated_by", Value::from(actor.display_name.as_str())));
                    sets.push(("rated_by_user_id", Value::Int(actor.user_id)));
                    detail = serde_json::json!({ "评价": rating, "渠道": "电话回访", "回访日期": on });
                } else {
                    sets.push(("rating_channel", Value::from("unrecorded")));
                    detail = serde_json::json!({ "评价": rating, "渠道": "原台账", "回访日期": on });
                }
            }
            Action::RequestExtension => {
                let amount = input.extension_amount.unwrap_or(0);
                if !(1..=100).contains(&amount) {
                    return Err(StoreError::invalid(
                        "延期",
                        "请写明延长多少（按本事件时限的单位，1–100）",
                    ));
                }
                sets.push(("extension_pending", Value::Int(1)));
                sets.push(("extension_amount", Value::Int(amount)));
                sets.push(("extension_reason", Value::from(note.as_deref().unwrap_or(""))));
                detail = serde_json::json!({ "延长": amount });
            }
            Action::ApproveExtension => {
                let due: Option<String> = row.get(18)?;
                let amount: Option<i64> = c
                    .query_opt("SELECT extension_amount FROM tickets WHERE id = ?", params![id])?
                    .map(|r| r.get(0))
                    .transpose()?
                    .flatten();
                let unit: Option<String> = row.get(25)?;
                if let (Some(due), Some(amount)) = (due.as_deref().and_then(local), amount) {
                    let unit = unit
                        .as_deref()
                        .and_then(LimitUnit::parse)
                        .unwrap_or(LimitUnit::WorkingDays);
                    let new_due = cal.due(due, amount, unit);
                    sets.push(("due_at", Value::from(crate::clock::local_to_utc_text(new_due).as_str())));
                    detail = serde_json::json!({ "新期限": crate::clock::local_to_utc_text(new_due) });
                }
                sets.push(("extension_pending", Value::Int(0)));
            }
            Action::DenyExtension => sets.push(("extension_pending", Value::Int(0))),
            Action::Supervise => sets.push(("supervised", Value::Int(1))),
            Action::Reopen => {
                sets.push(("closed_at", Value::Null));
                sets.push(("rating", Value::Null));
                sets.push(("rating_channel", Value::Null));
                sets.push(("rated_by", Value::Null));
                sets.push(("rated_by_user_id", Value::Null));
                sets.push(("rated_on", Value::Null));
            }
            Action::Refuse | Action::Start | Action::VerifyPass | Action::VerifyFail => {}
        }
        sets.push(("updated_at", Value::from(now().as_str())));
        let assignments: Vec<String> = sets.iter().map(|(k, _)| format!("{k} = ?")).collect();
        let mut args: Vec<Value> = sets.into_iter().map(|(_, v)| v).collect();
        args.push(Value::Int(id));
        args.push(Value::Int(version));
        let n = c.execute(
            &format!(
                "UPDATE tickets SET {}, version = version + 1 WHERE id = ? AND version = ?",
                assignments.join(", ")
            ),
            &args,
        )?;
        if n == 0 {
            return Err(StoreError::Conflict(
                "这件事件刚被他人办理过，请刷新后再办".into(),
            ));
        }
        if matches!(action, Action::Accept | Action::Refuse) {
            // The first answer is the response; a reopened report taken up again is not.
            c.execute(
                "UPDATE tickets SET responded_at = ? WHERE id = ? AND responded_at IS NULL",
                params![ts.as_str(), id],
            )?;
        }
        event(
            c,
            actor,
            ((id, community_id), when),
            action.as_str(),
            (Some(state), to),
            note.as_deref(),
            detail,
        )?;
        audit::record(
            c,
            By::Actor(actor),
            Event::ok("ticket.step", format!("ticket:{id}")).with(serde_json::json!({
                "操作": action.label(), "从": state.label(), "到": to.label()
            })),
        )?;
        let row = load_row(c, actor, id)?;
        from_row(c, actor, &cal, &row)
    })
}

/// A rate with what it is made of, so a figure in a summary can be checked.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Rate {
    pub numerator: i64,
    pub denominator: i64,
    /// Percent with one decimal; null when the denominator is 0.
    pub percent: Option<f64>,
}

impl From<shequ_domain::figures::Amount> for Rate {
    fn from(a: shequ_domain::figures::Amount) -> Rate {
        match a {
            shequ_domain::figures::Amount::Rate {
                numerator,
                denominator,
                percent,
            } => Rate {
                numerator,
                denominator,
                percent,
            },
            shequ_domain::figures::Amount::Count { value } => Rate {
                numerator: value,
                denominator: 0,
                percent: None,
            },
            shequ_domain::figures::Amount::Mean { count, .. } => Rate {
                numerator: count,
                denominator: 0,
                percent: None,
            },
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChannelRate {
    /// resident | phone | unrecorded
    pub channel: String,
    pub label: String,
    pub rate: Rate,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Rates {
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    pub reported: i64,
    /// 响应率: reports of the period taken up or declined (受理 or 不予受理) within one working
    /// day, over the period's reports.
    pub responded: Rate,
    /// 解决率: reports of the period accepted and since closed, over those accepted.
    pub resolved: Rate,
    /// 满意率: 满意 and 基本满意 over the evaluations given to the period's reports.
    pub satisfied: Rate,
    /// The same 满意率 by how the evaluations were given (the resident through the receipt,
    /// staff's 电话回访, unrecorded): they add up to `satisfied`.
    pub satisfied_by_channel: Vec<ChannelRate>,
    /// Closed within the time limit, over those closed.
    pub on_time: Rate,
}

/// The period's figures under a node, as the indicator catalogue defines them (the
/// `tickets.*` indicators): one definition for this page, the API and the work summary.
pub fn rates(
    conn: &mut Conn,
    actor: &Actor,
    node_id: i64,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> StoreResult<Rates> {
    actor.require(actor.role.views_area(), "查看事件统计")?;
    let period = shequ_domain::figures::Period::range(from, to)
        .ok_or_else(|| StoreError::invalid("统计期间", "结束日期早于开始日期"))?;
    let node = tree::get(conn, actor, node_id)?;
    let mut codes = vec![
        "tickets.reported",
        "tickets.response_rate",
        "tickets.resolution_rate",
        "tickets.satisfaction_rate",
        "tickets.on_time_rate",
    ];
    let channel_codes: Vec<(&str, String)> = flow::RATING_CHANNELS
        .iter()
        .map(|(c, _)| (*c, format!("tickets.satisfaction_rate.{c}")))
        .collect();
    codes.extend(channel_codes.iter().map(|(_, code)| code.as_str()));
    let figures = crate::indicators::catalogue::compute(conn, actor, &node, &period, &codes)?;
    let amount = |code: &str| amount_in(&figures, code);
    let reported = count_in(&figures, "tickets.reported")?;
    let mut satisfied_by_channel = Vec::new();
    for (channel, code) in &channel_codes {
        let rate = Rate::from(amount(code)?);
        // Unrecorded evaluations are shown only where there are any.
        if *channel != "unrecorded" || rate.denominator > 0 {
            satisfied_by_channel.push(ChannelRate {
                channel: channel.to_string(),
                label: flow::rating_channel_label(channel).to_string(),
                rate,
            });
        }
    }
    Ok(Rates {
        from,
        to,
        reported,
        responded: Rate::from(amount("tickets.response_rate")?),
        resolved: Rate::from(amount("tickets.resolution_rate")?),
        satisfied: Rate::from(amount("tickets.satisfaction_rate")?),
        satisfied_by_channel,
        on_time: Rate::from(amount("tickets.on_time_rate")?),
    })
}

/// The tickets raised by visits to a person (the person page lists them), newest first; the
/// person must be in the caller's scope and the tickets in the caller's area, in SQL.
pub fn for_person(
    conn: &mut Conn,
    actor: &Actor,
    person_id: i64,
    limit: i64,
) -> StoreResult<Vec<Ticket>> {
    crate::registry::people::get(conn, actor, person_id)?;
    let cal = calendar(conn)?;
    let (cf, mut args) = actor.community_filter("t.community_id");
    let (pf, pargs) = actor.path_filter("t.area_path");
    args.extend(pargs);
    args.push(Value::from(person_id));
    args.push(Value::Int(limit.clamp(1, 200)));
    let rows = conn.query(
        &format!(
            "SELECT {COLS} FROM {FROM} WHERE {cf} AND {pf}
               AND t.visit_id IN (SELECT v.id FROM visits v WHERE v.person_id = ?)
             ORDER BY t.reported_at DESC, t.id DESC LIMIT ?"
        ),
        &args,
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let place = place_of(conn, r.get(2)?)?;
        out.push(build(actor, &cal, r, place)?);
    }
    Ok(out)
}
