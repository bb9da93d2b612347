#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]
//! The HTTP face of `shequ`: server-rendered pages for people, a JSON API for programs.

pub mod access;
pub mod api;
pub mod auth;
pub mod error;
pub mod extract;
mod field;
mod figures;
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
/// Chart.js, from the npm registry through `assets/package-lock.json` (see build.rs).
const CHART_JS: &str = include_str!(concat!(env!("OUT_DIR"), "/chart.umd.min.js"));
/// Draws the dashboard's charts with Chart.js from the figures the page carries.
const DASHBOARD_JS: &str = include_str!("../static/dashboard.js");

/// The largest request body accepted (forms and JSON).
pub(crate) const BODY_LIMIT: usize = 1024 * 1024;

/// Bodies up to this size are read before any handler runs (see `read_body_first`).
const SMALL_BODY: usize = 64 * 1024;

async fn style() -> Response {
    ([(CONTENT_TYPE, "text/css; charset=utf-8")], STYLE).into_response()
}

async fn chart_js() -> Response {
    (
        [
            (CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (axum::http::header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        CHART_JS,
    )
        .into_response()
}

async fn dashboard_js() -> Response {
    (
        [(CONTENT_TYPE, "text/javascript; charset=utf-8")],
        DASHBOARD_JS,
    )
        .into_response()
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

/// Every error is answered in the face of its route (`error::Face`). Handlers and the
/// extractors of `extract` do so themselves; an error response from anywhere else (a layer
/// that answers before the handlers) is told apart by its content type — never by its text,
/// which is axum's and changes with it — and answered again by its status.
async fn errors_in_their_face(req: Request<axum::body::Body>, next: Next) -> Response {
    let face = error::Face::of(req.uri().path());
    let method = req.method().clone();
    let r = next.run(req).await;
    let status = r.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return r;
    }
    let ct = r
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let in_face = match face {
        error::Face::Api => ct.starts_with("application/json"),
        error::Face::Open311 { .. } => {
            ct.starts_with("application/json") || ct.starts_with("text/xml")
        }
        error::Face::Page => ct.starts_with("text/html"),
    };
    if in_face {
        return r;
    }
    tracing::warn!(
        "an error ({}) answered outside its face was answered again",
        status.as_u16()
    );
    error::answer(
        face,
        status,
        error::status_message(face, status, method.as_str()),
    )
}

/// Every body but an upload's is read in full (under the limit) before any handler runs.
/// A handler or guard that refuses without reading the body would otherwise leave its unread
/// rest on the connection, and the server then closes that connection: the client's next
/// request on it fails as "peer disconnected" instead of being answered.
///
/// No field takes a NUL character, and PostgreSQL refuses one in text: a query string or form
/// that carries one (`%00`) is refused here too, on both databases alike. JSON bodies are
/// checked by `api::ApiJson`, which names the field.
async fn read_body_first(req: Request<axum::body::Body>, next: Next) -> Response {
    let face = error::Face::of(req.uri().path());
    let refuse = |status, message: &str| error::answer(face, status, message.to_string());
    let nul = |b: &[u8]| b.contains(&0) || b.windows(3).any(|w| w == b"%00");
    if req.uri().query().is_some_and(|q| nul(q.as_bytes())) {
        return refuse(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "网址的查询参数含有空字符（%00），请删除后重试",
        );
    }
    let media = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let form = media == "application/x-www-form-urlencoded";
    // A larger body of another kind (an upload, a visit with its photos) is left to its route's
    // extractor and limit, so that no route buffers more than its own limit allows.
    let small = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        .is_some_and(|n| n <= SMALL_BODY);
    if media == "multipart/form-data" || !(form || small) {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, BODY_LIMIT).await {
        Ok(b) => b,
        Err(_) => {
            return refuse(
                axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                &format!(
                    "提交的内容超过上限（{} MB），请精简或分批提交",
                    BODY_LIMIT / (1024 * 1024)
                ),
            );
        }
    };
    if form && nul(&bytes) {
        return refuse(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "提交的内容含有空字符（%00），请删除后重试",
        );
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
        .get(
            "/static/chart.js",
            rule(Need::Public, Target::None),
            chart_js,
        )
        .get(
            "/static/dashboard.js",
            rule(Need::Public, Target::None),
            dashboard_js,
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
        .method_not_allowed_fallback(not_allowed)
        .fallback(not_found)
        .layer(axum::Extension(state.clone()))
        .layer(middleware::from_fn(read_body_first))
        .layer(middleware::from_fn(errors_in_their_face))
        .layer(middleware::from_fn(access_log))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn_with_state(state.clone(), audit_denials))
        .layer(middleware::from_fn_with_state(
            state.inner.secure,
            security_headers,
        ))
        .with_state(state)
}

async fn not_found(method: axum::http::Method, uri: axum::http::Uri) -> Response {
    by_status(axum::http::StatusCode::NOT_FOUND, &method, &uri)
}

async fn not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> Response {
    by_status(axum::http::StatusCode::METHOD_NOT_ALLOWED, &method, &uri)
}

fn by_status(
    status: axum::http::StatusCode,
    method: &axum::http::Method,
    uri: &axum::http::Uri,
) -> Response {
    let face = error::Face::of(uri.path());
    error::answer(
        face,
        status,
        error::status_message(face, status, method.as_str()),
    )
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
