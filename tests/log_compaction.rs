//! Log compaction: the newest record per key survives at its offset, superseded records and
//! expired tombstones go, live tombstones stay, and the result survives recovery.

use std::collections::BTreeMap;
use std::time::Duration;

use kalfka::log::{LogConfig, PartitionLog};
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

    let stats = log.compact(NOW, 1_000).unwrap();
    assert!(stats.records_removed >= 36, "{stats:?}");
    let want: BTreeMap<i64, (String, Option<String>)> = expected
        .iter()
        .map(|(k, (o, v))| (*o, (k.clone(), v.clone())))
        .collect();
    assert_eq!(contents(&log), want);
    assert_eq!(log.log_end_offset(), 42);
    assert_eq!(log.compact(NOW, 1_000).unwrap().records_removed, 0);

    // New records continue the offsets; an unclean reopen accepts the gaps.
    log.append(&mut batch(NOW, "k3", Some("late"))).unwrap();
    drop(log);
    let log = PartitionLog::open(dir.path(), config()).unwrap();
    let mut want = want;
    want.insert(42, ("k3".into(), Some("late".into())));
    assert_eq!(contents(&log), want);
    // Later the recent tombstone expires too; the active segment is never compacted.
    assert!(log.roll_if_older_than(Duration::ZERO).unwrap());
    log.compact(NOW + 10_000, 1_000).unwrap();
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
