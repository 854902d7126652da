//! [`PartitionLog`]: the append-only, segmented log of one partition.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use bytes::Bytes;

use super::batch::{prepare_for_append, BatchInfo};
use super::recovery::{load_segments, read_recovery_point, write_recovery_point, Recovery};
use super::segment::Segment;
use super::{LogConfig, LogError};

/// Result of appending one batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppendInfo {
    /// Offset assigned to the batch's first record.
    pub base_offset: i64,
    /// Offset of the batch's last record.
    pub last_offset: i64,
    /// The batch's `maxTimestamp` as stored.
    pub max_timestamp: i64,
}

/// Result of [`PartitionLog::read`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadResult {
    /// Whole record batches, back to back, sliced zero-copy from the memory-mapped segment.
    /// Empty when the fetch offset is the log end offset.
    pub bytes: Bytes,
    /// The log end offset when the read was served (the high watermark on a single node).
    pub high_watermark: i64,
    /// The log start offset when the read was served.
    pub log_start_offset: i64,
}

/// State shared by readers and the appender.
pub(super) struct State {
    /// Oldest first; the last one is the active segment. Never empty.
    pub(super) segments: Vec<Segment>,
    pub(super) log_start_offset: i64,
    pub(super) log_end_offset: i64,
    /// `(last offset of the batch, max_timestamp)` of the batch with the greatest timestamp.
    pub(super) max_timestamp: Option<(i64, i64)>,
}

impl State {
    pub(super) fn active(&self) -> Result<&Segment, LogError> {
        self.segments
            .last()
            .ok_or_else(|| LogError::Corrupt("log has no segments".into()))
    }

    fn active_mut(&mut self) -> Result<&mut Segment, LogError> {
        self.segments
            .last_mut()
            .ok_or_else(|| LogError::Corrupt("log has no segments".into()))
    }

    /// Index of the segment whose base offset is the greatest `<= offset`.
    fn segment_for(&self, offset: i64) -> usize {
        self.segments
            .partition_point(|s| s.base_offset() <= offset)
            .saturating_sub(1)
    }
}

/// The log of one partition: a directory of segments (see the [module docs](super)).
///
/// # Thread safety
///
/// `PartitionLog` is internally synchronized (`Send + Sync`; share it as `Arc<PartitionLog>`),
/// and every method takes `&self`:
/// - appends are serialized by an append mutex; the batch is written to the active segment's
///   file *without* holding the state lock, which is then write-locked only briefly to publish
///   the new size, index entries and log end offset (and, on a roll, to swap segments);
/// - reads take the state read lock only to locate the segment, look up the index, walk a few
///   batch headers in the mapping and slice it; the returned [`Bytes`] keep the mapping alive
///   after the lock is released. Readers never see a partially written batch.
pub struct PartitionLog {
    pub(super) dir: PathBuf,
    pub(super) config: LogConfig,
    pub(super) append_lock: Mutex<()>,
    pub(super) state: RwLock<State>,
    /// What the last compaction pass left (see `compaction`).
    pub(super) cleaner: Mutex<super::compaction::CleanerState>,
    /// Every offset below this is known to be fsynced (only grows; see
    /// [`recovery_point`](Self::recovery_point)).
    pub(super) recovery_point: AtomicI64,
}

impl std::fmt::Debug for PartitionLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PartitionLog")
            .field("dir", &self.dir)
            .field("log_start_offset", &self.log_start_offset())
            .field("log_end_offset", &self.log_end_offset())
            .finish_non_exhaustive()
    }
}

impl PartitionLog {
    /// Opens the partition log in `dir` (created if absent), recovering it after an unclean
    /// shutdown: damaged or missing indexes are rebuilt and a torn or corrupt tail is truncated
    /// (with a `tracing::warn!`). Never panics on damaged files.
    ///
    /// This assumes the worst (an unclean shutdown): see [`open_with`](Self::open_with).
    pub fn open(dir: &Path, config: LogConfig) -> Result<PartitionLog, LogError> {
        Self::open_with(dir, config, Recovery::Unclean)
    }

    /// Opens the log knowing how the previous run ended. After [`Recovery::Unclean`] what
    /// lies past the partition's recovery point (its `recovery-point` file) is validated batch
    /// by batch, from the last index entry below that point; the filesystem is then synced
    /// once and the log end becomes the new recovery point. After [`Recovery::Clean`] only
    /// index consistency and short tails are checked.
    pub fn open_with(
        dir: &Path,
        config: LogConfig,
        recovery: Recovery,
    ) -> Result<PartitionLog, LogError> {
        let log = Self::open_recovered(dir, config, recovery, None)?;
        if recovery == Recovery::Unclean {
            crate::fsutil::sync_filesystem(dir)?;
            let end = log.log_end_offset();
            log.note_synced(end);
            write_recovery_point(dir, end)?;
        }
        Ok(log)
    }

    /// Opens the log as [`open_with`](Self::open_with) does, but syncs and writes nothing:
    /// the broker opens thousands of logs and syncs the filesystem once afterwards (then
    /// calling [`note_synced`](Self::note_synced)). `recovery_point` is what the data
    /// directory's checkpoint says; the greater of it and the partition's own
    /// `recovery-point` file is used.
    pub fn open_recovered(
        dir: &Path,
        config: LogConfig,
        recovery: Recovery,
        recovery_point: Option<i64>,
    ) -> Result<PartitionLog, LogError> {
        let recovery_point = match recovery {
            Recovery::Clean => i64::MAX,
            Recovery::Unclean => recovery_point.unwrap_or(0).max(read_recovery_point(dir)),
        };
        let mut segments = load_segments(dir, &config, recovery, recovery_point)?;
        let persisted_start = super::retention::read_log_start(dir).unwrap_or(0);
        if persisted_start > segments.last().map_or(0, Segment::next_offset) {
            // Recovery cut the log below a start offset clients were told about: restart the
            // log empty at that offset, so offsets below it are never handed out again.
            tracing::warn!(dir = %dir.display(), log_start_offset = persisted_start, "log ends below its start offset; restarting it empty there");
            for segment in segments.drain(..) {
                let base = segment.base_offset();
                drop(segment);
                super::recovery::delete_segment_files(dir, base)?;
            }
            segments.push(Segment::create(dir, persisted_start, &config)?);
        }
        let log_end_offset = segments.last().map_or(0, Segment::next_offset);
        let log_start_offset = segments
            .first()
            .map_or(0, Segment::base_offset)
            .max(persisted_start)
            .min(log_end_offset);
        let max_timestamp = segments.iter().filter_map(Segment::max_timestamp).fold(
            None,
            |acc: Option<(i64, i64)>, (ts, off)| match acc {
                Some((_, best)) if best >= ts => acc,
                _ => Some((off, ts)),
            },
        );
        let log = PartitionLog {
            dir: dir.to_path_buf(),
            config,
            append_lock: Mutex::new(()),
            cleaner: Mutex::default(),
            recovery_point: AtomicI64::new(recovery_point.min(log_end_offset)),
            state: RwLock::new(State {
                segments,
                log_start_offset,
                log_end_offset,
                max_timestamp,
            }),
        };
        // A crash between persisting a new log start and deleting the segments below it.
        log.delete_segments_below(log_start_offset)?;
        // Files are opened again when the log is used.
        log.close_idle_files(Duration::ZERO);
        Ok(log)
    }

    /// Every offset below this is known to be fsynced: what a recovery-point checkpoint may
    /// record for this log.
    pub fn recovery_point(&self) -> i64 {
        self.recovery_point.load(Ordering::Acquire)
    }

    /// Records that everything below `end` was made durable by the caller (a filesystem-wide
    /// sync); the recovery point never moves back.
    pub fn note_synced(&self, end: i64) {
        self.recovery_point.fetch_max(end, Ordering::AcqRel);
    }

    /// Closes the files of segments not used for `max_idle` (the `.log` descriptor and the
    /// read mapping; see [`Segment::close_if_idle`]); they are reopened on the next use.
    /// Returns how many segments closed something.
    pub fn close_idle_files(&self, max_idle: Duration) -> usize {
        self.read_state().map_or(0, |s| {
            s.segments
                .iter()
                .filter(|seg| seg.close_if_idle(max_idle))
                .count()
        })
    }

    /// The partition directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The configuration the log was opened with.
    pub fn config(&self) -> &LogConfig {
        &self.config
    }

    pub(super) fn read_state(&self) -> Result<RwLockReadGuard<'_, State>, LogError> {
        self.state.read().map_err(|_| LogError::Poisoned)
    }

    pub(super) fn write_state(&self) -> Result<RwLockWriteGuard<'_, State>, LogError> {
        self.state.write().map_err(|_| LogError::Poisoned)
    }

    /// The first offset still in the log (the base offset of the oldest segment).
    pub fn log_start_offset(&self) -> i64 {
        self.read_state().map_or(0, |s| s.log_start_offset)
    }

    /// The offset the next appended record will get (= the high watermark on a single node).
    pub fn log_end_offset(&self) -> i64 {
        self.read_state().map_or(0, |s| s.log_end_offset)
    }

    /// Appends ONE magic-2 record batch that the caller has already validated (CRC, counts).
    ///
    /// Assigns offsets in place (`baseOffset` = log end offset, `partitionLeaderEpoch` = 0; the
    /// CRC does not cover either) and writes the bytes to the active segment with a single
    /// `write_all`, rolling to a new segment first if needed. The batch is not fsynced (see
    /// [`flush`](Self::flush)). Fails with [`LogError::InvalidBatch`] if `batch` is not exactly
    /// one batch according to its header.
    pub fn append(&self, batch: &mut [u8]) -> Result<AppendInfo, LogError> {
        let _append = self.append_lock.lock().map_err(|_| LogError::Poisoned)?;
        let base_offset = self.read_state()?.log_end_offset;
        let info = prepare_for_append(batch, base_offset)?;
        let (file, position) = {
            let needs_roll = !self.read_state()?.active()?.can_append(&info, &self.config);
            if needs_roll {
                self.roll(base_offset)?;
            }
            let state = self.read_state()?;
            let active = state.active()?;
            (active.file()?, active.size())
        };
        if let Err(e) = write_at(&file, batch, position) {
            // Drop whatever part made it to the file so the next append starts clean.
            let _ = file.set_len(position);
            return Err(e.into());
        }
        self.publish(&info, position)?;
        Ok(AppendInfo {
            base_offset: info.base_offset,
            last_offset: info.last_offset,
            max_timestamp: info.max_timestamp,
        })
    }

    /// Appends several batches in order, as [`append`](Self::append) does for each. Stops at the
    /// first error; batches before it stay appended.
    pub fn append_batches<'a, I>(&self, batches: I) -> Result<Vec<AppendInfo>, LogError>
    where
        I: IntoIterator<Item = &'a mut [u8]>,
    {
        batches.into_iter().map(|b| self.append(b)).collect()
    }

    /// Makes a written batch visible: segment size, indexes, log end offset, max timestamp.
    fn publish(&self, info: &BatchInfo, position: u64) -> Result<(), LogError> {
        let mut state = self.write_state()?;
        state
            .active_mut()?
            .record_batch(info, position, &self.config);
        state.log_end_offset = info.next_offset();
        if state
            .max_timestamp
            .is_none_or(|(_, ts)| info.max_timestamp > ts)
        {
            state.max_timestamp = Some((info.last_offset, info.max_timestamp));
        }
        Ok(())
    }

    /// Seals the active segment and starts a new one at `base_offset`.
    pub(super) fn roll(&self, base_offset: i64) -> Result<(), LogError> {
        let segment = Segment::create(&self.dir, base_offset, &self.config)?;
        let mut state = self.write_state()?;
        state.active_mut()?.seal()?;
        state.segments.push(segment);
        drop(state);
        // The new file's directory entry must survive a crash as well as its data.
        crate::fsutil::sync_dir(&self.dir)?;
        // Everything below the new segment was fsynced by `seal`.
        self.note_synced(base_offset);
        write_recovery_point(&self.dir, base_offset)?;
        tracing::debug!(dir = %self.dir.display(), base_offset, "rolled log segment");
        Ok(())
    }

    /// Reads whole batches starting with the one containing `fetch_offset` (whose base offset
    /// may be lower), adding following batches while the total stays `<= max_bytes`; the first
    /// batch is always returned whole even if larger (KIP-74).
    ///
    /// The bytes are a zero-copy slice of the memory-mapped segment. One read never spans
    /// segments: at a segment's end the caller fetches again from the next offset.
    /// `fetch_offset == log_end_offset` gives empty records; an offset below the log start or
    /// above the log end gives [`LogError::OffsetOutOfRange`].
    pub fn read(&self, fetch_offset: i64, max_bytes: usize) -> Result<ReadResult, LogError> {
        let state = self.read_state()?;
        let (start, end) = (state.log_start_offset, state.log_end_offset);
        let result = |bytes| ReadResult {
            bytes,
            high_watermark: end,
            log_start_offset: start,
        };
        if fetch_offset < start || fetch_offset > end {
            return Err(LogError::OffsetOutOfRange {
                offset: fetch_offset,
                start,
                end,
            });
        }
        for segment in &state.segments[state.segment_for(fetch_offset)..] {
            if let Some(records) = segment.read(fetch_offset, max_bytes)? {
                return Ok(result(records));
            }
        }
        Ok(result(Bytes::new()))
    }

    /// The first batch whose `maxTimestamp >= ts`, as `(base offset, max timestamp)`; `None` if
    /// there is none (ListOffsets then answers the log end offset).
    ///
    /// Located via the time index (binary search) and a forward scan of batch headers. The
    /// precision is the batch: the returned offset is the batch's *base* offset even if its
    /// first records are older than `ts`, and the timestamp is the batch's `maxTimestamp`
    /// (record-level lookup would need decoding, and decompressing, the batch — out of scope).
    pub fn offset_for_timestamp(&self, ts: i64) -> Result<Option<(i64, i64)>, LogError> {
        let state = self.read_state()?;
        for segment in &state.segments {
            if let Some(found) = segment.find_timestamp(ts)? {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }

    /// `(offset, timestamp)` for ListOffsets `MAX_TIMESTAMP` (-3): the batch with the greatest
    /// `maxTimestamp` (the earliest such batch on ties), reported with that batch's *last*
    /// offset. Kafka answers the offset of the exact record; within a batch this is an
    /// approximation. `None` for an empty log.
    pub fn max_timestamp(&self) -> Option<(i64, i64)> {
        self.read_state().ok().and_then(|s| s.max_timestamp)
    }

    /// Segments of the log (the active one included).
    pub fn segment_count(&self) -> usize {
        self.read_state().map_or(0, |s| s.segments.len())
    }

    /// Bytes of record data in the log's segment files.
    pub fn size_bytes(&self) -> u64 {
        self.read_state()
            .map_or(0, |s| s.segments.iter().map(Segment::size).sum())
    }

    /// fsyncs the active segment's `.log` and flushes its indexes. (Sealed segments were synced
    /// when they were rolled.)
    /// Also records the log end offset as the partition's recovery point, so the next
    /// unclean start validates only what is appended after this.
    pub fn flush(&self) -> Result<(), LogError> {
        let end = {
            let state = self.read_state()?;
            state.active()?.flush()?;
            state.log_end_offset
        };
        self.note_synced(end);
        write_recovery_point(&self.dir, end)
    }

    /// fsyncs the data (not the indexes, which recovery rebuilds) of everything appended so far,
    /// and returns the log end offset the sync covers. The state lock is held only to pick the
    /// active file, so appends proceed while the fsync runs. Sealed segments were synced when
    /// they were rolled, so syncing the active file is enough.
    pub fn sync_data(&self) -> Result<i64, LogError> {
        let (file, end) = {
            let state = self.read_state()?;
            (state.active()?.file()?, state.log_end_offset)
        };
        file.sync_data()?;
        self.note_synced(end);
        Ok(end)
    }

    /// Flushes everything and trims the active segment's indexes to their used size.
    pub fn close(self) -> Result<(), LogError> {
        let mut state = self.state.into_inner().map_err(|_| LogError::Poisoned)?;
        state.active_mut()?.seal()?;
        Ok(())
    }

    /// Deletes the partition: closes every file and removes the directory (DeleteTopics).
    /// Bytes previously returned by [`read`](Self::read) stay valid.
    pub fn delete(self) -> Result<(), LogError> {
        let dir = self.dir.clone();
        drop(self);
        match std::fs::remove_dir_all(&dir) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }
}

/// Writes all of `buf` at `position` of `file`.
#[cfg(unix)]
fn write_at(file: &std::fs::File, buf: &[u8], position: u64) -> io::Result<()> {
    use std::os::unix::fs::FileExt;
    file.write_all_at(buf, position)
}

/// Writes all of `buf` at `position` of `file`.
#[cfg(not(unix))]
fn write_at(mut file: &std::fs::File, buf: &[u8], position: u64) -> io::Result<()> {
    use std::io::{Seek, SeekFrom, Write};
    file.seek(SeekFrom::Start(position))?;
    file.write_all(buf)
}
