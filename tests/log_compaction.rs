//! Log compaction: the newest record per key survives at its offset, superseded records and
//! expired tombstones go, live tombstones stay, and the result survives recovery.

use std::collections::BTreeMap;
use std::time::Duration;

use kalfka::log::{CompactionPolicy, LogConfig, PartitionLog};
use kalfka_protocol::records::{batches, Compression, RecordBatchBuilder};

const NOW: i64 = 1_000_000;

fn batch(ts: i64, key: &str, value: Option<&str>) -> Vec<u8> {
    let mut b = RecordBatchBuilder::new(Compression::None);
    b.append(
        ts,
        Some(key.as_bytes()),
        value.map(str::as_bytes),
        &[("h", Some(b"x"))],
    );
    b.build().expect("batch").to_vec()
}

/// Kafka's defaults, tombstones kept `ms`.
fn retain_tombstones(ms: i64) -> CompactionPolicy {
    CompactionPolicy {
        delete_retention_ms: ms,
        ..CompactionPolicy::default()
    }
}

fn config() -> LogConfig {
    LogConfig {
        segment_bytes: 600,
        index_interval_bytes: 100,
        max_index_bytes: 4096,
    }
}

/// offset → (key, value) of every record in the log.
fn contents(log: &PartitionLog) -> BTreeMap<i64, (String, Option<String>)> {
    let mut out = BTreeMap::new();
    let mut offset = log.log_start_offset();
    for _ in 0..10_000 {
        if offset >= log.log_end_offset() {
            break;
        }
        let bytes = log.read(offset, 1 << 20).expect("read").bytes;
        if bytes.is_empty() {
            break;
        }
        for b in batches(bytes) {
            let b = b.expect("batch");
            b.verify_crc().expect("crc");
            for r in b.records().expect("records") {
                let o = r.offset(b.header());
                assert_eq!(r.headers.len(), 1, "headers kept");
                let text =
                    |v: Option<bytes::Bytes>| v.map(|v| String::from_utf8_lossy(&v).into_owned());
                out.insert(o, (text(r.key).unwrap_or_default(), text(r.value)));
                offset = o + 1;
            }
        }
    }
    out
}

#[test]
fn newest_value_per_key_survives_at_its_offset() {
    let dir = tempfile::tempdir().unwrap();
    let log = PartitionLog::open(dir.path(), config()).unwrap();
    let mut expected = BTreeMap::new();
    for i in 0..40i64 {
        let key = format!("k{}", i % 5);
        let value = format!("v{i}");
        log.append(&mut batch(NOW, &key, Some(&value))).unwrap();
        expected.insert(key, (i, Some(value)));
    }
    // k1: an old tombstone (expires); k2: a recent one (kept).
    log.append(&mut batch(NOW - 10_000, "k1", None)).unwrap();
    log.append(&mut batch(NOW, "k2", None)).unwrap();
    expected.remove("k1");
    expected.insert("k2".into(), (41, None));
    assert!(log.roll_if_older_than(Duration::ZERO).unwrap());

    let stats = log.compact(NOW, &retain_tombstones(1_000)).unwrap();
    assert!(stats.records_removed >= 36, "{stats:?}");
    let want: BTreeMap<i64, (String, Option<String>)> = expected
        .iter()
        .map(|(k, (o, v))| (*o, (k.clone(), v.clone())))
        .collect();
    assert_eq!(contents(&log), want);
    assert_eq!(log.log_end_offset(), 42);
    assert_eq!(
        log.compact(NOW, &retain_tombstones(1_000))
            .unwrap()
            .records_removed,
        0
    );

    // New records continue the offsets; an unclean reopen accepts the gaps.
    log.append(&mut batch(NOW, "k3", Some("late"))).unwrap();
    drop(log);
    let log = PartitionLog::open(dir.path(), config()).unwrap();
    let mut want = want;
    want.insert(42, ("k3".into(), Some("late".into())));
    assert_eq!(contents(&log), want);
    // Later the recent tombstone expires too; the active segment is never compacted.
    assert!(log.roll_if_older_than(Duration::ZERO).unwrap());
    log.compact(NOW + 10_000, &retain_tombstones(1_000))
        .unwrap();
    let got = contents(&log);
    assert!(!got.values().any(|(k, _)| k == "k2"), "tombstone dropped");
    assert!(
        !got.contains_key(&expected["k3"].0),
        "k3 superseded by the newer record"
    );
    assert_eq!(
        got.get(&42),
        Some(&("k3".to_string(), Some("late".to_string())))
    );
    assert!(log.read(log.log_end_offset(), 1).unwrap().bytes.is_empty());
}

/// Appends `n` records cycling over `keys` keys at timestamp `ts`, then rolls.
fn fill(log: &PartitionLog, n: i64, keys: i64, ts: i64) {
    for i in 0..n {
        let key = format!("k{}", i % keys);
        log.append(&mut batch(ts, &key, Some(&format!("v{i}"))))
            .unwrap();
    }
    assert!(log.roll_if_older_than(Duration::ZERO).unwrap());
}

#[test]
fn min_cleanable_dirty_ratio_waits_for_enough_dirty_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let log = PartitionLog::open(dir.path(), config()).unwrap();
    // 60 records over 30 keys: after the first pass 30 clean records remain.
    fill(&log, 60, 30, NOW);
    let policy = CompactionPolicy {
        min_cleanable_dirty_ratio: 0.5,
        ..CompactionPolicy::default()
    };
    assert_eq!(log.compact(NOW, &policy).unwrap().records_removed, 30);
    // 4 new records superseding 4 keys: well under half of the cleanable bytes are dirty.
    fill(&log, 4, 30, NOW);
    assert_eq!(log.compact(NOW, &policy).unwrap().records_removed, 0);
    assert_eq!(
        contents(&log).len(),
        34,
        "superseded records stay until the ratio is reached"
    );
    // A lower ratio lets the same log be compacted.
    let eager = CompactionPolicy {
        min_cleanable_dirty_ratio: 0.01,
        ..policy
    };
    assert_eq!(log.compact(NOW, &eager).unwrap().records_removed, 4);
    assert_eq!(contents(&log).len(), 30);
    // More dirty data than clean: the default ratio compacts again.
    fill(&log, 60, 30, NOW);
    assert_eq!(log.compact(NOW, &policy).unwrap().records_removed, 60);
    assert_eq!(contents(&log).len(), 30);
}

#[test]
fn max_compaction_lag_forces_a_pass_below_the_ratio() {
    let dir = tempfile::tempdir().unwrap();
    let log = PartitionLog::open(dir.path(), config()).unwrap();
    fill(&log, 60, 30, NOW);
    let never_by_ratio = CompactionPolicy {
        min_cleanable_dirty_ratio: 1.0,
        max_compaction_lag_ms: 5_000,
        ..CompactionPolicy::default()
    };
    assert_eq!(
        log.compact(NOW, &never_by_ratio).unwrap().records_removed,
        0
    );
    let later = log.compact(NOW + 10_000, &never_by_ratio).unwrap();
    assert_eq!(
        later.records_removed, 30,
        "dirty records older than the max lag"
    );
}

#[test]
fn min_compaction_lag_keeps_recent_records_uncompacted() {
    let dir = tempfile::tempdir().unwrap();
    let log = PartitionLog::open(dir.path(), config()).unwrap();
    let policy = CompactionPolicy {
        min_compaction_lag_ms: 60_000,
        ..CompactionPolicy::default()
    };
    // Old segments: cleanable. Recent segments: not, and their records supersede nothing yet.
    fill(&log, 20, 5, NOW - 120_000);
    fill(&log, 20, 5, NOW - 1_000);
    let before = contents(&log);
    let stats = log.compact(NOW, &policy).unwrap();
    assert_eq!(
        stats.records_removed, 15,
        "only the old records, compacted among themselves"
    );
    let after = contents(&log);
    assert_eq!(after.len(), 25);
    for offset in 20..40 {
        assert_eq!(
            after.get(&offset),
            before.get(&offset),
            "recent record {offset} kept"
        );
    }
    // Once they are old enough, the recent ones are compacted too (superseding the old ones).
    let stats = log.compact(NOW + 60_000, &policy).unwrap();
    assert_eq!(stats.records_removed, 20);
    assert_eq!(contents(&log).len(), 5);
}

/// A transactional batch of producer `pid` (epoch 0, sequence `seq`).
fn txn_batch(pid: i64, seq: i32, key: &str, value: &str) -> Vec<u8> {
    let mut b = RecordBatchBuilder::new(Compression::None);
    b.producer(pid, 0, seq).transactional(true);
    b.append(
        NOW - 10_000,
        Some(key.as_bytes()),
        Some(value.as_bytes()),
        &[("h", Some(b"x"))],
    );
    b.build().expect("batch").to_vec()
}

/// Data records (control batches skipped) of a partition: offset → value.
fn partition_values(p: &kalfka::partition::Partition) -> BTreeMap<i64, String> {
    let mut out = BTreeMap::new();
    let mut offset = p.offsets().log_start;
    for _ in 0..1_000 {
        if offset >= p.offsets().log_end {
            break;
        }
        let read = p.read(offset, 1 << 20).expect("read");
        for b in batches(read.records) {
            let b = b.expect("batch");
            offset = b.header().next_offset();
            if b.header().is_control() {
                continue;
            }
            for r in b.records().expect("records") {
                let offset = r.offset(b.header());
                let v = r.value.map(|v| String::from_utf8_lossy(&v).into_owned());
                out.insert(offset, v.unwrap_or_default());
            }
        }
    }
    out
}

#[test]
fn compaction_drops_aborted_records_and_stops_at_the_last_stable_offset() {
    use kalfka::log::Recovery;
    use kalfka::partition::Partition;
    let dir = tempfile::tempdir().expect("tempdir");
    let config = LogConfig {
        segment_bytes: 100, // one batch per segment
        ..config()
    };
    let p = Partition::open(0, dir.path(), config, Recovery::Unclean).expect("open");
    let eager = CompactionPolicy {
        min_cleanable_dirty_ratio: 0.0,
        ..CompactionPolicy::default()
    };
    p.append(&mut [txn_batch(1, 0, "k", "committed")])
        .expect("append"); // 0
    p.write_txn_marker(1, 0, true, 0).expect("commit"); // 1
    p.append(&mut [txn_batch(2, 0, "k", "aborted")])
        .expect("append"); // 2
    p.write_txn_marker(2, 0, false, 0).expect("abort"); // 3
    p.append(&mut [batch(NOW - 10_000, "k2", Some("plain"))])
        .expect("append"); // 4
    p.append(&mut [txn_batch(3, 0, "k", "open")])
        .expect("append"); // 5
    p.append(&mut [batch(NOW - 10_000, "k2", Some("newer"))])
        .expect("append"); // 6
    assert_eq!(p.last_stable_offset(), 5);

    p.compact(kalfka::partition::now_ms() + 1_000, &eager)
        .expect("compact");
    let values = partition_values(&p);
    assert_eq!(
        values.values().cloned().collect::<Vec<_>>(),
        vec!["committed", "plain", "open", "newer"],
        "the aborted record is gone; the open transaction's segment and what follows are untouched"
    );
    assert_eq!(values.get(&0).map(String::as_str), Some("committed"));

    // Once the open transaction commits, its value supersedes the committed one.
    p.write_txn_marker(3, 0, true, 0).expect("commit"); // 7
    p.append(&mut [batch(NOW - 10_000, "k3", Some("last"))])
        .expect("append"); // 8
    p.compact(kalfka::partition::now_ms() + 1_000, &eager)
        .expect("compact");
    let values = partition_values(&p);
    assert_eq!(values.get(&0), None);
    assert_eq!(values.get(&5).map(String::as_str), Some("open"));
    assert_eq!(values.get(&4), None, "k2 was superseded at offset 6");
}
