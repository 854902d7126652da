//! `kalfka consume --share-group`: the command line as a share-group member (KIP-932) with
//! explicit acknowledgement — members split the records and see each once with accept,
//! released records come back with delivery count 2, rejected ones never, Ctrl-C leaves the
//! group, and `kalfka group describe` shows the share-partition start offsets and lag.

#[path = "common/cli.rs"]
mod cli_support;
mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use cli_support::{fails, json_lines, ok, Streaming};
use common::TestBroker;

/// `kalfka group describe GROUP --json`.
fn describe(broker: &TestBroker, group: &str) -> serde_json::Value {
    serde_json::from_str(&ok(broker, &["group", "describe", group, "--json"], None)).expect("json")
}

/// (partition, start, lag) of each partition in a share group's description.
fn starts(d: &serde_json::Value) -> Vec<(i64, i64, i64)> {
    d["offsets"]
        .as_array()
        .expect("offsets")
        .iter()
        .map(|o| {
            let n = |k: &str| o[k].as_i64().unwrap_or(-99);
            (n("partition"), n("start"), n("lag"))
        })
        .collect()
}

/// Two members with `-c 10` each on 20 records: each acquires only what it prints, so they
/// split the records, and together print every record once, first delivery.
#[test]
fn share_members_split_the_records_and_accept_each_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    ok(
        &broker,
        &["topic", "create", "q", "--partitions", "2"],
        None,
    );
    for p in 0..2 {
        let lines: String = (0..10).map(|i| format!("p{p}-{i}\n")).collect();
        ok(
            &broker,
            &["produce", "q", "-p", &p.to_string()],
            Some(&lines),
        );
    }
    let args = [
        "consume",
        "q",
        "--share-group",
        "workers",
        "-o",
        "beginning",
        "-c",
        "10",
        "--format",
        "%p:%o:%d:%s\\n",
    ];
    let members = [
        Streaming::spawn(&broker, &args),
        Streaming::spawn(&broker, &args),
    ];
    let mut seen: [Vec<String>; 2] = [Vec::new(), Vec::new()];
    for (m, s) in members.iter().zip(seen.iter_mut()) {
        for _ in 0..10 {
            s.push(m.next_line());
        }
    }
    let mut members = members;
    for m in &mut members {
        let status = wait(&mut m.child);
        assert!(status.success(), "{status:?}");
    }
    let all: BTreeSet<String> = seen.concat().into_iter().collect();
    assert_eq!(all.len(), 20, "each record once: {seen:?}");
    let want: BTreeSet<String> = (0..2)
        .flat_map(|p| (0..10).map(move |i| format!("{p}:{i}:1:p{p}-{i}")))
        .collect();
    assert_eq!(all, want, "{seen:?}");
    let d = describe(&broker, "workers");
    assert_eq!(d["protocol"], "share", "{d}");
    assert_eq!(d["members"].as_array().map(Vec::len), Some(0), "{d}");
    assert_eq!(starts(&d), vec![(0, 10, 0), (1, 10, 0)], "{d}");
    // Nothing is left for a third member.
    let out = ok(&broker, &["consume", "q", "--share-group", "workers"], None);
    assert_eq!(out, "", "all accepted");
}

/// `--ack release` gives the records back: the next member gets them with delivery count 2
/// (and accepts them); `--ack reject` archives them: nobody gets them again.
#[test]
fn released_records_come_back_and_rejected_ones_do_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    ok(
        &broker,
        &["topic", "create", "r", "--partitions", "1"],
        None,
    );
    let lines: String = (0..5).map(|i| format!("v{i}\n")).collect();
    ok(&broker, &["produce", "r"], Some(&lines));
    let consume = |group: &str, extra: &[&str]| -> Vec<serde_json::Value> {
        let mut args = vec!["consume", "r", "--share-group", group, "--json"];
        args.extend_from_slice(extra);
        json_lines(&ok(&broker, &args, None))
    };
    let counts = |rows: &[serde_json::Value]| -> Vec<(i64, i64)> {
        rows.iter()
            .map(|r| {
                (
                    r["offset"].as_i64().unwrap_or(-1),
                    r["delivery_count"].as_i64().unwrap_or(-1),
                )
            })
            .collect()
    };

    let released = consume("rel", &["-o", "beginning", "--ack", "release", "-c", "5"]);
    assert_eq!(
        counts(&released),
        (0..5).map(|o| (o, 1)).collect::<Vec<_>>()
    );
    assert_eq!(released[0]["value"], "v0");
    assert_eq!(starts(&describe(&broker, "rel")), vec![(0, 0, 5)]);
    let again = consume("rel", &["-c", "5"]);
    assert_eq!(counts(&again), (0..5).map(|o| (o, 2)).collect::<Vec<_>>());
    assert!(
        consume("rel", &[]).is_empty(),
        "accepted: not delivered again"
    );
    assert_eq!(starts(&describe(&broker, "rel")), vec![(0, 5, 0)]);

    let rejected = consume("rej", &["-o", "beginning", "--ack", "reject", "-c", "5"]);
    assert_eq!(
        counts(&rejected),
        (0..5).map(|o| (o, 1)).collect::<Vec<_>>()
    );
    assert!(
        consume("rej", &[]).is_empty(),
        "rejected: not delivered again"
    );
    assert_eq!(starts(&describe(&broker, "rej")), vec![(0, 5, 0)]);

    // A count smaller than the records available acquires no more than it prints.
    let two = consume("cnt", &["-o", "beginning", "-c", "2"]);
    assert_eq!(counts(&two), vec![(0, 1), (1, 1)]);
    let rest = consume("cnt", &[]);
    assert_eq!(counts(&rest), vec![(2, 1), (3, 1), (4, 1)]);

    let err = fails(&broker, &["consume", "r", "--share-group", "x", "-o", "3"]);
    assert!(err.contains("beginning or end"), "{err}");
    let err = fails(&broker, &["consume", "r", "--ack", "reject"]);
    assert!(err.contains("--share-group"), "{err}");
}

/// `-f` follows until Ctrl-C: the member then acknowledges what it printed, leaves the group
/// (no member left) and exits 0.
#[test]
fn share_member_follows_and_leaves_on_sigint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    ok(
        &broker,
        &["topic", "create", "f", "--partitions", "1"],
        None,
    );
    let mut member = Streaming::spawn(
        &broker,
        &[
            "consume",
            "f",
            "--share-group",
            "fg",
            "-f",
            "--format",
            "%o:%d:%s\\n",
        ],
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while describe(&broker, "fg")["members"].as_array().map(Vec::len) != Some(1) {
        assert!(Instant::now() < deadline, "the member never joined");
        std::thread::sleep(Duration::from_millis(100));
    }
    // The share partition starts at the end (latest) when the member first fetches.
    let deadline = Instant::now() + Duration::from_secs(30);
    while starts(&describe(&broker, "fg")).is_empty() {
        assert!(Instant::now() < deadline, "the partition was never read");
        std::thread::sleep(Duration::from_millis(100));
    }
    ok(&broker, &["produce", "f"], Some("a\nb\nc\n"));
    let lines: Vec<String> = (0..3).map(|_| member.next_line()).collect();
    assert_eq!(lines, ["0:1:a", "1:1:b", "2:1:c"]);
    // SAFETY: signals our own child, which follows until interrupted.
    let rc = unsafe { libc::kill(member.child.id() as libc::pid_t, libc::SIGINT) };
    assert_eq!(rc, 0);
    let status = wait(&mut member.child);
    assert!(status.success(), "{status:?}");
    let d = describe(&broker, "fg");
    assert_eq!(d["members"].as_array().map(Vec::len), Some(0), "{d}");
    assert_eq!(starts(&d), vec![(0, 3, 0)], "{d}");
}

/// Waits (bounded) for `child` to exit.
fn wait(child: &mut std::process::Child) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        assert!(Instant::now() < deadline, "kalfka did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}
