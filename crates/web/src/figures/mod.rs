//! 统计 on the web: the indicator catalogue's figures of any node and period.

pub(crate) mod api;
