//! The transactional producer's APIs: AddPartitionsToTxn (24), AddOffsetsToTxn (25), EndTxn
//! (26) and TxnOffsetCommit (28), plus the admin tools' DescribeTransactions (65) and
//! ListTransactions (66). The work is done by [`crate::txn::TransactionCoordinator`] on the
//! blocking pool (it fsyncs and writes markers); these handlers translate requests and errors.
//!
//! Old request versions predate PRODUCER_FENCED: they are answered INVALID_PRODUCER_EPOCH.

use kalfka_protocol::error_code::ErrorCode;
use kalfka_protocol::messages::add_partitions_to_txn_request::AddPartitionsToTxnTopic;
use kalfka_protocol::messages::add_partitions_to_txn_response::{
    AddPartitionsToTxnPartitionResult, AddPartitionsToTxnResult, AddPartitionsToTxnTopicResult,
};
use kalfka_protocol::messages::describe_transactions_response::{TopicData, TransactionState};
use kalfka_protocol::messages::list_transactions_response::TransactionState as ListedState;
use kalfka_protocol::messages::txn_offset_commit_response::{
    TxnOffsetCommitResponsePartition, TxnOffsetCommitResponseTopic,
};
use kalfka_protocol::messages::{
    AddOffsetsToTxnRequest, AddOffsetsToTxnResponse, AddPartitionsToTxnRequest,
    AddPartitionsToTxnResponse, DescribeTransactionsRequest, DescribeTransactionsResponse,
    EndTxnRequest, EndTxnResponse, ListTransactionsRequest, ListTransactionsResponse,
    TxnOffsetCommitRequest, TxnOffsetCommitResponse,
};

use super::RequestContext;
use crate::broker::Broker;
use crate::error::BrokerError;
use crate::groups::offsets::MAX_METADATA_BYTES;
use crate::partition::now_ms;
use crate::txn::state::{FenceError, PendingOffset, TxnState};

/// First version of AddPartitionsToTxn, AddOffsetsToTxn and EndTxn that knows PRODUCER_FENCED.
const FIRST_PRODUCER_FENCED_VERSION: i16 = 2;
/// First AddPartitionsToTxn version in the batched (broker-to-broker) form.
const FIRST_BATCHED_VERSION: i16 = 4;
/// First TxnOffsetCommit version whose group joins the transaction implicitly (KIP-890).
const FIRST_IMPLICIT_GROUP_VERSION: i16 = 5;
/// First EndTxn version that bumps the epoch on every transaction (KIP-890).
const FIRST_EPOCH_BUMP_VERSION: i16 = 5;

fn fence_for(version: i16) -> FenceError {
    if version >= FIRST_PRODUCER_FENCED_VERSION {
        FenceError::ProducerFenced
    } else {
        FenceError::InvalidProducerEpoch
    }
}

/// Runs a coordinator operation on the blocking pool.
async fn blocking<T: Send + 'static>(
    ctx: &RequestContext,
    f: impl FnOnce(&Broker) -> Result<T, BrokerError> + Send + 'static,
) -> Result<T, BrokerError> {
    super::blocking(ctx, move |ctx| f(&ctx.broker))
        .await
        .and_then(|r| r)
}

fn log_refusal(api: &str, txn_id: &str, e: &BrokerError) {
    tracing::debug!(transactional_id = txn_id, error = %e, "{api} refused");
}

/// Per-partition results of one transaction's AddPartitionsToTxn: every partition gets the
/// transaction's error; with unknown partitions, those get UNKNOWN_TOPIC_OR_PARTITION and the
/// others OPERATION_NOT_ATTEMPTED (nothing is added).
async fn add_partitions_for(
    ctx: &RequestContext,
    txn_id: String,
    producer: (i64, i16),
    verify_only: bool,
    topics: Vec<AddPartitionsToTxnTopic>,
) -> Vec<AddPartitionsToTxnTopicResult> {
    let known = |name: &str, p: i32| {
        ctx.broker
            .topics
            .get(name)
            .is_some_and(|t| t.partition(p).is_some())
    };
    let any_unknown = topics
        .iter()
        .any(|t| t.partitions.iter().any(|&p| !known(&t.name, p)));
    let outcome = if any_unknown {
        None
    } else {
        let partitions: Vec<(String, i32)> = topics
            .iter()
            .flat_map(|t| t.partitions.iter().map(|&p| (t.name.clone(), p)))
            .collect();
        let fence = fence_for(ctx.version());
        let id = txn_id.clone();
        let result = blocking(ctx, move |b| {
            if verify_only {
                b.txns.verify_partitions(&id, producer, &partitions)
            } else {
                b.txns.add_partitions(&id, producer, partitions, fence)
            }
        })
        .await;
        if let Err(e) = &result {
            log_refusal("AddPartitionsToTxn", &txn_id, e);
        }
        Some(result.err().map_or(ErrorCode::None, |e| e.code()))
    };
    topics
        .into_iter()
        .map(|t| AddPartitionsToTxnTopicResult {
            results_by_partition: t
                .partitions
                .iter()
                .map(|&p| AddPartitionsToTxnPartitionResult {
                    partition_index: p,
                    partition_error_code: match outcome {
                        Some(code) => code.code(),
                        None if known(&t.name, p) => ErrorCode::OperationNotAttempted.code(),
                        None => ErrorCode::UnknownTopicOrPartition.code(),
                    },
                })
                .collect(),
            name: t.name,
        })
        .collect()
}

/// AddPartitionsToTxn: v0-3 (clients) one transaction; v4+ (brokers) several, possibly
/// `verify_only`.
pub async fn add_partitions(
    ctx: &RequestContext,
    req: AddPartitionsToTxnRequest,
) -> AddPartitionsToTxnResponse {
    if ctx.version() < FIRST_BATCHED_VERSION {
        let producer = (
            req.v3_and_below_producer_id,
            req.v3_and_below_producer_epoch,
        );
        let results = add_partitions_for(
            ctx,
            req.v3_and_below_transactional_id,
            producer,
            false,
            req.v3_and_below_topics,
        )
        .await;
        return AddPartitionsToTxnResponse {
            results_by_topic_v3_and_below: results,
            ..Default::default()
        };
    }
    let mut results = Vec::with_capacity(req.transactions.len());
    for t in req.transactions {
        let producer = (t.producer_id, t.producer_epoch);
        let topic_results = add_partitions_for(
            ctx,
            t.transactional_id.clone(),
            producer,
            t.verify_only,
            t.topics,
        )
        .await;
        results.push(AddPartitionsToTxnResult {
            transactional_id: t.transactional_id,
            topic_results,
        });
    }
    AddPartitionsToTxnResponse {
        error_code: ErrorCode::None.code(),
        results_by_transaction: results,
        ..Default::default()
    }
}

/// AddOffsetsToTxn: the transaction will commit offsets of the group.
pub async fn add_offsets(
    ctx: &RequestContext,
    req: AddOffsetsToTxnRequest,
) -> AddOffsetsToTxnResponse {
    let fence = fence_for(ctx.version());
    let (id, group) = (req.transactional_id.clone(), req.group_id.clone());
    let producer = (req.producer_id, req.producer_epoch);
    let result = if group.is_empty() {
        Err(BrokerError::InvalidGroupId)
    } else {
        blocking(ctx, move |b| {
            b.txns.add_offsets(&id, producer, &group, fence)
        })
        .await
    };
    if let Err(e) = &result {
        log_refusal("AddOffsetsToTxn", &req.transactional_id, e);
    }
    AddOffsetsToTxnResponse {
        throttle_time_ms: 0,
        error_code: result.err().map_or(0, |e| e.code_i16()),
    }
}

/// EndTxn: commit or abort; v5 also gives the producer its next epoch.
pub async fn end_txn(ctx: &RequestContext, req: EndTxnRequest) -> EndTxnResponse {
    let fence = fence_for(ctx.version());
    let bump = ctx.version() >= FIRST_EPOCH_BUMP_VERSION;
    let id = req.transactional_id.clone();
    let producer = (req.producer_id, req.producer_epoch);
    let commit = req.committed;
    let result = blocking(ctx, move |b| {
        b.txns
            .end_txn(b.txn_deps(), &id, producer, commit, bump, fence)
    })
    .await;
    match result {
        Ok((producer_id, producer_epoch)) => EndTxnResponse {
            throttle_time_ms: 0,
            error_code: 0,
            producer_id,
            producer_epoch,
        },
        Err(e) => {
            log_refusal("EndTxn", &req.transactional_id, &e);
            EndTxnResponse {
                throttle_time_ms: 0,
                error_code: e.code_i16(),
                producer_id: -1,
                producer_epoch: -1,
            }
        }
    }
}

/// TxnOffsetCommit (sent to the group coordinator): offsets held by the transaction until it
/// commits. Member fields (v3+) are checked like OffsetCommit's; v5 adds the group to the
/// transaction itself (transaction version 2 clients skip AddOffsetsToTxn).
pub async fn txn_offset_commit(
    ctx: &RequestContext,
    req: TxnOffsetCommitRequest,
) -> TxnOffsetCommitResponse {
    let mut per_partition: Vec<(String, i32, Option<BrokerError>)> = Vec::new();
    let mut offsets = Vec::new();
    for t in &req.topics {
        for p in &t.partitions {
            let too_large = p
                .committed_metadata
                .as_ref()
                .is_some_and(|m| m.len() > MAX_METADATA_BYTES);
            if too_large {
                per_partition.push((
                    t.name.clone(),
                    p.partition_index,
                    Some(BrokerError::OffsetMetadataTooLarge),
                ));
                continue;
            }
            per_partition.push((t.name.clone(), p.partition_index, None));
            offsets.push(PendingOffset {
                group: req.group_id.clone(),
                topic: t.name.clone(),
                partition: p.partition_index,
                offset: p.committed_offset,
                leader_epoch: p.committed_leader_epoch,
                metadata: p.committed_metadata.clone(),
            });
        }
    }
    let checked = ctx.broker.groups.validate_txn_commit(
        &req.group_id,
        req.generation_id,
        &req.member_id,
        req.group_instance_id.as_deref(),
    );
    let result = match checked {
        Err(e) => Err(e),
        Ok(()) if offsets.is_empty() => Ok(()),
        Ok(()) => {
            let id = req.transactional_id.clone();
            let producer = (req.producer_id, req.producer_epoch);
            let implicit = ctx.version() >= FIRST_IMPLICIT_GROUP_VERSION;
            blocking(ctx, move |b| {
                b.txns.txn_offset_commit(&id, producer, offsets, implicit)
            })
            .await
        }
    };
    if let Err(e) = &result {
        log_refusal("TxnOffsetCommit", &req.transactional_id, e);
    }
    let request_code = result.err().map(|e| e.code_i16());
    let mut topics: Vec<TxnOffsetCommitResponseTopic> = Vec::new();
    for (topic, partition, own) in per_partition {
        let error_code = own
            .map(|e| e.code_i16())
            .or(request_code)
            .unwrap_or(ErrorCode::None.code());
        let entry = TxnOffsetCommitResponsePartition {
            partition_index: partition,
            error_code,
        };
        match topics.last_mut() {
            Some(t) if t.name == topic => t.partitions.push(entry),
            _ => topics.push(TxnOffsetCommitResponseTopic {
                name: topic,
                partitions: vec![entry],
            }),
        }
    }
    TxnOffsetCommitResponse {
        throttle_time_ms: 0,
        topics,
    }
}

/// DescribeTransactions: the state of each named transactional id.
pub async fn describe(
    ctx: &RequestContext,
    req: DescribeTransactionsRequest,
) -> DescribeTransactionsResponse {
    let transaction_states = req
        .transactional_ids
        .into_iter()
        .map(|id| match ctx.broker.txns.describe(&id) {
            None => TransactionState {
                error_code: ErrorCode::TransactionalIdNotFound.code(),
                transactional_id: id,
                transaction_state: String::new(),
                transaction_timeout_ms: 0,
                transaction_start_time_ms: -1,
                producer_id: -1,
                producer_epoch: -1,
                topics: vec![],
            },
            Some(m) => {
                let mut topics: Vec<TopicData> = Vec::new();
                for (topic, p) in &m.partitions {
                    match topics.last_mut() {
                        Some(t) if &t.topic == topic => t.partitions.push(*p),
                        _ => topics.push(TopicData {
                            topic: topic.clone(),
                            partitions: vec![*p],
                        }),
                    }
                }
                TransactionState {
                    error_code: ErrorCode::None.code(),
                    transactional_id: id,
                    transaction_state: m.state.name().to_string(),
                    transaction_timeout_ms: m.timeout_ms,
                    transaction_start_time_ms: m.txn_start_ms,
                    producer_id: m.producer_id,
                    producer_epoch: m.producer_epoch,
                    topics,
                }
            }
        })
        .collect();
    DescribeTransactionsResponse {
        throttle_time_ms: 0,
        transaction_states,
    }
}

/// ListTransactions: every transactional id, filtered by state, producer id and (v1) how
/// long the open transaction has run.
pub async fn list(ctx: &RequestContext, req: ListTransactionsRequest) -> ListTransactionsResponse {
    let unknown_state_filters: Vec<String> = req
        .state_filters
        .iter()
        .filter(|f| !TxnState::ALL.iter().any(|s| s.name() == f.as_str()))
        .cloned()
        .collect();
    let now = now_ms();
    let transaction_states = ctx
        .broker
        .txns
        .list()
        .into_iter()
        .filter(|(_, m)| {
            req.state_filters.is_empty() || req.state_filters.iter().any(|f| f == m.state.name())
        })
        .filter(|(_, m)| {
            req.producer_id_filters.is_empty() || req.producer_id_filters.contains(&m.producer_id)
        })
        .filter(|(_, m)| {
            req.duration_filter < 0
                || (m.state == TxnState::Ongoing
                    && now.saturating_sub(m.txn_start_ms) >= req.duration_filter)
        })
        .map(|(id, m)| ListedState {
            transactional_id: id,
            producer_id: m.producer_id,
            transaction_state: m.state.name().to_string(),
        })
        .collect();
    ListTransactionsResponse {
        throttle_time_ms: 0,
        error_code: ErrorCode::None.code(),
        unknown_state_filters,
        transaction_states,
    }
}
