//! Log start offset movement: DeleteRecords, time and size retention, idle-segment rolls.

use std::fs;
use std::path::Path;
use std::time::Duration;

use kalfka::log::{LogConfig, PartitionLog, RetentionPolicy};
use kalfka_protocol::records::{Compression, RecordBatchBuilder};

fn batch(ts: i64) -> Vec<u8> {
    let mut b = RecordBatchBuilder::new(Compression::None);
    b.append(ts, Some(b"key"), Some(&[7u8; 200]), &[]);
    b.build().expect("batch").to_vec()
}

fn config() -> LogConfig {
    LogConfig {
        segment_bytes: 2_000,
        index_interval_bytes: 500,
        max_index_bytes: 4096,
    }
}

fn log_files(dir: &Path) -> usize {
    fs::read_dir(dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "log")
        })
        .count()
}

/// 50 one-record batches with timestamps 1000, 1001, ...
fn filled(dir: &Path) -> PartitionLog {
    let log = PartitionLog::open(dir, config()).unwrap();
    for i in 0..50 {
        log.append(&mut batch(1_000 + i)).unwrap();
    }
    assert!(log_files(dir) >= 5);
    log
}

#[test]
fn delete_records_moves_the_start_and_drops_whole_segments() {
    let dir = tempfile::tempdir().unwrap();
    let log = filled(dir.path());
    let before = log_files(dir.path());
    assert_eq!(log.delete_records_before(23).unwrap(), 23);
    assert_eq!(log.log_start_offset(), 23);
    assert!(log_files(dir.path()) < before, "segments below 23 deleted");
    assert!(
        log.read(22, 1 << 20).is_err(),
        "below the start is out of range"
    );
    assert!(!log.read(23, 1).unwrap().bytes.is_empty());
    // Going back is a no-op; past the end is an error.
    assert_eq!(log.delete_records_before(5).unwrap(), 23);
    assert!(log.delete_records_before(51).is_err());
    drop(log);
    let log = PartitionLog::open(dir.path(), config()).unwrap();
    assert_eq!(log.log_start_offset(), 23, "the start offset is persisted");
    assert_eq!(log.log_end_offset(), 50);
    // Up to the end: the active segment stays.
    assert_eq!(log.delete_records_before(50).unwrap(), 50);
    assert_eq!(log_files(dir.path()), 1);
    let info = log.append(&mut batch(5_000)).unwrap();
    assert_eq!(info.base_offset, 50);
}

#[test]
fn size_retention_keeps_at_least_retention_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let log = filled(dir.path());
    let policy = RetentionPolicy {
        retention_ms: None,
        retention_bytes: Some(3_000),
    };
    let deleted = log.apply_retention(i64::MAX, policy).unwrap();
    assert!(deleted > 0);
    let total: u64 = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "log"))
        .map(|p| fs::metadata(p).unwrap().len())
        .sum();
    assert!(total >= 3_000, "kept {total} bytes");
    let start = log.log_start_offset();
    assert!(start > 0 && start < 50);
    assert!(log.read(start - 1, 1).is_err());
    assert!(!log.read(start, 1).unwrap().bytes.is_empty());
    assert_eq!(log.apply_retention(i64::MAX, policy).unwrap(), 0, "stable");
}

#[test]
fn time_retention_deletes_expired_closed_segments_only() {
    let dir = tempfile::tempdir().unwrap();
    let log = filled(dir.path());
    let keep_all = RetentionPolicy {
        retention_ms: Some(1_000_000),
        retention_bytes: None,
    };
    assert_eq!(log.apply_retention(2_000, keep_all).unwrap(), 0);
    // Records up to ts 1019 are older than 1 s at now = 2020.
    let policy = RetentionPolicy {
        retention_ms: Some(1_000),
        retention_bytes: None,
    };
    log.apply_retention(2_020, policy).unwrap();
    let start = log.log_start_offset();
    assert!(start > 0 && start <= 20, "start {start}");
    // Everything expired: all closed segments go, the active one stays.
    log.apply_retention(i64::MAX, policy).unwrap();
    assert_eq!(log_files(dir.path()), 1);
    assert!(log.log_start_offset() < 50);
    assert_eq!(log.log_end_offset(), 50);
}

#[test]
fn idle_active_segment_rolls_so_retention_can_delete_it() {
    let dir = tempfile::tempdir().unwrap();
    let log = PartitionLog::open(dir.path(), config()).unwrap();
    assert!(!log.roll_if_older_than(Duration::ZERO).unwrap(), "empty");
    log.append(&mut batch(1_000)).unwrap();
    assert!(!log.roll_if_older_than(Duration::from_secs(3600)).unwrap());
    assert!(log.roll_if_older_than(Duration::ZERO).unwrap());
    let policy = RetentionPolicy {
        retention_ms: Some(10),
        retention_bytes: None,
    };
    assert_eq!(log.apply_retention(5_000, policy).unwrap(), 1);
    assert_eq!(log.log_start_offset(), 1);
    assert_eq!(log.log_end_offset(), 1);
}
