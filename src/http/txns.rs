//! Transactions and producers for the console.
//!
//! - `GET /api/v1/transactions`: every transactional id the coordinator knows, as
//!   ListTransactions and DescribeTransactions answer them, with the open transaction's age
//!   (`age_ms`, from its start time) and partitions.
//! - `GET /api/v1/producers?topic=NAME`: the live idempotent producers of each partition (of
//!   one topic, or of every topic), as DescribeProducers answers; partitions without
//!   producers are left out when no topic is named.
//!
//! Invariant: both are the broker's own Kafka handlers called in-process (see
//! [`super::kafka`]), so the page shows what `kafka-transactions.sh` would.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::Json;
use kalfka_protocol::messages::describe_producers_request::TopicRequest;
use kalfka_protocol::messages::{
    DescribeProducersRequest, DescribeTransactionsRequest, ListTransactionsRequest,
};
use serde::Serialize;
use serde_json::{json, Value};

use super::error::ApiError;
use super::kafka::context;
use super::query::Query;
use super::HttpState;
use crate::api;

/// One transactional id.
#[derive(Debug, Serialize)]
struct Transaction {
    transactional_id: String,
    state: String,
    producer_id: i64,
    producer_epoch: i16,
    timeout_ms: i32,
    start_time_ms: i64,
    /// How long the current transaction has been open (`null` when none is).
    age_ms: Option<i64>,
    /// Partitions in the transaction, by topic.
    partitions: Vec<TopicPartitions>,
}

#[derive(Debug, Serialize)]
struct TopicPartitions {
    topic: String,
    partitions: Vec<i32>,
}

/// `GET /api/v1/transactions`.
pub async fn transactions(State(state): State<Arc<HttpState>>) -> Result<Json<Value>, ApiError> {
    let ctx = context::<ListTransactionsRequest>(&state, 1)?;
    let listed = api::transactions::list(
        &ctx,
        ListTransactionsRequest {
            state_filters: vec![],
            producer_id_filters: vec![],
            duration_filter: -1,
        },
    )
    .await;
    ApiError::check(listed.error_code, None, "list transactions")?;
    let ids: Vec<String> = listed
        .transaction_states
        .into_iter()
        .map(|t| t.transactional_id)
        .collect();
    let ctx = context::<DescribeTransactionsRequest>(&state, 0)?;
    let described = api::transactions::describe(
        &ctx,
        DescribeTransactionsRequest {
            transactional_ids: ids,
        },
    )
    .await;
    let now = crate::clock::now_ms();
    let mut out: Vec<Transaction> = described
        .transaction_states
        .into_iter()
        .filter(|t| t.error_code == 0)
        .map(|t| {
            let open = matches!(
                t.transaction_state.as_str(),
                "Ongoing" | "PrepareCommit" | "PrepareAbort"
            );
            Transaction {
                age_ms: (open && t.transaction_start_time_ms >= 0)
                    .then(|| now.saturating_sub(t.transaction_start_time_ms).max(0)),
                transactional_id: t.transactional_id,
                state: t.transaction_state,
                producer_id: t.producer_id,
                producer_epoch: t.producer_epoch,
                timeout_ms: t.transaction_timeout_ms,
                start_time_ms: t.transaction_start_time_ms,
                partitions: t
                    .topics
                    .into_iter()
                    .map(|x| TopicPartitions {
                        topic: x.topic,
                        partitions: x.partitions,
                    })
                    .collect(),
            }
        })
        .collect();
    out.sort_by(|a, b| a.transactional_id.cmp(&b.transactional_id));
    Ok(Json(json!({ "transactions": out })))
}

/// One producer on one partition.
#[derive(Debug, Serialize)]
struct Producer {
    producer_id: i64,
    producer_epoch: i32,
    last_sequence: i32,
    last_timestamp: i64,
    coordinator_epoch: i32,
    current_txn_start_offset: i64,
}

#[derive(Debug, Serialize)]
struct PartitionProducers {
    topic: String,
    partition: i32,
    producers: Vec<Producer>,
}

/// `GET /api/v1/producers`.
pub async fn producers(
    State(state): State<Arc<HttpState>>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let q = Query::parse(raw.as_deref());
    let ctx = context::<DescribeProducersRequest>(&state, 0)?;
    let topics: Vec<TopicRequest> = match q.str("topic") {
        Some(name) => {
            let t = ctx
                .broker
                .topics
                .get(name)
                .ok_or_else(|| ApiError::NotFound(format!("unknown topic {name:?}")))?;
            vec![TopicRequest {
                name: name.to_string(),
                partition_indexes: t.partitions.iter().map(|p| p.index).collect(),
            }]
        }
        None => ctx
            .broker
            .topics
            .list()
            .iter()
            .map(|t| TopicRequest {
                name: t.name.clone(),
                partition_indexes: t.partitions.iter().map(|p| p.index).collect(),
            })
            .collect(),
    };
    let keep_empty = q.str("topic").is_some();
    let resp = api::producers::describe(&ctx, DescribeProducersRequest { topics }).await;
    let mut out = Vec::new();
    for t in resp.topics {
        for p in t.partitions {
            if p.error_code != 0 || (!keep_empty && p.active_producers.is_empty()) {
                continue;
            }
            out.push(PartitionProducers {
                topic: t.name.clone(),
                partition: p.partition_index,
                producers: p
                    .active_producers
                    .into_iter()
                    .map(|s| Producer {
                        producer_id: s.producer_id,
                        producer_epoch: s.producer_epoch,
                        last_sequence: s.last_sequence,
                        last_timestamp: s.last_timestamp,
                        coordinator_epoch: s.coordinator_epoch,
                        current_txn_start_offset: s.current_txn_start_offset,
                    })
                    .collect(),
            });
        }
    }
    Ok(Json(json!({ "partitions": out })))
}
