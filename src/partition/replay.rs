//! Rebuilding a partition's producer state (idempotent producers, open and aborted
//! transactions) when its log is opened: from the newest valid starting point — the
//! partition's snapshot file, or an offset where the state was known to be empty — by
//! replaying the batch headers after it. A starting point past the log end (recovery cut the
//! log below it) is never used.

use bytes::Bytes;
use kalfka_protocol::records::{
    batches, ControlRecordType, EndTransactionMarker, RecordBatchHeader,
};

use super::now_ms;
use crate::error::BrokerError;
use crate::log::producer_state::ProducerStates;
use crate::log::LogEngine;

/// Rebuilds the producer state of an opened log: from the snapshot when it covers no more
/// than the log holds, or from `blank_upto` (an offset where the state was known to be empty)
/// if that is later, replaying the batch headers after it; from the whole log otherwise.
/// Also returns the log end the snapshot covers when it covers the whole log (-1 otherwise).
pub(super) fn rebuild_producer_state(
    log: &dyn LogEngine,
    blank_upto: Option<i64>,
) -> Result<(ProducerStates, i64), BrokerError> {
    let end = log.log_end_offset();
    let snapshot = match log.dir().and_then(ProducerStates::load_snapshot) {
        Some((states, covered)) if covered <= end => Some((states, covered)),
        Some(_) => {
            if let Some(dir) = log.dir() {
                // It describes batches recovery dropped: never use it again.
                let path = dir.join(crate::log::producer_state::SNAPSHOT_FILE);
                if let Err(e) = std::fs::remove_file(&path) {
                    tracing::warn!(path = %path.display(), error = %e, "cannot remove a stale producer-state snapshot");
                }
            }
            None
        }
        None => None,
    };
    let fresh = match &snapshot {
        Some((_, covered)) if *covered == end => end,
        _ => -1,
    };
    let blank = blank_upto.filter(|&b| (0..=end).contains(&b));
    let (mut states, from) = match (snapshot, blank) {
        (Some((_, covered)), Some(b)) if b > covered => (ProducerStates::default(), b),
        (Some((states, covered)), _) => (states, covered),
        (None, Some(b)) => (ProducerStates::default(), b),
        (None, None) => (ProducerStates::default(), 0),
    };
    let mut offset = from.max(log.log_start_offset());
    let now = now_ms();
    // Each read returns at least one batch and moves `offset` past it, so this ends at `end`.
    while offset < end {
        let read = log.read(offset, 1 << 20)?;
        if read.bytes.is_empty() {
            break;
        }
        let before = offset;
        let mut pos = 0usize;
        while let Some(rest) = read.bytes.get(pos..).filter(|r| !r.is_empty()) {
            let header = RecordBatchHeader::parse(rest)?;
            if header.last_offset() >= offset {
                if header.is_control() {
                    replay_marker(&mut states, &read.bytes.slice(pos..), &header, now);
                } else {
                    states.replay(&header, now);
                }
            }
            offset = offset.max(header.next_offset());
            pos += header.total_size().max(1);
        }
        if offset <= before {
            break;
        }
    }
    Ok((states, fresh))
}

/// Replays the transaction marker at the start of `bytes` (a control batch) into `states`;
/// other control records are skipped.
fn replay_marker(states: &mut ProducerStates, bytes: &Bytes, header: &RecordBatchHeader, now: i64) {
    let marker = batches(bytes.clone())
        .next()
        .and_then(|b| b.ok())
        .and_then(|b| b.records().ok())
        .and_then(|records| records.first().map(EndTransactionMarker::parse));
    match marker {
        Some(Ok(m)) if matches!(m.kind, ControlRecordType::Commit | ControlRecordType::Abort) => {
            let commit = m.kind == ControlRecordType::Commit;
            states.end_txn(
                header.producer_id,
                header.producer_epoch,
                header.base_offset,
                commit,
                m.coordinator_epoch,
                now,
            );
        }
        _ => tracing::warn!(
            offset = header.base_offset,
            "skipping an unreadable control batch while rebuilding producer state"
        ),
    }
}

#[cfg(test)]
mod tests {
    use crate::log::{LogConfig, PartitionLog, Recovery};
    use crate::partition::Partition;
    use kalfka_protocol::records::{Compression, RecordBatchBuilder};

    fn batch(producer: Option<i64>) -> Vec<u8> {
        let mut b = RecordBatchBuilder::new(Compression::None);
        if let Some(id) = producer {
            b.producer(id, 0, 0);
        }
        b.append(0, Some(b"k"), Some(b"v"), &[]);
        b.build().expect("batch").to_vec()
    }

    #[test]
    fn producer_state_is_rebuilt_from_a_blank_offset_and_only_when_it_is_valid() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p =
            Partition::open(0, dir.path(), LogConfig::default(), Recovery::Clean).expect("open");
        p.append(&mut [batch(None), batch(None)]).expect("plain");
        assert_eq!(p.blank_producer_state_end(), Some(2), "no producer yet");
        p.append(&mut [batch(Some(7))]).expect("idempotent");
        assert_eq!(p.blank_producer_state_end(), None);
        drop(p);
        let reopen = |blank| {
            let log = PartitionLog::open_recovered(
                dir.path(),
                LogConfig::default(),
                Recovery::Clean,
                None,
            )
            .expect("log");
            Partition::with_engine_from(0, Box::new(log), blank).expect("partition")
        };
        // From the blank offset (2) the idempotent batch at 2 is replayed.
        assert_eq!(reopen(Some(2)).producer_count(), 1);
        // Without a hint, or with one past the log end (not this log's), the whole log is.
        assert_eq!(reopen(None).producer_count(), 1);
        assert_eq!(reopen(Some(10)).producer_count(), 1);
    }
}
