//! `kalfka produce` and `kalfka consume` against a running broker: typed JSON records,
//! start offsets and kcat formats, following with Ctrl-C, producing from an open pipe, and
//! binary records.

#[path = "common/cli.rs"]
mod cli_support;
mod common;

use std::io::Write;

use cli_support::{fails, json_lines, kalfka, ok, Streaming};
use common::TestBroker;

/// `--json` output is typed: numbers are numbers, a null key is `null`, replicas and headers
/// are arrays; records come one JSON object per line.
#[test]
fn json_output_is_typed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    ok(
        &broker,
        &["topic", "create", "typed", "--partitions", "2"],
        None,
    );
    let listed: serde_json::Value =
        serde_json::from_str(&ok(&broker, &["topic", "list", "--json"], None)).expect("json");
    assert_eq!(
        listed,
        serde_json::json!([{"topic": "typed", "partitions": 2}])
    );
    let described: serde_json::Value = serde_json::from_str(&ok(
        &broker,
        &["--json", "topic", "describe", "typed"],
        None,
    ))
    .expect("json");
    assert_eq!(described["partitions"][1]["partition"], 1, "{described}");
    assert!(described["partitions"][1]["leader"].is_i64(), "{described}");
    assert!(
        described["partitions"][1]["replicas"].is_array(),
        "{described}"
    );

    ok(
        &broker,
        &[
            "produce", "typed", "-p", "1", "-k", ":", "-H", "a=1", "-H", "b=2",
        ],
        Some("no delimiter here\nk:v\n"),
    );
    let rows = json_lines(&ok(
        &broker,
        &["consume", "typed", "-o", "beginning", "--json"],
        None,
    ));
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0]["key"], serde_json::Value::Null);
    assert_eq!(rows[0]["value"], "no delimiter here");
    assert_eq!(rows[0]["offset"], 0);
    assert_eq!(rows[1]["offset"], 1);
    assert_eq!(rows[1]["partition"], 1);
    assert_eq!(rows[1]["topic"], "typed");
    assert!(
        rows[1]["timestamp"].as_i64().is_some_and(|t| t > 0),
        "{:?}",
        rows[1]
    );
    assert_eq!(
        rows[1]["headers"],
        serde_json::json!([{"key": "a", "value": "1"}, {"key": "b", "value": "2"}])
    );
}

/// `-o` (beginning, end, N, -N, @timestamp), `--partition`, `-c` and kcat's `--format` tokens.
#[test]
fn consume_offsets_and_format() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    ok(
        &broker,
        &["topic", "create", "offs", "--partitions", "2"],
        None,
    );
    let lines: String = (0..10).map(|i| format!("k{i}:v{i}\n")).collect();
    ok(
        &broker,
        &["produce", "offs", "-p", "0", "-k", ":"],
        Some(&lines),
    );
    ok(&broker, &["produce", "offs", "-p", "1"], Some("other\n"));
    let values = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["consume", "offs", "-p", "0", "--format", "%s\\n"];
        all.extend_from_slice(args);
        ok(&broker, &all, None)
            .lines()
            .map(str::to_string)
            .collect()
    };
    let v = |r: std::ops::Range<i32>| r.map(|i| format!("v{i}")).collect::<Vec<_>>();
    assert_eq!(values(&["-o", "beginning"]), v(0..10));
    assert_eq!(values(&["-o", "end"]), v(0..0));
    assert_eq!(values(&["-o", "7"]), v(7..10));
    assert_eq!(values(&["-o", "-3"]), v(7..10));
    assert_eq!(values(&["-o", "-30"]), v(0..10), "clamped to the log start");
    assert_eq!(values(&["-o", "99"]), v(0..0), "clamped to the end");
    assert_eq!(values(&["-o", "2", "-c", "2"]), v(2..4));
    assert_eq!(values(&["-o", "@0"]), v(0..10));
    let future = (std::time::SystemTime::now() + std::time::Duration::from_secs(3600))
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis()
        .to_string();
    assert_eq!(values(&["-o", &format!("@{future}")]), v(0..0));

    let all = ok(
        &broker,
        &["consume", "offs", "-o", "beginning", "--format", "%p"],
        None,
    );
    let mut partitions: Vec<char> = all.chars().collect();
    partitions.sort_unstable();
    assert_eq!(partitions.iter().collect::<String>(), "00000000001");

    let out = ok(
        &broker,
        &[
            "consume",
            "offs",
            "-p",
            "0",
            "-o",
            "3",
            "-c",
            "1",
            "--format",
            "%t|%p|%o|%k|%s|%K|%S|%h|100%%\\t%T\\n",
        ],
        None,
    );
    let (fields, ts) = out.trim_end().split_once('\t').expect("tab");
    assert_eq!(fields, "offs|0|3|k3|v3|2|2||100%");
    assert!(ts.parse::<i64>().is_ok_and(|t| t > 0), "{out}");
    let err = fails(&broker, &["consume", "offs", "--format", "%x"]);
    assert!(err.contains("%x"), "{err}");
    let err = fails(&broker, &["consume", "offs", "-p", "5"]);
    assert!(err.contains("no partition 5"), "{err}");
}

/// `consume -f` prints each record as it is produced (while still running), and Ctrl-C
/// (SIGINT to the child) ends it with exit code 0 after the records it read.
#[test]
fn consume_follow_streams_and_exits_zero_on_sigint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    ok(
        &broker,
        &["topic", "create", "live", "--partitions", "2"],
        None,
    );
    ok(&broker, &["produce", "live"], Some("before\n"));
    let consumer = Streaming::spawn(
        &broker,
        &[
            "consume",
            "live",
            "-f",
            "-o",
            "beginning",
            "--format",
            "%o:%s\\n",
        ],
    );
    assert_eq!(consumer.next_line(), "0:before");
    for i in 0..3 {
        ok(
            &broker,
            &["produce", "live", "-p", "0"],
            Some(&format!("during-{i}\n")),
        );
        let line = consumer.next_line();
        assert!(line.ends_with(&format!(":during-{i}")), "{line}");
    }
    let mut consumer = consumer;
    // SAFETY: signals our own child, which is still running (it follows until interrupted).
    let rc = unsafe { libc::kill(consumer.child.id() as libc::pid_t, libc::SIGINT) };
    assert_eq!(rc, 0);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let status = loop {
        if let Some(status) = consumer.child.try_wait().expect("wait") {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "consume did not stop on SIGINT"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
    assert!(consumer
        .lines
        .recv_timeout(std::time::Duration::from_secs(5))
        .is_err());
}

/// `produce` sends lines while stdin is still open: a consumer sees them before the pipe
/// closes; the topic is auto-created as kcat's producer would have it.
#[test]
fn produce_streams_from_an_open_pipe_and_auto_creates() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let mut producer = Streaming::spawn(&broker, &["produce", "piped", "-k", "="]);
    let mut stdin = producer.child.stdin.take().expect("stdin");
    let consumer = |broker: &TestBroker| {
        Streaming::spawn(
            broker,
            &[
                "consume",
                "piped",
                "-f",
                "-o",
                "beginning",
                "--format",
                "%k=%s\\n",
            ],
        )
    };
    writeln!(stdin, "a=1").expect("write");
    stdin.flush().expect("flush");
    // The topic exists once the producer has sent its first line.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !ok(&broker, &["topic", "list"], None).contains("piped") {
        assert!(
            std::time::Instant::now() < deadline,
            "topic never auto-created"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let reader = consumer(&broker);
    assert_eq!(reader.next_line(), "a=1");
    writeln!(stdin, "b=2").expect("write");
    stdin.flush().expect("flush");
    assert_eq!(reader.next_line(), "b=2");
    drop(stdin);
    assert_eq!(producer.next_line(), "produced 2 records to piped");
    let status = producer.child.wait().expect("producer exits");
    assert!(status.success());
}

/// Any bytes survive produce and consume with `--encoding base64` (and hex).
#[test]
fn binary_round_trip() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    ok(&broker, &["topic", "create", "bin"], None);
    let values: Vec<Vec<u8>> = vec![(0..=255).collect(), b"\n\r\0:\xff".to_vec(), Vec::new()];
    let b64 = |b: &[u8]| kalfka::cli::encoding::Encoding::Base64.encode_string(b);
    let input: String = values
        .iter()
        .enumerate()
        .map(|(i, v)| format!("{}:{}\n", b64(&[i as u8, 0xfe]), b64(v)))
        .collect();
    ok(
        &broker,
        &["produce", "bin", "-e", "base64", "-k", ":"],
        Some(&input),
    );
    let out = ok(
        &broker,
        &[
            "consume",
            "bin",
            "-o",
            "beginning",
            "-e",
            "base64",
            "--json",
        ],
        None,
    );
    let rows = json_lines(&out);
    assert_eq!(rows.len(), values.len());
    for (i, (row, want)) in rows.iter().zip(&values).enumerate() {
        assert_eq!(row["value"], b64(want).as_str(), "{i}");
        assert_eq!(row["key"], b64(&[i as u8, 0xfe]).as_str());
    }
    let out = ok(
        &broker,
        &[
            "consume", "bin", "-o", "1", "-c", "1", "-e", "hex", "--format", "%s",
        ],
        None,
    );
    assert_eq!(out, "0a0d003aff");
    // Raw text output passes bytes through unchanged.
    let raw = kalfka(
        &broker,
        &["consume", "bin", "-o", "0", "-c", "1", "--format", "%s"],
        None,
    );
    assert_eq!(raw.stdout, values[0]);
}

/// `consume -g` commits what it printed: the next run of the group starts after it.
#[test]
fn consume_group_commits_and_resumes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    ok(
        &broker,
        &["topic", "create", "gt", "--partitions", "2"],
        None,
    );
    ok(&broker, &["produce", "gt"], Some("a\nb\nc\nd\n"));
    let read = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["consume", "gt", "-g", "g1", "--format", "%p:%o:%s\\n"];
        all.extend_from_slice(args);
        let mut lines: Vec<String> = ok(&broker, &all, None)
            .lines()
            .map(str::to_string)
            .collect();
        lines.sort();
        lines
    };
    assert_eq!(
        read(&["-o", "beginning"]),
        ["0:0:a", "0:1:c", "1:0:b", "1:1:d"]
    );
    let described: serde_json::Value =
        serde_json::from_str(&ok(&broker, &["group", "describe", "g1", "--json"], None))
            .expect("json");
    assert_eq!(described["state"], "Empty", "{described}");
    assert_eq!(described["protocol"], "consumer", "{described}");
    for o in described["offsets"].as_array().expect("offsets") {
        assert_eq!(o["committed"], 2, "{described}");
        assert_eq!(o["lag"], 0, "{described}");
    }
    assert_eq!(
        read(&["-o", "beginning"]),
        Vec::<String>::new(),
        "nothing new"
    );
    ok(&broker, &["produce", "gt", "-p", "1"], Some("e\n"));
    assert_eq!(read(&[]), ["1:2:e"]);
    let err = fails(&broker, &["consume", "gt", "-g", "g1", "-p", "0"]);
    assert!(err.contains("--partition"), "{err}");
}

/// Two `consume -f -g` processes are real members of one group: they split the partitions,
/// every record is printed once, an active group's offsets cannot be reset, and SIGINT makes
/// each commit, leave and exit 0.
#[test]
fn consume_group_members_share_partitions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    ok(
        &broker,
        &["topic", "create", "shared", "--partitions", "2"],
        None,
    );
    let args = [
        "consume",
        "shared",
        "-f",
        "-g",
        "pair",
        "-o",
        "beginning",
        "--format",
        "%p:%s\\n",
    ];
    let mut members = [
        Streaming::spawn(&broker, &args),
        Streaming::spawn(&broker, &args),
    ];
    let describe = || -> serde_json::Value {
        serde_json::from_str(&ok(&broker, &["group", "describe", "pair", "--json"], None))
            .expect("json")
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let d = describe();
        if d["state"] == "Stable" && d["members"].as_array().map(Vec::len) == Some(2) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never stable with 2 members: {d}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let err = fails(
        &broker,
        &[
            "group",
            "reset-offsets",
            "pair",
            "--topic",
            "shared",
            "--to-earliest",
            "--execute",
        ],
    );
    assert!(err.contains("inactive") && err.contains("Stable"), "{err}");

    let zero: String = (0..5).map(|i| format!("p0-{i}\n")).collect();
    let one: String = (0..5).map(|i| format!("p1-{i}\n")).collect();
    ok(&broker, &["produce", "shared", "-p", "0"], Some(&zero));
    ok(&broker, &["produce", "shared", "-p", "1"], Some(&one));
    let mut seen: [Vec<String>; 2] = [Vec::new(), Vec::new()];
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while seen[0].len() + seen[1].len() < 10 {
        assert!(
            std::time::Instant::now() < deadline,
            "records missing: {seen:?}"
        );
        for (m, s) in members.iter().zip(seen.iter_mut()) {
            if let Ok(line) = m.lines.recv_timeout(std::time::Duration::from_millis(50)) {
                s.push(line);
            }
        }
    }
    let mut all: Vec<String> = seen.concat();
    all.sort();
    let mut want: Vec<String> = (0..5)
        .flat_map(|i| [format!("0:p0-{i}"), format!("1:p1-{i}")])
        .collect();
    want.sort();
    assert_eq!(all, want, "each record printed once: {seen:?}");
    for s in &seen {
        let partitions: std::collections::BTreeSet<&str> = s.iter().map(|l| &l[..1]).collect();
        assert_eq!(partitions.len(), 1, "one partition per member: {seen:?}");
    }

    for m in &mut members {
        // SAFETY: signals our own child, which follows until interrupted.
        let rc = unsafe { libc::kill(m.child.id() as libc::pid_t, libc::SIGINT) };
        assert_eq!(rc, 0);
    }
    for m in &mut members {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let status = loop {
            if let Some(status) = m.child.try_wait().expect("wait") {
                break status;
            }
            assert!(std::time::Instant::now() < deadline, "member did not stop");
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        assert!(status.success(), "{status:?}");
    }
    let d = describe();
    assert_eq!(d["state"], "Empty", "{d}");
    for o in d["offsets"].as_array().expect("offsets") {
        assert_eq!(o["committed"], 5, "{d}");
    }
}

/// Ctrl-C ends a producer reading an endless stdin: what it read is sent, the count printed,
/// the exit code 0.
#[test]
fn produce_stops_cleanly_on_sigint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    ok(&broker, &["topic", "create", "endless"], None);
    let mut producer = Streaming::spawn(&broker, &["produce", "endless"]);
    let mut stdin = producer.child.stdin.take().expect("stdin");
    for i in 0..3 {
        writeln!(stdin, "line-{i}").expect("write");
    }
    stdin.flush().expect("flush");
    let reader = Streaming::spawn(
        &broker,
        &[
            "consume",
            "endless",
            "-f",
            "-o",
            "beginning",
            "--format",
            "%s\\n",
        ],
    );
    for i in 0..3 {
        assert_eq!(reader.next_line(), format!("line-{i}"));
    }
    // SAFETY: signals our own child, still running (its stdin is open).
    let rc = unsafe { libc::kill(producer.child.id() as libc::pid_t, libc::SIGINT) };
    assert_eq!(rc, 0);
    assert_eq!(producer.next_line(), "produced 3 records to endless");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let status = loop {
        if let Some(status) = producer.child.try_wait().expect("wait") {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "produce did not stop on SIGINT"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
    drop(stdin);
}
