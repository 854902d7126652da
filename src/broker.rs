//! The broker's shared state, handed to every request handler.

use std::net::SocketAddr;
use std::time::Duration;

use crate::config::BrokerConfig;
use crate::error::BrokerError;
use crate::groups::consumer::group::ConsumerSettings;
use crate::groups::coordinator::DEFAULT_OFFSETS_RETENTION;
use crate::groups::share::coordinator::ShareSettings;
use crate::groups::share::partition::Limits;
use crate::groups::share::ShareGroups;
use crate::groups::GroupCoordinator;
use crate::http::Readiness;
use crate::metadata::TopicRegistry;
use crate::metrics::BrokerMetrics;
use crate::producer_ids::ProducerIdAllocator;
use crate::quotas::QuotaStore;
use crate::txn::{TransactionCoordinator, TxnDeps, TxnSettings};

/// Everything request handlers share: configuration, topics and id allocation.
#[derive(Debug)]
pub struct Broker {
    /// Resolved configuration.
    pub config: BrokerConfig,
    /// Topics and their partitions.
    pub topics: TopicRegistry,
    /// Producer ids for InitProducerId.
    pub producer_ids: ProducerIdAllocator,
    /// Consumer groups and committed offsets.
    pub groups: GroupCoordinator,
    /// Share groups (KIP-932) and their durable share-partition state.
    pub shares: ShareGroups,
    /// Client quotas (stored, not enforced).
    pub quotas: QuotaStore,
    /// Transactional ids and their transactions.
    pub txns: TransactionCoordinator,
    /// Request, connection and housekeeping counters (see [`crate::metrics`]).
    pub metrics: BrokerMetrics,
    advertised_host: String,
    advertised_port: i32,
}

impl Broker {
    /// Opens the data directory (recovering logs) for a listener bound to `bound`.
    pub fn open(config: BrokerConfig, bound: SocketAddr) -> Result<Self, BrokerError> {
        Self::open_reporting(config, bound, &Readiness::default())
    }

    /// [`Broker::open`], marking in `readiness` when the logs are recovered and the committed
    /// offsets and transaction state are loaded.
    pub fn open_reporting(
        config: BrokerConfig,
        bound: SocketAddr,
        readiness: &Readiness,
    ) -> Result<Self, BrokerError> {
        let topics = TopicRegistry::open(&config)?;
        crate::startup_topics::create_declared(&topics, &config.create_topics)?;
        readiness.mark_logs_recovered();
        // Where the broker's own state lives; `--memory` writes nothing to disk.
        let state_dir = (!config.memory).then_some(config.data_dir.as_path());
        let producer_ids = ProducerIdAllocator::open(state_dir)?;
        let groups = GroupCoordinator::open_with(
            state_dir,
            std::time::Duration::from_millis(config.group_initial_rebalance_delay_ms),
            DEFAULT_OFFSETS_RETENTION,
            ConsumerSettings {
                session_timeout: Duration::from_millis(config.group_consumer_session_timeout_ms),
                heartbeat_interval: Duration::from_millis(
                    config.group_consumer_heartbeat_interval_ms,
                ),
            },
        )?;
        // Offsets of topics deleted before a crash interrupted the removal of their offsets.
        let stale = groups.forget_topic_offsets(|t| topics.get(t).is_none())?;
        if stale > 0 {
            tracing::info!(
                offsets = stale,
                "removed committed offsets of deleted topics"
            );
        }
        let shares = ShareGroups::open(
            state_dir,
            ShareSettings {
                limits: Limits {
                    lock_duration: Duration::from_millis(
                        config.group_share_record_lock_duration_ms,
                    ),
                    delivery_count_limit: config.group_share_delivery_count_limit,
                    max_in_flight: config.group_share_partition_max_record_locks,
                },
                session_timeout: Duration::from_millis(config.group_consumer_session_timeout_ms),
                heartbeat_interval: Duration::from_millis(
                    config.group_consumer_heartbeat_interval_ms,
                ),
                max_sessions: config.group_share_max_share_sessions as usize,
            },
        )
        .map_err(|e| BrokerError::Storage(format!("share-group state: {e}")))?;
        // Share state of topics deleted before a crash interrupted its removal.
        let (stale, syncer) = shares.forget_topics(|id| topics.get_by_id(id).is_none())?;
        if let Some(s) = syncer {
            s.sync()
                .map_err(|e| BrokerError::Storage(format!("share-group state: {e}")))?;
        }
        if stale > 0 {
            tracing::info!(
                partitions = stale,
                "removed share-group state of deleted topics"
            );
        }
        let quotas = QuotaStore::open(state_dir)?;
        let txns = TransactionCoordinator::open(
            state_dir,
            TxnSettings {
                max_timeout_ms: config.transaction_max_timeout_ms,
                id_expiration_ms: i64::try_from(config.transactional_id_expiration_ms)
                    .unwrap_or(i64::MAX),
            },
        )?;
        txns.recover(TxnDeps {
            topics: &topics,
            groups: &groups,
            producer_ids: &producer_ids,
        });
        readiness.mark_offsets_loaded();
        let advertised_host = config.advertised_host.clone().unwrap_or_else(|| {
            if bound.ip().is_unspecified() {
                "127.0.0.1".to_string()
            } else {
                bound.ip().to_string()
            }
        });
        let advertised_port = i32::from(config.advertised_port.unwrap_or(bound.port()));
        let metrics = BrokerMetrics::new(config.http_listen.is_some());
        Ok(Broker {
            metrics,
            config,
            topics,
            producer_ids,
            groups,
            shares,
            quotas,
            txns,
            advertised_host,
            advertised_port,
        })
    }

    /// What the transaction coordinator needs from the rest of the broker.
    pub fn txn_deps(&self) -> TxnDeps<'_> {
        TxnDeps {
            topics: &self.topics,
            groups: &self.groups,
            producer_ids: &self.producer_ids,
        }
    }

    /// This broker's node id.
    pub fn node_id(&self) -> i32 {
        self.config.node_id
    }

    /// Host clients are told to connect to.
    pub fn advertised_host(&self) -> &str {
        &self.advertised_host
    }

    /// Port clients are told to connect to.
    pub fn advertised_port(&self) -> i32 {
        self.advertised_port
    }
}
