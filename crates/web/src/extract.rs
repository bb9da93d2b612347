//! The request extractors handlers use. Each wraps axum's own and maps its rejection, by the
//! rejection's typed variant, to a Chinese answer in the route's face (`error::Face`): the
//! API's JSON error, Open311's error list, or the error page. `clippy.toml` bans axum's
//! extractors everywhere else, so no handler can answer in axum's English, and an axum upgrade
//! that renames a rejection fails to compile here instead of changing what users read.

#![allow(clippy::disallowed_types)]

use axum::extract::multipart::MultipartRejection;
use axum::extract::rejection::{BytesRejection, FormRejection, PathRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::error::{Face, answer};

/// A request that could not be read: the status, what the user is told, and in whose face.
#[derive(Debug)]
pub struct Unreadable {
    face: Face,
    status: StatusCode,
    message: String,
}

impl IntoResponse for Unreadable {
    fn into_response(self) -> Response {
        answer(self.face, self.status, self.message)
    }
}

impl Unreadable {
    fn new(face: Face, status: StatusCode, message: impl Into<String>) -> Unreadable {
        Unreadable {
            face,
            status,
            message: message.into(),
        }
    }

    /// axum's own text goes to the log, for whoever debugs a client.
    fn logged(face: Face, status: StatusCode, message: &str, detail: &str) -> Unreadable {
        tracing::info!("unreadable request ({}): {detail}", status.as_u16());
        Unreadable::new(face, status, message)
    }
}

/// An address parameter (`/people/{id}`), typed.
#[derive(Debug)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = Unreadable;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Unreadable> {
        let face = Face::of(parts.uri.path());
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Path(v)),
            Err(e) => Err(path_rejection(face, e)),
        }
    }
}

fn path_rejection(face: Face, e: PathRejection) -> Unreadable {
    use axum::extract::path::ErrorKind;
    let status = e.status();
    let (value, expected) = match &e {
        PathRejection::FailedToDeserializePathParams(d) => match d.kind() {
            ErrorKind::ParseErrorAtKey {
                value,
                expected_type,
                ..
            }
            | ErrorKind::ParseErrorAtIndex {
                value,
                expected_type,
                ..
            }
            | ErrorKind::ParseError {
                value,
                expected_type,
            } => (Some(value.clone()), Some(*expected_type)),
            ErrorKind::DeserializeError { value, .. } => (Some(value.clone()), None),
            _ => (None, None),
        },
        _ => (None, None),
    };
    let integer = expected.is_some_and(|t| t.starts_with('i') || t.starts_with('u'));
    let message = match (value, integer) {
        (Some(v), true) => format!("网址中的编号“{v}”不对：应为整数，请从页面上的链接打开"),
        (Some(v), false) => format!("网址中的“{v}”不对：请从页面上的链接打开"),
        (None, _) => "网址不对：请从页面上的链接打开".to_string(),
    };
    Unreadable::logged(face, status, &message, &e.body_text())
}

/// A query string (`?q=…&page=2`), typed.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Unreadable;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Unreadable> {
        let face = Face::of(parts.uri.path());
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Query(v)),
            Err(e) => {
                // serde's own words name the parameter (`unknown field `colour``, `as_of:
                // input contains invalid characters`): a program's author gets them, a
                // person on a page gets what to do.
                let inner = std::error::Error::source(&e)
                    .map_or_else(|| e.body_text(), ToString::to_string);
                let message = match face {
                    Face::Page => "网址中的查询参数不对：请从页面上的链接打开".to_string(),
                    _ => format!("网址中的查询参数不对：{inner}"),
                };
                Err(Unreadable::logged(face, e.status(), &message, &inner))
            }
        }
    }
}

/// A form body (`application/x-www-form-urlencoded`), typed.
#[derive(Debug)]
pub struct Form<T>(pub T);

impl<T, S> FromRequest<S> for Form<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Unreadable;

    async fn from_request(req: Request, state: &S) -> Result<Self, Unreadable> {
        let face = Face::of(req.uri().path());
        match axum::extract::Form::<T>::from_request(req, state).await {
            Ok(axum::extract::Form(v)) => Ok(Form(v)),
            Err(e) => Err(form_rejection(face, e)),
        }
    }
}

fn form_rejection(face: Face, e: FormRejection) -> Unreadable {
    let detail = e.body_text();
    match e {
        // A person reads no header names; a program's author needs the one to send.
        FormRejection::InvalidFormContentType(_) => Unreadable::logged(
            face,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            if face == Face::Page {
                "提交的内容不是表单格式，没有保存：请刷新页面后重新填写提交"
            } else {
                "提交的内容不是表单格式（Content-Type 应为 application/x-www-form-urlencoded）"
            },
            &detail,
        ),
        FormRejection::FailedToDeserializeForm(_)
        | FormRejection::FailedToDeserializeFormBody(_) => Unreadable::logged(
            face,
            StatusCode::UNPROCESSABLE_ENTITY,
            "提交的表单内容无法读取，没有保存：请刷新页面后重新提交",
            &detail,
        ),
        FormRejection::BytesRejection(b) => body_rejection(face, b),
        _ => Unreadable::logged(
            face,
            StatusCode::BAD_REQUEST,
            "提交的表单无法读取，没有保存：请刷新页面后重新提交",
            &detail,
        ),
    }
}

/// Over the body limit, or a body broken off on the way.
pub fn body_rejection(face: Face, e: BytesRejection) -> Unreadable {
    let detail = e.body_text();
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return Unreadable::logged(
            face,
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!(
                "提交的内容太大（上限 {} MB）：请精简或分几次提交",
                crate::BODY_LIMIT / (1024 * 1024)
            ),
            &detail,
        );
    }
    Unreadable::logged(
        face,
        StatusCode::BAD_REQUEST,
        "提交的内容没有收完整，没有保存：请检查网络后重试",
        &detail,
    )
}

/// A form with files (`multipart/form-data`): its fields are read by the handler, which
/// answers a broken-off upload in its own words (it knows the size limits it set).
pub struct Multipart(pub axum::extract::Multipart);

impl<S: Send + Sync> FromRequest<S> for Multipart {
    type Rejection = Unreadable;

    async fn from_request(req: Request, state: &S) -> Result<Self, Unreadable> {
        let face = Face::of(req.uri().path());
        match axum::extract::Multipart::from_request(req, state).await {
            Ok(m) => Ok(Multipart(m)),
            Err(e @ MultipartRejection::InvalidBoundary(_)) => Err(Unreadable::logged(
                face,
                e.status(),
                "提交的表单格式不对（不是带文件的表单），没有保存：请刷新页面后重新填写提交",
                &e.body_text(),
            )),
            Err(e) => Err(Unreadable::logged(
                face,
                e.status(),
                "提交的表单无法读取，没有保存：请刷新页面后重新提交",
                &e.body_text(),
            )),
        }
    }
}
