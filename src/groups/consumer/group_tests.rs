//! Unit tests of consumer-protocol group reconciliation and fencing.

use std::collections::{BTreeMap, BTreeSet};

use kalfka_protocol::Uuid;
use tokio::time::{Duration, Instant};

use super::super::assignor::Assignment;
use super::{ConsumerGroup, ConsumerSettings, HeartbeatParams, TopicView};
use crate::error::BrokerError;

const SETTINGS: ConsumerSettings = ConsumerSettings {
    session_timeout: Duration::from_secs(10),
    heartbeat_interval: Duration::from_secs(1),
};

fn view(partitions: i32) -> TopicView {
    BTreeMap::from([("t".to_string(), (Uuid([1; 16]), partitions))])
}

fn join(id: &str) -> HeartbeatParams {
    HeartbeatParams {
        member_id: id.into(),
        member_epoch: 0,
        rebalance_timeout_ms: 1000,
        topic_names: Some(vec!["t".into()]),
        ..HeartbeatParams::default()
    }
}

fn beat(id: &str, epoch: i32, owned: Option<&Assignment>) -> HeartbeatParams {
    HeartbeatParams {
        member_id: id.into(),
        member_epoch: epoch,
        rebalance_timeout_ms: -1,
        owned: owned.cloned(),
        ..HeartbeatParams::default()
    }
}

fn parts(a: &Assignment) -> BTreeSet<i32> {
    a.get("t").cloned().unwrap_or_default()
}

#[test]
fn partitions_move_only_after_revocation() {
    let now = Instant::now();
    let v = view(2);
    let mut g = ConsumerGroup::new("g".into());
    let a = g.heartbeat(join("a"), &v, now, &SETTINGS).expect("a joins");
    let a_owned = a.assignment.expect("assignment");
    assert_eq!(parts(&a_owned), BTreeSet::from([0, 1]));
    let b = g.heartbeat(join("b"), &v, now, &SETTINGS).expect("b joins");
    assert_eq!(
        b.assignment.map(|x| parts(&x)),
        Some(BTreeSet::new()),
        "a still owns both"
    );
    // a is told to give one up, keeping its epoch.
    let a2 = g
        .heartbeat(beat("a", a.member_epoch, None), &v, now, &SETTINGS)
        .expect("a beats");
    assert_eq!(a2.member_epoch, a.member_epoch);
    let kept = a2.assignment.expect("revocation");
    assert_eq!(kept.get("t").map(BTreeSet::len), Some(1));
    // b gets nothing until a confirms.
    let b2 = g
        .heartbeat(beat("b", b.member_epoch, None), &v, now, &SETTINGS)
        .expect("b beats");
    assert_eq!(b2.assignment, None);
    let a3 = g
        .heartbeat(beat("a", a2.member_epoch, Some(&kept)), &v, now, &SETTINGS)
        .expect("a confirms");
    assert!(a3.member_epoch > a.member_epoch);
    let b3 = g
        .heartbeat(beat("b", b2.member_epoch, None), &v, now, &SETTINGS)
        .expect("b beats again");
    let got = parts(&b3.assignment.expect("b's partition"));
    assert_eq!(got.len(), 1);
    assert!(got.is_disjoint(&parts(&kept)));
}

#[test]
fn fencing_errors() {
    let now = Instant::now();
    let v = view(1);
    let mut g = ConsumerGroup::new("g".into());
    let a = g.heartbeat(join("a"), &v, now, &SETTINGS).expect("a joins");
    let err = g
        .heartbeat(beat("a", a.member_epoch + 5, None), &v, now, &SETTINGS)
        .expect_err("future epoch");
    assert!(matches!(err, BrokerError::FencedMemberEpoch));
    let err = g
        .heartbeat(beat("nobody", 1, None), &v, now, &SETTINGS)
        .expect_err("unknown member");
    assert!(matches!(err, BrokerError::UnknownMemberId));
    assert!(matches!(
        g.validate_offset_request("a", a.member_epoch - 1),
        Err(BrokerError::StaleMemberEpoch)
    ));
    assert!(g.validate_offset_request("a", a.member_epoch).is_ok());
}

#[test]
fn static_member_instance_ids() {
    let now = Instant::now();
    let v = view(1);
    let mut g = ConsumerGroup::new("g".into());
    let s1 = HeartbeatParams {
        instance_id: Some("i1".into()),
        ..join("m1")
    };
    let first = g.heartbeat(s1.clone(), &v, now, &SETTINGS).expect("joins");
    let other = HeartbeatParams {
        member_id: "m2".into(),
        ..s1.clone()
    };
    let err = g
        .heartbeat(other.clone(), &v, now, &SETTINGS)
        .expect_err("instance held");
    assert!(matches!(err, BrokerError::UnreleasedInstanceId));
    let leave = HeartbeatParams {
        member_epoch: -2,
        instance_id: Some("i1".into()),
        ..beat("m1", first.member_epoch, None)
    };
    assert_eq!(
        g.heartbeat(leave, &v, now, &SETTINGS)
            .expect("leaves")
            .member_epoch,
        -2
    );
    let back = g.heartbeat(other, &v, now, &SETTINGS).expect("returns");
    assert_eq!(back.member_epoch, first.member_epoch, "no rebalance");
    assert_eq!(back.assignment, first.assignment);
}

#[test]
fn expired_members_release_their_partitions() {
    let now = Instant::now();
    let v = view(2);
    let mut g = ConsumerGroup::new("g".into());
    g.heartbeat(join("a"), &v, now, &SETTINGS).expect("a joins");
    let b = g.heartbeat(join("b"), &v, now, &SETTINGS).expect("b joins");
    let later = now + Duration::from_secs(5);
    g.heartbeat(beat("b", b.member_epoch, None), &v, later, &SETTINGS)
        .expect("b beats");
    assert!(g.tick(now + Duration::from_secs(11)));
    assert_eq!(g.members.len(), 1);
    let b2 = g
        .heartbeat(beat("b", b.member_epoch, None), &v, later, &SETTINGS)
        .expect("b beats");
    assert_eq!(
        b2.assignment.map(|a| parts(&a)),
        Some(BTreeSet::from([0, 1]))
    );
}

#[test]
fn added_partitions_and_regex_matches_are_assigned() {
    let now = Instant::now();
    let mut g = ConsumerGroup::new("g".into());
    let a = g
        .heartbeat(join("a"), &view(2), now, &SETTINGS)
        .expect("a joins");
    assert_eq!(
        a.assignment.map(|x| parts(&x)),
        Some(BTreeSet::from([0, 1]))
    );
    let grown = g
        .heartbeat(beat("a", a.member_epoch, None), &view(4), now, &SETTINGS)
        .expect("a beats");
    assert!(
        grown.member_epoch > a.member_epoch,
        "metadata change bumps the epoch"
    );
    assert_eq!(
        grown.assignment.map(|x| parts(&x)),
        Some(BTreeSet::from([0, 1, 2, 3]))
    );

    let regex = HeartbeatParams {
        topic_names: None,
        regex: Some("r-.*".into()),
        ..join("b")
    };
    let mut topics = view(1);
    topics.insert("r-1".into(), (Uuid([2; 16]), 1));
    let mut g = ConsumerGroup::new("re".into());
    let b = g
        .heartbeat(regex, &topics, now, &SETTINGS)
        .expect("b joins");
    let got = b.assignment.expect("assignment");
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        vec!["r-1"],
        "only matching topics"
    );
    topics.insert("r-2".into(), (Uuid([3; 16]), 1));
    let b2 = g
        .heartbeat(beat("b", b.member_epoch, None), &topics, now, &SETTINGS)
        .expect("b beats");
    let got = b2.assignment.expect("new topic");
    assert_eq!(got.keys().collect::<Vec<_>>(), vec!["r-1", "r-2"]);
}

#[test]
fn member_that_does_not_revoke_within_its_rebalance_timeout_is_fenced() {
    let now = Instant::now();
    let v = view(2);
    let mut g = ConsumerGroup::new("g".into());
    let a = g.heartbeat(join("a"), &v, now, &SETTINGS).expect("a joins");
    let b = g.heartbeat(join("b"), &v, now, &SETTINGS).expect("b joins");
    let asked = g
        .heartbeat(beat("a", a.member_epoch, None), &v, now, &SETTINGS)
        .expect("a is asked to revoke");
    assert_eq!(
        asked.assignment.and_then(|x| x.get("t").map(BTreeSet::len)),
        Some(1)
    );
    assert!(
        !g.tick(now + Duration::from_millis(500)),
        "still within the rebalance timeout"
    );
    assert!(
        g.tick(now + Duration::from_millis(1500)),
        "fenced after 1000 ms"
    );
    let err = g
        .heartbeat(beat("a", a.member_epoch, None), &v, now, &SETTINGS)
        .expect_err("a is gone");
    assert!(matches!(err, BrokerError::UnknownMemberId));
    let b2 = g
        .heartbeat(beat("b", b.member_epoch, None), &v, now, &SETTINGS)
        .expect("b beats");
    assert_eq!(
        b2.assignment.map(|x| parts(&x)),
        Some(BTreeSet::from([0, 1]))
    );
}
