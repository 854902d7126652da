//! Crash loop: the real `kalfka` binary is SIGKILLed at random moments while producers write
//! sequence-numbered records with acks=all, then restarted on the same data directory. Every
//! acknowledged record must be present exactly once, at the offset it was acknowledged with.
//!
//! 20 cycles by default; `KALFKA_CRASH_CYCLES=200 cargo test --test crash_loop` runs a long
//! mode, `KALFKA_CRASH_SEED=<u64>` picks another (reproducible) sequence of kill moments.
//! Every third kill lands during a clean shutdown (SIGTERM, then SIGKILL 0-5 ms later).
//! The run ends with a SIGTERM, which must leave the clean-shutdown marker.

mod common;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::process::BrokerProcess;
use common::wire::{env_u64, Conn, Rng};
use kalfka_protocol::messages::create_topics_request::CreatableTopic;
use kalfka_protocol::messages::*;
use kalfka_protocol::records::{batches, Compression, RecordBatchBuilder};

const TOPIC: &str = "crash";
const PRODUCERS: u8 = 2;

fn value(producer: u8, seq: u64) -> Vec<u8> {
    let mut v = vec![producer];
    v.extend_from_slice(&seq.to_be_bytes());
    v
}

fn produce_request(records: Bytes) -> ProduceRequest {
    common::raw::produce_request(TOPIC, 0, records, -1)
}

/// Produces batches of 1–4 records until the connection fails (the broker was killed) or the
/// bound is reached. Returns `(offset, value)` of every acknowledged record.
fn produce_until_killed(
    addr: SocketAddr,
    producer: u8,
    next_seq: &mut u64,
    seed: u64,
) -> Vec<(i64, Vec<u8>)> {
    let mut rng = Rng::new(seed);
    let mut acked = Vec::new();
    let Ok(mut conn) = Conn::connect(addr, "crash-loop") else {
        return acked;
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    for _ in 0..20_000 {
        if Instant::now() > deadline {
            break;
        }
        let count = 1 + rng.below(4);
        let mut b = RecordBatchBuilder::new(Compression::None);
        let values: Vec<Vec<u8>> = (0..count).map(|i| value(producer, *next_seq + i)).collect();
        for v in &values {
            b.append(0, Some(b"k"), Some(v), &[]);
        }
        *next_seq += count;
        let Ok(resp) = conn.call::<_, ProduceResponse>(9, &produce_request(b.build().unwrap()))
        else {
            break;
        };
        let p = &resp.responses[0].partition_responses[0];
        if p.error_code != 0 {
            break;
        }
        for (i, v) in values.into_iter().enumerate() {
            acked.push((p.base_offset + i as i64, v));
        }
    }
    acked
}

/// Reads the whole partition: offset → value, checking offsets are contiguous from 0.
fn read_all(addr: SocketAddr) -> Vec<(i64, Vec<u8>)> {
    let mut conn = Conn::connect(addr, "crash-loop").expect("connect for verification");
    let mut out = Vec::new();
    let mut offset = 0;
    for _ in 0..100_000 {
        let req = common::raw::fetch_request(TOPIC, 0, offset, 0);
        let resp: FetchResponse = conn.call(11, &req).expect("fetch");
        let p = &resp.responses[0].partitions[0];
        assert_eq!(p.error_code, 0, "fetch at {offset}");
        let records = p.records.clone().unwrap_or_default();
        for b in batches(records) {
            let b = b.expect("whole batches");
            b.verify_crc().expect("crc of a served batch");
            for r in b.records().expect("records") {
                let o = r.offset(b.header());
                if o < offset {
                    continue;
                }
                assert_eq!(o, offset, "offsets are contiguous");
                out.push((o, r.value.map(|v| v.to_vec()).unwrap_or_default()));
                offset += 1;
            }
        }
        if offset >= p.high_watermark {
            return out;
        }
    }
    panic!("log did not end");
}

fn create_topic(addr: SocketAddr) {
    let mut conn = Conn::connect(addr, "crash-loop").expect("connect");
    let resp: CreateTopicsResponse = conn
        .call(
            7,
            &CreateTopicsRequest {
                topics: vec![CreatableTopic {
                    name: TOPIC.into(),
                    num_partitions: 1,
                    replication_factor: 1,
                    ..Default::default()
                }],
                timeout_ms: 5000,
                ..Default::default()
            },
        )
        .expect("create topic");
    assert_eq!(resp.topics[0].error_code, 0);
}

fn check(addr: SocketAddr, acked: &[(i64, Vec<u8>)], cycle: usize, log: &Path) {
    let log_records = read_all(addr);
    let mut count: HashMap<&[u8], usize> = HashMap::new();
    for (_, v) in &log_records {
        *count.entry(v.as_slice()).or_default() += 1;
    }
    for (offset, v) in acked {
        let at = usize::try_from(*offset).expect("offset");
        let found = log_records.get(at).map(|(_, v)| v.as_slice());
        if found != Some(v.as_slice()) {
            panic!(
                "cycle {cycle}: acknowledged record {v:?} missing at offset {offset} (found {found:?}, log end {}); broker log:\n{}",
                log_records.len(),
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        assert_eq!(
            count.get(v.as_slice()),
            Some(&1),
            "record {v:?} exactly once"
        );
    }
}

#[test]
fn acknowledged_records_survive_sigkill() {
    let cycles = env_u64("KALFKA_CRASH_CYCLES", 20);
    let mut rng = Rng::new(env_u64("KALFKA_CRASH_SEED", 0x5eed_cafe));
    let dir = tempfile::tempdir().expect("tempdir");
    let data: PathBuf = dir.path().join("data");
    let log = dir.path().join("broker.log");
    let mut acked: Vec<(i64, Vec<u8>)> = Vec::new();
    let mut seqs = [0u64; PRODUCERS as usize];

    let first = BrokerProcess::start(&data, &["--segment-bytes", "20000"], Some(&log));
    create_topic(first.addr);
    drop(first); // SIGKILL right after creating the topic: the topic must survive too.

    for cycle in 0..cycles as usize {
        let mut broker = BrokerProcess::start(&data, &["--segment-bytes", "20000"], Some(&log));
        check(broker.addr, &acked, cycle, &log);
        let kill_after = Duration::from_millis(20 + rng.below(300));
        // Every third cycle the kill lands in a clean shutdown instead (SIGTERM first, SIGKILL
        // 0-5 ms later): between the snapshots, the filesystem sync, the checkpoint and the
        // clean-shutdown marker.
        let during_shutdown = (cycle % 3 == 2).then(|| Duration::from_micros(rng.below(5_000)));
        let child = broker.killer();
        let killer = thread::spawn(move || {
            thread::sleep(kill_after);
            if let Some(grace) = during_shutdown {
                let pid = child.lock().unwrap().id();
                let pid = libc::pid_t::try_from(pid).expect("pid fits pid_t");
                // SAFETY: kill(2) on our own child, not reaped yet (we hold its handle).
                unsafe { libc::kill(pid, libc::SIGTERM) };
                thread::sleep(grace);
            }
            let mut child = child.lock().unwrap();
            let _ = child.kill();
            let _ = child.wait();
        });
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|p| {
                let addr = broker.addr;
                let mut next = seqs[p as usize];
                let seed = rng.next();
                thread::spawn(move || {
                    let acked = produce_until_killed(addr, p, &mut next, seed);
                    (acked, next)
                })
            })
            .collect();
        for (p, handle) in producers.into_iter().enumerate() {
            let (got, next) = handle.join().expect("producer thread");
            acked.extend(got);
            seqs[p] = next;
        }
        killer.join().expect("killer thread");
        broker.kill();
    }
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    eprintln!(
        "{cycles} kill cycles: {} acknowledged records, {} recoveries cut a tail, {} clean shutdowns begun, {} finished",
        acked.len(),
        text.matches("truncating damaged log tail").count(),
        text.matches("shutting down").count(),
        text.matches("closed the data directory").count()
    );
    assert!(
        acked.len() > 100,
        "too few acknowledged records ({}) to mean anything",
        acked.len()
    );

    // A clean stop leaves the marker; the next start removes it and serves everything.
    let mut broker = BrokerProcess::start(&data, &["--segment-bytes", "20000"], Some(&log));
    check(broker.addr, &acked, cycles as usize, &log);
    assert!(broker.terminate(), "SIGTERM gives a clean exit");
    assert!(
        data.join(".clean-shutdown").exists(),
        "clean-shutdown marker"
    );
    let broker = BrokerProcess::start(&data, &["--segment-bytes", "20000"], Some(&log));
    assert!(
        !data.join(".clean-shutdown").exists(),
        "marker removed at start"
    );
    check(broker.addr, &acked, cycles as usize + 1, &log);
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        text.contains("no clean-shutdown marker"),
        "unclean starts are logged"
    );
}
