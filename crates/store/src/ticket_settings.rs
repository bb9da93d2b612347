//! Changing the 事件 configuration: the category tree (2+2 digit codes) and the working-day
//! calendar as listed for the settings page. Time limits are changed in `tickets`. Categories
//! are never deleted, only retired: old tickets keep naming them.

use serde::{Deserialize, Serialize};

use crate::audit::{self, By, Event};
use crate::clock::now;
use crate::db::Conn;
use crate::error::{StoreError, StoreResult};
use crate::params;
use crate::scope::Actor;

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryInput {
    /// "07" for a 大类, "0703" for a 小类 under 07.
    pub code: String,
    pub name: String,
    /// 小类: the time limit code for ordinary reports (general, complex …).
    #[serde(default)]
    pub limit_normal: Option<String>,
    /// 小类: for urgent reports (default: urgent).
    #[serde(default)]
    pub limit_urgent: Option<String>,
    /// false retires it: no new reports under it (default true).
    #[serde(default)]
    pub active: Option<bool>,
    /// 大类: reports by workers need a close-up and a wide photo (default false).
    #[serde(default)]
    pub photos_required: Option<bool>,
}

/// Adds or changes a category.
pub fn set_category(conn: &mut Conn, actor: &Actor, input: &CategoryInput) -> StoreResult<()> {
    actor.require(actor.role.manages_tree(), "修改事件类别")?;
    let code = input.code.trim();
    let top = code.len() == 2;
    if !(code.len() == 2 || code.len() == 4) || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(StoreError::invalid(
            "类别代码",
            format!("“{code}”不对：大类为两位数字（如 07），小类为四位（如 0703）"),
        ));
    }
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 30 {
        return Err(StoreError::invalid("类别名称", "请填写名称，不超过 30 字"));
    }
    let active = input.active.unwrap_or(true);
    conn.transaction(|c| {
        let (parent, normal, urgent) = if top {
            (None, None, None)
        } else {
            let parent = &code[..2];
            if c.query_opt(
                "SELECT code FROM ticket_categories WHERE code = ?",
                params![parent],
            )?
            .is_none()
            {
                return Err(StoreError::invalid(
                    "类别代码",
                    format!("大类 {parent} 还没有，请先添加大类"),
                ));
            }
            let mut limit = |field: &str, v: Option<&str>, default: &str| -> StoreResult<String> {
                let v = v.map(str::trim).filter(|s| !s.is_empty()).unwrap_or(default);
                match c.query_opt(
                    "SELECT code FROM ticket_time_limits WHERE code = ?",
                    params![v],
                )? {
                    Some(r) => Ok(r.get(0)?),
                    None => Err(StoreError::invalid(
                        field,
                        format!("没有“{v}”这个处置时限（见时限列表的代码）"),
                    )),
                }
            };
            (
                Some(parent.to_string()),
                Some(limit("一般时限", input.limit_normal.as_deref(), "general")?),
                Some(limit("紧急时限", input.limit_urgent.as_deref(), "urgent")?),
            )
        };
        let ts = now();
        let exists = c
            .query_opt(
                "SELECT code FROM ticket_categories WHERE code = ?",
                params![code],
            )?
            .is_some();
        if exists {
            c.execute(
                "UPDATE ticket_categories SET name = ?, limit_normal = ?, limit_urgent = ?, active = ?, updated_at = ? WHERE code = ?",
                params![name, normal.clone(), urgent.clone(), active, ts.as_str(), code],
            )?;
        } else {
            c.execute(
                "INSERT INTO ticket_categories (code, parent_code, name, limit_normal, limit_urgent, active, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                params![code, parent, name, normal.clone(), urgent.clone(), active, ts.as_str()],
            )?;
        }
        if let (true, Some(p)) = (top, input.photos_required) {
            c.execute(
                "UPDATE ticket_categories SET photos_required = ? WHERE code = ?",
                params![p, code],
            )?;
        }
        audit::record(
            c,
            By::Actor(actor),
            Event::ok("ticket.category", format!("category:{code}")).with(serde_json::json!({
                "名称": name, "一般时限": normal, "紧急时限": urgent, "启用": active
            })),
        )
    })
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CalendarDay {
    pub day: chrono::NaiveDate,
    pub workday: bool,
    pub name: String,
}

/// The days that break the weekday rule, from `from` on.
pub fn calendar_days(conn: &mut Conn, from: chrono::NaiveDate) -> StoreResult<Vec<CalendarDay>> {
    conn.query(
        "SELECT day, workday, name FROM calendar_days WHERE day >= ? ORDER BY day",
        params![from],
    )?
    .iter()
    .map(|r| {
        Ok(CalendarDay {
            day: r.get(0)?,
            workday: r.get::<i64>(1)? == 1,
            name: r.get(2)?,
        })
    })
    .collect()
}

/// A category as the settings page lists it, retired ones included.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CategoryRow {
    pub code: String,
    pub parent_code: Option<String>,
    pub name: String,
    pub limit_normal: Option<String>,
    pub limit_urgent: Option<String>,
    pub active: bool,
    pub photos_required: bool,
}

pub fn all_categories(conn: &mut Conn) -> StoreResult<Vec<CategoryRow>> {
    conn.query(
        "SELECT code, parent_code, name, limit_normal, limit_urgent, active, photos_required FROM ticket_categories ORDER BY code",
        params![],
    )?
    .iter()
    .map(|r| {
        Ok(CategoryRow {
            code: r.get(0)?,
            parent_code: r.get(1)?,
            name: r.get(2)?,
            limit_normal: r.get(3)?,
            limit_urgent: r.get(4)?,
            active: r.get::<i64>(5)? == 1,
            photos_required: r.get::<i64>(6)? == 1,
        })
    })
    .collect()
}
