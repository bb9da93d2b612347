//! The registry on the web: the JSON API (`api`) and the pages of the tree of areas, people and
//! their homes, units.

pub(crate) mod api;
pub(crate) mod people;
pub(crate) mod tree;
pub(crate) mod units;

/// The registry's pages.
pub(crate) fn routes() -> crate::access::Routes {
    tree::routes()
        .merge(people::routes())
        .merge(units::routes())
}
