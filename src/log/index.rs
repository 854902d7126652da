//! Memory-mapped sparse index files: the offset index and the time index.
//!
//! Both are arrays of fixed-size big-endian entries in a preallocated, zero-filled file. The
//! number of entries in use is not stored: on load it is the longest prefix of entries that is
//! strictly increasing (a zero entry ends it), which callers then check against the `.log`.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use memmap2::MmapMut;

use super::config::{OFFSET_INDEX_ENTRY_SIZE, TIME_INDEX_ENTRY_SIZE};

/// A preallocated, memory-mapped file of fixed-size entries.
pub(crate) struct IndexFile {
    path: PathBuf,
    /// Open only while the file is resized and mapped (entries are read and written through
    /// the mapping); reopened on demand.
    file: Option<File>,
    /// (device, inode) of the file: a reopen must find the same file, not one created at the
    /// same path since (a deleted and re-created topic).
    identity: (u64, u64),
    /// `None` only when `capacity == 0` (a trimmed, empty index).
    mmap: Option<MmapMut>,
    entry_size: usize,
    entries: usize,
    capacity: usize,
}

impl IndexFile {
    /// Opens (creating if absent) the file as it is: the capacity is the file's length in
    /// entries (see [`IndexFile::reserve`] to grow it). `entries` starts at 0 for the caller to
    /// determine.
    fn open(path: &Path, entry_size: usize) -> io::Result<Self> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        let capacity = usize::try_from(file.metadata()?.len()).unwrap_or(usize::MAX) / entry_size;
        let identity = super::segment::identity(&file)?;
        let mut index = IndexFile {
            path: path.to_path_buf(),
            identity,
            file: Some(file),
            mmap: None,
            entry_size,
            entries: 0,
            capacity,
        };
        index.remap()?;
        Ok(index)
    }

    /// The open file, reopening it if it was closed (failing if the path names another file
    /// now).
    fn file(&mut self) -> io::Result<&File> {
        if self.file.is_none() {
            let file = OpenOptions::new().read(true).write(true).open(&self.path)?;
            if super::segment::identity(&file)? != self.identity {
                return Err(io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("{} was replaced by another file", self.path.display()),
                ));
            }
            self.file = Some(file);
        }
        self.file
            .as_ref()
            .ok_or_else(|| io::Error::other("index file not open"))
    }

    /// Maps the file (at least `capacity` entries long), or nothing if the capacity is 0.
    fn remap(&mut self) -> io::Result<()> {
        self.mmap = None;
        if self.capacity > 0 {
            let file = self.file()?;
            // SAFETY: index files are private to this log directory and resized only by this
            // struct, which drops the mapping first; accesses stay below `capacity` entries.
            let mmap = unsafe { MmapMut::map_mut(file)? };
            // Entries are appended a few bytes at a time into a mostly sparse file: without
            // this, every first touch faults in (and zero-fills) a whole readahead window,
            // which dominated the cost of appending to many partitions.
            mmap.advise(memmap2::Advice::Random)?;
            self.mmap = Some(mmap);
        }
        // The mapping needs no descriptor: reopened only to resize.
        self.file = None;
        Ok(())
    }

    /// Raw bytes of entry `i` (any `i < capacity`).
    fn raw(&self, i: usize) -> &[u8] {
        match &self.mmap {
            Some(m) if i < self.capacity => &m[i * self.entry_size..(i + 1) * self.entry_size],
            _ => &[],
        }
    }

    fn push(&mut self, entry: &[u8]) -> bool {
        debug_assert_eq!(entry.len(), self.entry_size);
        if self.entries >= self.capacity {
            return false;
        }
        let Some(m) = self.mmap.as_mut() else {
            return false;
        };
        let at = self.entries * self.entry_size;
        m[at..at + self.entry_size].copy_from_slice(entry);
        self.entries += 1;
        true
    }

    /// Forgets entries from `n` on and zeroes their bytes so a later load cannot resurrect them.
    pub(crate) fn truncate(&mut self, n: usize) {
        if n < self.entries {
            let (from, to) = (n * self.entry_size, self.entries * self.entry_size);
            if let Some(m) = self.mmap.as_mut() {
                m[from..to].fill(0);
            }
            self.entries = n;
        }
    }

    /// Zeroes every non-zero byte after the entries in use (stale data from before a crash).
    pub(crate) fn clear_tail(&mut self) {
        let from = self.entries * self.entry_size;
        if let Some(m) = self.mmap.as_mut() {
            for chunk in m[from..].chunks_mut(64 * 1024) {
                if chunk.iter().any(|&b| b != 0) {
                    chunk.fill(0);
                }
            }
        }
    }

    /// Writes dirty pages to disk.
    pub(crate) fn flush(&self) -> io::Result<()> {
        match &self.mmap {
            Some(m) => m.flush(),
            None => Ok(()),
        }
    }

    /// Flushes and shrinks the file to the entries in use; the index becomes full. Closes the
    /// file descriptor afterwards (the mapping stays), so a sealed segment costs one open file
    /// (its `.log`) instead of three.
    pub(crate) fn trim(&mut self) -> io::Result<()> {
        if self.capacity != self.entries {
            self.flush()?;
            self.mmap = None;
            let len = (self.entries * self.entry_size) as u64;
            self.file()?.set_len(len)?;
            self.capacity = self.entries;
            self.remap()?;
            self.file()?.sync_all()?;
        }
        self.file = None;
        Ok(())
    }

    /// Grows the file to `capacity` entries (zero-filled) so it can be appended to.
    pub(crate) fn reserve(&mut self, capacity: usize) -> io::Result<()> {
        if capacity <= self.capacity {
            return Ok(());
        }
        self.flush()?;
        self.mmap = None;
        let len = (capacity * self.entry_size) as u64;
        self.file()?.set_len(len)?;
        self.capacity = capacity;
        self.remap()
    }

    /// Whether no further entry fits.
    pub(crate) fn is_full(&self) -> bool {
        self.entries >= self.capacity
    }
}

fn be_u32(b: &[u8], at: usize) -> u32 {
    let mut a = [0u8; 4];
    if let Some(s) = b.get(at..at + 4) {
        a.copy_from_slice(s);
    }
    u32::from_be_bytes(a)
}

fn be_i64(b: &[u8], at: usize) -> i64 {
    let mut a = [0u8; 8];
    if let Some(s) = b.get(at..at + 8) {
        a.copy_from_slice(s);
    }
    i64::from_be_bytes(a)
}

/// The `.index` file: `relative_offset: u32 | position: u32` entries, both strictly increasing.
pub(crate) struct OffsetIndex {
    file: IndexFile,
}

/// Truncation, flushing, trimming and growth are the file's own.
impl std::ops::Deref for OffsetIndex {
    type Target = IndexFile;
    fn deref(&self) -> &IndexFile {
        &self.file
    }
}

impl std::ops::DerefMut for OffsetIndex {
    fn deref_mut(&mut self) -> &mut IndexFile {
        &mut self.file
    }
}

impl OffsetIndex {
    /// Opens the index and takes the longest strictly increasing prefix of entries with
    /// `0 < position < log_size` as the entries in use.
    pub fn load(path: &Path, log_size: u64) -> io::Result<Self> {
        let mut index = OffsetIndex {
            file: IndexFile::open(path, OFFSET_INDEX_ENTRY_SIZE)?,
        };
        let (mut prev_rel, mut prev_pos) = (0u32, 0u32);
        let mut n = 0;
        while n < index.file.capacity {
            let (rel, pos) = index.raw_entry(n);
            if rel <= prev_rel || pos <= prev_pos || u64::from(pos) >= log_size {
                break;
            }
            (prev_rel, prev_pos) = (rel, pos);
            n += 1;
        }
        index.file.entries = n;
        Ok(index)
    }

    fn raw_entry(&self, i: usize) -> (u32, u32) {
        let b = self.file.raw(i);
        (be_u32(b, 0), be_u32(b, 4))
    }

    /// Number of entries in use.
    pub fn len(&self) -> usize {
        self.file.entries
    }

    /// Entry `i` as `(relative_offset, position)`.
    pub fn entry(&self, i: usize) -> Option<(u32, u32)> {
        (i < self.file.entries).then(|| self.raw_entry(i))
    }

    /// The last entry in use.
    pub fn last(&self) -> Option<(u32, u32)> {
        self.len().checked_sub(1).and_then(|i| self.entry(i))
    }

    /// The entry with the greatest relative offset `<= rel`.
    pub fn lookup(&self, rel: u32) -> Option<(u32, u32)> {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.raw_entry(mid).0 <= rel {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo.checked_sub(1).and_then(|i| self.entry(i))
    }

    /// Appends an entry if it keeps both columns strictly increasing and there is room.
    pub fn push(&mut self, rel: u32, pos: u32) -> bool {
        if let Some((r, p)) = self.last() {
            if rel <= r || pos <= p {
                return false;
            }
        }
        let mut e = [0u8; OFFSET_INDEX_ENTRY_SIZE];
        e[..4].copy_from_slice(&rel.to_be_bytes());
        e[4..].copy_from_slice(&pos.to_be_bytes());
        self.file.push(&e)
    }
}

/// The `.timeindex` file: `timestamp: i64 | relative_offset: u32` entries, timestamps strictly
/// increasing and offsets non-decreasing.
pub(crate) struct TimeIndex {
    file: IndexFile,
}

/// Truncation, flushing, trimming and growth are the file's own.
impl std::ops::Deref for TimeIndex {
    type Target = IndexFile;
    fn deref(&self) -> &IndexFile {
        &self.file
    }
}

impl std::ops::DerefMut for TimeIndex {
    fn deref_mut(&mut self) -> &mut IndexFile {
        &mut self.file
    }
}

impl TimeIndex {
    /// Opens the index and takes the longest valid prefix as the entries in use. An all-zero
    /// first entry is taken as "empty" (it is indistinguishable from preallocated space).
    pub fn load(path: &Path) -> io::Result<Self> {
        let mut index = TimeIndex {
            file: IndexFile::open(path, TIME_INDEX_ENTRY_SIZE)?,
        };
        let mut prev: Option<(i64, u32)> = None;
        let mut n = 0;
        while n < index.file.capacity {
            let (ts, rel) = index.raw_entry(n);
            let ok = match prev {
                None => (ts, rel) != (0, 0),
                Some((pts, prel)) => ts > pts && rel >= prel,
            };
            if !ok {
                break;
            }
            prev = Some((ts, rel));
            n += 1;
        }
        index.file.entries = n;
        Ok(index)
    }

    fn raw_entry(&self, i: usize) -> (i64, u32) {
        let b = self.file.raw(i);
        (be_i64(b, 0), be_u32(b, 8))
    }

    /// Number of entries in use.
    pub fn len(&self) -> usize {
        self.file.entries
    }

    /// Entry `i` as `(timestamp, relative_offset)`.
    pub fn entry(&self, i: usize) -> Option<(i64, u32)> {
        (i < self.file.entries).then(|| self.raw_entry(i))
    }

    /// The last entry in use.
    pub fn last(&self) -> Option<(i64, u32)> {
        self.len().checked_sub(1).and_then(|i| self.entry(i))
    }

    /// The last entry whose timestamp is `< ts`.
    pub fn last_before(&self, ts: i64) -> Option<(i64, u32)> {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.raw_entry(mid).0 < ts {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo.checked_sub(1).and_then(|i| self.entry(i))
    }

    /// Appends an entry if its timestamp is greater than the last one's, its offset not
    /// smaller, and there is room.
    pub fn push(&mut self, ts: i64, rel: u32) -> bool {
        if let Some((t, r)) = self.last() {
            if ts <= t || rel < r {
                return false;
            }
        }
        let mut e = [0u8; TIME_INDEX_ENTRY_SIZE];
        e[..8].copy_from_slice(&ts.to_be_bytes());
        e[8..].copy_from_slice(&rel.to_be_bytes());
        self.file.push(&e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_index_push_lookup_trim_reload() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("0.index");
        let mut idx = OffsetIndex::load(&path, 0).unwrap();
        assert_eq!(idx.len(), 0);
        idx.reserve(4).unwrap();
        assert!(idx.push(3, 100));
        assert!(!idx.push(3, 200), "offsets must increase");
        assert!(!idx.push(4, 100), "positions must increase");
        assert!(idx.push(7, 300));
        assert!(idx.push(9, 400));
        assert_eq!(idx.lookup(0), None);
        assert_eq!(idx.lookup(3), Some((3, 100)));
        assert_eq!(idx.lookup(8), Some((7, 300)));
        assert_eq!(idx.lookup(u32::MAX), Some((9, 400)));
        idx.truncate(2);
        assert_eq!(idx.last(), Some((7, 300)));
        drop(idx);
        // Reload: the zeroed third entry ends the prefix; positions beyond the log are dropped.
        let idx = OffsetIndex::load(&path, 1_000).unwrap();
        assert_eq!(idx.len(), 2);
        let mut idx = OffsetIndex::load(&path, 300).unwrap();
        assert_eq!(idx.len(), 1);
        idx.trim().unwrap();
        assert!(idx.is_full());
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 8);
    }

    #[test]
    fn time_index_rules() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("0.timeindex");
        let mut idx = TimeIndex::load(&path).unwrap();
        idx.reserve(3).unwrap();
        assert!(idx.push(10, 0));
        assert!(!idx.push(10, 5), "timestamps must increase");
        assert!(idx.push(20, 5));
        assert!(!idx.push(30, 4), "offsets must not decrease");
        assert!(idx.push(30, 5));
        assert!(idx.is_full());
        assert!(!idx.push(40, 6));
        assert_eq!(idx.last_before(10), None);
        assert_eq!(idx.last_before(11), Some((10, 0)));
        assert_eq!(idx.last_before(30), Some((20, 5)));
        assert_eq!(idx.last_before(i64::MAX), Some((30, 5)));
        drop(idx);
        assert_eq!(TimeIndex::load(&path).unwrap().len(), 3);
        std::fs::write(&path, [0u8; 36]).unwrap();
        assert_eq!(TimeIndex::load(&path).unwrap().len(), 0);
    }
}
