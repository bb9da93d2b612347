//! 工作亮点: records a community head marks as notable (a 事件 handled well, a dispute settled),
//! each with one line in their own words. The work summary of a node and period lists the
//! marked records whose day and place fall in it, as its 工作亮点 section.

use shequ_domain::figures::Period;

use crate::access::audit::{self, By, Event};
use crate::access::scope::Actor;
use crate::clock::{local_day_start_utc, now};
use crate::db::{Conn, prefix_end};
use crate::error::{StoreError, StoreResult};
use crate::params;
use crate::registry::tree::Node;

/// What kind of record a highlight marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marked {
    Ticket,
    MediationCase,
}

impl Marked {
    fn as_str(self) -> &'static str {
        match self {
            Marked::Ticket => "ticket",
            Marked::MediationCase => "mediation_case",
        }
    }
}

/// A line of a highlight is a sentence, not a report.
pub const MAX_CHARS: usize = 200;

/// The record's community, after checking it lies in the actor's area.
fn community_of(conn: &mut Conn, actor: &Actor, kind: Marked, id: i64) -> StoreResult<i64> {
    Ok(match kind {
        Marked::Ticket => crate::tickets::get(conn, actor, id)?.0.community_id,
        Marked::MediationCase => crate::mediation::get(conn, actor, id)?.community_id,
    })
}

/// The line a record is marked with, if it is (the record in the actor's area).
pub fn of_record(
    conn: &mut Conn,
    actor: &Actor,
    kind: Marked,
    id: i64,
) -> StoreResult<Option<String>> {
    community_of(conn, actor, kind, id)?;
    Ok(conn
        .query_opt(
            "SELECT body FROM highlights WHERE record_kind = ? AND record_id = ?",
            params![kind.as_str(), id],
        )?
        .map(|r| r.get(0))
        .transpose()?)
}

/// Marks a record as a highlight with `body` (its head's words), or, with nothing written,
/// takes the mark away. Audited.
pub fn mark(conn: &mut Conn, actor: &Actor, kind: Marked, id: i64, body: &str) -> StoreResult<()> {
    actor.require(actor.role.manages_community_settings(), "标记工作亮点")?;
    let body = body.trim();
    let len = body.chars().count();
    if len > MAX_CHARS {
        return Err(StoreError::invalid(
            "亮点说明",
            format!("不超过 {MAX_CHARS} 字（现在 {len} 字），写一句话即可"),
        ));
    }
    let community = community_of(conn, actor, kind, id)?;
    conn.transaction(|c| {
        c.execute(
            "DELETE FROM highlights WHERE record_kind = ? AND record_id = ?",
            params![kind.as_str(), id],
        )?;
        if !body.is_empty() {
            c.execute(
                "INSERT INTO highlights (community_id, record_kind, record_id, body, user_id, marked_by, marked_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
                params![
                    community,
                    kind.as_str(),
                    id,
                    body,
                    actor.user_id,
                    actor.display_name.as_str(),
                    now()
                ],
            )?;
        }
        audit::record(
            c,
            By::Actor(actor),
            Event::ok(
                if body.is_empty() {
                    "highlight.unmark"
                } else {
                    "highlight.mark"
                },
                format!("{}:{id}", kind.as_str()),
            )
            .with(serde_json::json!({ "亮点": body })),
        )
    })
}

/// The highlights of the records that happened in `period` under `node` (a 事件 on the day
/// it was reported, a case on the day it was received), in the order they happened.
pub fn in_period(conn: &mut Conn, node: &Node, period: &Period) -> StoreResult<Vec<String>> {
    let (lo, hi) = (node.path.as_str(), prefix_end(&node.path));
    let first = local_day_start_utc(period.first());
    let end = local_day_start_utc(period.last() + chrono::Duration::days(1));
    let rows = conn.query(
        "SELECT h.body, t.reported_at AS at FROM highlights h \
           JOIN tickets t ON h.record_kind = 'ticket' AND t.id = h.record_id \
          WHERE t.area_path >= ? AND t.area_path < ? AND t.reported_at >= ? AND t.reported_at < ? \
         UNION ALL \
         SELECT h.body, m.received_on AS at FROM highlights h \
           JOIN mediation_cases m ON h.record_kind = 'mediation_case' AND m.id = h.record_id \
          WHERE m.area_path >= ? AND m.area_path < ? AND m.received_on >= ? AND m.received_on <= ? \
         ORDER BY 2, 1",
        params![
            lo,
            hi.as_str(),
            first.as_str(),
            end.as_str(),
            lo,
            hi.as_str(),
            period.first(),
            period.last()
        ],
    )?;
    rows.iter().map(|r| Ok(r.get(0)?)).collect()
}
