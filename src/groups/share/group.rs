//! One share group's membership (KIP-932 ShareGroupHeartbeat), pure: every call takes `now`.
//!
//! Invariants:
//! - Every member is assigned every existing partition of the topics it subscribes to (share
//!   groups share partitions; there is no exclusive ownership to reconcile).
//! - The group epoch grows whenever membership or a subscription changes; a member's epoch is
//!   the group epoch of its last accepted heartbeat, so its assignment is always current.
//! - A member whose last heartbeat is older than the session timeout is gone: the next call
//!   on the group removes it (its records are then given back by the caller).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::error::BrokerError;
use crate::groups::consumer::assignor::Assignment;
use crate::groups::consumer::group::TopicView;

/// One share-group member.
#[derive(Debug, Clone)]
pub struct ShareMember {
    /// Member epoch.
    pub epoch: i32,
    /// Subscribed topic names.
    pub topics: Vec<String>,
    /// Rack id.
    pub rack_id: Option<String>,
    /// Client id.
    pub client_id: String,
    /// Address of the client's last heartbeat (`/127.0.0.1`), as Kafka shows it.
    pub client_host: String,
    /// The assignment last sent to the member.
    pub sent: Option<Assignment>,
    last_seen: Instant,
}

/// What a ShareGroupHeartbeat carries.
#[derive(Debug, Clone)]
pub struct ShareHeartbeat {
    /// Client-generated member id.
    pub member_id: String,
    /// 0 to join, -1 to leave, else the member's epoch.
    pub member_epoch: i32,
    /// Rack id, if given.
    pub rack_id: Option<String>,
    /// Subscribed topics, `None` when unchanged.
    pub topics: Option<Vec<String>>,
    /// Client id from the request header.
    pub client_id: String,
    /// Address of the connection the heartbeat came on (`/127.0.0.1`).
    pub client_host: String,
}

/// The answer to a heartbeat.
#[derive(Debug, Clone)]
pub struct ShareHeartbeatOutcome {
    /// The member's epoch (-1 after leaving).
    pub member_epoch: i32,
    /// The assignment, when it changed since the last one sent.
    pub assignment: Option<Assignment>,
}

/// One share group.
#[derive(Debug, Clone)]
pub struct ShareGroup {
    /// Group id.
    pub id: String,
    /// Group epoch.
    pub epoch: i32,
    /// Members by id.
    pub members: BTreeMap<String, ShareMember>,
}

impl ShareGroup {
    /// A group without members.
    pub fn new(id: String) -> Self {
        ShareGroup {
            id,
            epoch: 0,
            members: BTreeMap::new(),
        }
    }

    /// "Empty" or "Stable" (every member always has its whole assignment).
    pub fn state(&self) -> &'static str {
        if self.members.is_empty() {
            "Empty"
        } else {
            "Stable"
        }
    }

    /// Removes the members whose session expired by `now`; returns their ids.
    pub fn expire(&mut self, now: Instant, session_timeout: Duration) -> Vec<String> {
        let gone: Vec<String> = self
            .members
            .iter()
            .filter(|(_, m)| m.last_seen + session_timeout <= now)
            .map(|(id, _)| id.clone())
            .collect();
        for id in &gone {
            self.members.remove(id);
        }
        if !gone.is_empty() {
            self.epoch += 1;
        }
        gone
    }

    /// Handles a heartbeat (after [`ShareGroup::expire`]).
    pub fn heartbeat(
        &mut self,
        hb: ShareHeartbeat,
        view: &TopicView,
        now: Instant,
    ) -> Result<ShareHeartbeatOutcome, BrokerError> {
        match hb.member_epoch {
            -1 => {
                if self.members.remove(&hb.member_id).is_some() {
                    self.epoch += 1;
                }
                return Ok(ShareHeartbeatOutcome {
                    member_epoch: -1,
                    assignment: None,
                });
            }
            0 => {
                let topics = hb.topics.clone().ok_or_else(|| {
                    BrokerError::InvalidRequest(
                        "SubscribedTopicNames must be set in first request.".into(),
                    )
                })?;
                self.epoch += 1;
                self.members.insert(
                    hb.member_id.clone(),
                    ShareMember {
                        epoch: self.epoch,
                        topics,
                        rack_id: hb.rack_id.clone(),
                        client_id: hb.client_id.clone(),
                        client_host: hb.client_host.clone(),
                        sent: None,
                        last_seen: now,
                    },
                );
            }
            epoch => {
                let m = self
                    .members
                    .get_mut(&hb.member_id)
                    .ok_or(BrokerError::UnknownMemberId)?;
                if epoch != m.epoch {
                    return Err(BrokerError::FencedMemberEpoch);
                }
                m.last_seen = now;
                m.client_id = hb.client_id.clone();
                m.client_host = hb.client_host.clone();
                if let Some(topics) = hb.topics.clone() {
                    if topics != m.topics {
                        m.topics = topics;
                        self.epoch += 1;
                    }
                }
                if hb.rack_id.is_some() {
                    m.rack_id = hb.rack_id.clone();
                }
            }
        }
        let epoch = self.epoch;
        let m = self
            .members
            .get_mut(&hb.member_id)
            .ok_or(BrokerError::UnknownMemberId)?;
        m.epoch = epoch;
        let target = assignment(&m.topics, view);
        let assignment = (m.sent.as_ref() != Some(&target)).then(|| target.clone());
        m.sent = Some(target);
        Ok(ShareHeartbeatOutcome {
            member_epoch: epoch,
            assignment,
        })
    }
}

/// Every partition of the subscribed topics that exist.
pub fn assignment(topics: &[String], view: &TopicView) -> Assignment {
    topics
        .iter()
        .filter_map(|t| {
            view.get(t)
                .map(|(_, count)| (t.clone(), (0..*count).collect()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kalfka_protocol::Uuid;

    fn hb(member: &str, epoch: i32, topics: Option<&[&str]>) -> ShareHeartbeat {
        ShareHeartbeat {
            member_id: member.into(),
            member_epoch: epoch,
            rack_id: None,
            topics: topics.map(|t| t.iter().map(|s| s.to_string()).collect()),
            client_id: "c".into(),
            client_host: "/127.0.0.1".into(),
        }
    }

    #[test]
    fn members_share_every_partition_and_expire_after_the_session_timeout() {
        let view: TopicView = [("t".to_string(), (Uuid([1; 16]), 2))]
            .into_iter()
            .collect();
        let now = Instant::now();
        let mut g = ShareGroup::new("g".into());
        let a = g
            .heartbeat(hb("a", 0, Some(&["t"])), &view, now)
            .expect("a");
        let b = g
            .heartbeat(hb("b", 0, Some(&["t"])), &view, now)
            .expect("b");
        let both = a.assignment.expect("assigned");
        assert_eq!(both.get("t").map(|p| p.len()), Some(2));
        assert_eq!(b.assignment, Some(both));
        assert_eq!((a.member_epoch, b.member_epoch), (1, 2));
        // Unchanged assignment: not sent again; stale epoch: fenced.
        let again = g.heartbeat(hb("b", 2, None), &view, now).expect("b again");
        assert!(again.assignment.is_none());
        assert!(matches!(
            g.heartbeat(hb("b", 1, None), &view, now),
            Err(BrokerError::FencedMemberEpoch)
        ));
        assert!(matches!(
            g.heartbeat(hb("x", 3, None), &view, now),
            Err(BrokerError::UnknownMemberId)
        ));
        let later = now + Duration::from_secs(10);
        g.heartbeat(hb("a", 1, None), &view, later)
            .expect("a keeps alive");
        let gone = g.expire(later + Duration::from_secs(5), Duration::from_secs(12));
        assert_eq!(gone, vec!["b".to_string()]);
        assert_eq!(g.state(), "Stable");
        g.heartbeat(hb("a", 2, None), &view, later)
            .expect("a after b left");
        g.heartbeat(hb("a", -1, None), &view, later)
            .expect("a leaves");
        assert_eq!(g.state(), "Empty");
    }
}
