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

use crate::error::{AppError, ErrorBody, ErrorDetail};

pub(crate) type ApiResult<T> = Result<Json<T>, AppError>;

/// What the whole document says once: its title, the bearer scheme, the error body. The
/// operations come from the lines' parts.
#[derive(OpenApi)]
#[openapi(
    info(title = "社区工作台 shequ API", description = "实有人口、实有房屋、组织架构与重点人群。登录后用 Authorization: Bearer <token> 调用。"),
    components(schemas(ErrorBody, ErrorDetail)),
    modifiers(&BearerAuth)
)]
pub(crate) struct ApiDoc;

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
