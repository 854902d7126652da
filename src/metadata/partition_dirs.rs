//! Partition directories of the topic registry: where a partition lives, how a new one is
//! made durable before the metadata record that shows it, and how a dead topic's leftovers are
//! cleared before a topic of that name is created again.
//!
//! Invariants: a partition directory the metadata log shows has its entry in the data
//! directory and its first segment's entry synced; a newly created partition never starts
//! with records of a deleted topic.

use std::path::PathBuf;

use super::{storage_error, TopicRegistry};
use crate::error::BrokerError;

impl TopicRegistry {
    /// Removes directories of partitions `range` of `name` left by a deleted topic whose
    /// removal a crash undid (the deletion is durable in the metadata log first): a new
    /// partition starts empty, never with a dead topic's records.
    pub(super) fn remove_leftovers(
        &self,
        name: &str,
        range: std::ops::Range<i32>,
    ) -> Result<(), BrokerError> {
        for p in range.filter(|_| !self.memory) {
            let dir = self.partition_dir(name, p);
            match std::fs::remove_dir_all(&dir) {
                Ok(()) => {
                    tracing::info!(dir = %dir.display(), "removed the leftover directory of a deleted topic");
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(storage_error(&dir)(e)),
            }
        }
        Ok(())
    }

    /// Makes new partitions `range` of `name` durable before the metadata record that shows
    /// them is: their directories' entries (the first segment) and their entries in the data
    /// directory. Without it a power loss could leave a topic the metadata log knows with its
    /// partition directories, or their segment files, gone — and acknowledged records with them.
    /// Many partitions at once take one filesystem sync instead of one per directory.
    pub(super) fn sync_new_partitions(
        &self,
        name: &str,
        range: std::ops::Range<i32>,
    ) -> Result<(), BrokerError> {
        if self.memory || range.is_empty() {
            return Ok(());
        }
        if range.len() > 16 {
            return crate::fsutil::sync_filesystem(&self.data_dir)
                .map_err(storage_error(&self.data_dir));
        }
        for p in range {
            let dir = self.partition_dir(name, p);
            crate::fsutil::sync_dir(&dir).map_err(storage_error(&dir))?;
        }
        crate::fsutil::sync_dir(&self.data_dir).map_err(storage_error(&self.data_dir))
    }

    /// The directory holding partition `partition` of `topic`.
    pub fn partition_dir(&self, topic: &str, partition: i32) -> PathBuf {
        self.data_dir.join(format!("{topic}-{partition}"))
    }
}
