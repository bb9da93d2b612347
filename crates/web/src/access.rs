//! Every route is registered with a rule: what the caller must be allowed to do, and which kind
//! of record its `{id}` names. The rule is checked before the handler runs (and before any body
//! is parsed): the role first, then whether the record lies in the caller's area. The store
//! checks again inside its queries; this layer makes a missing check impossible to forget, and
//! `shequ routes` prints the table the authorisation test is generated from.

use axum::extract::{RawPathParams, Request, State};
use axum::handler::Handler;
use axum::http::Method;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{MethodFilter, on};
use axum::{RequestPartsExt, Router};
use serde::Serialize;
use shequ_store::Actor;
use shequ_store::access::scope::RecordKind;
use shequ_store::records;

use crate::auth::{self, Authed};
use crate::error::AppError;
use crate::state::AppState;

/// What a caller must be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Need {
    /// Anyone, logged in or not (login, health check, style sheet, API description).
    Public,
    /// Any logged-in user (home page, own session).
    LoggedIn,
    /// The tree of the caller's area, its statistics and units.
    ViewArea,
    /// Residents' personal data (community roles; street/district staff where granted).
    ReadPeople,
    /// Changing the registry.
    WritePeople,
    /// Taking personal data out as a file (.xlsx ledgers).
    ExportPeople,
    /// Adding buildings, units, rooms (and, for tree managers, grids and above).
    AddPlaces,
    /// Renaming, moving, recoding, retiring nodes.
    ManageTree,
    /// Accounts, roles, areas, grants (安全管理员).
    ManageUsers,
    /// The audit log (审计员).
    ReadAudit,
    /// The district's shared settings (holiday calendar, patrol checklists, categories and time
    /// limits for everyone): the district administrator.
    DistrictSettings,
    /// The settings pages and what a community adds for itself (its own 小类, time limits,
    /// checklist items): the district administrator and community heads; the store decides
    /// which rows each may change.
    Settings,
    /// What is a community's own to word (its work summary's wording): its head alone.
    CommunitySettings,
    /// The wording of a work summary: a community's head, or a street's (district's) staff
    /// for their own; the store decides whose wording the node is in.
    WordSummary,
    /// Uploading, binding and publishing 一表通 forms: street and district staff.
    PublishForms,
    /// Submitting a community's copy of a 一表通 form: its head and line workers.
    FillForms,
    /// Reporting and working on 事件 (issue tickets): the community's and the street's staff.
    WorkTickets,
    /// Deciding on 事件 and their public channels (居民随手拍 links): community heads and
    /// street staff.
    ManageTickets,
    /// A file attached to a record: whoever works with records of that kind (事件 and 巡查:
    /// `WorkTickets`; 走访: `ReadPeople`). The file's own record kind is checked against the
    /// same rule when it is opened (`attachments::open`); the administrators and the auditor
    /// never pass.
    AttachedRecord,
}

impl Need {
    pub fn allows(self, actor: &Actor) -> bool {
        let role = actor.role;
        match self {
            Need::Public | Need::LoggedIn => true,
            Need::ViewArea => role.views_area(),
            Need::ReadPeople => actor.reads_people(),
            Need::WritePeople => role.writes_people(),
            Need::ExportPeople => role.exports_people() && actor.reads_people(),
            Need::AddPlaces => role.adds_places() || role.manages_tree(),
            Need::ManageTree => role.manages_tree(),
            Need::ManageUsers => role.manages_users(),
            Need::ReadAudit => role.reads_audit(),
            Need::DistrictSettings => role.manages_district_settings(),
            Need::Settings => role.manages_district_settings() || role.manages_community_settings(),
            Need::CommunitySettings => role.manages_community_settings(),
            Need::WordSummary => role.manages_community_settings() || role.publishes_forms(),
            Need::PublishForms => role.publishes_forms(),
            Need::FillForms => role.fills_forms(),
            Need::WorkTickets => shequ_domain::tickets::works_tickets(role),
            Need::ManageTickets => shequ_domain::tickets::manages_tickets(role),
            Need::AttachedRecord => {
                Need::WorkTickets.allows(actor) || Need::ReadPeople.allows(actor)
            }
        }
    }

    /// Personal data is opened only inside the granted part of the area.
    fn touches_people(self) -> bool {
        matches!(
            self,
            Need::ReadPeople | Need::WritePeople | Need::ExportPeople
        )
    }
}

/// What the route's `{id}` names; `None` for routes without one. The records are the store's
/// kinds (`RecordKind`), the one list the guard's area lookup also reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    None,
    /// A stored record: a node, person, tag, 十联户 group, unit, 事件, attached file or
    /// 矛盾纠纷调解 case.
    Record(RecordKind),
    /// A file uploaded for import, waiting in memory.
    Upload,
}

impl Target {
    /// The name `shequ routes` prints (the authorisation test is generated from it).
    pub const fn as_str(self) -> &'static str {
        match self {
            Target::None => "none",
            Target::Record(kind) => kind.as_str(),
            Target::Upload => "upload",
        }
    }
}

impl Serialize for Target {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Rule {
    pub need: Need,
    pub target: Target,
}

pub const fn rule(need: Need, target: Target) -> Rule {
    Rule { need, target }
}

/// One registered route, as `shequ routes` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct RouteInfo {
    pub method: String,
    pub path: &'static str,
    pub need: Need,
    pub target: Target,
}

/// Builds the router and the table of rules together: a route can't be added without a rule.
#[derive(Default)]
pub struct Routes {
    router: Router<AppState>,
    table: Vec<RouteInfo>,
}

impl Routes {
    pub fn new() -> Routes {
        Routes::default()
    }

    pub fn add<H, T>(self, method: Method, path: &'static str, rule: Rule, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add_limited(method, path, rule, handler, None)
    }

    /// A file upload: the body may be up to `limit` bytes instead of the site-wide 1 MB.
    pub fn upload<H, T>(self, path: &'static str, rule: Rule, limit: usize, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add_limited(Method::POST, path, rule, handler, Some(limit))
    }

    fn add_limited<H, T>(
        mut self,
        method: Method,
        path: &'static str,
        rule: Rule,
        handler: H,
        limit: Option<usize>,
    ) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let filter = match MethodFilter::try_from(method.clone()) {
            Ok(f) => f,
            // Only the standard methods are used; an unknown one is a programming error that
            // the route table test catches, so register nothing rather than panic.
            Err(_) => return self,
        };
        let mut route = on(filter, handler);
        if let Some(limit) = limit {
            route = route.layer(axum::extract::DefaultBodyLimit::max(limit));
        }
        let route = route.route_layer(middleware::from_fn_with_state(rule, check_rule));
        self.router = self.router.route(path, route);
        self.table.push(RouteInfo {
            method: method.to_string(),
            path,
            need: rule.need,
            target: rule.target,
        });
        self
    }

    pub fn get<H, T>(self, path: &'static str, rule: Rule, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(Method::GET, path, rule, handler)
    }

    pub fn post<H, T>(self, path: &'static str, rule: Rule, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(Method::POST, path, rule, handler)
    }

    pub fn put<H, T>(self, path: &'static str, rule: Rule, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(Method::PUT, path, rule, handler)
    }

    pub fn patch<H, T>(self, path: &'static str, rule: Rule, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(Method::PATCH, path, rule, handler)
    }

    pub fn delete<H, T>(self, path: &'static str, rule: Rule, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(Method::DELETE, path, rule, handler)
    }

    pub fn merge(mut self, other: Routes) -> Self {
        self.router = self.router.merge(other.router);
        self.table.extend(other.table);
        self
    }

    pub fn into_parts(self) -> (Router<AppState>, Vec<RouteInfo>) {
        (self.router, self.table)
    }
}

/// The state reaches the guard as a request extension (set in `crate::router`), so the route
/// table can be built, and printed, without a database.
async fn check_rule(State(rule): State<Rule>, req: Request, next: Next) -> Response {
    if rule.need == Need::Public {
        return next.run(req).await;
    }
    let Some(state) = req.extensions().get::<AppState>().cloned() else {
        return AppError::Internal("服务配置错误：缺少状态".into()).into_response();
    };
    let api = req.uri().path().starts_with("/api/");
    let (mut parts, body) = req.into_parts();
    let to_login = |parts: &axum::http::request::Parts| -> Response {
        if api {
            AppError::NotLoggedIn.into_response()
        } else {
            let next = parts.uri.path_and_query().map_or("/", |p| p.as_str());
            Redirect::to(&format!("/login?next={}", auth::url_encode(next))).into_response()
        }
    };
    // Pages are cookie-only and the API bearer-only, so a cookie can never drive the API
    // (which has no CSRF token).
    let token = if api {
        auth::bearer_token(&parts)
    } else {
        auth::cookie_token(&parts)
    };
    let Some(token) = token else {
        return to_login(&parts);
    };
    let (actor, csrf) = match auth::resolve(&state, token.clone()).await {
        Ok(Some(found)) => found,
        Ok(None) => return to_login(&parts),
        Err(e) => return refuse(api, e),
    };
    if !rule.need.allows(&actor) {
        return refuse(
            api,
            AppError::Store(shequ_store::StoreError::Forbidden(format!(
                "您的角色（{}）无权使用此功能",
                actor.role.label()
            ))),
        );
    }
    if rule.target != Target::None {
        let id = match parts.extract::<RawPathParams>().await {
            Ok(params) => params
                .iter()
                .find(|(k, _)| *k == "id")
                .and_then(|(_, v)| v.parse::<i64>().ok()),
            Err(_) => None,
        };
        // A malformed or unknown id is left to the handler, which answers 400 or 404.
        if let Some(id) = id {
            let area = match rule.target {
                Target::Record(kind) => {
                    state
                        .point_read(move |c| records::area_of(c, kind, id))
                        .await
                }
                // An upload waiting in memory sits in the grid it is for.
                Target::Upload => Ok(state.inner.uploads.get(id).map(|u| u.grid_path.clone())),
                Target::None => Ok(None),
            };
            match area {
                Ok(Some(path)) => {
                    let inside = if rule.need.touches_people() {
                        actor.sees_people_at(&path)
                    } else {
                        actor.sees_path(&path)
                    };
                    if !inside {
                        return refuse(
                            api,
                            AppError::Store(shequ_store::StoreError::Forbidden(
                                "该记录不在您的管辖范围内".into(),
                            )),
                        );
                    }
                }
                Ok(None) => {}
                Err(e) => return refuse(api, e),
            }
        }
    }
    parts.extensions.insert(Authed { actor, csrf, token });
    next.run(Request::from_parts(parts, body)).await
}

fn refuse(api: bool, e: AppError) -> Response {
    if api {
        e.into_response()
    } else {
        crate::layout::error_page(&e)
    }
}

#[cfg(test)]
mod tests {
    /// Routes are only ever added through `Routes`, which demands a rule: a `.route(` (or a
    /// nested router) anywhere else would be a route without one.
    #[test]
    fn no_route_is_added_outside_the_rule_table() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut stack = vec![src];
        let mut offenders = Vec::new();
        let mut files = 0;
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                if path.extension().is_none_or(|e| e != "rs") || path.ends_with("access.rs") {
                    continue;
                }
                files += 1;
                let text = std::fs::read_to_string(&path).unwrap();
                for needle in [".route(", ".nest(", ".route_service(", ".nest_service("] {
                    if text.contains(needle) {
                        offenders.push(format!("{} uses {needle}", path.display()));
                    }
                }
            }
        }
        assert!(files > 5, "scanned only {files} files");
        assert!(offenders.is_empty(), "{offenders:?}");
    }

    #[test]
    fn every_route_has_a_rule_and_no_route_is_registered_twice() {
        let table = crate::route_table();
        let mut seen = std::collections::HashSet::new();
        for r in &table {
            assert!(
                seen.insert((r.method.clone(), r.path)),
                "{} {} registered twice",
                r.method,
                r.path
            );
            if r.path.contains("{id}") {
                assert_ne!(r.target, super::Target::None, "{} {}", r.method, r.path);
            }
        }
    }
}
