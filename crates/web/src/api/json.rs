//! A JSON body extractor whose rejections speak Chinese and follow the API's error shape.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

use crate::error::AppError;

pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(JsonRejection::JsonDataError(e)) => Err(AppError::BadRequest(format!(
                "请求内容的字段不对：{}",
                e.body_text().trim_start_matches(
                    "Failed to deserialize the JSON body into the target type: "
                )
            ))),
            Err(JsonRejection::JsonSyntaxError(_)) => Err(AppError::BadRequest(
                "请求内容不是合法的 JSON，请检查括号、引号和逗号".into(),
            )),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(AppError::BadRequest(
                "请求头须为 Content-Type: application/json".into(),
            )),
            Err(e) => Err(AppError::BadRequest(format!(
                "无法读取请求内容：{}",
                e.body_text()
            ))),
        }
    }
}
