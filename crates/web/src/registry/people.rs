use std::collections::{BTreeMap, HashMap};

use crate::extract::{Form, Path, Query};
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use shequ_domain::registry::tags::{FieldSpec, FieldType, TAG_KINDS, TagKind, tag_kind};
use shequ_domain::registry::{DOC_TYPES, EMPLOYMENT, ETHNICITIES, PERSON_TYPES, RELATIONS};
use shequ_store::access::personal::{IdNo, PhoneNo, Revealed};
use shequ_store::field::visits::{self, PastVisit};
use shequ_store::mediation::{self, Case};
use shequ_store::registry::groups::{self, Group};
use shequ_store::registry::people::{self, CurrentHome, Person, PersonInput, Residence, Resident};
use shequ_store::registry::search::{age_on, room_by_address};
use shequ_store::registry::tags::{self, Tag, TagInput};
use shequ_store::tickets::{self, Ticket};
use shequ_store::{StoreError, registry::tree, today};

use crate::access::{Need, Routes, Target, rule};
use crate::auth::PageUser;
use crate::error::AppError;
use crate::pages::form::{Text, typed};
use crate::pages::{Layout, PageError, PageResult, check_csrf, render};
use crate::registry::tree::crumbs;
use crate::state::AppState;
use shequ_store::access::scope::RecordKind;

pub fn routes() -> Routes {
    let read = rule(Need::ReadPeople, Target::Record(RecordKind::Person));
    let write = rule(Need::WritePeople, Target::Record(RecordKind::Person));
    Routes::new()
        .get(
            "/people/new",
            rule(Need::WritePeople, Target::None),
            new_form,
        )
        .post("/people/new", rule(Need::WritePeople, Target::None), create)
        .get("/people/{id}", read, profile)
        .post("/people/{id}/reveal", read, reveal)
        .post("/people/{id}/call", write, call)
        .get("/people/{id}/edit", write, edit_form)
        .post("/people/{id}/edit", write, update)
        .post("/people/{id}/move-out", write, move_out)
        .post("/people/{id}/relocate", write, relocate)
        .get("/people/{id}/tags/new", write, tag_form)
        .post("/people/{id}/tags", write, add_tag)
        .post(
            "/tags/{id}/end",
            rule(Need::WritePeople, Target::Record(RecordKind::Tag)),
            end_tag,
        )
        .post("/people/{id}/group", write, join_group)
        .post(
            "/groups/{id}/leader",
            rule(Need::WritePeople, Target::Record(RecordKind::Group)),
            make_leader,
        )
}

#[derive(Template)]
#[template(path = "registry/person.html")]
struct Profile {
    l: Layout,
    p: Person,
    age: i64,
    home: Option<CurrentHome>,
    members: Vec<Resident>,
    tags: Vec<Tag>,
    history: Vec<shequ_store::registry::history::HistoryEntry>,
    tag_kinds: &'static [TagKind],
    group: Option<Group>,
    grid_groups: Vec<Group>,
    relations: &'static [&'static str],
    can_write: bool,
    today: NaiveDate,
    /// The full values, shown after a stated reason and the second factor.
    full: Option<FullValues>,
    /// The person's visits, the tickets those raised and the cases they are a party to.
    visits: Vec<PastVisit>,
    tickets: Vec<Ticket>,
    cases: Vec<Case>,
    reveal_error: Option<String>,
    /// This session passed the second factor: no code needed to reveal.
    mfa: bool,
    reveal_reasons: &'static [&'static str],
}

/// Reasons offered for revealing (a worker may type another).
const REVEAL_REASONS: &[&str] = &[
    "入户走访，核对身份",
    "办理低保/救助业务",
    "上级部门核查",
    "联系本人或家属",
    "更正登记错误",
];

/// What the audited reveal opened, as the page shows it.
struct FullValues {
    name: String,
    id_number: Option<String>,
    doc_no: Option<String>,
    phone: Option<String>,
}

impl FullValues {
    fn of(p: &Person, proof: &Revealed) -> FullValues {
        FullValues {
            name: p.name.full(proof).to_string(),
            id_number: p.id_number.as_ref().map(|v| v.full(proof).to_string()),
            doc_no: p.doc_no.as_ref().map(|v| v.full(proof).to_string()),
            phone: p.phone.as_ref().map(|v| v.full(proof).to_string()),
        }
    }
}

#[derive(Template)]
#[template(path = "registry/person_call.html")]
struct CallPage {
    l: Layout,
    person_id: i64,
    name: String,
    phone: String,
}

/// 拨打电话: the number in full on a page of its own, only as the `tel:` link a phone dials;
/// the opening is audited (reason 电话联系). A POST, so a link preview or prefetch never
/// opens it.
async fn call(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&user, &form)?;
    let actor = user.actor.clone();
    let (p, phone, proof) = st
        .db(move |c| {
            let (phone, proof) = people::call(c, &actor, id)?;
            Ok((people::get(c, &actor, id)?, phone, proof))
        })
        .await?;
    let mut l = Layout::new(format!("拨打 {}", p.name), &user);
    l.crumbs = vec![(p.name.to_string(), format!("/people/{id}"))];
    let mut resp = render(&CallPage {
        l,
        person_id: id,
        name: p.name.to_string(),
        phone: phone.full(&proof).to_string(),
    })
    .into_response();
    resp.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(resp)
}

async fn profile(State(st): State<AppState>, user: PageUser, Path(id): Path<i64>) -> PageResult {
    show_profile(st, user, id, None).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RevealForm {
    reason: Text,
    code: Text,
}

/// Shows the full ID number and phone: the reason is required, and a session that has not
/// passed the second factor types a code in the same form.
async fn reveal(
    State(st): State<AppState>,
    mut user: PageUser,
    Path(id): Path<i64>,
    Form(raw): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&user, &raw)?;
    let form: RevealForm = typed(&raw);
    let reason = form.reason.get();
    let code = form.code.get();
    if !user.actor.mfa && !code.trim().is_empty() && reason.trim().chars().count() >= 2 {
        let (actor, token) = (user.actor.clone(), user.token.clone());
        let checked = st
            .db(move |c| shequ_store::access::second_factor::verify(c, &actor, &token, &code))
            .await;
        match checked {
            Ok(()) => user.actor.mfa = true,
            Err(e) => return show_profile(st, user, id, Some(Err(e.message()))).await,
        }
    }
    let actor = user.actor.clone();
    match st.db(move |c| people::reveal(c, &actor, id, &reason)).await {
        Ok(full) => show_profile(st, user, id, Some(Ok(full))).await,
        Err(e @ AppError::Store(StoreError::Invalid { .. } | StoreError::SecondFactor)) => {
            show_profile(st, user, id, Some(Err(e.message()))).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn show_profile(
    st: AppState,
    user: PageUser,
    id: i64,
    revealed: Option<Result<(Person, Revealed), String>>,
) -> PageResult {
    let actor = user.actor.clone();
    let (p, home, members, tags, history, crumbs, group, grid_groups, work) = st
        .db(move |c| {
            let p = people::get(c, &actor, id)?;
            let home = people::current_home(c, id)?;
            let (members, crumbs) = match &home {
                Some(h) => {
                    let room = tree::get(c, &actor, h.room_id)?;
                    let mut cr = crumbs(c, &actor, &room)?;
                    cr.push((room.name.clone(), format!("/nodes/{}", room.id)));
                    let m = people::household_members(c, &actor, h.household_id)?.1;
                    (m.into_iter().filter(|m| m.person_id != id).collect(), cr)
                }
                None => (vec![], vec![]),
            };
            let tags = tags::for_person(c, id)?;
            let history = shequ_store::registry::history::history(c, &actor, id)?;
            let (group, grid) = groups::of_person(c, &actor, id)?;
            let grid_groups = match grid {
                Some(g) => groups::for_grid(c, &actor, g)?,
                None => vec![],
            };
            let work = (
                visits::history(c, &actor, id, 20)?,
                tickets::for_person(c, &actor, id, 20)?,
                mediation::cases_of_person(c, &actor, id)?,
            );
            Ok((
                p,
                home,
                members,
                tags,
                history,
                crumbs,
                group,
                grid_groups,
                work,
            ))
        })
        .await?;
    let (full, reveal_error) = match revealed {
        Some(Ok((p, proof))) => (Some(FullValues::of(&p, &proof)), None),
        Some(Err(message)) => (None, Some(message)),
        None => (None, None),
    };
    let (visits, tickets, cases) = work;
    let mut l = Layout::new(p.name.to_string(), &user);
    l.crumbs = crumbs;
    Ok(render(&Profile {
        age: age_on(p.birth_date, today()),
        l,
        p,
        full,
        visits,
        tickets,
        cases,
        reveal_error,
        mfa: user.actor.mfa,
        reveal_reasons: REVEAL_REASONS,
        home,
        members,
        tags,
        history,
        tag_kinds: TAG_KINDS,
        group,
        grid_groups,
        relations: RELATIONS,
        can_write: user.actor.role.writes_people(),
        today: today(),
    }))
}

/// The form's values as typed, so a rejected form comes back with everything still in it.
#[derive(Default)]
struct PersonFields {
    name: String,
    id_number: String,
    doc_type: String,
    doc_no: String,
    sex: String,
    birth_date: String,
    phone: String,
    ethnicity: String,
    person_type: String,
    registered_here: bool,
    employment: String,
    notes: String,
}

/// The person form as sent: the person, then where a new one lives (new only) or the version
/// edited (edit only). `registered_here` is a checkbox, read beside it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PersonSent {
    name: Text,
    id_number: Text,
    doc_type: Text,
    doc_no: Text,
    sex: Text,
    birth_date: Text,
    phone: Text,
    ethnicity: Text,
    person_type: Text,
    employment: Text,
    notes: Text,
    household_id: Text,
    relation: Text,
    moved_in_on: Text,
    version: Text,
}

impl PersonFields {
    fn from_form(raw: &HashMap<String, String>, f: &PersonSent) -> PersonFields {
        PersonFields {
            name: f.name.get(),
            id_number: f.id_number.get(),
            doc_type: f.doc_type.get(),
            doc_no: f.doc_no.get(),
            sex: f.sex.get(),
            birth_date: f.birth_date.get(),
            phone: f.phone.get(),
            ethnicity: f.ethnicity.get(),
            person_type: f.person_type.get(),
            // A checkbox counts by being sent, whatever its value.
            registered_here: raw.contains_key("registered_here"),
            employment: f.employment.get(),
            notes: f.notes.get(),
        }
    }

    fn from_person(p: &Person) -> PersonFields {
        PersonFields {
            name: p.name.to_string(),
            id_number: p.id_number.as_ref().map(IdNo::masked).unwrap_or_default(),
            doc_type: p.doc_type.clone().unwrap_or_default(),
            doc_no: p.doc_no.as_ref().map(IdNo::masked).unwrap_or_default(),
            // Typed only when there is no ID number to derive them from.
            sex: if p.id_number.is_none() {
                p.sex.clone()
            } else {
                String::new()
            },
            birth_date: if p.id_number.is_none() {
                p.birth_date.to_string()
            } else {
                String::new()
            },
            phone: p.phone.as_ref().map(PhoneNo::masked).unwrap_or_default(),
            ethnicity: p.ethnicity.clone(),
            person_type: p.person_type.clone(),
            registered_here: p.registered_here,
            employment: p.employment.clone().unwrap_or_default(),
            notes: p.notes.clone().unwrap_or_default(),
        }
    }

    fn input(&self) -> Result<PersonInput, AppError> {
        let opt = |s: &str| Some(s.to_string()).filter(|s| !s.is_empty());
        let birth_date = opt(&self.birth_date)
            .map(|d| shequ_domain::dates::parse_date(&d))
            .transpose()
            .map_err(|e| StoreError::invalid("出生日期", e.to_string()))?;
        Ok(PersonInput {
            name: self.name.clone(),
            id_number: opt(&self.id_number),
            doc_type: opt(&self.doc_type),
            doc_no: opt(&self.doc_no),
            sex: opt(&self.sex),
            birth_date,
            phone: opt(&self.phone),
            ethnicity: opt(&self.ethnicity),
            person_type: opt(&self.person_type),
            registered_here: Some(self.registered_here),
            employment: opt(&self.employment),
            notes: opt(&self.notes),
        })
    }
}

#[derive(Template)]
#[template(path = "registry/person_form.html")]
struct PersonForm {
    l: Layout,
    f: PersonFields,
    error: Option<String>,
    existing: Option<String>,
    is_new: bool,
    version: String,
    address: Option<String>,
    households: Vec<(i64, String)>,
    ethnicities: &'static [&'static str],
    doc_types: &'static [&'static str],
    person_types: &'static [&'static str],
    employment: &'static [&'static str],
    relations: &'static [&'static str],
    today: NaiveDate,
}

impl PersonForm {
    fn new(l: Layout, f: PersonFields, is_new: bool) -> PersonForm {
        PersonForm {
            l,
            f,
            error: None,
            existing: None,
            is_new,
            version: String::new(),
            address: None,
            households: vec![],
            ethnicities: ETHNICITIES,
            doc_types: DOC_TYPES,
            person_types: PERSON_TYPES,
            employment: EMPLOYMENT,
            relations: RELATIONS,
            today: today(),
        }
    }

    /// Shows the form again with the error above it; only input errors come back this way.
    fn with_error(mut self, e: AppError) -> Result<Response, PageError> {
        match &e {
            AppError::Store(StoreError::Invalid { .. } | StoreError::Conflict(_)) => {}
            AppError::Store(StoreError::DuplicatePerson { existing, .. }) => {
                self.existing = Some(format!("/people/{existing}"));
            }
            _ => return Err(e.into()),
        }
        self.error = Some(e.message());
        let mut r = render(&self);
        *r.status_mut() = e.status();
        Ok(r)
    }
}

/// The room's address and the households living there now, for the new-person form.
async fn room_context(
    st: &AppState,
    user: &PageUser,
    room: i64,
) -> Result<(String, Vec<(i64, String)>, Vec<(String, String)>), AppError> {
    let actor = user.actor.clone();
    st.db(move |c| {
        let node = tree::get(c, &actor, room)?;
        let address = tree::address_of(c, &node)?;
        let mut households: Vec<(i64, String)> = Vec::new();
        for r in people::residents_of_room(c, &actor, room)? {
            if let Some(h) = households.iter_mut().find(|h| h.0 == r.household_id) {
                h.1.push_str(&format!("、{}", r.name));
            } else {
                households.push((
                    r.household_id,
                    format!("第{}户：{}", r.household_id, r.name),
                ));
            }
        }
        let mut cr = crumbs(c, &actor, &node)?;
        cr.push((node.name.clone(), format!("/nodes/{}", node.id)));
        Ok((address, households, cr))
    })
    .await
}

/// The room a new person is registered in, as the room's page links to the form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RoomQuery {
    room: Text,
}

async fn new_form(
    State(st): State<AppState>,
    user: PageUser,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let q: RoomQuery = typed(&q);
    let room = q.room.int("房屋")?.ok_or_else(|| {
        PageError(AppError::BadRequest(
            "请先在楼栋里选到具体的房屋（户），再登记人员".into(),
        ))
    })?;
    let (address, households, crumbs) = room_context(&st, &user, room).await?;
    let mut l = Layout::new("登记人员", &user);
    l.crumbs = crumbs;
    let mut form = PersonForm::new(
        l,
        PersonFields {
            registered_here: true,
            ..Default::default()
        },
        true,
    );
    form.address = Some(address);
    form.households = households;
    Ok(render(&form))
}

async fn create(
    State(st): State<AppState>,
    user: PageUser,
    Query(q): Query<HashMap<String, String>>,
    Form(raw): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&user, &raw)?;
    let q: RoomQuery = typed(&q);
    let room = q.room.int("房屋")?.ok_or_else(|| {
        PageError(AppError::BadRequest(
            "缺少房屋，请从房屋页面点“登记人员”".into(),
        ))
    })?;
    let form: PersonSent = typed(&raw);
    let fields = PersonFields::from_form(&raw, &form);
    let res = Residence {
        room_id: room,
        household_id: form.household_id.int("所在户")?,
        relation: form.relation.opt(),
        moved_in_on: form.moved_in_on.date("迁入日期")?,
    };
    let actor = user.actor.clone();
    let result = match fields.input() {
        Ok(input) => {
            st.db(move |c| people::create(c, &actor, &input, &res))
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(id) => Ok(Redirect::to(&format!("/people/{id}")).into_response()),
        Err(e) => {
            let (address, households, crumbs) = room_context(&st, &user, room).await?;
            let mut l = Layout::new("登记人员", &user);
            l.crumbs = crumbs;
            let mut page = PersonForm::new(l, fields, true);
            page.address = Some(address);
            page.households = households;
            page.with_error(e)
        }
    }
}

async fn edit_form(State(st): State<AppState>, user: PageUser, Path(id): Path<i64>) -> PageResult {
    let actor = user.actor.clone();
    // The form shows masked numbers; sent back unchanged they keep what is stored.
    let p = st.db(move |c| people::get(c, &actor, id)).await?;
    let mut l = Layout::new(format!("修改 {}", p.name), &user);
    l.crumbs = vec![(p.name.to_string(), format!("/people/{id}"))];
    let mut page = PersonForm::new(l, PersonFields::from_person(&p), false);
    page.version = p.version.to_string();
    Ok(render(&page))
}

async fn update(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Form(raw): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&user, &raw)?;
    let form: PersonSent = typed(&raw);
    let fields = PersonFields::from_form(&raw, &form);
    let version = form.version.int("版本")?;
    let actor = user.actor.clone();
    let result = match fields.input() {
        Ok(input) => {
            st.db(move |c| people::update(c, &actor, id, &input, version))
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/people/{id}")).into_response()),
        Err(e) => {
            let mut l = Layout::new("修改人员信息", &user);
            l.crumbs = vec![(fields.name.clone(), format!("/people/{id}"))];
            let mut page = PersonForm::new(l, fields, false);
            page.version = version.map(|v| v.to_string()).unwrap_or_default();
            page.with_error(e)
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct MoveOutForm {
    on: Text,
    reason: Text,
}

async fn move_out(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Form(raw): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&user, &raw)?;
    let form: MoveOutForm = typed(&raw);
    let on = form.on.date("迁出日期")?.unwrap_or_else(today);
    let reason = form.reason.get();
    let actor = user.actor.clone();
    st.db(move |c| people::move_out(c, &actor, id, on, &reason))
        .await?;
    Ok(Redirect::to(&format!("/people/{id}")).into_response())
}

#[derive(Template)]
#[template(path = "registry/tag_form.html")]
struct TagForm {
    l: Layout,
    person_id: i64,
    person_name: String,
    kind: &'static TagKind,
    error: Option<String>,
    today: NaiveDate,
}

impl TagForm {
    /// Plain inputs only, so the phone keyboard's voice input works in every text field.
    fn field_input(&self, f: &FieldSpec) -> String {
        let req = if f.required { " required" } else { "" };
        match f.ty {
            FieldType::Date => format!("<input type=\"date\" name=\"{}\"{req}>", f.key),
            FieldType::Integer => format!("<input name=\"{}\" inputmode=\"numeric\"{req}>", f.key),
            FieldType::Money => format!("<input name=\"{}\" inputmode=\"decimal\"{req}>", f.key),
            FieldType::Text => format!("<input name=\"{}\"{req}>", f.key),
            FieldType::Choice(list) => {
                let opts: String = list
                    .iter()
                    .map(|o| format!("<option>{o}</option>"))
                    .collect();
                format!("<select name=\"{}\">{opts}</select>", f.key)
            }
        }
    }
}

/// The kind of group a new tag is for, as the profile links to its form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct TagQuery {
    kind: Text,
}

async fn tag_form(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let q: TagQuery = typed(&q);
    let kind = tag_kind(&q.kind.get())
        .ok_or_else(|| PageError(AppError::BadRequest("请选择重点人群类别".into())))?;
    let actor = user.actor.clone();
    let p = st.db(move |c| people::get(c, &actor, id)).await?;
    let mut l = Layout::new(format!("新增{}", kind.label), &user);
    l.crumbs = vec![(p.name.to_string(), format!("/people/{id}"))];
    Ok(render(&TagForm {
        l,
        person_id: id,
        person_name: p.name.to_string(),
        kind,
        error: None,
        today: today(),
    }))
}

/// A new tag: its kind and start; the kind's own fields are read beside it, by their keys.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct NewTagForm {
    kind: Text,
    started_on: Text,
}

async fn add_tag(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Form(raw): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&user, &raw)?;
    let form: NewTagForm = typed(&raw);
    let kind_code = form.kind.get();
    let started_on = form.started_on.date("开始日期")?;
    let values: BTreeMap<String, String> = raw
        .iter()
        .filter(|(k, v)| {
            !["csrf", "kind", "started_on"].contains(&k.as_str()) && !v.trim().is_empty()
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let input = TagInput {
        kind: kind_code.clone(),
        started_on,
        values,
    };
    let actor = user.actor.clone();
    match st.db(move |c| tags::add(c, &actor, id, &input)).await {
        Ok(_) => Ok(Redirect::to(&format!("/people/{id}")).into_response()),
        Err(e @ AppError::Store(StoreError::Invalid { .. } | StoreError::Conflict(_))) => {
            let kind = tag_kind(&kind_code)
                .ok_or_else(|| PageError(AppError::BadRequest("类别不存在".into())))?;
            let mut l = Layout::new(format!("新增{}", kind.label), &user);
            l.crumbs = vec![("返回人员档案".into(), format!("/people/{id}"))];
            let page = TagForm {
                l,
                person_id: id,
                person_name: String::new(),
                kind,
                error: Some(e.message()),
                today: today(),
            };
            let mut r = render(&page);
            *r.status_mut() = e.status();
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct EndTagForm {
    person: Text,
    on: Text,
    reason: Text,
}

async fn end_tag(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Form(raw): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&user, &raw)?;
    let form: EndTagForm = typed(&raw);
    let person = form.person.int("人员")?;
    let on = form.on.date("结束日期")?.unwrap_or_else(today);
    let reason = form.reason.get();
    let actor = user.actor.clone();
    st.db(move |c| tags::end(c, &actor, id, on, &reason))
        .await?;
    let back = person.map_or("/".to_string(), |p| format!("/people/{p}"));
    Ok(Redirect::to(&back).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct GroupForm {
    group_id: Text,
}

async fn join_group(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Form(raw): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&user, &raw)?;
    let form: GroupForm = typed(&raw);
    let group = form.group_id.int("十联户")?;
    let actor = user.actor.clone();
    st.db(move |c| groups::assign(c, &actor, id, group)).await?;
    Ok(Redirect::to(&format!("/people/{id}")).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct LeaderForm {
    person: Text,
}

async fn make_leader(
    State(st): State<AppState>,
    user: PageUser,
    Path(group): Path<i64>,
    Form(raw): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&user, &raw)?;
    let form: LeaderForm = typed(&raw);
    let person = form
        .person
        .int("人员")?
        .ok_or_else(|| PageError(AppError::BadRequest("缺少人员，请从人员档案页操作".into())))?;
    let actor = user.actor.clone();
    st.db(move |c| groups::set_leader(c, &actor, group, person))
        .await?;
    Ok(Redirect::to(&format!("/people/{person}")).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RelocateForm {
    on: Text,
    address: Text,
    relation: Text,
}

async fn relocate(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Form(raw): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&user, &raw)?;
    let form: RelocateForm = typed(&raw);
    let on = form.on.date("迁入日期")?;
    let (address, relation) = (form.address.get(), form.relation.opt());
    let actor = user.actor.clone();
    st.db(move |c| {
        let room_id = room_by_address(c, &actor, &address)?;
        let res = Residence {
            room_id,
            household_id: None,
            relation,
            moved_in_on: on,
        };
        people::relocate(c, &actor, id, &res)
    })
    .await?;
    Ok(Redirect::to(&format!("/people/{id}")).into_response())
}
