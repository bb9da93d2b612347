//! Field work (走访、巡查): home visits by their rules and due lists, and patrols by their
//! checklists and schedules. Problems found become tickets.

pub mod patrols;
pub mod visits;
