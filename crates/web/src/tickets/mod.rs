//! 事件 on the web: the JSON API (`api`), the pages (`pages`), the category and calendar
//! settings (`settings`), residents' 随手拍 through a link (`public_report`) and Open311
//! GeoReport v2 (`open311`).

pub(crate) mod api;
pub mod open311;
pub(crate) mod pages;
pub(crate) mod public_report;
pub(crate) mod settings;

/// Everything of 事件 outside the JSON API: the pages, the settings, residents' reports and
/// Open311.
pub(crate) fn routes() -> crate::access::Routes {
    pages::routes()
        .merge(public_report::routes())
        .merge(settings::routes())
        .merge(open311::routes())
}
