//! 矛盾纠纷排查调解 on the web: the JSON API, the pages, and the 人民调解协议书 (.docx).

mod agreement;
pub(crate) mod api;
pub(crate) mod pages;
