//! Moving the log start offset: DeleteRecords, time and size retention, and rolling idle
//! segments (`segment.ms`) so that time retention can act on them.
//!
//! Only whole *closed* segments are ever deleted; the active segment stays even when every
//! offset in it is below the log start. The new log start offset is persisted (file
//! [`LOG_START_FILE`], written atomically) *before* it becomes visible and before any file is
//! removed, so a crash in between leaves a start offset that reopening honours (and the
//! segments wholly below it are removed then).

use std::fs;
use std::path::Path;
use std::time::Duration;

use super::partition::PartitionLog;
use super::recovery::delete_segment_files;
use super::segment::Segment;
use super::LogError;

/// Name of the per-partition file holding the log start offset (decimal).
pub(crate) const LOG_START_FILE: &str = "log-start-offset";

/// The persisted log start offset, if any (a missing or unreadable file means "none").
pub(crate) fn read_log_start(dir: &Path) -> Option<i64> {
    fs::read_to_string(dir.join(LOG_START_FILE))
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .filter(|&o| o >= 0)
}

fn write_log_start(dir: &Path, offset: i64) -> Result<(), LogError> {
    crate::fsutil::write_atomic(&dir.join(LOG_START_FILE), offset.to_string().as_bytes())?;
    Ok(())
}

/// Delete-retention limits of a log (Kafka's `retention.ms` / `retention.bytes`; `None` is
/// unlimited, as -1 is in Kafka).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetentionPolicy {
    /// Closed segments whose newest record is older than this many ms are deleted.
    pub retention_ms: Option<i64>,
    /// Oldest closed segments are deleted while the log stays at least this large without them.
    pub retention_bytes: Option<u64>,
}

impl PartitionLog {
    /// DeleteRecords: moves the log start offset to `offset` (no-op if it is already there or
    /// beyond) and deletes the closed segments wholly below it. Returns the new log start.
    /// `offset` above the log end is [`LogError::OffsetOutOfRange`].
    pub fn delete_records_before(&self, offset: i64) -> Result<i64, LogError> {
        let _append = self.append_lock.lock().map_err(|_| LogError::Poisoned)?;
        let (start, end) = {
            let s = self.read_state()?;
            (s.log_start_offset, s.log_end_offset)
        };
        if offset < 0 || offset > end {
            return Err(LogError::OffsetOutOfRange { offset, start, end });
        }
        if offset <= start {
            return Ok(start);
        }
        self.advance_log_start(offset)?;
        self.delete_segments_below(offset)?;
        Ok(offset)
    }

    /// Applies `policy` at wall-clock time `now_ms`: deletes the oldest closed segments that
    /// are past `retention.ms` (by their greatest record timestamp) or that the log can lose
    /// while staying at least `retention.bytes` large, stopping at the first one to keep.
    /// Returns how many segments were deleted.
    pub fn apply_retention(&self, now_ms: i64, policy: RetentionPolicy) -> Result<usize, LogError> {
        let _append = self.append_lock.lock().map_err(|_| LogError::Poisoned)?;
        let new_start = {
            let s = self.read_state()?;
            let total: u64 = s.segments.iter().map(Segment::size).sum();
            let mut excess = policy.retention_bytes.map(|r| total.saturating_sub(r));
            let closed = &s.segments[..s.segments.len().saturating_sub(1)];
            let mut count = 0;
            for segment in closed {
                let expired = policy.retention_ms.is_some_and(|ms| {
                    segment
                        .max_timestamp()
                        .is_none_or(|(ts, _)| now_ms.saturating_sub(ts) > ms)
                });
                let oversize = excess.is_some_and(|e| e >= segment.size());
                if !(expired || oversize) {
                    break;
                }
                if let Some(e) = excess.as_mut() {
                    *e -= segment.size().min(*e);
                }
                count += 1;
            }
            if count == 0 {
                return Ok(0);
            }
            s.segments[count].base_offset().max(s.log_start_offset)
        };
        self.advance_log_start(new_start)?;
        let deleted = self.delete_segments_below(new_start)?;
        tracing::info!(dir = %self.dir.display(), deleted, log_start_offset = new_start, "retention deleted segments");
        Ok(deleted)
    }

    /// Rolls the active segment if it holds data and is older than `segment_ms` (Kafka's
    /// `segment.ms`), so that time retention can delete it later. The age is measured from
    /// the segment's creation, or from the broker start for a segment found on disk.
    /// Returns whether it rolled.
    pub fn roll_if_older_than(&self, segment_ms: Duration) -> Result<bool, LogError> {
        let _append = self.append_lock.lock().map_err(|_| LogError::Poisoned)?;
        let (due, end) = {
            let s = self.read_state()?;
            let active = s.active()?;
            (
                active.size() > 0 && active.age() >= segment_ms,
                s.log_end_offset,
            )
        };
        if due {
            self.roll(end)?;
        }
        Ok(due)
    }

    /// Persists, then publishes, a new log start offset.
    fn advance_log_start(&self, offset: i64) -> Result<(), LogError> {
        write_log_start(&self.dir, offset)?;
        let mut s = self.write_state()?;
        s.log_start_offset = s.log_start_offset.max(offset);
        Ok(())
    }

    /// Removes the closed segments whose every offset is below `offset` (never the active
    /// one) and deletes their files. Reads already served keep their mappings. Returns how
    /// many were removed.
    pub(super) fn delete_segments_below(&self, offset: i64) -> Result<usize, LogError> {
        let removed: Vec<Segment> = {
            let mut s = self.write_state()?;
            let closed = s.segments.len().saturating_sub(1);
            let count = s.segments[..closed]
                .iter()
                .take_while(|seg| seg.next_offset() <= offset)
                .count();
            let removed: Vec<Segment> = s.segments.drain(..count).collect();
            if count > 0 {
                // The greatest timestamp may have gone with the deleted segments.
                s.max_timestamp = s.segments.iter().filter_map(Segment::max_timestamp).fold(
                    None,
                    |acc: Option<(i64, i64)>, (ts, off)| match acc {
                        Some((_, best)) if best >= ts => acc,
                        _ => Some((off, ts)),
                    },
                );
            }
            removed
        };
        let count = removed.len();
        for segment in removed {
            let base = segment.base_offset();
            drop(segment);
            delete_segment_files(&self.dir, base)?;
        }
        if count > 0 {
            crate::fsutil::sync_dir(&self.dir)?;
        }
        Ok(count)
    }
}
