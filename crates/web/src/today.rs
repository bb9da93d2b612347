//! The start page (`/`, the page after login): what is waiting today, per role, as big tiles a
//! thumb can hit. A grid worker sees the visits due, the patrols due, the tickets waiting on
//! them and the drafts still on the phone; a community head the tickets to accept and dispatch
//! and what is overdue in each grid; a street its communities side by side. Every figure is
//! counted by the same store function (and filter) as the list its tile opens.

use askama::Template;
use axum::extract::State;
use shequ_domain::access::roles::Role;
use shequ_domain::registry::org::NodeKind;
use shequ_store::field::visits::{self, DueCounts};
use shequ_store::registry::tree::{self, ChildSummary, Node};
use shequ_store::tickets::{self, Rate};
use shequ_store::{Actor, Conn, StoreResult, field::patrols, today};

use crate::access::{Need, Routes, Target, rule};
use crate::auth::PageUser;
use crate::pages::{Layout, PageResult, render};
use crate::state::AppState;
use crate::tickets::pages::tab_filter;

/// The start page is registered first, as it always was (`shequ routes` lists it on top).
pub fn routes() -> Routes {
    Routes::new().get("/", rule(Need::LoggedIn, Target::None), home)
}

/// A grid (or other area) as its worker starts the day.
struct FieldArea {
    node: Node,
    visits: DueCounts,
    patrols_due: usize,
    patrols_overdue: usize,
    tickets_waiting: i64,
}

struct GridRow {
    id: i64,
    name: String,
    workers: String,
    visits_overdue: i64,
    tickets_overdue: i64,
}

/// A community as its head starts the day.
struct HeadArea {
    node: Node,
    to_accept: i64,
    to_dispatch: i64,
    waiting: i64,
    overdue: i64,
    grids: Vec<GridRow>,
}

/// One community's figures, for the street's side-by-side view.
struct CommunityFigures {
    node: Node,
    people: i64,
    to_accept: i64,
    open: i64,
    overdue: i64,
    satisfied: Rate,
}

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    l: Layout,
    role: String,
    today: String,
    roots: Vec<ChildSummary>,
    field: Vec<FieldArea>,
    heads: Vec<HeadArea>,
    communities: Vec<CommunityFigures>,
    /// Fills in forms on the phone: the outbox count is shown.
    keeps_drafts: bool,
}

fn field_area(c: &mut Conn, actor: &Actor, node: Node) -> StoreResult<FieldArea> {
    let due = visits::due(
        c,
        actor,
        node.id,
        crate::field::visits_pages::DUE_HORIZON_DAYS,
    )?;
    let patrols = patrols::due(
        c,
        actor,
        node.id,
        crate::field::patrols_pages::DUE_HORIZON_DAYS,
    )?;
    Ok(FieldArea {
        visits: DueCounts::of(&due),
        patrols_due: patrols.len(),
        patrols_overdue: patrols.iter().filter(|p| p.overdue_days > 0).count(),
        tickets_waiting: tickets::count(c, actor, node.id, &tab_filter("waiting"))?,
        node,
    })
}

fn head_area(c: &mut Conn, actor: &Actor, node: Node) -> StoreResult<HeadArea> {
    let grids = visits::overdue_by_grid(c, actor, node.id)?
        .into_iter()
        .map(|g| {
            Ok(GridRow {
                tickets_overdue: tickets::count(c, actor, g.grid_id, &tab_filter("overdue"))?,
                id: g.grid_id,
                name: g.grid,
                workers: g.workers.join("、"),
                visits_overdue: g.overdue,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(HeadArea {
        to_accept: tickets::count(c, actor, node.id, &tab_filter("reported"))?,
        to_dispatch: tickets::count(c, actor, node.id, &tab_filter("accepted"))?,
        waiting: tickets::count(c, actor, node.id, &tab_filter("waiting"))?,
        overdue: tickets::count(c, actor, node.id, &tab_filter("overdue"))?,
        grids,
        node,
    })
}

/// The communities at or under a node of the street's (or district's) area.
fn communities_under(c: &mut Conn, actor: &Actor, node: Node) -> StoreResult<Vec<Node>> {
    if node.kind == NodeKind::Community {
        return Ok(vec![node]);
    }
    if node.kind > NodeKind::Community {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for child in tree::children(c, actor, node.id, false)? {
        out.extend(communities_under(c, actor, child.node)?);
    }
    Ok(out)
}

fn community_figures(c: &mut Conn, actor: &Actor, node: Node) -> StoreResult<CommunityFigures> {
    let (first, day) = crate::figures::this_year_so_far();
    Ok(CommunityFigures {
        people: tree::count_people(c, &node.path)?,
        to_accept: tickets::count(c, actor, node.id, &tab_filter("reported"))?,
        open: tickets::count(c, actor, node.id, &tab_filter("open"))?,
        overdue: tickets::count(c, actor, node.id, &tab_filter("overdue"))?,
        satisfied: tickets::rates(c, actor, node.id, first, day)?.satisfied,
        node,
    })
}

pub async fn home(State(st): State<AppState>, user: PageUser) -> PageResult {
    let actor = user.actor.clone();
    let role = actor.role;
    let (roots, field, heads, communities) = st
        .db(move |c| {
            let mut roots = Vec::new();
            let (mut field, mut heads, mut communities) = (Vec::new(), Vec::new(), Vec::new());
            for node in tree::roots(c, &actor)? {
                let people = tree::count_people(c, &node.path)?;
                roots.push(ChildSummary {
                    node: node.clone(),
                    people,
                });
                match role {
                    Role::GridWorker | Role::LineWorker => {
                        field.push(field_area(c, &actor, node)?);
                    }
                    Role::CommunityHead => heads.push(head_area(c, &actor, node)?),
                    Role::StreetStaff | Role::DistrictAdmin => {
                        for community in communities_under(c, &actor, node)? {
                            communities.push(community_figures(c, &actor, community)?);
                        }
                    }
                    _ => {}
                }
            }
            Ok((roots, field, heads, communities))
        })
        .await?;
    Ok(render(&Home {
        l: Layout::new("今天", &user),
        role: role.label().into(),
        today: today().format("%Y年%-m月%-d日").to_string(),
        roots,
        field,
        heads,
        communities,
        keeps_drafts: role.writes_people(),
    }))
}
