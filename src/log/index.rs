//! Memory-mapped sparse index files: the offset index and the time index.
//!
//! Invariants:
//! - Both are arrays of fixed-size big-endian entries. The file is sized to its content: it
//!   grows in steps (doubling, from one page) as entries are appended and is trimmed to the
//!   entries in use when its segment is sealed, so an index costs disk, memory and mappings
//!   in proportion to what it indexes, never a preallocated maximum.
//! - The number of entries in use is not stored: on load it is the file length in entries
//!   minus the all-zero entries at the end (the unused part of the last growth step; a zero
//!   entry never occurs in use, see [`super`]). Finding it reads at most that unused step,
//!   never the whole file; recovery then checks the first and last entries against the `.log`.
//! - The mapping is made on first use and released by [`IndexFile::release`] (the idle
//!   sweep), so idle partitions hold no index mappings; readers hold the mapping's read lock
//!   while they look at it, so it is never unmapped under them. It is kept only within the
//!   process-wide mapping budget ([`super::budget`]); past it, each use maps and unmaps.
//! - The file is created on the first growth; an index without entries has no mapping and
//!   may have no file.

use std::fs::OpenOptions;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{RwLock, RwLockReadGuard};

use memmap2::MmapMut;

use super::budget::{Counted, MAPPINGS};
use super::config::{OFFSET_INDEX_ENTRY_SIZE, TIME_INDEX_ENTRY_SIZE};

/// Size of the first growth step, in bytes.
const FIRST_STEP_BYTES: usize = 4096;

/// A memory-mapped file of fixed-size entries (see the module docs).
pub(crate) struct IndexFile {
    path: PathBuf,
    /// [`FileId`](super::segment::FileId) of the file once it exists: a reopen must find the same file, not one
    /// created at the same path since (a deleted and re-created topic).
    identity: Option<super::segment::FileId>,
    /// The mapping of the first `capacity` entries, made on demand; `None` when released or
    /// when `capacity == 0`.
    map: RwLock<Option<Counted<MmapMut>>>,
    entry_size: usize,
    entries: usize,
    /// Entries the file has room for (its length in entries).
    capacity: usize,
    /// Most entries the index may hold (`max.index.bytes`); it is full at that count.
    max_entries: usize,
}

/// A read view of an index's entries (empty when the file cannot be mapped: callers then
/// scan the `.log` from the segment's start, which is slower but correct).
pub(crate) struct View<'a> {
    map: ViewMap<'a>,
    entry_size: usize,
    entries: usize,
}

/// Where a [`View`] reads from.
enum ViewMap<'a> {
    /// Nothing to read.
    None,
    /// The cached mapping, held mapped by the read lock.
    Cached(RwLockReadGuard<'a, Option<Counted<MmapMut>>>),
    /// A mapping made for this view only (past the mapping budget).
    Owned(MmapMut),
}

impl View<'_> {
    fn bytes(&self) -> Option<&[u8]> {
        match &self.map {
            ViewMap::None => None,
            ViewMap::Cached(guard) => guard.as_deref().map(|m| &m[..]),
            ViewMap::Owned(m) => Some(&m[..]),
        }
    }

    /// Raw bytes of entry `i` (empty past the entries in use or without a mapping).
    fn raw(&self, i: usize) -> &[u8] {
        match self.bytes() {
            Some(m) if i < self.entries => m
                .get(i * self.entry_size..(i + 1) * self.entry_size)
                .unwrap_or(&[]),
            _ => &[],
        }
    }

    /// Entries readable through this view.
    fn len(&self) -> usize {
        self.bytes().map_or(0, |_| self.entries)
    }
}

impl IndexFile {
    /// Opens the index at `path` as it is (absent: empty) and finds the entries in use.
    fn open(path: &Path, entry_size: usize, max_entries: usize) -> io::Result<Self> {
        let (capacity, identity) = match std::fs::metadata(path) {
            Ok(meta) => (
                usize::try_from(meta.len()).unwrap_or(usize::MAX) / entry_size,
                Some(super::segment::meta_identity(&meta)),
            ),
            Err(e) if e.kind() == io::ErrorKind::NotFound => (0, None),
            Err(e) => return Err(e),
        };
        let mut index = IndexFile {
            path: path.to_path_buf(),
            identity,
            map: RwLock::new(None),
            entry_size,
            entries: 0,
            capacity,
            max_entries: max_entries.max(1),
        };
        if capacity > 0 {
            // A file preallocated by an earlier version is mostly a hole: start looking for the
            // last entry at the end of its last data extent, not at the end of the file.
            let data_end = std::fs::File::open(path)
                .ok()
                .and_then(|f| data_end(&f))
                .map_or(capacity, |end| end.div_ceil(entry_size).min(capacity));
            let m = index.map_file()?;
            let mut n = data_end;
            while n > 0
                && m[(n - 1) * entry_size..n * entry_size]
                    .iter()
                    .all(|&b| b == 0)
            {
                n -= 1;
            }
            index.entries = n;
            *index.map.get_mut().unwrap_or_else(|p| p.into_inner()) = MAPPINGS.take(m).ok();
        }
        Ok(index)
    }

    /// Maps the first `capacity` entries of the file (checking it is still our file).
    fn map_file(&self) -> io::Result<MmapMut> {
        let file = OpenOptions::new().read(true).write(true).open(&self.path)?;
        if self.identity != Some(super::segment::identity(&file)?) {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("{} was replaced by another file", self.path.display()),
            ));
        }
        // SAFETY: index files are private to this log directory and resized only by this
        // struct, under `&mut self` and with the mapping dropped; accesses stay below
        // `capacity` entries, which the file always holds.
        let m = unsafe {
            memmap2::MmapOptions::new()
                .len(self.capacity * self.entry_size)
                .map_mut(&file)?
        };
        // Entries are appended a few bytes at a time: without this, every first touch faults
        // in a whole readahead window.
        m.advise(memmap2::Advice::Random)?;
        Ok(m)
    }

    /// A read view of the entries, mapping the file if it is not mapped.
    pub(crate) fn view(&self) -> View<'_> {
        let view = |map| View {
            map,
            entry_size: self.entry_size,
            entries: self.entries,
        };
        if self.entries == 0 {
            return view(ViewMap::None);
        }
        let guard = self.map.read().unwrap_or_else(|p| p.into_inner());
        if guard.is_some() {
            return view(ViewMap::Cached(guard));
        }
        drop(guard);
        let mut slot = self.map.write().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            match self.map_file() {
                Ok(m) => match MAPPINGS.take(m) {
                    Ok(counted) => *slot = Some(counted),
                    Err(m) => return view(ViewMap::Owned(m)),
                },
                Err(e) => {
                    tracing::warn!(path = %self.path.display(), error = %e, "cannot map an index; reading without it");
                    return view(ViewMap::None);
                }
            }
        }
        drop(slot);
        view(ViewMap::Cached(
            self.map.read().unwrap_or_else(|p| p.into_inner()),
        ))
    }

    /// Runs `write` on the mapped entries, mapping the file if needed (cached within the
    /// mapping budget, else unmapped again at once).
    fn with_map_mut(&mut self, write: impl FnOnce(&mut [u8])) -> io::Result<()> {
        let slot = self.map.get_mut().unwrap_or_else(|p| p.into_inner());
        if let Some(m) = slot.as_mut() {
            write(&mut m[..]);
            return Ok(());
        }
        let m = self.map_file()?;
        match MAPPINGS.take(m) {
            Ok(mut counted) => {
                write(&mut counted[..]);
                *self.map.get_mut().unwrap_or_else(|p| p.into_inner()) = Some(counted);
            }
            Err(mut m) => write(&mut m[..]),
        }
        Ok(())
    }

    /// Drops the mapping (made again on the next use). Returns whether one was dropped.
    pub(crate) fn release(&self) -> bool {
        self.map
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .is_some()
    }

    /// Grows the file by one step (doubling, at most to `max_entries`) and drops the mapping.
    fn grow(&mut self) -> io::Result<()> {
        let step = (FIRST_STEP_BYTES / self.entry_size).max(1);
        let capacity = (self.capacity * 2).max(step).min(self.max_entries);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&self.path)?;
        let id = super::segment::identity(&file)?;
        match self.identity {
            Some(known) if known != id => {
                return Err(io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("{} was replaced by another file", self.path.display()),
                ))
            }
            _ => self.identity = Some(id),
        }
        *self.map.get_mut().unwrap_or_else(|p| p.into_inner()) = None;
        file.set_len((capacity * self.entry_size) as u64)?;
        self.capacity = capacity;
        Ok(())
    }

    fn push(&mut self, entry: &[u8]) -> bool {
        debug_assert_eq!(entry.len(), self.entry_size);
        if self.entries >= self.max_entries {
            return false;
        }
        if self.entries >= self.capacity {
            if let Err(e) = self.grow() {
                tracing::warn!(path = %self.path.display(), error = %e, "cannot grow an index");
                return false;
            }
        }
        let at = self.entries * self.entry_size;
        let size = self.entry_size;
        if let Err(e) = self.with_map_mut(|m| m[at..at + size].copy_from_slice(entry)) {
            tracing::warn!(path = %self.path.display(), error = %e, "cannot map an index");
            return false;
        }
        self.entries += 1;
        true
    }

    /// Forgets entries from `n` on and zeroes their bytes so a later load cannot resurrect them.
    pub(crate) fn truncate(&mut self, n: usize) {
        if n < self.entries {
            let (from, to) = (n * self.entry_size, self.entries * self.entry_size);
            if let Err(e) = self.with_map_mut(|m| m[from..to].fill(0)) {
                tracing::warn!(path = %self.path.display(), error = %e, "cannot map an index");
            }
            self.entries = n;
        }
    }

    /// Writes dirty pages to disk.
    pub(crate) fn flush(&self) -> io::Result<()> {
        match self.map.read().unwrap_or_else(|p| p.into_inner()).as_ref() {
            Some(m) => m.flush(),
            None => Ok(()),
        }
    }

    /// Shrinks the file to the entries in use (no fsync: an index is rebuilt by recovery if
    /// it is lost) and drops the mapping.
    pub(crate) fn trim(&mut self) -> io::Result<()> {
        if self.capacity != self.entries {
            self.flush()?;
            *self.map.get_mut().unwrap_or_else(|p| p.into_inner()) = None;
            let file = OpenOptions::new().write(true).open(&self.path)?;
            if self.identity == Some(super::segment::identity(&file)?) {
                file.set_len((self.entries * self.entry_size) as u64)?;
                self.capacity = self.entries;
            }
        }
        Ok(())
    }

    /// Whether the file is much longer than its entries (preallocated by an earlier version,
    /// or left so by a truncation): more than one growth step past them.
    pub(crate) fn is_oversized(&self) -> bool {
        let step = (FIRST_STEP_BYTES / self.entry_size).max(1);
        self.capacity > 2 * self.entries.max(step)
    }

    /// Whether no further entry fits.
    pub(crate) fn is_full(&self) -> bool {
        self.entries >= self.max_entries
    }

    /// Bytes of the file (its capacity).
    #[cfg(test)]
    fn file_bytes(&self) -> usize {
        self.capacity * self.entry_size
    }
}

/// Where the file's last data extent ends (in bytes), skipping trailing holes; `None` where
/// the filesystem cannot tell.
fn data_end(file: &std::fs::File) -> Option<usize> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::io::AsRawFd;
        let fd = file.as_raw_fd();
        let mut end: libc::off_t = 0;
        for _ in 0..1024 {
            // SAFETY: lseek on a descriptor we own; it only moves the file position.
            let data = unsafe { libc::lseek(fd, end, libc::SEEK_DATA) };
            if data < 0 {
                // ENXIO: no data at or after `end`.
                return usize::try_from(end).ok();
            }
            // SAFETY: as above.
            let hole = unsafe { libc::lseek(fd, data, libc::SEEK_HOLE) };
            if hole <= data {
                return None;
            }
            end = hole;
        }
        None
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = file;
        None
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
    /// Opens the index (at most `max_entries`) and takes its entries in use (see the module
    /// docs), dropping trailing entries that point at or past `log_size`.
    pub fn load(path: &Path, log_size: u64, max_entries: usize) -> io::Result<Self> {
        let mut index = OffsetIndex {
            file: IndexFile::open(path, OFFSET_INDEX_ENTRY_SIZE, max_entries)?,
        };
        while index
            .last()
            .is_some_and(|(_, pos)| u64::from(pos) >= log_size)
        {
            index.file.entries -= 1;
        }
        Ok(index)
    }

    fn decode(b: &[u8]) -> (u32, u32) {
        (be_u32(b, 0), be_u32(b, 4))
    }

    /// Number of entries in use.
    pub fn len(&self) -> usize {
        self.file.entries
    }

    /// Entry `i` as `(relative_offset, position)`.
    pub fn entry(&self, i: usize) -> Option<(u32, u32)> {
        let view = self.file.view();
        (i < view.len()).then(|| Self::decode(view.raw(i)))
    }

    /// The last entry in use.
    pub fn last(&self) -> Option<(u32, u32)> {
        self.len().checked_sub(1).and_then(|i| self.entry(i))
    }

    /// How many entries have a relative offset `<= rel`.
    pub fn entries_at_or_below(&self, rel: u32) -> usize {
        let view = self.file.view();
        let (mut lo, mut hi) = (0, view.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if Self::decode(view.raw(mid)).0 <= rel {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// The entry with the greatest relative offset `<= rel`.
    pub fn lookup(&self, rel: u32) -> Option<(u32, u32)> {
        let view = self.file.view();
        let (mut lo, mut hi) = (0, view.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if Self::decode(view.raw(mid)).0 <= rel {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo.checked_sub(1).map(|i| Self::decode(view.raw(i)))
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
    /// Opens the index (at most `max_entries`) and takes its entries in use (see the module
    /// docs).
    pub fn load(path: &Path, max_entries: usize) -> io::Result<Self> {
        Ok(TimeIndex {
            file: IndexFile::open(path, TIME_INDEX_ENTRY_SIZE, max_entries)?,
        })
    }

    fn decode(b: &[u8]) -> (i64, u32) {
        (be_i64(b, 0), be_u32(b, 8))
    }

    /// Number of entries in use.
    pub fn len(&self) -> usize {
        self.file.entries
    }

    /// Entry `i` as `(timestamp, relative_offset)`.
    pub fn entry(&self, i: usize) -> Option<(i64, u32)> {
        let view = self.file.view();
        (i < view.len()).then(|| Self::decode(view.raw(i)))
    }

    /// The last entry in use.
    pub fn last(&self) -> Option<(i64, u32)> {
        self.len().checked_sub(1).and_then(|i| self.entry(i))
    }

    /// The last entry whose timestamp is `< ts`.
    pub fn last_before(&self, ts: i64) -> Option<(i64, u32)> {
        let view = self.file.view();
        let (mut lo, mut hi) = (0, view.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if Self::decode(view.raw(mid)).0 < ts {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo.checked_sub(1).map(|i| Self::decode(view.raw(i)))
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
        let mut idx = OffsetIndex::load(&path, 0, 1000).unwrap();
        assert_eq!(idx.len(), 0);
        assert!(!path.exists(), "no file before the first entry");
        assert!(idx.push(3, 100));
        assert_eq!(
            idx.file_bytes(),
            4096,
            "grown by one page, not to the maximum"
        );
        assert!(!idx.push(3, 200), "offsets must increase");
        assert!(!idx.push(4, 100), "positions must increase");
        assert!(idx.push(7, 300));
        assert!(idx.push(9, 400));
        assert_eq!(idx.lookup(0), None);
        assert_eq!(idx.lookup(3), Some((3, 100)));
        assert_eq!(idx.lookup(8), Some((7, 300)));
        assert_eq!(idx.lookup(u32::MAX), Some((9, 400)));
        assert!(idx.release(), "mapped while used");
        assert_eq!(idx.lookup(8), Some((7, 300)), "mapped again on use");
        idx.truncate(2);
        assert_eq!(idx.last(), Some((7, 300)));
        drop(idx);
        // Reload: the zeroed tail is not in use; positions beyond the log are dropped.
        let idx = OffsetIndex::load(&path, 1_000, 1000).unwrap();
        assert_eq!(idx.len(), 2);
        let mut idx = OffsetIndex::load(&path, 300, 1000).unwrap();
        assert_eq!(idx.len(), 1);
        idx.trim().unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 8);
        assert_eq!(OffsetIndex::load(&path, 1_000, 1000).unwrap().len(), 1);
    }

    #[test]
    fn index_grows_in_steps_up_to_its_maximum() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("0.index");
        let mut idx = OffsetIndex::load(&path, 0, 1500).unwrap();
        for i in 1..=1500u32 {
            assert!(idx.push(i, i * 10), "entry {i}");
        }
        assert!(idx.is_full());
        assert!(!idx.push(2000, 20_000));
        assert_eq!(idx.file_bytes(), 1500 * 8);
        drop(idx);
        assert_eq!(
            OffsetIndex::load(&path, u64::MAX, 1500).unwrap().len(),
            1500
        );
    }

    #[test]
    fn a_preallocated_index_is_read_without_scanning_its_hole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("0.index");
        let mut idx = OffsetIndex::load(&path, 0, 1000).unwrap();
        assert!(idx.push(3, 100) && idx.push(7, 300));
        drop(idx);
        // As an earlier version left an active index: 10 MB, all but the start a hole.
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(10 << 20)
            .unwrap();
        let idx = OffsetIndex::load(&path, 1_000, 1 << 20).unwrap();
        assert_eq!((idx.len(), idx.last()), (2, Some((7, 300))));
        assert!(idx.is_oversized());
    }

    #[test]
    fn time_index_rules() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("0.timeindex");
        let mut idx = TimeIndex::load(&path, 3).unwrap();
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
        assert_eq!(TimeIndex::load(&path, 3).unwrap().len(), 3);
        std::fs::write(&path, [0u8; 36]).unwrap();
        assert_eq!(TimeIndex::load(&path, 3).unwrap().len(), 0);
    }
}
