//! Open311 GeoReport v2 at `/open311/v2/`: discovery, services, service definitions, requests
//! (POST with an API key; GET by id, by token, or filtered, with `page`/`page_size`), each as
//! `.json` or `.xml`, errors as `errors[]{code, description}` with the spec's statuses (404
//! unknown, 403 bad api_key, 400 otherwise). The data itself is `shequ_store::tickets::open311`.

use crate::extract::{Form, Path, Query};
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use shequ_store::tickets::open311::{
    self, NewRequest, Open311Error, Open311Kind, Open311Result, Receipt, RequestFilter, Service,
    ServiceRequest,
};

use crate::access::{Need, Routes, Target, rule};
use crate::state::AppState;

pub fn routes() -> Routes {
    let public = rule(Need::Public, Target::None);
    Routes::new()
        .get("/open311/v2/discovery.json", public, discovery)
        .get("/open311/v2/discovery.xml", public, discovery)
        .get("/open311/v2/services.json", public, services)
        .get("/open311/v2/services.xml", public, services)
        .get(
            "/open311/v2/services/{service_file}",
            public,
            service_definition,
        )
        .get("/open311/v2/requests.json", public, list_requests)
        .get("/open311/v2/requests.xml", public, list_requests)
        .post("/open311/v2/requests.json", public, post_request)
        .post("/open311/v2/requests.xml", public, post_request)
        .get("/open311/v2/requests/{request_file}", public, one_request)
        .get("/open311/v2/tokens/{token_file}", public, token)
}

#[derive(Clone, Copy, PartialEq)]
enum Format {
    Json,
    Xml,
}

/// "0102.json" → ("0102", Json); no known extension → None.
fn split(file: &str) -> Option<(&str, Format)> {
    if let Some(stem) = file.strip_suffix(".json") {
        Some((stem, Format::Json))
    } else {
        file.strip_suffix(".xml").map(|stem| (stem, Format::Xml))
    }
}

fn format_of(headers_path: &str) -> Format {
    if headers_path.ends_with(".xml") {
        Format::Xml
    } else {
        Format::Json
    }
}

/// The spec's order of each record's fields (JSON objects carry no order of their own).
const ORDER: &[&str] = &[
    "service_request_id",
    "token",
    "status",
    "status_notes",
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
    "agency_responsible",
    "service_notice",
    "account_id",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "lat",
    "long",
    "media_url",
];

/// `<name>value</name>` for each field of a flat JSON object, in the spec's order.
fn xml_fields(value: &serde_json::Value) -> String {
    let mut out = String::new();
    if let serde_json::Value::Object(map) = value {
        let mut keys: Vec<&String> = map.keys().collect();
        keys.sort_by_key(|k| ORDER.iter().position(|o| o == k).unwrap_or(ORDER.len()));
        for k in keys {
            let text = match &map[k] {
                serde_json::Value::Null => String::new(),
                serde_json::Value::String(s) => shequ_text::xml_escape(s),
                other => shequ_text::xml_escape(&other.to_string()),
            };
            out.push_str(&format!("<{k}>{text}</{k}>"));
        }
    }
    out
}

fn reply(format: Format, status: StatusCode, json: serde_json::Value, xml: String) -> Response {
    match format {
        Format::Json => (status, axum::Json(json)).into_response(),
        Format::Xml => {
            let mut r = (
                status,
                format!("<?xml version=\"1.0\" encoding=\"utf-8\"?>{xml}"),
            )
                .into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/xml; charset=utf-8"),
            );
            r
        }
    }
}

/// A list of records as `[…]` or `<outer><inner>…</inner>…</outer>`.
fn list<T: Serialize>(format: Format, outer: &str, inner: &str, items: &[T]) -> Response {
    let json = serde_json::to_value(items).unwrap_or_default();
    let xml = format!(
        "<{outer}>{}</{outer}>",
        json.as_array()
            .map(|a| {
                a.iter()
                    .map(|v| format!("<{inner}>{}</{inner}>", xml_fields(v)))
                    .collect::<String>()
            })
            .unwrap_or_default()
    );
    reply(format, StatusCode::OK, json, xml)
}

fn failure(format: Format, e: Open311Error) -> Response {
    let status = crate::error::open311_status(e.kind);
    crate::error::open311_errors(format == Format::Xml, status, &e.description)
}

/// Runs a lookup on a pooled connection, answering the spec's way either way.
async fn run<T: Send + 'static>(
    st: &AppState,
    f: impl FnOnce(&mut shequ_store::Conn) -> Open311Result<T> + Send + 'static,
) -> Open311Result<T> {
    match st.db(move |c| Ok(f(c))).await {
        Ok(result) => result,
        Err(e) => {
            tracing::error!("open311: {}", e.message());
            Err(Open311Error {
                kind: Open311Kind::Internal,
                description: "服务器处理出错，请稍后再试".into(),
            })
        }
    }
}

/// The API's address as the configured public URL gives it, never the request's Host.
fn base(st: &AppState) -> String {
    format!("{}/open311/v2/", st.public_url())
}

async fn discovery(State(st): State<AppState>, uri: axum::http::Uri) -> Response {
    let format = format_of(uri.path());
    let url = base(&st);
    let changeset = "2026-11-22T00:00:00+08:00";
    let json = serde_json::json!({
        "changeset": changeset,
        "contact": "请联系所在社区居委会",
        "key_service": "网上报事接口的 api_key 由社区（系统管理员）开通",
        "endpoints": [{
            "specification": "http://wiki.open311.org/GeoReport_v2",
            "url": url,
            "changeset": changeset,
            "type": "production",
            "formats": ["application/json", "text/xml"],
        }],
    });
    let xml = format!(
        "<discovery><changeset>{changeset}</changeset><contact>请联系所在社区居委会</contact><key_service>网上报事接口的 api_key 由社区（系统管理员）开通</key_service><endpoints><endpoint><specification>http://wiki.open311.org/GeoReport_v2</specification><url>{}</url><changeset>{changeset}</changeset><type>production</type><formats><format>application/json</format><format>text/xml</format></formats></endpoint></endpoints></discovery>",
        shequ_text::xml_escape(&url)
    );
    reply(format, StatusCode::OK, json, xml)
}

async fn services(State(st): State<AppState>, uri: axum::http::Uri) -> Response {
    let format = format_of(uri.path());
    match run(&st, |c| Ok(open311::services(c)?)).await {
        Ok(list_) => list::<Service>(format, "services", "service", &list_),
        Err(e) => failure(format, e),
    }
}

async fn service_definition(State(st): State<AppState>, Path(file): Path<String>) -> Response {
    let Some((code, format)) = split(&file) else {
        return failure(
            Format::Json,
            Open311Error {
                kind: Open311Kind::NotFound,
                description: "请用 .json 或 .xml 结尾".into(),
            },
        );
    };
    let code = code.to_string();
    match run(&st, move |c| open311::service(c, &code)).await {
        Ok(s) => {
            // No service asks for attributes of its own (metadata false): an empty definition.
            let json = serde_json::json!({ "service_code": s.service_code, "attributes": [] });
            let xml = format!(
                "<service_definition><service_code>{}</service_code><attributes></attributes></service_definition>",
                shequ_text::xml_escape(&s.service_code)
            );
            reply(format, StatusCode::OK, json, xml)
        }
        Err(e) => failure(format, e),
    }
}

fn param<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.trim().is_empty())
}

fn number(pairs: &[(String, String)], key: &str) -> Open311Result<Option<f64>> {
    param(pairs, key)
        .map(|v| {
            v.trim()
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .ok_or_else(|| Open311Error {
                    kind: Open311Kind::BadRequest,
                    description: format!("{key} 应为数字"),
                })
        })
        .transpose()
}

async fn post_request(
    State(st): State<AppState>,
    uri: axum::http::Uri,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let format = format_of(uri.path());
    let api_key = param(&pairs, "api_key").map(str::to_string);
    let parsed = (|| -> Open311Result<NewRequest> {
        Ok(NewRequest {
            service_code: param(&pairs, "service_code")
                .ok_or_else(|| Open311Error {
                    kind: Open311Kind::BadRequest,
                    description: "缺少 service_code".into(),
                })?
                .to_string(),
            lat: number(&pairs, "lat")?,
            long: number(&pairs, "long")?,
            address_string: param(&pairs, "address_string").map(str::to_string),
            description: param(&pairs, "description").map(str::to_string),
            first_name: param(&pairs, "first_name").map(str::to_string),
            last_name: param(&pairs, "last_name").map(str::to_string),
            phone: param(&pairs, "phone").map(str::to_string),
            email: param(&pairs, "email").map(str::to_string),
            media_url: param(&pairs, "media_url").map(str::to_string),
        })
    })();
    let result = run(&st, move |c| {
        // The key first: a caller without one learns nothing about the rest.
        let key = open311::key(c, api_key.as_deref())?;
        open311::submit(c, &key, &parsed?)
    })
    .await;
    match result {
        Ok(receipt) => list::<Receipt>(format, "service_requests", "request", &[receipt]),
        Err(e) => failure(format, e),
    }
}

async fn list_requests(
    State(st): State<AppState>,
    uri: axum::http::Uri,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let format = format_of(uri.path());
    let int = |key: &str| -> Open311Result<Option<i64>> {
        param(&pairs, key)
            .map(|v| {
                v.trim().parse::<i64>().map_err(|_| Open311Error {
                    kind: Open311Kind::BadRequest,
                    description: format!("{key} 应为整数"),
                })
            })
            .transpose()
    };
    let filter = (|| -> Open311Result<RequestFilter> {
        Ok(RequestFilter {
            ids: param(&pairs, "service_request_id")
                .map(|v| vec![v.to_string()])
                .unwrap_or_default(),
            service_code: param(&pairs, "service_code").map(str::to_string),
            start_date: param(&pairs, "start_date").map(str::to_string),
            end_date: param(&pairs, "end_date").map(str::to_string),
            status: param(&pairs, "status").map(str::to_string),
            page: int("page")?,
            page_size: int("page_size")?,
        })
    })();
    match run(&st, move |c| open311::requests(c, &filter?)).await {
        Ok(found) => list::<ServiceRequest>(format, "service_requests", "request", &found),
        Err(e) => failure(format, e),
    }
}

async fn one_request(State(st): State<AppState>, Path(file): Path<String>) -> Response {
    let Some((id, format)) = split(&file) else {
        return failure(
            Format::Json,
            Open311Error {
                kind: Open311Kind::NotFound,
                description: "请用 .json 或 .xml 结尾".into(),
            },
        );
    };
    let id = id.to_string();
    match run(&st, move |c| open311::request(c, &id)).await {
        Ok(r) => list::<ServiceRequest>(format, "service_requests", "request", &[r]),
        Err(e) => failure(format, e),
    }
}

async fn token(State(st): State<AppState>, Path(file): Path<String>) -> Response {
    let Some((tok, format)) = split(&file) else {
        return failure(
            Format::Json,
            Open311Error {
                kind: Open311Kind::NotFound,
                description: "请用 .json 或 .xml 结尾".into(),
            },
        );
    };
    let tok = tok.to_string();
    match run(&st, move |c| open311::token(c, &tok)).await {
        Ok((id, token)) => {
            #[derive(Serialize)]
            struct Found {
                service_request_id: String,
                token: String,
            }
            list(
                format,
                "service_requests",
                "request",
                &[Found {
                    service_request_id: id,
                    token,
                }],
            )
        }
        Err(e) => failure(format, e),
    }
}
