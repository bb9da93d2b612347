use std::collections::HashMap;

use crate::extract::{Form, Path, Query};
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use shequ_domain::registry::HOUSING_USES;
use shequ_domain::registry::org::NodeKind;
use shequ_store::indicators::{Overview, overview};
use shequ_store::registry::groups::{self, Group};
use shequ_store::registry::people::{Resident, residents_of_room};
use shequ_store::registry::tree::{self, ChildSummary, NewNode, Node, NodeEvent};
use shequ_store::{Actor, Conn, StoreResult, registry::housing, today};

use crate::access::{Need, Routes, Target, rule};
use crate::auth::PageUser;
use crate::pages::form::{Text, typed};
use crate::pages::{Layout, PageResult, check_csrf, render};
use crate::state::AppState;
use shequ_store::access::scope::RecordKind;

pub fn routes() -> Routes {
    let view = rule(Need::ViewArea, Target::Record(RecordKind::Node));
    let manage = rule(Need::ManageTree, Target::Record(RecordKind::Node));
    Routes::new()
        .get("/nodes/{id}", view, node_page)
        .post(
            "/nodes/{id}/children",
            rule(Need::AddPlaces, Target::Record(RecordKind::Node)),
            add_child,
        )
        .post("/nodes/{id}/rename", manage, rename)
        .post("/nodes/{id}/move", manage, move_node)
        .post("/nodes/{id}/retire", manage, retire)
        .get("/nodes/{id}/history", view, history)
        .get("/nodes/{id}/stats", view, stats)
        .post(
            "/nodes/{id}/housing",
            rule(Need::WritePeople, Target::Record(RecordKind::Node)),
            set_housing,
        )
        .post(
            "/nodes/{id}/groups",
            rule(Need::WritePeople, Target::Record(RecordKind::Node)),
            add_group,
        )
        .get(
            "/nodes/{id}/export/residents.xlsx",
            rule(Need::ExportPeople, Target::Record(RecordKind::Node)),
            crate::ledger::residents,
        )
        .get(
            "/nodes/{id}/export/group.xlsx",
            rule(Need::ExportPeople, Target::Record(RecordKind::Node)),
            crate::ledger::group_list,
        )
        .get(
            "/nodes/{id}/export/units.xlsx",
            rule(Need::ExportPeople, Target::Record(RecordKind::Node)),
            crate::ledger::units,
        )
        .get(
            "/nodes/{id}/export/rentals.xlsx",
            rule(Need::ExportPeople, Target::Record(RecordKind::Node)),
            crate::ledger::rentals,
        )
}

/// Breadcrumbs from the top of the user's area down to `node`.
pub fn crumbs(c: &mut Conn, actor: &Actor, node: &Node) -> StoreResult<Vec<(String, String)>> {
    let mut out = Vec::new();
    for a in tree::ancestors(c, node)? {
        if actor.sees_path(&a.path) {
            out.push((a.name, format!("/nodes/{}", a.id)));
        }
    }
    Ok(out)
}

#[derive(Template)]
#[template(path = "registry/node.html")]
struct NodePage {
    l: Layout,
    node: Node,
    people: i64,
    children: Vec<ChildSummary>,
    child_kinds: Vec<NodeKind>,
    is_room: bool,
    residents: Vec<Resident>,
    housing: Option<housing::HousingView>,
    housing_uses: Vec<&'static str>,
    housing_usage: String,
    landlord_name: String,
    landlord_phone: String,
    agreement_on: String,
    move_targets: Vec<(i64, String)>,
    can_write: bool,
    can_export: bool,
    /// Reports and works on 事件 here.
    can_tickets: bool,
    can_manage_tickets: bool,
    /// Changes the district's 事件 settings, or adds the community's own.
    can_ticket_settings: bool,
    /// Sees who is due for a visit here.
    can_visit: bool,
    tag_kinds: &'static [shequ_domain::registry::tags::TagKind],
    can_add: bool,
    can_manage: bool,
    show_units: bool,
    groups: Vec<Group>,
}

async fn node_page(State(st): State<AppState>, user: PageUser, Path(id): Path<i64>) -> PageResult {
    let actor = user.actor.clone();
    let (node, people, children, residents, housing, move_targets, crumbs, groups) = st
        .db(move |c| {
            let node = tree::get(c, &actor, id)?;
            let people = tree::count_people(c, &node.path)?;
            let is_room = node.kind == NodeKind::Room;
            let children = if is_room {
                vec![]
            } else {
                tree::children(c, &actor, id, true)?
            };
            let (residents, housing) = if is_room && actor.sees_people_at(&node.path) {
                (
                    residents_of_room(c, &actor, id)?,
                    housing::get(c, &actor, id)?,
                )
            } else {
                (vec![], None)
            };
            // A building (or unit, room) may move to a sibling parent in the same community.
            let mut targets = Vec::new();
            if actor.role.manages_tree()
                && node.kind > NodeKind::Grid
                && let Some(pid) = node.parent_id
                && let Some(gp) = tree::get(c, &actor, pid)?.parent_id
            {
                for s in tree::children(c, &actor, gp, false)? {
                    if s.node.id != pid && s.node.kind.may_contain(node.kind) {
                        targets.push((s.node.id, s.node.name));
                    }
                }
            }
            let crumbs = crumbs(c, &actor, &node)?;
            let groups = if actor.sees_people_at(&node.path) {
                groups::for_grid(c, &actor, id)?
            } else {
                vec![]
            };
            Ok((
                node, people, children, residents, housing, targets, crumbs, groups,
            ))
        })
        .await?;
    let mut l = Layout::new(node.name.clone(), &user);
    l.crumbs = crumbs;
    let role = user.actor.role;
    let h = housing.clone();
    let usage = h.as_ref().map(|h| h.usage.clone()).unwrap_or_default();
    Ok(render(&NodePage {
        l,
        people,
        is_room: node.kind == NodeKind::Room,
        child_kinds: if node.retired_on.is_some() {
            vec![]
        } else {
            node.kind.children().to_vec()
        },
        can_add: role.adds_places() || role.manages_tree(),
        can_manage: role.manages_tree() && node.kind > NodeKind::District,
        can_write: role.writes_people(),
        can_tickets: shequ_domain::tickets::works_tickets(role) && node.community_id.is_some(),
        can_manage_tickets: shequ_domain::tickets::manages_tickets(role)
            && node.community_id.is_some(),
        can_ticket_settings: role.manages_district_settings() || role.manages_community_settings(),
        can_visit: user.actor.sees_people_at(&node.path),
        tag_kinds: shequ_domain::registry::tags::TAG_KINDS,
        can_export: role.exports_people()
            && user.actor.sees_people_at(&node.path)
            && node.kind >= NodeKind::Community,
        show_units: node.kind >= NodeKind::Community && node.kind <= NodeKind::Building,
        children,
        residents,
        housing_uses: HOUSING_USES.to_vec(),
        housing_usage: if usage.is_empty() {
            "自住".into()
        } else {
            usage
        },
        // The form shows the phone masked; sent back unchanged it keeps what is stored.
        landlord_name: h
            .as_ref()
            .and_then(|h| h.landlord_name.as_ref())
            .map(|n| n.to_string())
            .unwrap_or_default(),
        landlord_phone: h
            .as_ref()
            .and_then(|h| h.landlord_phone.as_ref())
            .map(|p| p.masked())
            .unwrap_or_default(),
        agreement_on: h
            .and_then(|h| h.agreement_signed_on)
            .map(|d| d.to_string())
            .unwrap_or_default(),
        housing,
        move_targets,
        groups,
        node,
    }))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ChildForm {
    kind: Text,
    name: Text,
    code: Text,
}

async fn add_child(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Form(raw): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&user, &raw)?;
    let form: ChildForm = typed(&raw);
    let kind = NodeKind::parse(&form.kind.get());
    let (name, code) = (form.name.get(), form.code.get());
    let actor = user.actor.clone();
    let new_id = st
        .db(move |c| {
            let kind =
                kind.ok_or_else(|| shequ_store::StoreError::invalid("类型", "请选择下级类型"))?;
            tree::create(
                c,
                &actor,
                &NewNode {
                    parent_id: Some(id),
                    kind,
                    name: &name,
                    code: Some(&code),
                    on: today(),
                },
            )
        })
        .await?;
    Ok(Redirect::to(&format!("/nodes/{new_id}")).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RenameForm {
    version: Text,
    name: Text,
    code: Text,
}

async fn rename(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Form(raw): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&user, &raw)?;
    let form: RenameForm = typed(&raw);
    let version = form.version.int("版本")?;
    let (name, code) = (form.name.get(), form.code.get());
    let actor = user.actor.clone();
    st.db(move |c| {
        tree::rename(c, &actor, id, &name, version, today())?;
        tree::recode(c, &actor, id, &code, today())
    })
    .await?;
    Ok(Redirect::to(&format!("/nodes/{id}")).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct MoveForm {
    parent_id: Text,
}

async fn move_node(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Form(raw): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&user, &raw)?;
    let form: MoveForm = typed(&raw);
    let target = form.parent_id.int("调整到")?.unwrap_or_default();
    let actor = user.actor.clone();
    st.db(move |c| tree::move_to(c, &actor, id, target, today()))
        .await?;
    Ok(Redirect::to(&format!("/nodes/{id}")).into_response())
}

async fn retire(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&user, &form)?;
    let actor = user.actor.clone();
    st.db(move |c| tree::retire(c, &actor, id, today())).await?;
    Ok(Redirect::to(&format!("/nodes/{id}")).into_response())
}

#[derive(Template)]
#[template(path = "registry/history.html")]
struct HistoryPage {
    l: Layout,
    node: Node,
    events: Vec<NodeEvent>,
}

impl HistoryPage {
    fn event_label(&self, kind: &str) -> &'static str {
        match kind {
            "created" => "建立",
            "renamed" => "改名",
            "moved" => "调整隶属",
            "recoded" => "修改区划代码",
            "retired" => "撤销",
            _ => "变更",
        }
    }
}

async fn history(State(st): State<AppState>, user: PageUser, Path(id): Path<i64>) -> PageResult {
    let actor = user.actor.clone();
    let (node, events, crumbs) = st
        .db(move |c| {
            let node = tree::get(c, &actor, id)?;
            let crumbs = crumbs(c, &actor, &node)?;
            Ok((node.clone(), tree::history(c, &actor, id)?, crumbs))
        })
        .await?;
    let mut l = Layout::new(format!("{} 变更记录", node.name), &user);
    l.crumbs = crumbs;
    l.crumbs
        .push((node.name.clone(), format!("/nodes/{}", node.id)));
    Ok(render(&HistoryPage { l, node, events }))
}

#[derive(Template)]
#[template(path = "registry/stats.html")]
struct StatsPage {
    l: Layout,
    s: Overview,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct StatsQuery {
    as_of: Text,
}

async fn stats(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let q: StatsQuery = typed(&q);
    let as_of = q.as_of.date("截至日期")?.unwrap_or_else(today);
    let actor = user.actor.clone();
    let (s, crumbs) = st
        .db(move |c| {
            let node = tree::get(c, &actor, id)?;
            let mut crumbs = crumbs(c, &actor, &node)?;
            crumbs.push((node.name.clone(), format!("/nodes/{}", node.id)));
            Ok((overview(c, &actor, id, as_of)?, crumbs))
        })
        .await?;
    let mut l = Layout::new(format!("{} 统计", s.node_name), &user);
    l.crumbs = crumbs;
    Ok(render(&StatsPage { l, s }))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct HousingForm {
    usage: Text,
    landlord_name: Text,
    landlord_phone: Text,
    agreement_signed_on: Text,
    notes: Text,
}

async fn set_housing(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Form(raw): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&user, &raw)?;
    let form: HousingForm = typed(&raw);
    let h = housing::Housing {
        usage: form.usage.get(),
        landlord_name: form.landlord_name.opt(),
        landlord_phone: form.landlord_phone.opt(),
        agreement_signed_on: form.agreement_signed_on.date("治安责任书签订日期")?,
        notes: form.notes.opt(),
    };
    let actor = user.actor.clone();
    st.db(move |c| housing::set(c, &actor, id, &h)).await?;
    Ok(Redirect::to(&format!("/nodes/{id}")).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct NewGroupForm {
    name: Text,
}

async fn add_group(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Form(raw): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&user, &raw)?;
    let form: NewGroupForm = typed(&raw);
    let name = form.name.get();
    let actor = user.actor.clone();
    st.db(move |c| groups::create(c, &actor, id, &name, None))
        .await?;
    Ok(Redirect::to(&format!("/nodes/{id}")).into_response())
}
