//! Durable share-partition state: an append-only [`FramedLog`] under
//! `<data-dir>/__share_group_state/`.
//!
//! Each record is the whole durable state of one share partition (group, topic id, partition):
//! its start offset and its in-flight window without locks. The last record of a partition
//! wins. A change is written and fsynced before the acknowledgement that caused it is
//! answered, so a restart (or kill -9) loses no acknowledgement; every record that was
//! acquired but not acknowledged comes back available and is delivered again. At start the
//! log is replayed (a torn or corrupt tail dropped) and rewritten with one record per
//! partition; it is compacted again when it holds many more records than partitions.

use std::collections::HashMap;
use std::io;
use std::path::Path;

use bytes::{Buf, BufMut, BytesMut};
use kalfka_protocol::Uuid;

use super::partition::{DurablePartition, DurableRun, DurableState};
use crate::framed_log::{FramedLog, Syncer};

const DIR: &str = "__share_group_state";
const LOG_FILE: &str = "share.log";
const VERSION: u8 = 1;

/// Identifies a share partition: (group id, topic id, partition index).
pub type ShareKey = (String, Uuid, i32);

/// The share-state log and the latest record of every partition (for compaction).
#[derive(Debug)]
pub struct ShareStore {
    log: FramedLog,
    latest: HashMap<ShareKey, Vec<u8>>,
}

impl ShareStore {
    /// Opens the log (`None`: in memory, nothing written) and returns every partition's
    /// last durable state.
    pub fn open(
        data_dir: Option<&Path>,
    ) -> io::Result<(ShareStore, Vec<(ShareKey, DurablePartition)>)> {
        let (log, bodies) = match data_dir {
            Some(data_dir) => {
                let dir = data_dir.join(DIR);
                std::fs::create_dir_all(&dir)?;
                FramedLog::open(&dir.join(LOG_FILE))?
            }
            None => (FramedLog::in_memory(), Vec::new()),
        };
        let mut latest = HashMap::new();
        for body in bodies {
            match decode(&body) {
                Some((key, _)) => {
                    latest.insert(key, body);
                }
                None => {
                    tracing::warn!("dropping an undecodable share-state record and what follows");
                    break;
                }
            }
        }
        let states = latest
            .values()
            .filter_map(|b| decode(b))
            .collect::<Vec<_>>();
        let mut store = ShareStore { log, latest };
        store.compact()?;
        Ok((store, states))
    }

    /// Writes the states of `parts`; durable once the returned [`Syncer`] has synced (one
    /// fsync for all, which the caller does after releasing its locks).
    pub fn write(&mut self, parts: &[(ShareKey, DurablePartition)]) -> io::Result<Syncer> {
        let bodies: Vec<Vec<u8>> = parts.iter().map(|(k, d)| encode(k, d)).collect();
        for ((key, _), body) in parts.iter().zip(&bodies) {
            self.latest.insert(key.clone(), body.clone());
        }
        if self.log.records() + bodies.len() > 2 * self.latest.len() + 1024 {
            // The rewrite is atomic and durable by itself.
            self.compact()?;
            return self.log.write::<Vec<u8>>(&[]);
        }
        self.log.write(&bodies)
    }

    /// Forgets every partition of `group` (its states stay in the log until compaction,
    /// which drops them; the caller no longer asks for them).
    pub fn forget_group(&mut self, group: &str) {
        self.latest.retain(|(g, _, _), _| g != group);
    }

    fn compact(&mut self) -> io::Result<()> {
        let bodies: Vec<&Vec<u8>> = self.latest.values().collect();
        self.log.rewrite(&bodies)
    }
}

fn encode(key: &ShareKey, d: &DurablePartition) -> Vec<u8> {
    let (group, topic_id, partition) = key;
    let mut b = BytesMut::with_capacity(64 + d.runs.len() * 19);
    b.put_u8(VERSION);
    b.put_u16(group.len().min(u16::MAX as usize) as u16);
    b.put_slice(&group.as_bytes()[..group.len().min(u16::MAX as usize)]);
    b.put_slice(&topic_id.0);
    b.put_i32(*partition);
    b.put_i64(d.start);
    b.put_u32(d.runs.len() as u32);
    for r in &d.runs {
        b.put_i64(r.first);
        b.put_i64(r.last);
        b.put_u8(match r.state {
            DurableState::Available => 0,
            DurableState::Acknowledged => 1,
            DurableState::Archived => 2,
        });
        b.put_u16(r.delivery_count);
    }
    b.to_vec()
}

fn decode(mut b: &[u8]) -> Option<(ShareKey, DurablePartition)> {
    if b.remaining() < 3 || b.get_u8() != VERSION {
        return None;
    }
    let len = b.get_u16() as usize;
    if b.remaining() < len + 16 + 4 + 8 + 4 {
        return None;
    }
    let group = String::from_utf8(b[..len].to_vec()).ok()?;
    b.advance(len);
    let mut id = [0u8; 16];
    b.copy_to_slice(&mut id);
    let partition = b.get_i32();
    let start = b.get_i64();
    let n = b.get_u32() as usize;
    if b.remaining() != n.checked_mul(19)? {
        return None;
    }
    let mut runs = Vec::with_capacity(n);
    for _ in 0..n {
        let first = b.get_i64();
        let last = b.get_i64();
        let state = match b.get_u8() {
            0 => DurableState::Available,
            1 => DurableState::Acknowledged,
            2 => DurableState::Archived,
            _ => return None,
        };
        runs.push(DurableRun {
            first,
            last,
            state,
            delivery_count: b.get_u16(),
        });
    }
    Some((
        (group, Uuid(id), partition),
        DurablePartition { start, runs },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_state_of_each_partition_survives_reopen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = ("g".to_string(), Uuid([7; 16]), 1);
        let other = ("h".to_string(), Uuid([8; 16]), 0);
        let run = DurableRun {
            first: 5,
            last: 9,
            state: DurableState::Acknowledged,
            delivery_count: 2,
        };
        {
            let (mut s, states) = ShareStore::open(Some(dir.path())).expect("open");
            assert!(states.is_empty());
            let first = DurablePartition {
                start: 0,
                runs: vec![],
            };
            let second = DurablePartition {
                start: 5,
                runs: vec![run],
            };
            s.write(&[
                (key.clone(), first),
                (
                    other.clone(),
                    DurablePartition {
                        start: 3,
                        runs: vec![],
                    },
                ),
            ])
            .expect("write")
            .sync()
            .expect("sync");
            s.write(&[(key.clone(), second)])
                .expect("write")
                .sync()
                .expect("sync");
        }
        let (_, mut states) = ShareStore::open(Some(dir.path())).expect("reopen");
        states.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(states.len(), 2);
        assert_eq!(states[0].0, key);
        assert_eq!(states[0].1.start, 5);
        assert_eq!(states[0].1.runs, vec![run]);
        assert_eq!(states[1].1.start, 3);
    }
}
