//! Log compaction (`cleanup.policy=compact`): keep only the newest record of each key in the
//! closed segments, with its offset; drop tombstones (null value) once older than
//! `delete.retention.ms`.
//!
//! One pass ([`PartitionLog::compact`]):
//! 1. snapshot the closed segments (zero-copy slices of their mappings; the active segment is
//!    never touched, and its records do not count as "newer" either);
//! 2. build a map key → newest offset over them (keys only are copied to the heap);
//! 3. for each closed segment that loses a record, write the kept records to
//!    `<base>.log.cleaned`, one single-record batch each (base offset = the record's offset,
//!    uncompressed, timestamp, key, value and headers kept), and fsync it;
//! 4. under the append lock, if the segment is still there unchanged: rename the cleaned file
//!    over the `.log`, rebuild its indexes, and swap it in (readers holding older bytes keep
//!    their mapping). A segment left empty is removed.
//!
//! The result has gaps in offsets, which reads and recovery accept. A crash between the rename
//! and the index rebuild is repaired by recovery (the stale index fails its checks).
//! A pass is skipped when nothing was appended to the closed range since the previous one and
//! that pass kept no tombstone (which could expire later).

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};

use bytes::Bytes;
use kalfka_protocol::records::{batches, Compression, RecordBatchBuilder};

use super::partition::PartitionLog;
use super::recovery::{delete_segment_files, open_rewritten_segment};
use super::segment::file_name;
use super::LogError;

/// What one compaction pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CompactionStats {
    /// Segments rewritten (or removed because nothing in them was kept).
    pub segments_rewritten: usize,
    /// Records removed.
    pub records_removed: u64,
}

fn corrupt(e: impl std::fmt::Display) -> LogError {
    LogError::Corrupt(e.to_string())
}

/// Identifies a set of closed segments by their bases and sizes.
fn hash_sizes(sizes: &[(i64, u64)]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    sizes.hash(&mut h);
    h.finish()
}

fn fingerprint(snapshot: &[Snapshot]) -> u64 {
    let sizes: Vec<(i64, u64)> = snapshot.iter().map(|s| (s.base, s.size)).collect();
    hash_sizes(&sizes)
}

/// One closed segment as seen at snapshot time.
struct Snapshot {
    base: i64,
    size: u64,
    bytes: Bytes,
}

impl PartitionLog {
    /// Runs one compaction pass at wall-clock `now_ms` (see the [module docs](self)).
    pub fn compact(
        &self,
        now_ms: i64,
        delete_retention_ms: i64,
    ) -> Result<CompactionStats, LogError> {
        let snapshot: Vec<Snapshot> = {
            let s = self.read_state()?;
            let closed = s.segments.len().saturating_sub(1);
            let mut v = Vec::with_capacity(closed);
            for seg in &s.segments[..closed] {
                let bytes = seg.read(seg.base_offset(), usize::MAX)?.unwrap_or_default();
                v.push(Snapshot {
                    base: seg.base_offset(),
                    size: seg.size(),
                    bytes,
                });
            }
            v
        };
        let fingerprint = fingerprint(&snapshot);
        {
            let last = self
                .last_compaction
                .lock()
                .map_err(|_| LogError::Poisoned)?;
            if *last == Some((fingerprint, false)) {
                return Ok(CompactionStats::default());
            }
        }

        let mut newest: HashMap<Bytes, i64> = HashMap::new();
        for snap in &snapshot {
            for batch in batches(snap.bytes.clone()) {
                let batch = batch.map_err(corrupt)?;
                let header = batch.header();
                if header.is_control() {
                    continue;
                }
                for r in batch.records().map_err(corrupt)? {
                    let offset = r.offset(header);
                    if let Some(key) = r.key {
                        newest.insert(key, offset);
                    }
                }
            }
        }

        let mut stats = CompactionStats::default();
        let mut tombstones_kept = false;
        for snap in &snapshot {
            let cleaned_path = self
                .dir
                .join(format!("{}.cleaned", file_name(snap.base, "log")));
            let mut out = BufWriter::new(File::create(&cleaned_path)?);
            let mut removed = 0u64;
            for batch in batches(snap.bytes.clone()) {
                let batch = batch.map_err(corrupt)?;
                let header = batch.header();
                if header.is_control() {
                    out.write_all(batch.as_bytes())?;
                    continue;
                }
                for r in batch.records().map_err(corrupt)? {
                    let offset = r.offset(header);
                    let timestamp = r.timestamp(header);
                    let keep = match &r.key {
                        None => true,
                        Some(key) if newest.get(key) != Some(&offset) => false,
                        Some(_) if r.value.is_none() => {
                            let live = now_ms.saturating_sub(timestamp) <= delete_retention_ms;
                            tombstones_kept |= live;
                            live
                        }
                        Some(_) => true,
                    };
                    if !keep {
                        removed += 1;
                        continue;
                    }
                    let headers: Vec<(&str, Option<&[u8]>)> = r
                        .headers
                        .iter()
                        .map(|h| (h.key.as_str(), h.value.as_deref()))
                        .collect();
                    let mut b = RecordBatchBuilder::new(Compression::None);
                    b.base_offset(offset);
                    b.append(timestamp, r.key.as_deref(), r.value.as_deref(), &headers);
                    out.write_all(&b.build().map_err(corrupt)?)?;
                }
            }
            let file = out.into_inner().map_err(|e| e.into_error())?;
            if removed == 0 {
                drop(file);
                std::fs::remove_file(&cleaned_path)?;
                continue;
            }
            file.sync_all()?;
            drop(file);
            if self.swap_in_cleaned(snap)? {
                stats.segments_rewritten += 1;
                stats.records_removed += removed;
            } else {
                let _ = std::fs::remove_file(&cleaned_path);
            }
        }
        let after = {
            let s = self.read_state()?;
            let closed = s.segments.len().saturating_sub(1);
            let sizes: Vec<(i64, u64)> = s.segments[..closed]
                .iter()
                .map(|seg| (seg.base_offset(), seg.size()))
                .collect();
            hash_sizes(&sizes)
        };
        *self
            .last_compaction
            .lock()
            .map_err(|_| LogError::Poisoned)? = Some((after, tombstones_kept));
        if stats.segments_rewritten > 0 {
            tracing::info!(dir = %self.dir.display(), ?stats, "compacted log");
        }
        Ok(stats)
    }

    /// Replaces the closed segment `snap.base` by its cleaned file, if it is still there and
    /// unchanged. Returns whether it did.
    fn swap_in_cleaned(&self, snap: &Snapshot) -> Result<bool, LogError> {
        let _append = self.append_lock.lock().map_err(|_| LogError::Poisoned)?;
        let index = {
            let s = self.read_state()?;
            let closed = s.segments.len().saturating_sub(1);
            s.segments[..closed]
                .iter()
                .position(|seg| seg.base_offset() == snap.base && seg.size() == snap.size)
        };
        let Some(index) = index else {
            return Ok(false);
        };
        let log_path = self.dir.join(file_name(snap.base, "log"));
        let cleaned_path = self
            .dir
            .join(format!("{}.cleaned", file_name(snap.base, "log")));
        std::fs::rename(&cleaned_path, &log_path)?;
        for ext in ["index", "timeindex"] {
            match std::fs::remove_file(self.dir.join(file_name(snap.base, ext))) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
                _ => {}
            }
        }
        crate::fsutil::sync_dir(&self.dir)?;
        let rewritten = open_rewritten_segment(&self.dir, snap.base, &self.config)?;
        let mut s = self.write_state()?;
        match rewritten {
            Some(segment) => s.segments[index] = segment,
            None => {
                drop(s.segments.remove(index));
                drop(s);
                delete_segment_files(&self.dir, snap.base)?;
            }
        }
        Ok(true)
    }
}
