//! Transactions (KIP-98): the transaction coordinator of this single-node cluster.
//!
//! - [`state`]: one transactional id's state machine, free of I/O;
//! - [`store`]: its durable log under `<data-dir>/__transaction_state`;
//! - [`coordinator`]: the [`TransactionCoordinator`] serving InitProducerId (transactional),
//!   AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit, EndTxn and the admin APIs, and
//!   writing COMMIT/ABORT markers into the partitions;
//! - [`timeouts`]: aborts transactions that run past their timeout.
//!
//! The partitions' side (open transactions, last stable offset, aborted-transaction list) is
//! in [`crate::partition`] and [`crate::log::producer_state`].

pub mod coordinator;
pub mod state;
pub mod store;
pub mod timeouts;

pub use coordinator::{TransactionCoordinator, TxnDeps, TxnSettings};
