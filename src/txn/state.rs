//! One transactional id's state and the rules for changing it (Kafka's
//! `TransactionMetadata`), free of I/O: the coordinator validates a request here, then makes
//! the change durable and writes markers.
//!
//! States: `Empty` (no transaction yet) → `Ongoing` (partitions or a group added) →
//! `PrepareCommit`/`PrepareAbort` (the outcome is decided and durable; markers are being
//! written) → `CompleteCommit`/`CompleteAbort` → `Ongoing` again with the next transaction.

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::error::BrokerError;

/// Where a transaction stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TxnState {
    /// The producer is initialized; no transaction has started.
    Empty,
    /// A transaction is open.
    Ongoing,
    /// Commit decided; markers being written.
    PrepareCommit,
    /// Abort decided; markers being written.
    PrepareAbort,
    /// The last transaction committed.
    CompleteCommit,
    /// The last transaction aborted.
    CompleteAbort,
}

impl TxnState {
    /// The name Kafka's admin APIs use (DescribeTransactions, ListTransactions).
    pub fn name(self) -> &'static str {
        match self {
            TxnState::Empty => "Empty",
            TxnState::Ongoing => "Ongoing",
            TxnState::PrepareCommit => "PrepareCommit",
            TxnState::PrepareAbort => "PrepareAbort",
            TxnState::CompleteCommit => "CompleteCommit",
            TxnState::CompleteAbort => "CompleteAbort",
        }
    }

    /// Every state, for filters.
    pub const ALL: [TxnState; 6] = [
        TxnState::Empty,
        TxnState::Ongoing,
        TxnState::PrepareCommit,
        TxnState::PrepareAbort,
        TxnState::CompleteCommit,
        TxnState::CompleteAbort,
    ];
}

/// An offset committed inside a transaction, applied to the group only when it commits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingOffset {
    /// The consumer group.
    pub group: String,
    /// Topic.
    pub topic: String,
    /// Partition.
    pub partition: i32,
    /// Next offset to consume.
    pub offset: i64,
    /// Leader epoch of the committed record (-1 if unknown).
    pub leader_epoch: i32,
    /// Client metadata.
    pub metadata: Option<String>,
}

/// Everything the coordinator knows about one transactional id; persisted as a whole on
/// every change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionMetadata {
    /// The producer id bound to this transactional id.
    pub producer_id: i64,
    /// Its current epoch; requests with an older one are fenced.
    pub producer_epoch: i16,
    /// `transaction.timeout.ms` the producer asked for.
    pub timeout_ms: i32,
    /// Where the current (or last) transaction stands.
    pub state: TxnState,
    /// Partitions in the current transaction.
    pub partitions: BTreeSet<(String, i32)>,
    /// Groups whose offsets the current transaction commits.
    pub groups: BTreeSet<String>,
    /// Offsets committed in the current transaction, latest per (group, partition).
    pub pending_offsets: Vec<PendingOffset>,
    /// When the current transaction started (ms since the epoch), -1 when none is open.
    pub txn_start_ms: i64,
    /// When the state last changed.
    pub last_update_ms: i64,
}

/// How old-epoch requests are refused: PRODUCER_FENCED where the request version knows it,
/// INVALID_PRODUCER_EPOCH before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FenceError {
    /// Version knows PRODUCER_FENCED.
    ProducerFenced,
    /// Older version.
    InvalidProducerEpoch,
}

impl FenceError {
    fn error(self, detail: String) -> BrokerError {
        match self {
            FenceError::ProducerFenced => BrokerError::ProducerFenced(detail),
            FenceError::InvalidProducerEpoch => BrokerError::InvalidProducerEpoch(detail),
        }
    }
}

impl TransactionMetadata {
    /// A freshly initialized producer.
    pub fn new(producer_id: i64, timeout_ms: i32, now_ms: i64) -> Self {
        TransactionMetadata {
            producer_id,
            producer_epoch: 0,
            timeout_ms,
            state: TxnState::Empty,
            partitions: BTreeSet::new(),
            groups: BTreeSet::new(),
            pending_offsets: Vec::new(),
            txn_start_ms: -1,
            last_update_ms: now_ms,
        }
    }

    /// Checks that a request from `(producer_id, epoch)` may act on this transaction.
    pub fn check_producer(
        &self,
        producer_id: i64,
        epoch: i16,
        fence: FenceError,
    ) -> Result<(), BrokerError> {
        if producer_id != self.producer_id {
            return Err(BrokerError::InvalidProducerIdMapping);
        }
        if epoch != self.producer_epoch {
            return Err(fence.error(format!(
                "producer {producer_id} epoch {epoch} is not the current epoch {}",
                self.producer_epoch
            )));
        }
        Ok(())
    }

    /// Whether the outcome of the transaction is decided but its markers are not all written.
    pub fn is_preparing(&self) -> bool {
        matches!(self.state, TxnState::PrepareCommit | TxnState::PrepareAbort)
    }

    /// Adds partitions and/or a group to the transaction, starting it if needed.
    pub fn add(
        &mut self,
        partitions: impl IntoIterator<Item = (String, i32)>,
        group: Option<&str>,
        now_ms: i64,
    ) -> Result<(), BrokerError> {
        if self.is_preparing() {
            return Err(BrokerError::ConcurrentTransactions);
        }
        if self.state != TxnState::Ongoing {
            self.state = TxnState::Ongoing;
            self.txn_start_ms = now_ms;
            self.partitions.clear();
            self.groups.clear();
            self.pending_offsets.clear();
        }
        self.partitions.extend(partitions);
        if let Some(group) = group {
            self.groups.insert(group.to_string());
        }
        self.last_update_ms = now_ms;
        Ok(())
    }

    /// Records offsets committed in the transaction (TxnOffsetCommit); the group must have
    /// been added with AddOffsetsToTxn.
    pub fn add_pending_offsets(
        &mut self,
        offsets: Vec<PendingOffset>,
        now_ms: i64,
    ) -> Result<(), BrokerError> {
        if self.is_preparing() {
            return Err(BrokerError::ConcurrentTransactions);
        }
        if self.state != TxnState::Ongoing {
            return Err(BrokerError::InvalidTxnState(format!(
                "TxnOffsetCommit in state {}",
                self.state.name()
            )));
        }
        if let Some(o) = offsets.iter().find(|o| !self.groups.contains(&o.group)) {
            return Err(BrokerError::InvalidTxnState(format!(
                "group {} was not added to the transaction (AddOffsetsToTxn)",
                o.group
            )));
        }
        let mut at: HashMap<(String, String, i32), usize> = self
            .pending_offsets
            .iter()
            .enumerate()
            .map(|(i, p)| ((p.group.clone(), p.topic.clone(), p.partition), i))
            .collect();
        for o in offsets {
            let key = (o.group.clone(), o.topic.clone(), o.partition);
            match at.get(&key) {
                Some(&i) => self.pending_offsets[i] = o,
                None => {
                    at.insert(key, self.pending_offsets.len());
                    self.pending_offsets.push(o);
                }
            }
        }
        self.last_update_ms = now_ms;
        Ok(())
    }

    /// EndTxn's decision: the state to prepare, or `None` when the request repeats the
    /// outcome of the transaction that just completed (a retry, answered with success).
    pub fn prepare_end(&self, commit: bool) -> Result<Option<TxnState>, BrokerError> {
        match (self.state, commit) {
            (TxnState::Ongoing, true) => Ok(Some(TxnState::PrepareCommit)),
            (TxnState::Ongoing, false) => Ok(Some(TxnState::PrepareAbort)),
            (TxnState::CompleteCommit, true) | (TxnState::CompleteAbort, false) => Ok(None),
            (TxnState::PrepareCommit | TxnState::PrepareAbort, _) => {
                Err(BrokerError::ConcurrentTransactions)
            }
            (state, _) => Err(BrokerError::InvalidTxnState(format!(
                "EndTxn({}) in state {}",
                if commit { "commit" } else { "abort" },
                state.name()
            ))),
        }
    }

    /// Marks the transaction complete after its markers are written.
    pub fn complete(&mut self, now_ms: i64) {
        self.state = match self.state {
            TxnState::PrepareCommit => TxnState::CompleteCommit,
            _ => TxnState::CompleteAbort,
        };
        self.partitions.clear();
        self.groups.clear();
        self.pending_offsets.clear();
        self.txn_start_ms = -1;
        self.last_update_ms = now_ms;
    }

    /// Whether a new epoch is still available for this producer id (else a new id is needed).
    pub fn can_bump_epoch(&self) -> bool {
        self.producer_epoch < i16::MAX - 1
    }

    /// Whether the open transaction has run longer than its timeout at `now_ms`.
    pub fn timed_out(&self, now_ms: i64) -> bool {
        self.state == TxnState::Ongoing
            && now_ms.saturating_sub(self.txn_start_ms) > i64::from(self.timeout_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tp(p: i32) -> (String, i32) {
        ("t".to_string(), p)
    }

    #[test]
    fn a_transaction_goes_through_its_states() {
        let mut m = TransactionMetadata::new(5, 60_000, 0);
        assert!(matches!(
            m.prepare_end(true),
            Err(BrokerError::InvalidTxnState(_))
        ));
        m.add([tp(0), tp(1)], None, 10).expect("add");
        assert_eq!((m.state, m.txn_start_ms), (TxnState::Ongoing, 10));
        m.add([tp(1)], Some("g"), 20).expect("add");
        assert_eq!(m.partitions.len(), 2);
        assert_eq!(m.txn_start_ms, 10, "the start time is the first add's");
        m.state = m.prepare_end(true).expect("end").expect("state");
        assert_eq!(m.state, TxnState::PrepareCommit);
        assert!(matches!(
            m.add([tp(2)], None, 30),
            Err(BrokerError::ConcurrentTransactions)
        ));
        m.complete(40);
        assert_eq!(m.state, TxnState::CompleteCommit);
        assert!(m.partitions.is_empty() && m.groups.is_empty());
        assert_eq!(m.prepare_end(true).expect("retry"), None);
        assert!(matches!(
            m.prepare_end(false),
            Err(BrokerError::InvalidTxnState(_))
        ));
    }

    #[test]
    fn fencing_and_mapping_errors() {
        let mut m = TransactionMetadata::new(5, 60_000, 0);
        m.producer_epoch = 3;
        assert!(m.check_producer(5, 3, FenceError::ProducerFenced).is_ok());
        assert!(matches!(
            m.check_producer(6, 3, FenceError::ProducerFenced),
            Err(BrokerError::InvalidProducerIdMapping)
        ));
        assert!(matches!(
            m.check_producer(5, 2, FenceError::ProducerFenced),
            Err(BrokerError::ProducerFenced(_))
        ));
        assert!(matches!(
            m.check_producer(5, 2, FenceError::InvalidProducerEpoch),
            Err(BrokerError::InvalidProducerEpoch(_))
        ));
    }

    #[test]
    fn pending_offsets_need_the_group_and_keep_the_latest() {
        let mut m = TransactionMetadata::new(5, 60_000, 0);
        let po = |offset| PendingOffset {
            group: "g".into(),
            topic: "t".into(),
            partition: 0,
            offset,
            leader_epoch: -1,
            metadata: None,
        };
        assert!(matches!(
            m.add_pending_offsets(vec![po(1)], 0),
            Err(BrokerError::InvalidTxnState(_))
        ));
        m.add([], Some("g"), 0).expect("add group");
        m.add_pending_offsets(vec![po(1)], 0).expect("offsets");
        m.add_pending_offsets(vec![po(7)], 0).expect("offsets");
        assert_eq!(m.pending_offsets, vec![po(7)]);
    }

    #[test]
    fn timeouts_count_from_the_transaction_start() {
        let mut m = TransactionMetadata::new(5, 1_000, 0);
        assert!(!m.timed_out(1_000_000), "no open transaction");
        m.add([tp(0)], None, 100).expect("add");
        assert!(!m.timed_out(1_100));
        assert!(m.timed_out(1_101));
    }
}
