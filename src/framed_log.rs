//! An append-only file of CRC-framed records, for the broker's small state logs (committed
//! offsets, transaction state).
//!
//! Each record is `len:u32 crc32c:u32 body`. [`FramedLog::open`] replays the records in order
//! and stops at the first torn or corrupt one (a crash mid-append), which is then cut off by
//! the caller's next [`FramedLog::rewrite`]. [`FramedLog::append`] fsyncs before it returns;
//! [`FramedLog::write`] only writes and hands back a [`Syncer`], so a caller holding a lock
//! can release it before the fsync. Either way a change is acknowledged to a client only once
//! it is fsynced, so it survives kill -9 and power loss.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::fsutil::write_atomic;

/// An open framed log.
#[derive(Debug)]
pub struct FramedLog {
    /// `None`: an in-memory log (`--memory`), which writes nothing.
    path: Option<PathBuf>,
    file: Option<Arc<File>>,
    records: usize,
}

/// Makes what a [`FramedLog::write`] wrote durable; may be used after the log's lock is
/// released (an fsync covers every write to the file before it).
#[derive(Debug)]
#[must_use = "a write is durable only once synced"]
pub struct Syncer(Option<Arc<File>>);

impl Syncer {
    /// fsyncs the log file (nothing for an in-memory log).
    pub fn sync(self) -> io::Result<()> {
        self.0.map_or(Ok(()), |f| {
            crate::metrics::timed(&crate::metrics::FSYNC_STATE, || f.sync_data())
        })
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
        let file = Arc::new(OpenOptions::new().append(true).open(path)?);
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
        if let Some(file) = &self.file {
            (&**file).write_all(&out)?;
        }
        self.records += bodies.len();
        Ok(Syncer(self.file.clone()))
    }

    /// Replaces the whole log with `bodies`, atomically (compaction).
    pub fn rewrite<B: AsRef<[u8]>>(&mut self, bodies: &[B]) -> io::Result<()> {
        let mut out = Vec::new();
        for b in bodies {
            frame(&mut out, b.as_ref());
        }
        if let Some(path) = &self.path {
            write_atomic(path, &out)?;
            self.file = Some(Arc::new(OpenOptions::new().append(true).open(path)?));
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
