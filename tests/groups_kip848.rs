//! Consumer-protocol groups (KIP-848) with librdkafka (`group.protocol=consumer`): the broker
//! assigns partitions, members reconcile with epochs, leave, join late, die, and pick up
//! topics matching a regex subscription.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::clients::{admin, create_topic, wait_until};
use common::member::{all_values, Member};
use common::raw::RawClient;
use common::TestBroker;
use kalfka::config::BrokerConfig;
use kalfka_protocol::messages::{ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse};
use rdkafka::admin::AdminOptions;
use rdkafka::config::ClientConfig;
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};

const PARTITIONS: i32 = 3;
const SETTLE: Duration = Duration::from_secs(30);

fn start_broker(dir: &std::path::Path) -> TestBroker {
    let mut config = BrokerConfig::for_tests(dir);
    config.group_consumer_heartbeat_interval_ms = 100;
    config.group_consumer_session_timeout_ms = 3_000;
    TestBroker::start_with(config)
}

/// Produces values `from..to` round-robin over the partitions.
fn produce(bootstrap: &str, topic: &str, from: usize, to: usize) {
    let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("linger.ms", "5")
        .create()
        .expect("producer");
    for i in from..to {
        let value = i.to_string();
        let partition = (i % PARTITIONS as usize) as i32;
        producer
            .send(
                BaseRecord::<(), String>::to(topic)
                    .payload(&value)
                    .partition(partition),
            )
            .expect("enqueue");
    }
    producer.flush(Duration::from_secs(30)).expect("flush");
}

/// A `group.protocol=consumer` member of `group`.
fn member(bootstrap: &str, group: &str, subscription: &str, extra: &[(&str, &str)]) -> Member {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .set("group.protocol", "consumer")
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .set("topic.metadata.refresh.interval.ms", "500");
    for (k, v) in extra {
        c.set(*k, *v);
    }
    Member::start(&c, subscription)
}

fn partitioned(members: &[&Member], partitions: usize) -> bool {
    let mut all = Vec::new();
    for m in members {
        let a = m.assigned();
        if a.is_empty() {
            return false;
        }
        all.extend(a);
    }
    let distinct: BTreeSet<_> = all.iter().cloned().collect();
    all.len() == partitions && distinct.len() == partitions
}

/// User plus system CPU time of this process in clock ticks (Linux `/proc/self/stat`).
fn process_cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    field(11) + field(12)
}

#[test]
fn librdkafka_is_new_enough_for_the_consumer_protocol() {
    let (_, version) = rdkafka::util::get_rdkafka_version();
    println!("librdkafka {version}");
    let mut parts = version.split('.').filter_map(|p| p.parse::<u32>().ok());
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    assert!(
        (major, minor) >= (2, 4),
        "librdkafka {version} predates KIP-848 support"
    );
}

#[test]
fn two_groups_each_consume_every_record_once_and_three_members_share_three_partitions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = start_broker(dir.path());
    let bs = broker.bootstrap();
    create_topic(&bs, "kip848-two", PARTITIONS);
    let started = Instant::now();
    let a: Vec<Member> = (0..3)
        .map(|_| member(&bs, "kip848-a", "kip848-two", &[]))
        .collect();
    let refs: Vec<&Member> = a.iter().collect();
    wait_until("3 members to hold one partition each", SETTLE, || {
        partitioned(&refs, 3)
    });
    println!(
        "3 group.protocol=consumer members hold their partitions after {:?}",
        started.elapsed()
    );
    // Produced once the group is steady: before any commit, a partition that moved would be
    // read again from the start by its new owner (as with Kafka).
    produce(&bs, "kip848-two", 0, 300);
    let cpu_before = process_cpu_ticks();
    std::thread::sleep(Duration::from_secs(2));
    println!(
        "steady group, 3 members heartbeating every 100 ms: {} CPU ticks (1/100 s) in 2 s, \
         broker and librdkafka together",
        process_cpu_ticks().saturating_sub(cpu_before)
    );
    let b = member(
        &bs,
        "kip848-b",
        "kip848-two",
        &[("group.remote.assignor", "range")],
    );
    wait_until("every record in both groups", SETTLE, || {
        all_values(&refs).len() >= 300 && b.values().len() >= 300
    });
    // One sentinel per partition after the data: once both groups have read every sentinel,
    // each partition has been read to its end, and a record read twice would already show.
    produce(&bs, "kip848-two", 300, 300 + PARTITIONS as usize);
    let sentinels = |values: Vec<usize>| values.iter().filter(|v| **v >= 300).count();
    wait_until("every partition's sentinel in both groups", SETTLE, || {
        sentinels(all_values(&refs)) >= PARTITIONS as usize
            && sentinels(b.values()) >= PARTITIONS as usize
    });
    let data = |values: Vec<usize>| -> Vec<usize> {
        let mut v: Vec<usize> = values.into_iter().filter(|v| *v < 300).collect();
        v.sort_unstable();
        v
    };
    let expected: Vec<usize> = (0..300).collect();
    assert_eq!(
        data(all_values(&refs)),
        expected,
        "group a: every record once"
    );
    let bv = data(b.values());
    assert_eq!(bv, expected, "group b: every record once");
    for m in &a {
        assert_eq!(m.assigned().len(), 1);
    }
}

#[test]
fn member_leaves_and_the_rest_take_over_after_its_commit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = start_broker(dir.path());
    let bs = broker.bootstrap();
    create_topic(&bs, "kip848-leave", PARTITIONS);
    let m1 = member(&bs, "kip848-leave", "kip848-leave", &[]);
    let m2 = member(&bs, "kip848-leave", "kip848-leave", &[]);
    wait_until("both members to share the partitions", SETTLE, || {
        partitioned(&[&m1, &m2], 3)
    });
    produce(&bs, "kip848-leave", 0, 90);
    wait_until("the first 90 records", SETTLE, || {
        all_values(&[&m1, &m2]).len() >= 90
    });
    let left = m2.close(true);
    produce(&bs, "kip848-leave", 90, 180);
    wait_until("the remaining member to own all partitions", SETTLE, || {
        m1.assigned().len() == 3
    });
    wait_until("every record", SETTLE, || {
        m1.values().len() + left.len() >= 180
    });
    // A sentinel per partition: once m1 read them all, it read every partition to its end.
    produce(&bs, "kip848-leave", 180, 180 + PARTITIONS as usize);
    wait_until("every partition's sentinel", SETTLE, || {
        m1.values().iter().filter(|v| **v >= 180).count() >= PARTITIONS as usize
    });
    let mut all: Vec<usize> = m1
        .values()
        .into_iter()
        .chain(left)
        .filter(|v| *v < 180)
        .collect();
    all.sort_unstable();
    assert_eq!(
        all,
        (0..180).collect::<Vec<_>>(),
        "nothing lost, nothing twice"
    );
}

#[test]
fn member_added_later_gets_partitions_without_the_others_stopping() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = start_broker(dir.path());
    let bs = broker.bootstrap();
    create_topic(&bs, "kip848-late", PARTITIONS);
    let m1 = member(&bs, "kip848-late", "kip848-late", &[]);
    let m2 = member(&bs, "kip848-late", "kip848-late", &[]);
    wait_until("two members to share the partitions", SETTLE, || {
        partitioned(&[&m1, &m2], 3)
    });
    let m3 = member(&bs, "kip848-late", "kip848-late", &[]);
    wait_until("the late member to get a partition", SETTLE, || {
        partitioned(&[&m1, &m2, &m3], 3)
    });
    assert_eq!(m1.emptied() + m2.emptied(), 0, "nobody gave up everything");
}

#[test]
fn regex_subscription_picks_up_a_new_topic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = start_broker(dir.path());
    let bs = broker.bootstrap();
    create_topic(&bs, "kip848-re-a", 2);
    let m1 = member(&bs, "kip848-re", "^kip848-re-.*", &[]);
    let m2 = member(&bs, "kip848-re", "^kip848-re-.*", &[]);
    wait_until("both members to hold kip848-re-a", SETTLE, || {
        partitioned(&[&m1, &m2], 2)
    });
    create_topic(&bs, "kip848-re-b", 4);
    wait_until("the new topic to be assigned too", SETTLE, || {
        partitioned(&[&m1, &m2], 6)
    });
}

#[test]
fn partitions_added_while_the_group_runs_are_assigned_and_consumed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = start_broker(dir.path());
    let bs = broker.bootstrap();
    create_topic(&bs, "kip848-grow", 2);
    let m1 = member(&bs, "kip848-grow", "kip848-grow", &[]);
    let m2 = member(&bs, "kip848-grow", "kip848-grow", &[]);
    wait_until("two members to share 2 partitions", SETTLE, || {
        partitioned(&[&m1, &m2], 2)
    });
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let results = rt
        .block_on(admin(&bs).create_partitions(
            &[rdkafka::admin::NewPartitions::new("kip848-grow", 4)],
            &AdminOptions::new().operation_timeout(Some(Duration::from_secs(10))),
        ))
        .expect("create_partitions");
    for r in results {
        r.expect("partitions added");
    }
    wait_until("the 2 new partitions to be assigned", SETTLE, || {
        partitioned(&[&m1, &m2], 4)
    });
    // Records on the new partitions reach the group.
    let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", &bs)
        .create()
        .expect("producer");
    for (i, partition) in [(1000usize, 2), (1001, 3)] {
        let value = i.to_string();
        producer
            .send(
                BaseRecord::<(), String>::to("kip848-grow")
                    .payload(&value)
                    .partition(partition),
            )
            .expect("enqueue");
    }
    producer.flush(Duration::from_secs(30)).expect("flush");
    wait_until(
        "records of the new partitions to be consumed",
        SETTLE,
        || all_values(&[&m1, &m2]) == vec![1000, 1001],
    );
}

#[test]
fn member_that_stops_heartbeating_is_expired_after_its_session_timeout() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = start_broker(dir.path());
    let bs = broker.bootstrap();
    create_topic(&bs, "kip848-dead", PARTITIONS);
    // A member that joins over the wire and then goes silent, as a killed process would.
    let mut raw = RawClient::connect(broker.addr);
    let joined: ConsumerGroupHeartbeatResponse = raw.call(
        1,
        &ConsumerGroupHeartbeatRequest {
            group_id: "kip848-dead".into(),
            member_id: "silent-member".into(),
            member_epoch: 0,
            rebalance_timeout_ms: 10_000,
            subscribed_topic_names: Some(vec!["kip848-dead".into()]),
            topic_partitions: Some(Vec::new()),
            ..ConsumerGroupHeartbeatRequest::default()
        },
    );
    assert_eq!(joined.error_code, 0);
    let started = Instant::now();
    let live = member(&bs, "kip848-dead", "kip848-dead", &[]);
    wait_until("the live member to take every partition", SETTLE, || {
        live.assigned().len() == 3
    });
    let waited = started.elapsed();
    println!("silent member expired; live member owns all after {waited:?}");
    assert!(
        waited >= Duration::from_secs(2),
        "not before the session timeout"
    );
}

#[test]
fn static_member_comes_back_to_its_partitions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = start_broker(dir.path());
    let bs = broker.bootstrap();
    create_topic(&bs, "kip848-static", PARTITIONS);
    let s1 = member(
        &bs,
        "kip848-static",
        "kip848-static",
        &[("group.instance.id", "s1")],
    );
    let s2 = member(
        &bs,
        "kip848-static",
        "kip848-static",
        &[("group.instance.id", "s2")],
    );
    wait_until("static members to share the partitions", SETTLE, || {
        partitioned(&[&s1, &s2], 3)
    });
    let before = s1.assigned();
    let others = s2.assigned();
    let changes = s2.changes();
    s1.close(false);
    let s1 = member(
        &bs,
        "kip848-static",
        "kip848-static",
        &[("group.instance.id", "s1")],
    );
    wait_until("the static member to be back", SETTLE, || {
        !s1.assigned().is_empty()
    });
    assert_eq!(s1.assigned(), before, "same partitions again");
    // A wrong rebalance would come either at the rejoin (seen within a heartbeat) or when the
    // departed instance's session expires: watch past the session timeout, not a fixed pause.
    std::thread::sleep(Duration::from_millis(
        3_000 + 5 * 100, // group.consumer.session.timeout.ms + 5 heartbeats
    ));
    assert_eq!(
        s2.assigned(),
        others,
        "the other member kept its partitions"
    );
    assert_eq!(s2.changes(), changes, "and was not rebalanced meanwhile");
}
