//! The read-only JSON API (`/api/v1/...`) the web console reads: the cluster, traffic totals
//! (`/stats`, which the overview turns into rates), topics with their partitions and configs
//! (each with its documentation, default and source), groups with members, assignments,
//! committed offsets and lag.
//!
//! Invariants: read-only views of the broker's own state built on the blocking pool (see the
//! module docs of [`super`]); 503 until the broker is attached, 404 with `{"error": ...}` for
//! an unknown topic or group. Field names are snake_case and stable: the console depends on
//! them. Offsets and sizes are numbers, absent values are `null`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use super::{error, HttpState};
use crate::broker::Broker;
use crate::groups::overview;
use crate::metadata::topic_config::{self, ConfigSource};
use crate::metadata::Topic;

/// Runs `view` on the blocking pool with the broker, answering its JSON (or 503 / 404).
async fn respond<T: Serialize + Send + 'static>(
    state: Arc<HttpState>,
    view: impl FnOnce(&HttpState, &Broker) -> Option<T> + Send + 'static,
    not_found: String,
) -> Response {
    let Some(broker) = state.broker() else {
        return error(StatusCode::SERVICE_UNAVAILABLE, "the broker is starting");
    };
    match tokio::task::spawn_blocking(move || view(&state, &broker)).await {
        Ok(Some(body)) => Json(body).into_response(),
        Ok(None) => error(StatusCode::NOT_FOUND, not_found),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// `GET /api/v1/cluster`.
pub async fn cluster(State(state): State<Arc<HttpState>>) -> Response {
    respond(state, |s, b| Some(cluster_view(s, b)), String::new()).await
}

/// `GET /api/v1/stats`: traffic and disk totals over every partition, with the time they
/// were taken; rates are the difference of two answers over the difference of their times.
pub async fn stats(State(state): State<Arc<HttpState>>) -> Response {
    respond(state, |_, b| Some(totals(b)), String::new()).await
}

/// `GET /api/v1/topics`.
pub async fn topics(State(state): State<Arc<HttpState>>) -> Response {
    respond(
        state,
        |_, b| {
            let topics: Vec<TopicSummary> = b.topics.list().iter().map(|t| summary(b, t)).collect();
            Some(serde_json::json!({ "topics": topics }))
        },
        String::new(),
    )
    .await
}

/// `GET /api/v1/topics/{name}`.
pub async fn topic(State(state): State<Arc<HttpState>>, Path(name): Path<String>) -> Response {
    let missing = format!("unknown topic {name:?}");
    respond(
        state,
        move |_, b| b.topics.get(&name).map(|t| detail(b, &t)),
        missing,
    )
    .await
}

/// `GET /api/v1/groups`.
pub async fn groups(State(state): State<Arc<HttpState>>) -> Response {
    respond(
        state,
        |_, b| {
            let groups: Vec<GroupSummary> = overview::all(b)
                .into_iter()
                .map(|g| GroupSummary {
                    members: g.members.len(),
                    total_lag: g.offsets.iter().filter_map(|o| o.lag).sum(),
                    group_id: g.group_id,
                    group_type: g.group_type,
                    state: g.state,
                    protocol: g.protocol,
                    generation: g.generation,
                })
                .collect();
            Some(serde_json::json!({ "groups": groups }))
        },
        String::new(),
    )
    .await
}

/// `GET /api/v1/groups/{id}`.
pub async fn group(State(state): State<Arc<HttpState>>, Path(id): Path<String>) -> Response {
    let missing = format!("unknown group {id:?}");
    respond(state, move |_, b| overview::one(b, &id), missing).await
}

/// The cluster: version, uptime, listeners, data directory and counts.
#[derive(Debug, Serialize)]
struct ClusterView {
    cluster_id: String,
    node_id: i32,
    version: &'static str,
    uptime_ms: u64,
    started_at_ms: i64,
    ready: bool,
    listeners: Listeners,
    data_dir: String,
    memory: bool,
    topics: usize,
    partitions: usize,
    groups: usize,
    connections: u64,
    #[serde(flatten)]
    totals: Totals,
}

/// Traffic and disk totals over every partition.
#[derive(Debug, Serialize)]
struct Totals {
    time_ms: i64,
    messages_in: u64,
    bytes_in: u64,
    messages_out: u64,
    bytes_out: u64,
    disk_bytes: u64,
}

fn totals(b: &Broker) -> Totals {
    let mut t = Totals {
        time_ms: crate::clock::now_ms(),
        messages_in: 0,
        bytes_in: 0,
        messages_out: 0,
        bytes_out: 0,
        disk_bytes: 0,
    };
    for topic in b.topics.list() {
        for p in &topic.partitions {
            let s = p.stats().snapshot();
            t.messages_in += s.messages_in;
            t.bytes_in += s.bytes_in;
            t.messages_out += s.messages_out;
            t.bytes_out += s.bytes_out;
            t.disk_bytes += p.size_bytes();
        }
    }
    t
}

#[derive(Debug, Serialize)]
struct Listeners {
    kafka: Option<String>,
    advertised: String,
    http: String,
}

fn cluster_view(state: &HttpState, b: &Broker) -> ClusterView {
    let topics = b.topics.list();
    ClusterView {
        cluster_id: b.topics.cluster_id().to_string(),
        node_id: b.node_id(),
        version: env!("CARGO_PKG_VERSION"),
        uptime_ms: u64::try_from(state.started.elapsed().as_millis()).unwrap_or(u64::MAX),
        started_at_ms: state.started_at_ms,
        ready: state.readiness.is_ready(),
        listeners: Listeners {
            kafka: state.kafka_addr.get().map(ToString::to_string),
            advertised: format!("{}:{}", b.advertised_host(), b.advertised_port()),
            http: state.http_addr.to_string(),
        },
        data_dir: b.config.data_dir.display().to_string(),
        memory: b.config.memory,
        partitions: topics.iter().map(|t| t.partitions.len()).sum(),
        topics: topics.len(),
        groups: b.groups.list().len() + b.groups.consumer.list().len() + b.shares.list().len(),
        connections: b.metrics.connections_open(),
        totals: totals(b),
    }
}

/// A topic in the list.
#[derive(Debug, Serialize)]
struct TopicSummary {
    name: String,
    topic_id: String,
    partitions: usize,
    internal: bool,
    size_bytes: u64,
    /// Sum over partitions of high watermark minus log start.
    records: i64,
    /// `retention.ms` in force.
    retention_ms: String,
    /// `cleanup.policy` in force.
    cleanup_policy: String,
    /// Records and bytes appended since the broker started (rates are their differences).
    messages_in: u64,
    bytes_in: u64,
}

fn summary(b: &Broker, t: &Topic) -> TopicSummary {
    let mut size = 0u64;
    let mut records = 0i64;
    let (mut messages_in, mut bytes_in) = (0u64, 0u64);
    for p in &t.partitions {
        let o = p.offsets();
        size += p.size_bytes();
        records += (o.log_end - o.log_start).max(0);
        let s = p.stats().snapshot();
        messages_in += s.messages_in;
        bytes_in += s.bytes_in;
    }
    TopicSummary {
        name: t.name.clone(),
        topic_id: t.id.to_string(),
        partitions: t.partitions.len(),
        internal: t.name.starts_with("__"),
        size_bytes: size,
        records,
        retention_ms: config_value(b, t, "retention.ms"),
        cleanup_policy: config_value(b, t, "cleanup.policy"),
        messages_in,
        bytes_in,
    }
}

/// The value of topic config `name` in force for `t`: its override, the broker's value, or
/// Kafka's default.
fn config_value(b: &Broker, t: &Topic, name: &str) -> String {
    if let Some(v) = t.configs.get(name) {
        return v.clone();
    }
    topic_config::lookup(name).map_or_else(String::new, |def| {
        topic_config::broker_value(def, b.topics.defaults())
            .unwrap_or_else(|| def.default.to_string())
    })
}

/// A topic with its partitions and configs.
#[derive(Debug, Serialize)]
struct TopicDetail {
    #[serde(flatten)]
    summary: TopicSummary,
    partition_details: Vec<PartitionView>,
    configs: Vec<ConfigView>,
}

#[derive(Debug, Serialize)]
struct PartitionView {
    partition: i32,
    leader: i32,
    log_start_offset: i64,
    high_watermark: i64,
    last_stable_offset: i64,
    size_bytes: u64,
    segments: usize,
    messages_in: u64,
    bytes_in: u64,
    messages_out: u64,
    bytes_out: u64,
}

#[derive(Debug, Serialize)]
struct ConfigView {
    name: &'static str,
    value: String,
    /// `topic` (set on the topic), `broker` (the broker's setting) or `default`.
    source: &'static str,
    /// Kafka's default.
    default: &'static str,
    /// The broker's own value, when it sets one.
    broker_value: Option<String>,
    /// One-line documentation.
    doc: &'static str,
    /// Legal words of enumerated configs (empty: any).
    allowed: &'static [&'static str],
}

fn detail(b: &Broker, t: &Topic) -> TopicDetail {
    let partition_details = t
        .partitions
        .iter()
        .map(|p| {
            let o = p.offsets();
            let traffic = p.stats().snapshot();
            PartitionView {
                partition: p.index,
                leader: b.node_id(),
                log_start_offset: o.log_start,
                high_watermark: o.log_end,
                last_stable_offset: p.last_stable_offset().min(o.log_end),
                size_bytes: p.size_bytes(),
                segments: p.segment_count(),
                messages_in: traffic.messages_in,
                bytes_in: traffic.bytes_in,
                messages_out: traffic.messages_out,
                bytes_out: traffic.bytes_out,
            }
        })
        .collect();
    let configs = topic_config::effective(&t.configs, b.topics.defaults())
        .into_iter()
        .map(|e| ConfigView {
            name: e.def.name,
            value: e.value,
            default: e.def.default,
            broker_value: e.broker_value,
            doc: e.def.doc,
            allowed: e.def.allowed,
            source: match e.source {
                ConfigSource::Topic => "topic",
                ConfigSource::StaticBroker => "broker",
                ConfigSource::Default => "default",
                ConfigSource::Group => "group",
            },
        })
        .collect();
    TopicDetail {
        summary: summary(b, t),
        partition_details,
        configs,
    }
}

/// A group in the list.
#[derive(Debug, Serialize)]
struct GroupSummary {
    group_id: String,
    group_type: &'static str,
    state: String,
    protocol: String,
    generation: i32,
    members: usize,
    total_lag: i64,
}
