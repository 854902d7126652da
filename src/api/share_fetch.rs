//! Share-group delivery APIs (KIP-932): ShareFetch (78) and ShareAcknowledge (79), over
//! [`crate::groups::share::ShareGroups`].
//!
//! A request first passes its share session (epoch 0 opens one, -1 closes it and gives back
//! the member's records, anything else must be the next epoch: SHARE_SESSION_NOT_FOUND or
//! INVALID_SHARE_SESSION_EPOCH otherwise), then its acknowledgements are applied and fsynced
//! before anything is answered. A ShareFetch then acquires available records of the session's
//! partitions for the member: whole record batches are returned, and `AcquiredRecords` says
//! which of their offsets are the member's (the client skips the others).
//!
//! Waiting: a ShareFetch that acquired nothing waits up to `max_wait_ms` for an append to one
//! of its partitions or a change of share state (an acknowledgement, release or lock expiry
//! may make records available or make room in a full in-flight window), re-checking at least
//! every [`RECHECK`] anyway.
//!
//! Isolation (`share.isolation.level`, a GROUP config): read_uncommitted groups get every
//! record up to the log end. read_committed groups get nothing at or past the last stable
//! offset, and the offsets of aborted transactions and of transaction markers are archived
//! as the window reaches them, never acquired (Kafka's `SharePartition` does the same).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use kalfka_protocol::error_code::ErrorCode;
use kalfka_protocol::messages::share_acknowledge_response::{
    LeaderIdAndEpoch as AckLeader, PartitionData as AckPartitionData, ShareAcknowledgeTopicResponse,
};
use kalfka_protocol::messages::share_fetch_response::{
    AcquiredRecords, LeaderIdAndEpoch, PartitionData, ShareFetchableTopicResponse,
};
use kalfka_protocol::messages::{
    ShareAcknowledgeRequest, ShareAcknowledgeResponse, ShareFetchRequest, ShareFetchResponse,
};
use kalfka_protocol::records::RecordBatchHeader;
use tokio::sync::Notify;

use super::metadata::LEADER_EPOCH;
use super::RequestContext;
use crate::clock::now_ms;
use crate::error::BrokerError;
use crate::groups::share::coordinator::{AckBatch, AckResults, TopicIdPartition};

/// Longest a waiting ShareFetch sleeps before looking again for released or expired records.
const RECHECK: Duration = Duration::from_millis(100);
/// Records acquired per request when the request does not say (v0 had no MaxRecords).
const DEFAULT_MAX_RECORDS: usize = 500;

/// The group and member ids a request must carry.
fn ids(group: &Option<String>, member: &Option<String>) -> Result<(String, String), BrokerError> {
    match (group, member) {
        (Some(g), Some(m)) if !g.is_empty() && !m.is_empty() => Ok((g.clone(), m.clone())),
        (Some(g), _) if !g.is_empty() => Err(BrokerError::InvalidRequest(
            "MemberId can't be empty.".into(),
        )),
        _ => Err(BrokerError::InvalidRequest(
            "GroupId can't be empty.".into(),
        )),
    }
}

/// Session step shared by both APIs: session epoch check, acknowledgements, and (epoch -1)
/// closing the session; everything durable before it returns. Runs on the blocking pool.
async fn session_and_acks(
    ctx: &RequestContext,
    group: String,
    member: String,
    epoch: i32,
    add: Vec<TopicIdPartition>,
    forget: Vec<TopicIdPartition>,
    acks: Vec<AckBatch>,
) -> Result<(Vec<TopicIdPartition>, AckResults), BrokerError> {
    super::blocking(ctx, move |ctx| {
        let shares = &ctx.broker.shares;
        let parts = shares.session(&group, &member, epoch, &add, &forget)?;
        let (results, syncer) = shares.acknowledge(&group, &member, &acks, Instant::now())?;
        let closed = if epoch == -1 {
            shares.close_session(&group, &member)?
        } else {
            None
        };
        for s in [syncer, closed].into_iter().flatten() {
            s.sync()
                .map_err(|e| BrokerError::Storage(format!("share-group state: {e}")))?;
        }
        Ok((parts, results))
    })
    .await?
}

/// The group's acquisition lock duration, as responses report it.
fn lock_timeout_ms(ctx: &RequestContext, group: Option<&String>) -> i32 {
    let d = match group {
        Some(g) => ctx.broker.shares.lock_duration(g),
        None => ctx.broker.shares.settings().limits.lock_duration,
    };
    i32::try_from(d.as_millis()).unwrap_or(i32::MAX)
}

/// ShareFetch: session, piggybacked acknowledgements, then acquisition with long polling.
pub async fn fetch(ctx: &RequestContext, req: ShareFetchRequest) -> ShareFetchResponse {
    let lock_ms = lock_timeout_ms(ctx, req.group_id.as_ref());
    // As Kafka: a request-level error carries no message and no lock timeout.
    let fail = |e: BrokerError| ShareFetchResponse {
        error_code: e.code_i16(),
        ..ShareFetchResponse::default()
    };
    let (group, member) = match ids(&req.group_id, &req.member_id) {
        Ok(ids) => ids,
        Err(e) => return fail(e),
    };
    let epoch = req.share_session_epoch;
    let mut add = Vec::new();
    let mut acks = Vec::new();
    for t in &req.topics {
        for p in &t.partitions {
            add.push((t.topic_id, p.partition_index));
            acks.extend(p.acknowledgement_batches.iter().map(|b| AckBatch {
                tp: (t.topic_id, p.partition_index),
                first: b.first_offset,
                last: b.last_offset,
                types: b.acknowledge_types.clone(),
            }));
        }
    }
    if epoch == 0 && !acks.is_empty() {
        return fail(BrokerError::InvalidRequest(
            "Acknowledge data present in initial fetch request.".into(),
        ));
    }
    let forget: Vec<TopicIdPartition> = req
        .forgotten_topics_data
        .iter()
        .flat_map(|t| t.partitions.iter().map(|p| (t.topic_id, *p)))
        .collect();
    let (parts, results) = match session_and_acks(
        ctx,
        group.clone(),
        member.clone(),
        epoch,
        add,
        forget,
        acks,
    )
    .await
    {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let mut out: BTreeMap<TopicIdPartition, PartitionData> = BTreeMap::new();
    for (tp, r) in results {
        let d = out.entry(tp).or_insert_with(|| empty_data(ctx, tp.1));
        if let Err(e) = r {
            d.acknowledge_error_code = e.code_i16();
            d.acknowledge_error_message = Some(e.to_string());
        }
    }
    if epoch != -1 && !req.is_renew_ack && !parts.is_empty() {
        // Each request of a session starts at the next partition, so that a busy partition
        // cannot take the whole record budget request after request.
        let mut parts = parts;
        let first = usize::try_from(epoch).unwrap_or(0) % parts.len();
        parts.rotate_left(first);
        let max_records = usize::try_from(req.max_records)
            .ok()
            .filter(|n| *n > 0)
            .unwrap_or(DEFAULT_MAX_RECORDS);
        let max_bytes = req.max_bytes.max(0) as usize;
        let whole_batches_mode = req.share_acquire_mode != 1;
        let deadline =
            tokio::time::Instant::now() + Duration::from_millis(req.max_wait_ms.max(0) as u64);
        loop {
            let waker = Arc::new(Notify::new());
            for (id, index) in &parts {
                if let Some(p) = ctx
                    .broker
                    .topics
                    .get_by_id(id)
                    .and_then(|t| t.partition(*index).cloned())
                {
                    p.register_waiter(&waker);
                }
            }
            // Created before looking, so a change made meanwhile still wakes us.
            let changed = ctx.broker.shares.changed().notified();
            let (g, m, ps) = (group.clone(), member.clone(), parts.clone());
            let got = super::blocking(ctx, move |ctx| {
                acquire_all(ctx, &g, &m, &ps, max_bytes, max_records, whole_batches_mode)
            })
            .await
            .and_then(|r| r);
            let got = match got {
                Ok(got) => got,
                Err(e) => return fail(e),
            };
            let done = !got.is_empty() || tokio::time::Instant::now() >= deadline;
            for (tp, d) in got {
                let slot = out.entry(tp).or_insert_with(|| empty_data(ctx, tp.1));
                slot.error_code = d.error_code;
                slot.error_message = d.error_message;
                slot.records = d.records;
                slot.acquired_records = d.acquired_records;
            }
            if done {
                break;
            }
            let wake_at = deadline.min(tokio::time::Instant::now() + RECHECK);
            let _ = tokio::time::timeout_at(wake_at, async {
                tokio::select! {
                    _ = waker.notified() => {}
                    _ = changed => {}
                }
            })
            .await;
        }
    }
    let mut responses: Vec<ShareFetchableTopicResponse> = Vec::new();
    for ((topic_id, _), d) in out {
        match responses.last_mut() {
            Some(t) if t.topic_id == topic_id => t.partitions.push(d),
            _ => responses.push(ShareFetchableTopicResponse {
                topic_id,
                partitions: vec![d],
            }),
        }
    }
    ShareFetchResponse {
        throttle_time_ms: 0,
        error_code: ErrorCode::None.code(),
        error_message: None,
        acquisition_lock_timeout_ms: lock_ms,
        responses,
        node_endpoints: vec![],
    }
}

/// A partition's answer without records; this node leads every partition.
fn empty_data(ctx: &RequestContext, partition: i32) -> PartitionData {
    PartitionData {
        partition_index: partition,
        error_code: ErrorCode::None.code(),
        error_message: None,
        acknowledge_error_code: ErrorCode::None.code(),
        acknowledge_error_message: None,
        current_leader: LeaderIdAndEpoch {
            leader_id: ctx.broker.node_id(),
            leader_epoch: LEADER_EPOCH,
        },
        records: Some(Bytes::new()),
        acquired_records: vec![],
    }
}

/// A partition's fetch error; like Kafka, without a message.
fn error_data(ctx: &RequestContext, partition: i32, e: BrokerError) -> PartitionData {
    PartitionData {
        error_code: e.code_i16(),
        ..empty_data(ctx, partition)
    }
}

/// One pass over the session's partitions: acquires what is available for the member, within
/// the request's byte and record budgets (the latter rounded up to whole batches when
/// `whole_batches_mode`). Returns the partitions with records or an error.
fn acquire_all(
    ctx: &RequestContext,
    group: &str,
    member: &str,
    parts: &[TopicIdPartition],
    max_bytes: usize,
    max_records: usize,
    whole_batches_mode: bool,
) -> Result<Vec<(TopicIdPartition, PartitionData)>, BrokerError> {
    let shares = &ctx.broker.shares;
    let read_committed = shares.read_committed(group);
    let mut bytes_left = max_bytes.max(1);
    let mut records_left = max_records;
    let mut out = Vec::new();
    for &(topic_id, index) in parts {
        if records_left == 0 || bytes_left == 0 {
            break;
        }
        let Some(topic) = ctx.broker.topics.get_by_id(&topic_id) else {
            out.push((
                (topic_id, index),
                error_data(ctx, index, BrokerError::UnknownTopicId),
            ));
            continue;
        };
        let Some(partition) = topic.partition(index) else {
            out.push((
                (topic_id, index),
                error_data(ctx, index, BrokerError::UnknownTopicOrPartition),
            ));
            continue;
        };
        let offsets = partition.offsets();
        // read_committed: nothing at or past the last stable offset (taken before the read).
        let stable_end = if read_committed {
            partition.last_stable_offset().min(offsets.log_end)
        } else {
            offsets.log_end
        };
        // A by_duration reset starts a new share partition at the first record that recent
        // (the log end if none is), as Kafka's SharePartition looks it up by timestamp.
        let by_time = match shares.uninitialized_by_duration(group, (topic_id, index)) {
            Some(age) => {
                let age_ms = i64::try_from(age.as_millis()).unwrap_or(i64::MAX);
                match partition.offset_for_timestamp(now_ms().saturating_sub(age_ms)) {
                    Ok(found) => Some(found.map_or(offsets.log_end, |(offset, _)| offset)),
                    Err(e) => {
                        out.push(((topic_id, index), error_data(ctx, index, e)));
                        continue;
                    }
                }
            }
            None => None,
        };
        let now = Instant::now();
        let Some(from) = shares.read_from(
            group,
            (topic_id, index),
            offsets.log_start,
            stable_end,
            by_time,
            now,
        ) else {
            continue;
        };
        let read = match partition.read(from, bytes_left) {
            Ok(read) => read,
            Err(e) => {
                out.push(((topic_id, index), error_data(ctx, index, e)));
                continue;
            }
        };
        let (records, upto) = whole_batches(read.records, stable_end);
        if upto <= from {
            continue;
        }
        let skip = if read_committed {
            let aborted = partition.aborted_txn_ranges(from, upto);
            unreadable(&records, &aborted)
        } else {
            Vec::new()
        };
        let mut ranges = shares.acquire(
            group,
            member,
            (topic_id, index),
            from,
            upto,
            records_left,
            &skip,
            now,
        );
        // Batch-optimized acquisition (ShareAcquireMode 0, Kafka's default and every v1
        // request): the record budget is met in whole batches, so the rest of the last batch
        // touched is acquired too (within the in-flight window); the member is sent that batch
        // anyway. Record-limit mode (1) never exceeds MaxRecords.
        let last = ranges
            .iter()
            .map(|r| r.last)
            .max()
            .filter(|_| whole_batches_mode);
        if let Some(last) = last {
            let batch_end = batch_end_after(&records, last).min(upto);
            if batch_end > last + 1 {
                let rest = usize::try_from(batch_end - last - 1).unwrap_or(0);
                ranges.extend(shares.acquire(
                    group,
                    member,
                    (topic_id, index),
                    last + 1,
                    batch_end,
                    rest,
                    &skip,
                    now,
                ));
            }
        }
        if ranges.is_empty() {
            continue;
        }
        let count: i64 = ranges.iter().map(|r| r.last - r.first + 1).sum();
        records_left = records_left.saturating_sub(count as usize);
        let lo = ranges.iter().map(|r| r.first).min().unwrap_or(from);
        let hi = ranges.iter().map(|r| r.last).max().unwrap_or(from);
        let records = covering(records, lo, hi);
        bytes_left = bytes_left.saturating_sub(records.len());
        let mut d = empty_data(ctx, index);
        d.records = Some(records);
        d.acquired_records = ranges
            .iter()
            .map(|r| AcquiredRecords {
                first_offset: r.first,
                last_offset: r.last,
                delivery_count: i16::try_from(r.delivery_count).unwrap_or(i16::MAX),
            })
            .collect();
        out.push(((topic_id, index), d));
    }
    // Partitions seen for the first time: their start offset is durable before we answer.
    if let Some(s) = shares.flush()? {
        s.sync()
            .map_err(|e| BrokerError::Storage(format!("share-group state: {e}")))?;
    }
    Ok(out)
}

/// The whole batches at the start of `records` that end below `below` (the log end, or the
/// last stable offset for read_committed), and the offset after the last one (0 when there is
/// none).
fn whole_batches(records: Bytes, below: i64) -> (Bytes, i64) {
    let mut pos = 0usize;
    let mut end = 0i64;
    while let Some(rest) = records.get(pos..).filter(|r| !r.is_empty()) {
        let Ok(header) = RecordBatchHeader::parse(rest) else {
            break;
        };
        if header.total_size() == 0
            || pos + header.total_size() > records.len()
            || header.next_offset() > below
        {
            break;
        }
        end = header.next_offset();
        pos += header.total_size();
    }
    (records.slice(..pos), end)
}

/// The offset after the batch of `records` holding `offset` (`offset + 1` if none does).
fn batch_end_after(records: &Bytes, offset: i64) -> i64 {
    let mut pos = 0usize;
    while let Some(rest) = records.get(pos..).filter(|r| !r.is_empty()) {
        let Ok(header) = RecordBatchHeader::parse(rest) else {
            break;
        };
        if header.total_size() == 0 || header.base_offset > offset {
            break;
        }
        if header.last_offset() >= offset {
            return header.next_offset();
        }
        pos += header.total_size();
    }
    offset + 1
}

/// The whole batches of `records` holding any offset of `lo..=hi` (the acquired records),
/// as one slice: a response carries only the batches a member may process, as Kafka's
/// `ShareFetchUtils` slices them, not everything read up to the request's byte budget.
fn covering(records: Bytes, lo: i64, hi: i64) -> Bytes {
    let mut pos = 0usize;
    let mut start = None;
    let mut end = 0usize;
    while let Some(rest) = records.get(pos..).filter(|r| !r.is_empty()) {
        let Ok(header) = RecordBatchHeader::parse(rest) else {
            break;
        };
        if header.total_size() == 0 || pos + header.total_size() > records.len() {
            break;
        }
        if header.base_offset > hi {
            break;
        }
        if header.last_offset() >= lo {
            start.get_or_insert(pos);
            end = pos + header.total_size();
        }
        pos += header.total_size();
    }
    match start {
        Some(start) => records.slice(start..end),
        None => Bytes::new(),
    }
}

/// The offset ranges of `records` a read_committed group must never receive: transaction
/// markers (control batches) and the batches of aborted transactions, i.e. transactional
/// batches of a producer inside one of its `aborted` transactions (`(producer id, first
/// offset, marker offset)`), as Kafka's `SharePartition` archives them.
fn unreadable(records: &Bytes, aborted: &[(i64, i64, i64)]) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    let mut pos = 0usize;
    while let Some(rest) = records.get(pos..).filter(|r| !r.is_empty()) {
        let Ok(header) = RecordBatchHeader::parse(rest) else {
            break;
        };
        if header.total_size() == 0 {
            break;
        }
        let aborted_batch = header.is_transactional()
            && aborted.iter().any(|(pid, first, marker)| {
                *pid == header.producer_id && (*first..=*marker).contains(&header.base_offset)
            });
        if header.is_control() || aborted_batch {
            out.push((header.base_offset, header.last_offset()));
        }
        pos += header.total_size();
    }
    out
}

/// ShareAcknowledge: session (epoch 0 is refused: a session is opened by ShareFetch) and
/// acknowledgements, durable before the answer.
pub async fn acknowledge(
    ctx: &RequestContext,
    req: ShareAcknowledgeRequest,
) -> ShareAcknowledgeResponse {
    let lock_ms = lock_timeout_ms(ctx, req.group_id.as_ref());
    let fail = |e: BrokerError| ShareAcknowledgeResponse {
        error_code: e.code_i16(),
        ..ShareAcknowledgeResponse::default()
    };
    let (group, member) = match ids(&req.group_id, &req.member_id) {
        Ok(ids) => ids,
        Err(e) => return fail(e),
    };
    if req.share_session_epoch == 0 {
        return fail(BrokerError::InvalidShareSessionEpoch);
    }
    let mut acks = Vec::new();
    for t in &req.topics {
        for p in &t.partitions {
            acks.extend(p.acknowledgement_batches.iter().map(|b| AckBatch {
                tp: (t.topic_id, p.partition_index),
                first: b.first_offset,
                last: b.last_offset,
                types: b.acknowledge_types.clone(),
            }));
        }
    }
    let epoch = req.share_session_epoch;
    let results = match session_and_acks(ctx, group, member, epoch, vec![], vec![], acks).await {
        Ok((_, results)) => results,
        Err(e) => return fail(e),
    };
    let mut responses: Vec<ShareAcknowledgeTopicResponse> = Vec::new();
    for ((topic_id, index), r) in results {
        let (error_code, error_message) = match r {
            Ok(()) => (ErrorCode::None.code(), None),
            Err(e) => (e.code_i16(), Some(e.to_string())),
        };
        let d = AckPartitionData {
            partition_index: index,
            error_code,
            error_message,
            current_leader: AckLeader {
                leader_id: ctx.broker.node_id(),
                leader_epoch: LEADER_EPOCH,
            },
        };
        match responses.iter_mut().find(|t| t.topic_id == topic_id) {
            Some(t) => t.partitions.push(d),
            None => responses.push(ShareAcknowledgeTopicResponse {
                topic_id,
                partitions: vec![d],
            }),
        }
    }
    ShareAcknowledgeResponse {
        throttle_time_ms: 0,
        error_code: ErrorCode::None.code(),
        error_message: None,
        acquisition_lock_timeout_ms: lock_ms,
        responses,
        node_endpoints: vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kalfka_protocol::records::{Compression, RecordBatchBuilder};

    /// Batches of `sizes` records each, back to back from offset 0.
    fn batches(sizes: &[i64]) -> Bytes {
        let mut out = Vec::new();
        let mut base = 0i64;
        for &n in sizes {
            let mut b = RecordBatchBuilder::new(Compression::None);
            for i in 0..n {
                b.append(i, None, Some(b"v"), &[]);
            }
            let mut bytes = b.build().expect("batch").to_vec();
            // The base offset is outside the CRC.
            bytes[..8].copy_from_slice(&base.to_be_bytes());
            out.extend_from_slice(&bytes);
            base += n;
        }
        Bytes::from(out)
    }

    fn bases(records: &Bytes) -> Vec<i64> {
        let mut out = Vec::new();
        let mut pos = 0;
        while pos < records.len() {
            let h = RecordBatchHeader::parse(&records[pos..]).expect("header");
            out.push(h.base_offset);
            pos += h.total_size();
        }
        out
    }

    #[test]
    fn a_response_carries_only_the_batches_of_the_acquired_records() {
        // Batches at 0..10, 10..20, 20..30, 30..40.
        let all = batches(&[10, 10, 10, 10]);
        assert_eq!(bases(&covering(all.clone(), 0, 39)), vec![0, 10, 20, 30]);
        assert_eq!(bases(&covering(all.clone(), 12, 25)), vec![10, 20]);
        assert_eq!(bases(&covering(all.clone(), 19, 19)), vec![10]);
        assert_eq!(bases(&covering(all.clone(), 0, 0)), vec![0]);
        assert!(covering(all.clone(), 40, 45).is_empty());
        assert_eq!(batch_end_after(&all, 0), 10);
        assert_eq!(batch_end_after(&all, 15), 20);
        assert_eq!(batch_end_after(&all, 39), 40);
        assert_eq!(batch_end_after(&all, 50), 51);
    }
}
