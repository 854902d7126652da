//! Kalfka: a message broker that speaks the Apache Kafka wire protocol.
//!
//! The crate is the broker; the wire format lives in the `kalfka-protocol` crate. Layout:
//! - [`config`]: flags and the resolved [`config::BrokerConfig`]; [`config_file`]: the TOML file.
//! - [`server`]: the tokio listener and per-connection request loop.
//! - [`api`]: one handler module per API family, dispatched from one routing table that
//!   also produces the ApiVersions answer.
//! - [`metadata`]: topics, their ids, partitions and configs, persisted in the data directory.
//! - [`partition`]: a partition as served: its log, the fetches waiting on it, its topic's
//!   typed settings and the validation of produced batches.
//! - [`log`]: on-disk storage: segments of record batches with memory-mapped indexes.
//! - [`groups`]: the consumer group coordinator and durable committed offsets.
//! - [`cli`]: the `kalfka topic|produce|consume|group` client commands.
//! - [`broker`]: the shared state handed to handlers.
//! - [`error`]: typed errors and their single mapping to Kafka error codes.
//! - [`txn`]: the transaction coordinator (transactional ids, their durable state, markers).
//! - [`producer_ids`], [`fsutil`], [`framed_log`]: producer id allocation, atomic state-file
//!   writes, and the CRC-framed append log behind the offsets and transaction state.
//! - [`quotas`]: client quotas (stored durably, not enforced).
//! - [`clock`]: the one wall clock (`now_ms`).
//! - [`http`]: the HTTP endpoint (`/metrics`, `/healthz`, `/readyz`, the JSON API);
//!   [`metrics`]: what `/metrics` reports and how it is recorded.

pub mod api;
pub mod broker;
pub mod cli;
pub mod clock;
pub mod config;
pub mod config_file;
pub mod error;
pub mod framed_log;
pub mod fsutil;
pub mod groups;
pub mod http;
pub mod log;
pub mod metadata;
pub mod metrics;
pub mod partition;
pub mod producer_ids;
pub mod quotas;
pub mod security;
pub mod server;
pub mod startup_topics;
pub mod txn;
