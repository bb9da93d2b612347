//! 工作亮点 on the web: the community head marks a 事件 or a mediation case as notable from its
//! page, with one line in their own words (nothing written takes the mark away); the work
//! summary lists the period's marks.

use std::collections::HashMap;

use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use shequ_store::access::scope::RecordKind;
use shequ_store::highlights::{self, Marked};

use crate::access::{Need, Routes, Target, rule};
use crate::auth::PageUser;
use crate::extract::{Form, Path};
use crate::pages::{PageResult, check_csrf};
use crate::state::AppState;

pub fn pages() -> Routes {
    Routes::new()
        .post(
            "/tickets/{id}/highlight",
            rule(Need::CommunitySettings, Target::Record(RecordKind::Ticket)),
            ticket,
        )
        .post(
            "/mediation-cases/{id}/highlight",
            rule(
                Need::CommunitySettings,
                Target::Record(RecordKind::Mediation),
            ),
            case,
        )
}

/// What a record page shows of its mark: the line, and whether this user may change it.
pub struct Shown {
    pub line: String,
    pub can_mark: bool,
}

/// The mark of a record, as its page shows it.
pub fn shown(
    c: &mut shequ_store::Conn,
    actor: &shequ_store::Actor,
    kind: Marked,
    id: i64,
) -> shequ_store::StoreResult<Shown> {
    Ok(Shown {
        line: highlights::of_record(c, actor, kind, id)?.unwrap_or_default(),
        can_mark: actor.role.manages_community_settings(),
    })
}

async fn marked(
    st: &AppState,
    user: &PageUser,
    (kind, id): (Marked, i64),
    raw: &HashMap<String, String>,
    back: String,
) -> PageResult {
    check_csrf(user, raw)?;
    let body = raw.get("highlight").cloned().unwrap_or_default();
    let actor = user.actor.clone();
    st.db(move |c| highlights::mark(c, &actor, kind, id, &body))
        .await?;
    Ok(Redirect::to(&back).into_response())
}

async fn ticket(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Form(raw): Form<HashMap<String, String>>,
) -> PageResult {
    marked(
        &st,
        &user,
        (Marked::Ticket, id),
        &raw,
        format!("/tickets/{id}"),
    )
    .await
}

async fn case(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Form(raw): Form<HashMap<String, String>>,
) -> PageResult {
    marked(
        &st,
        &user,
        (Marked::MediationCase, id),
        &raw,
        format!("/mediation-cases/{id}"),
    )
    .await
}
