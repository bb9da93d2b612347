//! Photos on pages: the forms that carry them (a field-work form is multipart when it has a
//! photo, plain otherwise), serving a file to those who may see its record, and adding photos
//! to a ticket at any step.

use std::collections::HashMap;

use crate::extract::{Multipart, Path};
use axum::body::Body;
use axum::extract::{FromRequest, Request, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE, HeaderValue, X_CONTENT_TYPE_OPTIONS,
};
use axum::response::{IntoResponse, Redirect, Response};
use shequ_store::attachments::{self, FileIn};
use shequ_store::tickets;

use super::{PageError, check_csrf};
use crate::access::{Need, Routes, Target, rule};
use crate::auth::PageUser;
use crate::error::AppError;
use crate::state::AppState;
use shequ_store::access::scope::RecordKind;

/// Several photos of up to 10 MB each, plus the form.
pub const PHOTO_BODY_LIMIT: usize = 64 * 1024 * 1024;

pub fn routes() -> Routes {
    Routes::new()
        .get(
            "/attachments/{id}",
            rule(Need::AttachedRecord, Target::Record(RecordKind::Attachment)),
            serve_page,
        )
        .upload(
            "/tickets/{id}/attachments",
            rule(Need::WorkTickets, Target::Record(RecordKind::Ticket)),
            PHOTO_BODY_LIMIT,
            add_to_ticket,
        )
}

/// A submitted form: its fields, and its files by field name. Accepts both a plain form and
/// a multipart one, so a page works the same with or without a photo chosen.
pub struct Submitted {
    pub fields: HashMap<String, String>,
    pub files: Vec<(String, FileIn)>,
}

impl Submitted {
    /// The files sent under `field`, with the photo role they stand for.
    pub fn files_of(&self, field: &str, role: &str) -> Vec<FileIn> {
        self.files
            .iter()
            .filter(|(name, _)| name == field)
            .map(|(_, f)| FileIn {
                role: Some(role.to_string()),
                ..f.clone()
            })
            .collect()
    }
}

impl FromRequest<AppState> for Submitted {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let multipart = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        if !multipart {
            let crate::extract::Form(fields) =
                crate::extract::Form::<HashMap<String, String>>::from_request(req, state)
                    .await
                    .map_err(IntoResponse::into_response)?;
            return Ok(Submitted {
                fields,
                files: Vec::new(),
            });
        }
        let Multipart(mut m) = Multipart::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let broken = |e: axum::extract::multipart::MultipartError| -> Response {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                return PageError(AppError::TooLarge(format!(
                    "提交的照片太大：每张照片不超过 {} MB，一次合计不超过 {} MB，请压缩或分次上传",
                    attachments::MAX_BYTES / (1024 * 1024),
                    PHOTO_BODY_LIMIT / (1024 * 1024)
                )))
                .into_response();
            }
            // axum's text is English: it goes to the log, the user reads what to do.
            tracing::info!("multipart upload broken off: {}", e.body_text());
            PageError(AppError::BadRequest(format!(
                "上传没有完成：每张照片不超过 {} MB，请检查网络后重试",
                attachments::MAX_BYTES / (1024 * 1024)
            )))
            .into_response()
        };
        let mut out = Submitted {
            fields: HashMap::new(),
            files: Vec::new(),
        };
        while let Some(field) = m.next_field().await.map_err(broken)? {
            let name = field.name().unwrap_or_default().to_string();
            refuse_nul_in(&name, &name).map_err(IntoResponse::into_response)?;
            match field.file_name().map(str::to_string) {
                Some(file_name) => {
                    refuse_nul_in(&name, &file_name).map_err(IntoResponse::into_response)?;
                    let bytes = field.bytes().await.map_err(broken)?;
                    // A file input left empty still sends a part with no name and no bytes.
                    if !bytes.is_empty() || !file_name.is_empty() {
                        out.files.push((
                            name,
                            FileIn {
                                name: file_name,
                                role: None,
                                bytes: bytes.to_vec(),
                            },
                        ));
                    }
                }
                None => {
                    let text = field.text().await.map_err(broken)?;
                    refuse_nul_in(&name, &text).map_err(IntoResponse::into_response)?;
                    out.fields.insert(name, text);
                }
            }
        }
        Ok(out)
    }
}

/// The NUL check `read_body_first` makes for urlencoded forms, for the multipart ones that read their
/// own fields: no field takes one, and PostgreSQL refuses it in text.
pub fn refuse_nul_in(label: &str, text: &str) -> Result<(), PageError> {
    if text.contains('\0') {
        Err(PageError(AppError::BadRequest(format!(
            "表单中“{label}”含有空字符，请删除后重新提交"
        ))))
    } else {
        Ok(())
    }
}

/// The bytes of a file, as the store found them, with headers that keep a browser from
/// treating them as anything else.
pub fn file_response(a: &attachments::Attachment, content: Vec<u8>) -> Response {
    let mut r = Body::from(content).into_response();
    let h = r.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_str(&a.media_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(
        CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=600"),
    );
    let how = if a.is_image() { "inline" } else { "attachment" };
    let encoded = crate::auth::url_encode(&a.name).replace('/', "%2F");
    if let Ok(v) = HeaderValue::from_str(&format!("{how}; filename*=UTF-8''{encoded}")) {
        h.insert(CONTENT_DISPOSITION, v);
    }
    r
}

async fn serve_page(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let actor = user.actor.clone();
    let (a, content) = st.db(move |c| attachments::open(c, &actor, id)).await?;
    Ok(file_response(&a, content))
}

async fn add_to_ticket(
    State(st): State<AppState>,
    user: PageUser,
    Path(id): Path<i64>,
    form: Submitted,
) -> Result<Response, PageError> {
    check_csrf(&user, &form.fields)?;
    let role = form
        .fields
        .get("role")
        .cloned()
        .unwrap_or_else(|| "other".into());
    let files = form.files_of("photos", &role);
    let actor = user.actor.clone();
    match st
        .db(move |c| tickets::add_files(c, &actor, id, &files))
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/tickets/{id}#photos")).into_response()),
        Err(e) if e.status().as_u16() == 422 => Ok(Redirect::to(&format!(
            "/tickets/{id}?photo_error={}#photos",
            crate::auth::url_encode(&e.message())
        ))
        .into_response()),
        Err(e) => Err(e.into()),
    }
}
