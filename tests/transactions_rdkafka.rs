//! Kafka transactions driven by librdkafka (the rdkafka crate) against an in-process broker:
//! a transactional producer commits one transaction and aborts another across 3 partitions
//! (read_committed consumers see exactly the committed records and are not blocked past an
//! open transaction's records by later ones, read_uncommitted consumers see everything, nobody
//! sees control records); consume-transform-produce with send_offsets_to_transaction (aborted
//! offsets are not committed, committed ones are); and zombie fencing by a second producer with
//! the same transactional.id.

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::clients::{assigned_from_beginning, create_topic};
use common::spread::{by_partition, concat, Seen};
use common::TestBroker;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::Message;
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::{Offset, TopicPartitionList};

const PARTITIONS: i32 = 3;
/// Bound on every wait for records or for a transactional call.
const WAIT: Duration = Duration::from_secs(30);

/// A name no other test (or earlier run on the same broker) uses.
fn unique(prefix: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}-{}-{}-{nanos:x}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A transactional producer, already through init_transactions.
fn txn_producer(bootstrap: &str, txn_id: &str) -> ThreadedProducer<DefaultProducerContext> {
    let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("transactional.id", txn_id)
        .set("transaction.timeout.ms", "60000")
        .set("linger.ms", "5")
        .create()
        .expect("transactional producer");
    producer
        .init_transactions(WAIT)
        .unwrap_or_else(|e| panic!("init_transactions for {txn_id}: {e}"));
    producer
}

/// Queues `value` for `topic`/`partition`, waiting (bounded) while the local queue is full.
fn send(
    producer: &ThreadedProducer<DefaultProducerContext>,
    topic: &str,
    partition: i32,
    value: &str,
) {
    let mut rec = BaseRecord::<str, str>::to(topic)
        .partition(partition)
        .key(value)
        .payload(value);
    for _ in 0..5_000 {
        match producer.send(rec) {
            Ok(()) => return,
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                rec = back;
                std::thread::sleep(Duration::from_millis(2));
            }
            Err((e, _)) => panic!("send {value} to {topic}/{partition}: {e}"),
        }
    }
    panic!("record {value} could not be queued");
}

/// Sends `values`, each to partition `i % PARTITIONS` of `topic`.
fn send_all(producer: &ThreadedProducer<DefaultProducerContext>, topic: &str, values: &[String]) {
    for (i, v) in values.iter().enumerate() {
        send(producer, topic, (i as i32) % PARTITIONS, v);
    }
}

fn count(seen: &Seen) -> usize {
    seen.values().map(Vec::len).sum()
}

/// Reads every partition of `topic` from the beginning with the given isolation level until
/// `done` holds (or 30 s pass), then for one more second to catch anything extra. A record
/// without a value shows as `<null>`.
fn read(bootstrap: &str, topic: &str, isolation: &str, done: impl Fn(&Seen) -> bool) -> Seen {
    let consumer =
        assigned_from_beginning(bootstrap, &unique("reader"), topic, PARTITIONS, isolation);
    let mut seen: Seen = (0..PARTITIONS).map(|p| (p, Vec::new())).collect();
    let deadline = Instant::now() + WAIT;
    let mut drain_until: Option<Instant> = None;
    loop {
        let now = Instant::now();
        if now > deadline || drain_until.is_some_and(|d| now > d) {
            break;
        }
        if drain_until.is_none() && done(&seen) {
            drain_until = Some(now + Duration::from_secs(1));
        }
        match consumer.poll(Duration::from_millis(100)) {
            None => {}
            Some(Ok(m)) => {
                let value = match m.payload() {
                    Some(v) => String::from_utf8_lossy(v).into_owned(),
                    None => "<null>".to_string(),
                };
                seen.entry(m.partition()).or_default().push(value);
            }
            Some(Err(e)) => panic!("{isolation} consumer of {topic}: {e}"),
        }
    }
    seen
}

/// Reads until every partition holds at least as many records as `expected` has there, then
/// checks that the values are exactly `expected`.
fn assert_reads(bootstrap: &str, topic: &str, isolation: &str, expected: &Seen, when: &str) {
    let got = read(bootstrap, topic, isolation, |seen| {
        expected
            .iter()
            .all(|(p, vs)| seen.get(p).map_or(0, Vec::len) >= vs.len())
    });
    assert_eq!(
        &got,
        expected,
        "{isolation} consumer of {topic} {when}: got {} records, expected {}",
        count(&got),
        count(expected)
    );
}

fn values(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}-{i:03}")).collect()
}

#[test]
fn commit_and_abort_across_three_partitions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let bootstrap = broker.bootstrap();
    let topic = unique("txn-commit-abort");
    create_topic(&bootstrap, &topic, PARTITIONS);

    let producer = txn_producer(&bootstrap, &unique("txn-ca"));

    // Transaction 1: committed.
    let committed = values("commit", 30);
    producer.begin_transaction().expect("begin 1");
    send_all(&producer, &topic, &committed);
    producer.commit_transaction(WAIT).expect("commit 1");
    let committed = by_partition(&committed, PARTITIONS);

    // Transaction 2: written to the log, then (while still open) read, then aborted.
    let aborted = values("abort", 30);
    producer.begin_transaction().expect("begin 2");
    send_all(&producer, &topic, &aborted);
    producer
        .flush(WAIT)
        .expect("open transaction's records delivered");
    let aborted = by_partition(&aborted, PARTITIONS);

    // With transaction 2 open, read_committed stops at its first record (the last stable
    // offset) but still gets everything committed before it; read_uncommitted sees it.
    assert_reads(
        &bootstrap,
        &topic,
        "read_committed",
        &committed,
        "while a transaction is open",
    );
    assert_reads(
        &bootstrap,
        &topic,
        "read_uncommitted",
        &concat(&[&committed, &aborted], PARTITIONS),
        "while a transaction is open",
    );

    producer.abort_transaction(WAIT).expect("abort 2");

    // Transaction 3: one committed end marker per partition, after the aborted records.
    let ends: Vec<String> = (0..PARTITIONS).map(|p| format!("end-{p}")).collect();
    producer.begin_transaction().expect("begin 3");
    send_all(&producer, &topic, &ends);
    producer.commit_transaction(WAIT).expect("commit 3");
    let ends = by_partition(&ends, PARTITIONS);

    assert_reads(
        &bootstrap,
        &topic,
        "read_committed",
        &concat(&[&committed, &ends], PARTITIONS),
        "after commit, abort, commit",
    );
    assert_reads(
        &bootstrap,
        &topic,
        "read_uncommitted",
        &concat(&[&committed, &aborted, &ends], PARTITIONS),
        "after commit, abort, commit",
    );
    drop(producer);
}

/// A consumer in `group` subscribed to `topic`, not auto-committing, reading committed data.
fn group_consumer(bootstrap: &str, group: &str, topic: &str) -> BaseConsumer {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .set("isolation.level", "read_committed")
        .set("session.timeout.ms", "10000")
        .set("heartbeat.interval.ms", "500")
        .set("fetch.wait.max.ms", "100")
        .create()
        .expect("group consumer");
    consumer.subscribe(&[topic]).expect("subscribe");
    consumer
}

/// Polls `consumer` until it has `n` records: (partition, offset, value) each.
fn take(consumer: &BaseConsumer, n: usize) -> Vec<(i32, i64, String)> {
    let mut got = Vec::new();
    let deadline = Instant::now() + WAIT;
    while got.len() < n {
        assert!(
            Instant::now() < deadline,
            "group consumer got {} of {n} input records in {WAIT:?}",
            got.len()
        );
        match consumer.poll(Duration::from_millis(100)) {
            None => {}
            Some(Ok(m)) => {
                let v = String::from_utf8_lossy(m.payload().unwrap_or_default()).into_owned();
                got.push((m.partition(), m.offset(), v));
            }
            Some(Err(e)) => panic!("group consumer: {e}"),
        }
    }
    got
}

/// The offsets to commit after `records`: last offset + 1 for each partition.
fn next_offsets(topic: &str, records: &[(i32, i64, String)]) -> TopicPartitionList {
    let mut next: BTreeMap<i32, i64> = BTreeMap::new();
    for (p, o, _) in records {
        let e = next.entry(*p).or_insert(0);
        *e = (*e).max(o + 1);
    }
    let mut tpl = TopicPartitionList::new();
    for (p, o) in next {
        tpl.add_partition_offset(topic, p, Offset::Offset(o))
            .expect("offset");
    }
    tpl
}

/// The group's committed offsets for every partition of `topic`, as the broker answers
/// OffsetFetch to a separate (non-member) client of the group.
fn committed(bootstrap: &str, group: &str, topic: &str) -> BTreeMap<i32, Offset> {
    let checker: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .set("isolation.level", "read_committed")
        .create()
        .expect("offset checker");
    let mut tpl = TopicPartitionList::new();
    for p in 0..PARTITIONS {
        tpl.add_partition(topic, p);
    }
    let got = checker
        .committed_offsets(tpl, WAIT)
        .unwrap_or_else(|e| panic!("committed offsets of {group}: {e}"));
    got.elements()
        .iter()
        .map(|e| (e.partition(), e.offset()))
        .collect()
}

fn as_map(tpl: &TopicPartitionList) -> BTreeMap<i32, Offset> {
    tpl.elements()
        .iter()
        .map(|e| (e.partition(), e.offset()))
        .collect()
}

fn produce_plain(bootstrap: &str, topic: &str, values: &[String]) {
    let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("linger.ms", "5")
        .create()
        .expect("producer");
    send_all(&producer, topic, values);
    producer.flush(WAIT).expect("flush");
}

#[test]
fn send_offsets_to_transaction_commits_only_with_the_transaction() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let bootstrap = broker.bootstrap();
    let input = unique("ctp-in");
    let output = unique("ctp-out");
    let group = unique("ctp-group");
    create_topic(&bootstrap, &input, PARTITIONS);
    create_topic(&bootstrap, &output, PARTITIONS);

    let first = values("in", 15);
    produce_plain(&bootstrap, &input, &first);
    let consumer = group_consumer(&bootstrap, &group, &input);
    let producer = txn_producer(&bootstrap, &unique("txn-ctp"));
    let transform = |records: &[(i32, i64, String)]| -> Vec<(i32, String)> {
        records
            .iter()
            .map(|(p, _, v)| (*p, format!("out-{v}")))
            .collect()
    };
    let produce_out = |out: &[(i32, String)]| {
        for (p, v) in out {
            send(&producer, &output, *p, v);
        }
    };

    // Round 1: the first 15 input records, committed with their offsets.
    let batch1 = take(&consumer, first.len());
    let out1 = transform(&batch1);
    let offsets1 = next_offsets(&input, &batch1);
    producer.begin_transaction().expect("begin 1");
    produce_out(&out1);
    let cgm = consumer.group_metadata().expect("group metadata");
    producer
        .send_offsets_to_transaction(&offsets1, &cgm, WAIT)
        .expect("send offsets 1");
    producer.commit_transaction(WAIT).expect("commit 1");
    assert_eq!(
        committed(&bootstrap, &group, &input),
        as_map(&offsets1),
        "offsets sent with a committed transaction are the group's committed offsets"
    );

    // Round 2: 15 more, offsets sent, transaction aborted: the committed offsets stay.
    let second = values("in2", 15);
    produce_plain(&bootstrap, &input, &second);
    let batch2 = take(&consumer, second.len());
    let out2 = transform(&batch2);
    let offsets2 = next_offsets(&input, &batch2);
    assert_ne!(as_map(&offsets1), as_map(&offsets2));
    producer.begin_transaction().expect("begin 2");
    produce_out(&out2);
    let cgm = consumer.group_metadata().expect("group metadata");
    producer
        .send_offsets_to_transaction(&offsets2, &cgm, WAIT)
        .expect("send offsets 2");
    producer.flush(WAIT).expect("aborted output delivered");
    producer.abort_transaction(WAIT).expect("abort 2");
    assert_eq!(
        committed(&bootstrap, &group, &input),
        as_map(&offsets1),
        "offsets sent with an aborted transaction must not be committed"
    );

    // Round 3: the same records again (as an application rewinding after an abort would),
    // committed this time.
    producer.begin_transaction().expect("begin 3");
    produce_out(&out2);
    let cgm = consumer.group_metadata().expect("group metadata");
    producer
        .send_offsets_to_transaction(&offsets2, &cgm, WAIT)
        .expect("send offsets 3");
    producer.commit_transaction(WAIT).expect("commit 3");
    assert_eq!(
        committed(&bootstrap, &group, &input),
        as_map(&offsets2),
        "offsets sent with the second committed transaction are committed"
    );

    // The output holds each transformed record once for read_committed; read_uncommitted also
    // sees the aborted copy of round 2.
    let per_partition = |outs: &[&[(i32, String)]]| -> Seen {
        let mut s: Seen = (0..PARTITIONS).map(|p| (p, Vec::new())).collect();
        for out in outs {
            for (p, v) in *out {
                s.entry(*p).or_default().push(v.clone());
            }
        }
        s
    };
    assert_reads(
        &bootstrap,
        &output,
        "read_committed",
        &per_partition(&[&out1, &out2]),
        "after commit, abort, commit",
    );
    assert_reads(
        &bootstrap,
        &output,
        "read_uncommitted",
        &per_partition(&[&out1, &out2, &out2]),
        "after commit, abort, commit",
    );

    // A new member of the group resumes after the committed offsets: it gets only new input.
    consumer.unsubscribe();
    drop(consumer);
    let third = values("in3", 6);
    produce_plain(&bootstrap, &input, &third);
    let consumer = group_consumer(&bootstrap, &group, &input);
    let mut resumed: Vec<String> = take(&consumer, third.len())
        .into_iter()
        .map(|(_, _, v)| v)
        .collect();
    let extra = read_more(&consumer, Duration::from_secs(1));
    resumed.extend(extra);
    resumed.sort();
    let mut want = third.clone();
    want.sort();
    assert_eq!(
        resumed, want,
        "a new group member resumes at the transactionally committed offsets"
    );
    drop(producer);
}

/// Whatever `consumer` receives within `d`.
fn read_more(consumer: &BaseConsumer, d: Duration) -> Vec<String> {
    let end = Instant::now() + d;
    let mut out = Vec::new();
    while Instant::now() < end {
        if let Some(r) = consumer.poll(Duration::from_millis(100)) {
            let m = r.expect("consume");
            out.push(String::from_utf8_lossy(m.payload().unwrap_or_default()).into_owned());
        }
    }
    out
}

fn is_fencing(code: RDKafkaErrorCode) -> bool {
    matches!(
        code,
        RDKafkaErrorCode::Fenced
            | RDKafkaErrorCode::ProducerFenced
            | RDKafkaErrorCode::InvalidProducerEpoch
    )
}

#[test]
fn a_second_producer_with_the_same_transactional_id_fences_the_first() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let bootstrap = broker.bootstrap();
    let topic = unique("txn-fence");
    let txn_id = unique("txn-fence-id");
    create_topic(&bootstrap, &topic, PARTITIONS);

    // Before anything else, a committed transaction from the (future) zombie.
    let zombie = txn_producer(&bootstrap, &txn_id);
    let before = values("before", 9);
    zombie.begin_transaction().expect("begin");
    send_all(&zombie, &topic, &before);
    zombie.commit_transaction(WAIT).expect("commit before");

    // The zombie opens a transaction and writes to every partition.
    let zombie_values = values("zombie", 9);
    zombie.begin_transaction().expect("zombie begin");
    send_all(&zombie, &topic, &zombie_values);
    zombie.flush(WAIT).expect("zombie's records delivered");

    // A new instance with the same transactional.id: its init fences the zombie and aborts
    // the zombie's open transaction.
    let successor = txn_producer(&bootstrap, &txn_id);
    let after = values("successor", 9);
    successor.begin_transaction().expect("successor begin");
    send_all(&successor, &topic, &after);
    successor
        .commit_transaction(WAIT)
        .expect("successor commits");

    // The zombie carries on: its writes and its commit are refused as fenced.
    let late = values("late", 9);
    for (i, v) in late.iter().enumerate() {
        // A fatal error may already refuse the enqueue; either way nothing may land.
        let _ = zombie.send(
            BaseRecord::<str, str>::to(&topic)
                .partition((i as i32) % PARTITIONS)
                .key(v.as_str())
                .payload(v.as_str()),
        );
    }
    let result = zombie.commit_transaction(WAIT);
    let err = result.expect_err("a fenced producer's commit must fail");
    let fatal = zombie.client().fatal_error();
    let code = err.rdkafka_error_code();
    let fenced =
        code.is_some_and(is_fencing) || fatal.as_ref().is_some_and(|(c, _)| is_fencing(*c));
    assert!(
        fenced,
        "the zombie's commit failed with {err} (code {code:?}, fatal error {fatal:?}), not a fencing error"
    );
    if let KafkaError::Transaction(e) = &err {
        assert!(
            e.is_fatal() || fatal.is_some(),
            "fencing is fatal for the zombie: {err}"
        );
    }
    drop(zombie);

    let before = by_partition(&before, PARTITIONS);
    let after = by_partition(&after, PARTITIONS);
    assert_reads(
        &bootstrap,
        &topic,
        "read_committed",
        &concat(&[&before, &after], PARTITIONS),
        "after the zombie was fenced",
    );
    // read_uncommitted sees the zombie's aborted records (written before the fence) but
    // never the ones it tried to write after it.
    let uncommitted = read(&bootstrap, &topic, "read_uncommitted", |seen| {
        count(seen) >= 27
    });
    let all: Vec<&String> = uncommitted.values().flatten().collect();
    assert!(
        !all.iter().any(|v| v.starts_with("late-")),
        "records a fenced producer sent were stored: {uncommitted:?}"
    );
    assert_eq!(
        all.len(),
        27,
        "read_uncommitted sees before, zombie and successor records once each: {uncommitted:?}"
    );
    drop(successor);
}
