//! The on-disk record of which topics exist: `<data-dir>/kalfka-meta.json`, rewritten
//! atomically on every change.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::fsutil::write_atomic;
use crate::metadata::topic::TopicConfigs;

/// File name of the metadata record inside the data directory.
pub const META_FILE: &str = "kalfka-meta.json";

/// Everything the broker must remember about topics across restarts (record data lives in the
/// partition directories).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StoredMeta {
    /// Format version of this file.
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

/// Reads and writes [`StoredMeta`] in a data directory.
#[derive(Debug, Clone)]
pub struct MetaStore {
    path: PathBuf,
}

impl MetaStore {
    /// The store of `data_dir`.
    pub fn new(data_dir: &Path) -> Self {
        MetaStore {
            path: data_dir.join(META_FILE),
        }
    }

    /// Whether metadata was ever stored here (the directory is not new).
    pub fn exists(&self) -> bool {
        self.path.exists()
    }

    /// Loads the stored metadata, or `None` when the directory is new.
    pub fn load(&self) -> std::io::Result<Option<StoredMeta>> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{}: {e}", self.path.display()),
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Replaces the stored metadata atomically.
    pub fn save(&self, meta: &StoredMeta) -> std::io::Result<()> {
        let json = serde_json::to_vec_pretty(meta)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        write_atomic(&self.path, &json)
    }
}
