#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]
//! The HTTP face of `shequ`: server-rendered pages for people, a JSON API for programs.

pub mod access;
pub mod api;
pub mod auth;
pub mod error;
pub mod export;
pub mod masking;
pub mod pages;
pub mod state;
pub mod tls;

use std::net::SocketAddr;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, Request};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};

use shequ_store::audit::{self, By, Event};

pub use state::{AppState, Settings};

const STYLE: &str = include_str!("../static/style.css");

async fn style() -> Response {
    ([(CONTENT_TYPE, "text/css; charset=utf-8")], STYLE).into_response()
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
        .merge(pages::routes())
        .merge(api::routes())
        .get("/static/style.css", rule(Need::Public, Target::None), style)
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
        .layer(middleware::from_fn(access_log))
        .layer(DefaultBodyLimit::max(1024 * 1024))
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
        pages::error_page(&e)
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
