//! The broker's typed errors and their one mapping to Kafka error codes.
//!
//! Handlers return [`BrokerError`] for anything that goes wrong with a partition or topic;
//! [`BrokerError::code`] is the only place that decides which Kafka error code a client sees.

use kalfka_protocol::error_code::ErrorCode;
use kalfka_protocol::records::RecordsError;

use crate::log::LogError;

/// Something a request asked for that the broker could not do.
#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    /// The topic or partition does not exist.
    #[error("unknown topic or partition")]
    UnknownTopicOrPartition,
    /// No topic has this id.
    #[error("unknown topic id")]
    UnknownTopicId,
    /// The topic name breaks Kafka's naming rules.
    #[error("invalid topic name: {0}")]
    InvalidTopic(String),
    /// A topic of that name exists already.
    #[error("topic {0} already exists")]
    TopicAlreadyExists(String),
    /// A partition count below 1 (other than -1, "broker default").
    #[error("invalid partition count {0}")]
    InvalidPartitions(i32),
    /// CreatePartitions asked for no more partitions than the topic has.
    #[error("topic {topic} has {current} partitions; the new count {requested} must be larger")]
    PartitionCountNotIncreasing {
        /// The topic.
        topic: String,
        /// Its partition count.
        current: i32,
        /// The requested count.
        requested: i32,
    },
    /// Creating these partitions would take the broker past `--max-partitions`.
    #[error("{requested} more partitions would exceed the broker's limit of {limit} (it has {current}; see --max-partitions)")]
    PartitionLimit {
        /// Partitions asked for.
        requested: usize,
        /// Partitions the broker has.
        current: usize,
        /// The limit.
        limit: usize,
    },
    /// A request the broker's policy refuses (e.g. replica assignments on one node).
    #[error("policy violation: {0}")]
    PolicyViolation(String),
    /// A replication factor this single-node broker cannot satisfy.
    #[error("replication factor {0} cannot be reached: only 1 broker is registered")]
    InvalidReplicationFactor(i16),
    /// A topic config name or value Kafka would reject.
    #[error("invalid config: {0}")]
    InvalidConfig(String),
    /// A request whose fields contradict each other.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// A manual replica assignment Kafka refuses (unknown broker, wrong count).
    #[error("invalid replica assignment: {0}")]
    InvalidReplicaAssignment(String),
    /// A record batch larger than the topic's `max.message.bytes`.
    #[error("record batch of {size} bytes exceeds max.message.bytes {max}")]
    MessageTooLarge {
        /// Size of the rejected batch.
        size: usize,
        /// The topic's limit.
        max: usize,
    },
    /// A record batch that failed validation (CRC, lengths, magic).
    #[error("corrupt record batch: {0}")]
    CorruptMessage(#[from] RecordsError),
    /// A batch in a format this version of the protocol may not carry.
    #[error("unsupported compression type for this request version")]
    UnsupportedCompressionType,
    /// A feature that exists in the protocol version but is not served.
    #[error("unsupported version: {0}")]
    UnsupportedVersion(&'static str),
    /// A fetch or read outside [log start, log end].
    #[error("offset {offset} is out of range [{start}, {end}]")]
    OffsetOutOfRange {
        /// Requested offset.
        offset: i64,
        /// Log start offset.
        start: i64,
        /// Log end offset.
        end: i64,
    },
    /// The client believes in a newer leader epoch than ours.
    #[error("unknown leader epoch")]
    UnknownLeaderEpoch,
    /// `acks` other than -1, 0 or 1.
    #[error("invalid required acks {0}")]
    InvalidRequiredAcks(i16),
    /// Disk trouble while reading or writing a log.
    #[error("storage error: {0}")]
    Storage(String),
    /// A topic declared for start-up (`--create-topic`) that the broker refuses; stops the start.
    #[error("{0}")]
    StartupTopic(String),
    /// The group does not know this member id.
    #[error("unknown member id")]
    UnknownMemberId,
    /// The request names a generation other than the group's current one.
    #[error("illegal generation")]
    IllegalGeneration,
    /// The group is rebalancing; the member must rejoin.
    #[error("rebalance in progress")]
    RebalanceInProgress,
    /// A new member must rejoin with the member id the coordinator assigned (KIP-394).
    #[error("member id required")]
    MemberIdRequired,
    /// Session timeout outside the broker's allowed range.
    #[error("invalid session timeout {0} ms")]
    InvalidSessionTimeout(i32),
    /// Another member took over this static instance id (KIP-345).
    #[error("fenced instance id")]
    FencedInstanceId,
    /// The group does not exist.
    #[error("group id not found")]
    GroupIdNotFound,
    /// The group still has members.
    #[error("group is not empty")]
    NonEmptyGroup,
    /// Empty or otherwise unusable group id.
    #[error("invalid group id")]
    InvalidGroupId,
    /// Protocol type or assignors incompatible with the group's.
    #[error("inconsistent group protocol")]
    InconsistentGroupProtocol,
    /// The coordinator cannot serve this key (e.g. transactions, not implemented).
    #[error("coordinator not available")]
    CoordinatorNotAvailable,
    /// Offset commit metadata longer than allowed.
    #[error("offset metadata too large")]
    OffsetMetadataTooLarge,
    /// OffsetDelete on a topic a live member subscribes to.
    #[error("group is subscribed to the topic")]
    GroupSubscribedToTopic,
    /// A record the topic does not accept (e.g. no key on a compacted topic).
    #[error("invalid record: {0}")]
    InvalidRecord(String),
    /// A consumer-protocol member's epoch is not the one the coordinator knows (KIP-848).
    #[error("fenced member epoch")]
    FencedMemberEpoch,
    /// A commit or fetch with a member epoch other than the member's current one (KIP-848).
    #[error("stale member epoch")]
    StaleMemberEpoch,
    /// A static instance id still held by a member that has not left (KIP-848).
    #[error("unreleased instance id")]
    UnreleasedInstanceId,
    /// A `group.remote.assignor` the broker does not run.
    #[error("unsupported assignor {0}")]
    UnsupportedAssignor(String),
    /// A subscription regex that does not compile.
    #[error("invalid regular expression: {0}")]
    InvalidRegularExpression(String),
    /// A produce whose producer epoch is older than the one the partition knows.
    #[error("invalid producer epoch: {0}")]
    InvalidProducerEpoch(String),
    /// A produce whose sequence number does not continue the producer's sequence.
    #[error("out of order sequence number: {0}")]
    OutOfOrderSequence(String),
    /// A transactional request from a producer whose epoch was superseded (another instance
    /// with the same transactional id, or a broker-side abort).
    #[error("producer fenced: {0}")]
    ProducerFenced(String),
    /// The producer id does not belong to the transactional id.
    #[error("the producer id is not the one of this transactional id")]
    InvalidProducerIdMapping,
    /// The previous transaction is still completing; retriable.
    #[error("the previous transaction is still completing")]
    ConcurrentTransactions,
    /// A transactional request that the transaction's state does not allow.
    #[error("invalid transaction state: {0}")]
    InvalidTxnState(String),
    /// `transaction.timeout.ms` outside `1..=transaction.max.timeout.ms`.
    #[error("transaction timeout {0} ms is not allowed")]
    InvalidTransactionTimeout(i32),
    /// No transaction state exists for the transactional id.
    #[error("unknown transactional id")]
    TransactionalIdNotFound,
    /// A share-group acknowledgement of records the member does not hold (not acquired by
    /// it, already acknowledged, or outside the in-flight window).
    #[error("invalid record state: {0}")]
    InvalidRecordState(String),
    /// A ShareFetch or ShareAcknowledge naming a share session that does not exist.
    #[error("share session not found")]
    ShareSessionNotFound,
    /// A share session epoch other than the one the session expects.
    #[error("invalid share session epoch")]
    InvalidShareSessionEpoch,
    /// A new share session while the broker holds `group.share.max.share.sessions` already.
    #[error("the limit of share sessions has been reached")]
    ShareSessionLimitReached,
    /// The group id belongs to a group of another type.
    #[error("group {0} is not a share group")]
    InvalidGroupType(String),
}

impl BrokerError {
    /// The Kafka error code a client is given for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            BrokerError::UnknownTopicOrPartition => ErrorCode::UnknownTopicOrPartition,
            BrokerError::UnknownTopicId => ErrorCode::UnknownTopicId,
            BrokerError::InvalidTopic(_) => ErrorCode::InvalidTopicException,
            BrokerError::TopicAlreadyExists(_) => ErrorCode::TopicAlreadyExists,
            BrokerError::InvalidPartitions(_) => ErrorCode::InvalidPartitions,
            BrokerError::PartitionCountNotIncreasing { .. } => ErrorCode::InvalidPartitions,
            BrokerError::PolicyViolation(_) => ErrorCode::PolicyViolation,
            BrokerError::InvalidReplicaAssignment(_) => ErrorCode::InvalidReplicaAssignment,
            BrokerError::PartitionLimit { .. } => ErrorCode::PolicyViolation,
            BrokerError::InvalidReplicationFactor(_) => ErrorCode::InvalidReplicationFactor,
            BrokerError::InvalidConfig(_) => ErrorCode::InvalidConfig,
            BrokerError::InvalidRequest(_) => ErrorCode::InvalidRequest,
            BrokerError::MessageTooLarge { .. } => ErrorCode::MessageTooLarge,
            // Kafka: a CRC or framing error is a CorruptRecordException; a batch whose records
            // do not match its header, or do not decode, an InvalidRecordException.
            BrokerError::CorruptMessage(
                RecordsError::InvalidRecordCount
                | RecordsError::InvalidRecord(_)
                | RecordsError::Decompress(_),
            ) => ErrorCode::InvalidRecord,
            BrokerError::CorruptMessage(_) => ErrorCode::CorruptMessage,
            BrokerError::UnsupportedCompressionType => ErrorCode::UnsupportedCompressionType,
            BrokerError::UnsupportedVersion(_) => ErrorCode::UnsupportedVersion,
            BrokerError::OffsetOutOfRange { .. } => ErrorCode::OffsetOutOfRange,
            BrokerError::UnknownLeaderEpoch => ErrorCode::UnknownLeaderEpoch,
            BrokerError::InvalidRequiredAcks(_) => ErrorCode::InvalidRequiredAcks,
            BrokerError::Storage(_) => ErrorCode::KafkaStorageError,
            BrokerError::StartupTopic(_) => ErrorCode::InvalidConfig,
            BrokerError::UnknownMemberId => ErrorCode::UnknownMemberId,
            BrokerError::IllegalGeneration => ErrorCode::IllegalGeneration,
            BrokerError::RebalanceInProgress => ErrorCode::RebalanceInProgress,
            BrokerError::MemberIdRequired => ErrorCode::MemberIdRequired,
            BrokerError::InvalidSessionTimeout(_) => ErrorCode::InvalidSessionTimeout,
            BrokerError::FencedInstanceId => ErrorCode::FencedInstanceId,
            BrokerError::GroupIdNotFound => ErrorCode::GroupIdNotFound,
            BrokerError::NonEmptyGroup => ErrorCode::NonEmptyGroup,
            BrokerError::InvalidGroupId => ErrorCode::InvalidGroupId,
            BrokerError::InconsistentGroupProtocol => ErrorCode::InconsistentGroupProtocol,
            BrokerError::CoordinatorNotAvailable => ErrorCode::CoordinatorNotAvailable,
            BrokerError::OffsetMetadataTooLarge => ErrorCode::OffsetMetadataTooLarge,
            BrokerError::GroupSubscribedToTopic => ErrorCode::GroupSubscribedToTopic,
            BrokerError::InvalidRecord(_) => ErrorCode::InvalidRecord,
            BrokerError::FencedMemberEpoch => ErrorCode::FencedMemberEpoch,
            BrokerError::StaleMemberEpoch => ErrorCode::StaleMemberEpoch,
            BrokerError::UnreleasedInstanceId => ErrorCode::UnreleasedInstanceId,
            BrokerError::UnsupportedAssignor(_) => ErrorCode::UnsupportedAssignor,
            BrokerError::InvalidRegularExpression(_) => ErrorCode::InvalidRegularExpression,
            BrokerError::InvalidProducerEpoch(_) => ErrorCode::InvalidProducerEpoch,
            BrokerError::OutOfOrderSequence(_) => ErrorCode::OutOfOrderSequenceNumber,
            BrokerError::ProducerFenced(_) => ErrorCode::ProducerFenced,
            BrokerError::InvalidProducerIdMapping => ErrorCode::InvalidProducerIdMapping,
            BrokerError::ConcurrentTransactions => ErrorCode::ConcurrentTransactions,
            BrokerError::InvalidTxnState(_) => ErrorCode::InvalidTxnState,
            BrokerError::InvalidTransactionTimeout(_) => ErrorCode::InvalidTransactionTimeout,
            BrokerError::TransactionalIdNotFound => ErrorCode::TransactionalIdNotFound,
            BrokerError::InvalidRecordState(_) => ErrorCode::InvalidRecordState,
            BrokerError::ShareSessionNotFound => ErrorCode::ShareSessionNotFound,
            BrokerError::InvalidShareSessionEpoch => ErrorCode::InvalidShareSessionEpoch,
            BrokerError::ShareSessionLimitReached => ErrorCode::ShareSessionLimitReached,
            BrokerError::InvalidGroupType(_) => ErrorCode::GroupIdNotFound,
        }
    }

    /// The numeric code, as it goes on the wire.
    pub fn code_i16(&self) -> i16 {
        self.code().code()
    }
}

impl From<crate::log::producer_state::SequenceError> for BrokerError {
    fn from(e: crate::log::producer_state::SequenceError) -> Self {
        use crate::log::producer_state::SequenceError;
        match e {
            SequenceError::InvalidProducerEpoch { .. } => {
                BrokerError::InvalidProducerEpoch(e.to_string())
            }
            SequenceError::OutOfOrderSequence { .. } => {
                BrokerError::OutOfOrderSequence(e.to_string())
            }
        }
    }
}

impl From<LogError> for BrokerError {
    fn from(e: LogError) -> Self {
        match e {
            LogError::OffsetOutOfRange { offset, start, end } => {
                BrokerError::OffsetOutOfRange { offset, start, end }
            }
            other => BrokerError::Storage(other.to_string()),
        }
    }
}
