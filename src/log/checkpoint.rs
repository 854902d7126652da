//! Per-data-directory offset checkpoint files, in Apache Kafka's text format
//! (`recovery-point-offset-checkpoint`):
//!
//! ```text
//! 0                 <- format version
//! 2                 <- number of entries
//! orders 0 1500     <- topic, partition, offset
//! orders 1 1480
//! ```
//!
//! Invariants:
//! - The file is replaced whole and atomically ([`crate::fsutil::write_atomic`]): one write,
//!   one rename and two fsyncs per checkpoint, whatever the number of partitions.
//! - An offset in the recovery-point checkpoint is only ever one below which the partition's
//!   data was fsynced when the checkpoint was written; a missing, stale or unreadable
//!   checkpoint only makes recovery validate *more*, never less.
//! - Reading never fails the broker: a malformed file is reported and treated as empty.

use std::collections::HashMap;
use std::io;
use std::path::Path;

/// File name of the recovery-point checkpoint in the data directory.
pub const RECOVERY_POINT_CHECKPOINT: &str = "recovery-point-offset-checkpoint";
/// File name of the checkpoint of partitions whose producer state was empty (no idempotent
/// producer, no aborted transaction) at the offset given: written at a clean shutdown, read
/// and removed at the next start, which then rebuilds producer state from there instead of
/// reading the whole log (same format; a kalfka file, not Kafka's).
pub const BLANK_PRODUCER_STATE_CHECKPOINT: &str = "blank-producer-state-checkpoint";

/// Offsets by `(topic, partition)`, as read from or written to a checkpoint file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OffsetCheckpoint {
    /// The offsets.
    pub offsets: HashMap<(String, i32), i64>,
}

impl OffsetCheckpoint {
    /// Reads the checkpoint at `path`; empty when the file is missing or malformed (the
    /// latter with a warning).
    pub fn read(path: &Path) -> OffsetCheckpoint {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&text).unwrap_or_else(|reason| {
                tracing::warn!(path = %path.display(), reason, "ignoring a malformed checkpoint file");
                OffsetCheckpoint::default()
            }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => OffsetCheckpoint::default(),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "cannot read a checkpoint file");
                OffsetCheckpoint::default()
            }
        }
    }

    fn parse(text: &str) -> Result<OffsetCheckpoint, &'static str> {
        let mut lines = text.lines();
        if lines.next().map(str::trim) != Some("0") {
            return Err("unknown version");
        }
        let count: usize = lines
            .next()
            .and_then(|l| l.trim().parse().ok())
            .ok_or("bad entry count")?;
        let mut offsets = HashMap::with_capacity(count.min(1 << 20));
        for line in lines.by_ref().take(count) {
            let mut fields = line.split(' ');
            let (Some(topic), Some(partition), Some(offset), None) =
                (fields.next(), fields.next(), fields.next(), fields.next())
            else {
                return Err("bad entry");
            };
            let partition: i32 = partition.parse().map_err(|_| "bad partition")?;
            let offset: i64 = offset.parse().map_err(|_| "bad offset")?;
            if topic.is_empty() || offset < 0 {
                return Err("bad entry");
            }
            offsets.insert((topic.to_string(), partition), offset);
        }
        if offsets.len() != count {
            return Err("entry count does not match");
        }
        Ok(OffsetCheckpoint { offsets })
    }

    /// The offset recorded for `topic`/`partition`.
    pub fn get(&self, topic: &str, partition: i32) -> Option<i64> {
        // Borrowed-key lookup without allocating a String per call is not possible with a
        // tuple key; checkpoints are read once per partition at start, so this is fine.
        self.offsets.get(&(topic.to_string(), partition)).copied()
    }

    /// The file's text: entries sorted by topic and partition.
    pub fn render(&self) -> String {
        let mut entries: Vec<_> = self.offsets.iter().collect();
        entries.sort();
        let mut out = format!("0\n{}\n", entries.len());
        for ((topic, partition), offset) in entries {
            out.push_str(&format!("{topic} {partition} {offset}\n"));
        }
        out
    }

    /// Replaces the file at `path` without fsync (durable after a filesystem sync).
    pub fn write_unsynced(&self, path: &Path) -> io::Result<()> {
        crate::fsutil::write_replace(path, self.render().as_bytes())
    }

    /// Replaces the file at `path` atomically and durably.
    pub fn write(&self, path: &Path) -> io::Result<()> {
        crate::fsutil::write_atomic(path, self.render().as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_malformed_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(RECOVERY_POINT_CHECKPOINT);
        assert_eq!(OffsetCheckpoint::read(&path), OffsetCheckpoint::default());
        let mut c = OffsetCheckpoint::default();
        c.offsets.insert(("a.b-c".into(), 0), 7);
        c.offsets.insert(("a.b-c".into(), 12), 0);
        c.write(&path).expect("write");
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            "0\n2\na.b-c 0 7\na.b-c 12 0\n"
        );
        assert_eq!(OffsetCheckpoint::read(&path), c);
        assert_eq!(OffsetCheckpoint::read(&path).get("a.b-c", 12), Some(0));
        for bad in [
            "1\n0\n",
            "0\n2\nt 0 1\n",
            "0\n1\nt x 1\n",
            "0\n1\nt 0 -5\n",
            "0\n",
        ] {
            std::fs::write(&path, bad).expect("write");
            assert_eq!(
                OffsetCheckpoint::read(&path),
                OffsetCheckpoint::default(),
                "{bad:?}"
            );
        }
    }
}
