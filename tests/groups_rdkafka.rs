//! Consumer groups with librdkafka (the rdkafka crate): partitions are shared out within a
//! group and every group sees every record; members that leave, die or restart are handled;
//! committed offsets survive a broker restart; admin views of groups and offsets.

mod common;

use common::clients::{admin, runtime, wait_until};

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::member::{all_values, Member};
use common::raw::RawClient;
use common::TestBroker;
use kalfka::config::BrokerConfig;
use kalfka_protocol::messages::offset_delete_request::{
    OffsetDeleteRequestPartition, OffsetDeleteRequestTopic,
};
use kalfka_protocol::messages::{OffsetDeleteRequest, OffsetDeleteResponse};
use rdkafka::admin::AdminOptions;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::TopicPartitionList;

const PARTITIONS: i32 = 3;
const SETTLE: Duration = Duration::from_secs(30);

fn start_broker(dir: &std::path::Path) -> TestBroker {
    let mut config = BrokerConfig::for_tests(dir);
    config.group_initial_rebalance_delay_ms = 100;
    TestBroker::start_with(config)
}

/// Creates a topic with the tests' partition count.
fn create_topic(bootstrap: &str, topic: &str) {
    common::clients::create_topic(bootstrap, topic, PARTITIONS);
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

fn consumer_config(bootstrap: &str, group: &str, extra: &[(&str, &str)]) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .set("session.timeout.ms", "6000")
        .set("heartbeat.interval.ms", "500")
        .set("max.poll.interval.ms", "10000")
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false");
    for (k, v) in extra {
        c.set(*k, *v);
    }
    c
}

/// A classic-protocol member of `group`.
fn member(bootstrap: &str, group: &str, topic: &str, extra: &[(&str, &str)]) -> Member {
    Member::start(&consumer_config(bootstrap, group, extra), topic)
}

/// True when the members' assignments are disjoint and cover every partition.
fn partitioned(members: &[&Member]) -> bool {
    let mut all = Vec::new();
    for m in members {
        all.extend(m.assigned());
    }
    let distinct: BTreeSet<_> = all.iter().cloned().collect();
    all.len() == PARTITIONS as usize && distinct.len() == PARTITIONS as usize
}

#[test]
fn two_groups_each_consume_every_record_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = start_broker(dir.path());
    let bs = broker.bootstrap();
    create_topic(&bs, "shared");
    let started = Instant::now();
    let search: Vec<Member> = (0..3)
        .map(|_| member(&bs, "search", "shared", &[]))
        .collect();
    let counter: Vec<Member> = (0..3)
        .map(|_| member(&bs, "counter", "shared", &[]))
        .collect();
    let s: Vec<&Member> = search.iter().collect();
    let c: Vec<&Member> = counter.iter().collect();
    wait_until("both groups to share out the partitions", SETTLE, || {
        partitioned(&s) && partitioned(&c) && s.iter().chain(&c).all(|m| m.assigned().len() == 1)
    });
    eprintln!("6 members settled in {:?}", started.elapsed());
    produce(&bs, "shared", 0, 600);
    let expected: Vec<usize> = (0..600).collect();
    wait_until("every record in both groups", SETTLE, || {
        all_values(&s).len() >= 600 && all_values(&c).len() >= 600
    });
    assert_eq!(
        all_values(&s),
        expected,
        "search got each record exactly once"
    );
    assert_eq!(
        all_values(&c),
        expected,
        "counter got each record exactly once"
    );
    assert!(partitioned(&s) && partitioned(&c));
}

#[test]
fn idle_member_takes_over_from_one_that_leaves() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = start_broker(dir.path());
    let bs = broker.bootstrap();
    create_topic(&bs, "five");
    let mut members: Vec<Member> = (0..5).map(|_| member(&bs, "g5", "five", &[])).collect();
    {
        let refs: Vec<&Member> = members.iter().collect();
        wait_until("3 busy and 2 idle members", SETTLE, || {
            partitioned(&refs) && refs.iter().filter(|m| m.assigned().is_empty()).count() == 2
        });
    }
    produce(&bs, "five", 0, 300);
    {
        let refs: Vec<&Member> = members.iter().collect();
        wait_until("the first records", SETTLE, || {
            all_values(&refs).len() >= 300
        });
    }
    let busy = members
        .iter()
        .position(|m| !m.assigned().is_empty())
        .expect("a busy member");
    let leaving = members.remove(busy);
    let left_with = leaving.assigned();
    let mut consumed = leaving.close(true);
    {
        let refs: Vec<&Member> = members.iter().collect();
        wait_until("an idle member to take over", SETTLE, || {
            partitioned(&refs) && refs.iter().filter(|m| m.assigned().is_empty()).count() == 1
        });
    }
    assert!(!left_with.is_empty());
    produce(&bs, "five", 300, 600);
    let refs: Vec<&Member> = members.iter().collect();
    wait_until("every record", SETTLE, || {
        let mut v = all_values(&refs);
        v.extend(&consumed);
        v.sort_unstable();
        v.dedup();
        v.len() == 600
    });
    consumed.extend(all_values(&refs));
    consumed.sort_unstable();
    consumed.dedup();
    assert_eq!(consumed, (0..600).collect::<Vec<_>>(), "nothing lost");
}

#[test]
fn committed_offsets_survive_a_broker_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = start_broker(dir.path());
    let bs = broker.bootstrap();
    create_topic(&bs, "resume");
    produce(&bs, "resume", 0, 300);
    // Consume exactly half, then commit the position (the offset after the last record the
    // application saw) and close.
    let mut consumed = BTreeSet::new();
    {
        let consumer: BaseConsumer = consumer_config(&bs, "resumer", &[])
            .create()
            .expect("consumer");
        consumer.subscribe(&["resume"]).expect("subscribe");
        let deadline = Instant::now() + SETTLE;
        while consumed.len() < 150 {
            assert!(
                Instant::now() < deadline,
                "timed out consuming the first half"
            );
            if let Some(Ok(m)) = consumer.poll(Duration::from_millis(100)) {
                let v: usize = m
                    .payload_view::<str>()
                    .and_then(Result::ok)
                    .and_then(|v| v.parse().ok())
                    .expect("numeric value");
                consumed.insert(v);
            }
        }
        consumer
            .commit_consumer_state(CommitMode::Sync)
            .expect("commit");
    }
    broker.stop();

    let broker = start_broker(dir.path());
    let bs = broker.bootstrap();
    let m = member(&bs, "resumer", "resume", &[]);
    let rest_len = 300 - consumed.len();
    wait_until("the rest", SETTLE, || m.values().len() >= rest_len);
    // A sentinel per partition: once all are read, every partition was read to its end, and
    // a record delivered twice would already be among the values.
    produce(&bs, "resume", 300, 300 + PARTITIONS as usize);
    wait_until("every partition's sentinel", SETTLE, || {
        m.values().iter().filter(|v| **v >= 300).count() >= PARTITIONS as usize
    });
    let rest: Vec<usize> = m.close(false).into_iter().filter(|v| *v < 300).collect();
    let rest_set: BTreeSet<usize> = rest.iter().copied().collect();
    assert_eq!(
        rest.len(),
        rest_set.len(),
        "no record twice after the restart"
    );
    assert!(
        consumed.is_disjoint(&rest_set),
        "resumed exactly at the commit"
    );
    assert_eq!(consumed.len() + rest_set.len(), 300);
}

/// A child process killed when dropped (so a failing test leaves nothing behind).
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs a consumer of group "evict" in a child process (this test binary, see
/// `child_consumer`), so that SIGKILL stops its heartbeats without a LeaveGroup.
fn spawn_child(bootstrap: &str) -> ChildGuard {
    let child = Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", "child_consumer", "--ignored", "--nocapture"])
        .env("KALFKA_CHILD_BOOTSTRAP", bootstrap)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("child process");
    ChildGuard(child)
}

/// Not a test: the body of the child process of `dead_member_is_evicted_after_session_timeout`.
#[test]
#[ignore = "helper run by dead_member_is_evicted_after_session_timeout"]
fn child_consumer() {
    let Ok(bs) = std::env::var("KALFKA_CHILD_BOOTSTRAP") else {
        return;
    };
    let m = member(&bs, "evict", "evict", &[]);
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(m);
}

#[test]
fn dead_member_is_evicted_after_session_timeout() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = start_broker(dir.path());
    let bs = broker.bootstrap();
    create_topic(&bs, "evict");
    let a = member(&bs, "evict", "evict", &[]);
    let b = member(&bs, "evict", "evict", &[]);
    let mut child = spawn_child(&bs);
    wait_until("the child to hold a partition", SETTLE, || {
        a.assigned().len() == 1 && b.assigned().len() == 1
    });
    produce(&bs, "evict", 0, 90);
    wait_until("the survivors' records", SETTLE, || {
        all_values(&[&a, &b]).len() >= 60
    });
    child.0.kill().expect("SIGKILL the child");
    let _ = child.0.wait();
    let killed = Instant::now();
    wait_until(
        "the dead member's partition to be reassigned",
        SETTLE,
        || partitioned(&[&a, &b]),
    );
    let took = killed.elapsed();
    assert!(
        took >= Duration::from_secs(4),
        "evicted by session timeout, took {took:?}"
    );
    produce(&bs, "evict", 90, 180);
    wait_until("records after the eviction", SETTLE, || {
        all_values(&[&a, &b]).iter().filter(|v| **v >= 90).count() == 90
    });
}

#[test]
fn static_member_restart_keeps_its_partitions_without_rebalance() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = start_broker(dir.path());
    let bs = broker.bootstrap();
    create_topic(&bs, "static");
    let s1 = member(&bs, "statics", "static", &[("group.instance.id", "s1")]);
    let s2 = member(&bs, "statics", "static", &[("group.instance.id", "s2")]);
    wait_until("both static members assigned", SETTLE, || {
        partitioned(&[&s1, &s2]) && !s1.assigned().is_empty() && !s2.assigned().is_empty()
    });
    let before = s1.assigned();
    let s2_changes = s2.changes();
    s1.close(false);
    let s1 = member(&bs, "statics", "static", &[("group.instance.id", "s1")]);
    wait_until("the restarted member's assignment", SETTLE, || {
        !s1.assigned().is_empty()
    });
    assert_eq!(s1.assigned(), before, "same partitions after the restart");
    // A wrong rebalance would come either at the rejoin (seen within a heartbeat) or when the
    // departed instance's session expires: watch past the session timeout, not a fixed pause.
    std::thread::sleep(Duration::from_millis(
        6_000 + 3 * 500, // session.timeout.ms + 3 heartbeat intervals
    ));
    assert_eq!(
        s2.changes(),
        s2_changes,
        "the other member saw no rebalance"
    );
    assert!(partitioned(&[&s1, &s2]));
}

#[test]
fn admin_lists_describes_and_deletes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = start_broker(dir.path());
    let bs = broker.bootstrap();
    create_topic(&bs, "adm");
    produce(&bs, "adm", 0, 30);
    let m = member(&bs, "admin-g", "adm", &[]);
    wait_until("all records", SETTLE, || m.values().len() == 30);
    let probe: BaseConsumer = consumer_config(&bs, "admin-g", &[])
        .create()
        .expect("probe");
    let list = probe
        .fetch_group_list(None, Duration::from_secs(10))
        .expect("list groups");
    let g = list
        .groups()
        .iter()
        .find(|g| g.name() == "admin-g")
        .expect("group listed");
    assert_eq!(g.state(), "Stable");
    assert_eq!(g.protocol_type(), "consumer");
    assert_eq!(g.members().len(), 1);
    assert!(g.members()[0].assignment().is_some_and(|a| !a.is_empty()));

    let deleted = runtime()
        .block_on(admin(&bs).delete_groups(&["admin-g"], &AdminOptions::new()))
        .expect("delete_groups");
    assert!(deleted[0].is_err(), "a group with members is not deleted");
    m.close(true);

    let mut tpl = TopicPartitionList::new();
    for p in 0..PARTITIONS {
        tpl.add_partition("adm", p);
    }
    let committed = probe
        .committed_offsets(tpl, Duration::from_secs(10))
        .expect("committed offsets");
    let offsets: BTreeMap<i32, i64> = committed
        .elements()
        .iter()
        .map(|e| (e.partition(), e.offset().to_raw().unwrap_or(-1)))
        .collect();
    assert_eq!(offsets.values().sum::<i64>(), 30, "{offsets:?}");

    let mut raw = RawClient::connect(broker.addr);
    let resp: OffsetDeleteResponse = raw.call(
        0,
        &OffsetDeleteRequest {
            group_id: "admin-g".into(),
            topics: vec![OffsetDeleteRequestTopic {
                name: "adm".into(),
                partitions: vec![OffsetDeleteRequestPartition { partition_index: 0 }],
            }],
        },
    );
    assert_eq!(resp.error_code, 0);
    assert_eq!(resp.topics[0].partitions[0].error_code, 0);
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition("adm", 0);
    let after = probe
        .committed_offsets(tpl, Duration::from_secs(10))
        .expect("committed offsets");
    assert_eq!(
        after.elements()[0].offset().to_raw(),
        Some(-1001),
        "deleted = invalid"
    );

    let deleted = runtime()
        .block_on(admin(&bs).delete_groups(&["admin-g"], &AdminOptions::new()))
        .expect("delete_groups");
    deleted[0].as_ref().expect("empty group deleted");
    drop(probe);
}

#[test]
fn cooperative_sticky_converges_as_members_come_and_go() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = start_broker(dir.path());
    let bs = broker.bootstrap();
    create_topic(&bs, "coop");
    let extra = [("partition.assignment.strategy", "cooperative-sticky")];
    let mut members: Vec<Member> = Vec::new();
    for n in 1..=3 {
        let before: Vec<BTreeSet<(String, i32)>> = members.iter().map(Member::assigned).collect();
        members.push(member(&bs, "coop", "coop", &extra));
        let refs: Vec<&Member> = members.iter().collect();
        wait_until(&format!("{n} cooperative members"), SETTLE, || {
            partitioned(&refs) && refs.iter().all(|m| !m.assigned().is_empty())
        });
        // Sticky and incremental: members keep what they had but what the newcomer took,
        // and never pass through an empty assignment.
        for (i, had) in before.iter().enumerate() {
            let now = members[i].assigned();
            assert!(
                now.is_subset(had),
                "member {i} gained {now:?} (had {had:?}) when another joined"
            );
            assert_eq!(
                members[i].emptied(),
                0,
                "member {i} lost everything during a cooperative rebalance"
            );
        }
    }
    produce(&bs, "coop", 0, 90);
    {
        let refs: Vec<&Member> = members.iter().collect();
        wait_until("records", SETTLE, || all_values(&refs).len() >= 90);
        let mut seen = all_values(&refs);
        seen.dedup();
        assert_eq!(seen, (0..90).collect::<Vec<_>>(), "every record read");
    }
    while members.len() > 1 {
        let m = members.remove(0);
        m.close(true);
        let before: Vec<BTreeSet<(String, i32)>> = members.iter().map(Member::assigned).collect();
        let refs: Vec<&Member> = members.iter().collect();
        wait_until(
            &format!("{} cooperative members", refs.len()),
            SETTLE,
            || partitioned(&refs),
        );
        // Those who stay keep their partitions and take over the leaver's.
        for (i, had) in before.iter().enumerate() {
            let now = members[i].assigned();
            assert!(
                had.is_subset(&now),
                "member lost {had:?} -> {now:?} when another left"
            );
        }
    }
}
