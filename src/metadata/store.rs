//! The on-disk record of which topics exist: `<data-dir>/kalfka-meta.log`, a CRC-framed
//! append log ([`FramedLog`]) of JSON records.
//!
//! Invariants:
//! - Every change is one small record appended and fsynced before it becomes visible: a
//!   topic's full description when it is created or altered ([`MetaRecord::Topic`], replacing
//!   the previous one of that name), a tombstone when it is deleted. A change costs the same
//!   with 10 or 10,000 topics.
//! - The first record names the cluster id; replaying the records in order gives the live
//!   topics. A torn or corrupt tail (a crash mid-append) ends the replay; the change it held
//!   was never acknowledged.
//! - At open the log is compacted (rewritten atomically with one record per live topic) when
//!   it holds superseded records, so it does not grow without bound across restarts.
//! - Upgrade: a data directory with only the old `kalfka-meta.json` (rewritten whole on every
//!   change) is read once, written as the log, and the JSON file is then removed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::framed_log::FramedLog;
use crate::metadata::topic::TopicConfigs;

/// File name of the metadata log inside the data directory.
pub const META_LOG: &str = "kalfka-meta.log";
/// File name of the metadata file of earlier versions (read once, for upgrade).
pub const META_FILE: &str = "kalfka-meta.json";

/// Everything the broker must remember about topics across restarts (record data lives in the
/// partition directories).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StoredMeta {
    /// Format version of the old JSON file.
    pub version: u32,
    /// The cluster id handed to clients; chosen once, at the first start.
    pub cluster_id: String,
    /// Every topic.
    pub topics: Vec<StoredTopic>,
}

/// One topic as stored.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StoredTopic {
    /// Topic name.
    pub name: String,
    /// Topic id, as a hyphenated UUID string.
    pub id: String,
    /// Partition count.
    pub partitions: i32,
    /// Config overrides.
    #[serde(default)]
    pub configs: TopicConfigs,
}

/// One record of the metadata log.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MetaRecord {
    /// The cluster id (the first record).
    Cluster {
        /// The id.
        cluster_id: String,
    },
    /// A topic created or altered: its whole description.
    Topic(StoredTopic),
    /// A topic deleted.
    Delete {
        /// Its name.
        name: String,
    },
}

/// Reads and appends to the metadata log of a data directory.
#[derive(Debug)]
pub struct MetaStore {
    dir: PathBuf,
    /// The open log (after [`load`](Self::load) or the first [`create`](Self::create)).
    log: Mutex<Option<FramedLog>>,
}

impl MetaStore {
    /// The store of `data_dir` (nothing is read yet).
    pub fn new(data_dir: &Path) -> Self {
        MetaStore {
            dir: data_dir.to_path_buf(),
            log: Mutex::new(None),
        }
    }

    /// Whether metadata was ever stored here (the directory is not new).
    pub fn exists(&self) -> bool {
        self.dir.join(META_LOG).exists() || self.dir.join(META_FILE).exists()
    }

    /// Loads the stored metadata (compacting the log, or converting an old JSON file), or
    /// `None` when the directory is new.
    pub fn load(&self) -> std::io::Result<Option<StoredMeta>> {
        let log_path = self.dir.join(META_LOG);
        let json_path = self.dir.join(META_FILE);
        let meta = if log_path.exists() {
            let (log, bodies) = FramedLog::open(&log_path)?;
            *self.lock() = Some(log);
            let meta = replay(&log_path, &bodies)?;
            if bodies.len() > meta.topics.len() + 1 {
                self.rewrite(&meta)?;
            }
            meta
        } else {
            match std::fs::read(&json_path) {
                Ok(bytes) => {
                    let meta: StoredMeta = serde_json::from_slice(&bytes)
                        .map_err(|e| invalid(&json_path, e.to_string()))?;
                    self.create(&meta)?;
                    tracing::info!(from = %json_path.display(), to = %log_path.display(), topics = meta.topics.len(), "converted the topic metadata to an append log");
                    std::fs::remove_file(&json_path)?;
                    crate::fsutil::sync_dir(&self.dir)?;
                    meta
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(e),
            }
        };
        Ok(Some(meta))
    }

    /// Starts (or replaces) the log with `meta` in full, atomically and durably.
    pub fn create(&self, meta: &StoredMeta) -> std::io::Result<()> {
        if self.lock().is_none() {
            let (log, _) = FramedLog::open(&self.dir.join(META_LOG))?;
            *self.lock() = Some(log);
        }
        self.rewrite(meta)
    }

    /// Appends one change and fsyncs it.
    pub fn append(&self, record: &MetaRecord) -> std::io::Result<()> {
        let body = serde_json::to_vec(record).map_err(std::io::Error::other)?;
        let mut log = self.lock();
        let log = log
            .as_mut()
            .ok_or_else(|| std::io::Error::other("metadata log not open"))?;
        log.append(&[body])
    }

    fn rewrite(&self, meta: &StoredMeta) -> std::io::Result<()> {
        let mut bodies = Vec::with_capacity(meta.topics.len() + 1);
        let cluster = MetaRecord::Cluster {
            cluster_id: meta.cluster_id.clone(),
        };
        bodies.push(serde_json::to_vec(&cluster).map_err(std::io::Error::other)?);
        for t in &meta.topics {
            let record = MetaRecord::Topic(t.clone());
            bodies.push(serde_json::to_vec(&record).map_err(std::io::Error::other)?);
        }
        let mut log = self.lock();
        let log = log
            .as_mut()
            .ok_or_else(|| std::io::Error::other("metadata log not open"))?;
        log.rewrite(&bodies)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<FramedLog>> {
        self.log.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The live metadata described by the records `bodies` of the log at `path`.
fn replay(path: &Path, bodies: &[Vec<u8>]) -> std::io::Result<StoredMeta> {
    let mut cluster_id = None;
    let mut topics: BTreeMap<String, StoredTopic> = BTreeMap::new();
    for body in bodies {
        let record: MetaRecord =
            serde_json::from_slice(body).map_err(|e| invalid(path, e.to_string()))?;
        match record {
            MetaRecord::Cluster { cluster_id: id } => cluster_id = Some(id),
            MetaRecord::Topic(t) => {
                topics.insert(t.name.clone(), t);
            }
            MetaRecord::Delete { name } => {
                topics.remove(&name);
            }
        }
    }
    let cluster_id = cluster_id.ok_or_else(|| invalid(path, "no cluster id record".to_string()))?;
    Ok(StoredMeta {
        version: 2,
        cluster_id,
        topics: topics.into_values().collect(),
    })
}

fn invalid(path: &Path, reason: String) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!("{}: {reason}", path.display()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topic(name: &str, partitions: i32) -> StoredTopic {
        StoredTopic {
            name: name.into(),
            id: format!("id-{name}"),
            partitions,
            configs: TopicConfigs::new(),
        }
    }

    #[test]
    fn changes_are_appended_replayed_and_compacted_at_open() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = MetaStore::new(dir.path());
        assert!(!store.exists());
        assert_eq!(store.load().expect("load"), None);
        let meta = StoredMeta {
            version: 2,
            cluster_id: "c".into(),
            topics: vec![topic("a", 1)],
        };
        store.create(&meta).expect("create");
        store
            .append(&MetaRecord::Topic(topic("b", 2)))
            .expect("append");
        store
            .append(&MetaRecord::Topic(topic("a", 3)))
            .expect("alter");
        store
            .append(&MetaRecord::Delete { name: "b".into() })
            .expect("delete");
        let size = std::fs::metadata(dir.path().join(META_LOG))
            .expect("log")
            .len();
        drop(store);
        let store = MetaStore::new(dir.path());
        let loaded = store.load().expect("load").expect("stored");
        assert_eq!(loaded.cluster_id, "c");
        assert_eq!(loaded.topics, vec![topic("a", 3)]);
        let compacted = std::fs::metadata(dir.path().join(META_LOG))
            .expect("log")
            .len();
        assert!(compacted < size, "compacted at open: {compacted} < {size}");
        // Appends go on after a compaction.
        store
            .append(&MetaRecord::Topic(topic("c", 1)))
            .expect("append");
        drop(store);
        let loaded = MetaStore::new(dir.path())
            .load()
            .expect("load")
            .expect("stored");
        assert_eq!(loaded.topics, vec![topic("a", 3), topic("c", 1)]);
    }

    #[test]
    fn an_old_json_file_is_converted_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let meta = StoredMeta {
            version: 1,
            cluster_id: "old".into(),
            topics: vec![topic("x", 4)],
        };
        std::fs::write(
            dir.path().join(META_FILE),
            serde_json::to_vec_pretty(&meta).expect("json"),
        )
        .expect("write");
        let store = MetaStore::new(dir.path());
        assert!(store.exists());
        let loaded = store.load().expect("load").expect("stored");
        assert_eq!(
            (loaded.cluster_id.as_str(), loaded.topics.clone()),
            ("old", meta.topics.clone())
        );
        assert!(!dir.path().join(META_FILE).exists());
        drop(store);
        let loaded = MetaStore::new(dir.path())
            .load()
            .expect("load")
            .expect("stored");
        assert_eq!(loaded.topics, meta.topics);
    }
}
