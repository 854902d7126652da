//! File descriptors: segment files are opened on demand and closed when idle, so a log with
//! many segments, or thousands of partitions, holds descriptors only for what is in use, and
//! everything stays readable. Alone in this test binary (its tests take turns) so that counting
//! `/proc/self/fd` is not disturbed by other tests.

#![cfg(target_os = "linux")]

use std::sync::Mutex;
use std::time::Duration;

use kalfka::log::{LogConfig, PartitionLog, Recovery};
use kalfka_protocol::records::{batches, Compression, RecordBatchBuilder};

/// The tests of this binary count descriptors: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").expect("proc").count()
}

fn small_segments() -> LogConfig {
    LogConfig {
        segment_bytes: 1_000,
        index_interval_bytes: 100,
        max_index_bytes: 4096,
    }
}

fn batch(i: i64, value: &[u8]) -> Vec<u8> {
    let mut b = RecordBatchBuilder::new(Compression::None);
    b.append(i, Some(b"k"), Some(value), &[]);
    b.build().expect("batch").to_vec()
}

/// Every record of the log, read from its start across segments.
fn record_count(log: &PartitionLog) -> i64 {
    let (mut offset, mut count) = (log.log_start_offset(), 0);
    while offset < log.log_end_offset() {
        let read = log.read(offset, 1 << 20).expect("read");
        for b in batches(read.bytes) {
            let b = b.expect("batch");
            count += i64::from(b.header().record_count);
            offset = b.header().last_offset() + 1;
        }
    }
    count
}

#[test]
fn a_log_of_many_segments_holds_one_descriptor_while_written_and_none_when_idle() {
    let _turn = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let dir = tempfile::tempdir().expect("tempdir");
    let before = open_fds();
    let log = PartitionLog::open(dir.path(), small_segments()).expect("open");
    assert_eq!(open_fds() - before, 0, "nothing open until used");
    for i in 0..100 {
        log.append(&mut batch(i, &[1u8; 200])).expect("append");
    }
    let segments = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter(|e| {
            let path = e.as_ref().expect("entry").path();
            path.extension().is_some_and(|x| x == "log")
        })
        .count();
    assert!(segments >= 20, "{segments} segments");
    assert_eq!(open_fds() - before, 1, "only the active segment's .log");

    assert!(log.close_idle_files(Duration::ZERO) > 0);
    assert_eq!(open_fds() - before, 0);
    assert_eq!(
        record_count(&log),
        100,
        "everything readable with no file open"
    );
    assert_eq!(open_fds() - before, 0, "reads go through mappings");
    log.append(&mut batch(100, b"more"))
        .expect("append after closing");
    assert_eq!(open_fds() - before, 1);
    assert_eq!(record_count(&log), 101);
    drop(log);

    // The same after a restart.
    let log = PartitionLog::open(dir.path(), small_segments()).expect("reopen");
    assert_eq!(record_count(&log), 101);
    assert_eq!(open_fds() - before, 0);
}

#[test]
fn two_thousand_partitions_fit_in_a_few_hundred_descriptors() {
    let _turn = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    // Lower this process's descriptor limit well below the partition count.
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain syscalls on a local struct.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit), 0);
        let saved = limit.rlim_cur;
        limit.rlim_cur = 400;
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &limit), 0);
        limit.rlim_cur = saved;
    }
    let root = tempfile::tempdir().expect("tempdir");
    let before = open_fds();
    let config = LogConfig {
        max_index_bytes: 4096,
        ..LogConfig::default()
    };
    let logs: Vec<PartitionLog> = (0..2_000)
        .map(|p| {
            let dir = root.path().join(format!("t-{p}"));
            PartitionLog::open_with(&dir, config.clone(), Recovery::Clean).expect("open")
        })
        .collect();
    assert!(
        open_fds() - before < 10,
        "opening uses no lasting descriptors"
    );
    for round in 0..2 {
        for (p, log) in logs.iter().enumerate() {
            log.append(&mut batch(round, format!("p{p}").as_bytes()))
                .expect("append");
            if p % 100 == 99 {
                // What the periodic task does with files idle for its timeout.
                for log in &logs {
                    log.close_idle_files(Duration::ZERO);
                }
                assert!(open_fds() - before < 10);
            }
        }
    }
    for (p, log) in logs.iter().enumerate() {
        let read = log.read(0, 1 << 20).expect("read");
        let values: Vec<Vec<u8>> = batches(read.bytes)
            .flat_map(|b| {
                let b = b.expect("batch");
                let records = b.records().expect("records");
                records
                    .iter()
                    .map(|r| r.value.clone().expect("value").to_vec())
                    .collect::<Vec<_>>()
            })
            .collect();
        let expected = format!("p{p}").into_bytes();
        assert_eq!(values, vec![expected.clone(), expected]);
    }
    assert!(open_fds() - before < 10, "reads open nothing lasting");
    // SAFETY: restores the limit read above.
    unsafe {
        libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
    }
}

#[test]
fn a_closed_log_never_reopens_files_recreated_at_its_paths() {
    let _turn = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("t-0");
    let old = PartitionLog::open(&dir, small_segments()).expect("open");
    old.append(&mut batch(0, b"old")).expect("append");
    old.close_idle_files(Duration::ZERO);
    // The topic is deleted and created again under the same name while `old` is still held.
    std::fs::remove_dir_all(&dir).expect("delete");
    let new = PartitionLog::open(&dir, small_segments()).expect("re-create");
    new.append(&mut batch(0, b"new")).expect("append");
    assert!(
        old.append(&mut batch(1, b"stale")).is_err(),
        "old log must not write the new file"
    );
    assert!(old.read(0, 1 << 20).is_err(), "nor read it");
    // Not even when the old log rolls (which resizes its index files).
    assert!(old.roll_if_older_than(Duration::ZERO).is_err());
    assert_eq!(record_count(&new), 1);
    assert_eq!(new.log_end_offset(), 1);
    drop(new);
    let reopened = PartitionLog::open(&dir, small_segments()).expect("reopen");
    assert_eq!(record_count(&reopened), 1, "the new log is intact");
}
