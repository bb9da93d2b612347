//! 事件 pages, phone-first: a node's tickets (to do, overdue, all), reporting one in a few taps,
//! and one ticket with its timeline and a form for each step the user may take now.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use shequ_domain::tickets::{self as flow, Action, DISPATCH_KINDS, RATINGS, SOURCES, URGENCIES};
use shequ_store::tickets::{
    self, Category, ListFilter, StepInput, Ticket, TicketEvent, TicketInput,
};
use shequ_store::tree::{self, Node};

use super::files::{PHOTO_BODY_LIMIT, Submitted};
use super::{
    Layout, PageError, PageResult, check_csrf, field, int_field, local_time, opt_field, render,
};
use crate::access::{Need, Routes, Target, rule};
use crate::auth::PageUser;
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::new()
        .get(
            "/nodes/{id}/tickets",
            rule(Need::WorkTickets, Target::Node),
            list,
        )
        .get(
            "/nodes/{id}/tickets/new",
            rule(Need::WorkTickets, Target::Node),
            new_form,
        )
        .upload(
            "/nodes/{id}/tickets/new",
            rule(Need::WorkTickets, Target::Node),
            PHOTO_BODY_LIMIT,
            create,
        )
        .get(
            "/tickets/{id}",
            rule(Need::WorkTickets, Target::Ticket),
            show,
        )
        .post(
            "/tickets/{id}/steps",
            rule(Need::WorkTickets, Target::Ticket),
            take_step,
        )
}

#[derive(Template)]
#[template(path = "tickets.html")]
struct ListPage {
    l: Layout,
    node: Node,
    tickets: Vec<Ticket>,
    /// "open", "overdue" or "all".
    tab: String,
}

async fn list(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let tab = match q.get("tab").map(String::as_str) {
        Some("overdue") => "overdue",
        Some("all") => "all",
        _ => "open",
    };
    let filter = ListFilter {
        state: (tab == "open").then(|| "open".to_string()),
        overdue: Some(tab == "overdue"),
        limit: Some(300),
    };
    let actor = user.actor.clone();
    let (node, found) = st
        .db(move |c| {
            Ok((
                tree::get(c, &actor, id)?,
                tickets::list(c, &actor, id, &filter)?,
            ))
        })
        .await?;
    let mut l = Layout::new(format!("{} 事件", node.name), &user);
    l.crumbs = vec![(node.name.clone(), format!("/nodes/{}", node.id))];
    Ok(render(&ListPage {
        l,
        node,
        tickets: found,
        tab: tab.into(),
    }))
}

#[derive(Template)]
#[template(path = "ticket_form.html")]
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
    let (node, cats) = st
        .db(move |c| {
            let node = tree::get(c, &actor, id)?;
            let own: Vec<i64> = node.community_id.into_iter().collect();
            let cats = tickets::categories(c, &own)?;
            Ok((node, cats))
        })
        .await?;
    let mut groups: Vec<(String, Vec<Category>)> = Vec::new();
    for c in cats {
        match &c.parent_code {
            None => groups.push((format!("{} {}", c.code, c.name), Vec::new())),
            Some(_) => {
                if let Some(last) = groups.last_mut() {
                    last.1.push(c);
                }
            }
        }
    }
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

async fn create(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    sent: Submitted,
) -> PageResult {
    let form = sent.fields.clone();
    check_csrf(&user, &form)?;
    let input = TicketInput {
        node_id: int_field(&form, "node_id", "位置")?.unwrap_or(id),
        category_code: field(&form, "category_code"),
        urgency: opt_field(&form, "urgency"),
        title: field(&form, "title"),
        description: opt_field(&form, "description"),
        location: opt_field(&form, "location"),
        source: opt_field(&form, "source"),
        reporter_name: opt_field(&form, "reporter_name"),
        reporter_phone: opt_field(&form, "reporter_phone"),
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
#[template(path = "ticket.html")]
struct TicketPage {
    l: Layout,
    t: Ticket,
    timeline: Vec<TicketEvent>,
    steps: Vec<StepForm>,
    dispatch_kinds: &'static [(&'static str, &'static str)],
    ratings: &'static [&'static str],
    roles: &'static [(&'static str, &'static str)],
    error: Option<String>,
    photo_error: Option<String>,
}

async fn ticket_page(
    st: &AppState,
    user: &PageUser,
    id: i64,
    error: Option<String>,
) -> Result<TicketPage, PageError> {
    let actor = user.actor.clone();
    let (t, timeline) = st.db(move |c| tickets::get(c, &actor, id)).await?;
    let role = user.actor.role;
    let steps = t
        .next_steps
        .iter()
        .filter_map(|s| Action::parse(s))
        .filter(|a| !a.for_managers() || flow::manages_tickets(role))
        .map(|a| StepForm {
            action: a.as_str(),
            label: a.label(),
            needs_note: a.needs_note(),
            primary: !matches!(
                a,
                Action::Refuse | Action::VerifyFail | Action::Supervise | Action::DenyExtension
            ),
        })
        .collect();
    let mut l = Layout::new(format!("事件 {}", t.title), user);
    l.crumbs = vec![("事件".into(), format!("/nodes/{}/tickets", t.node_id))];
    Ok(TicketPage {
        l,
        t,
        timeline,
        steps,
        dispatch_kinds: DISPATCH_KINDS,
        ratings: RATINGS,
        roles: shequ_store::attachments::ROLES,
        error,
        photo_error: None,
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

async fn take_step(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&user, &form)?;
    let input = StepInput {
        action: field(&form, "action"),
        version: int_field(&form, "version", "版本")?.unwrap_or_default(),
        note: opt_field(&form, "note"),
        assignee_kind: opt_field(&form, "assignee_kind"),
        assignee_name: opt_field(&form, "assignee_name"),
        rating: opt_field(&form, "rating"),
        extension_amount: int_field(&form, "extension_amount", "延长")?,
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
