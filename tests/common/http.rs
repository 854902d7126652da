//! HTTP requests for the HTTP endpoint tests through a real client (ureq), and a reader of
//! Prometheus text lines.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

/// `GET path` on `addr`: the status code and the body (error statuses included).
pub fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let agent = ureq::AgentBuilder::new()
        .timeout_connect(Duration::from_secs(10))
        .timeout_read(Duration::from_secs(60))
        .build();
    let response = match agent.get(&format!("http://{addr}{path}")).call() {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("GET {path}: {e}"),
    };
    let status = response.status();
    let body = response
        .into_string()
        .unwrap_or_else(|e| panic!("GET {path}: body: {e}"));
    (status, body)
}

/// `GET path`, the body parsed as JSON.
pub fn get_json(addr: SocketAddr, path: &str) -> (u16, serde_json::Value) {
    let (status, body) = get(addr, path);
    let json = serde_json::from_str(&body)
        .unwrap_or_else(|e| panic!("GET {path}: not JSON ({e}): {body}"));
    (status, json)
}

/// The value of the series `name` whose labels include every one of `labels`, from
/// Prometheus text.
pub fn metric(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| {
            l.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('{') || rest.starts_with(' '))
        })
        .find(|l| {
            labels
                .iter()
                .all(|(k, v)| l.contains(&format!("{k}=\"{v}\"")))
        })
        .and_then(|l| l.rsplit_once(' '))
        .and_then(|(_, v)| v.parse().ok())
}

/// `GET /metrics` and read one series (see [`metric`]).
pub fn scrape(addr: SocketAddr, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let (status, text) = get(addr, "/metrics");
    assert_eq!(status, 200, "{text}");
    metric(&text, name, labels)
}

/// `method path` on `addr` with a JSON `body` (or none): the status and the JSON answer.
pub fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let agent = ureq::AgentBuilder::new()
        .timeout_connect(Duration::from_secs(10))
        .timeout_read(Duration::from_secs(60))
        .build();
    let request = agent.request(method, &format!("http://{addr}{path}"));
    let result = match body {
        Some(b) => request
            .set("content-type", "application/json")
            .send_string(&b.to_string()),
        None => request.call(),
    };
    let response = match result {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{method} {path}: {e}"),
    };
    let status = response.status();
    let text = response
        .into_string()
        .unwrap_or_else(|e| panic!("{method} {path}: body: {e}"));
    let json = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{method} {path}: not JSON ({e}): {text}"));
    (status, json)
}
