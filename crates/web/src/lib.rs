#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]
//! The HTTP face of `shequ`: server-rendered pages for people, a JSON API for programs.

pub mod access;
pub mod api;
pub mod auth;
pub mod error;
mod field;
pub mod layout;
pub mod ledger;
mod lines;
pub mod masking;
mod mediation;
pub mod pages;
mod registry;
pub mod state;
pub mod tickets;
pub mod tls;
mod today;
pub mod uploads;

use std::net::SocketAddr;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, Request};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};

use shequ_store::access::audit::{self, By, Event};

pub use state::{AppState, Settings};

const STYLE: &str = include_str!("../static/style.css");
const FIELD_JS: &str = include_str!("../static/field.js");
const SERVICE_WORKER: &str = include_str!("../static/sw.js");
const MANIFEST: &str = include_str!("../static/manifest.webmanifest");
const ICON: &str = include_str!("../static/icon.svg");

/// The largest request body accepted (forms and JSON).
pub(crate) const BODY_LIMIT: usize = 1024 * 1024;

async fn style() -> Response {
    ([(CONTENT_TYPE, "text/css; charset=utf-8")], STYLE).into_response()
}

async fn field_js() -> Response {
    ([(CONTENT_TYPE, "text/javascript; charset=utf-8")], FIELD_JS).into_response()
}

/// The service worker that keeps the due lists and their forms for a worker without a signal.
/// Served from the root so that its scope is the whole site; never cached by the browser, so a
/// new version reaches the phones at their next page.
async fn service_worker() -> Response {
    (
        [
            (CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (axum::http::header::CACHE_CONTROL, "no-cache"),
        ],
        SERVICE_WORKER,
    )
        .into_response()
}

async fn manifest() -> Response {
    (
        [(CONTENT_TYPE, "application/manifest+json; charset=utf-8")],
        MANIFEST,
    )
        .into_response()
}

async fn icon() -> Response {
    ([(CONTENT_TYPE, "image/svg+xml")], ICON).into_response()
}

/// Headers every response carries: no framing, no sniffing, no third-party anything; HSTS when
/// the site is reached over HTTPS (served here or by a proxy).
async fn security_headers(
    axum::extract::State(secure): axum::extract::State<bool>,
    req: Request<axum::body::Body>,
    next: Next,
) -> Response {
    let mut r = next.run(req).await;
    let h = r.headers_mut();
    if secure {
        h.insert(
            "strict-transport-security",
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    h.insert(
        "content-security-policy",
        HeaderValue::from_static("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'"),
    );
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    r
}

/// One line per request: the route's template (`/api/v1/persons/{id}`), never the raw path or
/// query, which can carry an ID number or phone someone searched for.
async fn access_log(req: Request<axum::body::Body>, next: Next) -> Response {
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| "(未匹配)".to_string(), |m| m.as_str().to_string());
    let started = std::time::Instant::now();
    let r = next.run(req).await;
    tracing::info!(
        target: "shequ::access",
        "{method} {route} {} {}ms",
        r.status().as_u16(),
        started.elapsed().as_millis()
    );
    r
}

/// The API answers every error in its JSON shape. The extractors of paths and query strings
/// (and the router, for a method a route lacks) answer in plain English text: such a 4xx is
/// re-worded here, keeping its status.
async fn api_errors_as_json(req: Request<axum::body::Body>, next: Next) -> Response {
    if !req.uri().path().starts_with("/api/") {
        return next.run(req).await;
    }
    let method = req.method().clone();
    let r = next.run(req).await;
    let json = r
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !r.status().is_client_error() || json {
        return r;
    }
    let (mut parts, body) = r.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let message = if parts.status == axum::http::StatusCode::METHOD_NOT_ALLOWED {
        format!("此地址不支持 {method} 请求")
    } else if let Some(rest) = text.strip_prefix("Invalid URL: ") {
        match rest
            .strip_prefix("Cannot parse `")
            .and_then(|r| r.strip_suffix("` to a `i64`"))
        {
            Some(id) => format!("网址中的编号“{id}”不对：应为整数"),
            None => format!("网址中的参数不对：{rest}"),
        }
    } else if let Some(rest) = text.strip_prefix("Failed to deserialize query string: ") {
        format!("查询参数不对：{rest}")
    } else if text.is_empty() {
        format!(
            "请求不对（{}）",
            parts.status.canonical_reason().unwrap_or("")
        )
    } else {
        format!("请求不对：{text}")
    };
    let body = error::ErrorBody {
        error: error::ErrorDetail {
            code: "bad_request",
            field: None,
            message,
            existing: None,
            allowed: Vec::new(),
        },
    };
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    parts
        .headers
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// Pages answer every error with the Chinese error page. Page handlers do so themselves
/// (`PageError`); what answers before them or instead of them — axum's extractors and the
/// router — answers in English plain text: any error on a page route that is not HTML is
/// re-rendered here, keeping its status, so no page handler can forget.
async fn page_errors_as_html(req: Request<axum::body::Body>, next: Next) -> Response {
    let path = req.uri().path();
    if path.starts_with("/api/") || path.starts_with("/open311/") {
        return next.run(req).await;
    }
    let method = req.method().clone();
    let r = next.run(req).await;
    let status = r.status();
    let html = r
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if html || !(status.is_client_error() || status.is_server_error()) {
        return r;
    }
    let text = axum::body::to_bytes(r.into_body(), 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    tracing::info!("page error {status} re-rendered in Chinese: {text}");
    layout::rejection_page(status, method.as_str(), &text)
}

/// No field takes a NUL character, and PostgreSQL refuses one in text: a query string or form
/// that carries one (`%00`) is refused here, before any handler runs, on both databases alike.
/// JSON bodies are checked by `api::ApiJson`, which names the field.
async fn refuse_nul(req: Request<axum::body::Body>, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let refuse = |e: error::AppError| {
        if api {
            e.into_response()
        } else {
            layout::error_page(&e)
        }
    };
    let nul = |b: &[u8]| b.contains(&0) || b.windows(3).any(|w| w == b"%00");
    if req.uri().query().is_some_and(|q| nul(q.as_bytes())) {
        return refuse(error::AppError::BadRequest(
            "网址的查询参数含有空字符（%00），请删除后重试".into(),
        ));
    }
    let form = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !form {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, BODY_LIMIT).await {
        Ok(b) => b,
        Err(_) => {
            return refuse(error::AppError::TooLarge(format!(
                "提交的内容超过上限（{} MB），请精简或分批提交",
                BODY_LIMIT / (1024 * 1024)
            )));
        }
    };
    if nul(&bytes) {
        return refuse(error::AppError::BadRequest(
            "提交的内容含有空字符（%00），请删除后重试".into(),
        ));
    }
    next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
        .await
}

/// Every refused request (403) leaves an audit row naming who tried what. Login failures are
/// audited where they happen, so the login routes are left out here.
async fn audit_denials(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: Request<axum::body::Body>,
    next: Next,
) -> Response {
    let (parts, body) = req.into_parts();
    let target = format!("{} {}", parts.method, parts.uri.path());
    let token = auth::request_token(&parts);
    let r = next.run(Request::from_parts(parts, body)).await;
    if r.status() == axum::http::StatusCode::FORBIDDEN
        && !target.ends_with(" /login")
        && !target.ends_with(" /api/v1/session")
    {
        let actor = match token {
            Some(t) => auth::resolve(&state, t)
                .await
                .ok()
                .flatten()
                .map(|(a, _)| a),
            None => None,
        };
        let logged = state
            .db(move |c| {
                let by = actor.as_ref().map_or(By::System, By::Actor);
                let event = Event {
                    action: "denied",
                    target: Some(target),
                    outcome: "拒绝",
                    detail: None,
                };
                audit::record_alone(c, by, event)
            })
            .await;
        if let Err(e) = logged {
            tracing::error!("could not audit a refused request: {}", e.message());
        }
    }
    r
}

/// Every route with its rule, in registration order.
pub fn routes() -> access::Routes {
    use access::{Need, Routes, Target, rule};
    Routes::new()
        .merge(today::routes())
        .merge(pages::routes())
        .merge(lines::routes())
        .get("/static/style.css", rule(Need::Public, Target::None), style)
        .get(
            "/static/field.js",
            rule(Need::Public, Target::None),
            field_js,
        )
        .get("/sw.js", rule(Need::Public, Target::None), service_worker)
        .get(
            "/manifest.webmanifest",
            rule(Need::Public, Target::None),
            manifest,
        )
        .get("/static/icon.svg", rule(Need::Public, Target::None), icon)
        .get("/healthz", rule(Need::Public, Target::None), healthz)
}

/// The route table, for `shequ routes` and the authorisation test.
pub fn route_table() -> Vec<access::RouteInfo> {
    routes().into_parts().1
}

async fn healthz() -> &'static str {
    "ok"
}

pub fn router(state: AppState) -> Router {
    let (routes, _) = routes().into_parts();
    routes
        .fallback(fallback)
        .layer(axum::Extension(state.clone()))
        .layer(middleware::from_fn(refuse_nul))
        .layer(middleware::from_fn(api_errors_as_json))
        .layer(middleware::from_fn(page_errors_as_html))
        .layer(middleware::from_fn(access_log))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn_with_state(state.clone(), audit_denials))
        .layer(middleware::from_fn_with_state(
            state.inner.secure,
            security_headers,
        ))
        .with_state(state)
}

async fn fallback(uri: axum::http::Uri) -> Response {
    let e = error::AppError::Store(shequ_store::StoreError::NotFound("页面".into()));
    if uri.path().starts_with("/api/") {
        e.into_response()
    } else {
        layout::error_page(&e)
    }
}

/// Serves until Ctrl-C / SIGTERM. `on_ready` gets the bound address (port 0 picks a free one).
/// `tls`: serve HTTPS from these certificates (see `tls::load`); None for plain HTTP (behind
/// a TLS proxy, or on a laptop for a demo).
pub async fn serve(
    state: AppState,
    listen: SocketAddr,
    tls: Option<std::sync::Arc<tokio_rustls::rustls::ServerConfig>>,
    on_ready: impl FnOnce(SocketAddr),
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let mut addr = listener.local_addr()?;
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    let scheme = if tls.is_some() || state.inner.secure {
        "https"
    } else {
        "http"
    };
    // Without `--public-url`, a local demo: the address it listens on.
    let _ = state.inner.public_url.set(format!("{scheme}://{addr}"));
    on_ready(listener.local_addr()?);
    let app = router(state);
    match tls {
        Some(config) => {
            axum::serve(tls::TlsListener::new(listener, config)?, app)
                .with_graceful_shutdown(shutdown())
                .await
        }
        None => {
            axum::serve(listener, app)
                .with_graceful_shutdown(shutdown())
                .await
        }
    }
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
