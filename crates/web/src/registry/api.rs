//! The registry in the JSON API: the tree of areas with its figures, people and their homes,
//! special groups (重点人群), 十联户 groups, housing and units.

use crate::extract::{Path, Query};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use shequ_domain::registry::org::NodeKind;
use shequ_domain::registry::tags::TAG_KINDS;
use shequ_store::access::scope::RecordKind;
use shequ_store::indicators::{self, Overview, TagCount};
use shequ_store::registry::groups::{self, Group};
use shequ_store::registry::history::{self, HistoryEntry};
use shequ_store::registry::housing::{self, Housing, HousingView};
use shequ_store::registry::people::{self, CurrentHome, Person, PersonInput, Residence, Resident};
use shequ_store::registry::search::{self, Hit};
use shequ_store::registry::tags::{self, Tag, TagInput};
use shequ_store::registry::tree::{self, ChildSummary, NewNode, Node, NodeEvent};
use shequ_store::registry::units::{self, Unit, UnitInput};
use shequ_store::today;
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::access::{Need, Routes, Target, rule};
use crate::api::{ApiJson, ApiResult, Created, created};
use crate::auth::ApiUser;
use crate::error::{AppError, ErrorBody};
use crate::state::AppState;

pub fn routes() -> Routes {
    use Need::*;
    let node = |need| rule(need, Target::Record(RecordKind::Node));
    let person = |need| rule(need, Target::Record(RecordKind::Person));
    let none = |need| rule(need, Target::None);
    Routes::new()
        .get("/api/v1/tag-kinds", none(Public), tag_kinds)
        .get("/api/v1/nodes", none(ViewArea), roots)
        .post("/api/v1/nodes", none(AddPlaces), create_node)
        .get("/api/v1/nodes/{id}", node(ViewArea), get_node)
        .patch("/api/v1/nodes/{id}", node(ManageTree), update_node)
        .get("/api/v1/nodes/{id}/children", node(ViewArea), children)
        .post("/api/v1/nodes/{id}/move", node(ManageTree), move_node)
        .post("/api/v1/nodes/{id}/retire", node(ManageTree), retire_node)
        .get("/api/v1/nodes/{id}/history", node(ViewArea), node_history)
        .get("/api/v1/nodes/{id}/stats", node(ViewArea), node_stats)
        .get("/api/v1/nodes/{id}/residents", node(ReadPeople), residents)
        .get("/api/v1/nodes/{id}/units", node(ViewArea), list_units)
        .get("/api/v1/nodes/{id}/groups", node(ReadPeople), list_groups)
        .post("/api/v1/nodes/{id}/groups", node(WritePeople), create_group)
        .put(
            "/api/v1/persons/{id}/group",
            person(WritePeople),
            assign_group,
        )
        .put(
            "/api/v1/groups/{id}/leader",
            rule(WritePeople, Target::Record(RecordKind::Group)),
            set_group_leader,
        )
        .get("/api/v1/rooms/{id}/housing", node(ReadPeople), get_housing)
        .put("/api/v1/rooms/{id}/housing", node(WritePeople), put_housing)
        .get("/api/v1/persons", none(ReadPeople), search_persons)
        .post("/api/v1/persons", none(WritePeople), create_person)
        .get("/api/v1/persons/{id}", person(ReadPeople), get_person)
        .put("/api/v1/persons/{id}", person(WritePeople), update_person)
        .get(
            "/api/v1/persons/{id}/history",
            person(ReadPeople),
            person_history,
        )
        .post(
            "/api/v1/persons/{id}/reveal",
            person(ReadPeople),
            reveal_person,
        )
        .post(
            "/api/v1/persons/{id}/move-out",
            person(WritePeople),
            move_out,
        )
        .post(
            "/api/v1/persons/{id}/relocate",
            person(WritePeople),
            relocate,
        )
        .post("/api/v1/persons/{id}/tags", person(WritePeople), add_tag)
        .post(
            "/api/v1/tags/{id}/end",
            rule(WritePeople, Target::Record(RecordKind::Tag)),
            end_tag,
        )
        .post("/api/v1/units", none(WritePeople), create_unit)
        .get(
            "/api/v1/units/{id}",
            rule(ViewArea, Target::Record(RecordKind::Unit)),
            get_unit,
        )
        .put(
            "/api/v1/units/{id}",
            rule(WritePeople, Target::Record(RecordKind::Unit)),
            update_unit,
        )
}

#[derive(OpenApi)]
#[openapi(
    paths(
        tag_kinds,
        roots,
        create_node,
        get_node,
        update_node,
        children,
        move_node,
        retire_node,
        node_history,
        node_stats,
        residents,
        list_units,
        list_groups,
        create_group,
        assign_group,
        set_group_leader,
        get_housing,
        put_housing,
        search_persons,
        create_person,
        get_person,
        update_person,
        reveal_person,
        person_history,
        move_out,
        relocate,
        add_tag,
        end_tag,
        create_unit,
        get_unit,
        update_unit
    ),
    components(schemas(
        Node,
        NodeKind,
        ChildSummary,
        NodeEvent,
        NewNodeRequest,
        UpdateNodeRequest,
        MoveRequest,
        DateRequest,
        Overview,
        TagCount,
        Resident,
        Housing,
        HousingView,
        Hit,
        Person,
        PersonInput,
        Residence,
        CreatePersonRequest,
        UpdatePersonRequest,
        RevealRequest,
        RevealedPerson,
        PersonDetail,
        CurrentHome,
        HistoryEntry,
        Tag,
        TagInput,
        EndRequest,
        Unit,
        UnitInput,
        UpdateUnitRequest,
        Created,
        Group,
        NewGroupRequest,
        AssignGroupRequest,
        LeaderRequest,
        TagKindInfo,
        TagChoice,
        TagGrade,
        TagFieldInfo
    ))
)]
pub(crate) struct RegistryDoc;

/// A special group (重点人群) as a client needs it to build a form: what it attaches to, its
/// classification and grade, and each field with its type.
#[derive(Serialize, ToSchema)]
pub struct TagKindInfo {
    /// dibao, tekun, disability …: the `kind` of a tag.
    code: &'static str,
    label: &'static str,
    /// person | household
    target: &'static str,
    /// The main classification (低保类别 …), if the group has one: the tag's `category`.
    category: Option<TagChoice>,
    /// A numeric grade (残疾等级 1–4), if the group has one: the tag's `grade`.
    grade: Option<TagGrade>,
    fields: Vec<TagFieldInfo>,
}

#[derive(Serialize, ToSchema)]
pub struct TagChoice {
    label: &'static str,
    values: &'static [&'static str],
}

#[derive(Serialize, ToSchema)]
pub struct TagGrade {
    label: &'static str,
    min: i64,
    max: i64,
}

#[derive(Serialize, ToSchema)]
pub struct TagFieldInfo {
    /// The key in a tag's `fields`.
    key: &'static str,
    label: &'static str,
    /// text | date (YYYY-MM-DD) | integer | money (yuan, two decimals) | choice
    #[serde(rename = "type")]
    ty: &'static str,
    /// The allowed values of a `choice` field; empty otherwise.
    choices: &'static [&'static str],
    required: bool,
}

fn tag_kind_info(k: &shequ_domain::registry::tags::TagKind) -> TagKindInfo {
    use shequ_domain::registry::tags::{FieldType, Target};
    TagKindInfo {
        code: k.code,
        label: k.label,
        target: match k.target {
            Target::Person => "person",
            Target::Household => "household",
        },
        category: k
            .category
            .map(|(label, values)| TagChoice { label, values }),
        grade: k
            .grade
            .map(|(label, min, max)| TagGrade { label, min, max }),
        fields: k
            .fields
            .iter()
            .map(|f| {
                let (ty, choices): (&'static str, &'static [&'static str]) = match f.ty {
                    FieldType::Text => ("text", &[]),
                    FieldType::Date => ("date", &[]),
                    FieldType::Integer => ("integer", &[]),
                    FieldType::Money => ("money", &[]),
                    FieldType::Choice(values) => ("choice", values),
                };
                TagFieldInfo {
                    key: f.key,
                    label: f.label,
                    ty,
                    choices,
                    required: f.required,
                }
            })
            .collect(),
    }
}

#[utoipa::path(get, path = "/api/v1/tag-kinds", security(()),
    responses((status = 200, description = "重点人群类别及其字段", body = Vec<TagKindInfo>)))]
async fn tag_kinds() -> ApiResult<Vec<TagKindInfo>> {
    Ok(Json(TAG_KINDS.iter().map(tag_kind_info).collect()))
}

#[utoipa::path(get, path = "/api/v1/nodes", responses((status = 200, body = Vec<Node>), (status = 401, body = ErrorBody)))]
async fn roots(State(st): State<AppState>, user: ApiUser) -> ApiResult<Vec<Node>> {
    Ok(Json(st.db(move |c| tree::roots(c, &user.actor)).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewNodeRequest {
    /// 上级节点；省略则新建顶层的区（仅系统管理员）
    #[serde(default)]
    parent_id: Option<i64>,
    kind: NodeKind,
    name: String,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    on: Option<NaiveDate>,
}

#[utoipa::path(post, path = "/api/v1/nodes", request_body = NewNodeRequest,
    responses((status = 201, body = Created), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn create_node(
    State(st): State<AppState>,
    user: ApiUser,
    ApiJson(req): ApiJson<NewNodeRequest>,
) -> Result<Response, AppError> {
    let id = st
        .db(move |c| {
            tree::create(
                c,
                &user.actor,
                &NewNode {
                    parent_id: req.parent_id,
                    kind: req.kind,
                    name: &req.name,
                    code: req.code.as_deref(),
                    on: req.on.unwrap_or_else(today),
                },
            )
            .and_then(|id| Created::of(c, RecordKind::Node, id))
        })
        .await?;
    Ok(created(id))
}

#[utoipa::path(get, path = "/api/v1/nodes/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = Node), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_node(
    State(st): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Node> {
    Ok(Json(st.db(move |c| tree::get(c, &user.actor, id)).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateNodeRequest {
    #[serde(default)]
    name: Option<String>,
    /// Empty string clears the code.
    #[serde(default)]
    code: Option<String>,
    /// The version read; a stale one is refused with 409.
    #[serde(default)]
    version: Option<i64>,
    #[serde(default)]
    on: Option<NaiveDate>,
}

#[utoipa::path(patch, path = "/api/v1/nodes/{id}", params(("id" = i64, Path)), request_body = UpdateNodeRequest,
    responses((status = 200, body = Node), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_node(
    State(st): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<UpdateNodeRequest>,
) -> ApiResult<Node> {
    Ok(Json(
        st.db(move |c| {
            let on = req.on.unwrap_or_else(today);
            if let Some(name) = &req.name {
                tree::rename(c, &user.actor, id, name, req.version, on)?;
            }
            if let Some(code) = &req.code {
                tree::recode(c, &user.actor, id, code, on)?;
            }
            tree::get(c, &user.actor, id)
        })
        .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/nodes/{id}/children", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<ChildSummary>), (status = 403, body = ErrorBody)))]
async fn children(
    State(st): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Vec<ChildSummary>> {
    Ok(Json(
        st.db(move |c| tree::children(c, &user.actor, id, false))
            .await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveRequest {
    parent_id: i64,
    #[serde(default)]
    on: Option<NaiveDate>,
}

#[utoipa::path(post, path = "/api/v1/nodes/{id}/move", params(("id" = i64, Path)), request_body = MoveRequest,
    responses((status = 200, body = Node), (status = 422, body = ErrorBody)))]
async fn move_node(
    State(st): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<MoveRequest>,
) -> ApiResult<Node> {
    Ok(Json(
        st.db(move |c| {
            tree::move_to(
                c,
                &user.actor,
                id,
                req.parent_id,
                req.on.unwrap_or_else(today),
            )?;
            tree::get(c, &user.actor, id)
        })
        .await?,
    ))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct DateRequest {
    #[serde(default)]
    on: Option<NaiveDate>,
}

#[utoipa::path(post, path = "/api/v1/nodes/{id}/retire", params(("id" = i64, Path)), request_body = DateRequest,
    responses((status = 200, body = Node), (status = 409, body = ErrorBody)))]
async fn retire_node(
    State(st): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<DateRequest>,
) -> ApiResult<Node> {
    Ok(Json(
        st.db(move |c| {
            tree::retire(c, &user.actor, id, req.on.unwrap_or_else(today))?;
            tree::get(c, &user.actor, id)
        })
        .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/nodes/{id}/history", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<NodeEvent>), (status = 403, body = ErrorBody)))]
async fn node_history(
    State(st): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Vec<NodeEvent>> {
    Ok(Json(
        st.db(move |c| tree::history(c, &user.actor, id)).await?,
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AsOf {
    /// Count as of this date (default today).
    as_of: Option<NaiveDate>,
}

#[utoipa::path(get, path = "/api/v1/nodes/{id}/stats", params(("id" = i64, Path), AsOf),
    responses((status = 200, body = Overview), (status = 403, body = ErrorBody)))]
async fn node_stats(
    State(st): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    Query(q): Query<AsOf>,
) -> ApiResult<Overview> {
    let as_of = q.as_of.unwrap_or_else(today);
    Ok(Json(
        st.db(move |c| indicators::overview(c, &user.actor, id, as_of))
            .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/nodes/{id}/residents", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<Resident>), (status = 403, body = ErrorBody)))]
async fn residents(
    State(st): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Vec<Resident>> {
    let rs = st
        .db(move |c| people::residents_of_room(c, &user.actor, id))
        .await?;
    Ok(Json(rs))
}

#[utoipa::path(get, path = "/api/v1/nodes/{id}/units", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<Unit>), (status = 403, body = ErrorBody)))]
async fn list_units(
    State(st): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Vec<Unit>> {
    Ok(Json(
        st.db(move |c| units::list(c, &user.actor, id, 1000))
            .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/rooms/{id}/housing", params(("id" = i64, Path)),
    responses((status = 200, body = Option<HousingView>), (status = 403, body = ErrorBody)))]
async fn get_housing(
    State(st): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Option<HousingView>> {
    Ok(Json(
        st.db(move |c| housing::get(c, &user.actor, id)).await?,
    ))
}

#[utoipa::path(put, path = "/api/v1/rooms/{id}/housing", params(("id" = i64, Path)), request_body = Housing,
    responses((status = 200, body = Option<HousingView>), (status = 422, body = ErrorBody)))]
async fn put_housing(
    State(st): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(h): ApiJson<Housing>,
) -> ApiResult<Option<HousingView>> {
    Ok(Json(
        st.db(move |c| {
            housing::set(c, &user.actor, id, &h)?;
            housing::get(c, &user.actor, id)
        })
        .await?,
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// 姓名、拼音或首字母、身份证号（或后4–6位）、电话（或后4位）、住址如“11幢2单元301”
    q: String,
    /// 1–200, default 50
    limit: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/persons", params(SearchQuery),
    responses((status = 200, body = Vec<Hit>), (status = 403, body = ErrorBody)))]
async fn search_persons(
    State(st): State<AppState>,
    user: ApiUser,
    Query(q): Query<SearchQuery>,
) -> ApiResult<Vec<Hit>> {
    let limit = q.limit.unwrap_or(50).clamp(1, 200) as usize;
    let hits = st
        .db(move |c| search::search(c, &user.actor, &q.q, limit))
        .await?;
    Ok(Json(hits))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePersonRequest {
    person: PersonInput,
    residence: Residence,
}

#[utoipa::path(post, path = "/api/v1/persons", request_body = CreatePersonRequest,
    responses((status = 201, body = Created), (status = 409, body = ErrorBody, description = "公民身份号码已登记，error.existing 指向已有档案"), (status = 422, body = ErrorBody)))]
async fn create_person(
    State(st): State<AppState>,
    user: ApiUser,
    ApiJson(req): ApiJson<CreatePersonRequest>,
) -> Result<Response, AppError> {
    let id = st
        .db(move |c| {
            people::create(c, &user.actor, &req.person, &req.residence)
                .and_then(|id| Created::of(c, RecordKind::Person, id))
        })
        .await?;
    Ok(created(id))
}

#[derive(Serialize, ToSchema)]
pub struct PersonDetail {
    person: Person,
    home: Option<CurrentHome>,
    tags: Vec<Tag>,
}

#[utoipa::path(get, path = "/api/v1/persons/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = PersonDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_person(
    State(st): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<PersonDetail> {
    let d = st
        .db(move |c| {
            Ok(PersonDetail {
                person: people::get(c, &user.actor, id)?,
                home: people::current_home(c, id)?,
                tags: tags::for_person(c, id)?,
            })
        })
        .await?;
    Ok(Json(d))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevealRequest {
    /// 查看完整信息的原因（2–200 字），记入审计日志
    reason: String,
}

/// A person with the values in full, as only the audited reveal answers them.
#[derive(Serialize, ToSchema)]
pub struct RevealedPerson {
    id: i64,
    community_id: i64,
    name: String,
    id_number: Option<String>,
    doc_type: Option<String>,
    doc_no: Option<String>,
    sex: String,
    birth_date: NaiveDate,
    phone: Option<String>,
    ethnicity: String,
    person_type: String,
    registered_here: bool,
    employment: Option<String>,
    notes: Option<String>,
    living: bool,
    version: i64,
}

/// The full ID number, phone and name: needs a session that passed the second factor
/// (POST /api/v1/session/totp) and a reason; audited.
#[utoipa::path(post, path = "/api/v1/persons/{id}/reveal", params(("id" = i64, Path)), request_body = RevealRequest,
    responses((status = 200, body = RevealedPerson), (status = 401, body = ErrorBody, description = "需要先通过动态验证码（error.code = second_factor_required）"), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn reveal_person(
    State(st): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<RevealRequest>,
) -> ApiResult<RevealedPerson> {
    let (p, proof) = st
        .db(move |c| people::reveal(c, &user.actor, id, &req.reason))
        .await?;
    Ok(Json(RevealedPerson {
        id: p.id,
        community_id: p.community_id,
        name: p.name.full(&proof).to_string(),
        id_number: p.id_number.map(|v| v.full(&proof).to_string()),
        doc_type: p.doc_type,
        doc_no: p.doc_no.map(|v| v.full(&proof).to_string()),
        sex: p.sex,
        birth_date: p.birth_date,
        phone: p.phone.map(|v| v.full(&proof).to_string()),
        ethnicity: p.ethnicity,
        person_type: p.person_type,
        registered_here: p.registered_here,
        employment: p.employment,
        notes: p.notes,
        living: p.living,
        version: p.version,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePersonRequest {
    person: PersonInput,
    /// The version read; a stale one is refused with 409.
    #[serde(default)]
    version: Option<i64>,
}

#[utoipa::path(put, path = "/api/v1/persons/{id}", params(("id" = i64, Path)), request_body = UpdatePersonRequest,
    responses((status = 200, body = Person), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_person(
    State(st): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<UpdatePersonRequest>,
) -> ApiResult<Person> {
    let p = st
        .db(move |c| {
            people::update(c, &user.actor, id, &req.person, req.version)?;
            people::get(c, &user.actor, id)
        })
        .await?;
    Ok(Json(p))
}

#[utoipa::path(get, path = "/api/v1/persons/{id}/history", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<HistoryEntry>), (status = 403, body = ErrorBody)))]
async fn person_history(
    State(st): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Vec<HistoryEntry>> {
    Ok(Json(
        st.db(move |c| history::history(c, &user.actor, id)).await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndRequest {
    #[serde(default)]
    on: Option<NaiveDate>,
    #[serde(default)]
    reason: Option<String>,
}

/// After moving out, the person leaves a grid worker's area: the record then belongs to the
/// community (its head and line workers still see it), so nothing is returned here.
#[utoipa::path(post, path = "/api/v1/persons/{id}/move-out", params(("id" = i64, Path)), request_body = EndRequest,
    responses((status = 204), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn move_out(
    State(st): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<EndRequest>,
) -> Result<StatusCode, AppError> {
    st.db(move |c| {
        people::move_out(
            c,
            &user.actor,
            id,
            req.on.unwrap_or_else(today),
            req.reason.as_deref().unwrap_or_default(),
        )
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/persons/{id}/relocate", params(("id" = i64, Path)), request_body = Residence,
    responses((status = 200, body = Person), (status = 422, body = ErrorBody)))]
async fn relocate(
    State(st): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<Residence>,
) -> ApiResult<Person> {
    Ok(Json(
        st.db(move |c| {
            people::relocate(c, &user.actor, id, &req)?;
            people::get(c, &user.actor, id)
        })
        .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/persons/{id}/tags", params(("id" = i64, Path)), request_body = TagInput,
    responses((status = 201, body = Created), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_tag(
    State(st): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<TagInput>,
) -> Result<Response, AppError> {
    let tag = st
        .db(move |c| {
            tags::add(c, &user.actor, id, &req).and_then(|id| Created::of(c, RecordKind::Tag, id))
        })
        .await?;
    Ok(created(tag))
}

#[utoipa::path(post, path = "/api/v1/tags/{id}/end", params(("id" = i64, Path)), request_body = EndRequest,
    responses((status = 204), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn end_tag(
    State(st): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<EndRequest>,
) -> Result<StatusCode, AppError> {
    st.db(move |c| {
        tags::end(
            c,
            &user.actor,
            id,
            req.on.unwrap_or_else(today),
            req.reason.as_deref().unwrap_or_default(),
        )
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/units", request_body = UnitInput,
    responses((status = 201, body = Created), (status = 422, body = ErrorBody)))]
async fn create_unit(
    State(st): State<AppState>,
    user: ApiUser,
    ApiJson(req): ApiJson<UnitInput>,
) -> Result<Response, AppError> {
    let id = st
        .db(move |c| {
            units::create(c, &user.actor, &req).and_then(|id| Created::of(c, RecordKind::Unit, id))
        })
        .await?;
    Ok(created(id))
}

#[utoipa::path(get, path = "/api/v1/units/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = Unit), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_unit(
    State(st): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Unit> {
    Ok(Json(st.db(move |c| units::get(c, &user.actor, id)).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUnitRequest {
    unit: UnitInput,
    #[serde(default)]
    version: Option<i64>,
}

#[utoipa::path(put, path = "/api/v1/units/{id}", params(("id" = i64, Path)), request_body = UpdateUnitRequest,
    responses((status = 200, body = Unit), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_unit(
    State(st): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<UpdateUnitRequest>,
) -> ApiResult<Unit> {
    Ok(Json(
        st.db(move |c| {
            units::update(c, &user.actor, id, &req.unit, req.version)?;
            units::get(c, &user.actor, id)
        })
        .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/nodes/{id}/groups", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<Group>), (status = 403, body = ErrorBody)))]
async fn list_groups(
    State(st): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Vec<Group>> {
    Ok(Json(
        st.db(move |c| groups::for_grid(c, &user.actor, id)).await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewGroupRequest {
    name: String,
    #[serde(default)]
    leader_person_id: Option<i64>,
}

#[utoipa::path(post, path = "/api/v1/nodes/{id}/groups", params(("id" = i64, Path)), request_body = NewGroupRequest,
    responses((status = 201, body = Created), (status = 422, body = ErrorBody)))]
async fn create_group(
    State(st): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<NewGroupRequest>,
) -> Result<Response, AppError> {
    let gid = st
        .db(move |c| groups::create(c, &user.actor, id, &req.name, req.leader_person_id))
        .await?;
    Ok(created(Created::unversioned(gid)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignGroupRequest {
    /// None takes the household out of its group.
    group_id: Option<i64>,
}

#[utoipa::path(put, path = "/api/v1/persons/{id}/group", params(("id" = i64, Path)), request_body = AssignGroupRequest,
    responses((status = 204), (status = 422, body = ErrorBody)))]
async fn assign_group(
    State(st): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<AssignGroupRequest>,
) -> Result<StatusCode, AppError> {
    st.db(move |c| groups::assign(c, &user.actor, id, req.group_id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeaderRequest {
    person_id: i64,
}

#[utoipa::path(put, path = "/api/v1/groups/{id}/leader", params(("id" = i64, Path)), request_body = LeaderRequest,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn set_group_leader(
    State(st): State<AppState>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<LeaderRequest>,
) -> Result<StatusCode, AppError> {
    st.db(move |c| groups::set_leader(c, &user.actor, id, req.person_id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
