//! An append-only file of CRC-framed records, for the broker's small state logs (committed
//! offsets, transaction state).
//!
//! Each record is `len:u32 crc32c:u32 body`. [`FramedLog::open`] replays the records in order
//! and stops at the first torn or corrupt one (a crash mid-append), which is then cut off by
//! the caller's next [`FramedLog::rewrite`]. [`FramedLog::append`] fsyncs before it returns;
//! [`FramedLog::write`] only writes and hands back a [`Syncer`], so a caller holding a lock
//! can release it before the fsync. Either way a change is acknowledged to a client only once
//! it is fsynced, so it survives kill -9 and power loss.
//!
//! Group commit: concurrent [`Syncer::sync`] calls on one file share fsyncs. Every write gets
//! a sequence number once it is in the file; an fsync covers every write numbered at most
//! what the counter said when that fsync started. A caller whose write is not covered yet
//! either starts the next fsync (if none is running) or waits for the running one and then
//! looks again, so no write is ever reported durable before an fsync that started after it
//! completed has returned. No lock is held during an fsync.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use crate::fsutil::write_atomic;

/// An open framed log.
#[derive(Debug)]
pub struct FramedLog {
    /// `None`: an in-memory log (`--memory`), which writes nothing.
    path: Option<PathBuf>,
    file: Option<Arc<SharedFile>>,
    records: usize,
}

/// One open log file and its group-commit state (see the module docs).
#[derive(Debug)]
struct SharedFile {
    file: File,
    /// Sequence number of the last write that is in the file.
    written: AtomicU64,
    sync: Mutex<SyncState>,
    /// Signalled whenever an fsync ends.
    synced: Condvar,
}

#[derive(Debug, Default)]
struct SyncState {
    /// Every write numbered at most this is durable.
    durable: u64,
    /// An fsync is running.
    syncing: bool,
}

impl SharedFile {
    fn new(file: File) -> SharedFile {
        SharedFile {
            file,
            written: AtomicU64::new(0),
            sync: Mutex::new(SyncState::default()),
            synced: Condvar::new(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, SyncState> {
        self.sync.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Returns once write `seq` is durable, fsyncing at most once itself.
    fn sync_upto(&self, seq: u64) -> io::Result<()> {
        let mut st = self.state();
        loop {
            if st.durable >= seq {
                return Ok(());
            }
            if st.syncing {
                st = self.synced.wait(st).unwrap_or_else(|e| e.into_inner());
                continue;
            }
            st.syncing = true;
            // Every write numbered at most `covers` is already in the file.
            let covers = self.written.load(Ordering::Acquire);
            drop(st);
            let r = crate::metrics::timed(&crate::metrics::FSYNC_STATE, || self.file.sync_data());
            st = self.state();
            st.syncing = false;
            if r.is_ok() {
                st.durable = st.durable.max(covers);
            }
            self.synced.notify_all();
            // On an error, waiters retry with their own fsync; this caller reports it.
            return r;
        }
    }
}

/// Makes what a [`FramedLog::write`] wrote durable; may be used after the log's lock is
/// released. Concurrent syncs of one log share fsyncs (group commit, see the module docs).
#[derive(Debug)]
#[must_use = "a write is durable only once synced"]
pub struct Syncer(Option<(Arc<SharedFile>, u64)>);

impl Syncer {
    /// Returns once the write is fsynced (at once for an in-memory log).
    pub fn sync(self) -> io::Result<()> {
        self.0.map_or(Ok(()), |(f, seq)| f.sync_upto(seq))
    }
}

impl FramedLog {
    /// Opens (creating the file if needed) and returns the log with every intact record body,
    /// in order. The file is rewritten with exactly those records, so a torn tail is gone.
    pub fn open(path: &Path) -> io::Result<(FramedLog, Vec<Vec<u8>>)> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e),
        };
        let mut bodies = Vec::new();
        let mut buf = &bytes[..];
        while !buf.is_empty() {
            let Some(body) = next_record(buf) else {
                tracing::warn!(path = %path.display(), cut = buf.len(), "dropping a torn or corrupt tail");
                break;
            };
            bodies.push(body.to_vec());
            buf = &buf[8 + body.len()..];
        }
        let mut out = Vec::with_capacity(bytes.len());
        for b in &bodies {
            frame(&mut out, b);
        }
        write_atomic(path, &out)?;
        let file = Arc::new(SharedFile::new(OpenOptions::new().append(true).open(path)?));
        let records = bodies.len();
        Ok((
            FramedLog {
                path: Some(path.to_path_buf()),
                file: Some(file),
                records,
            },
            bodies,
        ))
    }

    /// A log that keeps nothing: for `--memory`, where no state is written to disk.
    pub fn in_memory() -> FramedLog {
        FramedLog {
            path: None,
            file: None,
            records: 0,
        }
    }

    /// Appends `bodies` and fsyncs them (one fsync for all).
    pub fn append<B: AsRef<[u8]>>(&mut self, bodies: &[B]) -> io::Result<()> {
        self.write(bodies)?.sync()
    }

    /// Appends `bodies` without fsyncing; the returned [`Syncer`] makes them durable.
    pub fn write<B: AsRef<[u8]>>(&mut self, bodies: &[B]) -> io::Result<Syncer> {
        let mut out = Vec::new();
        for b in bodies {
            frame(&mut out, b.as_ref());
        }
        let Some(file) = &self.file else {
            self.records += bodies.len();
            return Ok(Syncer(None));
        };
        if out.is_empty() {
            // Nothing new: durable once what is already written is.
            let seq = file.written.load(Ordering::Acquire);
            return Ok(Syncer(Some((file.clone(), seq))));
        }
        (&file.file).write_all(&out)?;
        // Writes are serialized by `&mut self`: numbered in file order, after they are in it.
        let seq = file.written.fetch_add(1, Ordering::AcqRel) + 1;
        self.records += bodies.len();
        Ok(Syncer(Some((file.clone(), seq))))
    }

    /// Replaces the whole log with `bodies`, atomically (compaction).
    pub fn rewrite<B: AsRef<[u8]>>(&mut self, bodies: &[B]) -> io::Result<()> {
        let mut out = Vec::new();
        for b in bodies {
            frame(&mut out, b.as_ref());
        }
        if let Some(path) = &self.path {
            // Durable by itself (fsynced file and directory); syncers of the old file still
            // fsync that one, harmlessly.
            write_atomic(path, &out)?;
            self.file = Some(Arc::new(SharedFile::new(
                OpenOptions::new().append(true).open(path)?,
            )));
        }
        self.records = bodies.len();
        Ok(())
    }

    /// Records in the file (live or superseded), for deciding when to compact.
    pub fn records(&self) -> usize {
        self.records
    }
}

/// The body of the record at the start of `buf`, if it is whole and its CRC matches.
fn next_record(buf: &[u8]) -> Option<&[u8]> {
    let len = u32::from_be_bytes(buf.get(0..4)?.try_into().ok()?) as usize;
    let crc = u32::from_be_bytes(buf.get(4..8)?.try_into().ok()?);
    let body = buf.get(8..8usize.checked_add(len)?)?;
    (crc32c::crc32c(body) == crc).then_some(body)
}

fn frame(out: &mut Vec<u8>, body: &[u8]) {
    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    out.extend_from_slice(&crc32c::crc32c(body).to_be_bytes());
    out.extend_from_slice(body);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replays_appends_and_cuts_a_torn_tail() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.log");
        {
            let (mut log, bodies) = FramedLog::open(&path).expect("open");
            assert!(bodies.is_empty());
            log.append(&[b"one".to_vec(), b"two".to_vec()])
                .expect("append");
            log.append(&[b"three"]).expect("append");
            assert_eq!(log.records(), 3);
        }
        let mut f = OpenOptions::new().append(true).open(&path).expect("file");
        f.write_all(&[0, 0, 0, 50, 1, 2]).expect("torn tail");
        drop(f);
        let (mut log, bodies) = FramedLog::open(&path).expect("reopen");
        assert_eq!(
            bodies,
            vec![b"one".to_vec(), b"two".to_vec(), b"three".to_vec()]
        );
        log.rewrite(&[b"only"]).expect("rewrite");
        drop(log);
        let (_, bodies) = FramedLog::open(&path).expect("reopen");
        assert_eq!(bodies, vec![b"only".to_vec()]);
    }

    #[test]
    fn concurrent_syncs_all_return_and_cover_their_writes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.log");
        let (log, _) = FramedLog::open(&path).expect("open");
        let log = std::sync::Mutex::new(log);
        std::thread::scope(|s| {
            for t in 0..8u8 {
                let log = &log;
                s.spawn(move || {
                    for i in 0..50u8 {
                        let syncer = log.lock().expect("lock").write(&[[t, i]]).expect("write");
                        syncer.sync().expect("sync");
                    }
                });
            }
        });
        let (_, bodies) = FramedLog::open(&path).expect("reopen");
        assert_eq!(bodies.len(), 400);
    }

    #[test]
    fn a_sync_after_a_rewrite_or_of_nothing_returns() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.log");
        let (mut log, _) = FramedLog::open(&path).expect("open");
        let before = log.write(&[b"old"]).expect("write");
        log.rewrite(&[b"new"]).expect("rewrite");
        before.sync().expect("sync of the replaced file");
        log.write::<Vec<u8>>(&[])
            .expect("write")
            .sync()
            .expect("sync");
        log.write(&[b"more"]).expect("write").sync().expect("sync");
        FramedLog::in_memory()
            .write(&[b"x"])
            .expect("write")
            .sync()
            .expect("sync");
        drop(log);
        let (_, bodies) = FramedLog::open(&path).expect("reopen");
        assert_eq!(bodies, vec![b"new".to_vec(), b"more".to_vec()]);
    }

    #[test]
    fn a_flipped_byte_ends_the_replay() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.log");
        let (mut log, _) = FramedLog::open(&path).expect("open");
        log.append(&[b"good", b"bad!"]).expect("append");
        drop(log);
        let mut bytes = std::fs::read(&path).expect("read");
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        std::fs::write(&path, &bytes).expect("write");
        let (_, bodies) = FramedLog::open(&path).expect("reopen");
        assert_eq!(bodies, vec![b"good".to_vec()]);
    }
}
