use std::collections::HashMap;

use crate::extract::{Form, Path, Query};
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use shequ_domain::registry::UNIT_KINDS;
use shequ_store::registry::tree::{self, Node};
use shequ_store::registry::units::{self, Unit, UnitInput};

use crate::access::{Need, Routes, Target, rule};
use crate::auth::PageUser;
use crate::error::AppError;
use crate::pages::{
    Layout, PageError, PageResult, check_csrf, date_field, field, int_field, opt_field, render,
};
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

impl UnitFields {
    fn from_form(f: &HashMap<String, String>) -> UnitFields {
        UnitFields {
            name: field(f, "name"),
            kind: field(f, "kind"),
            credit_code: field(f, "credit_code"),
            address: field(f, "address"),
            contact_name: field(f, "contact_name"),
            contact_phone: field(f, "contact_phone"),
            employees: field(f, "employees"),
            safety_agreement_on: field(f, "safety_agreement_on"),
            fire_agreement_on: field(f, "fire_agreement_on"),
            notes: field(f, "notes"),
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

fn input_of(form: &HashMap<String, String>, node_id: i64) -> Result<UnitInput, PageError> {
    Ok(UnitInput {
        node_id,
        name: field(form, "name"),
        kind: field(form, "kind"),
        credit_code: opt_field(form, "credit_code"),
        address: opt_field(form, "address"),
        contact_name: opt_field(form, "contact_name"),
        contact_phone: opt_field(form, "contact_phone"),
        employees: int_field(form, "employees", "从业人数")?,
        safety_agreement_on: date_field(form, "safety_agreement_on", "安全生产责任书签订日期")?,
        fire_agreement_on: date_field(form, "fire_agreement_on", "消防安全责任书签订日期")?,
        notes: opt_field(form, "notes"),
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

async fn new_form(user: PageUser, Query(q): Query<HashMap<String, String>>) -> PageResult {
    let node_id = int_field(&q, "node", "所在位置")?.unwrap_or_default();
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

fn retry(
    user: &PageUser,
    title: &str,
    form: &HashMap<String, String>,
    node_id: i64,
    e: AppError,
) -> PageResult {
    if !matches!(e.status().as_u16(), 409 | 422) {
        return Err(e.into());
    }
    let page = UnitForm {
        l: Layout::new(title, user),
        f: UnitFields::from_form(form),
        node_id,
        version: field(form, "version"),
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
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&user, &form)?;
    let node_id = int_field(&form, "node_id", "所在位置")?.unwrap_or_default();
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
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&user, &form)?;
    let node_id = int_field(&form, "node_id", "所在位置")?.unwrap_or_default();
    let version = int_field(&form, "version", "版本")?;
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
