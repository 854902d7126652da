//! One consumer-protocol group (KIP-848): group epoch, target assignment, and per-member
//! reconciliation. Pure and timer-free: the caller passes `now` and the topics it knows.
//!
//! Reconciliation: when the target changes, a member first gets its assignment minus the
//! partitions it must give up (its epoch unchanged); once a heartbeat shows them released it
//! moves to the target epoch and receives the target's partitions no other member still
//! holds. A partition is therefore never owned by two members at once.

use std::collections::{BTreeMap, BTreeSet};

use kalfka_protocol::Uuid;
use tokio::time::{Duration, Instant};

use super::assignor::{self, Assignment, AssignorMember};
use super::member::{compile_regex, difference, intersects, ConsumerMember};
use crate::error::BrokerError;

/// Existing topics by name: (topic id, partition count).
pub type TopicView = BTreeMap<String, (Uuid, i32)>;

/// Broker-side settings of consumer groups.
#[derive(Debug, Clone, Copy)]
pub struct ConsumerSettings {
    /// `group.consumer.session.timeout.ms`.
    pub session_timeout: Duration,
    /// `group.consumer.heartbeat.interval.ms`.
    pub heartbeat_interval: Duration,
}

/// The fields of a ConsumerGroupHeartbeat request.
#[derive(Debug, Clone, Default)]
pub struct HeartbeatParams {
    /// Member id ("" on a v0 first join).
    pub member_id: String,
    /// 0 join, -1 leave, -2 static leave, else the current epoch.
    pub member_epoch: i32,
    /// Static instance id.
    pub instance_id: Option<String>,
    /// Rack id.
    pub rack_id: Option<String>,
    /// -1 if unchanged.
    pub rebalance_timeout_ms: i32,
    /// `None` if unchanged.
    pub topic_names: Option<Vec<String>>,
    /// `None` if unchanged.
    pub regex: Option<String>,
    /// `None` if unchanged.
    pub assignor: Option<String>,
    /// Partitions the client owns; `None` if unchanged.
    pub owned: Option<Assignment>,
    /// Client id of the request header.
    pub client_id: String,
    /// The client's host (`/ip`).
    pub client_host: String,
}

/// What a heartbeat answers.
#[derive(Debug, Clone, PartialEq)]
pub struct HeartbeatOutcome {
    /// The member id.
    pub member_id: String,
    /// The member's epoch after this heartbeat.
    pub member_epoch: i32,
    /// The assignment, when it changed since the last response.
    pub assignment: Option<Assignment>,
}

/// A consumer group's state as ListGroups and ConsumerGroupDescribe name it.
pub fn state_name(g: &ConsumerGroup) -> &'static str {
    if g.members.is_empty() {
        "Empty"
    } else if g.members.values().all(|m| {
        m.epoch == g.assignment_epoch
            && m.revoking.is_empty()
            && Some(&m.assigned) == g.target.get(&m.id)
    }) {
        "Stable"
    } else {
        "Reconciling"
    }
}

/// One consumer-protocol group.
#[derive(Debug)]
pub struct ConsumerGroup {
    /// Group id.
    pub id: String,
    /// Group epoch: bumped on every membership, subscription or metadata change.
    pub epoch: i32,
    /// Epoch of the current target assignment.
    pub assignment_epoch: i32,
    /// Members by id.
    pub members: BTreeMap<String, ConsumerMember>,
    /// Target assignment per member.
    pub target: BTreeMap<String, Assignment>,
    /// Partition counts of the subscribed topics when the target was computed.
    pub subscribed: BTreeMap<String, i32>,
    /// Assignor of the current target.
    pub assignor: String,
}

impl ConsumerGroup {
    /// An empty group.
    pub fn new(id: String) -> Self {
        ConsumerGroup {
            id,
            epoch: 0,
            assignment_epoch: 0,
            members: BTreeMap::new(),
            target: BTreeMap::new(),
            subscribed: BTreeMap::new(),
            assignor: assignor::UNIFORM.to_string(),
        }
    }

    /// Whether the group has no members.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// One heartbeat (join, leave or keep-alive) of a member.
    pub fn heartbeat(
        &mut self,
        p: HeartbeatParams,
        view: &TopicView,
        now: Instant,
        settings: &ConsumerSettings,
    ) -> Result<HeartbeatOutcome, BrokerError> {
        if let Some(a) = &p.assignor {
            if !assignor::is_supported(a) {
                return Err(BrokerError::UnsupportedAssignor(a.clone()));
            }
        }
        let compiled = match &p.regex {
            Some(r) if !r.is_empty() => Some(
                compile_regex(r)
                    .map_err(|e| BrokerError::InvalidRegularExpression(e.to_string()))?,
            ),
            _ => None,
        };
        let member_id = match p.member_epoch {
            -1 | -2 => return self.leave(&p, now, settings),
            0 => self.join(&p, now, settings)?,
            epoch => {
                let m = self
                    .members
                    .get(&p.member_id)
                    .ok_or(BrokerError::UnknownMemberId)?;
                if epoch != m.epoch && epoch != m.previous_epoch {
                    return Err(BrokerError::FencedMemberEpoch);
                }
                p.member_id.clone()
            }
        };
        let Some(m) = self.members.get_mut(&member_id) else {
            return Err(BrokerError::UnknownMemberId);
        };
        m.deadline = now + settings.session_timeout;
        m.client_id.clone_from(&p.client_id);
        if p.rack_id.is_some() {
            m.rack_id.clone_from(&p.rack_id);
        }
        if p.rebalance_timeout_ms > 0 {
            m.rebalance_timeout = Duration::from_millis(p.rebalance_timeout_ms as u64);
        }
        if let Some(a) = &p.assignor {
            m.assignor = Some(a.clone());
        }
        if let Some(names) = p.topic_names {
            m.topic_names = names;
        }
        if p.regex.is_some() {
            m.regex = p.regex.filter(|r| !r.is_empty());
            m.compiled = compiled;
        }
        self.refresh(view);
        Ok(self.reconcile(&member_id, p.owned, now))
    }

    /// Epoch 0: a new member, a static member's return, or a fenced member rejoining.
    fn join(
        &mut self,
        p: &HeartbeatParams,
        now: Instant,
        settings: &ConsumerSettings,
    ) -> Result<String, BrokerError> {
        if p.topic_names.is_none() && p.regex.is_none() {
            return Err(BrokerError::InvalidRequest(
                "SubscribedTopicNames or SubscribedTopicRegex must be set when joining".into(),
            ));
        }
        let id = if p.member_id.is_empty() {
            uuid::Uuid::new_v4().simple().to_string()
        } else {
            p.member_id.clone()
        };
        let mut member = ConsumerMember::new(
            id.clone(),
            p.client_id.clone(),
            now,
            settings.session_timeout,
        );
        member.client_host = p.client_host.clone();
        if let Some(instance) = &p.instance_id {
            let previous = self
                .members
                .values()
                .find(|m| m.instance_id.as_deref() == Some(instance))
                .map(|m| (m.id.clone(), m.static_left));
            match previous {
                Some((old_id, left)) if left || old_id == id => {
                    // The static member takes its place again, keeping epoch and assignment.
                    if let Some(old) = self.members.remove(&old_id) {
                        member = ConsumerMember {
                            id: id.clone(),
                            static_left: false,
                            sent: None,
                            deadline: now + settings.session_timeout,
                            ..old
                        };
                        if let Some(t) = self.target.remove(&old_id) {
                            self.target.insert(id.clone(), t);
                        }
                    }
                    self.members.insert(id.clone(), member);
                    return Ok(id);
                }
                Some(_) => return Err(BrokerError::UnreleasedInstanceId),
                None => member.instance_id = Some(instance.clone()),
            }
        }
        // A known dynamic member rejoining has lost its partitions: start afresh.
        self.members.remove(&id);
        self.members.insert(id.clone(), member);
        self.epoch += 1;
        Ok(id)
    }

    /// Epoch -1 (leave) or -2 (a static member leaving temporarily).
    fn leave(
        &mut self,
        p: &HeartbeatParams,
        now: Instant,
        settings: &ConsumerSettings,
    ) -> Result<HeartbeatOutcome, BrokerError> {
        let by_instance = p.instance_id.as_ref().and_then(|i| {
            self.members
                .values()
                .find(|m| m.instance_id.as_ref() == Some(i))
                .map(|m| m.id.clone())
        });
        let id = match (&by_instance, self.members.contains_key(&p.member_id)) {
            (Some(found), _) if *found != p.member_id => return Err(BrokerError::FencedInstanceId),
            (_, true) => p.member_id.clone(),
            _ => return Err(BrokerError::UnknownMemberId),
        };
        let is_static = by_instance.is_some();
        if p.member_epoch == -2 && is_static {
            if let Some(m) = self.members.get_mut(&id) {
                m.static_left = true;
                m.deadline = now + settings.session_timeout;
            }
        } else {
            self.remove_member(&id);
        }
        Ok(HeartbeatOutcome {
            member_id: id,
            member_epoch: p.member_epoch,
            assignment: None,
        })
    }

    /// Removes a member and recomputes the target without it.
    pub fn remove_member(&mut self, id: &str) {
        if self.members.remove(id).is_some() {
            self.target.remove(id);
            self.epoch += 1;
            self.compute_target();
        }
    }

    /// Re-resolves subscriptions against `view`; bumps the epoch and recomputes the target
    /// when they, the partition counts, or the membership changed.
    fn refresh(&mut self, view: &TopicView) {
        let mut changed = self.assignment_epoch != self.epoch;
        let mut subscribed = BTreeMap::new();
        for m in self.members.values_mut() {
            let resolved: BTreeSet<String> =
                view.keys().filter(|t| m.subscribes(t)).cloned().collect();
            for t in &resolved {
                if let Some((_, n)) = view.get(t) {
                    subscribed.insert(t.clone(), *n);
                }
            }
            if resolved != m.resolved {
                m.resolved = resolved;
                changed = true;
            }
        }
        if subscribed != self.subscribed {
            self.subscribed = subscribed;
            changed = true;
        }
        if changed {
            if self.assignment_epoch == self.epoch {
                self.epoch += 1;
            }
            self.compute_target();
        }
    }

    /// Computes the target assignment for the current epoch.
    fn compute_target(&mut self) {
        tracing::info!(
            group = %self.id,
            epoch = self.epoch,
            members = self.members.len(),
            "consumer group rebalance: computing the target assignment"
        );
        let mut votes: BTreeMap<&str, usize> = BTreeMap::new();
        for m in self.members.values() {
            if let Some(a) = &m.assignor {
                *votes.entry(a.as_str()).or_default() += 1;
            }
        }
        if let Some((a, _)) = votes
            .iter()
            .max_by_key(|(name, n)| (**n, std::cmp::Reverse(**name)))
        {
            self.assignor = a.to_string();
        }
        let members: Vec<AssignorMember> = self
            .members
            .values()
            .map(|m| AssignorMember {
                id: m.id.clone(),
                topics: m.resolved.clone(),
            })
            .collect();
        self.target = assignor::assign(&self.assignor, &members, &self.subscribed, &self.target);
        self.assignment_epoch = self.epoch;
    }

    /// Moves one member toward its target and says what to answer.
    fn reconcile(&mut self, id: &str, owned: Option<Assignment>, now: Instant) -> HeartbeatOutcome {
        let target = self.target.get(id).cloned().unwrap_or_default();
        let others_hold = |me: &str, topic: &str, p: i32| {
            self.members
                .values()
                .any(|o| o.id != me && o.holds(topic, p))
        };
        let mut free: Assignment = Assignment::new();
        for (topic, parts) in &target {
            for &p in parts {
                if !others_hold(id, topic, p) {
                    free.entry(topic.clone()).or_default().insert(p);
                }
            }
        }
        let assignment_epoch = self.assignment_epoch;
        let Some(m) = self.members.get_mut(id) else {
            return HeartbeatOutcome {
                member_id: id.to_string(),
                member_epoch: -1,
                assignment: None,
            };
        };
        if !m.revoking.is_empty() {
            match &owned {
                Some(o) if !intersects(o, &m.revoking) => {
                    m.revoking.clear();
                    m.revoke_deadline = None;
                }
                _ => return outcome(m),
            }
        }
        let to_revoke = difference(&m.assigned, &target);
        if !to_revoke.is_empty() {
            m.assigned = difference(&m.assigned, &to_revoke);
            m.revoking = to_revoke;
            m.revoke_deadline = Some(now + m.rebalance_timeout);
            return outcome(m);
        }
        if m.epoch != assignment_epoch {
            m.previous_epoch = m.epoch;
            m.epoch = assignment_epoch;
        }
        for (topic, parts) in free {
            m.assigned.entry(topic).or_default().extend(parts);
        }
        outcome(m)
    }

    /// Drops members whose session expired or who did not revoke in time; whether any went.
    pub fn tick(&mut self, now: Instant) -> bool {
        let expired: Vec<(String, &'static str)> = self
            .members
            .values()
            .filter(|m| m.next_deadline() <= now)
            .map(|m| {
                let why = if m.revoke_deadline.is_some_and(|d| d <= now) {
                    "it did not revoke its partitions within the rebalance timeout"
                } else {
                    "no heartbeat within its session timeout"
                };
                (m.id.clone(), why)
            })
            .collect();
        for (id, why) in &expired {
            tracing::info!(group = %self.id, member = %id, epoch = self.epoch, "consumer group member removed: {why}");
            self.remove_member(id);
        }
        !expired.is_empty()
    }

    /// When [`ConsumerGroup::tick`] next has something to do.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.members
            .values()
            .map(ConsumerMember::next_deadline)
            .min()
    }

    /// OffsetCommit/OffsetFetch validation: a memberless "simple" commit, or a member at its
    /// current epoch.
    pub fn validate_offset_request(&self, member_id: &str, epoch: i32) -> Result<(), BrokerError> {
        if epoch < 0 && member_id.is_empty() {
            return if self.members.is_empty() {
                Ok(())
            } else {
                Err(BrokerError::UnknownMemberId)
            };
        }
        let m = self
            .members
            .get(member_id)
            .ok_or(BrokerError::UnknownMemberId)?;
        if m.epoch != epoch {
            return Err(BrokerError::StaleMemberEpoch);
        }
        Ok(())
    }
}

fn outcome(m: &mut ConsumerMember) -> HeartbeatOutcome {
    let assignment = if m.sent.as_ref() != Some(&m.assigned) {
        m.sent = Some(m.assigned.clone());
        Some(m.assigned.clone())
    } else {
        None
    };
    HeartbeatOutcome {
        member_id: m.id.clone(),
        member_epoch: m.epoch,
        assignment,
    }
}

#[cfg(test)]
#[path = "group_tests.rs"]
mod tests;
