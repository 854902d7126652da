//! What a group's held requests carry: JoinGroup parameters and outcomes, SyncGroup outcomes.

use bytes::Bytes;
use tokio::sync::oneshot;

use crate::error::BrokerError;

/// One member's view of a JoinGroup answer.
#[derive(Debug, Clone, Default)]
pub struct JoinOutcome {
    /// Error, if the join failed (MEMBER_ID_REQUIRED carries `member_id`).
    pub error: Option<ErrorKind>,
    /// Generation joined (-1 on error).
    pub generation: i32,
    /// The group's protocol type.
    pub protocol_type: Option<String>,
    /// The chosen assignor.
    pub protocol_name: Option<String>,
    /// The leader's member id.
    pub leader: String,
    /// Whether the leader may skip computing an assignment (static leader rejoin, v9+).
    pub skip_assignment: bool,
    /// This member's id.
    pub member_id: String,
    /// Every member with its metadata (leader only).
    pub members: Vec<(String, Option<String>, Bytes)>,
}

/// Group errors that travel through held requests (`BrokerError` is not `Clone`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// UNKNOWN_MEMBER_ID.
    UnknownMemberId,
    /// MEMBER_ID_REQUIRED.
    MemberIdRequired,
    /// REBALANCE_IN_PROGRESS.
    RebalanceInProgress,
    /// FENCED_INSTANCE_ID.
    FencedInstanceId,
}

impl From<ErrorKind> for BrokerError {
    fn from(k: ErrorKind) -> Self {
        match k {
            ErrorKind::UnknownMemberId => BrokerError::UnknownMemberId,
            ErrorKind::MemberIdRequired => BrokerError::MemberIdRequired,
            ErrorKind::RebalanceInProgress => BrokerError::RebalanceInProgress,
            ErrorKind::FencedInstanceId => BrokerError::FencedInstanceId,
        }
    }
}

/// A SyncGroup answer: the member's assignment or an error.
pub type SyncOutcome = Result<Bytes, ErrorKind>;

/// What a JoinGroup asks for.
#[derive(Debug, Clone)]
pub struct JoinParams {
    /// Member id sent ("" for a new member).
    pub member_id: String,
    /// Static instance id (KIP-345).
    pub instance_id: Option<String>,
    /// The client's id, used for new member ids and DescribeGroups.
    pub client_id: String,
    /// The client's host (`/ip`), for DescribeGroups.
    pub client_host: String,
    /// Session timeout in ms.
    pub session_timeout_ms: i32,
    /// Rebalance timeout in ms.
    pub rebalance_timeout_ms: i32,
    /// Protocol type ("consumer").
    pub protocol_type: String,
    /// Assignors with their metadata, in preference order.
    pub protocols: Vec<(String, Bytes)>,
    /// Whether the request version requires MEMBER_ID_REQUIRED for new dynamic members (v4+).
    pub require_known_member_id: bool,
}

/// The immediate result of a join or sync: an answer now, or one to wait for.
#[derive(Debug)]
pub enum Pending<T> {
    /// Answered at once.
    Done(T),
    /// Answered when the rebalance progresses.
    Wait(oneshot::Receiver<T>),
}
