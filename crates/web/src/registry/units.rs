use std::collections::HashMap;

use crate::extract::{Form, Path, Query};
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use shequ_domain::registry::UNIT_KINDS;
use shequ_store::registry::tree::{self, Node};
use shequ_store::registry::units::{self, Unit, UnitInput};

use crate::access::{Need, Routes, Target, rule};
use crate::auth::PageUser;
use crate::error::AppError;
use crate::pages::form::{Text, typed};
use crate::pages::{Layout, PageError, PageResult, check_csrf, render};
use crate::state::AppState;
use shequ_store::access::scope::RecordKind;

pub fn routes() -> Routes {
    Routes::new()
        .get(
            "/nodes/{id}/units",
            rule(Need::ViewArea, Target::Record(RecordKind::Node)),
            list,
        )
        .get(
            "/units/new",
            rule(Need::WritePeople, Target::None),
            new_form,
        )
        .post("/units/new", rule(Need::WritePeople, Target::None), create)
        .get(
            "/units/{id}",
            rule(Need::ViewArea, Target::Record(RecordKind::Unit)),
            edit_form,
        )
        .post(
            "/units/{id}",
            rule(Need::WritePeople, Target::Record(RecordKind::Unit)),
            update,
        )
}

#[derive(Template)]
#[template(path = "registry/units.html")]
struct UnitsPage {
    l: Layout,
    node: Node,
    units: Vec<Unit>,
    can_write: bool,
}

async fn list(State(st): State<AppState>, user: PageUser, Path(id): Path<i64>) -> PageResult {
    let actor = user.actor.clone();
    let (node, list) = st
        .db(move |c| Ok((tree::get(c, &actor, id)?, units::list(c, &actor, id, 500)?)))
        .await?;
    let mut l = Layout::new(format!("{} 辖区单位", node.name), &user);
    l.crumbs = vec![(node.name.clone(), format!("/nodes/{}", node.id))];
    Ok(render(&UnitsPage {
        l,
        node,
        units: list,
        can_write: user.actor.role.writes_people(),
    }))
}

#[derive(Default)]
struct UnitFields {
    name: String,
    kind: String,
    credit_code: String,
    address: String,
    contact_name: String,
    contact_phone: String,
    employees: String,
    safety_agreement_on: String,
    fire_agreement_on: String,
    notes: String,
}

/// The unit form as sent (new or edit).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct UnitSent {
    node_id: Text,
    version: Text,
    name: Text,
    kind: Text,
    credit_code: Text,
    address: Text,
    contact_name: Text,
    contact_phone: Text,
    employees: Text,
    safety_agreement_on: Text,
    fire_agreement_on: Text,
    notes: Text,
}

impl UnitFields {
    fn from_form(f: &UnitSent) -> UnitFields {
        UnitFields {
            name: f.name.get(),
            kind: f.kind.get(),
            credit_code: f.credit_code.get(),
            address: f.address.get(),
            contact_name: f.contact_name.get(),
            contact_phone: f.contact_phone.get(),
            employees: f.employees.get(),
            safety_agreement_on: f.safety_agreement_on.get(),
            fire_agreement_on: f.fire_agreement_on.get(),
            notes: f.notes.get(),
        }
    }

    fn from_unit(u: &Unit) -> UnitFields {
        let s = |o: &Option<String>| o.clone().unwrap_or_default();
        UnitFields {
            name: u.name.clone(),
            kind: u.kind.clone(),
            credit_code: s(&u.credit_code),
            address: s(&u.address),
            contact_name: u
                .contact_name
                .as_ref()
                .map(|n| n.to_string())
                .unwrap_or_default(),
            // Masked; sent back unchanged it keeps what is stored.
            contact_phone: u
                .contact_phone
                .as_ref()
                .map(|p| p.masked())
                .unwrap_or_default(),
            employees: u.employees.map(|e| e.to_string()).unwrap_or_default(),
            safety_agreement_on: u
                .safety_agreement_on
                .map(|d| d.to_string())
                .unwrap_or_default(),
            fire_agreement_on: u
                .fire_agreement_on
                .map(|d| d.to_string())
                .unwrap_or_default(),
            notes: s(&u.notes),
        }
    }
}

fn input_of(form: &UnitSent, node_id: i64) -> Result<UnitInput, PageError> {
    Ok(UnitInput {
        node_id,
        name: form.name.get(),
        kind: form.kind.get(),
        credit_code: form.credit_code.opt(),
        address: form.address.opt(),
        contact_name: form.contact_name.opt(),
        contact_phone: form.contact_phone.opt(),
        employees: form.employees.int("从业人数")?,
        safety_agreement_on: form.safety_agreement_on.date("安全生产责任书签订日期")?,
        fire_agreement_on: form.fire_agreement_on.date("消防安全责任书签订日期")?,
        notes: form.notes.opt(),
    })
}

#[derive(Template)]
#[template(path = "registry/unit_form.html")]
struct UnitForm {
    l: Layout,
    f: UnitFields,
    node_id: i64,
    version: String,
    error: Option<String>,
    kinds: &'static [&'static str],
}

/// Where a new unit is registered, as the units list links to the form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct NodeQuery {
    node: Text,
}

async fn new_form(user: PageUser, Query(q): Query<HashMap<String, String>>) -> PageResult {
    let q: NodeQuery = typed(&q);
    let node_id = q.node.int("所在位置")?.unwrap_or_default();
    let l = Layout::new("登记辖区单位", &user);
    Ok(render(&UnitForm {
        l,
        f: UnitFields::default(),
        node_id,
        version: String::new(),
        error: None,
        kinds: UNIT_KINDS,
    }))
}

fn retry(user: &PageUser, title: &str, form: &UnitSent, node_id: i64, e: AppError) -> PageResult {
    if !matches!(e.status().as_u16(), 409 | 422) {
        return Err(e.into());
    }
    let page = UnitForm {
        l: Layout::new(title, user),
        f: UnitFields::from_form(form),
        node_id,
        version: form.version.get(),
        error: Some(e.message()),
        kinds: UNIT_KINDS,
    };
    let mut r = render(&page);
    *r.status_mut() = e.status();
    Ok(r)
}

async fn create(
    State(st): State<AppState>,
    user: PageUser,
    Form(raw): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&user, &raw)?;
    let form: UnitSent = typed(&raw);
    let node_id = form.node_id.int("所在位置")?.unwrap_or_default();
    let input = input_of(&form, node_id)?;
    let actor = user.actor.clone();
    match st.db(move |c| units::create(c, &actor, &input)).await {
        Ok(id) => Ok(Redirect::to(&format!("/units/{id}")).into_response()),
        Err(e) => retry(&user, "登记辖区单位", &form, node_id, e),
    }
}

async fn edit_form(State(st): State<AppState>, user: PageUser, Path(id): Path<i64>) -> PageResult {
    let actor = user.actor.clone();
    let u = st.db(move |c| units::get(c, &actor, id)).await?;
    let mut l = Layout::new(u.name.clone(), &user);
    l.crumbs = vec![("辖区单位".into(), format!("/nodes/{}/units", u.node_id))];
    Ok(render(&UnitForm {
        l,
        f: UnitFields::from_unit(&u),
        node_id: u.node_id,
        version: u.version.to_string(),
        error: None,
        kinds: UNIT_KINDS,
    }))
}

async fn update(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Form(raw): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&user, &raw)?;
    let form: UnitSent = typed(&raw);
    let node_id = form.node_id.int("所在位置")?.unwrap_or_default();
    let version = form.version.int("版本")?;
    let input = input_of(&form, node_id)?;
    let actor = user.actor.clone();
    match st
        .db(move |c| units::update(c, &actor, id, &input, version))
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/nodes/{node_id}/units")).into_response()),
        Err(e) => retry(&user, "修改辖区单位", &form, node_id, e),
    }
}
