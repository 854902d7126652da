//! All consumer-protocol groups of the broker and their timers.
//!
//! Like classic groups, each group has one tokio task sleeping until its next deadline (a
//! session expiry or a revocation timeout) or until a heartbeat changes it; a steady group's
//! task sleeps until the earliest session expiry and heartbeats only move that instant.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use tokio::sync::Notify;
use tokio::time::Instant;

use super::assignor::Assignment;
use super::group::{
    state_name, ConsumerGroup, ConsumerSettings, HeartbeatOutcome, HeartbeatParams, TopicView,
};
use crate::error::BrokerError;

struct Entry {
    group: ConsumerGroup,
    wake: Arc<Notify>,
}

type Groups = Mutex<HashMap<String, Entry>>;

/// One member as ConsumerGroupDescribe shows it.
#[derive(Debug, Clone)]
pub struct ConsumerMemberDescription {
    /// Member id.
    pub member_id: String,
    /// Static instance id.
    pub instance_id: Option<String>,
    /// Rack id.
    pub rack_id: Option<String>,
    /// Member epoch.
    pub member_epoch: i32,
    /// Client id.
    pub client_id: String,
    /// Client host (`/ip`).
    pub client_host: String,
    /// Subscribed topic names.
    pub topic_names: Vec<String>,
    /// Subscribed regex.
    pub regex: Option<String>,
    /// Current assignment.
    pub assignment: Assignment,
    /// Target assignment.
    pub target: Assignment,
}

/// A consumer-protocol group as ConsumerGroupDescribe and ListGroups show it.
#[derive(Debug, Clone)]
pub struct ConsumerGroupDescription {
    /// Group id.
    pub group_id: String,
    /// "Empty", "Reconciling" or "Stable".
    pub state: &'static str,
    /// Group epoch.
    pub group_epoch: i32,
    /// Target assignment epoch.
    pub assignment_epoch: i32,
    /// Assignor of the target.
    pub assignor: String,
    /// Members.
    pub members: Vec<ConsumerMemberDescription>,
}

/// All consumer-protocol groups.
pub struct ConsumerGroups {
    groups: Arc<Groups>,
    settings: ConsumerSettings,
}

impl std::fmt::Debug for ConsumerGroups {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsumerGroups")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl ConsumerGroups {
    /// No groups yet.
    pub fn new(settings: ConsumerSettings) -> Self {
        ConsumerGroups {
            groups: Arc::new(Mutex::new(HashMap::new())),
            settings,
        }
    }

    /// The settings members are told about (heartbeat interval) and held to.
    pub fn settings(&self) -> &ConsumerSettings {
        &self.settings
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Entry>> {
        self.groups.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether `group_id` is a consumer-protocol group.
    pub fn contains(&self, group_id: &str) -> bool {
        self.lock().contains_key(group_id)
    }

    /// Whether `group_id` is a consumer-protocol group with members.
    pub fn has_members(&self, group_id: &str) -> bool {
        self.lock()
            .get(group_id)
            .is_some_and(|e| !e.group.is_empty())
    }

    /// ConsumerGroupHeartbeat on `group_id` (created on a first join).
    pub fn heartbeat(
        &self,
        group_id: &str,
        params: HeartbeatParams,
        view: &TopicView,
    ) -> Result<HeartbeatOutcome, BrokerError> {
        let mut groups = self.lock();
        if !groups.contains_key(group_id) {
            if params.member_epoch != 0 {
                return Err(BrokerError::UnknownMemberId);
            }
            let wake = Arc::new(Notify::new());
            tokio::spawn(group_task(
                Arc::downgrade(&self.groups),
                group_id.to_string(),
                Arc::clone(&wake),
            ));
            groups.insert(
                group_id.to_string(),
                Entry {
                    group: ConsumerGroup::new(group_id.to_string()),
                    wake,
                },
            );
        }
        let Some(entry) = groups.get_mut(group_id) else {
            return Err(BrokerError::GroupIdNotFound);
        };
        let before = entry.group.next_deadline();
        let out = entry
            .group
            .heartbeat(params, view, Instant::now(), &self.settings);
        // Heartbeats only push deadlines later; the task is woken when one comes earlier.
        let after = entry.group.next_deadline();
        if after.is_some() && (before.is_none() || after < before) {
            entry.wake.notify_one();
        }
        out
    }

    /// Validates an OffsetCommit/OffsetFetch against the group; `None` if it is not a
    /// consumer-protocol group.
    pub fn validate_offset_request(
        &self,
        group_id: &str,
        member_id: &str,
        epoch: i32,
    ) -> Option<Result<(), BrokerError>> {
        self.lock()
            .get(group_id)
            .map(|e| e.group.validate_offset_request(member_id, epoch))
    }

    /// Topics the members' subscriptions resolve to; `None` if it is not a consumer-protocol
    /// group.
    pub fn subscribed_topics(&self, group_id: &str) -> Option<Vec<String>> {
        self.lock().get(group_id).map(|e| {
            let topics: std::collections::BTreeSet<&String> = e
                .group
                .members
                .values()
                .flat_map(|m| m.resolved.iter())
                .collect();
            topics.into_iter().cloned().collect()
        })
    }

    /// Describes one group; `None` if it is not a consumer-protocol group.
    pub fn describe(&self, group_id: &str) -> Option<ConsumerGroupDescription> {
        self.lock().get(group_id).map(|e| describe(&e.group))
    }

    /// Every consumer-protocol group.
    pub fn list(&self) -> Vec<ConsumerGroupDescription> {
        self.lock().values().map(|e| describe(&e.group)).collect()
    }

    /// Removes an empty group (DeleteGroups); `Some(Err)` while it has members.
    pub fn delete(&self, group_id: &str) -> Option<Result<(), BrokerError>> {
        let mut groups = self.lock();
        let empty = groups.get(group_id)?.group.is_empty();
        if !empty {
            return Some(Err(BrokerError::NonEmptyGroup));
        }
        if let Some(e) = groups.remove(group_id) {
            e.wake.notify_one();
        }
        Some(Ok(()))
    }
}

fn describe(g: &ConsumerGroup) -> ConsumerGroupDescription {
    ConsumerGroupDescription {
        group_id: g.id.clone(),
        state: state_name(g),
        group_epoch: g.epoch,
        assignment_epoch: g.assignment_epoch,
        assignor: g.assignor.clone(),
        members: g
            .members
            .values()
            .map(|m| ConsumerMemberDescription {
                member_id: m.id.clone(),
                instance_id: m.instance_id.clone(),
                rack_id: m.rack_id.clone(),
                member_epoch: m.epoch,
                client_id: m.client_id.clone(),
                client_host: m.client_host.clone(),
                topic_names: m.topic_names.clone(),
                regex: m.regex.clone(),
                assignment: m.assigned.clone(),
                target: g.target.get(&m.id).cloned().unwrap_or_default(),
            })
            .collect(),
    }
}

async fn group_task(groups: Weak<Groups>, group_id: String, wake: Arc<Notify>) {
    let owned = |e: &Entry| Arc::ptr_eq(&e.wake, &wake);
    crate::groups::timer::run_group_timer(
        Arc::clone(&wake),
        || {
            let groups = groups.upgrade()?;
            let groups = groups.lock().unwrap_or_else(|e| e.into_inner());
            let entry = groups.get(&group_id).filter(|e| owned(e))?;
            Some(entry.group.next_deadline())
        },
        || {
            let Some(groups) = groups.upgrade() else {
                return false;
            };
            let mut groups = groups.lock().unwrap_or_else(|e| e.into_inner());
            match groups.get_mut(&group_id) {
                Some(e) if owned(e) => {
                    e.group.tick(Instant::now());
                    true
                }
                _ => false,
            }
        },
    )
    .await;
}
