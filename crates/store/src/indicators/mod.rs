//! Figures for any node of the tree, now or as of any past date, computed from the dated
//! records (residences, tags), never stored.

pub mod catalogue;
pub mod mediation;
pub mod patrols;
pub mod place;
pub mod registry;
pub mod tickets;
pub mod visits;

use chrono::{Months, NaiveDate};
use serde::Serialize;
use shequ_domain::registry::tags::TAG_KINDS;

use crate::access::scope::Actor;
use crate::db::{Conn, Value, prefix_end};
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

pub fn overview(
    conn: &mut Conn,
    actor: &Actor,
    node_id: i64,
    as_of: NaiveDate,
) -> StoreResult<Overview> {
    let node = tree::get(conn, actor, node_id)?;
    let end = prefix_end(&node.path);
    // Residences open on `as_of` in a room of the node as the tree was then.
    let (inside, inside_args) = place::on(conn, &node, as_of)?.areas("n.path");
    let living_at = format!(
        "FROM residences r JOIN org_nodes n ON n.id = r.room_id WHERE {inside} AND r.moved_in_on <= ? \
         AND (r.moved_out_on IS NULL OR r.moved_out_on > ?)"
    );
    let at = |extra: Vec<Value>| -> Vec<Value> {
        let mut v = inside_args.clone();
        v.push(as_of.into());
        v.push(as_of.into());
        v.extend(extra);
        v
    };
    let people = conn.scalar(
        &format!("SELECT count(DISTINCT r.person_id) {living_at}"),
        &at(vec![]),
    )?;
    let households = conn.scalar(
        &format!("SELECT count(DISTINCT r.household_id) {living_at}"),
        &at(vec![]),
    )?;
    let floating = conn.scalar(
        &format!("SELECT count(DISTINCT r.person_id) {living_at} AND r.person_id IN (SELECT id FROM persons WHERE person_type = '流动')"),
        &at(vec![]),
    )?;
    let mut aged = [0i64; 3];
    for (i, years) in [60u32, 65, 80].into_iter().enumerate() {
        let born_by = as_of
            .checked_sub_months(Months::new(years * 12))
            .unwrap_or(as_of);
        aged[i] = conn.scalar(
            &format!(
                "SELECT count(DISTINCT r.person_id) {living_at}
                 AND r.person_id IN (SELECT id FROM persons WHERE birth_date <= ?)"
            ),
            &at(vec![born_by.into()]),
        )?;
    }
    // Housing and units carry no dates of their own yet: they count as they are now.
    let rented_homes = conn.scalar(
        "SELECT count(*) FROM housing h JOIN org_nodes n ON n.id = h.room_id
         WHERE n.path >= ? AND n.path < ? AND h.usage = '出租'",
        &[Value::from(node.path.as_str()), Value::from(end.as_str())],
    )?;
    let units = conn.scalar(
        "SELECT count(*) FROM units WHERE area_path >= ? AND area_path < ? AND (closed_on IS NULL OR closed_on > ?)",
        &[Value::from(node.path.as_str()), Value::from(end.as_str()), as_of.into()],
    )?;
    let mut tags = Vec::new();
    let rows = conn.query(
        &format!(
            "SELECT t.kind, t.category, count(*) FROM tags t
             WHERE t.started_on <= ? AND (t.ended_on IS NULL OR t.ended_on > ?)
               AND (t.person_id IN (SELECT r.person_id {living_at})
                    OR t.household_id IN (SELECT r.household_id {living_at}))
             GROUP BY t.kind, t.category ORDER BY t.kind, t.category"
        ),
        &[vec![as_of.into(), as_of.into()], at(vec![]), at(vec![])].concat(),
    )?;
    for r in rows {
        let kind: String = r.get(0)?;
        let label = TAG_KINDS
            .iter()
            .find(|k| k.code == kind)
            .map_or(kind.clone(), |k| k.label.to_string());
        tags.push(TagCount {
            kind,
            label,
            category: r.get(1)?,
            count: r.get(2)?,
        });
    }
    Ok(Overview {
        node_id: node.id,
        node_name: node.name,
        as_of,
        people,
        households,
        floating,
        aged_60: aged[0],
        aged_65: aged[1],
        aged_80: aged[2],
        rented_homes,
        units,
        tags,
    })
}
