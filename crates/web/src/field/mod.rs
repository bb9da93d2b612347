//! Field work on the web: 走访 (visits) and 巡查 (patrols), each with its JSON API and pages.
//!
//! Every field form (the `data-keep` forms field.js keeps offline) ends with the same parts: a
//! problem found (title, 小类, a close-up and a wide shot), a dispute found and photos. They are
//! read here once, into the store's field-record inputs.

pub(crate) mod patrols_api;
pub(crate) mod patrols_pages;
pub(crate) mod visits_api;
pub(crate) mod visits_pages;

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;
use shequ_store::attachments::FileIn;
use shequ_store::mediation::DisputeFound;
use shequ_store::tickets::ProblemInput;

use crate::pages::files::Submitted;
use crate::pages::form::{Text, typed};

/// The fields every field form shares, as sent.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct SharedFields {
    problem_title: Text,
    problem_category: Text,
}

/// What every field form carries beyond its own fields, ready for the store.
pub(crate) struct FieldParts {
    pub problems: Vec<ProblemInput>,
    pub disputes: Vec<DisputeFound>,
    pub files: Vec<FileIn>,
}

impl FieldParts {
    pub fn of(sent: &Submitted) -> FieldParts {
        let f: SharedFields = typed(&sent.fields);
        let problems = match f.problem_title.opt() {
            Some(title) => vec![ProblemInput {
                category_code: f.problem_category.get(),
                title,
                description: None,
                urgency: None,
                photos: Vec::new(),
                files: [
                    sent.files_of("problem_photo_close", "close"),
                    sent.files_of("problem_photo_wide", "wide"),
                ]
                .concat(),
            }],
            None => Vec::new(),
        };
        let disputes = crate::mediation::pages::disputes_found(&sent.fields);
        FieldParts {
            problems,
            disputes,
            files: sent.files_of("photos", "other"),
        }
    }
}

/// A checklist's answers as its rows send them: each row's field name and the item it answers;
/// a row left empty is not answered.
pub(crate) fn answers<'a>(
    f: &HashMap<String, String>,
    rows: impl IntoIterator<Item = (String, &'a str)>,
) -> BTreeMap<String, String> {
    rows.into_iter()
        .filter_map(|(name, item)| {
            f.get(&name)
                .map(|v| v.trim())
                .filter(|v| !v.is_empty())
                .map(|v| (item.to_string(), v.to_string()))
        })
        .collect()
}
