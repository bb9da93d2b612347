//! 事件 pages, phone-first: a node's tickets (to do, overdue, all), reporting one in a few taps,
//! and one ticket with its timeline and a form for each step the user may take now.

use std::collections::HashMap;

use crate::extract::{Form, Path, Query};
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use shequ_domain::tickets::{Action, RATINGS, SOURCES, URGENCIES};
use shequ_store::registry::tree::{self, Node};
use shequ_store::tickets::dispatch_targets;
use shequ_store::tickets::{
    self, Category, ListFilter, StepInput, Ticket, TicketEvent, TicketInput,
};

use crate::access::{Need, Routes, Target, rule};
use crate::auth::PageUser;
use crate::pages::files::{PHOTO_BODY_LIMIT, Submitted};
use crate::pages::form::{Text, typed};
use crate::pages::{Layout, PageError, PageResult, check_csrf, local_time, render};
use crate::state::AppState;
use shequ_store::access::scope::RecordKind;

pub fn routes() -> Routes {
    Routes::new()
        .get(
            "/nodes/{id}/tickets",
            rule(Need::WorkTickets, Target::Record(RecordKind::Node)),
            list,
        )
        .get(
            "/nodes/{id}/tickets/new",
            rule(Need::WorkTickets, Target::Record(RecordKind::Node)),
            new_form,
        )
        .upload(
            "/nodes/{id}/tickets/new",
            rule(Need::WorkTickets, Target::Record(RecordKind::Node)),
            PHOTO_BODY_LIMIT,
            create,
        )
        .get(
            "/tickets/{id}",
            rule(Need::WorkTickets, Target::Record(RecordKind::Ticket)),
            show,
        )
        .post(
            "/tickets/{id}/steps",
            rule(Need::WorkTickets, Target::Record(RecordKind::Ticket)),
            take_step,
        )
        .get(
            "/nodes/{id}/dispatch-targets",
            rule(Need::ManageTickets, Target::Record(RecordKind::Node)),
            targets_page,
        )
        .post(
            "/nodes/{id}/dispatch-targets",
            rule(Need::ManageTickets, Target::Record(RecordKind::Node)),
            change_targets,
        )
}

#[derive(Template)]
#[template(path = "tickets/dispatch_targets.html")]
struct TargetsPage {
    l: Layout,
    node: Node,
    targets: Vec<dispatch_targets::Target>,
    kinds: &'static [(&'static str, &'static str)],
    error: Option<String>,
}

async fn targets_view(
    st: &AppState,
    user: &PageUser,
    id: i64,
    error: Option<String>,
) -> Result<TargetsPage, PageError> {
    let actor = user.actor.clone();
    let (node, targets) = st
        .db(move |c| {
            let node = tree::get(c, &actor, id)?;
            let community = match node.community_id {
                Some(cid) => tree::get(c, &actor, cid)?,
                None => node,
            };
            let targets = dispatch_targets::list(c, &actor, community.id)?;
            Ok((community, targets))
        })
        .await?;
    let mut l = Layout::new(format!("{} 派遣对象", node.name), user);
    l.crumbs = vec![(node.name.clone(), format!("/nodes/{}", node.id))];
    Ok(TargetsPage {
        l,
        node,
        targets,
        kinds: shequ_domain::tickets::DISPATCH_KINDS,
        error,
    })
}

async fn targets_page(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
) -> PageResult {
    Ok(render(&targets_view(&st, &user, id, None).await?))
}

/// Adds a 派遣对象 (kind and name) or retires one.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct TargetsForm {
    retire: Text,
    kind: Text,
    name: Text,
}

async fn change_targets(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Form(raw): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&user, &raw)?;
    let form: TargetsForm = typed(&raw);
    let retire = form.retire.int("派遣对象")?;
    let (kind, name) = (form.kind.get(), form.name.get());
    let actor = user.actor.clone();
    let done = st
        .db(move |c| match retire {
            Some(t) => dispatch_targets::retire(c, &actor, id, t),
            None => dispatch_targets::add(c, &actor, id, &kind, &name),
        })
        .await;
    match done {
        Ok(()) => Ok(Redirect::to(&format!("/nodes/{id}/dispatch-targets")).into_response()),
        Err(e) if e.status().as_u16() == 422 => {
            let mut r = render(&targets_view(&st, &user, id, Some(e.message())).await?);
            *r.status_mut() = e.status();
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "tickets/tickets.html")]
struct ListPage {
    l: Layout,
    node: Node,
    tickets: Vec<Ticket>,
    /// "waiting", "open", "overdue", "reported", "accepted" or "all".
    tab: String,
    /// This month's 三率, the 满意率 also by how the evaluations were given.
    rates: Option<tickets::Rates>,
}

/// The list's tabs: the start page links to them with the same filters it counts with.
pub fn tab_filter(tab: &str) -> ListFilter {
    ListFilter {
        state: match tab {
            "open" => Some("open".into()),
            "reported" | "accepted" => Some(tab.into()),
            _ => None,
        },
        overdue: Some(tab == "overdue"),
        waiting: Some(tab == "waiting"),
        limit: Some(300),
    }
}

async fn list(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    const TABS: &[&str] = &["overdue", "all", "waiting", "reported", "accepted"];
    let tab = q
        .get("tab")
        .map(String::as_str)
        .filter(|t| TABS.contains(t))
        .unwrap_or("open");
    let filter = tab_filter(tab);
    let actor = user.actor.clone();
    let (node, found, rates) = st
        .db(move |c| {
            let node = tree::get(c, &actor, id)?;
            let found = tickets::list(c, &actor, id, &filter)?;
            let rates = if actor.role.views_area() {
                let (first, today) = crate::figures::this_year_so_far();
                Some(tickets::rates(c, &actor, id, first, today)?)
            } else {
                None
            };
            Ok((node, found, rates))
        })
        .await?;
    let mut l = Layout::new(format!("{} 事件", node.name), &user);
    l.crumbs = vec![(node.name.clone(), format!("/nodes/{}", node.id))];
    Ok(render(&ListPage {
        l,
        node,
        tickets: found,
        tab: tab.into(),
        rates,
    }))
}

#[derive(Template)]
#[template(path = "tickets/ticket_form.html")]
struct NewPage {
    l: Layout,
    node: Node,
    /// (大类 name, its 小类).
    groups: Vec<(String, Vec<Category>)>,
    urgencies: &'static [(&'static str, &'static str)],
    sources: Vec<(&'static str, &'static str)>,
    f: HashMap<String, String>,
    error: Option<String>,
}

impl ListPage {
    fn when(&self, s: &str) -> String {
        local_time(s)
    }
}

impl TicketPage {
    fn when(&self, s: &str) -> String {
        local_time(s)
    }
}

impl NewPage {
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
) -> Result<NewPage, PageError> {
    let actor = user.actor.clone();
    let (node, groups) = st
        .db(move |c| {
            let node = tree::get(c, &actor, id)?;
            let own: Vec<i64> = node.community_id.into_iter().collect();
            let groups = tickets::category_groups(c, &own)?;
            Ok((node, groups))
        })
        .await?;
    let mut l = Layout::new("上报事件", user);
    l.crumbs = vec![(node.name.clone(), format!("/nodes/{}/tickets", node.id))];
    Ok(NewPage {
        l,
        node,
        groups,
        urgencies: URGENCIES,
        // Open311 reports arrive by themselves; the rest are what a worker records.
        sources: SOURCES
            .iter()
            .copied()
            .filter(|(c, _)| *c != "open311")
            .collect(),
        f,
        error,
    })
}

async fn new_form(State(st): State<AppState>, user: PageUser, Path(id): Path<i64>) -> PageResult {
    Ok(render(
        &new_page(&st, &user, id, HashMap::new(), None).await?,
    ))
}

/// A 事件 reported from the page (its photos are read beside it).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ReportForm {
    node_id: Text,
    category_code: Text,
    urgency: Text,
    title: Text,
    description: Text,
    location: Text,
    source: Text,
    reporter_name: Text,
    reporter_phone: Text,
}

async fn create(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    sent: Submitted,
) -> PageResult {
    let form = sent.fields.clone();
    check_csrf(&user, &form)?;
    let f: ReportForm = typed(&form);
    let input = TicketInput {
        node_id: f.node_id.int("位置")?.unwrap_or(id),
        category_code: f.category_code.get(),
        urgency: f.urgency.opt(),
        title: f.title.get(),
        description: f.description.opt(),
        location: f.location.opt(),
        source: f.source.opt(),
        reporter_name: f.reporter_name.opt(),
        reporter_phone: f.reporter_phone.opt(),
        photos: Vec::new(),
        files: [
            sent.files_of("photo_close", "close"),
            sent.files_of("photo_wide", "wide"),
            sent.files_of("photos", "other"),
        ]
        .concat(),
    };
    let actor = user.actor.clone();
    match st.db(move |c| tickets::create(c, &actor, &input)).await {
        Ok(tid) => Ok(Redirect::to(&format!("/tickets/{tid}")).into_response()),
        Err(e) if e.status().as_u16() == 422 => {
            let mut r = render(&new_page(&st, &user, id, form, Some(e.message())).await?);
            *r.status_mut() = e.status();
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

/// A step the user may take now, with what its form asks.
struct StepForm {
    action: &'static str,
    label: &'static str,
    needs_note: bool,
    primary: bool,
}

#[derive(Template)]
#[template(path = "tickets/ticket.html")]
struct TicketPage {
    l: Layout,
    t: Ticket,
    timeline: Vec<TicketEvent>,
    steps: Vec<StepForm>,
    /// The community's 派遣对象 by kind: (kind label, [(id, name)]).
    targets: Vec<(String, Vec<(i64, String)>)>,
    ratings: &'static [&'static str],
    today: String,
    roles: &'static [(&'static str, &'static str)],
    error: Option<String>,
    photo_error: Option<String>,
    hl: crate::figures::highlights::Shown,
    hl_action: String,
    hl_kind: &'static str,
}

async fn ticket_page(
    st: &AppState,
    user: &PageUser,
    id: i64,
    error: Option<String>,
) -> Result<TicketPage, PageError> {
    let actor = user.actor.clone();
    let (t, timeline, targets, hl) = st
        .db(move |c| {
            let (t, timeline) = tickets::get(c, &actor, id)?;
            let targets = dispatch_targets::for_community(c, t.community_id)?;
            let hl = crate::figures::highlights::shown(
                c,
                &actor,
                shequ_store::highlights::Marked::Ticket,
                id,
            )?;
            Ok((t, timeline, targets, hl))
        })
        .await?;
    // Only what this user may take now (the domain's `offered`), the step that moves the
    // ticket on first and as the one primary button.
    let mut steps: Vec<StepForm> = t
        .my_steps
        .iter()
        .filter_map(|s| Action::parse(s))
        .map(|a| StepForm {
            action: a.as_str(),
            label: match a {
                Action::Dispatch if t.assignee_name.is_some() => "改派",
                Action::Rate => "记录电话回访评价",
                _ => a.label(),
            },
            needs_note: a.needs_note(),
            primary: t.primary_step.as_deref() == Some(a.as_str()),
        })
        .collect();
    steps.sort_by_key(|s| !s.primary);
    let mut l = Layout::new(format!("事件 {}", t.title), user);
    l.crumbs = vec![("事件".into(), format!("/nodes/{}/tickets", t.node_id))];
    Ok(TicketPage {
        l,
        t,
        timeline,
        steps,
        targets: {
            let mut by_kind: Vec<(String, Vec<(i64, String)>)> = Vec::new();
            for x in targets {
                match by_kind.iter_mut().find(|k| k.0 == x.kind_label) {
                    Some(k) => k.1.push((x.id, x.name)),
                    None => by_kind.push((x.kind_label, vec![(x.id, x.name)])),
                }
            }
            by_kind
        },
        today: shequ_store::today().to_string(),
        ratings: RATINGS,
        roles: shequ_store::attachments::ROLES,
        error,
        photo_error: None,
        hl,
        hl_action: format!("/tickets/{id}/highlight"),
        hl_kind: "ticket",
    })
}

async fn show(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let mut page = ticket_page(&st, &user, id, None).await?;
    page.photo_error = q.get("photo_error").cloned();
    Ok(render(&page))
}

/// A step of a 事件, as the ticket page's forms send it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct TicketStepForm {
    action: Text,
    version: Text,
    note: Text,
    assignee_kind: Text,
    target_id: Text,
    callback_on: Text,
    rating: Text,
    extension_amount: Text,
}

async fn take_step(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Form(raw): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&user, &raw)?;
    let form: TicketStepForm = typed(&raw);
    let input = StepInput {
        action: form.action.get(),
        version: form.version.int("版本")?.unwrap_or_default(),
        note: form.note.opt(),
        assignee_kind: form.assignee_kind.opt(),
        assignee_name: None,
        target_id: form.target_id.int("派给")?,
        callback_on: form.callback_on.date("电话回访日期")?,
        rating: form.rating.opt(),
        extension_amount: form.extension_amount.int("延长")?,
    };
    let actor = user.actor.clone();
    match st.db(move |c| tickets::step(c, &actor, id, &input)).await {
        Ok(_) => Ok(Redirect::to(&format!("/tickets/{id}")).into_response()),
        // Told on the ticket's own page, as it stands now.
        Err(e) if matches!(e.status().as_u16(), 409 | 422) => {
            let mut r = render(&ticket_page(&st, &user, id, Some(e.message())).await?);
            *r.status_mut() = e.status();
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}
