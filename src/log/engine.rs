//! [`LogEngine`]: the narrow storage interface a served partition needs from its log.
//!
//! Two engines implement it: [`PartitionLog`](super::PartitionLog), the segmented on-disk log
//! (the real engine), and [`MemoryLog`](super::MemoryLog), which keeps batches in memory for
//! the broker's `--memory` mode and for tests. Both assign offsets and serve reads the same
//! way, so everything above this trait (producer checks, group commit, fetch, ListOffsets,
//! DeleteRecords, retention) behaves the same on either.

use std::path::Path;
use std::time::Duration;

use super::{
    AppendInfo, CompactionPolicy, CompactionStats, LogError, PartitionLog, ReadResult,
    RetentionPolicy, TxnBounds,
};

/// Storage of one partition's record batches. Internally synchronized: every method takes
/// `&self` and may be called from any thread.
pub trait LogEngine: Send + Sync + std::fmt::Debug {
    /// The first offset still in the log.
    fn log_start_offset(&self) -> i64;

    /// The offset the next appended record will get (the high watermark on a single node).
    fn log_end_offset(&self) -> i64;

    /// Appends ONE already-validated magic-2 batch, assigning its base offset (the log end
    /// offset) and leader epoch 0 in `batch`. Fails with [`LogError::InvalidBatch`] if `batch`
    /// is not exactly one batch according to its header.
    fn append(&self, batch: &mut [u8]) -> Result<AppendInfo, LogError>;

    /// Reads whole batches starting with the one containing `fetch_offset`, adding following
    /// batches while the total stays `<= max_bytes`; the first batch is always returned whole
    /// (KIP-74). `fetch_offset == log end` gives empty bytes; outside `[start, end]` is
    /// [`LogError::OffsetOutOfRange`].
    fn read(&self, fetch_offset: i64, max_bytes: usize) -> Result<ReadResult, LogError>;

    /// The first batch whose `maxTimestamp >= ts`, as `(base offset, max timestamp)`.
    fn offset_for_timestamp(&self, ts: i64) -> Result<Option<(i64, i64)>, LogError>;

    /// `(last offset, max timestamp)` of the earliest batch with the greatest `maxTimestamp`.
    fn max_timestamp(&self) -> Option<(i64, i64)>;

    /// Makes everything appended so far durable (data and indexes). A no-op in memory.
    fn flush(&self) -> Result<(), LogError>;

    /// Makes the data appended so far durable without blocking appends; returns the log end
    /// offset it covers. In memory: just the log end offset.
    fn sync_data(&self) -> Result<i64, LogError>;

    /// DeleteRecords: moves the log start offset up to `offset` (never down) and drops the
    /// storage wholly below it. Returns the new log start; above the log end is
    /// [`LogError::OffsetOutOfRange`].
    fn delete_records_before(&self, offset: i64) -> Result<i64, LogError>;

    /// Applies time/size retention at wall-clock `now_ms`; returns how many storage units
    /// (segments, or batches in memory) were deleted. The newest unit is always kept.
    fn apply_retention(&self, now_ms: i64, policy: RetentionPolicy) -> Result<usize, LogError>;

    /// Rolls the active segment if it is older than `max_age` (`segment.ms`); returns whether
    /// it rolled. Engines without segments return `false`.
    fn roll_if_older_than(&self, max_age: Duration) -> Result<bool, LogError>;

    /// One compaction pass (`cleanup.policy=compact`) keeping the newest record per key and
    /// dropping expired tombstones, if `policy` says one is due. May be a no-op.
    fn compact(
        &self,
        now_ms: i64,
        policy: &CompactionPolicy,
        txns: &TxnBounds,
    ) -> Result<CompactionStats, LogError>;

    /// Bytes of record data held (the segment files, or the batches in memory).
    fn size_bytes(&self) -> u64;

    /// Storage units held: segments on disk; an engine without segments counts as one.
    fn segment_count(&self) -> usize {
        1
    }

    /// Closes the files not used for `max_idle` (reopened on the next use); returns how many
    /// storage units closed something. Engines without files do nothing.
    fn close_idle_files(&self, _max_idle: Duration) -> usize {
        0
    }

    /// Every offset below this is known to be durable (what a recovery-point checkpoint may
    /// record). In memory: the log end offset.
    fn recovery_point(&self) -> i64 {
        self.log_end_offset()
    }

    /// Records that everything below `end` was made durable by the caller (a filesystem-wide
    /// sync). Engines without files do nothing.
    fn note_synced(&self, _end: i64) {}

    /// The directory for per-partition state files (producer-state snapshots) if the engine
    /// persists anything; `None` in memory.
    fn dir(&self) -> Option<&Path>;
}

impl LogEngine for PartitionLog {
    fn log_start_offset(&self) -> i64 {
        PartitionLog::log_start_offset(self)
    }

    fn log_end_offset(&self) -> i64 {
        PartitionLog::log_end_offset(self)
    }

    fn append(&self, batch: &mut [u8]) -> Result<AppendInfo, LogError> {
        PartitionLog::append(self, batch)
    }

    fn read(&self, fetch_offset: i64, max_bytes: usize) -> Result<ReadResult, LogError> {
        PartitionLog::read(self, fetch_offset, max_bytes)
    }

    fn offset_for_timestamp(&self, ts: i64) -> Result<Option<(i64, i64)>, LogError> {
        PartitionLog::offset_for_timestamp(self, ts)
    }

    fn max_timestamp(&self) -> Option<(i64, i64)> {
        PartitionLog::max_timestamp(self)
    }

    fn flush(&self) -> Result<(), LogError> {
        PartitionLog::flush(self)
    }

    fn sync_data(&self) -> Result<i64, LogError> {
        PartitionLog::sync_data(self)
    }

    fn delete_records_before(&self, offset: i64) -> Result<i64, LogError> {
        PartitionLog::delete_records_before(self, offset)
    }

    fn apply_retention(&self, now_ms: i64, policy: RetentionPolicy) -> Result<usize, LogError> {
        PartitionLog::apply_retention(self, now_ms, policy)
    }

    fn roll_if_older_than(&self, max_age: Duration) -> Result<bool, LogError> {
        PartitionLog::roll_if_older_than(self, max_age)
    }

    fn compact(
        &self,
        now_ms: i64,
        policy: &CompactionPolicy,
        txns: &TxnBounds,
    ) -> Result<CompactionStats, LogError> {
        PartitionLog::compact_within(self, now_ms, policy, txns)
    }

    fn size_bytes(&self) -> u64 {
        PartitionLog::size_bytes(self)
    }

    fn segment_count(&self) -> usize {
        PartitionLog::segment_count(self)
    }

    fn close_idle_files(&self, max_idle: Duration) -> usize {
        PartitionLog::close_idle_files(self, max_idle)
    }

    fn recovery_point(&self) -> i64 {
        PartitionLog::recovery_point(self)
    }

    fn note_synced(&self, end: i64) {
        PartitionLog::note_synced(self, end)
    }

    fn dir(&self) -> Option<&Path> {
        Some(PartitionLog::dir(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::{LogConfig, MemoryLog};
    use bytes::Bytes;
    use kalfka_protocol::records::{batches, Compression, RecordBatchBuilder};

    /// One batch with a record per timestamp.
    fn batch(timestamps: &[i64]) -> Vec<u8> {
        let mut b = RecordBatchBuilder::new(Compression::None);
        for (i, &ts) in timestamps.iter().enumerate() {
            let key = format!("k{i}");
            b.append(ts, Some(key.as_bytes()), Some(b"value"), &[]);
        }
        b.build().expect("batch").to_vec()
    }

    /// Base offsets of the batches in `bytes`.
    fn bases(bytes: Bytes) -> Vec<i64> {
        batches(bytes)
            .map(|b| b.expect("batch").header().base_offset)
            .collect()
    }

    /// The behaviour every engine must share.
    fn behaves_like_a_log(log: &dyn LogEngine) {
        assert_eq!((log.log_start_offset(), log.log_end_offset()), (0, 0));
        assert_eq!(log.max_timestamp(), None);
        assert!(log.read(0, 1024).expect("read empty").bytes.is_empty());

        let mut sizes = Vec::new();
        for (timestamps, base, last) in [
            (&[100, 110][..], 0, 1),
            (&[300, 250, 120][..], 2, 4),
            (&[200][..], 5, 5),
        ] {
            let mut b = batch(timestamps);
            sizes.push(b.len());
            let info = log.append(&mut b).expect("append");
            assert_eq!((info.base_offset, info.last_offset), (base, last));
        }
        assert!(
            log.append(&mut [0u8; 10]).is_err(),
            "garbage is not a batch"
        );
        assert_eq!((log.log_start_offset(), log.log_end_offset()), (0, 6));
        assert!(log.size_bytes() >= sizes.iter().sum::<usize>() as u64);

        // KIP-74: the first batch whole even when larger than max_bytes.
        let r = log.read(0, 1).expect("read");
        assert_eq!(
            (r.bytes.len(), r.high_watermark, r.log_start_offset),
            (sizes[0], 6, 0)
        );
        // A read inside a batch starts at that batch; then whole batches up to max_bytes.
        let r = log.read(3, sizes[1] + sizes[2]).expect("read");
        assert_eq!(bases(r.bytes), vec![2, 5]);
        let r = log.read(3, sizes[1] + sizes[2] - 1).expect("read");
        assert_eq!(bases(r.bytes), vec![2]);
        assert_eq!(
            bases(log.read(0, usize::MAX).expect("read").bytes),
            vec![0, 2, 5]
        );
        assert!(log.read(6, 1024).expect("read at end").bytes.is_empty());
        assert!(matches!(
            log.read(7, 1024),
            Err(LogError::OffsetOutOfRange { .. })
        ));

        // Timestamps: by batch maxTimestamp.
        assert_eq!(log.offset_for_timestamp(105).expect("ts"), Some((0, 110)));
        assert_eq!(log.offset_for_timestamp(111).expect("ts"), Some((2, 300)));
        assert_eq!(log.offset_for_timestamp(301).expect("ts"), None);
        assert_eq!(log.max_timestamp(), Some((4, 300)));

        // Durability calls succeed and cover the log end.
        log.flush().expect("flush");
        assert_eq!(log.sync_data().expect("sync"), 6);

        // DeleteRecords.
        assert_eq!(log.delete_records_before(3).expect("delete"), 3);
        assert_eq!(log.delete_records_before(1).expect("never backwards"), 3);
        assert!(matches!(
            log.delete_records_before(7),
            Err(LogError::OffsetOutOfRange { .. })
        ));
        assert_eq!((log.log_start_offset(), log.log_end_offset()), (3, 6));
        assert!(matches!(
            log.read(2, 1024),
            Err(LogError::OffsetOutOfRange { .. })
        ));
        let r = log.read(3, usize::MAX).expect("read from start");
        assert_eq!((bases(r.bytes), r.log_start_offset), (vec![2, 5], 3));

        // Appends continue after the deletion.
        let info = log.append(&mut batch(&[400])).expect("append");
        assert_eq!((info.base_offset, info.last_offset), (6, 6));
        assert_eq!(log.max_timestamp(), Some((6, 400)));
    }

    #[test]
    fn memory_log_behaves_like_a_log() {
        behaves_like_a_log(&MemoryLog::new());
        assert_eq!(MemoryLog::new().dir(), None);
    }

    #[test]
    fn partition_log_behaves_like_a_log() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = PartitionLog::open(dir.path(), LogConfig::default()).expect("open");
        behaves_like_a_log(&log);
        assert_eq!(LogEngine::dir(&log), Some(dir.path()));
    }
}
