//! [`MemoryLog`]: a partition log kept entirely in memory.
//!
//! Used by the broker's `--memory` mode (an ephemeral dev broker: nothing survives a restart)
//! and by tests. Batches are stored as the log stores them — a copy of the producer's bytes
//! with the broker-assigned `baseOffset` and `partitionLeaderEpoch` patched in — in a map keyed
//! by base offset, so reads return the same bytes [`PartitionLog`](super::PartitionLog) would.
//!
//! Differences from the on-disk log: durability operations are no-ops; retention treats each
//! batch as the unit (as the disk log treats a segment), always keeping the newest one;
//! compaction is a no-op (a compacted topic in memory keeps every record); `segment.ms`
//! rolling does not apply.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use bytes::{Bytes, BytesMut};

use super::batch::prepare_for_append;
use super::{
    AppendInfo, CompactionPolicy, CompactionStats, LogEngine, LogError, ReadResult,
    RetentionPolicy, TxnBounds,
};

/// One stored batch.
struct Stored {
    bytes: Bytes,
    last_offset: i64,
    max_timestamp: i64,
}

#[derive(Default)]
struct State {
    /// Batches by base offset; contiguous from (at or below) the log start to the log end.
    batches: BTreeMap<i64, Stored>,
    log_start_offset: i64,
    log_end_offset: i64,
    /// `(last offset of the batch, max_timestamp)` of the batch with the greatest timestamp.
    max_timestamp: Option<(i64, i64)>,
    /// Total bytes of `batches`.
    size: u64,
}

impl State {
    /// Drops the batches wholly below the log start and recomputes the derived fields.
    fn drop_below_start(&mut self) -> usize {
        let start = self.log_start_offset;
        let before = self.batches.len();
        self.batches.retain(|_, b| b.last_offset >= start);
        self.size = self.batches.values().map(|b| b.bytes.len() as u64).sum();
        self.max_timestamp = self.batches.values().fold(None, |acc, b| match acc {
            Some((_, best)) if best >= b.max_timestamp => acc,
            _ => Some((b.last_offset, b.max_timestamp)),
        });
        before - self.batches.len()
    }
}

/// An in-memory partition log (see the [module docs](self)). Internally synchronized.
#[derive(Default)]
pub struct MemoryLog {
    state: RwLock<State>,
}

impl std::fmt::Debug for MemoryLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryLog")
            .field("log_start_offset", &self.log_start_offset())
            .field("log_end_offset", &self.log_end_offset())
            .finish_non_exhaustive()
    }
}

impl MemoryLog {
    /// An empty log starting at offset 0.
    pub fn new() -> MemoryLog {
        MemoryLog::default()
    }

    fn read_state(&self) -> Result<RwLockReadGuard<'_, State>, LogError> {
        self.state.read().map_err(|_| LogError::Poisoned)
    }

    fn write_state(&self) -> Result<RwLockWriteGuard<'_, State>, LogError> {
        self.state.write().map_err(|_| LogError::Poisoned)
    }
}

impl LogEngine for MemoryLog {
    fn log_start_offset(&self) -> i64 {
        self.read_state().map_or(0, |s| s.log_start_offset)
    }

    fn log_end_offset(&self) -> i64 {
        self.read_state().map_or(0, |s| s.log_end_offset)
    }

    fn append(&self, batch: &mut [u8]) -> Result<AppendInfo, LogError> {
        let mut state = self.write_state()?;
        let info = prepare_for_append(batch, state.log_end_offset)?;
        let bytes = Bytes::copy_from_slice(batch);
        state.size += bytes.len() as u64;
        state.batches.insert(
            info.base_offset,
            Stored {
                bytes,
                last_offset: info.last_offset,
                max_timestamp: info.max_timestamp,
            },
        );
        state.log_end_offset = info.next_offset();
        if state
            .max_timestamp
            .is_none_or(|(_, ts)| info.max_timestamp > ts)
        {
            state.max_timestamp = Some((info.last_offset, info.max_timestamp));
        }
        Ok(AppendInfo {
            base_offset: info.base_offset,
            last_offset: info.last_offset,
            max_timestamp: info.max_timestamp,
        })
    }

    fn read(&self, fetch_offset: i64, max_bytes: usize) -> Result<ReadResult, LogError> {
        let state = self.read_state()?;
        let (start, end) = (state.log_start_offset, state.log_end_offset);
        if fetch_offset < start || fetch_offset > end {
            return Err(LogError::OffsetOutOfRange {
                offset: fetch_offset,
                start,
                end,
            });
        }
        // The batch holding `fetch_offset`, else the first one after it.
        let first = state
            .batches
            .range(..=fetch_offset)
            .next_back()
            .filter(|(_, b)| b.last_offset >= fetch_offset)
            .map_or(fetch_offset, |(&base, _)| base);
        let mut chosen: Vec<&Bytes> = Vec::new();
        let mut total = 0usize;
        for b in state.batches.range(first..).map(|(_, b)| &b.bytes) {
            if !chosen.is_empty() && total.saturating_add(b.len()) > max_bytes {
                break;
            }
            total = total.saturating_add(b.len());
            chosen.push(b);
        }
        let bytes = match chosen.as_slice() {
            [] => Bytes::new(),
            [one] => Bytes::clone(one),
            many => {
                let mut buf = BytesMut::with_capacity(total);
                for b in many {
                    buf.extend_from_slice(b);
                }
                buf.freeze()
            }
        };
        Ok(ReadResult {
            bytes,
            high_watermark: end,
            log_start_offset: start,
        })
    }

    fn offset_for_timestamp(&self, ts: i64) -> Result<Option<(i64, i64)>, LogError> {
        let state = self.read_state()?;
        Ok(state
            .batches
            .iter()
            .find(|(_, b)| b.max_timestamp >= ts)
            .map(|(&base, b)| (base, b.max_timestamp)))
    }

    fn max_timestamp(&self) -> Option<(i64, i64)> {
        self.read_state().ok().and_then(|s| s.max_timestamp)
    }

    fn flush(&self) -> Result<(), LogError> {
        Ok(())
    }

    fn sync_data(&self) -> Result<i64, LogError> {
        Ok(self.read_state()?.log_end_offset)
    }

    fn delete_records_before(&self, offset: i64) -> Result<i64, LogError> {
        let mut state = self.write_state()?;
        let (start, end) = (state.log_start_offset, state.log_end_offset);
        if offset < 0 || offset > end {
            return Err(LogError::OffsetOutOfRange { offset, start, end });
        }
        if offset <= start {
            return Ok(start);
        }
        state.log_start_offset = offset;
        state.drop_below_start();
        Ok(offset)
    }

    fn apply_retention(&self, now_ms: i64, policy: RetentionPolicy) -> Result<usize, LogError> {
        let mut state = self.write_state()?;
        let mut excess = policy.retention_bytes.map(|r| state.size.saturating_sub(r));
        let mut new_start = None;
        // Every batch but the newest may go, oldest first, up to the first one to keep.
        let closed = state.batches.len().saturating_sub(1);
        for b in state.batches.values().take(closed) {
            let size = b.bytes.len() as u64;
            let expired = policy
                .retention_ms
                .is_some_and(|ms| now_ms.saturating_sub(b.max_timestamp) > ms);
            let oversize = excess.is_some_and(|e| e >= size);
            if !(expired || oversize) {
                break;
            }
            if let Some(e) = excess.as_mut() {
                *e -= size.min(*e);
            }
            new_start = Some(b.last_offset + 1);
        }
        let Some(new_start) = new_start else {
            return Ok(0);
        };
        state.log_start_offset = state.log_start_offset.max(new_start);
        Ok(state.drop_below_start())
    }

    fn roll_if_older_than(&self, _max_age: Duration) -> Result<bool, LogError> {
        Ok(false)
    }

    fn compact(
        &self,
        _now_ms: i64,
        _policy: &CompactionPolicy,
        _txns: &TxnBounds,
    ) -> Result<CompactionStats, LogError> {
        Ok(CompactionStats::default())
    }

    fn size_bytes(&self) -> u64 {
        self.read_state().map_or(0, |s| s.size)
    }

    fn dir(&self) -> Option<&Path> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kalfka_protocol::records::{Compression, RecordBatchBuilder};

    fn log_of(timestamps: &[i64]) -> (MemoryLog, u64) {
        let log = MemoryLog::new();
        let mut size = 0;
        for &ts in timestamps {
            let mut b = RecordBatchBuilder::new(Compression::None);
            b.append(ts, Some(b"k"), Some(b"v"), &[]);
            let mut b = b.build().expect("batch").to_vec();
            size = b.len() as u64;
            log.append(&mut b).expect("append");
        }
        (log, size)
    }

    #[test]
    fn time_retention_drops_old_batches_but_keeps_the_newest() {
        let (log, _) = log_of(&[100, 200, 300]);
        let policy = RetentionPolicy {
            retention_ms: Some(750),
            retention_bytes: None,
        };
        assert_eq!(log.apply_retention(900, policy).expect("retention"), 1);
        assert_eq!(log.log_start_offset(), 1);
        assert_eq!(log.apply_retention(10_000, policy).expect("retention"), 1);
        assert_eq!((log.log_start_offset(), log.log_end_offset()), (2, 3));
        assert_eq!(log.max_timestamp(), Some((2, 300)));
    }

    #[test]
    fn size_retention_keeps_at_least_the_limit() {
        let (log, size) = log_of(&[1, 2, 3, 4]);
        let policy = RetentionPolicy {
            retention_ms: None,
            retention_bytes: Some(2 * size),
        };
        assert_eq!(log.apply_retention(0, policy).expect("retention"), 2);
        assert_eq!(log.log_start_offset(), 2);
        assert_eq!(log.size_bytes(), 2 * size);
        assert_eq!(log.apply_retention(0, policy).expect("retention"), 0);
    }

    #[test]
    fn compaction_and_rolling_are_no_ops() {
        let (log, _) = log_of(&[1, 2]);
        assert_eq!(
            log.compact(0, &CompactionPolicy::default(), &TxnBounds::default())
                .expect("compact"),
            CompactionStats::default()
        );
        assert!(!log.roll_if_older_than(Duration::ZERO).expect("roll"));
        assert_eq!(log.log_end_offset(), 2);
    }
}
