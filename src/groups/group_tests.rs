//! Unit tests of the group state machine, driven with explicit instants.

use super::*;

fn params(member_id: &str, instance: Option<&str>) -> JoinParams {
    JoinParams {
        member_id: member_id.into(),
        instance_id: instance.map(Into::into),
        client_id: "c".into(),
        client_host: "/127.0.0.1".into(),
        session_timeout_ms: 10_000,
        rebalance_timeout_ms: 20_000,
        protocol_type: "consumer".into(),
        protocols: vec![("range".into(), Bytes::from_static(b"m"))],
        require_known_member_id: true,
    }
}

fn done<T: std::fmt::Debug>(p: Pending<T>) -> T {
    match p {
        Pending::Done(t) => t,
        Pending::Wait(_) => panic!("expected an immediate answer"),
    }
}

fn waiting<T>(p: Pending<T>) -> oneshot::Receiver<T> {
    match p {
        Pending::Wait(rx) => rx,
        Pending::Done(_) => panic!("expected a held request"),
    }
}

/// Joins a new dynamic member through the MEMBER_ID_REQUIRED round-trip.
fn join_new(g: &mut Group, now: Instant) -> (String, oneshot::Receiver<JoinOutcome>) {
    let first = done(g.join(params("", None), now, Duration::ZERO).expect("join"));
    assert_eq!(first.error, Some(ErrorKind::MemberIdRequired));
    let id = first.member_id;
    let rx = waiting(
        g.join(params(&id, None), now, Duration::ZERO)
            .expect("rejoin"),
    );
    (id, rx)
}

#[test]
fn single_member_joins_syncs_and_becomes_stable() {
    let now = Instant::now();
    let mut g = Group::new("g".into());
    let (id, mut rx) = join_new(&mut g, now);
    let joined = rx.try_recv().expect("join completes at once");
    assert_eq!(joined.error, None);
    assert_eq!(joined.generation, 1);
    assert_eq!(joined.leader, id);
    assert_eq!(joined.protocol_name.as_deref(), Some("range"));
    assert_eq!(g.state(), GroupState::CompletingRebalance);
    let sync = g
        .sync(
            &id,
            None,
            1,
            vec![(id.clone(), Bytes::from_static(b"a"))],
            now,
        )
        .expect("sync");
    let mut rx = waiting(sync);
    assert_eq!(
        rx.try_recv().expect("answered"),
        Ok(Bytes::from_static(b"a"))
    );
    assert_eq!(g.state(), GroupState::Stable);
    assert!(g.heartbeat(&id, None, 1, now).is_ok());
}

#[test]
fn second_member_triggers_rebalance_seen_by_heartbeat() {
    let now = Instant::now();
    let mut g = Group::new("g".into());
    let (a, mut rx) = join_new(&mut g, now);
    rx.try_recv().expect("a joined");
    let _ = waiting(g.sync(&a, None, 1, vec![], now).expect("sync")).try_recv();
    let (b, mut rx_b) = join_new(&mut g, now);
    assert_eq!(g.state(), GroupState::PreparingRebalance);
    assert!(rx_b.try_recv().is_err(), "b waits for a to rejoin");
    assert!(matches!(
        g.heartbeat(&a, None, 1, now),
        Err(BrokerError::RebalanceInProgress)
    ));
    let mut rx_a = waiting(
        g.join(params(&a, None), now, Duration::ZERO)
            .expect("a rejoins"),
    );
    let ja = rx_a.try_recv().expect("a answered");
    let jb = rx_b.try_recv().expect("b answered");
    assert_eq!(ja.generation, 2);
    assert_eq!(ja.leader, a);
    assert_eq!(ja.members.len(), 2, "the leader sees every member");
    assert!(jb.members.is_empty());
    assert!(matches!(
        g.sync(&b, None, 1, vec![], now),
        Err(BrokerError::IllegalGeneration)
    ));
}

#[test]
fn errors_for_unknown_member_and_bad_session_timeout() {
    let now = Instant::now();
    let mut g = Group::new("g".into());
    assert!(matches!(
        g.join(params("nobody", None), now, Duration::ZERO),
        Err(BrokerError::UnknownMemberId)
    ));
    let mut p = params("", None);
    p.session_timeout_ms = 10;
    assert!(matches!(
        g.join(p, now, Duration::ZERO),
        Err(BrokerError::InvalidSessionTimeout(10))
    ));
    assert!(matches!(
        g.heartbeat("nobody", None, 0, now),
        Err(BrokerError::UnknownMemberId)
    ));
}

#[test]
fn silent_member_expires_and_rest_rebalance() {
    let now = Instant::now();
    let mut g = Group::new("g".into());
    let (a, mut rx_a) = join_new(&mut g, now);
    let (b, mut rx_b) = join_new(&mut g, now);
    let _ = (rx_a.try_recv(), rx_b.try_recv());
    let mut rx_a = waiting(g.join(params(&a, None), now, Duration::ZERO).expect("a"));
    rx_a.try_recv().expect("generation with a and b");
    assert_eq!(g.members().count(), 2);
    // b keeps heartbeating, a goes silent.
    let later = now + Duration::from_millis(9_000);
    g.heartbeat(&b, None, g.generation(), later)
        .expect("b alive");
    assert_eq!(g.next_deadline(), Some(now + Duration::from_millis(10_000)));
    g.tick(now + Duration::from_millis(10_001));
    assert_eq!(g.members().count(), 1);
    assert_eq!(g.state(), GroupState::PreparingRebalance);
    assert!(matches!(
        g.heartbeat(&a, None, 2, later),
        Err(BrokerError::UnknownMemberId)
    ));
}

#[test]
fn rebalance_timeout_drops_members_that_do_not_rejoin() {
    let now = Instant::now();
    let mut g = Group::new("g".into());
    let (a, mut rx) = join_new(&mut g, now);
    rx.try_recv().expect("a");
    let (_b, mut rx_b) = join_new(&mut g, now);
    assert!(rx_b.try_recv().is_err());
    g.tick(now + Duration::from_millis(20_000));
    let jb = rx_b
        .try_recv()
        .expect("b answered after the rebalance timeout");
    assert_eq!(jb.members.len(), 1, "b leads alone");
    assert!(g.members().all(|m| m.id != a));
}

#[test]
fn initial_delay_holds_the_first_rebalance() {
    let now = Instant::now();
    let mut g = Group::new("g".into());
    let delay = Duration::from_millis(100);
    let mut rx = waiting(g.join(params("", Some("i")), now, delay).expect("join"));
    assert!(rx.try_recv().is_err());
    assert_eq!(g.next_deadline(), Some(now + delay));
    g.tick(now + delay);
    assert_eq!(rx.try_recv().expect("joined").generation, 1);
}

#[test]
fn static_member_rejoins_without_rebalance_and_fences_the_old_id() {
    let now = Instant::now();
    let mut g = Group::new("g".into());
    let mut rx = waiting(
        g.join(params("", Some("i1")), now, Duration::ZERO)
            .expect("j"),
    );
    let old = rx.try_recv().expect("joined").member_id;
    let mut rx = waiting(
        g.sync(
            &old,
            Some("i1"),
            1,
            vec![(old.clone(), Bytes::from_static(b"x"))],
            now,
        )
        .expect("sync"),
    );
    rx.try_recv().expect("synced").expect("assignment");
    let re = done(
        g.join(params("", Some("i1")), now, Duration::ZERO)
            .expect("restart"),
    );
    assert_eq!(re.generation, 1, "no new generation");
    assert_ne!(re.member_id, old);
    assert_eq!(g.state(), GroupState::Stable);
    let got = done(
        g.sync(&re.member_id, Some("i1"), 1, vec![], now)
            .expect("sync"),
    );
    assert_eq!(got, Ok(Bytes::from_static(b"x")));
    assert!(matches!(
        g.heartbeat(&old, Some("i1"), 1, now),
        Err(BrokerError::FencedInstanceId)
    ));
    assert!(matches!(
        g.join(params(&old, Some("i1")), now, Duration::ZERO),
        Err(BrokerError::FencedInstanceId)
    ));
}

#[test]
fn leave_of_last_member_empties_the_group() {
    let now = Instant::now();
    let mut g = Group::new("g".into());
    let (a, mut rx) = join_new(&mut g, now);
    rx.try_recv().expect("a");
    g.leave(&a, None, now).expect("leave");
    assert_eq!(g.state(), GroupState::Empty);
    assert!(g.is_empty());
    assert!(matches!(
        g.leave(&a, None, now),
        Err(BrokerError::UnknownMemberId)
    ));
}

#[test]
fn protocol_chosen_is_common_to_all_members() {
    let now = Instant::now();
    let mut g = Group::new("g".into());
    let mut p = params("", Some("a"));
    p.protocols = vec![
        ("cooperative-sticky".into(), Bytes::new()),
        ("range".into(), Bytes::new()),
    ];
    let _rx = g.join(p, now, Duration::from_millis(10)).expect("a");
    let mut p = params("", Some("b"));
    p.protocols = vec![("range".into(), Bytes::new())];
    let _rx2 = g.join(p, now, Duration::from_millis(10)).expect("b");
    let mut p = params("", Some("c"));
    p.protocols = vec![("roundrobin".into(), Bytes::new())];
    assert!(matches!(
        g.join(p, now, Duration::ZERO),
        Err(BrokerError::InconsistentGroupProtocol)
    ));
    g.tick(now + Duration::from_millis(10));
    assert_eq!(g.protocol(), Some("range"));
}

#[test]
fn leader_that_never_syncs_is_dropped_after_the_rebalance_timeout() {
    let now = Instant::now();
    let mut g = Group::new("g".into());
    let (a, mut rx_a) = join_new(&mut g, now);
    rx_a.try_recv().expect("a");
    let (b, mut rx_b) = join_new(&mut g, now);
    let mut rx_a = waiting(
        g.join(params(&a, None), now, Duration::ZERO)
            .expect("a rejoins"),
    );
    let leader = rx_a.try_recv().expect("a answered").leader;
    rx_b.try_recv().expect("b answered");
    assert_eq!(leader, a);
    let mut follower = waiting(g.sync(&b, None, 2, vec![], now).expect("b syncs"));
    assert!(follower.try_recv().is_err(), "held for the leader");
    assert_eq!(g.next_deadline(), Some(now + Duration::from_millis(10_000)));
    // Heartbeats keep both sessions alive; the leader's silence ends at the rebalance timeout.
    let later = now + Duration::from_millis(20_000);
    g.touch(&a, later);
    g.touch(&b, later);
    g.tick(later);
    assert_eq!(
        follower.try_recv().expect("answered"),
        Err(ErrorKind::RebalanceInProgress)
    );
    assert!(g.members().all(|m| m.id == b));
    assert_eq!(g.state(), GroupState::PreparingRebalance);
}

#[test]
fn pending_member_that_never_rejoins_stops_blocking_the_rebalance() {
    let now = Instant::now();
    let mut g = Group::new("g".into());
    let (a, mut rx) = join_new(&mut g, now);
    rx.try_recv().expect("a");
    let ghost = done(
        g.join(params("", None), now, Duration::ZERO)
            .expect("ghost"),
    );
    assert_eq!(ghost.error, Some(ErrorKind::MemberIdRequired));
    let mut rx = waiting(
        g.join(params(&a, None), now, Duration::ZERO)
            .expect("a rejoins"),
    );
    assert!(rx.try_recv().is_err(), "waits for the pending member");
    g.tick(now + Duration::from_millis(10_000));
    assert_eq!(rx.try_recv().expect("completed").generation, 2);
}
