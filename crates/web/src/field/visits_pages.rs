//! 走访 pages, phone-first: the due list of a node (a grid worker's "我的走访"), with overdue
//! counts per grid and worker for the community head, and the visit form: the person, their
//! home and last visit already there, so a routine visit is two taps.

use std::collections::HashMap;

use crate::extract::{Path, Query};
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use shequ_store::field::visits::{
    self, DueCounts, DueGroup, DueVisit, GridOverdue, PastVisit, VisitInput,
};
use shequ_store::registry::people::{self, Person};
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

pub fn routes() -> Routes {
    Routes::new()
        .get(
            "/nodes/{id}/visits",
            rule(Need::ReadPeople, Target::Record(RecordKind::Node)),
            due_list,
        )
        .get(
            "/persons/{id}/visits/new",
            rule(Need::WritePeople, Target::Record(RecordKind::Person)),
            form,
        )
        .upload(
            "/persons/{id}/visits/new",
            rule(Need::WritePeople, Target::Record(RecordKind::Person)),
            PHOTO_BODY_LIMIT,
            save,
        )
}

#[derive(Template)]
#[template(path = "field/visits_due.html")]
struct DuePage {
    l: Layout,
    node: Node,
    /// The groups shown (all three, or the one asked for), each with its people.
    groups: Vec<(DueGroup, Vec<DueVisit>)>,
    counts: DueCounts,
    /// The group and building asked for ("" for all).
    group: String,
    building: i64,
    /// The buildings with someone due, in building order: (id, name, how many).
    buildings: Vec<(i64, String, usize)>,
    grids: Vec<GridOverdue>,
}

impl DuePage {
    /// The list's address with one filter changed.
    fn href(&self, group: &str, building: &i64) -> String {
        let building = *building;
        let mut q = Vec::new();
        if !group.is_empty() {
            q.push(format!("group={group}"));
        }
        if building > 0 {
            q.push(format!("building={building}"));
        }
        format!("/nodes/{}/visits?{}", self.node.id, q.join("&"))
    }
}

/// How far ahead the due list looks: this week and the weeks after it.
pub const DUE_HORIZON_DAYS: i64 = 30;

async fn due_list(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let actor = user.actor.clone();
    let heads = shequ_domain::tickets::manages_tickets(actor.role);
    let (node, due, grids) = st
        .db(move |c| {
            let node = tree::get(c, &actor, id)?;
            let due = visits::due(c, &actor, id, DUE_HORIZON_DAYS)?;
            let grids = if heads && node.kind < shequ_domain::registry::org::NodeKind::Grid {
                visits::overdue_by_grid(c, &actor, id)?
            } else {
                Vec::new()
            };
            Ok((node, due, grids))
        })
        .await?;
    let mut l = Layout::new(format!("{} 走访", node.name), &user);
    l.crumbs = vec![(node.name.clone(), format!("/nodes/{}", node.id))];
    l.flash = q.get("saved").map(|_| "走访已记录".to_string());
    let group = q.get("group").and_then(|g| DueGroup::parse(g));
    let building: i64 = q.get("building").and_then(|b| b.parse().ok()).unwrap_or(0);
    // The buildings with someone due, in building order ("2幢" before "11幢").
    let mut buildings: Vec<(i64, String, usize)> = Vec::new();
    for d in &due {
        if let (Some(id), Some(name)) = (d.building_id, &d.building) {
            match buildings.iter_mut().find(|b| b.0 == id) {
                Some(b) => b.2 += 1,
                None => buildings.push((id, name.clone(), 1)),
            }
        }
    }
    buildings.sort_by_key(|b| visits::natural(&b.1));
    let here: Vec<DueVisit> = due
        .into_iter()
        .filter(|d| building == 0 || d.building_id == Some(building))
        .collect();
    let counts = DueCounts::of(&here);
    let groups = DueGroup::ALL
        .into_iter()
        .filter(|g| group.is_none_or(|w| w == *g))
        .map(|g| (g, here.iter().filter(|d| d.group == g).cloned().collect()))
        .collect();
    Ok(render(&DuePage {
        l,
        node,
        groups,
        counts,
        group: group.map(|g| g.as_str().to_string()).unwrap_or_default(),
        building,
        buildings,
        grids,
    }))
}

#[derive(Template)]
#[template(path = "field/visit_form.html")]
struct FormPage {
    l: Layout,
    person: Person,
    address: String,
    past: Vec<PastVisit>,
    category_groups: Vec<(String, Vec<Category>)>,
    /// The 六清 to ask, for the registered unemployed (empty otherwise).
    six_clear: &'static [&'static str],
    /// The day of the visit whose 六清 answers the form starts from.
    six_clear_from: Option<chrono::NaiveDate>,
    dispute_types: &'static [(&'static str, &'static str, i64)],
    back: i64,
    f: HashMap<String, String>,
    error: Option<String>,
}

impl FormPage {
    fn value(&self, key: &str) -> String {
        self.f.get(key).cloned().unwrap_or_default()
    }
}

async fn form_page(
    st: &AppState,
    user: &PageUser,
    id: i64,
    back: i64,
    f: HashMap<String, String>,
    error: Option<String>,
) -> Result<FormPage, PageError> {
    let actor = user.actor.clone();
    let (person, address, past, categories, unemployed) = st
        .db(move |c| {
            let person = people::get(c, &actor, id)?;
            let unemployed = shequ_store::registry::tags::for_person(c, id)?
                .iter()
                .any(|t| t.ended_on.is_none() && visits::asks_six_clear(&t.kind));
            let address = people::current_home(c, id)?
                .map(|h| h.address)
                .unwrap_or_default();
            let past = visits::history(c, &actor, id, 20)?;
            let cats = tickets::category_groups(c, &[person.community_id])?;
            Ok((person, address, past, cats, unemployed))
        })
        .await?;
    let l = Layout::new(format!("走访 {}", person.name), user);
    // Enter once: a fresh form starts from the last 六清 answers; the worker confirms or
    // changes them. A refused form keeps what was sent.
    let mut f = f;
    let mut six_clear_from = None;
    if unemployed
        && f.is_empty()
        && let Some(last) = past
            .iter()
            .find(|p| visits::SIX_CLEAR.iter().any(|k| p.items.contains_key(*k)))
    {
        for k in visits::SIX_CLEAR {
            if let Some(v) = last.items.get(*k) {
                f.insert(format!("clear_{k}"), v.clone());
            }
        }
        six_clear_from = Some(last.visited_on);
    }
    Ok(FormPage {
        six_clear_from,
        l,
        person,
        address,
        past,
        category_groups: categories,
        six_clear: if unemployed { visits::SIX_CLEAR } else { &[] },
        dispute_types: shequ_domain::mediation::TYPES,
        back,
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
    let back = q.get("back").and_then(|v| v.parse().ok()).unwrap_or(0);
    Ok(render(
        &form_page(&st, &user, id, back, HashMap::new(), None).await?,
    ))
}

/// The visit form as sent; the 六清 rows (`clear_<item>`) and the shared parts are read
/// beside it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct VisitForm {
    back: Text,
    visited_on: Text,
    kind: Text,
    findings: Text,
}

async fn save(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    sent: Submitted,
) -> PageResult {
    check_csrf(&user, &sent.fields)?;
    let form: VisitForm = typed(&sent.fields);
    let back: i64 = form.back.get().parse().unwrap_or(0);
    let parts = FieldParts::of(&sent);
    let input = VisitInput {
        person_id: id,
        visited_on: form.visited_on.date("走访日期")?,
        kind: form.kind.opt(),
        findings: form.findings.opt(),
        items: answers(
            &sent.fields,
            visits::SIX_CLEAR.iter().map(|k| (format!("clear_{k}"), *k)),
        ),
        problems: parts.problems,
        disputes: parts.disputes,
        photos: Vec::new(),
        files: parts.files,
        worker_name: None,
    };
    let actor = user.actor.clone();
    match st.db(move |c| visits::record(c, &actor, &input)).await {
        Ok(done) => {
            let to = match (done.ticket_ids.first(), back) {
                (Some(ticket), _) => format!("/tickets/{ticket}"),
                (None, b) if b > 0 => format!("/nodes/{b}/visits?saved=1"),
                _ => format!("/people/{id}"),
            };
            Ok(Redirect::to(&to).into_response())
        }
        Err(e) if e.status().as_u16() == 422 => {
            let mut r =
                render(&form_page(&st, &user, id, back, sent.fields, Some(e.message())).await?);
            *r.status_mut() = e.status();
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}
