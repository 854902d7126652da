//! Many partitions on the real `kalfka` binary (issue 12), scaled for CI: 200 topics of 10
//! partitions, one record each. After a clean restart and after a SIGKILL the broker must
//! answer Metadata within a generous bound (minutes before checkpoints and content-sized
//! indexes), a client connecting during start-up must get an answer or a refused connection
//! (never an accepted connection left unanswered), every acknowledged record must be there,
//! resident memory must stay small and the number of memory maps must not grow with idle
//! partitions.
//!
//! Records are produced with acks=1: they reached the OS, which a SIGKILL does not undo.

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::process::BrokerProcess;
use common::raw::{produce_request, RawClient};
use kalfka_protocol::messages::{MetadataRequest, MetadataResponse, ProduceResponse};
use kalfka_protocol::records::{Compression, RecordBatchBuilder};

const TOPICS: usize = 200;
const PARTITIONS: i32 = 10;
/// Generous: a broker with 2,000 partitions took minutes before (58 s for 1,000).
const READY_BOUND: Duration = Duration::from_secs(5);
/// Idle files and maps are released after this (the flag the test passes).
const IDLE_MS: &str = "300";

fn topic(t: usize) -> String {
    format!("many-{t:04}")
}

fn value(t: usize, p: i32) -> Vec<u8> {
    format!("value-{t}-{p}").into_bytes()
}

fn record(value: &[u8]) -> Bytes {
    let mut b = RecordBatchBuilder::new(Compression::None);
    b.append(0, None, Some(value), &[]);
    b.build().expect("batch")
}

fn start(data: &Path, log: &Path, addr: Option<SocketAddr>) -> BrokerProcess {
    let args = ["--idle-file-timeout-ms", IDLE_MS];
    match addr {
        None => BrokerProcess::start(data, &args, Some(log)),
        Some(addr) => BrokerProcess::start_at(data, addr, &args, Some(log))
            .expect("broker restarts on its port"),
    }
}

/// Creates the topics and produces one record to every partition (pipelined, acks=1).
fn fill(addr: SocketAddr) {
    let mut c = RawClient::connect(addr);
    for t in 0..TOPICS {
        c.create_topic(&topic(t), PARTITIONS, &[]);
    }
    let requests: Vec<(usize, i32)> = (0..TOPICS)
        .flat_map(|t| (0..PARTITIONS).map(move |p| (t, p)))
        .collect();
    for window in requests.chunks(100) {
        let ids: Vec<i32> = window
            .iter()
            .map(|&(t, p)| c.send(9, &produce_request(&topic(t), p, record(&value(t, p)), 1)))
            .collect();
        for id in ids {
            let resp: ProduceResponse =
                c.recv::<kalfka_protocol::messages::ProduceRequest, _>(9, id);
            let part = &resp.responses[0].partition_responses[0];
            assert_eq!((part.error_code, part.base_offset), (0, 0));
        }
    }
}

/// Metadata for every topic; panics unless all topics and partitions are listed.
fn metadata(addr: SocketAddr) {
    let mut c = RawClient::connect(addr);
    let resp: MetadataResponse = c.call(
        12,
        &MetadataRequest {
            topics: None,
            ..Default::default()
        },
    );
    assert_eq!(resp.topics.len(), TOPICS);
    assert!(resp
        .topics
        .iter()
        .all(|t| t.error_code == 0 && t.partitions.len() == PARTITIONS as usize));
}

/// Every partition holds exactly its one record.
fn check_records(addr: SocketAddr) {
    let mut c = RawClient::connect(addr);
    for t in 0..TOPICS {
        for p in 0..PARTITIONS {
            let records = c.read_records(&topic(t), p);
            assert_eq!(
                records,
                vec![(0, Some(Bytes::from(value(t, p))))],
                "{}-{p}",
                topic(t)
            );
        }
    }
}

/// (VmRSS in MiB, number of memory maps) of a process.
fn rss_and_maps(pid: u32) -> (u64, usize) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    let rss_kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmRSS");
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps"))
        .expect("maps")
        .lines()
        .count();
    (rss_kb / 1024, maps)
}

fn pid(broker: &BrokerProcess) -> u32 {
    broker
        .killer()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .id()
}

/// Connects to `addr` over and over while the broker starts (until `stop`, bounded): each
/// connection that is accepted must be answered within 3 s. Returns how many connections were
/// accepted and answered; panics on one accepted and left unanswered.
fn probe_while_starting(addr: SocketAddr, stop: Arc<AtomicBool>) -> thread::JoinHandle<usize> {
    thread::spawn(move || {
        // ApiVersions v0: header only, no body.
        let mut request = Vec::new();
        request.extend_from_slice(&[0, 18, 0, 0, 0, 0, 0, 7, 0, 5]);
        request.extend_from_slice(b"probe");
        let mut frame = (request.len() as i32).to_be_bytes().to_vec();
        frame.extend_from_slice(&request);
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut answered = 0;
        while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
            match TcpStream::connect_timeout(&addr, Duration::from_millis(500)) {
                Ok(mut s) => {
                    s.set_read_timeout(Some(Duration::from_secs(3)))
                        .expect("timeout");
                    s.write_all(&frame).expect("send");
                    let mut size = [0u8; 4];
                    match s.read_exact(&mut size) {
                        Ok(()) => answered += 1,
                        Err(e)
                            if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) =>
                        {
                            panic!("a connection accepted during start-up was not answered in 3 s")
                        }
                        // Closed by a broker being killed: not a start-up matter.
                        Err(_) => {}
                    }
                }
                Err(e) if e.kind() == ErrorKind::ConnectionRefused => {}
                Err(e) => panic!("connect: {e}"),
            }
            thread::sleep(Duration::from_millis(5));
        }
        answered
    })
}

/// Restarts the broker on `addr` with a probing client; returns the broker once Metadata was
/// answered within the bound.
fn restart(data: &Path, log: &Path, addr: SocketAddr, what: &str) -> BrokerProcess {
    let stop = Arc::new(AtomicBool::new(false));
    let probe = probe_while_starting(addr, Arc::clone(&stop));
    let started = Instant::now();
    let broker = start(data, log, Some(addr));
    metadata(addr);
    let took = started.elapsed();
    thread::sleep(Duration::from_millis(50));
    stop.store(true, Ordering::Relaxed);
    let answered = probe.join().expect("no connection left unanswered");
    assert!(
        answered > 0,
        "the probe got an answer once the broker was up"
    );
    assert!(
        took < READY_BOUND,
        "{what}: Metadata answered after {took:?}; log: {}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
    broker
}

#[test]
fn thousands_of_partitions_restart_fast_and_keep_every_record() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let log = dir.path().join("broker.log");
    let mut broker = start(&data, &log, None);
    let addr = broker.addr;
    fill(addr);
    check_records(addr);
    assert!(broker.terminate(), "clean shutdown");

    let mut broker = restart(&data, &log, addr, "clean restart");
    let (rss, _) = rss_and_maps(pid(&broker));
    assert!(rss < 200, "RSS after a clean restart: {rss} MiB");
    check_records(addr);
    // Every partition was just read (mapped); once idle, none keeps a map.
    thread::sleep(Duration::from_millis(1500));
    let (_, maps) = rss_and_maps(pid(&broker));
    assert!(
        maps < 500,
        "{maps} memory maps with {} idle partitions",
        TOPICS * PARTITIONS as usize
    );

    broker.kill();
    let mut broker = restart(&data, &log, addr, "restart after SIGKILL");
    let (rss, maps) = rss_and_maps(pid(&broker));
    assert!(rss < 200, "RSS after a restart after SIGKILL: {rss} MiB");
    assert!(
        maps < 500,
        "{maps} memory maps after a restart after SIGKILL"
    );
    check_records(addr);
    assert!(broker.terminate(), "clean shutdown");
}
