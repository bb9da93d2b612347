//! Figures for any node of the tree, now or as of any past date, computed from the dated
//! records (residences, tags), never stored.

use chrono::{Months, NaiveDate};
use serde::Serialize;
use shequ_domain::registry::tags::TAG_KINDS;

use crate::access::scope::Actor;
use crate::db::{Conn, Value, prefix_end};
use crate::error::StoreResult;
use crate::params;
use crate::registry::tree;
use shequ_domain::registry::org::NodeKind;

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

/// The path ranges that made up `node` on `as_of`. A grid's buildings may have moved since
/// (moves are dated in `node_events`): each building counts for the grid it was in on that day.
/// Every other level is its own subtree, since buildings only move between grids.
fn ranges_at(conn: &mut Conn, node: &tree::Node, as_of: NaiveDate) -> StoreResult<Vec<String>> {
    let whole = vec![node.path.clone()];
    if node.kind != NodeKind::Grid {
        return Ok(whole);
    }
    let touched = conn.query(
        "SELECT DISTINCT node_id FROM node_events
         WHERE kind = 'moved' AND happened_on > ? AND (from_parent_id = ? OR to_parent_id = ?)",
        params![as_of, node.id, node.id],
    )?;
    if touched.is_empty() {
        return Ok(whole);
    }
    let mut candidates: Vec<i64> = Vec::new();
    for r in conn.query(
        "SELECT id FROM org_nodes WHERE parent_id = ?",
        params![node.id],
    )? {
        candidates.push(r.get(0)?);
    }
    for r in &touched {
        candidates.push(r.get(0)?);
    }
    candidates.sort_unstable();
    candidates.dedup();
    let mut paths = Vec::new();
    for b in candidates {
        let building = tree::load(conn, b)?;
        // The first move after that day says where it was then; no later move: where it is now.
        let first = conn.query_opt(
            "SELECT from_parent_id FROM node_events WHERE node_id = ? AND kind = 'moved' AND happened_on > ?
             ORDER BY happened_on, id LIMIT 1",
            params![b, as_of],
        )?;
        let parent_then = match first {
            Some(r) => r.get::<Option<i64>>(0)?,
            None => building.parent_id,
        };
        if parent_then == Some(node.id) {
            paths.push(building.path);
        }
    }
    Ok(paths)
}

pub fn overview(
    conn: &mut Conn,
    actor: &Actor,
    node_id: i64,
    as_of: NaiveDate,
) -> StoreResult<Overview> {
    let node = tree::get(conn, actor, node_id)?;
    let end = prefix_end(&node.path);
    let ranges = ranges_at(conn, &node, as_of)?;
    // Residences open on `as_of` in a room of the node as it was then (a subquery over `r`).
    let living_at = format!(
        "FROM residences r JOIN org_nodes n ON n.id = r.room_id WHERE ({}) AND r.moved_in_on <= ? \
         AND (r.moved_out_on IS NULL OR r.moved_out_on > ?)",
        if ranges.is_empty() {
            "1 = 0".to_string()
        } else {
            vec!["(n.path >= ? AND n.path < ?)"; ranges.len()].join(" OR ")
        }
    );
    let at = |extra: Vec<Value>| -> Vec<Value> {
        let mut v = Vec::new();
        for p in &ranges {
            v.push(Value::from(p.as_str()));
            v.push(Value::from(prefix_end(p)));
        }
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
