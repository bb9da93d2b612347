//! 巡查 pages, phone-first: the patrols due under a node, and the patrol form with the type's
//! checklist (each item 正常 / 问题 / 未查) and a problem to raise as a 事件.

use std::collections::HashMap;

use crate::extract::{Path, Query};
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use shequ_store::field::patrols::{self, ANSWERS, DuePatrol, PatrolInput, PatrolType};
use shequ_store::registry::tree::{self, Node};
use shequ_store::tickets::{self, Category};

use super::{FieldParts, answers};
use crate::access::{Need, Routes, Target, rule};
use crate::auth::PageUser;
use crate::pages::files::{PHOTO_BODY_LIMIT, Submitted};
use crate::pages::form::{Text, typed};
use crate::pages::{Layout, PageError, PageResult, check_csrf, render};
use crate::state::AppState;
use shequ_store::access::scope::RecordKind;

/// How far ahead the due list (and the start page's count of it) looks.
pub const DUE_HORIZON_DAYS: i64 = 7;

pub fn routes() -> Routes {
    let node = rule(Need::WorkTickets, Target::Record(RecordKind::Node));
    Routes::new()
        .get("/nodes/{id}/patrols", node, due_list)
        .get("/nodes/{id}/patrols/new", node, form)
        .upload("/nodes/{id}/patrols/new", node, PHOTO_BODY_LIMIT, save)
}

#[derive(Template)]
#[template(path = "field/patrols_due.html")]
struct DuePage {
    l: Layout,
    node: Node,
    due: Vec<DuePatrol>,
    types: Vec<PatrolType>,
}

async fn due_list(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let actor = user.actor.clone();
    let (node, due, types) = st
        .db(move |c| {
            Ok((
                tree::get(c, &actor, id)?,
                patrols::due(c, &actor, id, DUE_HORIZON_DAYS)?,
                patrols::types(c)?,
            ))
        })
        .await?;
    let mut l = Layout::new(format!("{} 巡查", node.name), &user);
    l.crumbs = vec![(node.name.clone(), format!("/nodes/{}", node.id))];
    l.flash = q.get("saved").map(|_| "巡查已记录".to_string());
    Ok(render(&DuePage {
        l,
        node,
        due,
        types,
    }))
}

#[derive(Template)]
#[template(path = "field/patrol_form.html")]
struct FormPage {
    l: Layout,
    node: Node,
    kind: PatrolType,
    schedule: String,
    answers: &'static [&'static str],
    categories: Vec<Category>,
    dispute_types: &'static [(&'static str, &'static str, i64)],
    /// The open units under the place, to tick those the patrol went into: (id, name).
    units: Vec<(i64, String)>,
    f: HashMap<String, String>,
    error: Option<String>,
}

impl FormPage {
    fn value(&self, key: &str) -> String {
        self.f.get(key).cloned().unwrap_or_default()
    }

    fn ticked(&self, unit: &i64) -> bool {
        self.f.contains_key(&format!("unit_{unit}"))
    }

    fn any_ticked(&self) -> bool {
        self.f.keys().any(|k| k.starts_with("unit_"))
    }

    /// The answer chosen for checklist item `i` (正常 unless said otherwise).
    fn answer(&self, i: &usize) -> String {
        self.f
            .get(&format!("item_{i}"))
            .cloned()
            .unwrap_or_else(|| "正常".into())
    }
}

async fn form_page(
    st: &AppState,
    user: &PageUser,
    id: i64,
    f: HashMap<String, String>,
    error: Option<String>,
) -> Result<FormPage, PageError> {
    let sent: PatrolForm = typed(&f);
    let actor = user.actor.clone();
    let wanted = sent.kind.get();
    let (node, types, categories, units) = st
        .db(move |c| {
            let node = tree::get(c, &actor, id)?;
            let own: Vec<i64> = node.community_id.into_iter().collect();
            let cats = tickets::subcategories(c, &own)?;
            let types = patrols::types_for(c, node.community_id)?;
            let units = shequ_store::registry::units::list(c, &actor, id, 100)?
                .into_iter()
                .filter(|u| u.closed_on.is_none())
                .map(|u| (u.id, u.name))
                .collect::<Vec<_>>();
            Ok((node, types, cats, units))
        })
        .await?;
    let kind = types
        .iter()
        .find(|t| t.code == wanted)
        .or_else(|| types.first())
        .cloned()
        .ok_or_else(|| PageError(crate::error::AppError::BadRequest("没有巡查类型".into())))?;
    let mut l = Layout::new(format!("{} · {}", kind.name, node.name), user);
    l.crumbs = vec![(node.name.clone(), format!("/nodes/{}/patrols", node.id))];
    Ok(FormPage {
        l,
        schedule: sent.schedule.get(),
        node,
        kind,
        answers: ANSWERS,
        categories,
        dispute_types: shequ_domain::mediation::TYPES,
        units,
        f,
        error,
    })
}

async fn form(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    Ok(render(&form_page(&st, &user, id, q, None).await?))
}

/// The patrol form as sent; the checklist rows (`item_<n>`, in the type's order) and the
/// shared parts are read beside it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PatrolForm {
    #[serde(rename = "type")]
    kind: Text,
    schedule: Text,
    route: Text,
    findings: Text,
}

async fn save(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    sent: Submitted,
) -> PageResult {
    check_csrf(&user, &sent.fields)?;
    let form: PatrolForm = typed(&sent.fields);
    let actor = user.actor.clone();
    let types = st.db(patrols::types).await?;
    let kind = types.into_iter().find(|t| t.code == form.kind.get());
    let results = kind
        .as_ref()
        .map(|k| {
            answers(
                &sent.fields,
                k.checklist
                    .iter()
                    .enumerate()
                    .map(|(i, item)| (format!("item_{i}"), item.as_str())),
            )
        })
        .unwrap_or_default();
    let parts = FieldParts::of(&sent);
    let input = PatrolInput {
        node_id: Some(id),
        schedule_id: form.schedule.get().parse().ok(),
        type_code: kind.map(|k| k.code),
        patrolled_on: None,
        route: form.route.opt(),
        results,
        findings: form.findings.opt(),
        problems: parts.problems,
        disputes: parts.disputes,
        // Each ticked unit comes as its own field, `unit_<id>`.
        unit_ids: sent
            .fields
            .keys()
            .filter_map(|k| k.strip_prefix("unit_")?.parse().ok())
            .collect(),
        photos: Vec::new(),
        files: parts.files,
        worker_name: None,
        problems_found: None,
    };
    match st.db(move |c| patrols::record(c, &actor, &input)).await {
        Ok(done) => Ok(Redirect::to(&match done.ticket_ids.first() {
            Some(t) => format!("/tickets/{t}"),
            None => format!("/nodes/{id}/patrols?saved=1"),
        })
        .into_response()),
        Err(e) if matches!(e.status().as_u16(), 404 | 422) => {
            let mut r =
                render(&form_page(&st, &user, id, sent.fields.clone(), Some(e.message())).await?);
            *r.status_mut() = e.status();
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}
