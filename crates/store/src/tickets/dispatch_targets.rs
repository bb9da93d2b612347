//! 派遣对象: the list a community keeps of where it sends its 事件 (its property company,
//! 城管, the street's offices …). The deployment's defaults (rows with no community) apply to
//! every community until it retires one for itself; a community adds its own. Dispatch picks
//! an entry of this list, so who handles what is counted by the same names every time.

use std::collections::BTreeMap;

use serde::Serialize;
use shequ_domain::tickets::DISPATCH_KINDS;

use crate::access::audit::{self, By, Event};
use crate::access::scope::Actor;
use crate::clock::now;
use crate::db::Conn;
use crate::error::{StoreError, StoreResult};
use crate::params;
use crate::registry::tree;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Target {
    pub id: i64,
    /// department | property | worker | street
    pub kind: String,
    pub kind_label: String,
    pub name: String,
    /// One of the deployment's defaults (not the community's own entry).
    pub default: bool,
}

fn kind_label(kind: &str) -> String {
    DISPATCH_KINDS
        .iter()
        .find(|(c, _)| *c == kind)
        .map_or(kind, |(_, l)| *l)
        .to_string()
}

/// The community a node belongs to (the list is kept per community).
fn community_of(conn: &mut Conn, actor: &Actor, node_id: i64) -> StoreResult<i64> {
    tree::get(conn, actor, node_id)?
        .community_id
        .ok_or_else(|| StoreError::invalid("社区", "派遣对象按社区维护，请选择一个社区"))
}

/// The targets in force in a community, by kind then name.
pub fn for_community(conn: &mut Conn, community_id: i64) -> StoreResult<Vec<Target>> {
    let rows = conn.query(
        "SELECT id, community_id, kind, name, active FROM dispatch_targets
         WHERE community_id IS NULL OR community_id = ? ORDER BY id",
        params![community_id],
    )?;
    // By name: the community's own row (active or retired) replaces a default of that name.
    let mut by_name: BTreeMap<String, (bool, bool, Target)> = BTreeMap::new();
    for r in &rows {
        let own = r.get::<Option<i64>>(1)?.is_some();
        let kind: String = r.get(2)?;
        let name: String = r.get(3)?;
        let active = r.get::<i64>(4)? == 1;
        let t = Target {
            id: r.get(0)?,
            kind_label: kind_label(&kind),
            kind,
            name: name.clone(),
            default: !own,
        };
        match by_name.get(&name) {
            Some((true, _, _)) if !own => {}
            _ => {
                by_name.insert(name, (own, active, t));
            }
        }
    }
    let mut out: Vec<Target> = by_name
        .into_values()
        .filter(|(_, active, _)| *active)
        .map(|(_, _, t)| t)
        .collect();
    let order = |k: &str| DISPATCH_KINDS.iter().position(|(c, _)| *c == k);
    out.sort_by(|a, b| (order(&a.kind), &a.name).cmp(&(order(&b.kind), &b.name)));
    Ok(out)
}

/// The list of the community of a node in the caller's area.
pub fn list(conn: &mut Conn, actor: &Actor, node_id: i64) -> StoreResult<Vec<Target>> {
    let community = community_of(conn, actor, node_id)?;
    for_community(conn, community)
}

/// The entry a dispatch names, by id or by its exact name, in force in `community_id`.
pub fn resolve(
    conn: &mut Conn,
    community_id: i64,
    id: Option<i64>,
    name: Option<&str>,
) -> StoreResult<Target> {
    let list = for_community(conn, community_id)?;
    let name = name.map(str::trim).filter(|n| !n.is_empty());
    let found = match (id, name) {
        (Some(id), _) => list.iter().find(|t| t.id == id),
        (None, Some(n)) => list.iter().find(|t| t.name == n),
        (None, None) => {
            return Err(StoreError::invalid(
                "派给",
                "请从本社区的派遣对象中选择派给谁",
            ));
        }
    };
    found.cloned().ok_or_else(|| {
        StoreError::invalid(
            "派给",
            format!(
                "“{}”不在本社区的派遣对象中，应为 {} 之一；社区书记可在“派遣对象”页面添加",
                name.map_or_else(|| id.unwrap_or_default().to_string(), str::to_string),
                list.iter()
                    .map(|t| t.name.as_str())
                    .collect::<Vec<_>>()
                    .join("、")
            ),
        )
    })
}

fn manages(actor: &Actor) -> StoreResult<()> {
    actor.require(
        shequ_domain::tickets::manages_tickets(actor.role),
        "维护派遣对象",
    )
}

/// Adds a community's own target (or brings back one it retired).
pub fn add(
    conn: &mut Conn,
    actor: &Actor,
    node_id: i64,
    kind: &str,
    name: &str,
) -> StoreResult<()> {
    manages(actor)?;
    let kind = DISPATCH_KINDS
        .iter()
        .find(|(c, l)| *c == kind.trim() || *l == kind.trim())
        .map(|(c, _)| *c)
        .ok_or_else(|| {
            StoreError::invalid(
                "类型",
                format!(
                    "应为 {} 之一",
                    DISPATCH_KINDS
                        .iter()
                        .map(|(_, l)| *l)
                        .collect::<Vec<_>>()
                        .join("、")
                ),
            )
        })?;
    let name = crate::error::text("名称", Some(name), 60)?
        .ok_or_else(|| StoreError::invalid("名称", "请写明单位或科室名称，如：绿城物业"))?;
    conn.transaction(|c| {
        let community = community_of(c, actor, node_id)?;
        if for_community(c, community)?.iter().any(|t| t.name == name) {
            return Err(StoreError::invalid(
                "名称",
                format!("“{name}”已在本社区的派遣对象中"),
            ));
        }
        c.execute(
            "DELETE FROM dispatch_targets WHERE community_id = ? AND name = ?",
            params![community, name.as_str()],
        )?;
        c.execute(
            "INSERT INTO dispatch_targets (community_id, kind, name, active, user_id, updated_at) VALUES (?, ?, ?, 1, ?, ?)",
            params![community, kind, name.as_str(), actor.user_id, now()],
        )?;
        audit::record(
            c,
            By::Actor(actor),
            Event::ok("dispatch_target.add", format!("node:{community}"))
                .with(serde_json::json!({ "名称": name, "类型": kind_label(kind) })),
        )
    })
}

/// Takes a target off the community's list (a default only for this community). Tickets
/// already sent there keep its name.
pub fn retire(conn: &mut Conn, actor: &Actor, node_id: i64, target_id: i64) -> StoreResult<()> {
    manages(actor)?;
    conn.transaction(|c| {
        let community = community_of(c, actor, node_id)?;
        let t = for_community(c, community)?
            .into_iter()
            .find(|t| t.id == target_id)
            .ok_or_else(|| StoreError::NotFound(format!("派遣对象 {target_id}")))?;
        if t.default {
            c.execute(
                "INSERT INTO dispatch_targets (community_id, kind, name, active, user_id, updated_at) VALUES (?, ?, ?, 0, ?, ?)",
                params![community, t.kind.as_str(), t.name.as_str(), actor.user_id, now()],
            )?;
        } else {
            c.execute(
                "UPDATE dispatch_targets SET active = 0, user_id = ?, updated_at = ? WHERE id = ? AND community_id = ?",
                params![actor.user_id, now(), t.id, community],
            )?;
        }
        audit::record(
            c,
            By::Actor(actor),
            Event::ok("dispatch_target.retire", format!("node:{community}"))
                .with(serde_json::json!({ "名称": t.name })),
        )
    })
}
