//! 十联户: about ten households of a grid under one 联户长 (a resident), the first link of
//! the grid's mass prevention network.

use serde::Serialize;
use shequ_domain::registry::org::NodeKind;

use crate::access::audit::{self, By, Event};
use crate::access::personal::PersonName;
use crate::access::scope::{Actor, RecordSql};
use crate::clock::today;
use crate::db::Conn;
use crate::error::{StoreError, StoreResult};
use crate::params;
use crate::registry::people;
use crate::registry::tree;

/// A 十联户 group sits in its grid; it is edited without a version. Read by the access guard
/// (`crate::records`).
pub const RECORD: RecordSql = RecordSql {
    area: "SELECT n.path FROM household_groups g JOIN org_nodes n ON n.id = g.grid_id WHERE g.id = ?",
    version: None,
};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Group {
    pub id: i64,
    pub name: String,
    pub leader_person_id: Option<i64>,
    pub leader_name: Option<PersonName>,
    /// Households in the group that still have someone living in them.
    pub households: i64,
}

fn group_from_row(r: &crate::db::Row, actor: &Actor) -> StoreResult<Group> {
    Ok(Group {
        id: r.get(0)?,
        name: r.get(1)?,
        leader_person_id: r.get(2)?,
        leader_name: PersonName::opt_for(r.get(3)?, actor),
        households: r.get(4)?,
    })
}

const GROUP_SELECT: &str = "SELECT g.id, g.name, g.leader_person_id, p.name,
        (SELECT count(DISTINCT r.household_id) FROM households h JOIN residences r ON r.household_id = h.id
         WHERE h.group_id = g.id AND r.moved_out_on IS NULL)
     FROM household_groups g LEFT JOIN persons p ON p.id = g.leader_person_id
     WHERE g.retired_on IS NULL";

pub fn for_grid(conn: &mut Conn, actor: &Actor, grid_id: i64) -> StoreResult<Vec<Group>> {
    let grid = tree::get(conn, actor, grid_id)?;
    if !actor.sees_people_at(&grid.path) {
        return Err(StoreError::Forbidden("您无权查看这里的人员信息".into()));
    }
    if grid.kind != NodeKind::Grid {
        return Ok(vec![]);
    }
    let rows = conn.query(
        &format!("{GROUP_SELECT} AND g.grid_id = ? ORDER BY g.id"),
        params![grid.id],
    )?;
    rows.iter().map(|r| group_from_row(r, actor)).collect()
}

pub fn create(
    conn: &mut Conn,
    actor: &Actor,
    grid_id: i64,
    name: &str,
    leader: Option<i64>,
) -> StoreResult<i64> {
    actor.require(actor.role.writes_people(), "设立十联户")?;
    let name = shequ_domain::registry::org::normalize_node_name(name)
        .map_err(|m| StoreError::invalid("联户名称", m))?;
    conn.transaction(|c| {
        let grid = tree::get(c, actor, grid_id)?;
        if grid.kind != NodeKind::Grid {
            return Err(StoreError::invalid("网格", "十联户只能设在网格下"));
        }
        if let Some(p) = leader {
            people::get(c, actor, p)?;
        }
        let id = c.insert(
            "INSERT INTO household_groups (community_id, grid_id, name, leader_person_id, created_on)
             VALUES (?, ?, ?, ?, ?) RETURNING id",
            params![grid.community_id, grid.id, name.as_str(), leader, today()],
        )?;
        audit::record(
            c,
            By::Actor(actor),
            Event::ok("group.create", format!("group:{id}")).with(serde_json::json!({ "名称": name, "网格": grid.id, "联户长": leader })),
        )?;
        Ok(id)
    })
}

/// Puts a person's current household into a group of the same grid (or takes it out).
pub fn assign(
    conn: &mut Conn,
    actor: &Actor,
    person_id: i64,
    group_id: Option<i64>,
) -> StoreResult<()> {
    actor.require(actor.role.writes_people(), "调整十联户")?;
    conn.transaction(|c| {
        let home = people::current_home(c, person_id)?
            .ok_or_else(|| StoreError::Conflict("此人目前没有在住的户".into()))?;
        people::get(c, actor, person_id)?;
        if let Some(g) = group_id {
            let grid: i64 = c
                .query_opt(
                    "SELECT grid_id FROM household_groups WHERE id = ? AND retired_on IS NULL",
                    params![g],
                )?
                .ok_or_else(|| StoreError::NotFound(format!("十联户 {g}")))?
                .get(0)?;
            let room = tree::load(c, home.room_id)?;
            if !room.path.contains(&format!("/{grid}/")) {
                return Err(StoreError::invalid("十联户", "只能加入本网格的十联户"));
            }
        }
        c.execute(
            "UPDATE households SET group_id = ? WHERE id = ?",
            params![group_id, home.household_id],
        )?;
        audit::record(
            c,
            By::Actor(actor),
            Event::ok("group.assign", format!("person:{person_id}"))
                .with(serde_json::json!({ "户": home.household_id, "十联户": group_id })),
        )?;
        Ok(())
    })
}

/// The group of a person's current household, and the grid it lives in.
pub fn of_person(
    conn: &mut Conn,
    actor: &Actor,
    person_id: i64,
) -> StoreResult<(Option<Group>, Option<i64>)> {
    people::get(conn, actor, person_id)?;
    let Some(home) = people::current_home(conn, person_id)? else {
        return Ok((None, None));
    };
    let room = tree::load(conn, home.room_id)?;
    let grid = tree::ancestors(conn, &room)?
        .into_iter()
        .find(|a| a.kind == NodeKind::Grid)
        .map(|g| g.id);
    let row = conn.query_opt(
        &format!("{GROUP_SELECT} AND g.id = (SELECT group_id FROM households WHERE id = ?)"),
        params![home.household_id],
    )?;
    let group = row.as_ref().map(|r| group_from_row(r, actor)).transpose()?;
    Ok((group, grid))
}

/// Makes a resident the group's 联户长.
pub fn set_leader(
    conn: &mut Conn,
    actor: &Actor,
    group_id: i64,
    person_id: i64,
) -> StoreResult<()> {
    actor.require(actor.role.writes_people(), "调整十联户")?;
    conn.transaction(|c| {
        let grid: i64 = c
            .query_opt(
                "SELECT grid_id FROM household_groups WHERE id = ? AND retired_on IS NULL",
                params![group_id],
            )?
            .ok_or_else(|| StoreError::NotFound(format!("十联户 {group_id}")))?
            .get(0)?;
        tree::get(c, actor, grid)?;
        people::get(c, actor, person_id)?;
        c.execute(
            "UPDATE household_groups SET leader_person_id = ? WHERE id = ?",
            params![person_id, group_id],
        )?;
        audit::record(
            c,
            By::Actor(actor),
            Event::ok("group.leader", format!("group:{group_id}"))
                .with(serde_json::json!({ "联户长": person_id })),
        )?;
        Ok(())
    })
}
