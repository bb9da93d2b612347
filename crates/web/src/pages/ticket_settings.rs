//! 事件设置: the category tree, the time limits and the working-day calendar on one page, for
//! those who manage them (what the API also offers, without writing JSON).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Form, State};
use axum::response::{IntoResponse, Redirect};
use shequ_domain::worktime::LimitUnit;
use shequ_store::ticket_settings::{self, CalendarDay, CategoryInput, CategoryRow};
use shequ_store::tickets::{self, TimeLimit};

use super::{Layout, PageResult, check_csrf, date_field, field, int_field, opt_field, render};
use crate::access::{Need, Routes, Target, rule};
use crate::auth::PageUser;
use crate::error::AppError;
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::new()
        .get(
            "/settings/tickets",
            rule(Need::ManageTree, Target::None),
            page,
        )
        .post(
            "/settings/tickets",
            rule(Need::ManageTree, Target::None),
            save,
        )
}

#[derive(Template)]
#[template(path = "ticket_settings.html")]
struct SettingsPage {
    l: Layout,
    categories: Vec<CategoryRow>,
    limits: Vec<TimeLimit>,
    days: Vec<CalendarDay>,
}

impl SettingsPage {
    fn unit_label(&self, unit: &str) -> &'static str {
        LimitUnit::parse(unit).map_or("", LimitUnit::label)
    }
}

async fn page(
    State(st): State<AppState>,
    user: PageUser,
    axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
) -> PageResult {
    let from = shequ_store::today() - chrono::Duration::days(31);
    let (categories, limits, days) = st
        .db(move |c| {
            Ok((
                ticket_settings::all_categories(c)?,
                tickets::time_limits(c)?,
                ticket_settings::calendar_days(c, from)?,
            ))
        })
        .await?;
    let mut l = Layout::new("事件设置", &user);
    l.flash = q.get("saved").map(|_| "已保存".to_string());
    Ok(render(&SettingsPage {
        l,
        categories,
        limits,
        days,
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
            st.db(move |c| ticket_settings::set_category(c, &actor, &input))
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
        other => {
            return Err(AppError::BadRequest(format!("不认识的表单“{other}”，请刷新页面")).into());
        }
    }
    Ok(Redirect::to("/settings/tickets?saved=1").into_response())
}
