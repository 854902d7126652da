//! Client quotas (DescribeClientQuotas / AlterClientQuotas), stored durably in
//! `kalfka-quotas.json` in the data directory.
//!
//! Quotas are recorded and described exactly as Kafka does, but **not enforced**: no request
//! is throttled.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::error::BrokerError;
use crate::fsutil::write_atomic;

/// Quota entity types Kafka knows.
pub const ENTITY_TYPES: &[&str] = &["user", "client-id", "ip"];
/// Quota keys Kafka knows.
pub const QUOTA_KEYS: &[&str] = &[
    "producer_byte_rate",
    "consumer_byte_rate",
    "request_percentage",
    "controller_mutation_rate",
    "connection_creation_rate",
];

/// A quota entity: entity type to name, `None` naming the type's default entity.
pub type Entity = BTreeMap<String, Option<String>>;

/// One change to an entity's quotas.
#[derive(Debug, Clone, PartialEq)]
pub struct QuotaOp {
    /// The quota key.
    pub key: String,
    /// The new value (ignored when removing).
    pub value: f64,
    /// Remove the quota instead of setting it.
    pub remove: bool,
}

/// How a describe filter matches one entity type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match {
    /// This exact name.
    Exact(String),
    /// The type's default entity.
    Default,
    /// Any entity of the type, default included.
    Any,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Stored {
    version: u32,
    entries: Vec<StoredEntry>,
}

#[derive(Debug, Serialize, Deserialize)]
struct StoredEntry {
    entity: Entity,
    values: BTreeMap<String, f64>,
}

/// All client quotas of the broker.
#[derive(Debug)]
pub struct QuotaStore {
    /// `None` (`--memory`): quotas are kept in memory only.
    path: Option<PathBuf>,
    entries: Mutex<BTreeMap<Entity, BTreeMap<String, f64>>>,
}

impl QuotaStore {
    /// Opens (or starts empty) the quota file of `data_dir`; with no `data_dir` (`--memory`)
    /// quotas live in memory only.
    pub fn open(data_dir: Option<&Path>) -> Result<Self, BrokerError> {
        let Some(data_dir) = data_dir else {
            return Ok(QuotaStore {
                path: None,
                entries: Mutex::new(BTreeMap::new()),
            });
        };
        let path = data_dir.join("kalfka-quotas.json");
        let stored: Stored = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| BrokerError::Storage(format!("{}: {e}", path.display())))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Stored::default(),
            Err(e) => return Err(BrokerError::Storage(format!("{}: {e}", path.display()))),
        };
        let entries = stored
            .entries
            .into_iter()
            .map(|e| (e.entity, e.values))
            .collect();
        Ok(QuotaStore {
            path: Some(path),
            entries: Mutex::new(entries),
        })
    }

    /// Checks an entity and its operations without applying them.
    pub fn validate(entity: &Entity, ops: &[QuotaOp]) -> Result<(), BrokerError> {
        if entity.is_empty() {
            return Err(BrokerError::InvalidRequest("empty quota entity".into()));
        }
        if let Some(t) = entity.keys().find(|t| !ENTITY_TYPES.contains(&t.as_str())) {
            return Err(BrokerError::InvalidRequest(format!(
                "unknown quota entity type {t:?}"
            )));
        }
        for op in ops {
            if !QUOTA_KEYS.contains(&op.key.as_str()) {
                return Err(BrokerError::InvalidRequest(format!(
                    "unknown quota key {:?}",
                    op.key
                )));
            }
            let valid = op.value.is_finite() && op.value > 0.0;
            if !op.remove && !valid {
                return Err(BrokerError::InvalidRequest(format!(
                    "quota {} must be a positive number, got {}",
                    op.key, op.value
                )));
            }
        }
        Ok(())
    }

    /// Applies `ops` to `entity` and persists before returning.
    pub fn alter(&self, entity: &Entity, ops: &[QuotaOp]) -> Result<(), BrokerError> {
        Self::validate(entity, ops)?;
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let before = entries.clone();
        let values = entries.entry(entity.clone()).or_default();
        for op in ops {
            if op.remove {
                values.remove(&op.key);
            } else {
                values.insert(op.key.clone(), op.value);
            }
        }
        entries.retain(|_, v| !v.is_empty());
        if let Err(e) = self.persist(&entries) {
            *entries = before;
            return Err(e);
        }
        Ok(())
    }

    /// Entities matching every `(type, match)` filter (and, when `strict`, no other types),
    /// with their quotas.
    pub fn describe(
        &self,
        filters: &[(String, Match)],
        strict: bool,
    ) -> Vec<(Entity, BTreeMap<String, f64>)> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .iter()
            .filter(|(entity, _)| {
                let all_match = filters.iter().all(|(t, m)| match (entity.get(t), m) {
                    (None, _) => false,
                    (Some(_), Match::Any) => true,
                    (Some(None), Match::Default) => true,
                    (Some(Some(name)), Match::Exact(want)) => name == want,
                    _ => false,
                });
                all_match && (!strict || entity.len() == filters.len())
            })
            .map(|(e, v)| (e.clone(), v.clone()))
            .collect()
    }

    fn persist(
        &self,
        entries: &BTreeMap<Entity, BTreeMap<String, f64>>,
    ) -> Result<(), BrokerError> {
        let stored = Stored {
            version: 1,
            entries: entries
                .iter()
                .map(|(entity, values)| StoredEntry {
                    entity: entity.clone(),
                    values: values.clone(),
                })
                .collect(),
        };
        let json = serde_json::to_vec_pretty(&stored)
            .map_err(|e| BrokerError::Storage(format!("quota file: {e}")))?;
        let Some(path) = &self.path else {
            return Ok(());
        };
        write_atomic(path, &json)
            .map_err(|e| BrokerError::Storage(format!("{}: {e}", path.display())))
    }
}
