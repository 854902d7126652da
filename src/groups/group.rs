//! One classic consumer group as a state machine (Kafka's GroupMetadata).
//!
//! The group is pure logic: every method takes `now`, and nothing here sleeps or spawns. Held
//! JoinGroup and SyncGroup requests are `oneshot` senders stored on their member; the
//! coordinator calls [`Group::tick`] when [`Group::next_deadline`] passes, which expires
//! members and completes rebalances.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::error::BrokerError;

pub use super::requests::{ErrorKind, JoinOutcome, JoinParams, Pending, SyncOutcome};

/// Lowest session timeout accepted (`group.min.session.timeout.ms`).
pub const MIN_SESSION_TIMEOUT_MS: i32 = 6000;
/// Highest session timeout accepted (`group.max.session.timeout.ms`).
pub const MAX_SESSION_TIMEOUT_MS: i32 = 1_800_000;

/// The states of a classic group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupState {
    /// No members (offsets may still exist).
    Empty,
    /// Waiting for members to (re)join.
    PreparingRebalance,
    /// Joined; waiting for the leader's assignment.
    CompletingRebalance,
    /// Assignment distributed.
    Stable,
    /// Deleted.
    Dead,
}

impl GroupState {
    /// The name DescribeGroups and ListGroups use.
    pub fn name(self) -> &'static str {
        match self {
            GroupState::Empty => "Empty",
            GroupState::PreparingRebalance => "PreparingRebalance",
            GroupState::CompletingRebalance => "CompletingRebalance",
            GroupState::Stable => "Stable",
            GroupState::Dead => "Dead",
        }
    }
}

/// A group member.
#[derive(Debug)]
pub struct Member {
    /// Member id.
    pub id: String,
    /// Static instance id.
    pub instance_id: Option<String>,
    /// Client id.
    pub client_id: String,
    /// Client host (`/ip`), as DescribeGroups shows it.
    pub client_host: String,
    session_timeout: Duration,
    rebalance_timeout: Duration,
    /// Protocols in preference order.
    pub protocols: Vec<(String, Bytes)>,
    /// Assignment from the leader's last SyncGroup.
    pub assignment: Bytes,
    join_seq: u64,
    deadline: Instant,
    join_waiter: Option<oneshot::Sender<JoinOutcome>>,
    sync_waiter: Option<oneshot::Sender<SyncOutcome>>,
}

impl Member {
    /// Metadata for `protocol`, empty if the member does not list it.
    pub fn metadata(&self, protocol: Option<&str>) -> Bytes {
        protocol
            .and_then(|p| self.protocols.iter().find(|(n, _)| n == p))
            .map(|(_, m)| m.clone())
            .unwrap_or_default()
    }
}

/// A classic group.
#[derive(Debug)]
pub struct Group {
    /// Group id.
    pub id: String,
    state: GroupState,
    generation: i32,
    protocol_type: Option<String>,
    protocol: Option<String>,
    leader: Option<String>,
    members: BTreeMap<String, Member>,
    /// Members told MEMBER_ID_REQUIRED, until they rejoin or their session timeout passes.
    pending: HashMap<String, Instant>,
    statics: HashMap<String, String>,
    next_seq: u64,
    rebalance_deadline: Option<Instant>,
    initial_delay_until: Option<Instant>,
    /// Join phases completed with members (each gave a new generation).
    rebalances: u64,
}

impl Group {
    /// A new, empty group.
    pub fn new(id: String) -> Group {
        Group {
            id,
            state: GroupState::Empty,
            generation: 0,
            protocol_type: None,
            protocol: None,
            leader: None,
            members: BTreeMap::new(),
            pending: HashMap::new(),
            statics: HashMap::new(),
            next_seq: 0,
            rebalance_deadline: None,
            initial_delay_until: None,
            rebalances: 0,
        }
    }

    /// Current state.
    pub fn state(&self) -> GroupState {
        self.state
    }

    /// Current generation.
    pub fn generation(&self) -> i32 {
        self.generation
    }

    /// Rebalances completed with members since the group was created.
    pub fn rebalances(&self) -> u64 {
        self.rebalances
    }

    /// Protocol type, once a member has joined.
    pub fn protocol_type(&self) -> Option<&str> {
        self.protocol_type.as_deref()
    }

    /// Chosen assignor.
    pub fn protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }

    /// Members in id order.
    pub fn members(&self) -> impl Iterator<Item = &Member> {
        self.members.values()
    }

    /// Whether the group has no members.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Marks the group deleted.
    pub fn mark_dead(&mut self) {
        self.state = GroupState::Dead;
    }

    /// Handles a JoinGroup.
    pub fn join(
        &mut self,
        p: JoinParams,
        now: Instant,
        initial_delay: Duration,
    ) -> Result<Pending<JoinOutcome>, BrokerError> {
        if !(MIN_SESSION_TIMEOUT_MS..=MAX_SESSION_TIMEOUT_MS).contains(&p.session_timeout_ms) {
            return Err(BrokerError::InvalidSessionTimeout(p.session_timeout_ms));
        }
        if p.protocol_type.is_empty() || p.protocols.is_empty() || !self.protocols_compatible(&p) {
            return Err(BrokerError::InconsistentGroupProtocol);
        }
        if let Some(instance) = p.instance_id.clone() {
            if let Some(old) = self.statics.get(&instance).cloned() {
                if p.member_id.is_empty() {
                    return Ok(self.replace_static(old, p, now, initial_delay));
                }
                if p.member_id != old {
                    return Err(BrokerError::FencedInstanceId);
                }
            } else if p.member_id.is_empty() {
                let id = new_member_id(&p.client_id);
                self.statics.insert(instance, id.clone());
                return Ok(self.add_member(id, p, now, initial_delay));
            }
        }
        if p.member_id.is_empty() {
            let id = new_member_id(&p.client_id);
            if p.require_known_member_id {
                self.pending
                    .insert(id.clone(), now + ms(p.session_timeout_ms));
                return Ok(Pending::Done(JoinOutcome {
                    error: Some(ErrorKind::MemberIdRequired),
                    generation: -1,
                    member_id: id,
                    ..JoinOutcome::default()
                }));
            }
            return Ok(self.add_member(id, p, now, initial_delay));
        }
        if self.pending.remove(&p.member_id).is_some() {
            let id = p.member_id.clone();
            return Ok(self.add_member(id, p, now, initial_delay));
        }
        if !self.members.contains_key(&p.member_id) {
            return Err(BrokerError::UnknownMemberId);
        }
        Ok(self.rejoin(p, now, initial_delay))
    }

    fn protocols_compatible(&self, p: &JoinParams) -> bool {
        if self.members.is_empty() {
            return true;
        }
        if self.protocol_type.as_deref() != Some(p.protocol_type.as_str()) {
            return false;
        }
        let others = self.members.values().filter(|m| m.id != p.member_id);
        let mut common: Option<HashSet<&str>> = None;
        for m in others {
            let names: HashSet<&str> = m.protocols.iter().map(|(n, _)| n.as_str()).collect();
            common = Some(match common {
                None => names,
                Some(c) => c.intersection(&names).copied().collect(),
            });
        }
        match common {
            None => true,
            Some(c) => p.protocols.iter().any(|(n, _)| c.contains(n.as_str())),
        }
    }

    fn add_member(
        &mut self,
        id: String,
        p: JoinParams,
        now: Instant,
        initial_delay: Duration,
    ) -> Pending<JoinOutcome> {
        if self.members.is_empty() {
            self.protocol_type = Some(p.protocol_type.clone());
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let member = Member {
            id: id.clone(),
            instance_id: p.instance_id,
            client_id: p.client_id,
            client_host: p.client_host,
            session_timeout: ms(p.session_timeout_ms),
            rebalance_timeout: ms(p.rebalance_timeout_ms),
            protocols: p.protocols,
            assignment: Bytes::new(),
            join_seq: seq,
            deadline: now + ms(p.session_timeout_ms),
            join_waiter: None,
            sync_waiter: None,
        };
        self.members.insert(id.clone(), member);
        self.prepare_rebalance(now, initial_delay, "a member joined");
        self.wait_join(&id, now)
    }

    fn rejoin(
        &mut self,
        p: JoinParams,
        now: Instant,
        initial_delay: Duration,
    ) -> Pending<JoinOutcome> {
        let id = p.member_id.clone();
        let is_leader = self.leader.as_deref() == Some(id.as_str());
        let Some(member) = self.members.get_mut(&id) else {
            return Pending::Done(error_outcome(ErrorKind::UnknownMemberId, &id));
        };
        let same = member.protocols == p.protocols;
        member.protocols = p.protocols;
        member.session_timeout = ms(p.session_timeout_ms);
        member.rebalance_timeout = ms(p.rebalance_timeout_ms);
        member.deadline = now + member.session_timeout;
        match self.state {
            GroupState::Stable | GroupState::CompletingRebalance if same && !is_leader => {
                Pending::Done(self.outcome_for(&id, false))
            }
            GroupState::PreparingRebalance => self.wait_join(&id, now),
            _ => {
                self.prepare_rebalance(now, initial_delay, "a member rejoined with new metadata");
                self.wait_join(&id, now)
            }
        }
    }

    fn replace_static(
        &mut self,
        old: String,
        p: JoinParams,
        now: Instant,
        initial_delay: Duration,
    ) -> Pending<JoinOutcome> {
        let Some(mut member) = self.members.remove(&old) else {
            self.statics
                .remove(p.instance_id.as_deref().unwrap_or_default());
            let id = new_member_id(&p.client_id);
            if let Some(instance) = &p.instance_id {
                self.statics.insert(instance.clone(), id.clone());
            }
            return self.add_member(id, p, now, initial_delay);
        };
        if let Some(w) = member.join_waiter.take() {
            let _ = w.send(error_outcome(ErrorKind::FencedInstanceId, &old));
        }
        if let Some(w) = member.sync_waiter.take() {
            let _ = w.send(Err(ErrorKind::FencedInstanceId));
        }
        let id = new_member_id(&p.client_id);
        let same = member.protocols == p.protocols;
        member.id = id.clone();
        member.client_id = p.client_id.clone();
        member.client_host = p.client_host.clone();
        member.deadline = now + ms(p.session_timeout_ms);
        member.session_timeout = ms(p.session_timeout_ms);
        member.rebalance_timeout = ms(p.rebalance_timeout_ms);
        member.protocols = p.protocols.clone();
        self.members.insert(id.clone(), member);
        if let Some(instance) = &p.instance_id {
            self.statics.insert(instance.clone(), id.clone());
        }
        let was_leader = self.leader.as_deref() == Some(old.as_str());
        if was_leader {
            self.leader = Some(id.clone());
        }
        if self.state == GroupState::Stable && same {
            return Pending::Done(self.outcome_for(&id, was_leader));
        }
        if self.state != GroupState::PreparingRebalance {
            self.prepare_rebalance(now, initial_delay, "a static member was replaced");
        }
        self.wait_join(&id, now)
    }

    fn wait_join(&mut self, id: &str, now: Instant) -> Pending<JoinOutcome> {
        let (tx, rx) = oneshot::channel();
        if let Some(m) = self.members.get_mut(id) {
            if let Some(old) = m.join_waiter.replace(tx) {
                let _ = old.send(error_outcome(ErrorKind::RebalanceInProgress, id));
            }
        }
        self.try_complete_join(now);
        Pending::Wait(rx)
    }

    fn outcome_for(&self, id: &str, with_members: bool) -> JoinOutcome {
        let leader = self.leader.clone().unwrap_or_default();
        let members = if with_members || leader == id {
            self.members
                .values()
                .map(|m| {
                    (
                        m.id.clone(),
                        m.instance_id.clone(),
                        m.metadata(self.protocol()),
                    )
                })
                .collect()
        } else {
            Vec::new()
        };
        JoinOutcome {
            error: None,
            generation: self.generation,
            protocol_type: self.protocol_type.clone(),
            protocol_name: self.protocol.clone(),
            leader,
            skip_assignment: with_members && self.state == GroupState::Stable,
            member_id: id.to_string(),
            members,
        }
    }

    /// Moves to PreparingRebalance (no-op if already there).
    fn prepare_rebalance(&mut self, now: Instant, initial_delay: Duration, reason: &str) {
        if self.state == GroupState::PreparingRebalance {
            return;
        }
        tracing::info!(
            group = %self.id,
            generation = self.generation,
            members = self.members.len(),
            reason,
            "group rebalance started"
        );
        for m in self.members.values_mut() {
            if let Some(w) = m.sync_waiter.take() {
                let _ = w.send(Err(ErrorKind::RebalanceInProgress));
            }
        }
        self.initial_delay_until = (self.state == GroupState::Empty && !initial_delay.is_zero())
            .then(|| now + initial_delay);
        self.state = GroupState::PreparingRebalance;
        let timeout = self.max_rebalance_timeout();
        self.rebalance_deadline = Some(now + timeout.max(initial_delay));
    }

    fn max_rebalance_timeout(&self) -> Duration {
        self.members
            .values()
            .map(|m| m.rebalance_timeout)
            .max()
            .unwrap_or_default()
    }

    /// Completes the join phase if every member has rejoined (or the deadline passed).
    fn try_complete_join(&mut self, now: Instant) {
        if self.state != GroupState::PreparingRebalance {
            return;
        }
        let all_joined = self.pending.is_empty()
            && self.members.values().all(|m| m.join_waiter.is_some())
            && !matches!(self.initial_delay_until, Some(t) if now < t);
        let timed_out = self.rebalance_deadline.is_some_and(|t| now >= t);
        if !all_joined && !timed_out {
            return;
        }
        let missing: Vec<String> = self
            .members
            .values()
            .filter(|m| m.join_waiter.is_none())
            .map(|m| m.id.clone())
            .collect();
        for id in missing {
            tracing::info!(group = %self.id, member = %id, generation = self.generation, "member removed: it did not rejoin within the rebalance timeout");
            self.drop_member(&id);
        }
        self.pending.clear();
        self.rebalance_deadline = None;
        self.initial_delay_until = None;
        self.generation += 1;
        if self.members.is_empty() {
            self.become_empty();
            return;
        }
        self.protocol = self.select_protocol();
        if !self
            .leader
            .as_ref()
            .is_some_and(|l| self.members.contains_key(l))
        {
            self.leader = self
                .members
                .values()
                .min_by_key(|m| m.join_seq)
                .map(|m| m.id.clone());
        }
        self.state = GroupState::CompletingRebalance;
        self.rebalances += 1;
        tracing::info!(
            group = %self.id,
            generation = self.generation,
            members = self.members.len(),
            protocol = self.protocol.as_deref().unwrap_or_default(),
            leader = self.leader.as_deref().unwrap_or_default(),
            "group joined: waiting for the leader's assignment"
        );
        // The leader must sync within the rebalance timeout, or the group rebalances again.
        self.rebalance_deadline = Some(now + self.max_rebalance_timeout());
        let ids: Vec<String> = self.members.keys().cloned().collect();
        for id in ids {
            let outcome = self.outcome_for(&id, false);
            if let Some(m) = self.members.get_mut(&id) {
                m.assignment = Bytes::new();
                m.deadline = now + m.session_timeout;
                if let Some(w) = m.join_waiter.take() {
                    let _ = w.send(outcome);
                }
            }
        }
    }

    fn select_protocol(&self) -> Option<String> {
        let mut candidates: Option<Vec<String>> = None;
        for m in self.members.values() {
            let names: Vec<String> = m.protocols.iter().map(|(n, _)| n.clone()).collect();
            candidates = Some(match candidates {
                None => names,
                Some(c) => c.into_iter().filter(|n| names.contains(n)).collect(),
            });
        }
        let candidates = candidates?;
        let mut votes: Vec<(usize, &String)> = candidates.iter().map(|c| (0, c)).collect();
        for m in self.members.values() {
            if let Some((_, first)) = m.protocols.iter().find(|(n, _)| candidates.contains(n)) {
                if let Some(v) = votes.iter_mut().find(|(_, c)| *c == first) {
                    v.0 += 1;
                }
            }
        }
        // Highest vote wins; ties go to the earliest candidate.
        let best = votes.iter().map(|(v, _)| *v).max()?;
        votes
            .iter()
            .find(|(v, _)| *v == best)
            .map(|(_, c)| (*c).clone())
    }

    fn become_empty(&mut self) {
        self.state = GroupState::Empty;
        self.protocol = None;
        self.leader = None;
        self.rebalance_deadline = None;
        self.initial_delay_until = None;
    }

    /// Removes a member without rebalancing, answering its held requests.
    fn drop_member(&mut self, id: &str) {
        if let Some(mut m) = self.members.remove(id) {
            if let Some(w) = m.join_waiter.take() {
                let _ = w.send(error_outcome(ErrorKind::UnknownMemberId, id));
            }
            if let Some(w) = m.sync_waiter.take() {
                let _ = w.send(Err(ErrorKind::UnknownMemberId));
            }
            if let Some(instance) = &m.instance_id {
                if self.statics.get(instance).map(String::as_str) == Some(id) {
                    self.statics.remove(instance);
                }
            }
        }
        if self.leader.as_deref() == Some(id) {
            self.leader = None;
        }
    }

    /// Removes a member (leave or expiry) and rebalances the rest.
    fn remove_member(&mut self, id: &str, now: Instant) {
        self.drop_member(id);
        if self.members.is_empty() {
            if self.state != GroupState::Dead {
                self.generation += 1;
                self.become_empty();
            }
            return;
        }
        match self.state {
            GroupState::Stable | GroupState::CompletingRebalance => {
                self.prepare_rebalance(now, Duration::ZERO, "a member left or was removed")
            }
            GroupState::PreparingRebalance => self.try_complete_join(now),
            _ => {}
        }
    }

    /// Checks member id, static instance and generation for Sync/Heartbeat/OffsetCommit.
    pub fn validate(
        &self,
        member_id: &str,
        instance_id: Option<&str>,
        generation: i32,
    ) -> Result<(), BrokerError> {
        if let Some(instance) = instance_id {
            if let Some(owner) = self.statics.get(instance) {
                if owner != member_id {
                    return Err(BrokerError::FencedInstanceId);
                }
            }
        }
        if !self.members.contains_key(member_id) {
            return Err(BrokerError::UnknownMemberId);
        }
        if generation != self.generation {
            return Err(BrokerError::IllegalGeneration);
        }
        Ok(())
    }

    /// Handles a SyncGroup.
    pub fn sync(
        &mut self,
        member_id: &str,
        instance_id: Option<&str>,
        generation: i32,
        assignments: Vec<(String, Bytes)>,
        now: Instant,
    ) -> Result<Pending<SyncOutcome>, BrokerError> {
        self.validate(member_id, instance_id, generation)?;
        self.touch(member_id, now);
        match self.state {
            GroupState::PreparingRebalance => Err(BrokerError::RebalanceInProgress),
            GroupState::Stable => Ok(Pending::Done(Ok(self
                .members
                .get(member_id)
                .map(|m| m.assignment.clone())
                .unwrap_or_default()))),
            GroupState::CompletingRebalance => {
                let (tx, rx) = oneshot::channel();
                if let Some(m) = self.members.get_mut(member_id) {
                    m.sync_waiter = Some(tx);
                }
                if self.leader.as_deref() == Some(member_id) {
                    let mut map: HashMap<String, Bytes> = assignments.into_iter().collect();
                    for m in self.members.values_mut() {
                        m.assignment = map.remove(&m.id).unwrap_or_default();
                        if let Some(w) = m.sync_waiter.take() {
                            let _ = w.send(Ok(m.assignment.clone()));
                        }
                    }
                    self.state = GroupState::Stable;
                    tracing::info!(
                        group = %self.id,
                        generation = self.generation,
                        members = self.members.len(),
                        "group rebalance completed: assignment distributed"
                    );
                    self.rebalance_deadline = None;
                }
                Ok(Pending::Wait(rx))
            }
            GroupState::Empty | GroupState::Dead => Err(BrokerError::UnknownMemberId),
        }
    }

    /// Handles a Heartbeat.
    pub fn heartbeat(
        &mut self,
        member_id: &str,
        instance_id: Option<&str>,
        generation: i32,
        now: Instant,
    ) -> Result<(), BrokerError> {
        if matches!(self.state, GroupState::Empty | GroupState::Dead) {
            return Err(BrokerError::UnknownMemberId);
        }
        self.validate(member_id, instance_id, generation)
            .map_err(|e| match e {
                // A member still in the previous generation learns about the rebalance first.
                BrokerError::IllegalGeneration if self.state == GroupState::PreparingRebalance => {
                    BrokerError::RebalanceInProgress
                }
                e => e,
            })?;
        self.touch(member_id, now);
        if self.state == GroupState::PreparingRebalance {
            return Err(BrokerError::RebalanceInProgress);
        }
        Ok(())
    }

    /// Refreshes a member's session.
    pub fn touch(&mut self, member_id: &str, now: Instant) {
        if let Some(m) = self.members.get_mut(member_id) {
            m.deadline = now + m.session_timeout;
        }
    }

    /// Handles one member of a LeaveGroup.
    pub fn leave(
        &mut self,
        member_id: &str,
        instance_id: Option<&str>,
        now: Instant,
    ) -> Result<(), BrokerError> {
        let id = match instance_id {
            Some(instance) => {
                let owner = self
                    .statics
                    .get(instance)
                    .cloned()
                    .ok_or(BrokerError::UnknownMemberId)?;
                if !member_id.is_empty() && owner != member_id {
                    return Err(BrokerError::FencedInstanceId);
                }
                owner
            }
            None => member_id.to_string(),
        };
        if self.pending.remove(&id).is_some() {
            return Ok(());
        }
        if !self.members.contains_key(&id) {
            return Err(BrokerError::UnknownMemberId);
        }
        self.remove_member(&id, now);
        Ok(())
    }

    /// When [`Group::tick`] next has something to do.
    pub fn next_deadline(&self) -> Option<Instant> {
        let members = self
            .members
            .values()
            .filter(|m| m.join_waiter.is_none())
            .map(|m| m.deadline);
        let rebalance = [self.rebalance_deadline, self.initial_delay_until];
        members
            .chain(self.pending.values().copied())
            .chain(rebalance.into_iter().flatten())
            .min()
    }

    /// Expires silent members and completes a due rebalance.
    pub fn tick(&mut self, now: Instant) {
        let expired: Vec<String> = self
            .members
            .values()
            .filter(|m| m.join_waiter.is_none() && m.deadline <= now)
            .map(|m| m.id.clone())
            .collect();
        for id in expired {
            tracing::info!(group = %self.id, member = %id, generation = self.generation, "member removed: no heartbeat within its session timeout");
            self.remove_member(&id, now);
        }
        self.pending.retain(|_, deadline| *deadline > now);
        self.try_complete_join(now);
        if self.state == GroupState::CompletingRebalance
            && self.rebalance_deadline.is_some_and(|t| now >= t)
        {
            // The leader never sent its assignment: drop members that did not sync, rebalance.
            let unsynced: Vec<String> = self
                .members
                .values()
                .filter(|m| m.sync_waiter.is_none())
                .map(|m| m.id.clone())
                .collect();
            for id in unsynced {
                tracing::info!(group = %self.id, member = %id, generation = self.generation, "member removed: it sent no SyncGroup within the rebalance timeout");
                self.drop_member(&id);
            }
            if self.members.is_empty() {
                self.generation += 1;
                self.become_empty();
            } else {
                self.prepare_rebalance(
                    now,
                    Duration::ZERO,
                    "the leader sent no assignment in time",
                );
            }
        }
    }
}

fn ms(v: i32) -> Duration {
    Duration::from_millis(v.max(0) as u64)
}

fn new_member_id(client_id: &str) -> String {
    format!("{client_id}-{}", uuid::Uuid::new_v4())
}

fn error_outcome(kind: ErrorKind, member_id: &str) -> JoinOutcome {
    JoinOutcome {
        error: Some(kind),
        generation: -1,
        member_id: member_id.to_string(),
        ..JoinOutcome::default()
    }
}

#[cfg(test)]
#[path = "group_tests.rs"]
mod tests;
