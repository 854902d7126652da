//! Durable committed offsets: an append-only log under `<data-dir>/__consumer_offsets/`.
//!
//! Each record of the [`FramedLog`] is a commit or a tombstone. A commit is appended and
//! fsynced before OffsetCommit is answered. At start the log is replayed (a torn or corrupt
//! tail is dropped, as after a crash) and rewritten compacted; it is compacted again when it
//! holds many more records than live offsets.

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::path::Path;

use bytes::{Buf, BufMut, BytesMut};

use crate::framed_log::{FramedLog, Syncer};

/// Largest metadata string stored with an offset (`offset.metadata.max.bytes`).
pub const MAX_METADATA_BYTES: usize = 4096;
const LOG_FILE: &str = "offsets.log";
const COMMIT: u8 = 1;
const TOMBSTONE: u8 = 2;

/// One committed offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedOffset {
    /// Next offset to consume.
    pub offset: i64,
    /// Leader epoch of the committed record (-1 if unknown).
    pub leader_epoch: i32,
    /// Client metadata.
    pub metadata: Option<String>,
    /// Commit time, ms since the epoch.
    pub commit_timestamp_ms: i64,
}

/// (topic, partition).
pub type TopicPartition = (String, i32);

/// Committed offsets of every group, durable.
#[derive(Debug)]
pub struct OffsetStore {
    log: FramedLog,
    offsets: HashMap<String, BTreeMap<TopicPartition, CommittedOffset>>,
}

impl OffsetStore {
    /// Opens (creating) the store in `<data_dir>/__consumer_offsets`, replaying and compacting;
    /// with no `data_dir` (`--memory`) the store lives in memory and writes nothing.
    pub fn open(data_dir: Option<&Path>) -> io::Result<OffsetStore> {
        let (log, bodies) = match data_dir {
            Some(data_dir) => {
                let dir = data_dir.join("__consumer_offsets");
                std::fs::create_dir_all(&dir)?;
                FramedLog::open(&dir.join(LOG_FILE))?
            }
            None => (FramedLog::in_memory(), Vec::new()),
        };
        let mut offsets: HashMap<String, BTreeMap<TopicPartition, CommittedOffset>> =
            HashMap::new();
        for body in &bodies {
            match decode(body) {
                Some((group, tp, Some(c))) => {
                    offsets.entry(group).or_default().insert(tp, c);
                }
                Some((group, tp, None)) => {
                    if let Some(g) = offsets.get_mut(&group) {
                        g.remove(&tp);
                        if g.is_empty() {
                            offsets.remove(&group);
                        }
                    }
                }
                None => {
                    tracing::warn!("dropping an undecodable offsets log record and what follows");
                    break;
                }
            }
        }
        let mut store = OffsetStore { log, offsets };
        store.compact()?;
        Ok(store)
    }

    /// Stores commits; durable once the returned [`Syncer`] has synced (one fsync for the
    /// batch; callers release the store's lock first).
    pub fn commit(
        &mut self,
        group: &str,
        commits: Vec<(TopicPartition, CommittedOffset)>,
    ) -> io::Result<Syncer> {
        let records: Vec<Vec<u8>> = commits
            .iter()
            .map(|(tp, c)| encode(group, tp, Some(c)))
            .collect();
        let syncer = self.log.write(&records)?;
        let g = self.offsets.entry(group.to_string()).or_default();
        for (tp, c) in commits {
            g.insert(tp, c);
        }
        self.maybe_compact()?;
        Ok(syncer)
    }

    /// Deletes committed offsets; returns how many existed, and the [`Syncer`] that makes
    /// the deletion durable.
    pub fn delete(
        &mut self,
        group: &str,
        tps: &[TopicPartition],
    ) -> io::Result<(usize, Option<Syncer>)> {
        let Some(g) = self.offsets.get(group) else {
            return Ok((0, None));
        };
        let records: Vec<Vec<u8>> = tps
            .iter()
            .filter(|tp| g.contains_key(*tp))
            .map(|tp| encode(group, tp, None))
            .collect();
        if records.is_empty() {
            return Ok((0, None));
        }
        let syncer = self.log.write(&records)?;
        if let Some(g) = self.offsets.get_mut(group) {
            for tp in tps {
                g.remove(tp);
            }
            if g.is_empty() {
                self.offsets.remove(group);
            }
        }
        self.maybe_compact()?;
        Ok((records.len(), Some(syncer)))
    }

    /// Deletes every group's committed offsets of the topics `doomed` picks (a deleted topic's,
    /// as Kafka's coordinator does on partition deletion); returns how many existed, and the
    /// [`Syncer`] that makes the deletion durable.
    pub fn delete_topics(
        &mut self,
        doomed: impl Fn(&str) -> bool,
    ) -> io::Result<(usize, Option<Syncer>)> {
        let mut records = Vec::new();
        for (group, offsets) in &self.offsets {
            for tp in offsets.keys().filter(|tp| doomed(&tp.0)) {
                records.push(encode(group, tp, None));
            }
        }
        if records.is_empty() {
            return Ok((0, None));
        }
        let syncer = self.log.write(&records)?;
        for offsets in self.offsets.values_mut() {
            offsets.retain(|tp, _| !doomed(&tp.0));
        }
        self.offsets.retain(|_, offsets| !offsets.is_empty());
        self.maybe_compact()?;
        Ok((records.len(), Some(syncer)))
    }

    /// Deletes all of a group's offsets; durable once the [`Syncer`] (if any) has synced.
    pub fn delete_group(&mut self, group: &str) -> io::Result<Option<Syncer>> {
        let tps: Vec<TopicPartition> = self
            .partitions(group)
            .into_iter()
            .map(|(tp, _)| tp)
            .collect();
        self.delete(group, &tps).map(|(_, syncer)| syncer)
    }

    /// The committed offset of one partition.
    pub fn get(&self, group: &str, tp: &TopicPartition) -> Option<&CommittedOffset> {
        self.offsets.get(group).and_then(|g| g.get(tp))
    }

    /// Every committed partition of a group, in topic/partition order.
    pub fn partitions(&self, group: &str) -> Vec<(TopicPartition, CommittedOffset)> {
        self.offsets
            .get(group)
            .map(|g| g.iter().map(|(tp, c)| (tp.clone(), c.clone())).collect())
            .unwrap_or_default()
    }

    /// Groups with committed offsets.
    pub fn groups(&self) -> Vec<String> {
        self.offsets.keys().cloned().collect()
    }

    /// Offsets of `group` committed before `cutoff_ms`.
    pub fn older_than(&self, group: &str, cutoff_ms: i64) -> Vec<TopicPartition> {
        self.offsets
            .get(group)
            .map(|g| {
                g.iter()
                    .filter(|(_, c)| c.commit_timestamp_ms < cutoff_ms)
                    .map(|(tp, _)| tp.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Compacts when the file holds many more records than live offsets.
    fn maybe_compact(&mut self) -> io::Result<()> {
        let live: usize = self.offsets.values().map(BTreeMap::len).sum();
        if self.log.records() > 1024 && self.log.records() > 4 * live {
            self.compact()?;
        }
        Ok(())
    }

    fn compact(&mut self) -> io::Result<()> {
        let records: Vec<Vec<u8>> = self
            .offsets
            .iter()
            .flat_map(|(group, parts)| parts.iter().map(|(tp, c)| encode(group, tp, Some(c))))
            .collect();
        self.log.rewrite(&records)
    }
}

fn put_str(b: &mut BytesMut, s: &str) {
    b.put_u32(s.len() as u32);
    b.put_slice(s.as_bytes());
}

fn encode(group: &str, tp: &TopicPartition, c: Option<&CommittedOffset>) -> Vec<u8> {
    let mut b = BytesMut::new();
    b.put_u8(if c.is_some() { COMMIT } else { TOMBSTONE });
    put_str(&mut b, group);
    put_str(&mut b, &tp.0);
    b.put_i32(tp.1);
    if let Some(c) = c {
        b.put_i64(c.offset);
        b.put_i32(c.leader_epoch);
        b.put_i64(c.commit_timestamp_ms);
        match &c.metadata {
            None => b.put_u8(0),
            Some(m) => {
                b.put_u8(1);
                put_str(&mut b, m);
            }
        }
    }
    b.to_vec()
}

fn get_str(b: &mut &[u8]) -> Option<String> {
    if b.remaining() < 4 {
        return None;
    }
    let len = b.get_u32() as usize;
    if b.remaining() < len {
        return None;
    }
    let s = String::from_utf8(b[..len].to_vec()).ok()?;
    b.advance(len);
    Some(s)
}

type Decoded = (String, TopicPartition, Option<CommittedOffset>);

fn decode(mut b: &[u8]) -> Option<Decoded> {
    if b.remaining() < 1 {
        return None;
    }
    let kind = b.get_u8();
    let group = get_str(&mut b)?;
    let topic = get_str(&mut b)?;
    if b.remaining() < 4 {
        return None;
    }
    let partition = b.get_i32();
    let tp = (topic, partition);
    match kind {
        TOMBSTONE => Some((group, tp, None)),
        COMMIT => {
            if b.remaining() < 21 {
                return None;
            }
            let offset = b.get_i64();
            let leader_epoch = b.get_i32();
            let commit_timestamp_ms = b.get_i64();
            let metadata = match b.get_u8() {
                0 => None,
                _ => Some(get_str(&mut b)?),
            };
            Some((
                group,
                tp,
                Some(CommittedOffset {
                    offset,
                    leader_epoch,
                    metadata,
                    commit_timestamp_ms,
                }),
            ))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::OpenOptions;
    use std::io::Write;

    fn c(offset: i64) -> CommittedOffset {
        CommittedOffset {
            offset,
            leader_epoch: 0,
            metadata: Some("m".into()),
            commit_timestamp_ms: 1,
        }
    }

    #[test]
    fn survives_reopen_and_torn_tail() {
        let dir = tempfile::tempdir().expect("tempdir");
        {
            let mut s = OffsetStore::open(Some(dir.path())).expect("open");
            s.commit("g", vec![(("t".into(), 0), c(5))])
                .and_then(Syncer::sync)
                .expect("commit");
            s.commit("g", vec![(("t".into(), 0), c(7)), (("t".into(), 1), c(3))])
                .and_then(Syncer::sync)
                .expect("commit");
            let (deleted, syncer) = s.delete("g", &[("t".into(), 1)]).expect("delete");
            assert_eq!(deleted, 1);
            syncer.expect("a deletion to sync").sync().expect("sync");
        }
        let path = dir.path().join("__consumer_offsets").join(LOG_FILE);
        let mut f = OpenOptions::new().append(true).open(&path).expect("log");
        f.write_all(&[0, 0, 0, 50, 1, 2]).expect("torn tail");
        drop(f);
        let s = OffsetStore::open(Some(dir.path())).expect("reopen");
        assert_eq!(s.get("g", &("t".into(), 0)), Some(&c(7)));
        assert_eq!(s.get("g", &("t".into(), 1)), None);
        assert_eq!(s.partitions("g").len(), 1);
    }
}
