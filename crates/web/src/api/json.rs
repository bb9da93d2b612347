//! A JSON body extractor whose rejections speak Chinese and follow the API's error shape.
//!
//! Besides what the request type itself checks, it refuses, naming the field, two kinds of
//! string that typed parsing lets through but the database cannot keep: one holding a NUL
//! character (`\u0000`: PostgreSQL refuses it in text), and a date whose year is not four digits
//! (`+262142-12-31`: dates are stored as `YYYY-MM-DD` text, and such a row could not be read back).

use axum::body::{Body, Bytes};
use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use chrono::{Datelike, NaiveDate};
use serde::de::DeserializeOwned;
use serde_json::Value;

use shequ_store::StoreError;

use crate::error::AppError;

pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        // Buffered once (under the body limit) so the text can be checked after typed parsing.
        let (parts, body) = req.into_parts();
        let bytes = Bytes::from_request(Request::from_parts(parts.clone(), body), state)
            .await
            .map_err(body_rejection)?;
        let req = Request::from_parts(parts, Body::from(bytes.clone()));
        let value = match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => v,
            Err(JsonRejection::JsonDataError(e)) => {
                // The inner error names the field and what was wrong with it
                // (`persons[0].birth: invalid type …`), without axum's English preamble.
                let inner = std::error::Error::source(&e)
                    .map_or_else(|| e.body_text(), ToString::to_string);
                return Err(AppError::BadRequest(format!("请求内容的字段不对：{inner}")));
            }
            Err(JsonRejection::JsonSyntaxError(_)) => {
                return Err(AppError::BadRequest(
                    "请求内容不是合法的 JSON，请检查括号、引号和逗号".into(),
                ));
            }
            Err(JsonRejection::MissingJsonContentType(_)) => {
                return Err(AppError::BadRequest(
                    "请求头须为 Content-Type: application/json".into(),
                ));
            }
            Err(JsonRejection::BytesRejection(e)) => return Err(body_rejection(e)),
            Err(e) => {
                tracing::info!("unreadable JSON body: {}", e.body_text());
                return Err(AppError::BadRequest(
                    "无法读取请求内容：请检查后重新提交".into(),
                ));
            }
        };
        // The typed parse succeeded, so the text is valid JSON.
        if let Ok(tree) = serde_json::from_slice::<Value>(&bytes) {
            check_strings(&tree, &mut String::new())?;
        }
        Ok(ApiJson(value))
    }
}

fn body_rejection(e: BytesRejection) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::TooLarge(format!(
            "请求内容超过上限（{} MB），请精简或分批提交",
            crate::BODY_LIMIT / (1024 * 1024)
        ))
    } else {
        AppError::BadRequest("无法读取请求内容，请重新提交".into())
    }
}

/// Walks every string (and object key) of the body; `path` is the field as `a.b[2].c`.
fn check_strings(v: &Value, path: &mut String) -> Result<(), AppError> {
    let refuse = |path: &str, message: String| {
        let field = if path.is_empty() {
            "请求内容"
        } else {
            path
        };
        Err(AppError::Store(StoreError::invalid(field, message)))
    };
    match v {
        Value::String(s) => {
            if s.contains('\0') {
                return refuse(path, "含有空字符（\\u0000），请删除后重试".into());
            }
            // Exactly what a date field accepts (serde parses dates with `FromStr`).
            if let Ok(d) = s.parse::<NaiveDate>()
                && !(0..=9999).contains(&d.year())
            {
                return refuse(
                    path,
                    format!("日期“{s}”超出范围：年份须为四位数，如 2024-09-26"),
                );
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                check_strings(item, path)?;
                path.truncate(len);
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(&k.escape_debug().to_string());
                if k.contains('\0') {
                    return refuse(path, "字段名含有空字符（\\u0000），请删除后重试".into());
                }
                check_strings(item, path)?;
                path.truncate(len);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(v: Value) -> Result<(), String> {
        check_strings(&v, &mut String::new()).map_err(|e| e.message())
    }

    #[test]
    fn nul_characters_are_refused_naming_the_field() {
        let e = check(serde_json::json!({"unit": {"notes": ["ok", "a\u{0}b"]}})).unwrap_err();
        assert!(e.starts_with("unit.notes[1]：含有空字符"), "{e}");
        let e = check(serde_json::json!({"values": {"a\u{0}": "x"}})).unwrap_err();
        assert!(e.starts_with("values.a\\0：字段名含有空字符"), "{e}");
    }

    #[test]
    fn dates_need_a_four_digit_year() {
        for bad in ["+262142-12-31", "-0001-01-01", "+10000-01-01"] {
            let e = check(serde_json::json!({"on": bad})).unwrap_err();
            assert!(
                e.starts_with("on：日期") && e.contains("四位数"),
                "{bad}: {e}"
            );
        }
        for good in [
            "0001-01-01",
            "2024-02-29",
            "9999-12-31",
            "2024-13-01",
            "备注 +1-1-1",
        ] {
            assert_eq!(check(serde_json::json!({"on": good})), Ok(()), "{good}");
        }
    }
}
