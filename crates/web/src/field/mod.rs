//! Field work on the web: 走访 (visits) and 巡查 (patrols), each with its JSON API and pages.

pub(crate) mod patrols_api;
pub(crate) mod patrols_pages;
pub(crate) mod visits_api;
pub(crate) mod visits_pages;
