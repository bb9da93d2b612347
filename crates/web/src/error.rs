//! One mapping from failures to HTTP: a status, a Chinese message that names the field and what
//! to do, and never a stack trace or SQL.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use shequ_store::StoreError;

#[derive(Debug)]
pub enum AppError {
    Store(StoreError),
    BadRequest(String),
    /// The body is over the size limit (413).
    TooLarge(String),
    NotLoggedIn,
    Internal(String),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        AppError::Store(e)
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// invalid | not_found | forbidden | conflict | illegal_step | duplicate | unauthorized |
    /// bad_request | too_large | second_factor_required | internal
    pub code: &'static str,
    /// The field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub message: String,
    /// For a duplicate person: the existing record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub existing: Option<String>,
    /// For a step the record's state doesn't allow: the steps that are possible.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed: Vec<&'static str>,
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Store(StoreError::Invalid { .. }) | AppError::BadRequest(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            AppError::TooLarge(_) | AppError::Store(StoreError::TooLarge { .. }) => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            AppError::Store(StoreError::NotFound(_)) => StatusCode::NOT_FOUND,
            AppError::Store(StoreError::Forbidden(_)) => StatusCode::FORBIDDEN,
            AppError::Store(
                StoreError::Conflict(_)
                | StoreError::DuplicatePerson { .. }
                | StoreError::IllegalStep { .. },
            ) => StatusCode::CONFLICT,
            // RFC 9470: a step-up challenge is a 401, not a refusal.
            AppError::NotLoggedIn | AppError::Store(StoreError::SecondFactor) => {
                StatusCode::UNAUTHORIZED
            }
            AppError::Store(StoreError::Db(_) | StoreError::Vault(_)) | AppError::Internal(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    pub fn detail(&self) -> ErrorDetail {
        let (code, field, existing) = match self {
            AppError::Store(StoreError::Invalid { field, .. }) => {
                ("invalid", Some(field.clone()), None)
            }
            AppError::Store(StoreError::NotFound(_)) => ("not_found", None, None),
            AppError::Store(StoreError::Forbidden(_)) => ("forbidden", None, None),
            AppError::Store(StoreError::Conflict(_)) => ("conflict", None, None),
            AppError::Store(StoreError::IllegalStep { .. }) => ("illegal_step", None, None),
            AppError::Store(StoreError::DuplicatePerson { existing, what, .. }) => (
                "duplicate",
                Some(what.clone()),
                Some(format!("/people/{existing}")),
            ),
            AppError::BadRequest(_) => ("bad_request", None, None),
            AppError::TooLarge(_) => ("too_large", None, None),
            AppError::Store(StoreError::TooLarge { field, .. }) => {
                ("too_large", Some(field.clone()), None)
            }
            AppError::NotLoggedIn => ("unauthorized", None, None),
            AppError::Store(StoreError::SecondFactor) => ("second_factor_required", None, None),
            AppError::Store(StoreError::Db(_) | StoreError::Vault(_)) | AppError::Internal(_) => {
                ("internal", None, None)
            }
        };
        ErrorDetail {
            code,
            field,
            message: self.message(),
            existing,
            allowed: match self {
                AppError::Store(StoreError::IllegalStep { allowed, .. }) => allowed.clone(),
                _ => Vec::new(),
            },
        }
    }

    pub fn message(&self) -> String {
        match self {
            AppError::Store(StoreError::Db(e)) => {
                // Database details go to the log, not to the user.
                tracing::error!("database error: {e}");
                "服务器处理出错，请稍后再试；如果反复出现，请联系系统管理员".into()
            }
            AppError::Internal(e) => {
                tracing::error!("internal error: {e}");
                "服务器处理出错，请稍后再试；如果反复出现，请联系系统管理员".into()
            }
            AppError::Store(e) => e.to_string(),
            AppError::BadRequest(m) | AppError::TooLarge(m) => m.clone(),
            AppError::NotLoggedIn => "请先登录".into(),
        }
    }
}

/// API errors are JSON; pages render their own error page (see `pages::render_error`).
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        (
            status,
            axum::Json(ErrorBody {
                error: self.detail(),
            }),
        )
            .into_response()
    }
}

/// The status the Open311 spec names for each kind of failure (its answers keep their own
/// body shape, `[{"code", "description"}]`, but the status is decided here like every other).
pub fn open311_status(kind: shequ_store::tickets::open311::Open311Kind) -> StatusCode {
    use shequ_store::tickets::open311::Open311Kind;
    match kind {
        Open311Kind::BadRequest => StatusCode::BAD_REQUEST,
        Open311Kind::Forbidden => StatusCode::FORBIDDEN,
        Open311Kind::NotFound => StatusCode::NOT_FOUND,
        Open311Kind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}
