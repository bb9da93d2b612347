//! Special-group tags on persons and households, with their start and end dates.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;
use shequ_domain::registry::tags::{TagContent, TagKind, Target, tag_kind};

use crate::access::audit::{self, By, Event};
use crate::access::scope::{Actor, RecordSql};
use crate::clock::{now, today};
use crate::db::{Conn, Row};
use crate::error::{StoreError, StoreResult};
use crate::params;
use crate::registry::people;

/// A tag sits where its person does. Read by the access guard (`crate::records`).
pub const RECORD: RecordSql = RecordSql {
    area: "SELECT p.area_path FROM tags t JOIN persons p ON p.id = t.person_id WHERE t.id = ?",
    version: Some("SELECT version FROM tags WHERE id = ?"),
};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Tag {
    pub id: i64,
    pub kind: String,
    pub label: String,
    pub person_id: Option<i64>,
    pub household_id: Option<i64>,
    pub category: Option<String>,
    pub grade: Option<i64>,
    pub details: BTreeMap<String, String>,
    pub started_on: NaiveDate,
    pub ended_on: Option<NaiveDate>,
    pub end_reason: Option<String>,
    /// One line for lists: "A类 · 保障人数 3 · 月保障金额（元） 650.00".
    pub summary: String,
    pub version: i64,
}

const TAG_COLS: &str = "id, kind, person_id, household_id, category, grade, details, started_on, \
     ended_on, end_reason, version";

fn from_row(r: &Row) -> StoreResult<Tag> {
    let kind: String = r.get(1)?;
    let category: Option<String> = r.get(4)?;
    let details: String = r.get(6)?;
    let details = crate::access::sealed::load_details(&kind, category.as_deref(), &details)?;
    let details: BTreeMap<String, String> = serde_json::from_str(&details).unwrap_or_default();
    let spec = tag_kind(&kind);
    let grade: Option<i64> = r.get(5)?;
    let mut parts: Vec<String> = Vec::new();
    if let Some(c) = &category {
        parts.push(c.clone());
    }
    if let Some(g) = grade {
        parts.push(format!("{g}级"));
    }
    if let Some(spec) = spec {
        for f in spec.fields {
            if let Some(v) = details.get(f.key) {
                parts.push(format!("{} {v}", f.label));
            }
        }
    }
    Ok(Tag {
        id: r.get(0)?,
        label: spec.map_or(kind.clone(), |s| s.label.to_string()),
        kind,
        person_id: r.get(2)?,
        household_id: r.get(3)?,
        category,
        grade,
        details,
        started_on: r.get(7)?,
        ended_on: r.get(8)?,
        end_reason: r.get(9)?,
        summary: parts.join(" · "),
        version: r.get(10)?,
    })
}

/// Tags on the person and on their current household.
pub fn for_person(conn: &mut Conn, person_id: i64) -> StoreResult<Vec<Tag>> {
    let rows = conn.query(
        &format!(
            "SELECT {TAG_COLS} FROM tags WHERE person_id = ?
             OR household_id IN (SELECT household_id FROM residences WHERE person_id = ? AND moved_out_on IS NULL)
             ORDER BY started_on, id"
        ),
        params![person_id, person_id],
    )?;
    rows.iter().map(from_row).collect()
}

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TagInput {
    pub kind: String,
    #[serde(default)]
    pub started_on: Option<NaiveDate>,
    /// Category, grade and the kind's own fields, as typed.
    #[serde(default)]
    pub values: BTreeMap<String, String>,
}

/// Adds a tag to a person, or to their current household when the kind belongs to households
/// (低保 is granted to a household).
pub fn add(conn: &mut Conn, actor: &Actor, person_id: i64, input: &TagInput) -> StoreResult<i64> {
    actor.require(actor.role.writes_people(), "登记重点人群")?;
    let spec = tag_kind(&input.kind).ok_or_else(|| {
        StoreError::invalid("类别", format!("没有“{}”这一类重点人群", input.kind))
    })?;
    let content = spec
        .validate(&input.values)
        .map_err(|m| StoreError::invalid(spec.label, m))?;
    let started_on = input.started_on.unwrap_or_else(today);
    if started_on > today() {
        return Err(StoreError::invalid(
            "开始日期",
            format!("{started_on} 在今天之后，请核对"),
        ));
    }
    conn.transaction(|c| {
        let person = people::get(c, actor, person_id)?;
        let (pid, hid) = match spec.target {
            Target::Person => (Some(person.id), None),
            Target::Household => {
                let home = people::current_home(c, person.id)?.ok_or_else(|| {
                    StoreError::Conflict(format!("{}按户登记，此人目前没有在住的户", spec.label))
                })?;
                (None, Some(home.household_id))
            }
        };
        let open = c.scalar(
            "SELECT count(*) FROM tags WHERE kind = ? AND ended_on IS NULL
             AND person_id IS NOT DISTINCT FROM ? AND household_id IS NOT DISTINCT FROM ?",
            params![spec.code, pid, hid],
        )?;
        if open > 0 {
            return Err(StoreError::Conflict(format!(
                "已有一条未结束的“{}”记录，请修改或先结束它",
                spec.label
            )));
        }
        let id = insert(c, person.community_id, (pid, hid), spec, &content, started_on)?;
        audit::record(
            c,
            By::Actor(actor),
            Event::ok("tag.add", format!("tag:{id}")).with(serde_json::json!({ "人员": person.id, "类别": spec.label, "分类": content.category, "开始日期": started_on })),
        )?;
        Ok(id)
    })
}

/// Writes a validated tag (its details sealed where the kind says so). `target`: the person,
/// or the household, it belongs to.
pub(crate) fn insert(
    c: &mut Conn,
    community_id: i64,
    target: (Option<i64>, Option<i64>),
    spec: &TagKind,
    content: &TagContent,
    started_on: NaiveDate,
) -> StoreResult<i64> {
    let details = details_text(spec, content)?;
    let ts = now();
    c.insert(
        "INSERT INTO tags (community_id, person_id, household_id, kind, category, grade, details, risk, covered, started_on, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        params![community_id, target.0, target.1, spec.code, content.category.clone(), content.grade, details, content.risk(), content.covered(), started_on, ts.as_str(), ts.as_str()],
    )
    .map_err(Into::into)
}

/// The details column as stored: JSON, sealed for the kinds whose details are sealed.
pub(crate) fn details_text(spec: &TagKind, content: &TagContent) -> StoreResult<String> {
    let details = serde_json::to_string(&content.details).unwrap_or_else(|_| "{}".into());
    crate::access::sealed::store_details(spec.code, content.category.as_deref(), &details)
}

fn load_in_scope(conn: &mut Conn, actor: &Actor, tag_id: i64) -> StoreResult<Tag> {
    let row = conn
        .query_opt(
            &format!("SELECT {TAG_COLS} FROM tags WHERE id = ?"),
            params![tag_id],
        )?
        .ok_or_else(|| StoreError::NotFound(format!("重点人群记录 {tag_id}")))?;
    let tag = from_row(&row)?;
    // Scope follows the person, or any current member of the household.
    let person_id = match (tag.person_id, tag.household_id) {
        (Some(p), _) => p,
        (None, Some(h)) => conn
            .query_opt(
                "SELECT person_id FROM residences WHERE household_id = ? ORDER BY moved_out_on IS NULL DESC, id LIMIT 1",
                params![h],
            )?
            .ok_or_else(|| StoreError::NotFound("该户成员".into()))?
            .get(0)?,
        _ => return Err(StoreError::NotFound("重点人群记录".into())),
    };
    people::get(conn, actor, person_id)?;
    Ok(tag)
}

pub fn end(
    conn: &mut Conn,
    actor: &Actor,
    tag_id: i64,
    on: NaiveDate,
    reason: &str,
) -> StoreResult<()> {
    actor.require(actor.role.writes_people(), "结束重点人群记录")?;
    conn.transaction(|c| {
        let tag = load_in_scope(c, actor, tag_id)?;
        if tag.ended_on.is_some() {
            return Err(StoreError::Conflict(format!("这条“{}”记录已经结束", tag.label)));
        }
        if on < tag.started_on || on > today() {
            return Err(StoreError::invalid(
                "结束日期",
                format!("{on} 应在开始日期 {} 与今天之间", tag.started_on),
            ));
        }
        let reason = reason.trim();
        c.execute(
            "UPDATE tags SET ended_on = ?, end_reason = ?, updated_at = ?, version = version + 1 WHERE id = ?",
            params![on, (!reason.is_empty()).then_some(reason), now(), tag_id],
        )?;
        audit::record(
            c,
            By::Actor(actor),
            Event::ok("tag.end", format!("tag:{tag_id}"))
                .with(serde_json::json!({ "类别": tag.label, "结束日期": on, "原因": reason })),
        )?;
        Ok(())
    })
}
