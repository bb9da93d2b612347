//! The registry's pages: the tree of areas, people and their homes, units.

pub(crate) mod people;
pub(crate) mod tree;
pub(crate) mod units;
