//! One log segment: a `.log` file of batches plus its offset and time indexes.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use memmap2::Mmap;

use super::batch::{header_at, BatchInfo};
use super::index::{OffsetIndex, TimeIndex};
use super::{LogConfig, LogError};

/// File name of a segment file: the base offset zero-padded to 20 digits plus `ext`.
pub(crate) fn file_name(base_offset: i64, ext: &str) -> String {
    format!("{base_offset:020}.{ext}")
}

/// Read-only mapping of a `.log` file, usable as the owner of zero-copy [`Bytes`].
struct MappedLog(Arc<Mmap>);

impl AsRef<[u8]> for MappedLog {
    fn as_ref(&self) -> &[u8] {
        &self.0[..]
    }
}

/// One segment. All fields are mutated only by the partition's appender under the partition's
/// write lock; readers use `&Segment` under the read lock.
pub(crate) struct Segment {
    base_offset: i64,
    dir: PathBuf,
    file: Arc<File>,
    /// Bytes of complete, offset-assigned batches (what readers may see).
    size: u64,
    /// Offset after the last batch (`base_offset` when empty).
    next_offset: i64,
    /// Cached read-only mapping of `.log`; remapped when `size` outgrows it.
    map: Mutex<Option<Arc<Mmap>>>,
    offset_index: OffsetIndex,
    time_index: TimeIndex,
    bytes_since_last_entry: usize,
    /// Greatest batch `maxTimestamp` in the segment and the last offset of that batch.
    max_timestamp: Option<(i64, i64)>,
    /// When this segment was created or opened (the age `segment.ms` is measured from).
    created: std::time::Instant,
}

impl Segment {
    /// Creates a new, empty segment (truncating any stale files of the same name).
    pub fn create(dir: &Path, base_offset: i64, config: &LogConfig) -> io::Result<Segment> {
        let log_path = dir.join(file_name(base_offset, "log"));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&log_path)?;
        for ext in ["index", "timeindex"] {
            // Stale index files would otherwise be loaded as if they described this segment.
            match std::fs::remove_file(dir.join(file_name(base_offset, ext))) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        let mut segment = Segment::from_file(dir, base_offset, file, 0)?;
        segment.reserve_indexes(config)?;
        Ok(segment)
    }

    /// Grows both index files to their configured preallocated size (for appending).
    pub(crate) fn reserve_indexes(&mut self, config: &LogConfig) -> io::Result<()> {
        self.offset_index.reserve(config.offset_index_entries())?;
        self.time_index.reserve(config.time_index_entries())
    }

    /// Wraps an opened `.log` of `size` bytes and loads (or creates, empty) its indexes as they
    /// are; recovery then checks and completes them.
    pub fn from_file(dir: &Path, base_offset: i64, file: File, size: u64) -> io::Result<Segment> {
        let offset_index = OffsetIndex::load(&dir.join(file_name(base_offset, "index")), size)?;
        let time_index = TimeIndex::load(&dir.join(file_name(base_offset, "timeindex")))?;
        Ok(Segment {
            base_offset,
            dir: dir.to_path_buf(),
            file: Arc::new(file),
            size,
            next_offset: base_offset,
            map: Mutex::new(None),
            offset_index,
            time_index,
            bytes_since_last_entry: 0,
            max_timestamp: None,
            created: std::time::Instant::now(),
        })
    }

    /// Time since the segment was created (or, for a segment found on disk, opened).
    pub fn age(&self) -> std::time::Duration {
        self.created.elapsed()
    }

    /// Offset of the segment's first batch (also its file name).
    pub fn base_offset(&self) -> i64 {
        self.base_offset
    }

    /// Offset after the segment's last batch.
    pub fn next_offset(&self) -> i64 {
        self.next_offset
    }

    /// Bytes of complete batches.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// `(max_timestamp, last offset of that batch)` over the segment.
    pub fn max_timestamp(&self) -> Option<(i64, i64)> {
        self.max_timestamp
    }

    /// The `.log` file handle (for the appender's write outside the lock).
    pub fn file(&self) -> Arc<File> {
        Arc::clone(&self.file)
    }

    /// Path of this segment's file with extension `ext`.
    pub fn path(&self, ext: &str) -> PathBuf {
        self.dir.join(file_name(self.base_offset, ext))
    }

    pub(crate) fn offset_index(&self) -> &OffsetIndex {
        &self.offset_index
    }

    pub(crate) fn time_index(&self) -> &TimeIndex {
        &self.time_index
    }

    /// Offset relative to the base, if it fits the index format.
    fn relative(&self, offset: i64) -> Option<u32> {
        u32::try_from(offset.checked_sub(self.base_offset)?).ok()
    }

    /// Whether `batch` (already given its offsets) may go into this segment, or a roll is due.
    pub fn can_append(&self, batch: &BatchInfo, config: &LogConfig) -> bool {
        if self.size == 0 {
            return true;
        }
        self.size + batch.size as u64 <= config.effective_segment_bytes()
            && self.relative(batch.last_offset).is_some()
            && !self.offset_index.is_full()
            && !self.time_index.is_full()
    }

    /// Records a batch that now lies at `position` in `.log` (written by the appender, or found
    /// by recovery): advances size and next offset, tracks the max timestamp and adds index
    /// entries following the `index.interval.bytes` rule.
    pub fn record_batch(&mut self, batch: &BatchInfo, position: u64, config: &LogConfig) {
        if self
            .max_timestamp
            .is_none_or(|(ts, _)| batch.max_timestamp > ts)
        {
            self.max_timestamp = Some((batch.max_timestamp, batch.last_offset));
        }
        if self.bytes_since_last_entry > config.index_interval_bytes {
            if let (Some(rel), Ok(pos)) =
                (self.relative(batch.base_offset), u32::try_from(position))
            {
                self.offset_index.push(rel, pos);
            }
            self.push_time_entry();
            self.bytes_since_last_entry = 0;
        }
        self.bytes_since_last_entry += batch.size;
        self.size = position + batch.size as u64;
        self.next_offset = batch.next_offset();
    }

    /// Adds a time-index entry for the running max timestamp if it grew since the last entry.
    fn push_time_entry(&mut self) {
        if let Some((ts, off)) = self.max_timestamp {
            if let Some(rel) = self.relative(off) {
                self.time_index.push(ts, rel);
            }
        }
    }

    /// Resets the in-memory scan state to "just before the batch at the index entry `keep`"
    /// (all entries from `keep` on are dropped; `None` = empty segment). Used by recovery.
    pub(crate) fn reset_for_scan(
        &mut self,
        keep_offset_entries: usize,
        keep_time_entries: usize,
        max_timestamp: Option<(i64, i64)>,
        position: u64,
        next_offset: i64,
    ) {
        self.offset_index.truncate(keep_offset_entries);
        self.time_index.truncate(keep_time_entries);
        self.max_timestamp = max_timestamp;
        self.bytes_since_last_entry = 0;
        self.size = position;
        self.next_offset = next_offset;
    }

    /// Zeroes stale index bytes past the entries in use (before the segment is appended to).
    pub(crate) fn clear_index_tails(&mut self) {
        self.offset_index.clear_tail();
        self.time_index.clear_tail();
    }

    /// Truncates the `.log` file to `size` bytes (recovery only, before any mapping exists).
    pub(crate) fn truncate_file(&mut self, size: u64) -> io::Result<()> {
        *self.map.get_mut().unwrap_or_else(|e| e.into_inner()) = None;
        self.file.set_len(size)?;
        self.file.sync_all()?;
        self.size = size;
        Ok(())
    }

    /// A mapping covering at least the first `size` bytes of `.log`; `None` when empty.
    pub fn mapping(&self) -> Result<Option<Arc<Mmap>>, LogError> {
        if self.size == 0 {
            return Ok(None);
        }
        let mut guard = self.map.lock().map_err(|_| LogError::Poisoned)?;
        if let Some(m) = guard.as_ref() {
            if m.len() as u64 >= self.size {
                return Ok(Some(Arc::clone(m)));
            }
        }
        // SAFETY: `.log` files are only appended to while mapped; they are truncated only by
        // recovery, before any mapping exists. Readers never look past `size`.
        let m = Arc::new(unsafe { Mmap::map(&*self.file)? });
        if (m.len() as u64) < self.size {
            return Err(LogError::Corrupt(format!(
                "{} is shorter ({}) than its committed size {}",
                self.path("log").display(),
                m.len(),
                self.size
            )));
        }
        *guard = Some(Arc::clone(&m));
        Ok(Some(m))
    }

    /// Position of a batch at or before the batch containing `offset` (from the offset index).
    fn seek_position(&self, offset: i64) -> usize {
        let rel = match offset.checked_sub(self.base_offset) {
            Some(r) if r > 0 => u32::try_from(r).unwrap_or(u32::MAX),
            _ => 0,
        };
        self.offset_index
            .lookup(rel)
            .map_or(0, |(_, pos)| pos as usize)
    }

    /// Whole batches starting with the first one whose last offset is `>= offset`, continuing
    /// while the total stays `<= max_bytes` (the first batch always included). `None` if no
    /// batch of this segment reaches `offset`.
    pub fn read(&self, offset: i64, max_bytes: usize) -> Result<Option<Bytes>, LogError> {
        let Some(map) = self.mapping()? else {
            return Ok(None);
        };
        let size = usize::try_from(self.size).unwrap_or(usize::MAX);
        let data = &map[..size];
        let mut pos = self.seek_position(offset);
        let start = loop {
            if pos >= size {
                return Ok(None);
            }
            let b = header_at(data, pos).map_err(LogError::Corrupt)?;
            if b.last_offset >= offset {
                break pos;
            }
            pos += b.size;
        };
        let mut end = start + header_at(data, start).map_err(LogError::Corrupt)?.size;
        while end < size {
            let b = header_at(data, end).map_err(LogError::Corrupt)?;
            if end + b.size - start > max_bytes {
                break;
            }
            end += b.size;
        }
        Ok(Some(Bytes::from_owner(MappedLog(map)).slice(start..end)))
    }

    /// The first batch whose `maxTimestamp >= ts`, as `(base_offset, max_timestamp)`.
    pub fn find_timestamp(&self, ts: i64) -> Result<Option<(i64, i64)>, LogError> {
        if self.max_timestamp.is_none_or(|(max, _)| max < ts) {
            return Ok(None);
        }
        // Every batch up to the entry's offset has maxTimestamp <= entry ts < ts.
        let from = self
            .time_index
            .last_before(ts)
            .map_or(self.base_offset, |(_, rel)| {
                self.base_offset + i64::from(rel) + 1
            });
        let Some(map) = self.mapping()? else {
            return Ok(None);
        };
        let size = usize::try_from(self.size).unwrap_or(usize::MAX);
        let data = &map[..size];
        let mut pos = self.seek_position(from);
        while pos < size {
            let b = header_at(data, pos).map_err(LogError::Corrupt)?;
            if b.last_offset >= from && b.max_timestamp >= ts {
                return Ok(Some((b.base_offset, b.max_timestamp)));
            }
            pos += b.size;
        }
        Ok(None)
    }

    /// Makes the segment inactive: a final time-index entry for the segment's max timestamp,
    /// then both indexes flushed and trimmed, and the `.log` synced.
    pub fn seal(&mut self) -> io::Result<()> {
        self.push_time_entry();
        self.offset_index.trim()?;
        self.time_index.trim()?;
        self.file.sync_data()
    }

    /// fsyncs the `.log` and flushes both indexes.
    pub fn flush(&self) -> io::Result<()> {
        self.file.sync_data()?;
        self.offset_index.flush()?;
        self.time_index.flush()
    }
}
