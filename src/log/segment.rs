//! One log segment: a `.log` file of batches plus its offset and time indexes.
//!
//! File descriptors are a resource of their own (thousands of partitions must not exhaust
//! them): the `.log` descriptor is opened on demand (appends, fsyncs, mapping) and closed by
//! [`Segment::seal`] and by [`Segment::close_if_idle`]; reads go through a cached read-only
//! mapping, which needs no descriptor once made and is dropped when idle as well. Both are
//! cached only within process-wide budgets ([`super::budget`]); past them they serve one use.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use memmap2::{Mmap, UncheckedAdvice};

use super::batch::{header_at, BatchInfo};
use super::budget::{Counted, DESCRIPTORS, MAPPINGS};
use super::index::{OffsetIndex, TimeIndex};
use super::{LogConfig, LogError};

/// File name of a segment file: the base offset zero-padded to 20 digits plus `ext`.
pub(crate) fn file_name(base_offset: i64, ext: &str) -> String {
    format!("{base_offset:020}.{ext}")
}

/// A range of a `.log` mapping handed out as zero-copy [`Bytes`] (the owner of one read).
///
/// When the last `Bytes` of the read is dropped (the response was encoded), the pages of the
/// range are released from the broker's address space (`MADV_DONTNEED`): they stay in the
/// page cache, so the next read of them is a minor fault, but the broker's resident memory
/// does not grow with the data consumers have read.
struct MappedLog {
    map: Arc<Mmap>,
    start: usize,
    end: usize,
}

impl AsRef<[u8]> for MappedLog {
    fn as_ref(&self) -> &[u8] {
        &self.map[..]
    }
}

impl Drop for MappedLog {
    fn drop(&mut self) {
        let page = page_size();
        let start = self.start - self.start % page;
        let end = self.end.saturating_add(page - 1) / page * page;
        let end = end.min(self.map.len());
        if end > start {
            // SAFETY: the mapping is a shared, read-only mapping of a file: dropping its pages
            // only makes the next access fault them back in from the page cache with the same
            // contents, so no reader (of this or any other range) observes a change.
            let _ = unsafe {
                self.map
                    .unchecked_advise_range(UncheckedAdvice::DontNeed, start, end - start)
            };
        }
    }
}

/// The system page size (cached).
fn page_size() -> usize {
    static PAGE: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *PAGE.get_or_init(|| {
        // SAFETY: sysconf has no preconditions.
        let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        usize::try_from(size)
            .ok()
            .filter(|&p| p > 0)
            .unwrap_or(4096)
    })
}

/// One segment. All fields are mutated only by the partition's appender under the partition's
/// write lock; readers use `&Segment` under the read lock.
pub(crate) struct Segment {
    base_offset: i64,
    dir: PathBuf,
    /// The `.log` descriptor while open (see the module docs), counted against the
    /// descriptor budget.
    file: Mutex<Option<Counted<Arc<File>>>>,
    /// Identity of the `.log` file ([`FileId`]): a reopen must find the same file, not one
    /// created at the same path since (a deleted and re-created topic).
    identity: FileId,
    /// When the segment's files were last used, in [`clock_ms`] milliseconds.
    last_used_ms: AtomicU64,
    /// Bytes of complete, offset-assigned batches (what readers may see).
    size: u64,
    /// Offset after the last batch (`base_offset` when empty).
    next_offset: i64,
    /// Cached read-only mapping of `.log`, counted against the mapping budget; remapped when
    /// `size` outgrows it.
    map: Mutex<Option<Counted<Arc<Mmap>>>>,
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
        Segment::from_file(dir, base_offset, file, 0, config)
    }

    /// Wraps an opened `.log` of `size` bytes and loads its indexes as they are (absent:
    /// empty); recovery then checks and completes them.
    pub fn from_file(
        dir: &Path,
        base_offset: i64,
        file: File,
        size: u64,
        config: &LogConfig,
    ) -> io::Result<Segment> {
        let offset_index = OffsetIndex::load(
            &dir.join(file_name(base_offset, "index")),
            size,
            config.offset_index_entries(),
        )?;
        let time_index = TimeIndex::load(
            &dir.join(file_name(base_offset, "timeindex")),
            config.time_index_entries(),
        )?;
        let identity = identity(&file)?;
        Ok(Segment {
            base_offset,
            dir: dir.to_path_buf(),
            // Past the budget the descriptor is closed here and reopened per use.
            file: Mutex::new(DESCRIPTORS.take(Arc::new(file)).ok()),
            identity,
            last_used_ms: AtomicU64::new(clock_ms()),
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

    /// The `.log` file handle (for the appender's write outside the lock, and fsyncs), opened
    /// if it was closed.
    pub fn file(&self) -> io::Result<Arc<File>> {
        self.touch();
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(f) = file.as_ref() {
            return Ok(Arc::clone(f));
        }
        let opened = Arc::new(self.reopen(OpenOptions::new().read(true).write(true))?);
        // Past the budget it is not kept: closed once the caller is done with it.
        *file = DESCRIPTORS.take(Arc::clone(&opened)).ok();
        Ok(opened)
    }

    /// Opens the `.log` again with `options`, failing if the path now names another file.
    fn reopen(&self, options: &OpenOptions) -> io::Result<File> {
        let file = options.open(self.path("log"))?;
        if identity(&file)? != self.identity {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!(
                    "{} was replaced by another file",
                    self.path("log").display()
                ),
            ));
        }
        Ok(file)
    }

    /// Records a use of the segment's files (for [`close_if_idle`](Self::close_if_idle)).
    fn touch(&self) {
        self.last_used_ms.store(clock_ms(), Ordering::Relaxed);
    }

    /// Closes the `.log` descriptor and drops the cached mapping and the index mappings if the
    /// segment's files were not used for `max_idle`; all are reopened on demand. Bytes already read stay valid.
    /// Returns whether anything was closed.
    pub fn close_if_idle(&self, max_idle: Duration) -> bool {
        let idle_ms = clock_ms().saturating_sub(self.last_used_ms.load(Ordering::Relaxed));
        if u128::from(idle_ms) < max_idle.as_millis() {
            return false;
        }
        let file = self.file.lock().unwrap_or_else(|p| p.into_inner()).take();
        let map = self.map.lock().unwrap_or_else(|p| p.into_inner()).take();
        let offset_index = self.offset_index.release();
        let time_index = self.time_index.release();
        file.is_some() || map.is_some() || offset_index || time_index
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

    /// Truncates the `.log` file to `size` bytes (recovery only, before any mapping exists).
    pub(crate) fn truncate_file(&mut self, size: u64) -> io::Result<()> {
        *self.map.get_mut().unwrap_or_else(|e| e.into_inner()) = None;
        let file = self.file()?;
        file.set_len(size)?;
        file.sync_all()?;
        self.size = size;
        Ok(())
    }

    /// A mapping covering at least the first `size` bytes of `.log`; `None` when empty.
    pub fn mapping(&self) -> Result<Option<Arc<Mmap>>, LogError> {
        if self.size == 0 {
            return Ok(None);
        }
        self.touch();
        let mut guard = self.map.lock().map_err(|_| LogError::Poisoned)?;
        if let Some(m) = guard.as_ref() {
            if m.len() as u64 >= self.size {
                return Ok(Some(Arc::clone(m)));
            }
        }
        // The open descriptor if there is one; else one just for mapping (closed at once).
        let open = self
            .file
            .lock()
            .map_err(|_| LogError::Poisoned)?
            .as_deref()
            .cloned();
        let file = match open {
            Some(f) => f,
            None => Arc::new(self.reopen(OpenOptions::new().read(true))?),
        };
        // SAFETY: `.log` files are only appended to while mapped; they are truncated only by
        // recovery, before any mapping exists. Readers never look past `size`.
        let m = Arc::new(unsafe { Mmap::map(&*file)? });
        if (m.len() as u64) < self.size {
            return Err(LogError::Corrupt(format!(
                "{} is shorter ({}) than its committed size {}",
                self.path("log").display(),
                m.len(),
                self.size
            )));
        }
        // Past the budget it is not kept: unmapped once the read's bytes are dropped.
        *guard = MAPPINGS.take(Arc::clone(&m)).ok();
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
        Ok(Some(
            Bytes::from_owner(MappedLog { map, start, end }).slice(start..end),
        ))
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
    /// then both indexes flushed and trimmed, and the `.log` synced and its descriptor closed
    /// (reads use the mapping).
    pub fn seal(&mut self) -> io::Result<()> {
        // First: the `.log` must still be this segment's file, or the index files at these
        // paths (which may not exist yet) belong to another log now.
        let file = self.file()?;
        self.push_time_entry();
        self.offset_index.trim()?;
        self.time_index.trim()?;
        file.sync_data()?;
        drop(file);
        *self.file.get_mut().unwrap_or_else(|p| p.into_inner()) = None;
        Ok(())
    }

    /// [`seal`](Self::seal) for a closed segment found on disk: completes and trims its indexes
    /// if they are not (a crash during a roll) and closes its descriptor, without any fsync
    /// (the caller syncs the filesystem once if the start was unclean).
    pub(crate) fn seal_loaded(&mut self) -> io::Result<()> {
        self.push_time_entry();
        self.offset_index.trim()?;
        self.time_index.trim()?;
        *self.file.get_mut().unwrap_or_else(|p| p.into_inner()) = None;
        Ok(())
    }

    /// Shrinks index files much longer than their entries (see `IndexFile::is_oversized`).
    pub(crate) fn trim_oversized_indexes(&mut self) -> io::Result<()> {
        if self.offset_index.is_oversized() {
            self.offset_index.trim()?;
        }
        if self.time_index.is_oversized() {
            self.time_index.trim()?;
        }
        Ok(())
    }

    /// fsyncs the `.log` and flushes both indexes.
    pub fn flush(&self) -> io::Result<()> {
        self.file()?.sync_data()?;
        self.offset_index.flush()?;
        self.time_index.flush()
    }
}

/// Milliseconds since the first call in this process: a cheap monotonic clock for idle times.
fn clock_ms() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    u64::try_from(START.get_or_init(Instant::now).elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Identity of a file: (device, inode, birth time in ns since the epoch, 0 where the
/// filesystem does not record it). The birth time tells a file apart from one created later
/// under a freed and reused inode number.
pub(crate) type FileId = (u64, u64, i128);

/// The [`FileId`] of an open file.
pub(crate) fn identity(file: &File) -> io::Result<FileId> {
    Ok(meta_identity(&file.metadata()?))
}

/// The [`FileId`] from a file's metadata; `(0, 0, 0)` where there is no such notion.
pub(crate) fn meta_identity(meta: &std::fs::Metadata) -> FileId {
    let born = meta
        .created()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as i128);
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        (meta.dev(), meta.ino(), born)
    }
    #[cfg(not(unix))]
    {
        (0, 0, born)
    }
}
