//! Guards the console's changing routes (POST, PUT, DELETE) against other web sites: a page
//! on another origin that the operator's browser visits must not create or delete topics on
//! the broker at 127.0.0.1.
//!
//! Invariants: a changing request is refused with 403 unless (a) when the endpoint listens on
//! a loopback address, its `Host` names the endpoint by an IP address or `localhost` (a
//! DNS-rebinding name such as `evil.example` that resolves to 127.0.0.1 is refused; an
//! endpoint deliberately listening on another address is reached by whatever name the
//! operator gives it), and (b) when the browser sends an `Origin` (it does for every
//! cross-origin POST, PUT and DELETE), that origin is `http://` + the request's `Host`. Tools
//! without a browser (curl, scripts) send no `Origin` and pass. Reads are not guarded.

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;

/// Refuses a changing request from another origin (see the module docs).
pub async fn same_origin(
    State(state): State<Arc<super::HttpState>>,
    request: Request,
    next: Next,
) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    let headers = request.headers();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let origin = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok());
    if let Err(why) = check(host, origin, state.http_addr.ip().is_loopback()) {
        return (
            StatusCode::FORBIDDEN,
            Json(serde_json::json!({ "error": why, "code": null, "error_name": null })),
        )
            .into_response();
    }
    next.run(request).await
}

/// Whether a changing request with these `Host` and `Origin` headers may pass, on an
/// endpoint listening on a `loopback` address or not.
fn check(host: &str, origin: Option<&str>, loopback: bool) -> Result<(), String> {
    if loopback && !local_name(host) {
        return Err(format!(
            "refused: changes are accepted only for a Host that is an IP address or localhost, not {host:?}"
        ));
    }
    match origin {
        Some(o) if o != format!("http://{host}") => Err(format!(
            "refused: a change requested by the page at {o} (another origin than http://{host})"
        )),
        _ => Ok(()),
    }
}

/// `host[:port]` names the endpoint by an IP literal (`[::1]` included) or `localhost`.
fn local_name(host: &str) -> bool {
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) && !name.ends_with(':') => {
            name
        }
        _ => host,
    };
    let name = name.trim_start_matches('[').trim_end_matches(']');
    name.eq_ignore_ascii_case("localhost") || name.parse::<IpAddr>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn same_origin_and_local_hosts_pass() {
        assert!(check("127.0.0.1:9644", None, true).is_ok());
        assert!(check("127.0.0.1:9644", Some("http://127.0.0.1:9644"), true).is_ok());
        assert!(check("localhost:9644", Some("http://localhost:9644"), true).is_ok());
        assert!(check("[::1]:9644", None, true).is_ok());
        assert!(check("10.0.0.5", None, true).is_ok());
        // Listening on another address, the operator's own host names work.
        assert!(check("devbox:9644", Some("http://devbox:9644"), false).is_ok());
    }

    #[test]
    fn other_origins_and_rebound_names_are_refused() {
        assert!(check("127.0.0.1:9644", Some("http://evil.example"), true).is_err());
        assert!(check("127.0.0.1:9644", Some("null"), true).is_err());
        assert!(check("evil.example:9644", Some("http://evil.example:9644"), true).is_err());
        assert!(check("evil.example:9644", None, true).is_err());
        assert!(check("", None, true).is_err());
        assert!(check("devbox:9644", Some("http://evil.example"), false).is_err());
    }
}
