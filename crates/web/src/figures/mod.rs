//! 统计 on the web: the indicator catalogue's figures of any node and period.

pub(crate) mod api;
pub(crate) mod dashboard;
pub(crate) mod forms;
pub(crate) mod highlights;
pub(crate) mod ledgers;
pub(crate) mod locks;
pub(crate) mod summary;

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use shequ_domain::figures::Period;
use shequ_store::StoreError;
use utoipa::IntoParams;

/// A period as two days, for the pages and endpoints that take `from` and `to`. Every figure
/// has the same default period: this year so far.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// First day (default: 1 January of this year).
    #[serde(default)]
    pub from: Option<NaiveDate>,
    /// Last day (default: today).
    #[serde(default)]
    pub to: Option<NaiveDate>,
}

impl PeriodQuery {
    pub fn period(&self) -> (NaiveDate, NaiveDate) {
        let (first, today) = this_year_so_far();
        let to = self.to.unwrap_or(today);
        (self.from.unwrap_or(first), to)
    }
}

/// The default period of every figure: 1 January of this year to today.
pub fn this_year_so_far() -> (NaiveDate, NaiveDate) {
    let today = shequ_store::today();
    let period = shequ_domain::figures::Period::default_at(today);
    (period.first(), today)
}

/// The figures line's pages: period locks, ledgers and the work summary.
pub fn pages() -> crate::access::Routes {
    locks::pages()
        .merge(ledgers::pages())
        .merge(summary::pages())
        .merge(dashboard::pages())
        .merge(forms::pages())
        .merge(highlights::pages())
}

/// The period a page asks for: `period` (2024, 2024H1, 2024Q3, 2024-05) or the days `from`
/// and `to`, else this year so far.
pub(crate) fn asked_period(q: &HashMap<String, String>) -> Result<Period, StoreError> {
    let from = q.get("from").map(|s| s.trim()).filter(|s| !s.is_empty());
    let to = q.get("to").map(|s| s.trim()).filter(|s| !s.is_empty());
    let text = match (from, to) {
        (Some(f), Some(t)) => format!("{f}..{t}"),
        (Some(_), None) | (None, Some(_)) => {
            return Err(StoreError::invalid(
                "自定义期间",
                "请同时填写开始日期和结束日期，或都不填",
            ));
        }
        (None, None) => match q.get("period").map(|s| s.trim()).filter(|s| !s.is_empty()) {
            Some(p) => p.to_string(),
            None => return Ok(Period::default_at(shequ_store::today())),
        },
    };
    Period::parse(&text).map_err(|e| StoreError::invalid("期间", e.to_string()))
}

/// A choice of the period picker.
pub(crate) struct Choice {
    pub value: String,
    pub label: String,
}

/// The periods offered: this year and last, their halves and quarters, and the months of the
/// last year, most recent first.
pub(crate) fn choices(today: NaiveDate) -> Vec<Choice> {
    let y = today.year();
    let mut out = Vec::new();
    let mut push = |value: String| {
        if let Ok(p) = Period::parse(&value)
            && p.first() <= today
        {
            out.push(Choice {
                label: p.label(),
                value,
            });
        }
    };
    for year in [y, y - 1] {
        push(year.to_string());
        for h in [2, 1] {
            push(format!("{year}H{h}"));
        }
        for q in [4, 3, 2, 1] {
            push(format!("{year}Q{q}"));
        }
    }
    let mut month = today.with_day(1).unwrap_or(today);
    for _ in 0..12 {
        push(month.format("%Y-%m").to_string());
        month = month
            .checked_sub_months(chrono::Months::new(1))
            .unwrap_or(month);
    }
    out
}

/// The months of a period for a trend, as of today.
pub(crate) fn months_of(period: &Period) -> Vec<Period> {
    period.months_until(shequ_store::today())
}

/// The period a page asks for; a bad one gives this year and the message to show.
pub(crate) fn period_or_default(q: &HashMap<String, String>) -> (Period, Option<String>) {
    match asked_period(q) {
        Ok(p) => (p, None),
        Err(e) => (
            Period::default_at(shequ_store::today()),
            Some(e.to_string()),
        ),
    }
}

/// A page showing figures of a period: 422 when it came with an error about the period asked.
pub(crate) fn render_period_page<T: askama::Template>(
    page: &T,
    error: bool,
) -> crate::pages::PageResult {
    let mut r = crate::pages::render(page);
    if error {
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}
