//! 排查率 and 调成率 for any node and period.

use chrono::NaiveDate;
use serde::Serialize;
use shequ_domain::figures::Period;

use crate::access::scope::Actor;
use crate::db::Conn;
use crate::error::{StoreError, StoreResult};
use crate::indicators::catalogue::{amount_in, compute, count_in};
use crate::registry::tree;
use crate::tickets::Rate;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MediationRates {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// 排查率: grid-months with a 排查 entry (a dispute found, or a round that found none) out
    /// of all grid-months of the period.
    pub screening_rate: Rate,
    /// 调成率: cases closed 调解成功 out of cases closed in the period (withdrawn ones left out).
    pub success_rate: Rate,
    /// Disputes found in the period.
    pub disputes_found: i64,
    pub cases_received: i64,
    pub cases_open: i64,
    pub cases_overdue: i64,
}

/// 排查率, 调成率 and the case counts as the indicator catalogue defines them (`disputes.*`,
/// `cases.*`): one definition for this page, the API and the work summary.
pub fn rates(
    conn: &mut Conn,
    actor: &Actor,
    node_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> StoreResult<MediationRates> {
    actor.require(actor.role.views_area(), "查看调解统计")?;
    let period = Period::range(from, to)
        .filter(|_| (to - from).num_days() <= 3660)
        .ok_or_else(|| StoreError::invalid("统计期间", "结束日期应不早于开始日期，且不超过十年"))?;
    let node = tree::get(conn, actor, node_id)?;
    let figures = compute(
        conn,
        actor,
        &node,
        &period,
        &[
            "disputes.screening_rate",
            "cases.success_rate",
            "disputes.found",
            "cases.received",
            "cases.open",
            "cases.overdue",
        ],
    )?;
    Ok(MediationRates {
        from,
        to,
        screening_rate: Rate::from(amount_in(&figures, "disputes.screening_rate")?),
        success_rate: Rate::from(amount_in(&figures, "cases.success_rate")?),
        disputes_found: count_in(&figures, "disputes.found")?,
        cases_received: count_in(&figures, "cases.received")?,
        cases_open: count_in(&figures, "cases.open")?,
        cases_overdue: count_in(&figures, "cases.overdue")?,
    })
}
