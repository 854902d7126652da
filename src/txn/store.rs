//! Durable transaction state: `<data-dir>/__transaction_state/transactions.log`, one
//! [`FramedLog`] record (JSON) per change of a transactional id, fsynced before the change is
//! acted on or answered. Replayed at start (latest record per id wins, a tombstone removes
//! it) and compacted when it holds many more records than live ids.

use std::collections::HashMap;
use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::state::TransactionMetadata;
use crate::framed_log::FramedLog;

const DIR: &str = "__transaction_state";
const LOG_FILE: &str = "transactions.log";

#[derive(Debug, Serialize, Deserialize)]
struct Record {
    id: String,
    /// `None`: the id was removed (expired).
    meta: Option<TransactionMetadata>,
}

/// The transaction state log.
#[derive(Debug)]
pub struct TxnStore {
    log: FramedLog,
    /// The latest encoded record of every live id, for compaction.
    live: HashMap<String, Vec<u8>>,
}

impl TxnStore {
    /// Opens (creating) the log under `data_dir` and returns the state of every live id; with
    /// no `data_dir` (`--memory`) the state lives in memory and nothing is written.
    pub fn open(
        data_dir: Option<&Path>,
    ) -> io::Result<(TxnStore, HashMap<String, TransactionMetadata>)> {
        let (log, bodies) = match data_dir {
            Some(data_dir) => {
                let dir = data_dir.join(DIR);
                std::fs::create_dir_all(&dir)?;
                FramedLog::open(&dir.join(LOG_FILE))?
            }
            None => (FramedLog::in_memory(), Vec::new()),
        };
        let mut state = HashMap::new();
        let mut live = HashMap::new();
        for body in bodies {
            let record: Record = match serde_json::from_slice(&body) {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!(error = %e, "skipping an undecodable transaction state record");
                    continue;
                }
            };
            match record.meta {
                Some(meta) => {
                    state.insert(record.id.clone(), meta);
                    live.insert(record.id, body);
                }
                None => {
                    state.remove(&record.id);
                    live.remove(&record.id);
                }
            }
        }
        let mut store = TxnStore { log, live };
        store.compact()?;
        Ok((store, state))
    }

    /// Durably records the new state of `id` (`None`: removed).
    pub fn write(&mut self, id: &str, meta: Option<&TransactionMetadata>) -> io::Result<()> {
        let body = serde_json::to_vec(&Record {
            id: id.to_string(),
            meta: meta.cloned(),
        })
        .map_err(io::Error::other)?;
        self.log.append(&[&body])?;
        match meta {
            Some(_) => {
                self.live.insert(id.to_string(), body);
            }
            None => {
                self.live.remove(id);
            }
        }
        if self.log.records() > 1024 && self.log.records() > 4 * self.live.len() {
            self.compact()?;
        }
        Ok(())
    }

    fn compact(&mut self) -> io::Result<()> {
        let bodies: Vec<&Vec<u8>> = self.live.values().collect();
        self.log.rewrite(&bodies)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latest_state_survives_reopen_and_removal_sticks() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut a = TransactionMetadata::new(1, 60_000, 0);
        {
            let (mut store, state) = TxnStore::open(Some(dir.path())).expect("open");
            assert!(state.is_empty());
            store.write("a", Some(&a)).expect("write");
            a.add([("t".to_string(), 0)], None, 5).expect("add");
            store.write("a", Some(&a)).expect("write");
            store
                .write("b", Some(&TransactionMetadata::new(2, 1, 0)))
                .expect("write");
            store.write("b", None).expect("remove");
        }
        let (_, state) = TxnStore::open(Some(dir.path())).expect("reopen");
        assert_eq!(state.len(), 1);
        assert_eq!(state.get("a"), Some(&a));
    }
}
