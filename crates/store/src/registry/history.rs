//! A person's history as the person page lists it: moves in and out of homes, and special
//! groups (tags) starting and ending. Kept apart from `people` and `tags` because it reads both.

use chrono::NaiveDate;
use serde::Serialize;

use crate::access::scope::Actor;
use crate::db::Conn;
use crate::error::StoreResult;
use crate::params;
use crate::registry::{people, tags, tree};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HistoryEntry {
    pub on: NaiveDate,
    pub what: String,
}

/// Moves in, moves out and tags starting or ending, oldest first.
pub fn history(conn: &mut Conn, actor: &Actor, id: i64) -> StoreResult<Vec<HistoryEntry>> {
    people::get(conn, actor, id)?;
    let mut out = Vec::new();
    for r in conn.query(
        "SELECT room_id, relation, moved_in_on, moved_out_on, out_reason FROM residences WHERE person_id = ? ORDER BY moved_in_on, id",
        params![id],
    )? {
        let room = tree::load(conn, r.get(0)?)?;
        let address = tree::address_of(conn, &room)?;
        let relation: String = r.get(1)?;
        out.push(HistoryEntry { on: r.get(2)?, what: format!("迁入 {address}（{relation}）") });
        if let Some(d) = r.get::<Option<NaiveDate>>(3)? {
            let why: Option<String> = r.get(4)?;
            out.push(HistoryEntry {
                on: d,
                what: format!("迁出 {address}{}", why.map(|w| format!("：{w}")).unwrap_or_default()),
            });
        }
    }
    for t in tags::for_person(conn, id)? {
        out.push(HistoryEntry {
            on: t.started_on,
            what: format!("列入{}（{}）", t.label, t.summary),
        });
        if let Some(d) = t.ended_on {
            out.push(HistoryEntry {
                on: d,
                what: format!(
                    "{}结束{}",
                    t.label,
                    t.end_reason.map(|w| format!("：{w}")).unwrap_or_default()
                ),
            });
        }
    }
    out.sort_by_key(|h| h.on);
    Ok(out)
}
