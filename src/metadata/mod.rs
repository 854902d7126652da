//! Topic metadata: which topics exist, their ids, partitions and configs.
//!
//! [`TopicRegistry`] is the broker's single source of truth for topics. Lookups are lock-free
//! (dashmap); creations and deletions are serialized and persisted as one appended record of
//! the metadata log ([`store`], `kalfka-meta.log`)
//! before they are visible, so a restart finds exactly the topics clients were told exist.
//!
//! Lock order (never the other way round): `changes` (one topic change at a time), then the
//! metadata log's mutex, or the recovery-point checkpoint's mutex, which is held while the
//! topic map's shards are read briefly. Nothing takes `changes` while holding either.

mod partition_dirs;
pub mod pool;
pub mod store;
pub mod topic;
pub mod topic_config;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use dashmap::DashMap;
use kalfka_protocol::Uuid;

use crate::config::BrokerConfig;
use crate::error::BrokerError;
use crate::log::{
    LogConfig, OffsetCheckpoint, Recovery, BLANK_PRODUCER_STATE_CHECKPOINT,
    RECOVERY_POINT_CHECKPOINT,
};
use crate::partition::Partition;
use store::{MetaRecord, MetaStore, StoredMeta, StoredTopic};
pub use topic::{
    is_internal_topic, validate_topic_configs, validate_topic_name, Topic, TopicConfigs,
};

/// Broker-wide defaults that topic configs override.
#[derive(Debug, Clone)]
pub struct TopicDefaults {
    /// `num.partitions`.
    pub num_partitions: i32,
    /// `message.max.bytes`.
    pub message_max_bytes: usize,
    /// `log.segment.bytes`.
    pub segment_bytes: u64,
    /// `--max-partitions`: most partitions of the broker.
    pub max_partitions: usize,
}

/// All topics of the broker.
#[derive(Debug)]
pub struct TopicRegistry {
    data_dir: PathBuf,
    store: MetaStore,
    defaults: TopicDefaults,
    cluster_id: String,
    topics: DashMap<String, Arc<Topic>>,
    ids: DashMap<Uuid, String>,
    /// How the previous run ended (decides how logs are recovered when opened).
    recovery: Recovery,
    /// Serializes creations and deletions, and with them writes of the metadata file.
    changes: Mutex<()>,
    /// Partitions of all topics (changed under `changes`).
    partition_count: std::sync::atomic::AtomicUsize,
    /// Bumped whenever a topic is added, removed or replaced (see [`generation`](Self::generation)).
    generation: std::sync::atomic::AtomicU64,
    /// `--memory`: partitions live in memory and topic metadata is never read or written.
    memory: bool,
    /// The recovery-point checkpoint as last written; held while one is written (a leaf lock:
    /// nothing else is taken while it is held).
    checkpoint: Mutex<OffsetCheckpoint>,
}

impl TopicRegistry {
    /// Opens the registry of `config.data_dir`, creating the directory on first start and
    /// opening (recovering) every partition log it lists.
    ///
    /// With `config.memory` the registry starts empty and keeps everything in memory: no
    /// metadata file is read or written and no partition directory is created.
    pub fn open(config: &BrokerConfig) -> Result<Self, BrokerError> {
        let data_dir = config.data_dir.clone();
        if !config.memory {
            std::fs::create_dir_all(&data_dir).map_err(storage_error(&data_dir))?;
        }
        let store = MetaStore::new(&data_dir);
        let started = std::time::Instant::now();
        let (recovery, blank_producers, stored) = if config.memory {
            (Recovery::Clean, OffsetCheckpoint::default(), None)
        } else {
            let (recovery, blank) = take_clean_shutdown_marker(&data_dir)?;
            (
                recovery,
                blank,
                store.load().map_err(storage_error(&data_dir))?,
            )
        };
        let recovery_points = match recovery {
            Recovery::Unclean if stored.is_some() => {
                OffsetCheckpoint::read(&data_dir.join(RECOVERY_POINT_CHECKPOINT))
            }
            _ => OffsetCheckpoint::default(),
        };
        let defaults = TopicDefaults {
            num_partitions: config.num_partitions,
            max_partitions: config.max_partitions,
            message_max_bytes: config.message_max_bytes,
            segment_bytes: config.segment_bytes,
        };
        let (cluster_id, stored_topics, fresh) = match stored {
            Some(meta) => (meta.cluster_id, meta.topics, false),
            None => (new_cluster_id(), Vec::new(), true),
        };
        let registry = TopicRegistry {
            data_dir,
            store,
            defaults,
            cluster_id,
            topics: DashMap::new(),
            ids: DashMap::new(),
            recovery,
            changes: Mutex::new(()),
            partition_count: std::sync::atomic::AtomicUsize::new(0),
            generation: std::sync::atomic::AtomicU64::new(0),
            memory: config.memory,
            checkpoint: Mutex::new(OffsetCheckpoint::default()),
        };
        registry.open_stored(stored_topics, &recovery_points, &blank_producers)?;
        if fresh && !registry.memory {
            registry
                .store
                .create(&StoredMeta {
                    version: 2,
                    cluster_id: registry.cluster_id.clone(),
                    topics: Vec::new(),
                })
                .map_err(storage_error(&registry.data_dir))?;
        }
        let partitions: usize = registry.topics.iter().map(|t| t.partitions.len()).sum();
        if recovery == Recovery::Unclean && !fresh && !registry.memory {
            // What recovery kept becomes durable with one sync for every partition; then the
            // recovery points move up to the log ends. The checkpoint is rewritten even with
            // no partitions: it must not keep entries of topics deleted before the crash.
            if partitions > 0 {
                crate::fsutil::sync_filesystem(&registry.data_dir)
                    .map_err(storage_error(&registry.data_dir))?;
            }
            for topic in registry.topics.iter() {
                for p in &topic.partitions {
                    p.note_synced(p.offsets().log_end);
                }
            }
            registry.write_recovery_checkpoint()?;
        }
        tracing::info!(
            topics = registry.topics.len(),
            partitions,
            clean = recovery == Recovery::Clean,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "opened the data directory"
        );
        Ok(registry)
    }

    /// Writes the data directory's recovery-point checkpoint (one atomic file replace) unless
    /// it would say what the last one said: every partition's recovery point, so the next
    /// unclean start validates only what lies past it. Partitions of deleted topics drop out
    /// of it. Returns whether it was written. Blocking file I/O: not for a runtime worker.
    pub fn write_recovery_checkpoint(&self) -> Result<bool, BrokerError> {
        if self.memory {
            return Ok(false);
        }
        // Collected under the lock: a writer that looked at the topics before a deletion
        // cannot write after the deletion's own checkpoint and bring the topic back.
        let mut last = self.checkpoint.lock().unwrap_or_else(|p| p.into_inner());
        let mut checkpoint = OffsetCheckpoint::default();
        for topic in self.topics.iter() {
            for p in &topic.partitions {
                checkpoint
                    .offsets
                    .insert((topic.name.clone(), p.index), p.recovery_point());
            }
        }
        if *last == checkpoint && !last.offsets.is_empty() {
            return Ok(false);
        }
        let path = self.data_dir.join(RECOVERY_POINT_CHECKPOINT);
        checkpoint.write(&path).map_err(storage_error(&path))?;
        *last = checkpoint;
        Ok(true)
    }

    /// The cluster id clients see in Metadata.
    pub fn cluster_id(&self) -> &str {
        &self.cluster_id
    }

    /// The broker-wide topic defaults.
    pub fn defaults(&self) -> &TopicDefaults {
        &self.defaults
    }

    /// The topic called `name`.
    pub fn get(&self, name: &str) -> Option<Arc<Topic>> {
        self.topics.get(name).map(|t| Arc::clone(&t))
    }

    /// The topic with id `id`.
    pub fn get_by_id(&self, id: &Uuid) -> Option<Arc<Topic>> {
        let name = self.ids.get(id)?.clone();
        self.get(&name)
    }

    /// Every topic, sorted by name.
    pub fn list(&self) -> Vec<Arc<Topic>> {
        let mut all: Vec<_> = self.topics.iter().map(|t| Arc::clone(&t)).collect();
        all.sort_by(|a, b| a.name.cmp(&b.name));
        all
    }

    /// A number that changes whenever a topic is created, deleted or altered: periodic tasks
    /// keep what they derived from the topics until it changes.
    pub fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::Acquire)
    }

    fn bump_generation(&self) {
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    }

    /// The topics for which `keep` holds, in no particular order (cheaper than
    /// [`list`](Self::list) for periodic tasks that care about a few of many topics).
    pub fn filtered(&self, keep: impl Fn(&Topic) -> bool) -> Vec<Arc<Topic>> {
        self.topics
            .iter()
            .filter(|t| keep(t))
            .map(|t| Arc::clone(&t))
            .collect()
    }

    /// Checks that a topic could be created: valid name, not existing, sane partition count and
    /// configs. Returns the partition count to use (`-1` becomes the broker default).
    pub fn check_new_topic(
        &self,
        name: &str,
        partitions: i32,
        configs: &TopicConfigs,
    ) -> Result<i32, BrokerError> {
        validate_topic_name(name)?;
        if self.topics.contains_key(name) {
            return Err(BrokerError::TopicAlreadyExists(name.to_string()));
        }
        if let Some(other) = self.colliding_topic(name) {
            return Err(BrokerError::InvalidTopic(format!(
                "topic '{name}' collides with existing topic '{other}' ('.' and '_' are the same in metric names)"
            )));
        }
        let partitions = match partitions {
            -1 => self.defaults.num_partitions,
            n if n >= 1 => n,
            n => return Err(BrokerError::InvalidPartitions(n)),
        };
        self.check_partition_limit(partitions as usize)?;
        validate_topic_configs(configs)?;
        Ok(partitions)
    }

    /// An existing topic whose name equals `name` once '.' and '_' are unified (Kafka refuses
    /// such a topic: the two would share metric names).
    fn colliding_topic(&self, name: &str) -> Option<String> {
        if !name.contains(['.', '_']) {
            return None;
        }
        let unified = |n: &str| n.replace('.', "_");
        let wanted = unified(name);
        self.topics
            .iter()
            .find(|t| t.key() != name && t.key().contains(['.', '_']) && unified(t.key()) == wanted)
            .map(|t| t.key().clone())
    }

    /// Refuses `more` partitions if they would take the broker past `--max-partitions`,
    /// saying so in the log.
    fn check_partition_limit(&self, more: usize) -> Result<(), BrokerError> {
        let current = self
            .partition_count
            .load(std::sync::atomic::Ordering::Relaxed);
        let limit = self.defaults.max_partitions;
        if current.saturating_add(more) > limit {
            tracing::warn!(
                requested = more,
                current,
                limit,
                "partition limit reached (--max-partitions): refusing to create partitions"
            );
            return Err(BrokerError::PartitionLimit {
                requested: more,
                current,
                limit,
            });
        }
        Ok(())
    }

    /// Creates a topic (`partitions` of -1 means the broker default) and persists it before
    /// returning it.
    pub fn create(
        &self,
        name: &str,
        partitions: i32,
        configs: TopicConfigs,
    ) -> Result<Arc<Topic>, BrokerError> {
        let _guard = self.changes.lock().unwrap_or_else(|p| p.into_inner());
        let partitions = self.check_new_topic(name, partitions, &configs)?;
        // A creation that fails leaves nothing behind: no directory, no entry.
        let discard = || {
            for p in (0..partitions).filter(|_| !self.memory) {
                let _ = std::fs::remove_dir_all(self.partition_dir(name, p));
            }
        };
        self.remove_leftovers(name, 0..partitions)?;
        let topic = self
            .open_topic(name, new_topic_id(), partitions, configs)
            .inspect_err(|e| {
                tracing::warn!(topic = name, partitions, error = %e, "topic creation failed");
                discard();
            })?;
        if let Err(e) = self
            .sync_new_partitions(name, 0..partitions)
            .and_then(|()| self.persist(&topic))
        {
            drop(topic);
            discard();
            return Err(e);
        }
        self.insert(Arc::clone(&topic));
        tracing::info!(topic = name, partitions, "created topic");
        Ok(topic)
    }

    /// Creates `name` with the default partition count (an internal topic as Kafka creates it)
    /// unless it exists; returns the topic.
    pub fn get_or_create(&self, name: &str) -> Result<Arc<Topic>, BrokerError> {
        if let Some(t) = self.get(name) {
            return Ok(t);
        }
        let created = if topic::is_internal_topic(name) {
            self.create(
                name,
                topic::INTERNAL_TOPIC_PARTITIONS,
                topic::internal_topic_configs(),
            )
        } else {
            self.create(name, -1, TopicConfigs::new())
        };
        match created {
            Err(BrokerError::TopicAlreadyExists(_)) => {
                self.get(name).ok_or(BrokerError::UnknownTopicOrPartition)
            }
            other => other,
        }
    }

    /// Deletes a topic and its data.
    pub fn delete(&self, name: &str) -> Result<Arc<Topic>, BrokerError> {
        let _guard = self.changes.lock().unwrap_or_else(|p| p.into_inner());
        if !self.topics.contains_key(name) {
            return Err(BrokerError::UnknownTopicOrPartition);
        }
        self.append(&MetaRecord::Delete {
            name: name.to_string(),
        })?;
        let (_, topic) = self
            .topics
            .remove(name)
            .ok_or(BrokerError::UnknownTopicOrPartition)?;
        self.ids.remove(&topic.id);
        self.bump_generation();
        self.partition_count
            .fetch_sub(topic.partitions.len(), std::sync::atomic::Ordering::Relaxed);
        // A topic created again under this name must not inherit these recovery points.
        if let Err(e) = self.write_recovery_checkpoint() {
            tracing::warn!(error = %e, "cannot rewrite the recovery-point checkpoint");
        }
        for p in (0..topic.partitions.len()).filter(|_| !self.memory) {
            let dir = self.partition_dir(name, p as i32);
            if let Err(e) = std::fs::remove_dir_all(&dir) {
                tracing::warn!(dir = %dir.display(), error = %e, "could not remove partition directory");
            }
        }
        tracing::info!(topic = name, "deleted topic");
        Ok(topic)
    }

    /// Replaces the whole config override set of topic `name` (validated, persisted before it is
    /// visible) and returns the updated topic.
    pub fn replace_configs(
        &self,
        name: &str,
        configs: TopicConfigs,
    ) -> Result<Arc<Topic>, BrokerError> {
        self.update_configs(name, |_| Ok(configs))
    }

    /// Computes topic `name`'s new override set from its current one with `change`, while
    /// holding the change lock (so concurrent alterations do not lose updates), validates and
    /// persists it. The new [`Topic`] shares the old one's partitions; configs read when a
    /// partition is opened (`segment.bytes`) take effect at the next restart.
    pub fn update_configs(
        &self,
        name: &str,
        change: impl FnOnce(&TopicConfigs) -> Result<TopicConfigs, BrokerError>,
    ) -> Result<Arc<Topic>, BrokerError> {
        let _guard = self.changes.lock().unwrap_or_else(|p| p.into_inner());
        let old = self.get(name).ok_or(BrokerError::UnknownTopicOrPartition)?;
        let configs = change(&old.configs)?;
        validate_topic_configs(&configs)?;
        let updated = Arc::new(Topic::new(
            old.name.clone(),
            old.id,
            old.partitions.clone(),
            configs,
            &self.defaults,
        ));
        let topic = self.swap(updated)?;
        let changes = topic::describe_change(&old.configs, &topic.configs);
        tracing::info!(topic = name, %changes, "altered topic configs");
        Ok(topic)
    }

    /// Checks that topic `name` could grow to `count` partitions; returns the topic.
    pub fn check_add_partitions(&self, name: &str, count: i32) -> Result<Arc<Topic>, BrokerError> {
        let topic = self.get(name).ok_or(BrokerError::UnknownTopicOrPartition)?;
        let current = topic.partitions.len() as i32;
        if count <= current {
            return Err(BrokerError::PartitionCountNotIncreasing {
                topic: name.to_string(),
                current,
                requested: count,
            });
        }
        self.check_partition_limit((count - current) as usize)?;
        Ok(topic)
    }

    /// Grows topic `name` to `count` partitions: opens logs for the new ones and persists the
    /// count before the new partitions are visible.
    pub fn add_partitions(&self, name: &str, count: i32) -> Result<Arc<Topic>, BrokerError> {
        let _guard = self.changes.lock().unwrap_or_else(|p| p.into_inner());
        let old = self.check_add_partitions(name, count)?;
        let log_config = self.log_config(&old.configs);
        let first_new = old.partitions.len() as i32;
        // Not persisted (open or append failed): remove the new directories so that a later
        // growth starts them empty.
        let discard_new = || {
            for p in first_new..count {
                let _ = std::fs::remove_dir_all(self.partition_dir(name, p));
            }
        };
        self.remove_leftovers(name, first_new..count)?;
        let mut partitions = old.partitions.clone();
        for p in first_new..count {
            // A new partition's directory is empty: nothing to recover.
            match self.open_partition(name, p, &log_config, Recovery::Clean, None, None) {
                Ok(partition) => partitions.push(Arc::new(partition)),
                Err(e) => {
                    discard_new();
                    return Err(e);
                }
            }
        }
        if let Err(e) = self.sync_new_partitions(name, first_new..count) {
            discard_new();
            return Err(e);
        }
        let updated = Arc::new(Topic::new(
            old.name.clone(),
            old.id,
            partitions,
            old.configs.clone(),
            &self.defaults,
        ));
        let topic = self.swap(updated).inspect_err(|_| discard_new())?;
        tracing::info!(topic = name, partitions = count, "added partitions");
        Ok(topic)
    }

    /// The data directory (Kafka's single log dir).
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Persists `updated`, then puts it in place of the topic of that name (left in place if
    /// persisting fails). Callers hold `changes`.
    fn swap(&self, updated: Arc<Topic>) -> Result<Arc<Topic>, BrokerError> {
        self.persist(&updated)?;
        if let Some(old) = self
            .topics
            .insert(updated.name.clone(), Arc::clone(&updated))
        {
            let grown = updated
                .partitions
                .len()
                .saturating_sub(old.partitions.len());
            self.partition_count
                .fetch_add(grown, std::sync::atomic::Ordering::Relaxed);
        }
        self.bump_generation();
        Ok(updated)
    }

    /// Clean shutdown with O(1) syncs: writes the producer-state snapshots that changed, syncs
    /// the filesystem once (every log, index and snapshot), writes the recovery-point
    /// checkpoint and, if all that worked, leaves the clean-shutdown marker so the next start
    /// skips the validation of log data.
    pub fn close_all(&self) {
        if self.memory {
            return;
        }
        let started = std::time::Instant::now();
        let mut ok = true;
        let mut snapshots = 0usize;
        let topics: Vec<Arc<Topic>> = self.topics.iter().map(|t| Arc::clone(&t)).collect();
        for topic in &topics {
            for p in &topic.partitions {
                match p.snapshot_producers_for_shutdown() {
                    Ok(written) => snapshots += usize::from(written),
                    Err(e) => {
                        ok = false;
                        tracing::warn!(topic = %topic.name, partition = p.index, error = %e, "producer-state snapshot failed");
                    }
                }
            }
        }
        // Partitions no idempotent or transactional producer wrote to: the next clean start
        // rebuilds their (empty) producer state from here instead of reading their logs.
        let mut blank = OffsetCheckpoint::default();
        for topic in &topics {
            for p in &topic.partitions {
                if let Some(end) = p.blank_producer_state_end() {
                    blank.offsets.insert((topic.name.clone(), p.index), end);
                }
            }
        }
        let blank_path = self.data_dir.join(BLANK_PRODUCER_STATE_CHECKPOINT);
        if let Err(e) = blank.write_unsynced(&blank_path) {
            ok = false;
            tracing::warn!(path = %blank_path.display(), error = %e, "cannot write the producer-state checkpoint");
        }
        // The log ends before the sync: everything below them is durable after it.
        let ends: Vec<(Arc<crate::partition::Partition>, i64)> = topics
            .iter()
            .flat_map(|t| t.partitions.iter())
            .map(|p| (Arc::clone(p), p.offsets().log_end))
            .collect();
        if let Err(e) = crate::fsutil::sync_filesystem(&self.data_dir) {
            tracing::warn!(error = %e, "syncing the data directory failed; the next start will recover");
            return;
        }
        for (p, end) in &ends {
            p.note_synced(*end);
        }
        if let Err(e) = self.write_recovery_checkpoint() {
            ok = false;
            tracing::warn!(error = %e, "cannot write the recovery-point checkpoint");
        }
        if !ok {
            tracing::warn!("not every partition could be closed; the next start will recover");
            return;
        }
        let marker = self.data_dir.join(CLEAN_SHUTDOWN_MARKER);
        if let Err(e) = crate::fsutil::write_atomic(&marker, b"clean\n") {
            tracing::warn!(path = %marker.display(), error = %e, "cannot write the clean-shutdown marker");
        }
        tracing::info!(
            partitions = ends.len(),
            snapshots,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "closed the data directory"
        );
    }

    /// Opens (recovering) the partitions of every stored topic on a bounded pool of threads
    /// ([`pool`]) and registers the topics. `blank_producers`: partitions whose producer state
    /// was empty at the last clean shutdown, and the offset then.
    fn open_stored(
        &self,
        stored: Vec<StoredTopic>,
        recovery_points: &OffsetCheckpoint,
        blank_producers: &OffsetCheckpoint,
    ) -> Result<(), BrokerError> {
        let mut ids = Vec::with_capacity(stored.len());
        for t in &stored {
            ids.push(parse_uuid(&t.id).ok_or_else(|| {
                BrokerError::Storage(format!("topic {} has a malformed id {:?}", t.name, t.id))
            })?);
        }
        let log_configs: Vec<LogConfig> =
            stored.iter().map(|t| self.log_config(&t.configs)).collect();
        let jobs: Vec<(usize, i32)> = stored
            .iter()
            .enumerate()
            .flat_map(|(t, topic)| (0..topic.partitions.max(0)).map(move |p| (t, p)))
            .collect();
        let opened = pool::run_bounded(jobs.len(), pool::recovery_threads(), |i| {
            let (t, p) = jobs[i];
            let name = &stored[t].name;
            let rp = recovery_points.get(name, p);
            let blank = blank_producers.get(name, p);
            self.open_partition(name, p, &log_configs[t], self.recovery, rp, blank)
        });
        let mut opened = opened.into_iter();
        for (t, id) in stored.into_iter().zip(ids) {
            let partitions = (0..t.partitions.max(0))
                .map(|_| {
                    opened
                        .next()
                        .unwrap_or_else(|| Err(BrokerError::Storage("partition not opened".into())))
                        .map(Arc::new)
                })
                .collect::<Result<Vec<_>, _>>()?;
            self.insert(Arc::new(Topic::new(
                t.name,
                id,
                partitions,
                t.configs,
                &self.defaults,
            )));
        }
        Ok(())
    }

    fn open_topic(
        &self,
        name: &str,
        id: Uuid,
        partitions: i32,
        configs: TopicConfigs,
    ) -> Result<Arc<Topic>, BrokerError> {
        let log_config = self.log_config(&configs);
        let parts = (0..partitions)
            .map(|p| {
                self.open_partition(name, p, &log_config, self.recovery, None, None)
                    .map(Arc::new)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Arc::new(Topic::new(
            name.to_string(),
            id,
            parts,
            configs,
            &self.defaults,
        )))
    }

    /// Opens partition `p` of `name`: from its directory, or empty in memory (`--memory`).
    fn open_partition(
        &self,
        name: &str,
        p: i32,
        log_config: &LogConfig,
        recovery: Recovery,
        recovery_point: Option<i64>,
        blank_producers_upto: Option<i64>,
    ) -> Result<Partition, BrokerError> {
        if self.memory {
            return Ok(Partition::in_memory(p));
        }
        let dir = self.partition_dir(name, p);
        Partition::open_recovered(
            p,
            &dir,
            log_config.clone(),
            recovery,
            recovery_point,
            blank_producers_upto,
        )
    }

    fn log_config(&self, configs: &TopicConfigs) -> LogConfig {
        let segment_bytes = configs
            .get("segment.bytes")
            .and_then(|v| v.parse().ok())
            .unwrap_or(self.defaults.segment_bytes);
        LogConfig {
            segment_bytes,
            ..LogConfig::default()
        }
    }

    fn insert(&self, topic: Arc<Topic>) {
        self.bump_generation();
        self.partition_count
            .fetch_add(topic.partitions.len(), std::sync::atomic::Ordering::Relaxed);
        self.ids.insert(topic.id, topic.name.clone());
        self.topics.insert(topic.name.clone(), topic);
    }

    /// Appends `topic`'s whole description to the metadata log (one small fsynced record).
    fn persist(&self, topic: &Topic) -> Result<(), BrokerError> {
        self.append(&MetaRecord::Topic(StoredTopic {
            name: topic.name.clone(),
            id: uuid::Uuid::from_bytes(topic.id.0).to_string(),
            partitions: topic.partitions.len() as i32,
            configs: topic.configs.clone(),
        }))
    }

    /// Appends one change to the metadata log (nothing in `--memory` mode). Callers hold
    /// `changes`; the store's own lock is taken after it.
    fn append(&self, record: &MetaRecord) -> Result<(), BrokerError> {
        if self.memory {
            return Ok(());
        }
        self.store
            .append(record)
            .map_err(storage_error(&self.data_dir))
    }
}

/// File in the data directory that says the previous run stopped cleanly (all logs flushed).
/// Removed at start, so a crash during this run leaves none.
pub const CLEAN_SHUTDOWN_MARKER: &str = ".clean-shutdown";

/// Removes the clean-shutdown marker (durably) and tells how the previous run ended; after a
/// clean shutdown also returns (and removes, in the same directory sync) the checkpoint of
/// partitions with blank producer state, which is only true of the data as that shutdown
/// left it.
fn take_clean_shutdown_marker(
    data_dir: &Path,
) -> Result<(Recovery, OffsetCheckpoint), BrokerError> {
    let blank_path = data_dir.join(BLANK_PRODUCER_STATE_CHECKPOINT);
    let blank = OffsetCheckpoint::read(&blank_path);
    match std::fs::remove_file(&blank_path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(storage_error(&blank_path)(e));
        }
        _ => {}
    }
    let marker = data_dir.join(CLEAN_SHUTDOWN_MARKER);
    match std::fs::remove_file(&marker) {
        Ok(()) => {
            crate::fsutil::sync_dir(data_dir).map_err(storage_error(data_dir))?;
            Ok((Recovery::Clean, blank))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if store::MetaStore::new(data_dir).exists() {
                tracing::warn!(data_dir = %data_dir.display(), "no clean-shutdown marker: recovering logs");
            }
            Ok((Recovery::Unclean, OffsetCheckpoint::default()))
        }
        Err(e) => Err(storage_error(data_dir)(e)),
    }
}

fn storage_error(path: &Path) -> impl Fn(std::io::Error) -> BrokerError + '_ {
    move |e| BrokerError::Storage(format!("{}: {e}", path.display()))
}

fn parse_uuid(s: &str) -> Option<Uuid> {
    uuid::Uuid::parse_str(s).ok().map(|u| Uuid(*u.as_bytes()))
}

/// A fresh random topic id (never the all-zero "no id" value).
fn new_topic_id() -> Uuid {
    Uuid(*uuid::Uuid::new_v4().as_bytes())
}

/// A fresh cluster id in Kafka's form: a UUID in 22 characters of URL-safe base64.
fn new_cluster_id() -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let bytes = *uuid::Uuid::new_v4().as_bytes();
    let mut bits: u128 = u128::from_be_bytes(bytes);
    let mut out = vec![0u8; 22];
    // 22 six-bit digits cover 132 bits; the top 4 are zero padding, as in base64 of 16 bytes.
    for slot in out.iter_mut().rev() {
        *slot = ALPHABET[(bits & 63) as usize];
        bits >>= 6;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_past_the_limit_are_refused_and_deletions_free_room() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = BrokerConfig {
            max_partitions: 5,
            ..BrokerConfig::for_tests(dir.path())
        };
        let registry = TopicRegistry::open(&config).expect("open");
        registry.create("a", 3, TopicConfigs::new()).expect("a");
        let refused = registry.create("b", 3, TopicConfigs::new());
        assert!(
            matches!(
                refused,
                Err(BrokerError::PartitionLimit {
                    requested: 3,
                    current: 3,
                    limit: 5
                })
            ),
            "{refused:?}"
        );
        assert!(registry.get("b").is_none());
        assert!(registry
            .check_new_topic("c", 1_000_000, &TopicConfigs::new())
            .is_err());
        registry.add_partitions("a", 5).expect("grow to the limit");
        assert!(registry.add_partitions("a", 6).is_err());
        registry.delete("a").expect("delete");
        registry
            .create("b", 5, TopicConfigs::new())
            .expect("room again");
    }

    #[test]
    fn cluster_ids_are_22_url_safe_characters() {
        let id = new_cluster_id();
        assert_eq!(id.len(), 22);
        assert!(id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_ne!(id, new_cluster_id());
    }
}
