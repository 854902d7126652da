//! Random sequences of plain appends, transactional appends from a few producers, COMMIT and
//! ABORT markers, clean restarts and crashes, against a simple model of what read_committed
//! and read_uncommitted consumers must see: the last stable offset, the visible values, and
//! the aborted-transaction list a client filters with (applied here the way clients do).

use std::collections::{BTreeMap, HashSet};

use kalfka::log::{LogConfig, Recovery};
use kalfka::partition::Partition;
use kalfka_protocol::records::{batches, Compression, RecordBatchBuilder};
use proptest::prelude::*;

const PRODUCERS: i64 = 3;

#[derive(Debug, Clone)]
enum Op {
    /// A non-transactional record.
    Plain,
    /// A transactional record of producer `pid`.
    Txn { pid: i64 },
    /// The coordinator ends `pid`'s transaction.
    End { pid: i64, commit: bool },
    /// Clean restart (flush, snapshot) or crash (no flush): state rebuilt either way.
    Reopen { clean: bool },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::Plain),
        5 => (0..PRODUCERS).prop_map(|pid| Op::Txn { pid }),
        3 => (0..PRODUCERS, any::<bool>()).prop_map(|(pid, commit)| Op::End { pid, commit }),
        1 => any::<bool>().prop_map(|clean| Op::Reopen { clean }),
    ]
}

/// What the log should hold.
#[derive(Default)]
struct Model {
    /// Every data record: offset → (producer or -1, value).
    records: BTreeMap<i64, (i64, String)>,
    /// Producer → first offset of its open transaction and its records' offsets.
    open: BTreeMap<i64, (i64, Vec<i64>)>,
    /// Offsets of records whose transaction aborted.
    aborted: HashSet<i64>,
    /// Offsets of records in open transactions (not yet visible to read_committed).
    next: i64,
    /// Next sequence per producer.
    seq: BTreeMap<i64, i32>,
}

impl Model {
    fn lso(&self) -> i64 {
        self.open
            .values()
            .map(|(first, _)| *first)
            .min()
            .unwrap_or(self.next)
    }

    /// Values a read_committed consumer sees, in offset order.
    fn committed(&self) -> Vec<String> {
        let lso = self.lso();
        self.records
            .range(..lso)
            .filter(|(o, _)| !self.aborted.contains(o))
            .map(|(_, (_, v))| v.clone())
            .collect()
    }
}

fn record(pid: Option<i64>, seq: i32, value: &str) -> Vec<u8> {
    let mut b = RecordBatchBuilder::new(Compression::None);
    if let Some(pid) = pid {
        b.producer(pid, 0, seq).transactional(true);
    }
    b.append(0, None, Some(value.as_bytes()), &[]);
    b.build().expect("batch").to_vec()
}

/// Reads like a read_committed client: up to the LSO, skipping control batches and the
/// records of aborted transactions (producer, from first offset up to its ABORT marker).
fn read_committed(p: &Partition) -> Vec<String> {
    let lso = p.last_stable_offset();
    let start = p.offsets().log_start;
    let mut aborted: Vec<(i64, i64)> = p.aborted_txns(start, lso);
    aborted.sort_by_key(|a| a.1);
    let mut skipping: HashSet<i64> = HashSet::new();
    let mut out = Vec::new();
    let mut offset = start;
    for _ in 0..10_000 {
        if offset >= lso {
            break;
        }
        let read = p.read(offset, 1 << 20).expect("read");
        if read.records.is_empty() {
            break;
        }
        for b in batches(read.records) {
            let b = b.expect("batch");
            let h = *b.header();
            offset = h.next_offset();
            if h.base_offset >= lso {
                return out;
            }
            // Aborted transactions starting at or before this batch apply from here on.
            while let Some(&(pid, first)) = aborted.first() {
                if first > h.base_offset {
                    break;
                }
                skipping.insert(pid);
                aborted.remove(0);
            }
            if h.is_control() {
                skipping.remove(&h.producer_id);
                continue;
            }
            if h.is_transactional() && skipping.contains(&h.producer_id) {
                continue;
            }
            for r in b.records().expect("records") {
                let v = r.value.expect("value");
                out.push(String::from_utf8_lossy(&v).into_owned());
            }
        }
    }
    out
}

fn open(dir: &std::path::Path) -> Partition {
    let config = LogConfig {
        segment_bytes: 300,
        ..LogConfig::default()
    };
    Partition::open(0, dir, config, Recovery::Unclean).expect("open")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn read_committed_matches_the_model(ops in proptest::collection::vec(op(), 1..60)) {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut p = open(dir.path());
        let mut m = Model::default();
        for (i, op) in ops.iter().enumerate() {
            match op {
                Op::Plain => {
                    let v = format!("p{i}");
                    p.append(&mut [record(None, 0, &v)]).expect("append");
                    m.records.insert(m.next, (-1, v));
                    m.next += 1;
                }
                Op::Txn { pid } => {
                    let seq = m.seq.entry(*pid).or_insert(0);
                    let v = format!("t{pid}-{i}");
                    p.append(&mut [record(Some(*pid), *seq, &v)]).expect("append");
                    *seq += 1;
                    m.records.insert(m.next, (*pid, v));
                    let entry = m.open.entry(*pid).or_insert((m.next, Vec::new()));
                    entry.1.push(m.next);
                    m.next += 1;
                }
                Op::End { pid, commit } => {
                    let wrote = p.write_txn_marker(*pid, 0, *commit, 0).expect("marker");
                    match m.open.remove(pid) {
                        Some((_, offsets)) => {
                            prop_assert_eq!(wrote, Some(m.next + 1));
                            if !commit {
                                m.aborted.extend(offsets);
                            }
                            m.next += 1;
                        }
                        None => prop_assert_eq!(wrote, None, "nothing open: no marker"),
                    }
                }
                Op::Reopen { clean } => {
                    if *clean {
                        p.flush().expect("flush");
                    }
                    drop(p);
                    p = open(dir.path());
                }
            }
            prop_assert_eq!(p.offsets().log_end, m.next);
            prop_assert_eq!(p.last_stable_offset(), m.lso(), "after {:?}", op);
            prop_assert_eq!(read_committed(&p), m.committed(), "after {:?}", op);
        }
    }
}
