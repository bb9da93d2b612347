//! 居民随手拍 pages: the public form a resident reaches from a QR code (no account), the
//! receipt with which they follow their report, and the community head's page that makes,
//! prints and revokes the links. Besides the link's own hourly and daily caps, the form has a
//! field only robots fill and refuses a form sent within seconds of being opened.

use std::collections::HashMap;

use crate::extract::{Form, Path};
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use shequ_store::registry::tree;
use shequ_store::tickets::public_reports::{self, Link, PublicReport, PublicStatus};
use shequ_store::tickets::{self, Category};

use crate::access::{Need, Routes, Target, rule};
use crate::auth::PageUser;
use crate::error::AppError;
use crate::pages::files::Submitted;
use crate::pages::form::{Text, typed};
use crate::pages::{Layout, PageError, PageResult, check_csrf, render};
use crate::state::AppState;
use shequ_store::access::scope::RecordKind;

/// A person reading the form and typing takes longer than this.
const MIN_FILL_SECS: u64 = 3;
/// A form left open longer is refused as stale.
const MAX_FILL_SECS: u64 = 3600;
const BODY_LIMIT: usize = 36 * 1024 * 1024;

pub fn routes() -> Routes {
    Routes::new()
        .get("/r/{slug}", rule(Need::Public, Target::None), form)
        .upload(
            "/r/{slug}",
            rule(Need::Public, Target::None),
            BODY_LIMIT,
            submit,
        )
        .get(
            "/r/status/{token}",
            rule(Need::Public, Target::None),
            status,
        )
        .post("/r/status/{token}", rule(Need::Public, Target::None), rate)
        .get(
            "/nodes/{id}/report-links",
            rule(Need::ManageTickets, Target::Record(RecordKind::Node)),
            links,
        )
        .post(
            "/nodes/{id}/report-links",
            rule(Need::ManageTickets, Target::Record(RecordKind::Node)),
            change_links,
        )
}

/// A form's stamp: when it was handed out and a random nonce, so no two forms share one and a
/// stamp can be spent once ("1767225600.9f86d081884c").
fn new_stamp() -> String {
    let mut nonce = [0u8; 6];
    let _ = getrandom::fill(&mut nonce);
    let hex = shequ_text::hex(&nonce);
    format!("{}.{hex}", shequ_domain::clock::unix_seconds())
}

fn stamp_time(stamp: &str) -> u64 {
    stamp
        .split_once('.')
        .and_then(|(t, _)| t.parse().ok())
        .unwrap_or(0)
}

/// Spends a stamp: false if it was spent before. Spent stamps are remembered until they would
/// have expired anyway, so the memory they take is bounded by the links' caps.
fn spend(st: &AppState, stamp: &str) -> bool {
    let now = shequ_domain::clock::unix_seconds();
    let mut used = match st.inner.used_stamps.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    };
    used.retain(|_, t| now.saturating_sub(*t) <= MAX_FILL_SECS);
    used.insert(stamp.to_string(), stamp_time(stamp)).is_none()
}

fn release(st: &AppState, stamp: &str) {
    if let Ok(mut used) = st.inner.used_stamps.lock() {
        used.remove(stamp);
    }
}

fn sign(st: &AppState, stamp: &str) -> String {
    let mut h = Sha256::new();
    h.update(st.inner.form_secret);
    h.update(stamp.as_bytes());
    shequ_text::hex(&h.finalize()[..12])
}

#[derive(Template)]
#[template(path = "tickets/public_report.html")]
struct FormPage {
    l: Layout,
    community: String,
    categories: Vec<Category>,
    stamp: String,
    sig: String,
    f: HashMap<String, String>,
    error: Option<String>,
}

impl FormPage {
    fn value(&self, key: &str) -> String {
        self.f.get(key).cloned().unwrap_or_default()
    }
}

async fn form_page(
    st: &AppState,
    slug: String,
    f: HashMap<String, String>,
    error: Option<String>,
) -> Result<FormPage, PageError> {
    let s = slug.clone();
    let (community, categories) = st
        .db(move |c| {
            let (_, node, community) = public_reports::open_link(c, &s)?;
            let cats = tickets::subcategories_at(c, node)?;
            Ok((community, cats))
        })
        .await?;
    let stamp = new_stamp();
    let sig = sign(st, &stamp);
    Ok(FormPage {
        l: Layout::anonymous(&format!("{community} 居民随手拍")),
        community,
        categories,
        stamp,
        sig,
        f,
        error,
    })
}

async fn form(State(st): State<AppState>, Path(slug): Path<String>) -> PageResult {
    Ok(render(&form_page(&st, slug, HashMap::new(), None).await?))
}

#[derive(Template)]
#[template(path = "tickets/public_status.html")]
struct StatusPage {
    l: Layout,
    token: String,
    s: PublicStatus,
    fresh: bool,
    ratings: &'static [&'static str],
    error: Option<String>,
    /// The rating form's signed stamp (the page has no session to carry a CSRF token).
    stamp: String,
    sig: String,
}

impl StatusPage {
    fn when(&self, s: &str) -> String {
        crate::pages::local_time(s)
    }
}

/// A resident's report as sent (its photos are read beside it): the form's signed stamp, the
/// field only robots fill, and the report.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PublicReportForm {
    #[serde(rename = "t")]
    stamp: Text,
    sig: Text,
    website: Text,
    category_code: Text,
    description: Text,
    location: Text,
    name: Text,
    phone: Text,
}

async fn submit(
    State(st): State<AppState>,
    Path(slug): Path<String>,
    sent: Submitted,
) -> PageResult {
    let f: PublicReportForm = typed(&sent.fields);
    let stamp = f.stamp.get();
    let age = shequ_domain::clock::unix_seconds().saturating_sub(stamp_time(&stamp));
    if f.sig.get() != sign(&st, &stamp) || age > MAX_FILL_SECS {
        return Err(AppError::BadRequest(
            "页面已过期（安全校验失败），请重新扫码打开上报页面".into(),
        )
        .into());
    }
    // Filled in by robots only (the field is off screen), or sent faster than anyone types.
    if !f.website.get().is_empty() || age < MIN_FILL_SECS {
        return Err(AppError::BadRequest("提交太快，请稍候片刻再提交".into()).into());
    }
    // One form, one report: a stamp sent again (a replayed request) is refused.
    if !spend(&st, &stamp) {
        return Err(AppError::BadRequest(
            "这份表单已经提交过了。如需再报一件事，请重新扫码打开上报页面".into(),
        )
        .into());
    }
    let report = PublicReport {
        category_code: f.category_code.get(),
        description: f.description.get(),
        location: f.location.opt(),
        name: f.name.opt(),
        phone: f.phone.opt(),
        photos: sent.files_of("photos", "other"),
    };
    let s = slug.clone();
    match st.db(move |c| public_reports::submit(c, &s, &report)).await {
        Ok((_, token)) => Ok(Redirect::to(&format!("/r/status/{token}?new=1")).into_response()),
        Err(e) if matches!(e.status().as_u16(), 409 | 413 | 422) => {
            // Nothing was filed: the stamp may carry the corrected form.
            release(&st, &stamp);
            let mut r = render(&form_page(&st, slug, sent.fields, Some(e.message())).await?);
            *r.status_mut() = e.status();
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

async fn status(
    State(st): State<AppState>,
    Path(token): Path<String>,
    crate::extract::Query(q): crate::extract::Query<HashMap<String, String>>,
) -> PageResult {
    status_page(&st, token, q.contains_key("new"), None).await
}

async fn status_page(
    st: &AppState,
    token: String,
    fresh: bool,
    error: Option<String>,
) -> PageResult {
    let t = token.clone();
    let s = st.db(move |c| public_reports::status(c, &t)).await?;
    let failed = error.is_some();
    let stamp = new_stamp();
    let mut r = render(&StatusPage {
        sig: sign(st, &stamp),
        stamp,
        l: Layout::anonymous("上报进度"),
        token,
        s,
        fresh,
        ratings: shequ_domain::tickets::RATINGS,
        error,
    });
    if failed {
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RateForm {
    #[serde(rename = "t")]
    stamp: Text,
    sig: Text,
    rating: Text,
}

/// The resident rates their closed report: the rating is theirs, given through the receipt.
async fn rate(
    State(st): State<AppState>,
    Path(token): Path<String>,
    Form(raw): Form<HashMap<String, String>>,
) -> PageResult {
    let form: RateForm = typed(&raw);
    // Only from the receipt page itself, as it was sent: a forged or stale form does nothing.
    let stamp = form.stamp.get();
    if form.sig.get() != sign(&st, &stamp)
        || shequ_domain::clock::unix_seconds().saturating_sub(stamp_time(&stamp)) > MAX_FILL_SECS
    {
        return Err(
            AppError::BadRequest("页面已过期（安全校验失败），请刷新本页后再评价".into()).into(),
        );
    }
    let (t, rating) = (token.clone(), form.rating.get());
    match st.db(move |c| public_reports::rate(c, &t, &rating)).await {
        Ok(()) => Ok(Redirect::to(&format!("/r/status/{token}")).into_response()),
        Err(e) if matches!(e.status().as_u16(), 409 | 422) => {
            status_page(&st, token, false, Some(e.message())).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "tickets/report_links.html")]
struct LinksPage {
    l: Layout,
    /// (link, its full address, its QR code as inline SVG)
    links: Vec<(Link, String, String)>,
}

async fn links(State(st): State<AppState>, user: PageUser, Path(id): Path<i64>) -> PageResult {
    let actor = user.actor.clone();
    let (node, list) = st
        .db(move |c| {
            Ok((
                tree::get(c, &actor, id)?,
                public_reports::links(c, &actor, id)?,
            ))
        })
        .await?;
    let site = st.public_url().to_string();
    let links = list
        .into_iter()
        .map(|l| {
            let url = format!("{site}{}", l.path);
            let svg = if l.revoked {
                String::new()
            } else {
                shequ_domain::access::totp::qr_svg(&url).unwrap_or_default()
            };
            (l, url, svg)
        })
        .collect();
    let mut l = Layout::new(format!("{} 居民随手拍", node.name), &user);
    l.crumbs = vec![(node.name.clone(), format!("/nodes/{}", node.id))];
    Ok(render(&LinksPage { l, links }))
}

/// Makes a link (named) or revokes one.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct LinksForm {
    link: Text,
    name: Text,
}

async fn change_links(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    Form(raw): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&user, &raw)?;
    let form: LinksForm = typed(&raw);
    let actor = user.actor.clone();
    let link = form.link.int("链接")?;
    let name = form.name.get();
    st.db(move |c| match link {
        Some(link) => public_reports::revoke(c, &actor, id, link),
        None => public_reports::make_link(c, &actor, id, &name).map(|_| ()),
    })
    .await?;
    Ok(Redirect::to(&format!("/nodes/{id}/report-links")).into_response())
}
