//! 调解 pages: a node's open cases, this month's 排查 register with a one-tap "nothing found"
//! round, the year's 排查率 and 调成率; opening a case (from a register entry or a walk-in);
//! a case with its parties, sessions, hand-offs, closing and the 人民调解协议书.

use std::collections::HashMap;

use crate::extract::{Form, Path, Query};
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Datelike;
use serde::Deserialize;
use shequ_domain::mediation::{HAND_OFFS, OUTCOMES, SOURCES, TYPES};
use shequ_store::mediation::{
    self, Case, CaseInput, CloseInput, DisputeFound, HandOffInput, MediationRates, PartyInput,
    Screening, ScreeningInput, SessionInput,
};
use shequ_store::registry::tree::{self, Node};

use crate::access::{Need, Routes, Target, rule};
use crate::auth::PageUser;
use crate::pages::files::Submitted;
use crate::pages::form::{Text, typed};
use crate::pages::{Layout, PageError, PageResult, check_csrf, render};
use crate::state::AppState;
use shequ_store::access::scope::RecordKind;

pub fn routes() -> Routes {
    Routes::new()
        .get(
            "/nodes/{id}/mediation",
            rule(Need::ReadPeople, Target::Record(RecordKind::Node)),
            overview,
        )
        .post(
            "/nodes/{id}/screenings",
            rule(Need::WritePeople, Target::Record(RecordKind::Node)),
            screen,
        )
        .get(
            "/nodes/{id}/mediation/new",
            rule(Need::WritePeople, Target::Record(RecordKind::Node)),
            new_form,
        )
        .post(
            "/nodes/{id}/mediation/new",
            rule(Need::WritePeople, Target::Record(RecordKind::Node)),
            open,
        )
        .get(
            "/mediation-cases/{id}",
            rule(Need::ReadPeople, Target::Record(RecordKind::Mediation)),
            show,
        )
        .post(
            "/mediation-cases/{id}/steps",
            rule(Need::WritePeople, Target::Record(RecordKind::Mediation)),
            step,
        )
        .get(
            "/mediation-cases/{id}/agreement.docx",
            rule(Need::WritePeople, Target::Record(RecordKind::Mediation)),
            agreement,
        )
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DisputeForm {
    dispute_type: Text,
    dispute_summary: Text,
}

/// The dispute a visit or patrol form reports, if its summary was filled in.
pub fn disputes_found(f: &HashMap<String, String>) -> Vec<DisputeFound> {
    let form: DisputeForm = typed(f);
    form.dispute_summary
        .opt()
        .map(|summary| {
            vec![DisputeFound {
                type_code: form.dispute_type.get(),
                summary,
            }]
        })
        .unwrap_or_default()
}

#[derive(Template)]
#[template(path = "mediation/mediation.html")]
struct Overview {
    l: Layout,
    node: Node,
    cases: Vec<Case>,
    register: Vec<Screening>,
    rates: MediationRates,
    types: &'static [(&'static str, &'static str, i64)],
    can_write: bool,
    is_grid: bool,
}

async fn overview(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let actor = user.actor.clone();
    let today = shequ_store::today();
    let month = today.with_day(1).unwrap_or(today);
    let (year, _) = crate::figures::this_year_so_far();
    let (node, cases, register, rates) = st
        .db(move |c| {
            Ok((
                tree::get(c, &actor, id)?,
                mediation::list(c, &actor, id, true)?,
                mediation::register(c, &actor, id, month, today)?,
                mediation::rates(c, &actor, id, year, today)?,
            ))
        })
        .await?;
    let mut l = Layout::new(format!("{} 调解", node.name), &user);
    l.crumbs = vec![(node.name.clone(), format!("/nodes/{}", node.id))];
    l.flash = q.get("screened").map(|_| "排查已登记".to_string());
    Ok(render(&Overview {
        l,
        is_grid: node.kind >= shequ_domain::registry::org::NodeKind::Grid,
        node,
        cases,
        register,
        rates,
        types: TYPES,
        can_write: user.actor.role.writes_people(),
    }))
}

/// A 排查 entry: the day, and the dispute found (`disputes_found`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ScreeningForm {
    screened_on: Text,
}

async fn screen(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&user, &f)?;
    let form: ScreeningForm = typed(&f);
    let input = ScreeningInput {
        screened_on: form.screened_on.date("排查日期")?,
        disputes: disputes_found(&f),
    };
    let actor = user.actor.clone();
    st.db(move |c| mediation::screen(c, &actor, id, &input))
        .await?;
    Ok(Redirect::to(&format!("/nodes/{id}/mediation?screened=1")).into_response())
}

#[derive(Template)]
#[template(path = "mediation/mediation_form.html")]
struct NewCase {
    l: Layout,
    node: Node,
    types: &'static [(&'static str, &'static str, i64)],
    sources: &'static [(&'static str, &'static str)],
    f: HashMap<String, String>,
    error: Option<String>,
}

impl CasePage {
    fn when(&self, s: &str) -> String {
        crate::pages::local_time(s)
    }
}

impl NewCase {
    fn value(&self, key: &str) -> String {
        self.f.get(key).cloned().unwrap_or_default()
    }
}

async fn new_page(
    st: &AppState,
    user: &PageUser,
    id: i64,
    f: HashMap<String, String>,
    error: Option<String>,
) -> Result<NewCase, PageError> {
    let actor = user.actor.clone();
    let node = st.db(move |c| tree::get(c, &actor, id)).await?;
    let mut l = Layout::new("登记调解案件", user);
    l.crumbs = vec![(node.name.clone(), format!("/nodes/{}/mediation", node.id))];
    Ok(NewCase {
        l,
        node,
        types: TYPES,
        sources: SOURCES,
        f,
        error,
    })
}

async fn new_form(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    Ok(render(&new_page(&st, &user, id, q, None).await?))
}

/// A party as the case form names its fields, by side (`a_name`, `b_phone`, …).
fn party(f: &HashMap<String, String>, prefix: &str, side: &str) -> Option<PartyInput> {
    let text = |key: &str| Text::of(f.get(&format!("{prefix}_{key}"))).opt();
    let name = text("name")?;
    Some(PartyInput {
        side: side.into(),
        person_id: None,
        name: Some(name),
        sex: text("sex"),
        id_number: text("id"),
        phone: text("phone"),
        address: text("address"),
    })
}

/// A case opened from the page; its parties (`a_*`, `b_*`) are read beside it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CaseForm {
    type_code: Text,
    source: Text,
    referred_by: Text,
    employer: Text,
    summary: Text,
    mediator: Text,
    received_on: Text,
    screening_id: Text,
}

/// The case form keeps a draft and may be sent from the outbox (`data-keep`): it takes the
/// form plain or multipart, as `field.js` or the browser sends it.
async fn open(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Submitted { fields: f, .. }: Submitted,
) -> PageResult {
    check_csrf(&user, &f)?;
    let form: CaseForm = typed(&f);
    let input = CaseInput {
        node_id: id,
        type_code: form.type_code.get(),
        source: form.source.opt(),
        referred_by: form.referred_by.opt(),
        employer: form.employer.opt(),
        summary: form.summary.get(),
        mediator: form.mediator.opt(),
        received_on: form.received_on.date("受理日期")?,
        parties: [party(&f, "a", "applicant"), party(&f, "b", "respondent")]
            .into_iter()
            .flatten()
            .collect(),
        screening_id: form.screening_id.int("排查记录")?,
    };
    let actor = user.actor.clone();
    match st.db(move |c| mediation::open(c, &actor, &input)).await {
        Ok(case) => Ok(Redirect::to(&format!("/mediation-cases/{case}")).into_response()),
        Err(e) if e.status().as_u16() == 422 => {
            let mut r = render(&new_page(&st, &user, id, f, Some(e.message())).await?);
            *r.status_mut() = e.status();
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "mediation/mediation_case.html")]
struct CasePage {
    l: Layout,
    c: Case,
    outcomes: &'static [(&'static str, &'static str)],
    hand_offs: Vec<(&'static str, &'static str)>,
    can_write: bool,
    error: Option<String>,
    hl: crate::figures::highlights::Shown,
    hl_action: String,
    hl_kind: &'static str,
}

async fn case_page(
    st: &AppState,
    user: &PageUser,
    id: i64,
    error: Option<String>,
) -> Result<CasePage, PageError> {
    let actor = user.actor.clone();
    let (c, hl) = st
        .db(move |conn| {
            let c = mediation::get(conn, &actor, id)?;
            let hl = crate::figures::highlights::shown(
                conn,
                &actor,
                shequ_store::highlights::Marked::MediationCase,
                id,
            )?;
            Ok((c, hl))
        })
        .await?;
    let mut l = Layout::new(format!("调解 {}", c.case_no), user);
    l.crumbs = vec![("调解".into(), format!("/nodes/{}/mediation", c.node_id))];
    let hand_offs = HAND_OFFS
        .iter()
        .copied()
        .filter(|(a, _)| c.hand_offs.iter().any(|h| h == a))
        .collect();
    Ok(CasePage {
        l,
        c,
        outcomes: OUTCOMES,
        hand_offs,
        can_write: user.actor.role.writes_people(),
        error,
        hl,
        hl_action: format!("/mediation-cases/{id}/highlight"),
        hl_kind: "case",
    })
}

async fn show(State(st): State<AppState>, user: PageUser, Path(id): Path<i64>) -> PageResult {
    Ok(render(&case_page(&st, &user, id, None).await?))
}

/// A case's step forms (a session, a hand-off, closing) as sent; `step` says which.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CaseStepForm {
    version: Text,
    step: Text,
    held_on: Text,
    place: Text,
    mediators: Text,
    notes: Text,
    action: Text,
    counterpart: Text,
    note: Text,
    outcome: Text,
    closed_on: Text,
    agreement: Text,
    performance: Text,
}

/// One form per step: a session, a hand-off, closing.
async fn step(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&user, &f)?;
    let form: CaseStepForm = typed(&f);
    let version = form.version.int("版本")?.unwrap_or_default();
    let actor = user.actor.clone();
    let kind = form.step.get();
    let result = match kind.as_str() {
        "session" => {
            let input = SessionInput {
                held_on: form.held_on.date("调解日期")?,
                place: form.place.opt(),
                mediators: form.mediators.opt(),
                notes: form.notes.get(),
                version,
            };
            st.db(move |c| mediation::add_session(c, &actor, id, &input))
                .await
        }
        "hand_off" => {
            let input = HandOffInput {
                action: form.action.get(),
                counterpart: form.counterpart.get(),
                note: form.note.opt(),
                version,
            };
            st.db(move |c| mediation::hand_off(c, &actor, id, &input))
                .await
        }
        _ => {
            let input = CloseInput {
                outcome: form.outcome.get(),
                closed_on: form.closed_on.date("结案日期")?,
                agreement: form.agreement.opt(),
                performance: form.performance.opt(),
                note: form.note.opt(),
                version,
            };
            st.db(move |c| mediation::close(c, &actor, id, &input))
                .await
        }
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/mediation-cases/{id}")).into_response()),
        Err(e) if matches!(e.status().as_u16(), 409 | 422) => {
            let mut r = render(&case_page(&st, &user, id, Some(e.message())).await?);
            *r.status_mut() = e.status();
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

async fn agreement(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    match crate::mediation::agreement::download(&st, user.actor, id).await {
        // Full ID numbers and phones: pass the second factor first, then come back.
        Err(crate::error::AppError::Store(shequ_store::StoreError::SecondFactor)) => {
            let next = crate::auth::url_encode(&format!("/mediation-cases/{id}"));
            Ok(Redirect::to(&format!("/account?next={next}")).into_response())
        }
        other => Ok(other?),
    }
}
