//! The kinds of record a route's `{id}` can name, each looked up by the SQL its line of work
//! keeps beside its table. This module sits above the lines of work (it names them all), so
//! `access` stays below them.

use crate::access::scope::{RecordKind, RecordSql};
use crate::db::Conn;
use crate::error::{StoreError, StoreResult};
use crate::params;

/// Exhaustive on purpose: a new kind fails to compile until its line of work says where its
/// records sit.
fn sql(kind: RecordKind) -> &'static RecordSql {
    match kind {
        RecordKind::Node => &crate::registry::tree::RECORD,
        RecordKind::Person => &crate::registry::people::RECORD,
        RecordKind::Tag => &crate::registry::tags::RECORD,
        RecordKind::Group => &crate::registry::groups::RECORD,
        RecordKind::Unit => &crate::registry::units::RECORD,
        RecordKind::Ticket => &crate::tickets::RECORD,
        RecordKind::Attachment => &crate::attachments::RECORD,
        RecordKind::Mediation => &crate::mediation::RECORD,
    }
}

/// Where a record sits in the tree (its area path), or None when there is no such record. Used
/// to refuse a request for a record outside the caller's area before any handler runs.
pub fn area_of(conn: &mut Conn, kind: RecordKind, id: i64) -> StoreResult<Option<String>> {
    match conn.query_opt(sql(kind).area, params![id])? {
        Some(r) => Ok(Some(r.get(0)?)),
        None => Ok(None),
    }
}

/// The version a record carries (edits are refused unless they name it), or None for kinds
/// edited without one. The API answers a creation with it, so a client can edit at once.
pub fn version_of(conn: &mut Conn, kind: RecordKind, id: i64) -> StoreResult<Option<i64>> {
    let Some(version) = sql(kind).version else {
        return Ok(None);
    };
    match conn.query_opt(version, params![id])? {
        Some(r) => Ok(Some(r.get(0)?)),
        None => Err(StoreError::NotFound("记录".into())),
    }
}
