//! The real `kalfka` binary is SIGKILLed while a transaction is open (its records written and
//! acknowledged, no EndTxn sent). After the restart on the same data directory the broker must
//! finish that transaction on its own, by aborting it once its transaction.timeout.ms (5 s)
//! has passed: read_committed consumers are not blocked behind it for longer than the timeout
//! plus a margin, the records written after it (transactional and not) become visible, and the
//! open transaction's records never do. A second scenario restarts the application instead: a
//! new producer with the same transactional.id must be able to init (fencing and aborting the
//! open transaction) and commit.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::clients::{assigned_from_beginning, create_topic};
use common::process::BrokerProcess;
use common::spread::{by_partition, concat, Seen};
use rdkafka::config::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::Message;
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};

const PARTITIONS: i32 = 3;
const TXN_TIMEOUT_MS: u64 = 5_000;
/// How long after the restart read_committed may stay blocked behind the open transaction:
/// its timeout plus a margin for the broker's expiry scan and the client's fetch backoff.
const UNBLOCKED_WITHIN: Duration = Duration::from_secs(30);
const WAIT: Duration = Duration::from_secs(30);

fn producer(bootstrap: &str, txn_id: Option<&str>) -> ThreadedProducer<DefaultProducerContext> {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", bootstrap)
        .set("linger.ms", "5")
        .set("reconnect.backoff.ms", "50")
        .set("reconnect.backoff.max.ms", "200");
    if let Some(id) = txn_id {
        config
            .set("transactional.id", id)
            .set("transaction.timeout.ms", TXN_TIMEOUT_MS.to_string());
    } else {
        config.set("enable.idempotence", "true");
    }
    let p: ThreadedProducer<DefaultProducerContext> = config.create().expect("producer");
    if txn_id.is_some() {
        p.init_transactions(WAIT)
            .unwrap_or_else(|e| panic!("init_transactions for {txn_id:?}: {e}"));
    }
    p
}

fn send_all(p: &ThreadedProducer<DefaultProducerContext>, topic: &str, values: &[String]) {
    for (i, v) in values.iter().enumerate() {
        let mut rec = BaseRecord::<str, str>::to(topic)
            .partition((i as i32) % PARTITIONS)
            .key(v.as_str())
            .payload(v.as_str());
        let mut tries = 0;
        loop {
            match p.send(rec) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back))
                    if tries < 5_000 =>
                {
                    tries += 1;
                    rec = back;
                    std::thread::sleep(Duration::from_millis(2));
                }
                Err((e, _)) => panic!("send {v}: {e}"),
            }
        }
    }
}

fn values(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}-{i:03}")).collect()
}

/// Reads every partition from the beginning until each holds as many records as `expected`
/// there (or `limit` passes), then one more second; returns what it got and when it got
/// there.
fn read(
    bootstrap: &str,
    topic: &str,
    group: &str,
    isolation: &str,
    expected: &Seen,
    limit: Duration,
) -> (Seen, Option<Instant>) {
    let consumer = assigned_from_beginning(bootstrap, group, topic, PARTITIONS, isolation);
    let mut seen: Seen = (0..PARTITIONS).map(|p| (p, Vec::new())).collect();
    let deadline = Instant::now() + limit;
    let mut reached: Option<Instant> = None;
    loop {
        let now = Instant::now();
        if now > deadline || reached.is_some_and(|r| now > r + Duration::from_secs(1)) {
            break;
        }
        if reached.is_none()
            && expected
                .iter()
                .all(|(p, vs)| seen.get(p).map_or(0, Vec::len) >= vs.len())
        {
            reached = Some(now);
        }
        match consumer.poll(Duration::from_millis(100)) {
            None => {}
            Some(Ok(m)) => {
                let v = match m.payload() {
                    Some(v) => String::from_utf8_lossy(v).into_owned(),
                    None => "<null>".to_string(),
                };
                seen.entry(m.partition()).or_default().push(v);
            }
            Some(Err(e)) => panic!("{isolation} consumer: {e}"),
        }
    }
    (seen, reached)
}

fn broker_log(path: &Path) -> String {
    let log = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(60)..].join("\n")
}

/// Starts the broker, creates the topic, and leaves a transaction open: `open-*` records
/// written and acknowledged on every partition after a committed transaction (`first-*`);
/// then SIGKILLs the broker. Returns the committed and the open records by partition.
fn open_transaction_then_kill(dir: &Path, log: &Path, topic: &str, txn_id: &str) -> (Seen, Seen) {
    let mut broker = BrokerProcess::start(dir, &[], Some(log));
    let bootstrap = broker.addr.to_string();
    create_topic(&bootstrap, topic, PARTITIONS);
    let p = producer(&bootstrap, Some(txn_id));
    let first = values("first", 12);
    p.begin_transaction().expect("begin first");
    send_all(&p, topic, &first);
    p.commit_transaction(WAIT).expect("commit first");
    let open = values("open", 12);
    p.begin_transaction().expect("begin open");
    send_all(&p, topic, &open);
    p.flush(WAIT)
        .expect("the open transaction's records are acknowledged");
    broker.kill();
    // The restarted broker listens on another port, so this producer cannot reach it (and
    // cannot end its transaction); drop it off the test's thread in case the client's
    // shutdown lingers on the dead connection.
    std::thread::spawn(move || drop(p));
    (
        by_partition(&first, PARTITIONS),
        by_partition(&open, PARTITIONS),
    )
}

#[test]
fn open_transaction_is_aborted_after_a_sigkill_and_does_not_block_read_committed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("broker.log");
    let data = dir.path().join("data");
    let topic = "txn-crash";
    let (first, open) = open_transaction_then_kill(&data, &log, topic, "txn-crash-open");

    let broker = BrokerProcess::start(&data, &[], Some(&log));
    let restarted = Instant::now();
    let bootstrap = broker.addr.to_string();

    // After the open transaction: a plain idempotent producer, and another transactional one.
    let plain = values("plain", 12);
    let p = producer(&bootstrap, None);
    send_all(&p, topic, &plain);
    p.flush(WAIT).expect("plain records acknowledged");
    drop(p);
    let later = values("later", 12);
    let t = producer(&bootstrap, Some("txn-crash-later"));
    t.begin_transaction().expect("begin later");
    send_all(&t, topic, &later);
    t.commit_transaction(WAIT).expect("commit later");
    drop(t);

    let plain = by_partition(&plain, PARTITIONS);
    let later = by_partition(&later, PARTITIONS);
    let expected = concat(&[&first, &plain, &later], PARTITIONS);
    let (got, reached) = read(
        &bootstrap,
        topic,
        "crash-rc",
        "read_committed",
        &expected,
        UNBLOCKED_WITHIN,
    );
    assert!(
        reached.is_some(),
        "read_committed stayed blocked behind the transaction open at the SIGKILL for {:?} \
         after the restart (transaction.timeout.ms={TXN_TIMEOUT_MS}); got {got:?}\nbroker log:\n{}",
        restarted.elapsed(),
        broker_log(&log)
    );
    assert_eq!(
        got,
        expected,
        "read_committed after the crash: the open transaction aborted, everything committed \
         after it visible, once, in order\nbroker log:\n{}",
        broker_log(&log)
    );

    // The open transaction's records are still in the log: read_uncommitted sees them, between
    // the committed ones and the later ones.
    let all = concat(&[&first, &open, &plain, &later], PARTITIONS);
    let (got, _) = read(
        &bootstrap,
        topic,
        "crash-ru",
        "read_uncommitted",
        &all,
        WAIT,
    );
    assert_eq!(got, all, "read_uncommitted after the crash");

    // The decision is durable: after another (clean) restart read_committed still sees the
    // same, immediately.
    let mut broker = broker;
    assert!(broker.terminate(), "clean shutdown");
    let broker = BrokerProcess::start(&data, &[], Some(&log));
    let bootstrap = broker.addr.to_string();
    let (got, _) = read(
        &bootstrap,
        topic,
        "crash-rc2",
        "read_committed",
        &expected,
        WAIT,
    );
    assert_eq!(
        got,
        expected,
        "read_committed after a second restart\nbroker log:\n{}",
        broker_log(&log)
    );
}

#[test]
fn restarted_application_reinits_its_transactional_id_after_a_sigkill() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("broker.log");
    let data = dir.path().join("data");
    let topic = "txn-crash-reinit";
    let txn_id = "txn-crash-reinit-id";
    let (first, open) = open_transaction_then_kill(&data, &log, topic, txn_id);

    let broker = BrokerProcess::start(&data, &[], Some(&log));
    let bootstrap = broker.addr.to_string();
    // The application comes back with the same transactional.id right away, before the
    // transaction timeout: init must abort the open transaction and hand out a new epoch.
    let p = producer(&bootstrap, Some(txn_id));
    let next = values("next", 12);
    p.begin_transaction().expect("begin next");
    send_all(&p, topic, &next);
    p.commit_transaction(WAIT).expect("commit next");
    drop(p);

    let expected = concat(&[&first, &by_partition(&next, PARTITIONS)], PARTITIONS);
    let (got, reached) = read(
        &bootstrap,
        topic,
        "reinit-rc",
        "read_committed",
        &expected,
        UNBLOCKED_WITHIN,
    );
    assert!(
        reached.is_some(),
        "read_committed blocked after the re-init; got {got:?}\nbroker log:\n{}",
        broker_log(&log)
    );
    assert_eq!(
        got,
        expected,
        "read_committed: the open transaction aborted by the re-init, the new one committed\n\
         broker log:\n{}",
        broker_log(&log)
    );
    let all = concat(
        &[&first, &open, &by_partition(&next, PARTITIONS)],
        PARTITIONS,
    );
    let (got, _) = read(
        &bootstrap,
        topic,
        "reinit-ru",
        "read_uncommitted",
        &all,
        WAIT,
    );
    assert_eq!(got, all, "read_uncommitted after the re-init");
}
