//! The JSON API (`/api/v1`), described by the OpenAPI document at `/api/openapi.json`. It
//! offers what the pages offer, to the same users, with the same scope rules. Each line of work
//! keeps its handlers and its part of the document (`<line>/api.rs`; the account's sessions and
//! second factor in `session.rs`); this module assembles the router and the document from the
//! one list of lines (`crate::lines`) and holds what they share: JSON bodies (`ApiJson`),
//! `Created`, the error body.

mod json;
pub(crate) mod session;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use shequ_store::access::scope::RecordKind;
use utoipa::{OpenApi, ToSchema};

pub use json::ApiJson;

use crate::access::{Need, Routes, Target, rule};
use crate::error::{AppError, ErrorBody, ErrorDetail};
use crate::lines::LINES;

pub(crate) type ApiResult<T> = Result<Json<T>, AppError>;

/// The document, then every line's API, in the order of `LINES`.
pub fn routes() -> Routes {
    LINES.iter().filter_map(|line| line.api.as_ref()).fold(
        Routes::new().get(
            "/api/openapi.json",
            rule(Need::Public, Target::None),
            openapi,
        ),
        |routes, api| routes.merge((api.routes)()),
    )
}

/// What the whole document says once: its title, the bearer scheme, the error body. The
/// operations come from the lines' parts.
#[derive(OpenApi)]
#[openapi(
    info(title = "社区工作台 shequ API", description = "实有人口、实有房屋、组织架构与重点人群。登录后用 Authorization: Bearer <token> 调用。"),
    components(schemas(ErrorBody, ErrorDetail)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        openapi.security = Some(vec![utoipa::openapi::security::SecurityRequirement::new(
            "bearer",
            Vec::<String>::new(),
        )]);
    }
}

/// Each part's document; merged into one, a schema name used by two parts would silently
/// describe only one of them (a test checks that none is).
fn parts() -> Vec<utoipa::openapi::OpenApi> {
    std::iter::once(ApiDoc::openapi())
        .chain(
            LINES
                .iter()
                .filter_map(|line| line.api.as_ref())
                .map(|api| (api.doc)()),
        )
        .collect()
}

/// The whole document, as `/api/openapi.json` serves it.
pub(crate) fn document() -> utoipa::openapi::OpenApi {
    let mut parts = parts().into_iter();
    let mut doc = parts.next().unwrap_or_else(ApiDoc::openapi);
    for part in parts {
        doc.merge(part);
    }
    doc
}

async fn openapi() -> Response {
    Json(document()).into_response()
}

/// The document is written by hand beside the router, so it can say one thing while the router
/// does another (a query parameter declared `in: path`, a route left out): compare the two.
#[cfg(test)]
mod document_matches_router {
    use std::collections::BTreeSet;

    fn templated(path: &str) -> BTreeSet<String> {
        path.split('{')
            .skip(1)
            .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_string()))
            .collect()
    }

    #[test]
    fn every_documented_operation_is_routed_with_its_parameters_where_they_are() {
        let doc = serde_json::to_value(super::document()).unwrap_or_default();
        let routed: BTreeSet<(String, String)> = crate::route_table()
            .into_iter()
            .map(|r| (r.method.to_lowercase(), r.path.to_string()))
            .collect();
        let paths = doc["paths"].as_object().cloned().unwrap_or_default();
        assert!(!paths.is_empty(), "the document lists no paths");
        let mut problems = Vec::new();
        let mut documented = BTreeSet::new();
        let mut operation_ids = std::collections::BTreeMap::new();
        for (path, item) in &paths {
            let in_template = templated(path);
            for (method, op) in item.as_object().cloned().unwrap_or_default() {
                if !["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                    continue;
                }
                documented.insert((method.clone(), path.clone()));
                // Client generators name functions by operationId: two alike collide.
                let op_id = op["operationId"].as_str().unwrap_or_default().to_string();
                if let Some(first) = operation_ids.insert(op_id.clone(), format!("{method} {path}"))
                {
                    problems.push(format!(
                        "operationId `{op_id}` is used by {first} and {method} {path}"
                    ));
                }
                if !routed.contains(&(method.clone(), path.clone())) {
                    problems.push(format!("{method} {path} is documented but not routed"));
                }
                let params = op["parameters"].as_array().cloned().unwrap_or_default();
                let mut in_path = BTreeSet::new();
                for p in &params {
                    let name = p["name"].as_str().unwrap_or_default().to_string();
                    match p["in"].as_str() {
                        Some("path") if !in_template.contains(&name) => problems.push(format!(
                            "{method} {path}: `{name}` is declared in: path but the path has no {{{name}}} (a query parameter?)"
                        )),
                        Some("path") => {
                            in_path.insert(name);
                        }
                        Some("query") if in_template.contains(&name) => problems.push(format!(
                            "{method} {path}: `{name}` is in the path but declared in: query"
                        )),
                        _ => {}
                    }
                }
                for name in in_template.difference(&in_path) {
                    problems.push(format!(
                        "{method} {path}: {{{name}}} has no in: path parameter"
                    ));
                }
            }
        }
        for (method, path) in &routed {
            if path.starts_with("/api/v1/") && !documented.contains(&(method.clone(), path.clone()))
            {
                problems.push(format!("{method} {path} is routed but not in the document"));
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn the_check_sees_a_query_parameter_declared_in_the_path() {
        assert_eq!(
            templated("/api/v1/nodes/{id}/x/{key}"),
            ["id", "key"].iter().map(|s| s.to_string()).collect()
        );
        assert!(templated("/api/v1/nodes").is_empty());
    }
}

#[cfg(test)]
mod schema_names {
    #[test]
    fn no_two_parts_of_the_api_document_name_a_schema_alike() {
        let mut seen = std::collections::BTreeMap::new();
        for (i, part) in super::parts().iter().enumerate() {
            for name in part
                .components
                .as_ref()
                .map(|c| c.schemas.keys().cloned().collect::<Vec<_>>())
                .unwrap_or_default()
            {
                if let Some(first) = seen.insert(name.clone(), i) {
                    // The same type registered by two parts is fine; two types under one name
                    // are not: compare what they say.
                    let a = serde_json::to_string(
                        &super::parts()[first]
                            .components
                            .as_ref()
                            .map(|c| c.schemas.get(&name).cloned()),
                    )
                    .unwrap_or_default();
                    let b = serde_json::to_string(
                        &part
                            .components
                            .as_ref()
                            .map(|c| c.schemas.get(&name).cloned()),
                    )
                    .unwrap_or_default();
                    assert_eq!(
                        a, b,
                        "schema {name} means two things in parts {first} and {i}"
                    );
                }
            }
        }
    }
}

/// A new record: its id and, for a record edited by version, the version its first edit must
/// name, so a client needs no second request before editing.
#[derive(Serialize, ToSchema)]
pub(crate) struct Created {
    id: i64,
    /// Send it with the first edit. Absent for records edited without a version (十联户, 巡查计划).
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<i64>,
}

impl Created {
    /// Reads the version on the connection that just created the record.
    pub(crate) fn of(
        c: &mut shequ_store::Conn,
        kind: RecordKind,
        id: i64,
    ) -> Result<Created, shequ_store::StoreError> {
        Ok(Created {
            id,
            version: shequ_store::records::version_of(c, kind, id)?,
        })
    }

    /// A record edited without a version.
    pub(crate) fn unversioned(id: i64) -> Created {
        Created { id, version: None }
    }
}

pub(crate) fn created(done: Created) -> Response {
    (StatusCode::CREATED, Json(done)).into_response()
}
