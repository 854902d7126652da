//! Kafka's numeric error codes (`Errors.java`): -1 and 0..=128, code 99 unassigned, and 133.

/// A Kafka error code. `ErrorCode::None` (0) means success.
#[repr(i16)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorCode {
    /// `UNKNOWN_SERVER_ERROR` (-1): unexpected server failure (any API)
    UnknownServerError = -1,
    /// `NONE` (0): success
    None = 0,
    /// `OFFSET_OUT_OF_RANGE` (1): Fetch/ListOffsets: offset < log start or > LEO; consumer resets per auto.offset.reset
    OffsetOutOfRange = 1,
    /// `CORRUPT_MESSAGE` (2): Produce: CRC/size/magic invalid
    CorruptMessage = 2,
    /// `UNKNOWN_TOPIC_OR_PARTITION` (3): topic/partition not known (Produce, Fetch, ListOffsets, Metadata when no auto-create)
    UnknownTopicOrPartition = 3,
    /// `INVALID_FETCH_SIZE` (4): legacy fetch-size error
    InvalidFetchSize = 4,
    /// `LEADER_NOT_AVAILABLE` (5): Metadata: topic being created / no leader yet (clients retry)
    LeaderNotAvailable = 5,
    /// `NOT_LEADER_OR_FOLLOWER` (6): wrong broker for partition (Produce/Fetch); clients refresh metadata
    NotLeaderOrFollower = 6,
    /// `REQUEST_TIMED_OUT` (7): Produce acks=-1 timeout; admin ops timeout
    RequestTimedOut = 7,
    /// `BROKER_NOT_AVAILABLE` (8): broker not available
    BrokerNotAvailable = 8,
    /// `REPLICA_NOT_AVAILABLE` (9): replica not available
    ReplicaNotAvailable = 9,
    /// `MESSAGE_TOO_LARGE` (10): Produce: batch > max.message.bytes
    MessageTooLarge = 10,
    /// `STALE_CONTROLLER_EPOCH` (11).
    StaleControllerEpoch = 11,
    /// `OFFSET_METADATA_TOO_LARGE` (12): OffsetCommit: metadata > offset.metadata.max.bytes (4096)
    OffsetMetadataTooLarge = 12,
    /// `NETWORK_EXCEPTION` (13): network
    NetworkException = 13,
    /// `COORDINATOR_LOAD_IN_PROGRESS` (14): group/txn coordinator still loading
    CoordinatorLoadInProgress = 14,
    /// `COORDINATOR_NOT_AVAILABLE` (15): coordinator not available (also group in Dead state)
    CoordinatorNotAvailable = 15,
    /// `NOT_COORDINATOR` (16): request sent to wrong coordinator
    NotCoordinator = 16,
    /// `INVALID_TOPIC_EXCEPTION` (17): illegal topic name, or write to internal topic
    InvalidTopicException = 17,
    /// `RECORD_LIST_TOO_LARGE` (18): Produce: request records too large
    RecordListTooLarge = 18,
    /// `NOT_ENOUGH_REPLICAS` (19): acks=-1 and ISR < min.insync.replicas
    NotEnoughReplicas = 19,
    /// `NOT_ENOUGH_REPLICAS_AFTER_APPEND` (20): ISR shrank after append
    NotEnoughReplicasAfterAppend = 20,
    /// `INVALID_REQUIRED_ACKS` (21): Produce acks not in {-1,0,1}
    InvalidRequiredAcks = 21,
    /// `ILLEGAL_GENERATION` (22): JoinGroup/SyncGroup/Heartbeat/OffsetCommit: stale generation
    IllegalGeneration = 22,
    /// `INCONSISTENT_GROUP_PROTOCOL` (23): JoinGroup: no common protocol / protocol_type mismatch
    InconsistentGroupProtocol = 23,
    /// `INVALID_GROUP_ID` (24): empty/invalid group id
    InvalidGroupId = 24,
    /// `UNKNOWN_MEMBER_ID` (25): member not in group
    UnknownMemberId = 25,
    /// `INVALID_SESSION_TIMEOUT` (26): session timeout outside group.min/max.session.timeout.ms
    InvalidSessionTimeout = 26,
    /// `REBALANCE_IN_PROGRESS` (27): Heartbeat/OffsetCommit/SyncGroup while rebalancing: member must rejoin
    RebalanceInProgress = 27,
    /// `INVALID_COMMIT_OFFSET_SIZE` (28): commit size
    InvalidCommitOffsetSize = 28,
    /// `TOPIC_AUTHORIZATION_FAILED` (29): ACL
    TopicAuthorizationFailed = 29,
    /// `GROUP_AUTHORIZATION_FAILED` (30): ACL
    GroupAuthorizationFailed = 30,
    /// `CLUSTER_AUTHORIZATION_FAILED` (31): ACL
    ClusterAuthorizationFailed = 31,
    /// `INVALID_TIMESTAMP` (32): Produce: timestamp out of range (message.timestamp.*.max.ms)
    InvalidTimestamp = 32,
    /// `UNSUPPORTED_SASL_MECHANISM` (33): SaslHandshake: mechanism not enabled
    UnsupportedSaslMechanism = 33,
    /// `ILLEGAL_SASL_STATE` (34): SASL request out of order
    IllegalSaslState = 34,
    /// `UNSUPPORTED_VERSION` (35): version not supported (ApiVersions: respond with v0 body)
    UnsupportedVersion = 35,
    /// `TOPIC_ALREADY_EXISTS` (36): CreateTopics: exists
    TopicAlreadyExists = 36,
    /// `INVALID_PARTITIONS` (37): CreateTopics/CreatePartitions: bad partition count
    InvalidPartitions = 37,
    /// `INVALID_REPLICATION_FACTOR` (38): replication factor > brokers
    InvalidReplicationFactor = 38,
    /// `INVALID_REPLICA_ASSIGNMENT` (39): bad manual assignment
    InvalidReplicaAssignment = 39,
    /// `INVALID_CONFIG` (40): bad config name/value
    InvalidConfig = 40,
    /// `NOT_CONTROLLER` (41): not controller (admin)
    NotController = 41,
    /// `INVALID_REQUEST` (42): malformed/illegal request
    InvalidRequest = 42,
    /// `UNSUPPORTED_FOR_MESSAGE_FORMAT` (43): feature needs newer message format
    UnsupportedForMessageFormat = 43,
    /// `POLICY_VIOLATION` (44): create/alter policy rejected
    PolicyViolation = 44,
    /// `OUT_OF_ORDER_SEQUENCE_NUMBER` (45): idempotence: sequence gap
    OutOfOrderSequenceNumber = 45,
    /// `DUPLICATE_SEQUENCE_NUMBER` (46): idempotence: duplicate (clients treat as success)
    DuplicateSequenceNumber = 46,
    /// `INVALID_PRODUCER_EPOCH` (47): producer epoch too old (fenced)
    InvalidProducerEpoch = 47,
    /// `INVALID_TXN_STATE` (48): txn op in wrong state
    InvalidTxnState = 48,
    /// `INVALID_PRODUCER_ID_MAPPING` (49): txn id ↔ producer id mismatch
    InvalidProducerIdMapping = 49,
    /// `INVALID_TRANSACTION_TIMEOUT` (50): transaction timeout > transaction.max.timeout.ms
    InvalidTransactionTimeout = 50,
    /// `CONCURRENT_TRANSACTIONS` (51): txn: previous EndTxn still completing, retry
    ConcurrentTransactions = 51,
    /// `TRANSACTION_COORDINATOR_FENCED` (52): txn coordinator fenced
    TransactionCoordinatorFenced = 52,
    /// `TRANSACTIONAL_ID_AUTHORIZATION_FAILED` (53): ACL
    TransactionalIdAuthorizationFailed = 53,
    /// `SECURITY_DISABLED` (54): security disabled
    SecurityDisabled = 54,
    /// `OPERATION_NOT_ATTEMPTED` (55): batched op not attempted because another item failed
    OperationNotAttempted = 55,
    /// `KAFKA_STORAGE_ERROR` (56): disk error
    KafkaStorageError = 56,
    /// `LOG_DIR_NOT_FOUND` (57): log dir not found
    LogDirNotFound = 57,
    /// `SASL_AUTHENTICATION_FAILED` (58): bad SASL credentials
    SaslAuthenticationFailed = 58,
    /// `UNKNOWN_PRODUCER_ID` (59): idempotence: producer id state unknown (expired)
    UnknownProducerId = 59,
    /// `REASSIGNMENT_IN_PROGRESS` (60): reassignment
    ReassignmentInProgress = 60,
    /// `DELEGATION_TOKEN_AUTH_DISABLED` (61).
    DelegationTokenAuthDisabled = 61,
    /// `DELEGATION_TOKEN_NOT_FOUND` (62).
    DelegationTokenNotFound = 62,
    /// `DELEGATION_TOKEN_OWNER_MISMATCH` (63).
    DelegationTokenOwnerMismatch = 63,
    /// `DELEGATION_TOKEN_REQUEST_NOT_ALLOWED` (64).
    DelegationTokenRequestNotAllowed = 64,
    /// `DELEGATION_TOKEN_AUTHORIZATION_FAILED` (65).
    DelegationTokenAuthorizationFailed = 65,
    /// `DELEGATION_TOKEN_EXPIRED` (66).
    DelegationTokenExpired = 66,
    /// `INVALID_PRINCIPAL_TYPE` (67).
    InvalidPrincipalType = 67,
    /// `NON_EMPTY_GROUP` (68): DeleteGroups: group has members
    NonEmptyGroup = 68,
    /// `GROUP_ID_NOT_FOUND` (69): DeleteGroups/DescribeGroups v6: no such group
    GroupIdNotFound = 69,
    /// `FETCH_SESSION_ID_NOT_FOUND` (70): Fetch: session id unknown
    FetchSessionIdNotFound = 70,
    /// `INVALID_FETCH_SESSION_EPOCH` (71): Fetch: wrong session epoch
    InvalidFetchSessionEpoch = 71,
    /// `LISTENER_NOT_FOUND` (72): listener not found
    ListenerNotFound = 72,
    /// `TOPIC_DELETION_DISABLED` (73): topic deletion disabled
    TopicDeletionDisabled = 73,
    /// `FENCED_LEADER_EPOCH` (74): request leader epoch < broker epoch
    FencedLeaderEpoch = 74,
    /// `UNKNOWN_LEADER_EPOCH` (75): request leader epoch > broker epoch
    UnknownLeaderEpoch = 75,
    /// `UNSUPPORTED_COMPRESSION_TYPE` (76): compression not allowed for this request version (zstd on Produce<7 / Fetch<10)
    UnsupportedCompressionType = 76,
    /// `STALE_BROKER_EPOCH` (77): broker epoch
    StaleBrokerEpoch = 77,
    /// `OFFSET_NOT_AVAILABLE` (78): ListOffsets: leader epoch lagging
    OffsetNotAvailable = 78,
    /// `MEMBER_ID_REQUIRED` (79): JoinGroup v4+: first join with empty member id (KIP-394)
    MemberIdRequired = 79,
    /// `PREFERRED_LEADER_NOT_AVAILABLE` (80): preferred leader
    PreferredLeaderNotAvailable = 80,
    /// `GROUP_MAX_SIZE_REACHED` (81): group.max.size reached
    GroupMaxSizeReached = 81,
    /// `FENCED_INSTANCE_ID` (82): static member fenced by a newer instance with same group.instance.id
    FencedInstanceId = 82,
    /// `ELIGIBLE_LEADERS_NOT_AVAILABLE` (83).
    EligibleLeadersNotAvailable = 83,
    /// `ELECTION_NOT_NEEDED` (84).
    ElectionNotNeeded = 84,
    /// `NO_REASSIGNMENT_IN_PROGRESS` (85).
    NoReassignmentInProgress = 85,
    /// `GROUP_SUBSCRIBED_TO_TOPIC` (86): OffsetDelete: group still subscribed
    GroupSubscribedToTopic = 86,
    /// `INVALID_RECORD` (87): Produce: record-level validation failure (e.g. null key on compacted topic)
    InvalidRecord = 87,
    /// `UNSTABLE_OFFSET_COMMIT` (88): OffsetFetch require_stable: pending txn offsets
    UnstableOffsetCommit = 88,
    /// `THROTTLING_QUOTA_EXCEEDED` (89): admin quota
    ThrottlingQuotaExceeded = 89,
    /// `PRODUCER_FENCED` (90): producer fenced (transactional)
    ProducerFenced = 90,
    /// `RESOURCE_NOT_FOUND` (91): resource not found
    ResourceNotFound = 91,
    /// `DUPLICATE_RESOURCE` (92): duplicate resource
    DuplicateResource = 92,
    /// `UNACCEPTABLE_CREDENTIAL` (93): unacceptable SCRAM credential
    UnacceptableCredential = 93,
    /// `INCONSISTENT_VOTER_SET` (94).
    InconsistentVoterSet = 94,
    /// `INVALID_UPDATE_VERSION` (95).
    InvalidUpdateVersion = 95,
    /// `FEATURE_UPDATE_FAILED` (96).
    FeatureUpdateFailed = 96,
    /// `PRINCIPAL_DESERIALIZATION_FAILURE` (97).
    PrincipalDeserializationFailure = 97,
    /// `SNAPSHOT_NOT_FOUND` (98).
    SnapshotNotFound = 98,
    /// `UNKNOWN_TOPIC_ID` (100): topic id unknown (Fetch v13+, Metadata v10+, DeleteTopics v6+)
    UnknownTopicId = 100,
    /// `DUPLICATE_BROKER_REGISTRATION` (101).
    DuplicateBrokerRegistration = 101,
    /// `BROKER_ID_NOT_REGISTERED` (102).
    BrokerIdNotRegistered = 102,
    /// `INCONSISTENT_TOPIC_ID` (103): topic id/name mismatch
    InconsistentTopicId = 103,
    /// `INCONSISTENT_CLUSTER_ID` (104).
    InconsistentClusterId = 104,
    /// `TRANSACTIONAL_ID_NOT_FOUND` (105): txn id not found
    TransactionalIdNotFound = 105,
    /// `FETCH_SESSION_TOPIC_ID_ERROR` (106): fetch session topic id error
    FetchSessionTopicIdError = 106,
    /// `INELIGIBLE_REPLICA` (107).
    IneligibleReplica = 107,
    /// `NEW_LEADER_ELECTED` (108).
    NewLeaderElected = 108,
    /// `OFFSET_MOVED_TO_TIERED_STORAGE` (109).
    OffsetMovedToTieredStorage = 109,
    /// `FENCED_MEMBER_EPOCH` (110): KIP-848: member epoch fenced, rejoin with epoch 0
    FencedMemberEpoch = 110,
    /// `UNRELEASED_INSTANCE_ID` (111): KIP-848: static instance id still in use
    UnreleasedInstanceId = 111,
    /// `UNSUPPORTED_ASSIGNOR` (112): KIP-848: unknown server assignor
    UnsupportedAssignor = 112,
    /// `STALE_MEMBER_EPOCH` (113): KIP-848: stale member epoch (OffsetCommit)
    StaleMemberEpoch = 113,
    /// `MISMATCHED_ENDPOINT_TYPE` (114).
    MismatchedEndpointType = 114,
    /// `UNSUPPORTED_ENDPOINT_TYPE` (115).
    UnsupportedEndpointType = 115,
    /// `UNKNOWN_CONTROLLER_ID` (116).
    UnknownControllerId = 116,
    /// `UNKNOWN_SUBSCRIPTION_ID` (117): telemetry
    UnknownSubscriptionId = 117,
    /// `TELEMETRY_TOO_LARGE` (118).
    TelemetryTooLarge = 118,
    /// `INVALID_REGISTRATION` (119).
    InvalidRegistration = 119,
    /// `TRANSACTION_ABORTABLE` (120): txn must abort (KIP-890)
    TransactionAbortable = 120,
    /// `INVALID_RECORD_STATE` (121).
    InvalidRecordState = 121,
    /// `SHARE_SESSION_NOT_FOUND` (122).
    ShareSessionNotFound = 122,
    /// `INVALID_SHARE_SESSION_EPOCH` (123).
    InvalidShareSessionEpoch = 123,
    /// `FENCED_STATE_EPOCH` (124).
    FencedStateEpoch = 124,
    /// `INVALID_VOTER_KEY` (125).
    InvalidVoterKey = 125,
    /// `DUPLICATE_VOTER` (126).
    DuplicateVoter = 126,
    /// `VOTER_NOT_FOUND` (127).
    VoterNotFound = 127,
    /// `INVALID_REGULAR_EXPRESSION` (128): KIP-848: invalid subscription regex
    InvalidRegularExpression = 128,
    /// `SHARE_SESSION_LIMIT_REACHED` (133): KIP-932: the broker holds its maximum of share
    /// sessions (`group.share.max.share.sessions`)
    ShareSessionLimitReached = 133,
}

impl ErrorCode {
    /// Every error code, in numeric order.
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::UnknownServerError,
        ErrorCode::None,
        ErrorCode::OffsetOutOfRange,
        ErrorCode::CorruptMessage,
        ErrorCode::UnknownTopicOrPartition,
        ErrorCode::InvalidFetchSize,
        ErrorCode::LeaderNotAvailable,
        ErrorCode::NotLeaderOrFollower,
        ErrorCode::RequestTimedOut,
        ErrorCode::BrokerNotAvailable,
        ErrorCode::ReplicaNotAvailable,
        ErrorCode::MessageTooLarge,
        ErrorCode::StaleControllerEpoch,
        ErrorCode::OffsetMetadataTooLarge,
        ErrorCode::NetworkException,
        ErrorCode::CoordinatorLoadInProgress,
        ErrorCode::CoordinatorNotAvailable,
        ErrorCode::NotCoordinator,
        ErrorCode::InvalidTopicException,
        ErrorCode::RecordListTooLarge,
        ErrorCode::NotEnoughReplicas,
        ErrorCode::NotEnoughReplicasAfterAppend,
        ErrorCode::InvalidRequiredAcks,
        ErrorCode::IllegalGeneration,
        ErrorCode::InconsistentGroupProtocol,
        ErrorCode::InvalidGroupId,
        ErrorCode::UnknownMemberId,
        ErrorCode::InvalidSessionTimeout,
        ErrorCode::RebalanceInProgress,
        ErrorCode::InvalidCommitOffsetSize,
        ErrorCode::TopicAuthorizationFailed,
        ErrorCode::GroupAuthorizationFailed,
        ErrorCode::ClusterAuthorizationFailed,
        ErrorCode::InvalidTimestamp,
        ErrorCode::UnsupportedSaslMechanism,
        ErrorCode::IllegalSaslState,
        ErrorCode::UnsupportedVersion,
        ErrorCode::TopicAlreadyExists,
        ErrorCode::InvalidPartitions,
        ErrorCode::InvalidReplicationFactor,
        ErrorCode::InvalidReplicaAssignment,
        ErrorCode::InvalidConfig,
        ErrorCode::NotController,
        ErrorCode::InvalidRequest,
        ErrorCode::UnsupportedForMessageFormat,
        ErrorCode::PolicyViolation,
        ErrorCode::OutOfOrderSequenceNumber,
        ErrorCode::DuplicateSequenceNumber,
        ErrorCode::InvalidProducerEpoch,
        ErrorCode::InvalidTxnState,
        ErrorCode::InvalidProducerIdMapping,
        ErrorCode::InvalidTransactionTimeout,
        ErrorCode::ConcurrentTransactions,
        ErrorCode::TransactionCoordinatorFenced,
        ErrorCode::TransactionalIdAuthorizationFailed,
        ErrorCode::SecurityDisabled,
        ErrorCode::OperationNotAttempted,
        ErrorCode::KafkaStorageError,
        ErrorCode::LogDirNotFound,
        ErrorCode::SaslAuthenticationFailed,
        ErrorCode::UnknownProducerId,
        ErrorCode::ReassignmentInProgress,
        ErrorCode::DelegationTokenAuthDisabled,
        ErrorCode::DelegationTokenNotFound,
        ErrorCode::DelegationTokenOwnerMismatch,
        ErrorCode::DelegationTokenRequestNotAllowed,
        ErrorCode::DelegationTokenAuthorizationFailed,
        ErrorCode::DelegationTokenExpired,
        ErrorCode::InvalidPrincipalType,
        ErrorCode::NonEmptyGroup,
        ErrorCode::GroupIdNotFound,
        ErrorCode::FetchSessionIdNotFound,
        ErrorCode::InvalidFetchSessionEpoch,
        ErrorCode::ListenerNotFound,
        ErrorCode::TopicDeletionDisabled,
        ErrorCode::FencedLeaderEpoch,
        ErrorCode::UnknownLeaderEpoch,
        ErrorCode::UnsupportedCompressionType,
        ErrorCode::StaleBrokerEpoch,
        ErrorCode::OffsetNotAvailable,
        ErrorCode::MemberIdRequired,
        ErrorCode::PreferredLeaderNotAvailable,
        ErrorCode::GroupMaxSizeReached,
        ErrorCode::FencedInstanceId,
        ErrorCode::EligibleLeadersNotAvailable,
        ErrorCode::ElectionNotNeeded,
        ErrorCode::NoReassignmentInProgress,
        ErrorCode::GroupSubscribedToTopic,
        ErrorCode::InvalidRecord,
        ErrorCode::UnstableOffsetCommit,
        ErrorCode::ThrottlingQuotaExceeded,
        ErrorCode::ProducerFenced,
        ErrorCode::ResourceNotFound,
        ErrorCode::DuplicateResource,
        ErrorCode::UnacceptableCredential,
        ErrorCode::InconsistentVoterSet,
        ErrorCode::InvalidUpdateVersion,
        ErrorCode::FeatureUpdateFailed,
        ErrorCode::PrincipalDeserializationFailure,
        ErrorCode::SnapshotNotFound,
        ErrorCode::UnknownTopicId,
        ErrorCode::DuplicateBrokerRegistration,
        ErrorCode::BrokerIdNotRegistered,
        ErrorCode::InconsistentTopicId,
        ErrorCode::InconsistentClusterId,
        ErrorCode::TransactionalIdNotFound,
        ErrorCode::FetchSessionTopicIdError,
        ErrorCode::IneligibleReplica,
        ErrorCode::NewLeaderElected,
        ErrorCode::OffsetMovedToTieredStorage,
        ErrorCode::FencedMemberEpoch,
        ErrorCode::UnreleasedInstanceId,
        ErrorCode::UnsupportedAssignor,
        ErrorCode::StaleMemberEpoch,
        ErrorCode::MismatchedEndpointType,
        ErrorCode::UnsupportedEndpointType,
        ErrorCode::UnknownControllerId,
        ErrorCode::UnknownSubscriptionId,
        ErrorCode::TelemetryTooLarge,
        ErrorCode::InvalidRegistration,
        ErrorCode::TransactionAbortable,
        ErrorCode::InvalidRecordState,
        ErrorCode::ShareSessionNotFound,
        ErrorCode::InvalidShareSessionEpoch,
        ErrorCode::FencedStateEpoch,
        ErrorCode::InvalidVoterKey,
        ErrorCode::DuplicateVoter,
        ErrorCode::VoterNotFound,
        ErrorCode::InvalidRegularExpression,
        ErrorCode::ShareSessionLimitReached,
    ];

    /// The numeric wire code.
    pub fn code(self) -> i16 {
        self as i16
    }

    /// The variant for a numeric code, or `None` if the code is not assigned.
    pub fn from_code(code: i16) -> Option<Self> {
        Some(match code {
            -1 => ErrorCode::UnknownServerError,
            0 => ErrorCode::None,
            1 => ErrorCode::OffsetOutOfRange,
            2 => ErrorCode::CorruptMessage,
            3 => ErrorCode::UnknownTopicOrPartition,
            4 => ErrorCode::InvalidFetchSize,
            5 => ErrorCode::LeaderNotAvailable,
            6 => ErrorCode::NotLeaderOrFollower,
            7 => ErrorCode::RequestTimedOut,
            8 => ErrorCode::BrokerNotAvailable,
            9 => ErrorCode::ReplicaNotAvailable,
            10 => ErrorCode::MessageTooLarge,
            11 => ErrorCode::StaleControllerEpoch,
            12 => ErrorCode::OffsetMetadataTooLarge,
            13 => ErrorCode::NetworkException,
            14 => ErrorCode::CoordinatorLoadInProgress,
            15 => ErrorCode::CoordinatorNotAvailable,
            16 => ErrorCode::NotCoordinator,
            17 => ErrorCode::InvalidTopicException,
            18 => ErrorCode::RecordListTooLarge,
            19 => ErrorCode::NotEnoughReplicas,
            20 => ErrorCode::NotEnoughReplicasAfterAppend,
            21 => ErrorCode::InvalidRequiredAcks,
            22 => ErrorCode::IllegalGeneration,
            23 => ErrorCode::InconsistentGroupProtocol,
            24 => ErrorCode::InvalidGroupId,
            25 => ErrorCode::UnknownMemberId,
            26 => ErrorCode::InvalidSessionTimeout,
            27 => ErrorCode::RebalanceInProgress,
            28 => ErrorCode::InvalidCommitOffsetSize,
            29 => ErrorCode::TopicAuthorizationFailed,
            30 => ErrorCode::GroupAuthorizationFailed,
            31 => ErrorCode::ClusterAuthorizationFailed,
            32 => ErrorCode::InvalidTimestamp,
            33 => ErrorCode::UnsupportedSaslMechanism,
            34 => ErrorCode::IllegalSaslState,
            35 => ErrorCode::UnsupportedVersion,
            36 => ErrorCode::TopicAlreadyExists,
            37 => ErrorCode::InvalidPartitions,
            38 => ErrorCode::InvalidReplicationFactor,
            39 => ErrorCode::InvalidReplicaAssignment,
            40 => ErrorCode::InvalidConfig,
            41 => ErrorCode::NotController,
            42 => ErrorCode::InvalidRequest,
            43 => ErrorCode::UnsupportedForMessageFormat,
            44 => ErrorCode::PolicyViolation,
            45 => ErrorCode::OutOfOrderSequenceNumber,
            46 => ErrorCode::DuplicateSequenceNumber,
            47 => ErrorCode::InvalidProducerEpoch,
            48 => ErrorCode::InvalidTxnState,
            49 => ErrorCode::InvalidProducerIdMapping,
            50 => ErrorCode::InvalidTransactionTimeout,
            51 => ErrorCode::ConcurrentTransactions,
            52 => ErrorCode::TransactionCoordinatorFenced,
            53 => ErrorCode::TransactionalIdAuthorizationFailed,
            54 => ErrorCode::SecurityDisabled,
            55 => ErrorCode::OperationNotAttempted,
            56 => ErrorCode::KafkaStorageError,
            57 => ErrorCode::LogDirNotFound,
            58 => ErrorCode::SaslAuthenticationFailed,
            59 => ErrorCode::UnknownProducerId,
            60 => ErrorCode::ReassignmentInProgress,
            61 => ErrorCode::DelegationTokenAuthDisabled,
            62 => ErrorCode::DelegationTokenNotFound,
            63 => ErrorCode::DelegationTokenOwnerMismatch,
            64 => ErrorCode::DelegationTokenRequestNotAllowed,
            65 => ErrorCode::DelegationTokenAuthorizationFailed,
            66 => ErrorCode::DelegationTokenExpired,
            67 => ErrorCode::InvalidPrincipalType,
            68 => ErrorCode::NonEmptyGroup,
            69 => ErrorCode::GroupIdNotFound,
            70 => ErrorCode::FetchSessionIdNotFound,
            71 => ErrorCode::InvalidFetchSessionEpoch,
            72 => ErrorCode::ListenerNotFound,
            73 => ErrorCode::TopicDeletionDisabled,
            74 => ErrorCode::FencedLeaderEpoch,
            75 => ErrorCode::UnknownLeaderEpoch,
            76 => ErrorCode::UnsupportedCompressionType,
            77 => ErrorCode::StaleBrokerEpoch,
            78 => ErrorCode::OffsetNotAvailable,
            79 => ErrorCode::MemberIdRequired,
            80 => ErrorCode::PreferredLeaderNotAvailable,
            81 => ErrorCode::GroupMaxSizeReached,
            82 => ErrorCode::FencedInstanceId,
            83 => ErrorCode::EligibleLeadersNotAvailable,
            84 => ErrorCode::ElectionNotNeeded,
            85 => ErrorCode::NoReassignmentInProgress,
            86 => ErrorCode::GroupSubscribedToTopic,
            87 => ErrorCode::InvalidRecord,
            88 => ErrorCode::UnstableOffsetCommit,
            89 => ErrorCode::ThrottlingQuotaExceeded,
            90 => ErrorCode::ProducerFenced,
            91 => ErrorCode::ResourceNotFound,
            92 => ErrorCode::DuplicateResource,
            93 => ErrorCode::UnacceptableCredential,
            94 => ErrorCode::InconsistentVoterSet,
            95 => ErrorCode::InvalidUpdateVersion,
            96 => ErrorCode::FeatureUpdateFailed,
            97 => ErrorCode::PrincipalDeserializationFailure,
            98 => ErrorCode::SnapshotNotFound,
            100 => ErrorCode::UnknownTopicId,
            101 => ErrorCode::DuplicateBrokerRegistration,
            102 => ErrorCode::BrokerIdNotRegistered,
            103 => ErrorCode::InconsistentTopicId,
            104 => ErrorCode::InconsistentClusterId,
            105 => ErrorCode::TransactionalIdNotFound,
            106 => ErrorCode::FetchSessionTopicIdError,
            107 => ErrorCode::IneligibleReplica,
            108 => ErrorCode::NewLeaderElected,
            109 => ErrorCode::OffsetMovedToTieredStorage,
            110 => ErrorCode::FencedMemberEpoch,
            111 => ErrorCode::UnreleasedInstanceId,
            112 => ErrorCode::UnsupportedAssignor,
            113 => ErrorCode::StaleMemberEpoch,
            114 => ErrorCode::MismatchedEndpointType,
            115 => ErrorCode::UnsupportedEndpointType,
            116 => ErrorCode::UnknownControllerId,
            117 => ErrorCode::UnknownSubscriptionId,
            118 => ErrorCode::TelemetryTooLarge,
            119 => ErrorCode::InvalidRegistration,
            120 => ErrorCode::TransactionAbortable,
            121 => ErrorCode::InvalidRecordState,
            122 => ErrorCode::ShareSessionNotFound,
            123 => ErrorCode::InvalidShareSessionEpoch,
            124 => ErrorCode::FencedStateEpoch,
            125 => ErrorCode::InvalidVoterKey,
            126 => ErrorCode::DuplicateVoter,
            127 => ErrorCode::VoterNotFound,
            128 => ErrorCode::InvalidRegularExpression,
            133 => ErrorCode::ShareSessionLimitReached,
            _ => return None,
        })
    }

    /// Whether Java clients treat the error as retriable (`RetriableException`).
    pub fn is_retriable(self) -> bool {
        matches!(
            self,
            ErrorCode::CorruptMessage
                | ErrorCode::UnknownTopicOrPartition
                | ErrorCode::LeaderNotAvailable
                | ErrorCode::NotLeaderOrFollower
                | ErrorCode::RequestTimedOut
                | ErrorCode::ReplicaNotAvailable
                | ErrorCode::NetworkException
                | ErrorCode::CoordinatorLoadInProgress
                | ErrorCode::CoordinatorNotAvailable
                | ErrorCode::NotCoordinator
                | ErrorCode::NotEnoughReplicas
                | ErrorCode::NotEnoughReplicasAfterAppend
                | ErrorCode::NotController
                | ErrorCode::ConcurrentTransactions
                | ErrorCode::KafkaStorageError
                | ErrorCode::FetchSessionIdNotFound
                | ErrorCode::InvalidFetchSessionEpoch
                | ErrorCode::ListenerNotFound
                | ErrorCode::FencedLeaderEpoch
                | ErrorCode::UnknownLeaderEpoch
                | ErrorCode::OffsetNotAvailable
                | ErrorCode::PreferredLeaderNotAvailable
                | ErrorCode::EligibleLeadersNotAvailable
                | ErrorCode::ElectionNotNeeded
                | ErrorCode::UnstableOffsetCommit
                | ErrorCode::ThrottlingQuotaExceeded
                | ErrorCode::UnknownTopicId
                | ErrorCode::InconsistentTopicId
                | ErrorCode::FetchSessionTopicIdError
                | ErrorCode::ShareSessionNotFound
                | ErrorCode::InvalidShareSessionEpoch
                | ErrorCode::ShareSessionLimitReached
        )
    }

    /// Kafka's upper-case name, e.g. `"NOT_LEADER_OR_FOLLOWER"`.
    pub fn name(self) -> &'static str {
        match self {
            ErrorCode::UnknownServerError => "UNKNOWN_SERVER_ERROR",
            ErrorCode::None => "NONE",
            ErrorCode::OffsetOutOfRange => "OFFSET_OUT_OF_RANGE",
            ErrorCode::CorruptMessage => "CORRUPT_MESSAGE",
            ErrorCode::UnknownTopicOrPartition => "UNKNOWN_TOPIC_OR_PARTITION",
            ErrorCode::InvalidFetchSize => "INVALID_FETCH_SIZE",
            ErrorCode::LeaderNotAvailable => "LEADER_NOT_AVAILABLE",
            ErrorCode::NotLeaderOrFollower => "NOT_LEADER_OR_FOLLOWER",
            ErrorCode::RequestTimedOut => "REQUEST_TIMED_OUT",
            ErrorCode::BrokerNotAvailable => "BROKER_NOT_AVAILABLE",
            ErrorCode::ReplicaNotAvailable => "REPLICA_NOT_AVAILABLE",
            ErrorCode::MessageTooLarge => "MESSAGE_TOO_LARGE",
            ErrorCode::StaleControllerEpoch => "STALE_CONTROLLER_EPOCH",
            ErrorCode::OffsetMetadataTooLarge => "OFFSET_METADATA_TOO_LARGE",
            ErrorCode::NetworkException => "NETWORK_EXCEPTION",
            ErrorCode::CoordinatorLoadInProgress => "COORDINATOR_LOAD_IN_PROGRESS",
            ErrorCode::CoordinatorNotAvailable => "COORDINATOR_NOT_AVAILABLE",
            ErrorCode::NotCoordinator => "NOT_COORDINATOR",
            ErrorCode::InvalidTopicException => "INVALID_TOPIC_EXCEPTION",
            ErrorCode::RecordListTooLarge => "RECORD_LIST_TOO_LARGE",
            ErrorCode::NotEnoughReplicas => "NOT_ENOUGH_REPLICAS",
            ErrorCode::NotEnoughReplicasAfterAppend => "NOT_ENOUGH_REPLICAS_AFTER_APPEND",
            ErrorCode::InvalidRequiredAcks => "INVALID_REQUIRED_ACKS",
            ErrorCode::IllegalGeneration => "ILLEGAL_GENERATION",
            ErrorCode::InconsistentGroupProtocol => "INCONSISTENT_GROUP_PROTOCOL",
            ErrorCode::InvalidGroupId => "INVALID_GROUP_ID",
            ErrorCode::UnknownMemberId => "UNKNOWN_MEMBER_ID",
            ErrorCode::InvalidSessionTimeout => "INVALID_SESSION_TIMEOUT",
            ErrorCode::RebalanceInProgress => "REBALANCE_IN_PROGRESS",
            ErrorCode::InvalidCommitOffsetSize => "INVALID_COMMIT_OFFSET_SIZE",
            ErrorCode::TopicAuthorizationFailed => "TOPIC_AUTHORIZATION_FAILED",
            ErrorCode::GroupAuthorizationFailed => "GROUP_AUTHORIZATION_FAILED",
            ErrorCode::ClusterAuthorizationFailed => "CLUSTER_AUTHORIZATION_FAILED",
            ErrorCode::InvalidTimestamp => "INVALID_TIMESTAMP",
            ErrorCode::UnsupportedSaslMechanism => "UNSUPPORTED_SASL_MECHANISM",
            ErrorCode::IllegalSaslState => "ILLEGAL_SASL_STATE",
            ErrorCode::UnsupportedVersion => "UNSUPPORTED_VERSION",
            ErrorCode::TopicAlreadyExists => "TOPIC_ALREADY_EXISTS",
            ErrorCode::InvalidPartitions => "INVALID_PARTITIONS",
            ErrorCode::InvalidReplicationFactor => "INVALID_REPLICATION_FACTOR",
            ErrorCode::InvalidReplicaAssignment => "INVALID_REPLICA_ASSIGNMENT",
            ErrorCode::InvalidConfig => "INVALID_CONFIG",
            ErrorCode::NotController => "NOT_CONTROLLER",
            ErrorCode::InvalidRequest => "INVALID_REQUEST",
            ErrorCode::UnsupportedForMessageFormat => "UNSUPPORTED_FOR_MESSAGE_FORMAT",
            ErrorCode::PolicyViolation => "POLICY_VIOLATION",
            ErrorCode::OutOfOrderSequenceNumber => "OUT_OF_ORDER_SEQUENCE_NUMBER",
            ErrorCode::DuplicateSequenceNumber => "DUPLICATE_SEQUENCE_NUMBER",
            ErrorCode::InvalidProducerEpoch => "INVALID_PRODUCER_EPOCH",
            ErrorCode::InvalidTxnState => "INVALID_TXN_STATE",
            ErrorCode::InvalidProducerIdMapping => "INVALID_PRODUCER_ID_MAPPING",
            ErrorCode::InvalidTransactionTimeout => "INVALID_TRANSACTION_TIMEOUT",
            ErrorCode::ConcurrentTransactions => "CONCURRENT_TRANSACTIONS",
            ErrorCode::TransactionCoordinatorFenced => "TRANSACTION_COORDINATOR_FENCED",
            ErrorCode::TransactionalIdAuthorizationFailed => {
                "TRANSACTIONAL_ID_AUTHORIZATION_FAILED"
            }
            ErrorCode::SecurityDisabled => "SECURITY_DISABLED",
            ErrorCode::OperationNotAttempted => "OPERATION_NOT_ATTEMPTED",
            ErrorCode::KafkaStorageError => "KAFKA_STORAGE_ERROR",
            ErrorCode::LogDirNotFound => "LOG_DIR_NOT_FOUND",
            ErrorCode::SaslAuthenticationFailed => "SASL_AUTHENTICATION_FAILED",
            ErrorCode::UnknownProducerId => "UNKNOWN_PRODUCER_ID",
            ErrorCode::ReassignmentInProgress => "REASSIGNMENT_IN_PROGRESS",
            ErrorCode::DelegationTokenAuthDisabled => "DELEGATION_TOKEN_AUTH_DISABLED",
            ErrorCode::DelegationTokenNotFound => "DELEGATION_TOKEN_NOT_FOUND",
            ErrorCode::DelegationTokenOwnerMismatch => "DELEGATION_TOKEN_OWNER_MISMATCH",
            ErrorCode::DelegationTokenRequestNotAllowed => "DELEGATION_TOKEN_REQUEST_NOT_ALLOWED",
            ErrorCode::DelegationTokenAuthorizationFailed => {
                "DELEGATION_TOKEN_AUTHORIZATION_FAILED"
            }
            ErrorCode::DelegationTokenExpired => "DELEGATION_TOKEN_EXPIRED",
            ErrorCode::InvalidPrincipalType => "INVALID_PRINCIPAL_TYPE",
            ErrorCode::NonEmptyGroup => "NON_EMPTY_GROUP",
            ErrorCode::GroupIdNotFound => "GROUP_ID_NOT_FOUND",
            ErrorCode::FetchSessionIdNotFound => "FETCH_SESSION_ID_NOT_FOUND",
            ErrorCode::InvalidFetchSessionEpoch => "INVALID_FETCH_SESSION_EPOCH",
            ErrorCode::ListenerNotFound => "LISTENER_NOT_FOUND",
            ErrorCode::TopicDeletionDisabled => "TOPIC_DELETION_DISABLED",
            ErrorCode::FencedLeaderEpoch => "FENCED_LEADER_EPOCH",
            ErrorCode::UnknownLeaderEpoch => "UNKNOWN_LEADER_EPOCH",
            ErrorCode::UnsupportedCompressionType => "UNSUPPORTED_COMPRESSION_TYPE",
            ErrorCode::StaleBrokerEpoch => "STALE_BROKER_EPOCH",
            ErrorCode::OffsetNotAvailable => "OFFSET_NOT_AVAILABLE",
            ErrorCode::MemberIdRequired => "MEMBER_ID_REQUIRED",
            ErrorCode::PreferredLeaderNotAvailable => "PREFERRED_LEADER_NOT_AVAILABLE",
            ErrorCode::GroupMaxSizeReached => "GROUP_MAX_SIZE_REACHED",
            ErrorCode::FencedInstanceId => "FENCED_INSTANCE_ID",
            ErrorCode::EligibleLeadersNotAvailable => "ELIGIBLE_LEADERS_NOT_AVAILABLE",
            ErrorCode::ElectionNotNeeded => "ELECTION_NOT_NEEDED",
            ErrorCode::NoReassignmentInProgress => "NO_REASSIGNMENT_IN_PROGRESS",
            ErrorCode::GroupSubscribedToTopic => "GROUP_SUBSCRIBED_TO_TOPIC",
            ErrorCode::InvalidRecord => "INVALID_RECORD",
            ErrorCode::UnstableOffsetCommit => "UNSTABLE_OFFSET_COMMIT",
            ErrorCode::ThrottlingQuotaExceeded => "THROTTLING_QUOTA_EXCEEDED",
            ErrorCode::ProducerFenced => "PRODUCER_FENCED",
            ErrorCode::ResourceNotFound => "RESOURCE_NOT_FOUND",
            ErrorCode::DuplicateResource => "DUPLICATE_RESOURCE",
            ErrorCode::UnacceptableCredential => "UNACCEPTABLE_CREDENTIAL",
            ErrorCode::InconsistentVoterSet => "INCONSISTENT_VOTER_SET",
            ErrorCode::InvalidUpdateVersion => "INVALID_UPDATE_VERSION",
            ErrorCode::FeatureUpdateFailed => "FEATURE_UPDATE_FAILED",
            ErrorCode::PrincipalDeserializationFailure => "PRINCIPAL_DESERIALIZATION_FAILURE",
            ErrorCode::SnapshotNotFound => "SNAPSHOT_NOT_FOUND",
            ErrorCode::UnknownTopicId => "UNKNOWN_TOPIC_ID",
            ErrorCode::DuplicateBrokerRegistration => "DUPLICATE_BROKER_REGISTRATION",
            ErrorCode::BrokerIdNotRegistered => "BROKER_ID_NOT_REGISTERED",
            ErrorCode::InconsistentTopicId => "INCONSISTENT_TOPIC_ID",
            ErrorCode::InconsistentClusterId => "INCONSISTENT_CLUSTER_ID",
            ErrorCode::TransactionalIdNotFound => "TRANSACTIONAL_ID_NOT_FOUND",
            ErrorCode::FetchSessionTopicIdError => "FETCH_SESSION_TOPIC_ID_ERROR",
            ErrorCode::IneligibleReplica => "INELIGIBLE_REPLICA",
            ErrorCode::NewLeaderElected => "NEW_LEADER_ELECTED",
            ErrorCode::OffsetMovedToTieredStorage => "OFFSET_MOVED_TO_TIERED_STORAGE",
            ErrorCode::FencedMemberEpoch => "FENCED_MEMBER_EPOCH",
            ErrorCode::UnreleasedInstanceId => "UNRELEASED_INSTANCE_ID",
            ErrorCode::UnsupportedAssignor => "UNSUPPORTED_ASSIGNOR",
            ErrorCode::StaleMemberEpoch => "STALE_MEMBER_EPOCH",
            ErrorCode::MismatchedEndpointType => "MISMATCHED_ENDPOINT_TYPE",
            ErrorCode::UnsupportedEndpointType => "UNSUPPORTED_ENDPOINT_TYPE",
            ErrorCode::UnknownControllerId => "UNKNOWN_CONTROLLER_ID",
            ErrorCode::UnknownSubscriptionId => "UNKNOWN_SUBSCRIPTION_ID",
            ErrorCode::TelemetryTooLarge => "TELEMETRY_TOO_LARGE",
            ErrorCode::InvalidRegistration => "INVALID_REGISTRATION",
            ErrorCode::TransactionAbortable => "TRANSACTION_ABORTABLE",
            ErrorCode::InvalidRecordState => "INVALID_RECORD_STATE",
            ErrorCode::ShareSessionNotFound => "SHARE_SESSION_NOT_FOUND",
            ErrorCode::InvalidShareSessionEpoch => "INVALID_SHARE_SESSION_EPOCH",
            ErrorCode::FencedStateEpoch => "FENCED_STATE_EPOCH",
            ErrorCode::InvalidVoterKey => "INVALID_VOTER_KEY",
            ErrorCode::DuplicateVoter => "DUPLICATE_VOTER",
            ErrorCode::VoterNotFound => "VOTER_NOT_FOUND",
            ErrorCode::InvalidRegularExpression => "INVALID_REGULAR_EXPRESSION",
            ErrorCode::ShareSessionLimitReached => "SHARE_SESSION_LIMIT_REACHED",
        }
    }
}

impl From<ErrorCode> for i16 {
    fn from(e: ErrorCode) -> i16 {
        e.code()
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.name(), self.code())
    }
}
