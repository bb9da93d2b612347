//! 事件设置: the category tree, the time limits, the working-day calendar and the patrol
//! checklists on one page (what the API also offers, without writing JSON). The district
//! administrator changes the district's; a community head sees them and adds the community's
//! own 小类, time limits and checklist items — the store refuses anything else (403).

use std::collections::HashMap;

use crate::extract::Form;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use shequ_domain::worktime::LimitUnit;
use shequ_store::field::patrols::{self, PatrolType};
use shequ_store::tickets::settings::{
    self, CalendarDay, CategoryInput, CategoryRow, SettingsScope, settings_scope,
};
use shequ_store::tickets::{self, TimeLimit};

use crate::access::{Need, Routes, Target, rule};
use crate::auth::PageUser;
use crate::error::AppError;
use crate::pages::{
    Layout, PageResult, check_csrf, date_field, field, int_field, opt_field, render,
};
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::new()
        .get(
            "/settings/tickets",
            rule(Need::Settings, Target::None),
            page,
        )
        .post(
            "/settings/tickets",
            rule(Need::Settings, Target::None),
            save,
        )
}

/// A time limit with the community's own amount, if it set one.
struct LimitRow {
    limit: TimeLimit,
    own: Option<(i64, String)>,
}

impl LimitRow {
    /// What holds here: the community's own amount, else the district's.
    fn amount(&self) -> i64 {
        self.own.as_ref().map_or(self.limit.amount, |(a, _)| *a)
    }

    fn unit(&self) -> &str {
        self.own.as_ref().map_or(&self.limit.unit, |(_, u)| u)
    }
}

/// A patrol type: the district's checklist and the community's own items.
struct ChecklistRow {
    code: String,
    name: String,
    district: Vec<String>,
    own: Vec<String>,
}

#[derive(Template)]
#[template(path = "tickets/ticket_settings.html")]
struct SettingsPage {
    l: Layout,
    /// The district administrator's view (else a community head's).
    district: bool,
    categories: Vec<CategoryRow>,
    limits: Vec<LimitRow>,
    days: Vec<CalendarDay>,
    checklists: Vec<ChecklistRow>,
}

/// What each unit of a time limit is called on the page.
const UNITS: [&str; 4] = ["hours", "working_hours", "working_days", "days"];

impl SettingsPage {
    fn unit_label(&self, unit: &str) -> &'static str {
        LimitUnit::parse(unit).map_or("", LimitUnit::label)
    }

    /// A time limit's name for its code (codes such as `general` stay off the page).
    fn limit_name(&self, code: &str) -> String {
        self.limits
            .iter()
            .find(|t| t.limit.code == code)
            .map_or_else(|| "未设定".to_string(), |t| t.limit.name.clone())
    }

    /// May this user change (retire, rename) this category?
    fn may_change(&self, c: &CategoryRow) -> bool {
        self.district == c.community_id.is_none()
    }
}

async fn page(
    State(st): State<AppState>,
    user: PageUser,
    crate::extract::Query(q): crate::extract::Query<HashMap<String, String>>,
) -> PageResult {
    let scope = settings_scope(&user.actor, "查看事件设置").map_err(AppError::from)?;
    let from = shequ_store::today() - chrono::Duration::days(31);
    let community = scope.community();
    let (categories, limits, days, types, district_types) = st
        .db(move |c| {
            let own = match community {
                Some(id) => tickets::community_time_limits(c, id)?,
                None => Vec::new(),
            };
            let limits = tickets::time_limits(c)?
                .into_iter()
                .map(|limit| LimitRow {
                    own: own
                        .iter()
                        .find(|(code, _, _)| *code == limit.code)
                        .map(|(_, a, u)| (*a, u.clone())),
                    limit,
                })
                .collect::<Vec<_>>();
            Ok((
                settings::all_categories(c, community)?,
                limits,
                settings::calendar_days(c, from)?,
                patrols::types_for(c, community)?,
                patrols::types(c)?,
            ))
        })
        .await?;
    let checklists = district_types
        .into_iter()
        .map(|d: PatrolType| {
            let own = types
                .iter()
                .find(|t| t.code == d.code)
                .map(|t| {
                    t.checklist
                        .iter()
                        .filter(|i| !d.checklist.contains(i))
                        .cloned()
                        .collect()
                })
                .unwrap_or_default();
            ChecklistRow {
                code: d.code,
                name: d.name,
                district: d.checklist,
                own,
            }
        })
        .collect();
    let mut l = Layout::new("事件设置", &user);
    l.flash = q.get("saved").map(|_| "已保存".to_string());
    Ok(render(&SettingsPage {
        l,
        district: scope == SettingsScope::District,
        categories,
        limits,
        days,
        checklists,
    }))
}

async fn save(
    State(st): State<AppState>,
    user: PageUser,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&user, &f)?;
    let actor = user.actor.clone();
    match field(&f, "form").as_str() {
        "category" => {
            let input = CategoryInput {
                code: field(&f, "code"),
                name: field(&f, "name"),
                limit_normal: opt_field(&f, "limit_normal"),
                limit_urgent: opt_field(&f, "limit_urgent"),
                active: Some(field(&f, "active") != "0"),
                photos_required: opt_field(&f, "photos_required").map(|v| v == "1"),
            };
            st.db(move |c| settings::set_category(c, &actor, &input))
                .await?;
        }
        "limit" => {
            let code = field(&f, "code");
            let amount = int_field(&f, "amount", "时限")?.unwrap_or(0);
            let unit = field(&f, "unit");
            st.db(move |c| tickets::set_time_limit(c, &actor, &code, amount, &unit))
                .await?;
        }
        "day" => {
            let day = date_field(&f, "day", "日期")?
                .ok_or_else(|| AppError::BadRequest("日期：请选择日期".into()))?;
            let workday = field(&f, "workday") == "1";
            let name = field(&f, "name");
            st.db(move |c| tickets::set_calendar_day(c, &actor, day, workday, &name))
                .await?;
        }
        "checklist" => {
            let code = field(&f, "code");
            let items: Vec<String> = field(&f, "items").lines().map(str::to_string).collect();
            st.db(move |c| {
                if actor.role.manages_district_settings() {
                    patrols::set_checklist(c, &actor, &code, &items)
                } else {
                    patrols::set_community_items(c, &actor, &code, &items)
                }
            })
            .await?;
        }
        other => {
            return Err(AppError::BadRequest(format!("不认识的表单“{other}”，请刷新页面")).into());
        }
    }
    Ok(Redirect::to("/settings/tickets?saved=1").into_response())
}
