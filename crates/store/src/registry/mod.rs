//! The registry (实有人口、房屋、单位): the tree of areas, people and their homes, households and
//! 十联户 groups, special groups (tags), units, and search over them.

pub mod groups;
pub mod history;
pub mod housing;
pub mod people;
pub mod search;
pub mod tags;
pub mod tree;
pub mod units;
