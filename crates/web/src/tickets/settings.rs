//! 事件设置: the category tree, the time limits, the working-day calendar and the patrol
//! checklists on one page (what the API also offers, without writing JSON). The district
//! administrator changes the district's; a community head sees them and adds the community's
//! own 小类, time limits and checklist items — the store refuses anything else (403).

use std::collections::HashMap;

use crate::extract::Form;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use shequ_domain::worktime::LimitUnit;
use shequ_store::field::patrols::{self, PatrolType};
use shequ_store::tickets::settings::{
    self, CalendarDay, CategoryInput, CategoryRow, SettingsScope, settings_scope,
};
use shequ_store::tickets::{self, TimeLimit};

use crate::access::{Need, Routes, Target, rule};
use crate::auth::PageUser;
use crate::error::AppError;
use crate::pages::form::{Text, typed};
use crate::pages::{Layout, PageResult, check_csrf, render};
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

/// The page's forms as sent; `form` says which (a category, a time limit, a calendar day, a
/// checklist).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SettingsForm {
    form: Text,
    code: Text,
    name: Text,
    limit_normal: Text,
    limit_urgent: Text,
    active: Text,
    photos_required: Text,
    amount: Text,
    unit: Text,
    day: Text,
    workday: Text,
    items: Text,
}

async fn save(
    State(st): State<AppState>,
    user: PageUser,
    Form(raw): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&user, &raw)?;
    let f: SettingsForm = typed(&raw);
    let actor = user.actor.clone();
    match f.form.get().as_str() {
        "category" => {
            let input = CategoryInput {
                code: f.code.get(),
                name: f.name.get(),
                limit_normal: f.limit_normal.opt(),
                limit_urgent: f.limit_urgent.opt(),
                active: Some(f.active.get() != "0"),
                photos_required: f.photos_required.opt().map(|v| v == "1"),
            };
            st.db(move |c| settings::set_category(c, &actor, &input))
                .await?;
        }
        "limit" => {
            let code = f.code.get();
            let amount = f.amount.int("时限")?.unwrap_or(0);
            let unit = f.unit.get();
            st.db(move |c| tickets::set_time_limit(c, &actor, &code, amount, &unit))
                .await?;
        }
        "day" => {
            let day = f
                .day
                .date("日期")?
                .ok_or_else(|| AppError::BadRequest("日期：请选择日期".into()))?;
            let workday = f.workday.get() == "1";
            let name = f.name.get();
            st.db(move |c| tickets::set_calendar_day(c, &actor, day, workday, &name))
                .await?;
        }
        "checklist" => {
            let code = f.code.get();
            let items: Vec<String> = f.items.get().lines().map(str::to_string).collect();
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
