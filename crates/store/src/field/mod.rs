//! Field work (走访、巡查): home visits by their rules and due lists, and patrols by their
//! checklists and schedules. Problems found become tickets.
//!
//! Every kind of field record (visits and patrols today; activities, drills and waste-sorting
//! checks next) has the same shape: who made it and when, where (a node and its area), the
//! answers to a checklist, the problems found (raised as 事件), the disputes found (entered in
//! the 排查 register) and photos. A kind declares its `Kind`, checks its own columns, and hands
//! the rest to `FieldRecord`, which checks it before the transaction and files it, inside the
//! transaction, after the record's own row.

pub mod patrols;
pub mod visits;

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::access::scope::Actor;
use crate::attachments::{self, Checked, FileIn, NewFile, Owner};
use crate::clock::today;
use crate::db::Conn;
use crate::error::{StoreError, StoreResult};
use crate::mediation::{self, DisputeFound};
use crate::tickets::{self, ProblemInput};

/// A kind of field record: how it names itself to tickets, the 排查 register and attachments,
/// and its limits.
#[derive(Debug)]
pub struct Kind {
    /// The source the tickets and the register record (`visit`, `patrol`).
    pub source: &'static str,
    /// As the worker says it: 走访, 巡查.
    pub noun: &'static str,
    pub max_problems: usize,
    /// The day's field and what is said of a day in the future, or more than a year ago.
    pub day: (&'static str, &'static str, &'static str),
    pub owner: fn(i64) -> Owner,
}

impl Kind {
    /// The day of the record (today by default): not in the future, not more than a year ago.
    pub fn day(&self, on: Option<NaiveDate>) -> StoreResult<NaiveDate> {
        let on = on.unwrap_or_else(today);
        let (field, future, old) = self.day;
        if on > today() {
            return Err(StoreError::invalid(field, future));
        }
        if on < today() - chrono::Duration::days(366) {
            return Err(StoreError::invalid(field, old));
        }
        Ok(on)
    }
}

/// Where a field record was made: its community, the node problems and disputes are placed at,
/// the area path its photos are kept under, and the route walked (a patrol's).
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    pub community_id: i64,
    pub node_id: i64,
    pub area_path: &'a str,
    pub route: Option<&'a str>,
}

/// Checklist answers, item → answer, kept as one JSON object on the record (the inputs spell
/// it out as a `BTreeMap`, so the OpenAPI document names no new schema).
pub type Answers = BTreeMap<String, String>;

/// A checklist whose items are known and whose answers are from a fixed list (a patrol's).
#[derive(Debug, Clone, Copy)]
pub struct Checklist<'a> {
    /// What the list is called in a message (the patrol type's name).
    pub name: &'a str,
    pub items: &'a [String],
    pub answers: &'a [&'a str],
}

impl Checklist<'_> {
    /// Every answer is to an item of the list and is one of the allowed answers.
    pub fn check(&self, given: &Answers) -> StoreResult<()> {
        for (item, answer) in given {
            if !self.items.contains(item) {
                return Err(StoreError::invalid(
                    "检查项目",
                    format!("“{}”的清单里没有“{item}”", self.name),
                ));
            }
            if !self.answers.contains(&answer.as_str()) {
                return Err(StoreError::invalid(
                    item.as_str(),
                    format!("应为 {} 之一", self.answers.join("、")),
                ));
            }
        }
        Ok(())
    }
}

/// Free answers (a visit's 六清): a bounded number of short items with short answers.
pub fn check_free_answers(given: &Answers, field: &str) -> StoreResult<()> {
    if given.len() > 30
        || given
            .iter()
            .any(|(k, v)| k.chars().count() > 30 || v.chars().count() > 200)
    {
        return Err(StoreError::invalid(field, "项目过多或过长"));
    }
    Ok(())
}

pub fn answers_json(given: &Answers) -> String {
    serde_json::to_string(given).unwrap_or_else(|_| "{}".into())
}

pub fn answers_from_json(stored: &str) -> Answers {
    serde_json::from_str(stored).unwrap_or_default()
}

/// What a field record carries beyond its own columns, checked before the transaction.
pub struct FieldRecord<'a> {
    kind: &'static Kind,
    pub on: NaiveDate,
    pub problems: &'a [ProblemInput],
    pub disputes: &'a [DisputeFound],
    photos: Vec<Checked>,
}

impl<'a> FieldRecord<'a> {
    /// Checks the problems (at most the kind's number) and the photos (sent as JSON or as a
    /// page's files).
    pub fn check(
        kind: &'static Kind,
        on: NaiveDate,
        problems: &'a [ProblemInput],
        disputes: &'a [DisputeFound],
        photos: (&[NewFile], &[FileIn]),
    ) -> StoreResult<FieldRecord<'a>> {
        if problems.len() > kind.max_problems {
            return Err(StoreError::invalid(
                "发现的问题",
                format!("一次{}最多上报 {} 个问题", kind.noun, kind.max_problems),
            ));
        }
        let photos = attachments::check(&attachments::gather(photos.0, photos.1)?)?;
        Ok(FieldRecord {
            kind,
            on,
            problems,
            disputes,
            photos,
        })
    }

    /// Inside the transaction that wrote record `id` at `place`: its photos, the disputes
    /// found into the register, and each problem found as a 事件. Returns the tickets' ids.
    pub fn file(
        &self,
        c: &mut Conn,
        actor: &Actor,
        id: i64,
        place: Place<'_>,
    ) -> StoreResult<Vec<i64>> {
        attachments::store(
            c,
            Some(actor.user_id),
            (self.kind.owner)(id),
            (place.community_id, place.area_path),
            &self.photos,
        )?;
        if !self.disputes.is_empty() {
            mediation::register_found(
                c,
                actor,
                (place.community_id, place.node_id, place.area_path),
                self.on,
                (self.kind.source, id),
                self.disputes,
            )?;
        }
        tickets::raise_problems(
            c,
            actor,
            self.problems,
            (place.node_id, place.route),
            (self.kind.source, id),
        )
    }
}
