//! The HTTP endpoint (`--http-listen`, default `127.0.0.1:9644`): `/metrics`, `/healthz`,
//! `/readyz`, the web console at `/` (see [`console`]) and the JSON API it reads and writes
//! (`/api/v1/...`).
//!
//! The JSON API, by module:
//! - [`api`]: `GET /api/v1/cluster`, `/stats`, `/topics`, `/topics/{name}`, `/groups`,
//!   `/groups/{id}` (read-only views).
//! - [`topics`]: `POST /api/v1/topics`, `DELETE /api/v1/topics/{name}`,
//!   `POST /api/v1/topics/{name}/partitions`, `PUT /api/v1/topics/{name}/configs`.
//! - [`messages`]: `GET` and `POST /api/v1/topics/{name}/messages` (browse, produce).
//! - [`groups`]: `POST /api/v1/groups/{id}/reset-offsets`, `DELETE /api/v1/groups/{id}`.
//! - [`txns`]: `GET /api/v1/transactions`, `GET /api/v1/producers`.
//!
//! Errors are JSON `{"error", "code", "error_name"}` (see [`error`]) with the Kafka error code
//! the broker's Kafka API answers for the same refusal. Changing routes refuse requests from
//! other web origins (see [`guard`]).
//!
//! Invariants:
//! - It starts before the data directory is opened and runs on the broker's tokio runtime, as
//!   its own task, until [`HttpEndpoint::stop`]: `/healthz` answers 200 from the start,
//!   `/readyz` 503 until every [`Readiness`] check has passed, and the broker-backed routes
//!   (`/api/...`, the broker part of `/metrics`) answer 503 until the broker is attached.
//! - Read handlers only read broker state; every change (topics, configs, offsets, records,
//!   groups) is a Kafka request handled in-process by the broker's own Kafka API handler
//!   (see [`kafka`]), never a second implementation. Whatever walks every partition or group
//!   or reads a log runs on the blocking pool, never on a runtime worker.
//! - Port 0 binds a free port; [`HttpEndpoint::addr`] is the address actually bound.

pub mod api;
pub mod console;
pub mod error;
pub mod groups;
pub mod guard;
pub mod kafka;
pub mod messages;
pub mod query;
mod readiness;
pub mod topics;
pub mod txns;

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use readiness::Readiness;

use crate::broker::Broker;

/// Why the endpoint could not start.
#[derive(Debug, thiserror::Error)]
#[error("cannot serve HTTP on {addr}: {source} (--http-listen picks another address; an empty value turns the endpoint off)")]
pub struct HttpError {
    /// The address.
    pub addr: SocketAddr,
    /// The OS error.
    pub source: std::io::Error,
}

/// What the handlers share.
#[derive(Debug)]
pub struct HttpState {
    readiness: Arc<Readiness>,
    broker: OnceLock<Arc<Broker>>,
    kafka_addr: OnceLock<SocketAddr>,
    http_addr: SocketAddr,
    started: Instant,
    started_at_ms: i64,
}

impl HttpState {
    /// The broker, once attached.
    pub(crate) fn broker(&self) -> Option<Arc<Broker>> {
        self.broker.get().cloned()
    }
}

/// A running HTTP endpoint.
#[derive(Debug)]
pub struct HttpEndpoint {
    state: Arc<HttpState>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl HttpEndpoint {
    /// Binds `addr` and serves in a task of the current runtime; `readiness` is what
    /// `/readyz` reports.
    pub async fn start(addr: SocketAddr, readiness: Arc<Readiness>) -> Result<Self, HttpError> {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| HttpError { addr, source })?;
        let bound = listener
            .local_addr()
            .map_err(|source| HttpError { addr, source })?;
        let state = Arc::new(HttpState {
            readiness,
            broker: OnceLock::new(),
            kafka_addr: OnceLock::new(),
            http_addr: bound,
            started: Instant::now(),
            started_at_ms: crate::clock::now_ms(),
        });
        let (stop, mut stopped) = watch::channel(false);
        let app = router(Arc::clone(&state));
        let task = tokio::spawn(async move {
            let shutdown = async move {
                // Resolves when stop() sends true or the endpoint is dropped.
                let _ = stopped.wait_for(|s| *s).await;
            };
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
            {
                tracing::warn!(error = %e, "the HTTP endpoint stopped");
            }
        });
        tracing::info!(http = %bound, "HTTP endpoint listening (/metrics, /healthz, /readyz, /api/v1)");
        Ok(HttpEndpoint { state, stop, task })
    }

    /// The address actually bound.
    pub fn addr(&self) -> SocketAddr {
        self.state.http_addr
    }

    /// Makes the broker's state available to `/metrics` and `/api`; `kafka_addr` is the
    /// Kafka listener's bound address.
    pub fn attach(&self, broker: Arc<Broker>, kafka_addr: SocketAddr) {
        let _ = self.state.broker.set(broker);
        let _ = self.state.kafka_addr.set(kafka_addr);
    }

    /// Stops serving and waits for the task (requests in progress finish first).
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

fn router(state: Arc<HttpState>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/", get(console::index))
        .route("/console/{file}", get(console::asset))
        .route("/api/v1/cluster", get(api::cluster))
        .route("/api/v1/stats", get(api::stats))
        .route("/api/v1/topics", get(api::topics).post(topics::create))
        .route(
            "/api/v1/topics/{name}",
            get(api::topic).delete(topics::delete),
        )
        .route(
            "/api/v1/topics/{name}/partitions",
            post(topics::add_partitions),
        )
        .route("/api/v1/topics/{name}/configs", put(topics::alter_configs))
        .route(
            "/api/v1/topics/{name}/messages",
            get(messages::browse).post(messages::produce),
        )
        .route("/api/v1/groups", get(api::groups))
        .route(
            "/api/v1/groups/{id}",
            get(api::group).delete(groups::delete),
        )
        .route(
            "/api/v1/groups/{id}/reset-offsets",
            post(groups::reset_offsets),
        )
        .route("/api/v1/transactions", get(txns::transactions))
        .route("/api/v1/producers", get(txns::producers))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            guard::same_origin,
        ))
        .with_state(state)
}

/// The process is up.
async fn healthz() -> &'static str {
    "ok\n"
}

/// 200 once every start-up check passed, 503 before; the body lists the checks.
async fn readyz(State(state): State<Arc<HttpState>>) -> Response {
    let checks = state.readiness.checks();
    let ready = checks.iter().all(|(_, ok)| *ok);
    let body = serde_json::json!({
        "ready": ready,
        "checks": checks.iter().map(|(n, ok)| (n.to_string(), serde_json::Value::Bool(*ok)))
            .collect::<serde_json::Map<_, _>>(),
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

/// The Prometheus text.
async fn metrics(State(state): State<Arc<HttpState>>) -> Response {
    let broker = state.broker();
    let started_at_ms = state.started_at_ms;
    match tokio::task::spawn_blocking(move || crate::metrics::encode::render(broker, started_at_ms))
        .await
    {
        Ok(text) => (
            [(header::CONTENT_TYPE, crate::metrics::encode::CONTENT_TYPE)],
            text,
        )
            .into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// A JSON error body with `status`.
fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(serde_json::json!({ "error": message.into() }))).into_response()
}
