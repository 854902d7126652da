use super::*;

fn settings() -> ShareSettings {
    ShareSettings {
        limits: Limits {
            lock_duration: Duration::from_millis(100),
            delivery_count_limit: 1,
            max_in_flight: 100,
        },
        session_timeout: Duration::from_secs(45),
        heartbeat_interval: Duration::from_secs(5),
        max_sessions: 2,
    }
}

fn join(shares: &ShareGroups, member: &str, view: &TopicView, now: Instant) {
    let hb = ShareHeartbeat {
        member_id: member.into(),
        member_epoch: 0,
        rack_id: None,
        topics: Some(vec!["t".into()]),
        client_id: "c".into(),
        client_host: "/127.0.0.1".into(),
    };
    shares.heartbeat("g", hb, view, now).expect("join");
}

#[test]
fn the_tick_expires_locks_and_sessions_without_a_fetch() {
    let shares = ShareGroups::open(None, settings()).expect("open");
    let tid = Uuid([7; 16]);
    let view: TopicView = [("t".to_string(), (tid, 1))].into_iter().collect();
    let now = Instant::now();
    let configs = [(
        config::AUTO_OFFSET_RESET.to_string(),
        "earliest".to_string(),
    )];
    shares
        .set_group_configs("g", configs.into_iter().collect(), false)
        .expect("configs");
    join(&shares, "a", &view, now);
    assert_eq!(shares.read_from("g", (tid, 0), 0, 3, None, now), Some(0));
    let got = shares.acquire("g", "a", (tid, 0), 0, 3, 10, &[], now);
    assert_eq!(got.len(), 1);
    // Before the lock expires nothing changes; at its deadline the records, out of delivery
    // attempts (limit 1), are archived and the start offset moves past them.
    assert_eq!(
        shares
            .expire(now + Duration::from_millis(50))
            .expect("tick")
            .0,
        0
    );
    assert_eq!(shares.partition_offsets("g", (tid, 0), 3), Some((0, 3)));
    assert_eq!(
        shares
            .expire(now + Duration::from_millis(100))
            .expect("tick")
            .0,
        3
    );
    assert_eq!(shares.partition_offsets("g", (tid, 0), 3), Some((3, 0)));
    // A member whose session expired is gone at the next tick, its records given back.
    assert_eq!(shares.read_from("g", (tid, 0), 0, 5, None, now), Some(3));
    assert_eq!(
        shares.acquire("g", "a", (tid, 0), 3, 5, 10, &[], now).len(),
        1
    );
    let later = now + Duration::from_secs(46);
    assert_eq!(shares.expire(later).expect("tick").0, 2);
    assert!(shares.describe("g").expect("group").members.is_empty());
    assert_eq!(shares.partition_offsets("g", (tid, 0), 5), Some((5, 0)));
}

#[test]
fn a_full_session_cache_refuses_new_sessions_but_not_a_reopened_one() {
    let shares = ShareGroups::open(None, settings()).expect("open");
    shares.session("g", "a", 0, &[], &[]).expect("a");
    shares.session("g", "b", 0, &[], &[]).expect("b");
    assert!(matches!(
        shares.session("g", "c", 0, &[], &[]),
        Err(BrokerError::ShareSessionLimitReached)
    ));
    // Re-opening replaces the member's own session; closing one makes room.
    shares.session("g", "a", 0, &[], &[]).expect("a again");
    shares.close_session("g", "b").expect("close b");
    shares.session("h", "c", 0, &[], &[]).expect("c");
}
