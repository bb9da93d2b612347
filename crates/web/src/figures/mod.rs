//! 统计 on the web: the indicator catalogue's figures of any node and period.

pub(crate) mod api;
pub(crate) mod ledgers;
pub(crate) mod locks;

use chrono::NaiveDate;
use serde::Deserialize;
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

/// The figures line's pages: period locks and ledgers.
pub fn pages() -> crate::access::Routes {
    locks::pages().merge(ledgers::pages())
}
