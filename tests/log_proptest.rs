//! Random append / roll / reopen / crash sequences against an in-memory model.

use std::path::Path;

use kalfka::log::{LogConfig, PartitionLog, Recovery};
use kalfka_protocol::records::{Compression, RecordBatchBuilder, RecordBatchHeader};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    /// Append a batch of `records` records with `value_len`-byte values at timestamp `ts`.
    Append {
        records: usize,
        value_len: usize,
        ts: i64,
    },
    /// Close and reopen.
    Reopen,
    /// Drop without closing and reopen.
    Crash,
    /// Read from a model batch (index modulo the count) with a max_bytes.
    Read { pick: usize, max_bytes: usize },
    /// Crash, tearing `cut` bytes off the active segment (the model drops what was cut).
    TornCrash { cut: usize },
    /// DeleteRecords up to an offset picked in `[0, end]`.
    DeleteBefore { pick: usize },
    /// fsync the data (moves the recovery point to the log end, as group commit does).
    Sync,
    /// Crash as the broker sees one: reopen with the recovery point a checkpoint would hold,
    /// after tearing `cut` bytes (maybe none) off the active segment.
    CheckpointCrash { cut: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (1usize..6, 0usize..400, 0i64..10_000)
            .prop_map(|(records, value_len, ts)| Op::Append { records, value_len, ts }),
        1 => Just(Op::Reopen),
        1 => Just(Op::Crash),
        3 => (any::<usize>(), 0usize..3_000).prop_map(|(pick, max_bytes)| Op::Read { pick, max_bytes }),
        1 => (1usize..200).prop_map(|cut| Op::TornCrash { cut }),
        1 => any::<usize>().prop_map(|pick| Op::DeleteBefore { pick }),
        1 => Just(Op::Sync),
        2 => (0usize..200).prop_map(|cut| Op::CheckpointCrash { cut }),
    ]
}

fn batch(records: usize, value_len: usize, ts: i64) -> Vec<u8> {
    let mut b = RecordBatchBuilder::new(Compression::None);
    for i in 0..records {
        let value = vec![i as u8; value_len];
        b.append(ts + (i as i64 * 7) % 13, None, Some(&value), &[]);
    }
    b.build().expect("build").to_vec()
}

/// The model: stored batches with their (base, last, max_ts).
struct Model {
    batches: Vec<(i64, i64, i64, Vec<u8>)>,
    /// The log start offset (moved by DeleteRecords).
    start: i64,
}

impl Model {
    /// The log end: after the last batch, or the start if recovery cut below it (the log then
    /// restarts empty at its start offset).
    fn end(&self) -> i64 {
        self.batches.last().map_or(0, |b| b.1 + 1).max(self.start)
    }

    fn check(&self, log: &PartitionLog) -> Result<(), TestCaseError> {
        prop_assert_eq!(log.log_end_offset(), self.end());
        prop_assert_eq!(log.log_start_offset(), self.start);
        if self.start > 0 {
            prop_assert!(log.read(self.start - 1, 1).is_err(), "below the start");
        }
        // Sequential read of everything from the start.
        let mut all = Vec::new();
        let mut next = self.start;
        while next < log.log_end_offset() {
            let r = log
                .read(next, 1_000)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(!r.bytes.is_empty());
            let mut rest = &r.bytes[..];
            while !rest.is_empty() {
                let h = RecordBatchHeader::parse(rest).unwrap();
                next = h.next_offset();
                rest = &rest[h.total_size()..];
            }
            all.extend_from_slice(&r.bytes);
        }
        let expected: Vec<u8> = self
            .batches
            .iter()
            .filter(|b| b.1 >= self.start)
            .flat_map(|b| b.3.clone())
            .collect();
        prop_assert!(all == expected, "log content differs from the model");
        if self.start > 0 {
            // Which batches below the start survive depends on segment boundaries.
            return Ok(());
        }
        // Max timestamp: earliest batch with the greatest max, reported at its last offset.
        let mut best: Option<(i64, i64)> = None;
        for b in &self.batches {
            if best.is_none_or(|(_, ts)| b.2 > ts) {
                best = Some((b.1, b.2));
            }
        }
        prop_assert_eq!(log.max_timestamp(), best);
        // Timestamp lookups.
        for target in [0, 2_500, 5_000, 7_500, 10_005, 20_000] {
            let want = self
                .batches
                .iter()
                .find(|b| b.2 >= target)
                .map(|b| (b.0, b.2));
            prop_assert_eq!(log.offset_for_timestamp(target).unwrap(), want);
        }
        Ok(())
    }
}

/// Tears `cut` bytes off the end of the active segment; the model loses the batches of the
/// active segment that end beyond the cut.
fn tear(dir: &Path, cut: usize, model: &mut Model) {
    let mut logs: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect();
    logs.sort();
    let active = logs.pop().unwrap();
    let len = std::fs::metadata(&active).unwrap().len();
    let new_len = len.saturating_sub(cut as u64);
    std::fs::OpenOptions::new()
        .write(true)
        .open(&active)
        .unwrap()
        .set_len(new_len)
        .unwrap();
    let seg_base: i64 = active
        .file_stem()
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let mut pos = 0u64;
    model.batches.retain(|b| {
        if b.0 < seg_base {
            return true;
        }
        pos += b.3.len() as u64;
        pos <= new_len
    });
}

fn reopen(dir: &Path, config: &LogConfig) -> PartitionLog {
    PartitionLog::open(dir, config.clone()).expect("reopen")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn log_matches_model(
        ops in proptest::collection::vec(op(), 1..60),
        segment_bytes in 500u64..5_000,
        index_interval_bytes in 0usize..2_000,
        max_index_bytes in 0usize..200,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let config = LogConfig { segment_bytes, index_interval_bytes, max_index_bytes };
        let mut log = Some(reopen(dir.path(), &config));
        let mut model = Model { batches: Vec::new(), start: 0 };
        for op in ops {
            let l = log.take().unwrap();
            match op {
                Op::Append { records, value_len, ts } => {
                    let mut b = batch(records, value_len, ts);
                    let info = l.append(&mut b).unwrap();
                    prop_assert_eq!(info.base_offset, model.end());
                    prop_assert_eq!(info.last_offset, model.end() + records as i64 - 1);
                    model.batches.push((info.base_offset, info.last_offset, info.max_timestamp, b));
                    log = Some(l);
                }
                Op::Reopen => {
                    l.close().unwrap();
                    log = Some(reopen(dir.path(), &config));
                    model.check(log.as_ref().unwrap())?;
                }
                Op::Crash => {
                    drop(l);
                    log = Some(reopen(dir.path(), &config));
                    model.check(log.as_ref().unwrap())?;
                }
                Op::DeleteBefore { pick } => {
                    let offset = (pick % (model.end() as usize + 1)) as i64;
                    let start = l.delete_records_before(offset).unwrap();
                    model.start = model.start.max(offset);
                    prop_assert_eq!(start, model.start);
                    model.check(&l)?;
                    log = Some(l);
                }
                Op::Read { pick, max_bytes } => {
                    let readable: Vec<usize> = (0..model.batches.len())
                        .filter(|&i| model.batches[i].1 >= model.start)
                        .collect();
                    if !readable.is_empty() {
                        let i = readable[pick % readable.len()];
                        let (base, last, _, _) = model.batches[i];
                        let offset = base + (pick % (last - base + 1) as usize) as i64;
                        let offset = offset.max(model.start);
                        let r = l.read(offset, max_bytes).unwrap();
                        // Whole batches from batch i, as many as fit in max_bytes (at least one),
                        // never crossing a segment (so possibly fewer).
                        let first = &model.batches[i].3;
                        prop_assert!(r.bytes.len() >= first.len());
                        prop_assert!(r.bytes.len() <= max_bytes.max(first.len()));
                        let mut expect = Vec::new();
                        for b in &model.batches[i..] {
                            if expect.len() >= r.bytes.len() { break; }
                            expect.extend_from_slice(&b.3);
                        }
                        prop_assert!(expect[..] == r.bytes[..], "read at {} differs", offset);
                    }
                    log = Some(l);
                }
                Op::TornCrash { cut } => {
                    drop(l);
                    tear(dir.path(), cut, &mut model);
                    log = Some(reopen(dir.path(), &config));
                    model.check(log.as_ref().unwrap())?;
                }
                Op::Sync => {
                    prop_assert_eq!(l.sync_data().unwrap(), model.end());
                    prop_assert_eq!(l.recovery_point(), model.end());
                    log = Some(l);
                }
                Op::CheckpointCrash { cut } => {
                    let recovery_point = l.recovery_point();
                    prop_assert!(recovery_point <= model.end());
                    drop(l);
                    tear(dir.path(), cut, &mut model);
                    let l = PartitionLog::open_recovered(
                        dir.path(),
                        config.clone(),
                        Recovery::Unclean,
                        Some(recovery_point),
                    )
                    .expect("reopen from a checkpoint");
                    model.check(&l)?;
                    log = Some(l);
                }
            }
        }
        let l = log.take().unwrap();
        model.check(&l)?;
        l.close().unwrap();
        let l = reopen(dir.path(), &config);
        model.check(&l)?;
    }
}
