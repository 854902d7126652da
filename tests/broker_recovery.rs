//! Broker-level recovery from damaged files, checked through a real client (librdkafka): a
//! segment cut mid-batch, flipped bytes in a batch, a deleted index. The broker must start,
//! cut or rebuild, and serve every record before the damage — and accept new records after.
//!
//! Each test stops the broker cleanly, damages the files, and removes the clean-shutdown
//! marker so the next start recovers as after a crash.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::raw::RawClient;
use common::TestBroker;
use kalfka::config::BrokerConfig;
use kalfka_protocol::records::{Compression, RecordBatchBuilder};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};

const TOPIC: &str = "damaged";
const RECORDS: usize = 120;

fn config(dir: &Path) -> BrokerConfig {
    BrokerConfig {
        segment_bytes: 4_000,
        ..BrokerConfig::for_tests(dir)
    }
}

fn value(i: usize) -> Vec<u8> {
    format!("record-{i:05}-{}", "x".repeat(i % 50)).into_bytes()
}

fn produce_one(c: &mut RawClient, i: usize) -> i64 {
    let mut b = RecordBatchBuilder::new(Compression::None);
    b.append(i as i64, Some(b"k"), Some(&value(i)), &[]);
    let (code, offset) = c.produce(TOPIC, b.build().expect("batch"), -1);
    assert_eq!(code, 0);
    offset
}

/// A stopped broker's data directory holding `RECORDS` one-record batches in several segments.
fn populated(dir: &Path) -> PathBuf {
    let broker = TestBroker::start_with(config(dir));
    let mut c = RawClient::connect(broker.addr);
    c.create_topic(TOPIC, 1, &[]);
    for i in 0..RECORDS {
        assert_eq!(produce_one(&mut c, i), i as i64);
    }
    broker.stop();
    let marker = dir.join(".clean-shutdown");
    assert!(marker.exists(), "a clean stop leaves the marker");
    fs::remove_file(marker).expect("simulate a crash");
    let partition = dir.join(format!("{TOPIC}-0"));
    assert!(segments(&partition, "log").len() >= 3, "several segments");
    partition
}

fn segments(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<_> = fs::read_dir(dir)
        .expect("partition dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    v.sort();
    v
}

/// Consumes the partition from the beginning with librdkafka: `(offset, value)` of `expected`
/// records (bounded wait), then checks nothing more arrives.
fn consume(bootstrap: &str, expected: usize) -> Vec<(i64, Vec<u8>)> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "unused")
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer");
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(TOPIC, 0, Offset::Beginning)
        .expect("partition");
    consumer.assign(&tpl).expect("assign");
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while got.len() < expected && Instant::now() < deadline {
        if let Some(msg) = consumer.poll(Duration::from_millis(200)) {
            let msg = msg.expect("consume");
            got.push((msg.offset(), msg.payload().unwrap_or_default().to_vec()));
        }
    }
    if let Some(Ok(extra)) = consumer.poll(Duration::from_millis(500)) {
        panic!("unexpected record at offset {}", extra.offset());
    }
    got
}

/// Restarts on `dir` and checks exactly records `0..keep` are served, in place, and that the
/// next record gets offset `keep`.
fn restart_and_check(dir: &Path, keep: usize) {
    let broker = TestBroker::start_with(config(dir));
    let got = consume(&broker.bootstrap(), keep);
    let want: Vec<_> = (0..keep).map(|i| (i as i64, value(i))).collect();
    assert_eq!(got.len(), want.len(), "records served after recovery");
    assert!(got == want, "records before the damage come back intact");
    let mut c = RawClient::connect(broker.addr);
    assert_eq!(produce_one(&mut c, keep), keep as i64);
    broker.stop();
}

/// Position of the batch holding `value(i)` in `file`.
fn position_of(file: &Path, i: usize) -> Option<usize> {
    let data = fs::read(file).expect("segment");
    let v = value(i);
    data.windows(v.len()).position(|w| w == v.as_slice())
}

#[test]
fn segment_truncated_mid_batch() {
    let dir = tempfile::tempdir().expect("tempdir");
    let partition = populated(dir.path());
    let active = segments(&partition, "log").pop().expect("active segment");
    let at = position_of(&active, RECORDS - 3).expect("batch in active segment");
    // Cut inside the third-last record's value: it and everything after it go.
    fs::File::options()
        .write(true)
        .open(&active)
        .and_then(|f| f.set_len(at as u64 + 3))
        .expect("truncate");
    restart_and_check(dir.path(), RECORDS - 3);
}

#[test]
fn flipped_byte_in_a_batch() {
    let dir = tempfile::tempdir().expect("tempdir");
    let partition = populated(dir.path());
    let active = segments(&partition, "log").pop().expect("active segment");
    let mut data = fs::read(&active).expect("read");
    // The second batch of the active segment: damage in the middle, not at the tail.
    let base: usize = active
        .file_stem()
        .and_then(|s| s.to_str())
        .and_then(|s| s.parse().ok())
        .expect("segment base");
    let victim = base + 1;
    assert!(victim < RECORDS - 2, "the damage is not in the last batch");
    let at = position_of(&active, victim).expect("victim batch");
    data[at] ^= 0xff;
    fs::write(&active, &data).expect("write");
    restart_and_check(dir.path(), victim);
}

#[test]
fn deleted_indexes_are_rebuilt() {
    let dir = tempfile::tempdir().expect("tempdir");
    let partition = populated(dir.path());
    for ext in ["index", "timeindex"] {
        for f in segments(&partition, ext) {
            fs::remove_file(f).expect("delete index");
        }
    }
    restart_and_check(dir.path(), RECORDS);
    // An index file exists once it has an entry: these small segments have no offset-index
    // entries, but every closed one has its time-index entry again.
    assert!(
        segments(&partition, "timeindex").len() >= segments(&partition, "log").len() - 1,
        "indexes rebuilt"
    );
}

/// The data directory's recovery-point checkpoint bounds what an unclean start re-reads: data
/// it says was fsynced is trusted (only the tail after the last index entry is re-read), and
/// without a usable checkpoint everything is validated again.
#[test]
fn the_checkpoint_bounds_what_an_unclean_start_validates() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start_with(config(dir.path()));
    let mut c = RawClient::connect(broker.addr);
    // One segment with offset-index entries, so a trusted segment is only partly re-read.
    c.create_topic(TOPIC, 1, &[("segment.bytes", "1048576")]);
    for i in 0..RECORDS {
        assert_eq!(produce_one(&mut c, i), i as i64);
    }
    broker.stop();
    let checkpoint = dir.path().join("recovery-point-offset-checkpoint");
    let text = fs::read_to_string(&checkpoint).expect("a clean stop writes the checkpoint");
    assert!(text.contains(&format!("{TOPIC} 0 {RECORDS}\n")), "{text}");

    // A crash, and a flipped byte early in the log (before its first index entry).
    let simulate_crash = || fs::remove_file(dir.path().join(".clean-shutdown")).expect("marker");
    simulate_crash();
    let partition = dir.path().join(format!("{TOPIC}-0"));
    let log = segments(&partition, "log").pop().expect("segment");
    let mut data = fs::read(&log).expect("read");
    let at = position_of(&log, 2).expect("batch 2");
    data[at] ^= 0xff;
    fs::write(&log, &data).expect("write");

    // The checkpoint says all of it was fsynced: nothing is re-validated or cut.
    let broker = TestBroker::start_with(config(dir.path()));
    let mut c = RawClient::connect(broker.addr);
    assert_eq!(produce_one(&mut c, RECORDS), RECORDS as i64);
    broker.stop();

    // An unreadable checkpoint counts for nothing: everything is validated, the damage cut.
    simulate_crash();
    fs::write(&checkpoint, "garbage\n").expect("damage the checkpoint");
    restart_and_check(dir.path(), 2);
}

/// A deleted topic drops out of the recovery-point checkpoint at once, so a topic created again
/// under its name after a crash is validated from scratch, not trusted up to the old offsets.
#[test]
fn a_deleted_topic_leaves_the_checkpoint_at_once() {
    use kalfka_protocol::messages::{DeleteTopicsRequest, DeleteTopicsResponse};
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start_with(config(dir.path()));
    let mut c = RawClient::connect(broker.addr);
    c.create_topic(TOPIC, 1, &[]);
    c.create_topic("kept", 1, &[]);
    for i in 0..3 {
        assert_eq!(produce_one(&mut c, i), i as i64);
    }
    broker.stop();
    let checkpoint = dir.path().join("recovery-point-offset-checkpoint");
    let read = || fs::read_to_string(&checkpoint).expect("checkpoint");
    assert!(read().contains(&format!("{TOPIC} 0 3\n")), "{}", read());

    let broker = TestBroker::start_with(config(dir.path()));
    let mut c = RawClient::connect(broker.addr);
    let resp: DeleteTopicsResponse = c.call(
        4,
        &DeleteTopicsRequest {
            topic_names: vec![TOPIC.into()],
            timeout_ms: 5000,
            ..Default::default()
        },
    );
    assert_eq!(resp.responses[0].error_code, 0);
    // Before any clean stop or periodic write: the deletion itself rewrote the checkpoint.
    assert!(!read().contains(&format!("{TOPIC} ")), "{}", read());
    assert!(read().contains("kept 0 0\n"), "{}", read());
    broker.stop();
}
