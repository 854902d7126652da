//! Producer id allocation for InitProducerId.
//!
//! Ids are handed out from blocks reserved on disk (`producer-ids.json`, written atomically
//! before any id of the block is used), so an id is never handed out twice, even across a
//! kill -9: after a crash the unused rest of the last block is simply skipped.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::BrokerError;
use crate::fsutil::write_atomic;

/// How many ids one disk write reserves.
pub const BLOCK_SIZE: i64 = 1000;
const FILE_NAME: &str = "producer-ids.json";

/// Hands out unique producer ids.
#[derive(Debug)]
pub struct ProducerIdAllocator {
    /// `None` (`--memory`): blocks are not reserved on disk.
    path: Option<PathBuf>,
    state: Mutex<Block>,
}

#[derive(Debug)]
struct Block {
    next: i64,
    end: i64,
}

impl ProducerIdAllocator {
    /// Opens the allocator of `data_dir`; the first id of a new directory is 0. With no
    /// `data_dir` (`--memory`) ids start at 0 and nothing is written.
    pub fn open(data_dir: Option<&Path>) -> Result<Self, BrokerError> {
        let Some(data_dir) = data_dir else {
            return Ok(ProducerIdAllocator {
                path: None,
                state: Mutex::new(Block { next: 0, end: 0 }),
            });
        };
        let path = data_dir.join(FILE_NAME);
        let reserved_up_to = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice::<serde_json::Value>(&bytes)
                .ok()
                .and_then(|v| v.get("next_block")?.as_i64())
                .ok_or_else(|| BrokerError::Storage(format!("{} is malformed", path.display())))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
            Err(e) => return Err(BrokerError::Storage(format!("{}: {e}", path.display()))),
        };
        Ok(ProducerIdAllocator {
            path: Some(path),
            state: Mutex::new(Block {
                next: reserved_up_to,
                end: reserved_up_to,
            }),
        })
    }

    /// The next unused producer id.
    pub fn allocate(&self) -> Result<i64, BrokerError> {
        let mut block = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if block.next >= block.end {
            let end = block.next + BLOCK_SIZE;
            if let Some(path) = &self.path {
                let json = format!("{{\"next_block\": {end}}}\n");
                write_atomic(path, json.as_bytes())
                    .map_err(|e| BrokerError::Storage(format!("{}: {e}", path.display())))?;
            }
            block.end = end;
        }
        let id = block.next;
        block.next += 1;
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_across_reopen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = ProducerIdAllocator::open(Some(dir.path())).expect("open");
        let first: Vec<i64> = (0..3).map(|_| a.allocate().expect("id")).collect();
        assert_eq!(first, vec![0, 1, 2]);
        drop(a);
        let b = ProducerIdAllocator::open(Some(dir.path())).expect("reopen");
        let next = b.allocate().expect("id");
        assert_eq!(
            next, BLOCK_SIZE,
            "a reopened allocator skips the rest of the old block"
        );
    }
}
