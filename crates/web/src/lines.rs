//! The lines of work, listed once. The API router (`api::routes`), the OpenAPI document
//! (`api::document`) and the page router (`pages::routes`) all read this list, so a new line of
//! work is its folders and one entry here: it can't be routed but left out of the document, or
//! documented but not routed.

use utoipa::OpenApi;

use crate::access::Routes;

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
            assert!(!table.is_empty(), "{}: no pages", line.name);
            for r in table {
                assert!(!r.path.starts_with("/api/"), "{}: {}", line.name, r.path);
            }
        }
    }
}
