//! Partition log: append/read round trips, segment rolls, max_bytes, reopen, timestamps.

use std::path::Path;
use std::sync::Arc;

use kalfka::log::{LogConfig, LogError, PartitionLog};
use kalfka_protocol::records::{
    validate_batch, Compression, RecordBatchBuilder, RecordBatchHeader,
};

/// One uncompressed batch with a record per timestamp and `value_len`-byte values.
fn batch(timestamps: &[i64], value_len: usize) -> Vec<u8> {
    let mut b = RecordBatchBuilder::new(Compression::None);
    for (i, ts) in timestamps.iter().enumerate() {
        let value = vec![i as u8; value_len];
        b.append(*ts, Some(b"key"), Some(&value), &[]);
    }
    b.build().expect("build batch").to_vec()
}

/// Splits a read result into batches and checks each one (CRC included).
fn split(mut bytes: &[u8]) -> Vec<RecordBatchHeader> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let h = RecordBatchHeader::parse(bytes).expect("header");
        let (one, rest) = bytes.split_at(h.total_size());
        assert_eq!(validate_batch(one).expect("valid batch"), h);
        out.push(h);
        bytes = rest;
    }
    out
}

fn small_config() -> LogConfig {
    LogConfig {
        segment_bytes: 2_000,
        index_interval_bytes: 300,
        max_index_bytes: 1024,
    }
}

fn segment_files(dir: &Path, ext: &str) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    v.sort();
    v
}

/// Appends `n` three-record batches; returns the stored bytes of each (offsets assigned).
fn fill(log: &PartitionLog, n: usize, start_ts: i64) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| {
            let ts = start_ts + i as i64 * 10;
            let mut b = batch(&[ts, ts + 1, ts + 2], 100);
            let expected_base = log.log_end_offset();
            let info = log.append(&mut b).unwrap();
            assert_eq!(info.base_offset, expected_base);
            assert_eq!(info.last_offset, expected_base + 2);
            assert_eq!(info.max_timestamp, ts + 2);
            b
        })
        .collect()
}

/// Checks that every offset reads back the batch containing it, byte for byte.
fn check_all(log: &PartitionLog, stored: &[Vec<u8>]) {
    let mut offset_of = Vec::new();
    for (i, b) in stored.iter().enumerate() {
        let h = RecordBatchHeader::parse(b).unwrap();
        for o in h.base_offset..=h.last_offset() {
            offset_of.push((o, i));
        }
    }
    for (o, i) in offset_of {
        let r = log.read(o, 1).unwrap();
        assert_eq!(&r.bytes[..], &stored[i][..], "offset {o}");
        assert_eq!(r.high_watermark, log.log_end_offset());
    }
}

#[test]
fn round_trip_across_rolls() {
    let dir = tempfile::tempdir().unwrap();
    let log = PartitionLog::open(dir.path(), small_config()).unwrap();
    assert_eq!((log.log_start_offset(), log.log_end_offset()), (0, 0));
    assert!(log.read(0, 100).unwrap().bytes.is_empty());
    assert!(log.max_timestamp().is_none());

    let stored = fill(&log, 40, 1_000);
    assert_eq!(log.log_end_offset(), 120);
    assert!(
        segment_files(dir.path(), "log").len() > 5,
        "segments rolled"
    );
    check_all(&log, &stored);

    // Log end: empty; beyond / before: out of range.
    assert!(log.read(120, 1 << 20).unwrap().bytes.is_empty());
    assert!(matches!(
        log.read(121, 100),
        Err(LogError::OffsetOutOfRange {
            offset: 121,
            start: 0,
            end: 120
        })
    ));
    assert!(matches!(
        log.read(-1, 100),
        Err(LogError::OffsetOutOfRange { .. })
    ));

    // Reading everything by following next offsets gives back every batch in order.
    let mut next = 0;
    let mut seen = Vec::new();
    while next < log.log_end_offset() {
        let r = log.read(next, 1 << 20).unwrap();
        let hs = split(&r.bytes);
        assert!(!hs.is_empty());
        next = hs.last().unwrap().next_offset();
        seen.extend_from_slice(&r.bytes);
    }
    assert_eq!(seen, stored.concat());
    log.close().unwrap();
}

#[test]
fn max_bytes_whole_batches_and_oversized_first() {
    let dir = tempfile::tempdir().unwrap();
    let log = PartitionLog::open(dir.path(), LogConfig::default()).unwrap();
    let stored = fill(&log, 5, 0);
    let (s0, s1) = (stored[0].len(), stored[1].len());

    // max_bytes smaller than the first batch: still the whole first batch (KIP-74).
    assert_eq!(split(&log.read(0, 0).unwrap().bytes).len(), 1);
    assert_eq!(split(&log.read(0, s0 - 1).unwrap().bytes).len(), 1);
    assert_eq!(split(&log.read(0, s0 + s1 - 1).unwrap().bytes).len(), 1);
    assert_eq!(split(&log.read(0, s0 + s1).unwrap().bytes).len(), 2);
    assert_eq!(
        &log.read(0, usize::MAX).unwrap().bytes[..],
        &stored.concat()[..]
    );
    // From inside the second batch: starts at the second batch's base.
    let r = log.read(4, s1).unwrap();
    let hs = split(&r.bytes);
    assert_eq!((hs.len(), hs[0].base_offset), (1, 3));
    // Leader epoch is stamped 0.
    assert_eq!(hs[0].partition_leader_epoch, 0);
}

#[test]
fn reads_survive_later_appends_and_concurrent_reader() {
    let dir = tempfile::tempdir().unwrap();
    let log = Arc::new(PartitionLog::open(dir.path(), small_config()).unwrap());
    let first = fill(&log, 1, 0);
    let held = log.read(0, 1 << 20).unwrap().bytes;

    let reader = {
        let log = Arc::clone(&log);
        std::thread::spawn(move || {
            let mut next = 0;
            while next < 300 {
                match log.read(next, 5_000) {
                    Ok(r) if r.bytes.is_empty() => std::thread::yield_now(),
                    Ok(r) => next = split(&r.bytes).last().unwrap().next_offset(),
                    Err(e) => panic!("read failed: {e}"),
                }
            }
            next
        })
    };
    fill(&log, 99, 10);
    assert_eq!(reader.join().unwrap(), 300);
    assert_eq!(&held[..], &first[0][..]);
}

#[test]
fn reopen_after_close_restores_everything() {
    let dir = tempfile::tempdir().unwrap();
    let config = small_config();
    let stored = {
        let log = PartitionLog::open(dir.path(), config.clone()).unwrap();
        let stored = fill(&log, 30, 0);
        log.flush().unwrap();
        log.close().unwrap();
        stored
    };
    // Indexes were trimmed to whole entries.
    for p in segment_files(dir.path(), "index") {
        let len = std::fs::metadata(&p).unwrap().len();
        assert!(
            len % 8 == 0 && len < config.max_index_bytes as u64,
            "{p:?}: {len}"
        );
    }
    for p in segment_files(dir.path(), "timeindex") {
        let len = std::fs::metadata(&p).unwrap().len();
        assert!(
            len % 12 == 0 && len < config.max_index_bytes as u64,
            "{p:?}: {len}"
        );
    }
    let log = PartitionLog::open(dir.path(), config.clone()).unwrap();
    assert_eq!(log.log_end_offset(), 90);
    check_all(&log, &stored);
    assert_eq!(log.max_timestamp(), Some((89, 292)));
    let mut more = fill(&log, 3, 1_000);
    assert_eq!(RecordBatchHeader::parse(&more[0]).unwrap().base_offset, 90);
    let mut all = stored;
    all.append(&mut more);
    check_all(&log, &all);
    log.close().unwrap();

    // And again, without closing.
    let log = PartitionLog::open(dir.path(), config).unwrap();
    check_all(&log, &all);
    drop(log);
}

#[test]
fn offset_for_timestamp_and_max_timestamp() {
    // Non-monotonic batch max timestamps, records inside batches out of order too.
    let plan: &[&[i64]] = &[
        &[100, 90],
        &[300, 120],
        &[200],
        &[150, 400, 10],
        &[150],
        &[500, 499],
        &[250],
    ];
    let maxes: Vec<i64> = plan.iter().map(|ts| *ts.iter().max().unwrap()).collect();
    for config in [
        LogConfig::default(),
        LogConfig {
            segment_bytes: 250,
            index_interval_bytes: 1,
            max_index_bytes: 64,
        },
    ] {
        let dir = tempfile::tempdir().unwrap();
        let log = PartitionLog::open(dir.path(), config.clone()).unwrap();
        assert_eq!(log.offset_for_timestamp(0).unwrap(), None);
        let mut bases = Vec::new();
        let mut lasts = Vec::new();
        for ts in plan {
            let info = log.append(&mut batch(ts, 50)).unwrap();
            bases.push(info.base_offset);
            lasts.push(info.last_offset);
        }
        let expect = |target: i64| {
            maxes
                .iter()
                .position(|&m| m >= target)
                .map(|i| (bases[i], maxes[i]))
        };
        let check = |log: &PartitionLog| {
            for target in [
                i64::MIN,
                -1,
                0,
                100,
                101,
                150,
                200,
                201,
                299,
                300,
                301,
                400,
                401,
                499,
                500,
                501,
                i64::MAX,
            ] {
                assert_eq!(
                    log.offset_for_timestamp(target).unwrap(),
                    expect(target),
                    "ts {target}"
                );
            }
            assert_eq!(log.max_timestamp(), Some((lasts[5], 500)));
        };
        check(&log);
        drop(log); // unclean
        let log = PartitionLog::open(dir.path(), config.clone()).unwrap();
        check(&log);
        log.close().unwrap();
        let log = PartitionLog::open(dir.path(), config).unwrap();
        check(&log);
    }
}

#[test]
fn rejects_malformed_append_and_delete_removes_dir() {
    let dir = tempfile::tempdir().unwrap();
    let part = dir.path().join("topic-0");
    let log = PartitionLog::open(&part, LogConfig::default()).unwrap();
    let mut b = batch(&[1], 10);
    b.push(0);
    assert!(matches!(log.append(&mut b), Err(LogError::InvalidBatch(_))));
    assert!(matches!(
        log.append(&mut [0u8; 10]),
        Err(LogError::InvalidBatch(_))
    ));
    assert_eq!(log.log_end_offset(), 0);
    fill(&log, 2, 0);
    log.delete().unwrap();
    assert!(!part.exists());
}

#[test]
fn segment_larger_batches_and_tiny_index() {
    // A batch bigger than segment_bytes still goes into an (empty) segment; a full index rolls.
    let dir = tempfile::tempdir().unwrap();
    let config = LogConfig {
        segment_bytes: 100,
        index_interval_bytes: 0,
        max_index_bytes: 8,
    };
    let log = PartitionLog::open(dir.path(), config.clone()).unwrap();
    let stored = fill(&log, 6, 0);
    assert_eq!(segment_files(dir.path(), "log").len(), 6);
    check_all(&log, &stored);
    let config = LogConfig {
        segment_bytes: 1 << 20,
        ..config
    };
    drop(log);
    let log = PartitionLog::open(dir.path(), config).unwrap();
    let more = fill(&log, 6, 100);
    check_all(&log, &[stored, more].concat());
    // Index of 1 entry: rolls every time the entry has been used.
    assert!(segment_files(dir.path(), "log").len() >= 8);
}
