//! 排查率 and 调成率 for any node and period.

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use crate::access::scope::Actor;
use crate::clock::today;
use crate::db::{Conn, Value, prefix_end};
use crate::error::{StoreError, StoreResult};
use crate::params;
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

fn months(from: NaiveDate, to: NaiveDate) -> Vec<String> {
    let mut out = Vec::new();
    let (mut y, mut m) = (from.year(), from.month());
    while (y, m) <= (to.year(), to.month()) {
        out.push(format!("{y:04}-{m:02}"));
        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    }
    out
}

pub fn rates(
    conn: &mut Conn,
    actor: &Actor,
    node_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> StoreResult<MediationRates> {
    actor.require(actor.role.views_area(), "查看调解统计")?;
    if to < from || (to - from).num_days() > 3660 {
        return Err(StoreError::invalid(
            "统计期间",
            "结束日期应不早于开始日期，且不超过十年",
        ));
    }
    let node = tree::get(conn, actor, node_id)?;
    let (lo, hi) = (node.path.clone(), prefix_end(&node.path));
    let grids: Vec<(i64, String)> = conn
        .query(
            "SELECT id, path FROM org_nodes WHERE kind = 'grid' AND retired_on IS NULL AND path >= ? AND path < ?",
            params![lo.as_str(), hi.as_str()],
        )?
        .iter()
        .map(|r| Ok((r.get(0)?, r.get(1)?)))
        .collect::<StoreResult<_>>()?;
    let grid_paths: Vec<(i64, String)> =
        if grids.is_empty() && node.kind == shequ_domain::registry::org::NodeKind::Grid {
            vec![(node.id, node.path.clone())]
        } else {
            grids
        };
    let period = months(from, to);
    let mut screened: BTreeSet<(i64, String)> = BTreeSet::new();
    let mut found = 0;
    for r in conn.query(
        "SELECT area_path, screened_on, type_code FROM screenings WHERE area_path >= ? AND area_path < ? AND screened_on >= ? AND screened_on <= ?",
        params![lo.as_str(), hi.as_str(), from, to],
    )? {
        let path: String = r.get(0)?;
        let on: String = r.get(1)?;
        let t: Option<String> = r.get(2)?;
        found += i64::from(t.is_some());
        if let Some((gid, _)) = grid_paths.iter().find(|(_, p)| path.starts_with(p.as_str())) {
            screened.insert((*gid, on.chars().take(7).collect()));
        }
    }
    let denominator = i64::try_from(grid_paths.len() * period.len()).unwrap_or(i64::MAX);
    let count = |c: &mut Conn, sql: &str, extra: &[Value]| -> StoreResult<i64> {
        let mut p = params![lo.as_str(), hi.as_str()].to_vec();
        p.extend_from_slice(extra);
        Ok(c.scalar(
            &format!("SELECT COUNT(*) FROM mediation_cases WHERE area_path >= ? AND area_path < ? AND {sql}"),
            &p,
        )?)
    };
    let closed = count(
        conn,
        "closed_on >= ? AND closed_on <= ? AND outcome <> 'withdrawn'",
        params![from, to],
    )?;
    let success = count(
        conn,
        "closed_on >= ? AND closed_on <= ? AND outcome = 'success'",
        params![from, to],
    )?;
    Ok(MediationRates {
        from,
        to,
        screening_rate: Rate::of(i64::try_from(screened.len()).unwrap_or(0), denominator),
        success_rate: Rate::of(success, closed),
        disputes_found: found,
        cases_received: count(
            conn,
            "received_on >= ? AND received_on <= ?",
            params![from, to],
        )?,
        cases_open: count(conn, "outcome IS NULL", &[])?,
        cases_overdue: count(conn, "outcome IS NULL AND due_on < ?", params![today()])?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_counts_its_calendar_months() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default();
        assert_eq!(months(d("2026-11-05"), d("2027-02-01")).len(), 4);
        assert_eq!(months(d("2026-01-01"), d("2026-12-31")).len(), 12);
        assert_eq!(months(d("2026-03-10"), d("2026-03-20")), vec!["2026-03"]);
    }
}
