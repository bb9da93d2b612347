//! The lines of work, listed once. The API router (`api::routes`), the OpenAPI document
//! (`api::document`) and the page router (`pages::routes`) all read this list, so a new line of
//! work is its folders and one entry here: it can't be routed but left out of the document, or
//! documented but not routed.

use utoipa::OpenApi;

use axum::Json;
use axum::response::{IntoResponse, Response};

use crate::access::{Need, Routes, Target, rule};

/// One line of work on the web.
pub(crate) struct Line {
    /// How the line is known in the code and in `ARCHITECTURE.md`.
    #[cfg_attr(not(test), allow(dead_code))]
    pub name: &'static str,
    /// Its part of the JSON API, if it has one.
    pub api: Option<Api>,
    /// Its pages (and whatever else it serves outside `/api/`, such as Open311 for 事件).
    pub pages: fn() -> Routes,
}

/// A line's JSON API: its routes and the part of the OpenAPI document that describes them,
/// named together so that neither is registered without the other.
pub(crate) struct Api {
    pub routes: fn() -> Routes,
    pub doc: fn() -> utoipa::openapi::OpenApi,
}

pub(crate) const LINES: &[Line] = &[
    Line {
        name: "account",
        api: Some(Api {
            routes: crate::api::session::routes,
            doc: crate::api::session::SessionDoc::openapi,
        }),
        pages: crate::pages::account::routes,
    },
    Line {
        name: "registry",
        api: Some(Api {
            routes: crate::registry::api::routes,
            doc: crate::registry::api::RegistryDoc::openapi,
        }),
        pages: crate::registry::routes,
    },
    Line {
        name: "imports",
        api: None,
        pages: crate::pages::imports::routes,
    },
    Line {
        name: "audit",
        api: None,
        pages: crate::pages::audit::routes,
    },
    Line {
        name: "tickets",
        api: Some(Api {
            routes: crate::tickets::api::routes,
            doc: crate::tickets::api::TicketsDoc::openapi,
        }),
        pages: crate::tickets::routes,
    },
    Line {
        name: "visits",
        api: Some(Api {
            routes: crate::field::visits_api::routes,
            doc: crate::field::visits_api::VisitsDoc::openapi,
        }),
        pages: crate::field::visits_pages::routes,
    },
    Line {
        name: "patrols",
        api: Some(Api {
            routes: crate::field::patrols_api::routes,
            doc: crate::field::patrols_api::PatrolsDoc::openapi,
        }),
        pages: crate::field::patrols_pages::routes,
    },
    Line {
        name: "mediation",
        api: Some(Api {
            routes: crate::mediation::api::routes,
            doc: crate::mediation::api::MediationDoc::openapi,
        }),
        pages: crate::mediation::pages::routes,
    },
    Line {
        name: "figures",
        api: Some(Api {
            routes: crate::figures::api::routes,
            doc: crate::figures::api::FiguresDoc::openapi,
        }),
        pages: crate::figures::pages,
    },
];

#[cfg(test)]
mod tests {
    /// A line's API serves JSON under `/api/v1/` and its pages serve everything else: a routes
    /// function put in the other field would escape the API's error handling and the
    /// document's check (`api::document_matches_router`).
    #[test]
    fn each_line_registers_its_api_and_its_pages_where_they_belong() {
        let mut names = std::collections::BTreeSet::new();
        for line in super::LINES {
            assert!(names.insert(line.name), "{} listed twice", line.name);
            if let Some(api) = &line.api {
                let (_, table) = (api.routes)().into_parts();
                assert!(!table.is_empty(), "{}: an API without routes", line.name);
                for r in table {
                    assert!(r.path.starts_with("/api/v1/"), "{}: {}", line.name, r.path);
                }
            }
            let (_, table) = (line.pages)().into_parts();
            assert!(
                !table.is_empty() || line.api.is_some(),
                "{}: neither pages nor an API",
                line.name
            );
            for r in table {
                assert!(!r.path.starts_with("/api/"), "{}: {}", line.name, r.path);
            }
        }
    }
}

/// Every line's pages and API, and the document that describes the API.
pub(crate) fn routes() -> Routes {
    LINES.iter().fold(
        Routes::new().get(
            "/api/openapi.json",
            rule(Need::Public, Target::None),
            openapi,
        ),
        |routes, line| {
            let routes = routes.merge((line.pages)());
            match &line.api {
                Some(api) => routes.merge((api.routes)()),
                None => routes,
            }
        },
    )
}

/// Each part's document; merged into one, a schema name used by two parts would silently
/// describe only one of them (a test checks that none is).
fn parts() -> Vec<utoipa::openapi::OpenApi> {
    std::iter::once(crate::api::ApiDoc::openapi())
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
    let mut doc = parts.next().unwrap_or_else(crate::api::ApiDoc::openapi);
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
