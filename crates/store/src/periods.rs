//! The day a record really happened, checked in one place for every kind of dated record
//! (visits, patrols, 排查, mediation cases): never in the future, never inside a period the
//! community head has locked, and marked 补录 when entered on a later day.

use chrono::NaiveDate;
use serde::Serialize;

use crate::access::audit::{self, By, Event};
use crate::access::scope::Actor;
use crate::clock::{now, today};
use crate::db::Conn;
use crate::error::{StoreError, StoreResult};
use crate::params;
use crate::registry::tree;

/// A community's lock: nothing dated on or before `through_on` may be entered.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PeriodLock {
    pub community_id: i64,
    pub through_on: NaiveDate,
    pub reason: String,
    pub locked_by: String,
    pub locked_at: String,
}

/// A record's day, as it passed the check.
#[derive(Debug, Clone, Copy)]
pub struct Entered {
    pub on: NaiveDate,
    /// Entered on a later day than it happened (补录).
    pub backdated: bool,
}

impl Entered {
    /// 1 for a back-dated record, as its `backdated` column stores it.
    pub fn flag(self) -> i64 {
        i64::from(self.backdated)
    }
}

/// The lock of `community_id`, if any.
pub fn current(conn: &mut Conn, community_id: i64) -> StoreResult<Option<PeriodLock>> {
    let row = conn.query_opt(
        "SELECT through_on, reason, locked_by, locked_at FROM period_locks
         WHERE community_id = ? AND released_at IS NULL ORDER BY id DESC LIMIT 1",
        params![community_id],
    )?;
    let Some(r) = row else {
        return Ok(None);
    };
    let through: String = r.get(0)?;
    Ok(Some(PeriodLock {
        community_id,
        through_on: NaiveDate::parse_from_str(&through, "%Y-%m-%d")
            .map_err(|e| StoreError::Conflict(format!("锁定日期“{through}”无法识别：{e}")))?,
        reason: r.get(1)?,
        locked_by: r.get(2)?,
        locked_at: r.get(3)?,
    }))
}

/// The check every dated record passes inside its transaction: `field` names the day in a
/// message ("走访日期").
pub fn entering(
    c: &mut Conn,
    community_id: i64,
    field: &str,
    on: NaiveDate,
) -> StoreResult<Entered> {
    let today = today();
    if on > today {
        return Err(StoreError::invalid(field, "不能晚于今天"));
    }
    if let Some(lock) = current(c, community_id)?
        && on <= lock.through_on
    {
        return Err(StoreError::invalid(
            field,
            format!(
                "{on} 在已锁定的期间内：{} 及以前的记录已由{}锁定（{}），不能再补录；确需补录请先由社区书记解除锁定",
                lock.through_on, lock.locked_by, lock.reason
            ),
        ));
    }
    Ok(Entered {
        on,
        backdated: on < today,
    })
}

/// The community of `node_id` (which must be in the actor's scope; the community above a grid
/// worker's grid is named, as breadcrumbs name it) and its lock.
pub fn of_node(
    conn: &mut Conn,
    actor: &Actor,
    node_id: i64,
) -> StoreResult<(tree::Node, Option<PeriodLock>)> {
    let id = community_of(conn, actor, node_id)?;
    let community = tree::load(conn, id)?;
    let lock = current(conn, community.id)?;
    Ok((community, lock))
}

/// The community a lock applies to: the node's own.
fn community_of(conn: &mut Conn, actor: &Actor, node_id: i64) -> StoreResult<i64> {
    let node = tree::get(conn, actor, node_id)?;
    node.community_id.ok_or_else(|| {
        StoreError::invalid("社区", "期间按社区锁定：请在社区（或其中的网格）上操作")
    })
}

/// Locks the community's records dated on or before `through_on` (the community head's). A
/// later lock replaces an earlier one; the day must be before today.
pub fn lock(
    conn: &mut Conn,
    actor: &Actor,
    node_id: i64,
    through_on: NaiveDate,
    reason: &str,
) -> StoreResult<PeriodLock> {
    actor.require(actor.role.manages_community_settings(), "锁定统计期间")?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 200 {
        return Err(StoreError::invalid(
            "锁定原因",
            "请写明为什么锁定（如“2025年度工作总结已上报”），不超过 200 字",
        ));
    }
    if through_on >= today() {
        return Err(StoreError::invalid(
            "锁定至",
            "只能锁定已经过去的日期（今天及以后的记录还在录入）",
        ));
    }
    conn.transaction(|c| {
        let community_id = community_of(c, actor, node_id)?;
        c.execute(
            "UPDATE period_locks SET released_at = ?, released_by = ? WHERE community_id = ? AND released_at IS NULL",
            params![now(), actor.display_name.as_str(), community_id],
        )?;
        c.execute(
            "INSERT INTO period_locks (community_id, through_on, reason, user_id, locked_by, locked_at)
             VALUES (?, ?, ?, ?, ?, ?)",
            params![
                community_id,
                through_on,
                reason,
                actor.user_id,
                actor.display_name.as_str(),
                now()
            ],
        )?;
        audit::record(
            c,
            By::Actor(actor),
            Event::ok("period.lock", format!("node:{community_id}"))
                .with(serde_json::json!({ "锁定至": through_on, "原因": reason })),
        )?;
        current(c, community_id)?
            .ok_or_else(|| StoreError::Conflict("锁定没有保存，请重试".into()))
    })
}

/// Releases the community's lock (the community head's), saying why.
pub fn release(conn: &mut Conn, actor: &Actor, node_id: i64, reason: &str) -> StoreResult<()> {
    actor.require(actor.role.manages_community_settings(), "解除期间锁定")?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 200 {
        return Err(StoreError::invalid(
            "解除原因",
            "请写明为什么解除锁定（如“补录上级反馈的漏报走访”），不超过 200 字",
        ));
    }
    conn.transaction(|c| {
        let community_id = community_of(c, actor, node_id)?;
        let Some(lock) = current(c, community_id)? else {
            return Err(StoreError::Conflict("这个社区现在没有锁定的期间".into()));
        };
        c.execute(
            "UPDATE period_locks SET released_at = ?, released_by = ? WHERE community_id = ? AND released_at IS NULL",
            params![now(), actor.display_name.as_str(), community_id],
        )?;
        audit::record(
            c,
            By::Actor(actor),
            Event::ok("period.release", format!("node:{community_id}"))
                .with(serde_json::json!({ "原锁定至": lock.through_on, "原因": reason })),
        )?;
        Ok(())
    })
}
