//! Figures for any node of the tree and any period, computed from the records, never stored:
//! the catalogue ([`catalogue`]) and the lines of work that register their indicators in it,
//! with the rules for when and where a record counts ([`place`]).

pub mod catalogue;
pub mod housing;
pub mod mediation;
pub mod patrols;
pub mod place;
pub mod registry;
pub mod tickets;
pub mod visits;
pub mod wording;

use chrono::NaiveDate;
use serde::Serialize;
use shequ_domain::figures::Period;
use shequ_domain::registry::tags::TAG_KINDS;

use crate::access::scope::Actor;
use crate::db::Conn;
use crate::error::StoreResult;
use crate::registry::tree;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TagCount {
    pub kind: String,
    pub label: String,
    pub category: Option<String>,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Overview {
    pub node_id: i64,
    pub node_name: String,
    pub as_of: NaiveDate,
    pub people: i64,
    pub households: i64,
    pub floating: i64,
    pub aged_60: i64,
    pub aged_65: i64,
    pub aged_80: i64,
    pub rented_homes: i64,
    pub units: i64,
    pub tags: Vec<TagCount>,
}

/// The registry's figures of a node on one day (the node page's 统计), from the catalogue.
pub fn overview(
    conn: &mut Conn,
    actor: &Actor,
    node_id: i64,
    as_of: NaiveDate,
) -> StoreResult<Overview> {
    let node = tree::get(conn, actor, node_id)?;
    let day = Period::range(as_of, as_of)
        .ok_or_else(|| crate::error::StoreError::invalid("截至日期", "日期无效"))?;
    let figures = catalogue::compute(
        conn,
        actor,
        &node,
        &day,
        &[
            "people.total",
            "households.total",
            "people.floating",
            "people.aged_60",
            "people.aged_65",
            "people.aged_80",
            "homes.rented",
            "units.total",
        ],
    )?;
    let count = |code: &str| catalogue::count_in(&figures, code);
    let mut tags = Vec::new();
    for code in ["person_tags.by_class", "household_tags.by_class"] {
        for part in catalogue::breakdown(conn, actor, &node, &day, code)? {
            let mut group = part.group.into_iter();
            let kind = group.next().flatten().unwrap_or_default();
            let label = TAG_KINDS
                .iter()
                .find(|k| k.code == kind)
                .map_or(kind.clone(), |k| k.label.to_string());
            tags.push(TagCount {
                kind,
                label,
                category: group.next().flatten(),
                count: part.value,
            });
        }
    }
    tags.sort_by(|a, b| (&a.kind, &a.category).cmp(&(&b.kind, &b.category)));
    Ok(Overview {
        node_id: node.id,
        node_name: node.name,
        as_of,
        people: count("people.total")?,
        households: count("households.total")?,
        floating: count("people.floating")?,
        aged_60: count("people.aged_60")?,
        aged_65: count("people.aged_65")?,
        aged_80: count("people.aged_80")?,
        rented_homes: count("homes.rented")?,
        units: count("units.total")?,
        tags,
    })
}
