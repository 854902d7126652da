use super::*;

fn limits() -> Limits {
    Limits {
        lock_duration: Duration::from_millis(100),
        delivery_count_limit: 3,
        max_in_flight: 10,
    }
}

fn range(first: i64, last: i64, delivery_count: u16) -> AcquiredRange {
    AcquiredRange {
        first,
        last,
        delivery_count,
    }
}

#[test]
fn acquires_new_records_and_accept_advances_the_start() {
    let (l, now) = (limits(), Instant::now());
    let mut p = SharePartition::new(5);
    assert_eq!(p.read_from(8, &l), Some(5));
    assert_eq!(p.acquire("a", 5, 8, 100, now, &l), vec![range(5, 7, 1)]);
    assert_eq!(p.read_from(8, &l), None, "nothing left to acquire");
    p.acknowledge("a", 5, 6, &[AckType::Accept], now, &l)
        .expect("ack");
    assert_eq!(p.start(), 7);
    p.acknowledge("a", 7, 7, &[AckType::Gap], now, &l)
        .expect("gap");
    assert_eq!((p.start(), p.end(), p.in_flight()), (8, 8, 0));
}

#[test]
fn max_records_and_the_in_flight_cap_bound_an_acquisition() {
    let (l, now) = (limits(), Instant::now());
    let mut p = SharePartition::new(0);
    assert_eq!(p.acquire("a", 0, 100, 4, now, &l), vec![range(0, 3, 1)]);
    assert_eq!(p.acquire("b", 4, 100, 100, now, &l), vec![range(4, 9, 1)]);
    assert_eq!(p.read_from(100, &l), None, "window full at max_in_flight");
}

#[test]
fn expired_lock_redelivers_with_a_higher_count_until_archived_at_the_limit() {
    let l = limits();
    let t0 = Instant::now();
    let mut p = SharePartition::new(0);
    assert_eq!(p.acquire("a", 0, 1, 10, t0, &l), vec![range(0, 0, 1)]);
    let t1 = t0 + Duration::from_millis(150);
    assert_eq!(p.expire_locks(t1, &l), 1);
    assert_eq!(p.state(0), Some(&RecordState::Available));
    assert_eq!(p.read_from(1, &l), Some(0));
    assert_eq!(p.acquire("b", 0, 1, 10, t1, &l), vec![range(0, 0, 2)]);
    let t2 = t1 + Duration::from_millis(150);
    p.expire_locks(t2, &l);
    assert_eq!(p.acquire("b", 0, 1, 10, t2, &l), vec![range(0, 0, 3)]);
    p.expire_locks(t2 + Duration::from_millis(150), &l);
    // Delivered three times (the limit): archived, and the start moves past it.
    assert_eq!((p.start(), p.in_flight()), (1, 0));
}

#[test]
fn release_redelivers_and_reject_archives() {
    let (l, now) = (limits(), Instant::now());
    let mut p = SharePartition::new(0);
    p.acquire("a", 0, 3, 10, now, &l);
    p.acknowledge(
        "a",
        0,
        2,
        &[AckType::Release, AckType::Reject, AckType::Accept],
        now,
        &l,
    )
    .expect("ack");
    assert_eq!(p.state(0), Some(&RecordState::Available));
    assert_eq!(p.state(1), Some(&RecordState::Archived));
    assert_eq!(p.state(2), Some(&RecordState::Acknowledged));
    assert_eq!(p.acquire("b", 0, 3, 10, now, &l), vec![range(0, 0, 2)]);
    p.acknowledge("b", 0, 0, &[AckType::Accept], now, &l)
        .expect("ack");
    assert_eq!((p.start(), p.in_flight()), (3, 0));
}

#[test]
fn releasing_at_the_limit_archives() {
    let (mut l, now) = (limits(), Instant::now());
    l.delivery_count_limit = 1;
    let mut p = SharePartition::new(0);
    p.acquire("a", 0, 2, 10, now, &l);
    p.acknowledge("a", 0, 0, &[AckType::Release], now, &l)
        .expect("ack");
    assert_eq!(p.state(0), None, "archived and below the start");
    assert_eq!(p.start(), 1);
}

#[test]
fn acknowledging_what_the_member_does_not_hold_changes_nothing() {
    let (l, now) = (limits(), Instant::now());
    let mut p = SharePartition::new(0);
    p.acquire("a", 0, 2, 10, now, &l);
    p.acquire("b", 2, 4, 10, now, &l);
    let wrong_member = p.acknowledge("b", 1, 2, &[AckType::Accept], now, &l);
    assert!(matches!(
        wrong_member,
        Err(BrokerError::InvalidRecordState(_))
    ));
    assert_eq!(
        p.state(2),
        Some(&RecordState::Acquired {
            member: "b".into(),
            deadline: now + l.lock_duration
        })
    );
    let outside = p.acknowledge("a", 3, 9, &[AckType::Accept], now, &l);
    assert!(matches!(outside, Err(BrokerError::InvalidRecordState(_))));
    let twice = p
        .acknowledge("a", 0, 0, &[AckType::Accept], now, &l)
        .and_then(|()| p.acknowledge("a", 0, 0, &[AckType::Accept], now, &l));
    assert!(matches!(twice, Err(BrokerError::InvalidRecordState(_))));
    let malformed = p.acknowledge("a", 1, 1, &[AckType::Accept, AckType::Accept], now, &l);
    assert!(matches!(malformed, Err(BrokerError::InvalidRequest(_))));
    let reversed = p.acknowledge("a", 1, 0, &[AckType::Accept], now, &l);
    assert!(matches!(reversed, Err(BrokerError::InvalidRequest(_))));
}

#[test]
fn a_late_acknowledgement_fails_after_the_lock_expired() {
    let (l, now) = (limits(), Instant::now());
    let mut p = SharePartition::new(0);
    p.acquire("a", 0, 1, 10, now, &l);
    let late = p.acknowledge(
        "a",
        0,
        0,
        &[AckType::Accept],
        now + Duration::from_millis(101),
        &l,
    );
    assert!(matches!(late, Err(BrokerError::InvalidRecordState(_))));
    assert_eq!(p.state(0), Some(&RecordState::Available));
}

#[test]
fn renew_extends_the_lock() {
    let (l, now) = (limits(), Instant::now());
    let mut p = SharePartition::new(0);
    p.acquire("a", 0, 1, 10, now, &l);
    let later = now + Duration::from_millis(90);
    p.acknowledge("a", 0, 0, &[AckType::Renew], later, &l)
        .expect("renew");
    assert_eq!(p.expire_locks(now + Duration::from_millis(150), &l), 0);
    assert_eq!(p.next_deadline(), Some(later + l.lock_duration));
}

#[test]
fn a_member_leaving_gives_its_records_back() {
    let (l, now) = (limits(), Instant::now());
    let mut p = SharePartition::new(0);
    p.acquire("a", 0, 2, 10, now, &l);
    p.acquire("b", 2, 3, 10, now, &l);
    assert_eq!(p.release_member("a", &l), 2);
    assert_eq!(p.acquire("c", 0, 3, 10, now, &l), vec![range(0, 1, 2)]);
}

#[test]
fn durable_form_keeps_acknowledgements_and_frees_locks() {
    let (l, now) = (limits(), Instant::now());
    let mut p = SharePartition::new(10);
    p.acquire("a", 10, 15, 10, now, &l);
    p.acknowledge(
        "a",
        11,
        13,
        &[AckType::Accept, AckType::Reject, AckType::Release],
        now,
        &l,
    )
    .expect("ack");
    let d = p.durable();
    assert_eq!(d.start, 10);
    let q = SharePartition::from_durable(&d);
    assert_eq!((q.start(), q.end()), (10, 15));
    assert_eq!(q.state(10), Some(&RecordState::Available));
    assert_eq!(q.state(11), Some(&RecordState::Acknowledged));
    assert_eq!(q.state(12), Some(&RecordState::Archived));
    assert_eq!(q.state(13), Some(&RecordState::Available));
    assert_eq!(q.delivery_count(14), Some(1));
    let mut q = q;
    // Redelivered: only what was not acknowledged, with higher counts.
    assert_eq!(
        q.acquire("b", 10, 20, 100, now, &l),
        vec![range(10, 10, 2), range(13, 14, 2), range(15, 19, 1)]
    );
}

#[test]
fn skip_to_drops_records_deleted_from_the_log() {
    let (l, now) = (limits(), Instant::now());
    let mut p = SharePartition::new(0);
    p.acquire("a", 0, 4, 10, now, &l);
    p.skip_to(2);
    assert_eq!((p.start(), p.end(), p.in_flight()), (2, 4, 2));
    p.skip_to(7);
    assert_eq!((p.start(), p.end(), p.in_flight()), (7, 7, 0));
}

#[test]
fn an_acquisition_past_the_window_or_backwards_takes_nothing() {
    let (l, now) = (limits(), Instant::now());
    let mut p = SharePartition::new(5);
    assert!(
        p.acquire("a", 9, 12, 10, now, &l).is_empty(),
        "beyond the end"
    );
    assert!(p.acquire("a", 7, 3, 10, now, &l).is_empty(), "backwards");
    assert_eq!(p.in_flight(), 0);
}

#[test]
fn skipped_offsets_are_archived_never_acquired() {
    let (l, now) = (limits(), Instant::now());
    let mut p = SharePartition::new(0);
    // 0-1 data, 2 marker, 3-4 aborted, 5 marker, 6 data.
    let skip = [(2, 2), (3, 4), (5, 5)];
    assert_eq!(
        p.acquire_skipping("a", 0, 7, 100, &skip, now, &l),
        vec![range(0, 1, 1), range(6, 6, 1)]
    );
    assert_eq!(p.state(3), Some(&RecordState::Archived));
    p.acknowledge("a", 0, 1, &[AckType::Accept], now, &l)
        .expect("ack");
    assert_eq!(p.start(), 6, "the start moves past the archived records");
    // Skipped records at the start of the window leave it at once.
    let mut q = SharePartition::new(0);
    assert!(q
        .acquire_skipping("a", 0, 3, 100, &[(0, 2)], now, &l)
        .is_empty());
    assert_eq!((q.start(), q.end(), q.in_flight()), (3, 3, 0));
}
