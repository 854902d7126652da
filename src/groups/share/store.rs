//! Durable share-partition state: an append-only [`FramedLog`] under
//! `<data-dir>/__share_group_state/`.
//!
//! A record is one of: the whole durable state of one share partition (group, topic id,
//! partition), its start offset and its in-flight window without locks; a group's config
//! overrides; a group deletion, which drops every earlier partition record of the group; or
//! a topic deletion, which drops those of one topic of one group. The last
//! record of a partition (or of a group's configs) wins. A change is written and fsynced before the acknowledgement that caused it is
//! answered, so a restart (or kill -9) loses no acknowledgement; every record that was
//! acquired but not acknowledged comes back available and is delivered again. At start the
//! log is replayed (a torn or corrupt tail dropped) and rewritten with one record per
//! partition; it is compacted again when it holds many more records than partitions.

use std::collections::HashMap;
use std::io;
use std::path::Path;

use bytes::{Buf, BufMut, BytesMut};
use kalfka_protocol::Uuid;

use super::config::GroupConfigs;
use super::partition::{DurablePartition, DurableRun, DurableState};
use crate::framed_log::{FramedLog, Syncer};

const DIR: &str = "__share_group_state";
const LOG_FILE: &str = "share.log";
/// Record kinds (the first byte).
const PARTITION: u8 = 1;
const CONFIGS: u8 = 2;
const DELETE_GROUP: u8 = 3;
const DELETE_TOPIC: u8 = 4;

/// Identifies a share partition: (group id, topic id, partition index).
pub type ShareKey = (String, Uuid, i32);

/// The share-state log and the latest record of every partition and group config (for
/// compaction).
#[derive(Debug)]
pub struct ShareStore {
    log: FramedLog,
    latest: HashMap<ShareKey, Vec<u8>>,
    configs: HashMap<String, Vec<u8>>,
}

/// What the log holds at start: partition states and group config overrides.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Every share partition's last durable state.
    pub partitions: Vec<(ShareKey, DurablePartition)>,
    /// Every group's config overrides.
    pub configs: Vec<(String, GroupConfigs)>,
}

enum Decoded {
    Partition(ShareKey, DurablePartition),
    Configs(String, GroupConfigs),
    DeleteGroup(String),
    DeleteTopic(String, Uuid),
}

impl ShareStore {
    /// Opens the log (`None`: in memory, nothing written) and returns every partition's
    /// last durable state.
    pub fn open(data_dir: Option<&Path>) -> io::Result<(ShareStore, Loaded)> {
        let (log, bodies) = match data_dir {
            Some(data_dir) => {
                let dir = data_dir.join(DIR);
                std::fs::create_dir_all(&dir)?;
                FramedLog::open(&dir.join(LOG_FILE))?
            }
            None => (FramedLog::in_memory(), Vec::new()),
        };
        let mut latest: HashMap<ShareKey, Vec<u8>> = HashMap::new();
        let mut configs: HashMap<String, Vec<u8>> = HashMap::new();
        for body in bodies {
            match decode(&body) {
                Some(Decoded::Partition(key, _)) => {
                    latest.insert(key, body);
                }
                Some(Decoded::Configs(group, _)) => {
                    configs.insert(group, body);
                }
                Some(Decoded::DeleteGroup(group)) => {
                    latest.retain(|(g, _, _), _| *g != group);
                }
                Some(Decoded::DeleteTopic(group, id)) => {
                    latest.retain(|(g, t, _), _| *g != group || *t != id);
                }
                None => {
                    tracing::warn!("dropping an undecodable share-state record and what follows");
                    break;
                }
            }
        }
        let mut loaded = Loaded::default();
        for b in latest.values().chain(configs.values()) {
            match decode(b) {
                Some(Decoded::Partition(k, d)) => loaded.partitions.push((k, d)),
                Some(Decoded::Configs(g, c)) => loaded.configs.push((g, c)),
                _ => {}
            }
        }
        let mut store = ShareStore {
            log,
            latest,
            configs,
        };
        store.compact()?;
        Ok((store, loaded))
    }

    /// Writes the states of `parts`; durable once the returned [`Syncer`] has synced (one
    /// fsync for all, which the caller does after releasing its locks).
    pub fn write(&mut self, parts: &[(ShareKey, DurablePartition)]) -> io::Result<Syncer> {
        let bodies: Vec<Vec<u8>> = parts.iter().map(|(k, d)| encode(k, d)).collect();
        for ((key, _), body) in parts.iter().zip(&bodies) {
            self.latest.insert(key.clone(), body.clone());
        }
        self.append(bodies)
    }

    /// Writes a group's config overrides (all of them); the caller syncs.
    pub fn write_configs(&mut self, group: &str, configs: &GroupConfigs) -> io::Result<Syncer> {
        let body = encode_configs(group, configs);
        self.configs.insert(group.to_string(), body.clone());
        self.append(vec![body])
    }

    /// Forgets every partition state of `group` (DeleteGroups); its config overrides stay.
    pub fn delete_group(&mut self, group: &str) -> io::Result<Syncer> {
        self.latest.retain(|(g, _, _), _| g != group);
        let mut b = vec![DELETE_GROUP];
        put_str(&mut b, group);
        self.append(vec![b])
    }

    /// Forgets the partition states of one topic of `group` (DeleteShareGroupOffsets).
    pub fn delete_topic(&mut self, group: &str, topic_id: Uuid) -> io::Result<Syncer> {
        self.latest
            .retain(|(g, t, _), _| g != group || *t != topic_id);
        let mut b = vec![DELETE_TOPIC];
        put_str(&mut b, group);
        b.extend_from_slice(&topic_id.0);
        self.append(vec![b])
    }

    fn append(&mut self, bodies: Vec<Vec<u8>>) -> io::Result<Syncer> {
        let live = self.latest.len() + self.configs.len();
        if self.log.records() + bodies.len() > 2 * live + 1024 {
            // The rewrite is atomic and durable by itself.
            self.compact()?;
            return self.log.write::<Vec<u8>>(&[]);
        }
        self.log.write(&bodies)
    }

    fn compact(&mut self) -> io::Result<()> {
        let bodies: Vec<&Vec<u8>> = self.latest.values().chain(self.configs.values()).collect();
        self.log.rewrite(&bodies)
    }
}

fn put_str(b: &mut Vec<u8>, s: &str) {
    let n = s.len().min(u16::MAX as usize);
    b.extend_from_slice(&(n as u16).to_be_bytes());
    b.extend_from_slice(&s.as_bytes()[..n]);
}

fn get_str(b: &mut &[u8]) -> Option<String> {
    if b.remaining() < 2 {
        return None;
    }
    let len = b.get_u16() as usize;
    if b.remaining() < len {
        return None;
    }
    let s = String::from_utf8(b[..len].to_vec()).ok()?;
    b.advance(len);
    Some(s)
}

fn encode_configs(group: &str, configs: &GroupConfigs) -> Vec<u8> {
    let mut b = vec![CONFIGS];
    put_str(&mut b, group);
    b.extend_from_slice(&(configs.len() as u32).to_be_bytes());
    for (k, v) in configs {
        put_str(&mut b, k);
        put_str(&mut b, v);
    }
    b
}

fn encode(key: &ShareKey, d: &DurablePartition) -> Vec<u8> {
    let (group, topic_id, partition) = key;
    let mut head = vec![PARTITION];
    put_str(&mut head, group);
    let mut b = BytesMut::with_capacity(64 + d.runs.len() * 19);
    b.put_slice(&head);
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

fn decode(mut b: &[u8]) -> Option<Decoded> {
    if b.remaining() < 1 {
        return None;
    }
    let kind = b.get_u8();
    let group = get_str(&mut b)?;
    match kind {
        PARTITION => decode_partition(group, b),
        CONFIGS => {
            if b.remaining() < 4 {
                return None;
            }
            let n = b.get_u32();
            let mut configs = GroupConfigs::new();
            for _ in 0..n {
                let k = get_str(&mut b)?;
                configs.insert(k, get_str(&mut b)?);
            }
            Some(Decoded::Configs(group, configs))
        }
        DELETE_GROUP => Some(Decoded::DeleteGroup(group)),
        DELETE_TOPIC => {
            let id: [u8; 16] = b.get(..16)?.try_into().ok()?;
            Some(Decoded::DeleteTopic(group, Uuid(id)))
        }
        _ => None,
    }
}

fn decode_partition(group: String, mut b: &[u8]) -> Option<Decoded> {
    if b.remaining() < 16 + 4 + 8 + 4 {
        return None;
    }
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
    Some(Decoded::Partition(
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
            let (mut s, loaded) = ShareStore::open(Some(dir.path())).expect("open");
            assert!(loaded.partitions.is_empty());
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
        let (_, loaded) = ShareStore::open(Some(dir.path())).expect("reopen");
        let mut states = loaded.partitions;
        states.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(states.len(), 2);
        assert_eq!(states[0].0, key);
        assert_eq!(states[0].1.start, 5);
        assert_eq!(states[0].1.runs, vec![run]);
        assert_eq!(states[1].1.start, 3);
    }

    #[test]
    fn group_deletion_drops_partitions_and_keeps_configs() {
        let dir = tempfile::tempdir().expect("tempdir");
        {
            let (mut s, _) = ShareStore::open(Some(dir.path())).expect("open");
            let key = ("g".to_string(), Uuid([7; 16]), 0);
            let d = DurablePartition {
                start: 4,
                runs: vec![],
            };
            let configs: GroupConfigs = [(
                "share.auto.offset.reset".to_string(),
                "earliest".to_string(),
            )]
            .into();
            s.write(&[(key, d)]).expect("write").sync().expect("sync");
            s.write_configs("g", &configs)
                .expect("configs")
                .sync()
                .expect("sync");
            s.delete_group("g").expect("delete").sync().expect("sync");
            let other = ("g".to_string(), Uuid([9; 16]), 0);
            let d = DurablePartition {
                start: 1,
                runs: vec![],
            };
            s.write(&[(other, d)]).expect("write").sync().expect("sync");
            s.delete_topic("g", Uuid([9; 16]))
                .expect("delete topic")
                .sync()
                .expect("sync");
        }
        let (_, loaded) = ShareStore::open(Some(dir.path())).expect("reopen");
        assert!(loaded.partitions.is_empty());
        assert_eq!(loaded.configs.len(), 1);
        assert_eq!(loaded.configs[0].1["share.auto.offset.reset"], "earliest");
    }
}
