//! Changing the 事件 configuration: the category tree (2+2 digit codes) and the working-day
//! calendar as listed for the settings page. Time limits are changed in `tickets`. Categories
//! are never deleted, only retired: old tickets keep naming them.
//!
//! The settings are the district's, changed by its administrator; a community head adds what
//! holds for the community only (its own 小类, time limits, checklist items) and cannot touch
//! the district's rows (`SettingsScope`).

use serde::{Deserialize, Serialize};

use crate::access::audit::{self, By, Event};
use crate::access::scope::Actor;
use crate::clock::now;
use crate::db::Conn;
use crate::error::{StoreError, StoreResult};
use crate::params;

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

/// Whose settings a change is: the whole district's or one community's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingsScope {
    District,
    Community(i64),
}

impl SettingsScope {
    pub fn label(self) -> &'static str {
        match self {
            SettingsScope::District => "全区",
            SettingsScope::Community(_) => "本社区",
        }
    }

    pub fn community(self) -> Option<i64> {
        match self {
            SettingsScope::District => None,
            SettingsScope::Community(c) => Some(c),
        }
    }
}

/// The scope `actor` changes settings in: the district administrator the district's, a
/// community head their one community's; anyone else is refused.
pub fn settings_scope(actor: &Actor, what: &str) -> StoreResult<SettingsScope> {
    if actor.role.manages_district_settings() {
        return Ok(SettingsScope::District);
    }
    if actor.role.manages_community_settings() {
        return match actor.communities.as_slice() {
            [one] => Ok(SettingsScope::Community(*one)),
            _ => Err(StoreError::invalid(
                "社区",
                "这个账号管着不止一个社区；社区自己的设置请用只管这个社区的账号修改",
            )),
        };
    }
    Err(StoreError::Forbidden(format!(
        "您的角色（{}）无权{what}：全区的设置由区级管理员修改，社区自己的由社区书记/主任添加",
        actor.role.label()
    )))
}

/// Adds or changes a category. The district administrator keeps the district's tree; a
/// community head adds and changes the community's own 小类 under a district 大类, and may
/// not change or retire the district's (403).
pub fn set_category(conn: &mut Conn, actor: &Actor, input: &CategoryInput) -> StoreResult<()> {
    let scope = settings_scope(actor, "修改事件类别")?;
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
    if top && scope != SettingsScope::District {
        return Err(StoreError::Forbidden(
            "大类是全区统一的，由区级管理员设置；社区可以在大类下添加本社区的小类（四位代码）"
                .into(),
        ));
    }
    let active = input.active.unwrap_or(true);
    conn.transaction(|c| {
        if let Some(r) = c.query_opt(
            "SELECT name, community_id FROM ticket_categories WHERE code = ?",
            params![code],
        )? {
            let (old_name, owner): (String, Option<i64>) = (r.get(0)?, r.get(1)?);
            match (scope, owner) {
                (SettingsScope::District, None) => {}
                (SettingsScope::Community(me), Some(o)) if o == me => {}
                (SettingsScope::Community(_), None) => {
                    return Err(StoreError::Forbidden(format!(
                        "“{code} {old_name}”是全区的类别，只有区级管理员能修改或停用；本社区需要别的类别时，请用新的四位代码添加本社区的小类"
                    )));
                }
                (_, Some(_)) => {
                    return Err(StoreError::invalid(
                        "类别代码",
                        format!("代码 {code} 已被一个社区的自有小类使用，请换一个代码"),
                    ));
                }
            }
        }
        let (parent, normal, urgent) = if top {
            (None, None, None)
        } else {
            let parent = &code[..2];
            if c.query_opt(
                "SELECT code FROM ticket_categories WHERE code = ? AND community_id IS NULL",
                params![parent],
            )?
            .is_none()
            {
                return Err(StoreError::invalid(
                    "类别代码",
                    format!("大类 {parent} 还没有，请先添加大类（大类由区级管理员设置）"),
                ));
            }
            let mut limit = |field: &str, v: Option<&str>, default: &str| -> StoreResult<String> {
                let v = v.map(str::trim).filter(|s| !s.is_empty()).unwrap_or(default);
                match c.query_opt(
                    "SELECT code FROM ticket_time_limits WHERE code = ? OR name = ?",
                    params![v, v],
                )? {
                    Some(r) => Ok(r.get(0)?),
                    None => Err(StoreError::invalid(
                        field,
                        format!("没有“{v}”这个处置时限（见时限列表）"),
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
                "INSERT INTO ticket_categories (code, parent_code, name, limit_normal, limit_urgent, active, updated_at, community_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                params![code, parent, name, normal.clone(), urgent.clone(), active, ts.as_str(), scope.community()],
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
                "名称": name, "一般时限": normal, "紧急时限": urgent, "启用": active, "范围": scope.label()
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
    /// Set for a community's own 小类.
    pub community_id: Option<i64>,
}

/// The district's categories and, for a community, its own.
pub fn all_categories(conn: &mut Conn, community: Option<i64>) -> StoreResult<Vec<CategoryRow>> {
    conn.query(
        "SELECT code, parent_code, name, limit_normal, limit_urgent, active, photos_required, community_id
         FROM ticket_categories WHERE community_id IS NULL OR community_id = ? ORDER BY code",
        params![community],
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
            community_id: r.get(7)?,
        })
    })
    .collect()
}
