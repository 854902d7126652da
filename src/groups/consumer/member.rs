//! One member of a consumer-protocol group, as the coordinator tracks it.

use std::collections::BTreeSet;

use regex::Regex;
use tokio::time::{Duration, Instant};

use super::assignor::Assignment;

/// A member of a consumer-protocol group.
#[derive(Debug, Clone)]
pub struct ConsumerMember {
    /// Member id (client-generated in v1, broker-generated in v0).
    pub id: String,
    /// Static instance id (`group.instance.id`).
    pub instance_id: Option<String>,
    /// Rack id.
    pub rack_id: Option<String>,
    /// Client id from the request header.
    pub client_id: String,
    /// The client's host (`/ip`).
    pub client_host: String,
    /// Current member epoch.
    pub epoch: i32,
    /// The epoch before the last bump, tolerated once (a lost response).
    pub previous_epoch: i32,
    /// Subscribed topic names.
    pub topic_names: Vec<String>,
    /// Subscribed topic regex, as sent.
    pub regex: Option<String>,
    /// The regex compiled for full matches.
    pub compiled: Option<Regex>,
    /// Requested server assignor.
    pub assignor: Option<String>,
    /// How long the member may take to revoke partitions.
    pub rebalance_timeout: Duration,
    /// Partitions the member owns now (as far as the coordinator has told it).
    pub assigned: Assignment,
    /// Partitions the member was asked to give up and has not yet confirmed.
    pub revoking: Assignment,
    /// When the member is fenced if `revoking` is still not confirmed.
    pub revoke_deadline: Option<Instant>,
    /// Session expiry.
    pub deadline: Instant,
    /// The assignment last sent in a response.
    pub sent: Option<Assignment>,
    /// A static member that left with epoch -2 and may come back under a new member id.
    pub static_left: bool,
    /// Existing topics the subscription resolves to.
    pub resolved: BTreeSet<String>,
}

impl ConsumerMember {
    /// A new member with an empty assignment.
    pub fn new(id: String, client_id: String, now: Instant, session: Duration) -> Self {
        ConsumerMember {
            id,
            instance_id: None,
            rack_id: None,
            client_id,
            client_host: String::new(),
            epoch: 0,
            previous_epoch: 0,
            topic_names: Vec::new(),
            regex: None,
            compiled: None,
            assignor: None,
            rebalance_timeout: Duration::from_secs(300),
            assigned: Assignment::new(),
            revoking: Assignment::new(),
            revoke_deadline: None,
            deadline: now + session,
            sent: None,
            static_left: false,
            resolved: BTreeSet::new(),
        }
    }

    /// Whether the subscription (names or regex) covers `topic`.
    pub fn subscribes(&self, topic: &str) -> bool {
        self.topic_names.iter().any(|t| t == topic)
            || self.compiled.as_ref().is_some_and(|r| r.is_match(topic))
    }

    /// Whether the member owns or is still revoking `topic`-`partition`.
    pub fn holds(&self, topic: &str, partition: i32) -> bool {
        let has = |a: &Assignment| a.get(topic).is_some_and(|p| p.contains(&partition));
        has(&self.assigned) || has(&self.revoking)
    }

    /// The earliest instant something must happen to this member.
    pub fn next_deadline(&self) -> Instant {
        match self.revoke_deadline {
            Some(r) if r < self.deadline => r,
            _ => self.deadline,
        }
    }
}

/// Compiles a subscription regex (RE2-style, matched against whole topic names).
pub fn compile_regex(pattern: &str) -> Result<Regex, regex::Error> {
    Regex::new(&format!("^(?:{pattern})$"))
}

/// `a` minus `b`.
pub fn difference(a: &Assignment, b: &Assignment) -> Assignment {
    let mut out = Assignment::new();
    for (topic, parts) in a {
        let left: BTreeSet<i32> = match b.get(topic) {
            Some(other) => parts.difference(other).copied().collect(),
            None => parts.clone(),
        };
        if !left.is_empty() {
            out.insert(topic.clone(), left);
        }
    }
    out
}

/// Whether `a` and `b` share a partition.
pub fn intersects(a: &Assignment, b: &Assignment) -> bool {
    a.iter()
        .any(|(t, parts)| b.get(t).is_some_and(|o| !parts.is_disjoint(o)))
}
