//! The `kalfka` command line against Apache Kafka (the oracle; `bash compat/java/setup.sh`
//! installs it): the client commands are a Kafka client, so topic admin, produce with
//! auto-creation, consume, group membership, reset-offsets, share-group consumption and error
//! names must work there exactly as against Kalfka.

#[path = "common/cli.rs"]
mod cli_support;
mod common;

use std::process::{Command, Output, Stdio};

use common::kafka::Kafka;

/// Runs `kalfka ARGS -b KAFKA` with `stdin`.
fn run(kafka: &Kafka, args: &[&str], stdin: Option<&str>) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_kalfka"))
        .args(args)
        .args(["-b", &kafka.bootstrap(), "--request-timeout-ms", "30000"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kalfka runs");
    if let (Some(mut pipe), Some(text)) = (child.stdin.take(), stdin) {
        pipe.write_all(text.as_bytes()).expect("stdin");
    }
    child.wait_with_output().expect("kalfka finishes")
}

/// Runs a command until it succeeds (Kafka propagates new metadata asynchronously), within a
/// generous deadline; returns its stdout.
fn ok(kafka: &Kafka, args: &[&str], stdin: Option<&str>) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let out = run(kafka, args, stdin);
        if out.status.success() {
            return String::from_utf8_lossy(&out.stdout).into_owned();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "kalfka {args:?} failed against Kafka:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
}

#[test]
fn cli_works_against_apache_kafka() {
    let kafka = Kafka::start();

    let out = ok(
        &kafka,
        &["topic", "create", "k-t", "--partitions", "2"],
        None,
    );
    assert!(out.contains("created topic k-t"), "{out}");
    let listed: serde_json::Value =
        serde_json::from_str(&ok(&kafka, &["topic", "list", "--json"], None)).expect("json");
    assert!(
        listed
            .as_array()
            .expect("topics")
            .iter()
            .any(|t| t["topic"] == "k-t" && t["partitions"] == 2),
        "{listed}"
    );
    ok(
        &kafka,
        &["topic", "alter", "k-t", "--set", "retention.ms=3600000"],
        None,
    );
    let described: serde_json::Value =
        serde_json::from_str(&ok(&kafka, &["topic", "describe", "k-t", "--json"], None))
            .expect("json");
    let retention = described["configs"]
        .as_array()
        .and_then(|c| c.iter().find(|e| e["config"] == "retention.ms").cloned())
        .expect("retention.ms described");
    assert_eq!(retention["value"], "3600000");
    assert_eq!(retention["source"], "topic");

    // Errors carry Kafka's names against Kafka too.
    let out = run(&kafka, &["topic", "describe", "k-x"], None);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("UNKNOWN_TOPIC_OR_PARTITION"),
        "{err}"
    );
    let out = run(&kafka, &["topic", "create", "k-t"], None);
    assert!(String::from_utf8_lossy(&out.stderr).contains("TOPIC_ALREADY_EXISTS"));

    // produce auto-creates (auto.create.topics.enable is Kafka's default).
    let out = ok(
        &kafka,
        &["produce", "k-auto", "-k", ":", "-H", "h=1"],
        Some("a:1\nb:2\n"),
    );
    assert!(out.contains("produced 2 records"), "{out}");
    let rows = cli_support::json_lines(&ok(
        &kafka,
        &["consume", "k-auto", "-o", "beginning", "-c", "2", "--json"],
        None,
    ));
    let mut keys: Vec<&str> = rows.iter().filter_map(|r| r["key"].as_str()).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["a", "b"]);
    assert_eq!(
        rows[0]["headers"],
        serde_json::json!([{"key": "h", "value": "1"}])
    );

    // A group member commits; reset-offsets previews, then --execute applies.
    let lines: String = (0..6).map(|i| format!("v{i}\n")).collect();
    ok(&kafka, &["produce", "k-t", "-p", "0"], Some(&lines));
    let out = ok(
        &kafka,
        &[
            "consume",
            "k-t",
            "-g",
            "kg",
            "-o",
            "beginning",
            "--format",
            "%s\\n",
        ],
        None,
    );
    assert_eq!(out.lines().count(), 6, "{out}");
    let committed = || -> i64 {
        let d: serde_json::Value =
            serde_json::from_str(&ok(&kafka, &["group", "describe", "kg", "--json"], None))
                .expect("json");
        d["offsets"]
            .as_array()
            .and_then(|o| o.iter().find(|o| o["partition"] == 0))
            .and_then(|o| o["committed"].as_i64())
            .unwrap_or(-1)
    };
    assert_eq!(committed(), 6);
    ok(
        &kafka,
        &[
            "group",
            "reset-offsets",
            "kg",
            "--topic",
            "k-t:0",
            "--shift-by",
            "-4",
        ],
        None,
    );
    assert_eq!(committed(), 6, "a dry run changes nothing");
    let plan = ok(
        &kafka,
        &[
            "group",
            "reset-offsets",
            "kg",
            "--topic",
            "k-t:0",
            "--shift-by",
            "-40",
            "--execute",
        ],
        None,
    );
    assert!(plan.contains("NEW-OFFSET"), "{plan}");
    assert_eq!(committed(), 0, "clamped to the log start");
    let out = ok(
        &kafka,
        &["consume", "k-t", "-g", "kg", "-c", "2", "--format", "%s\\n"],
        None,
    );
    assert_eq!(out, "v0\nv1\n");

    share_group_member(&kafka);

    ok(&kafka, &["topic", "delete", "k-t"], None);
}

/// `consume --share-group` against Kafka's share groups (GA since 4.2): released records come
/// back with delivery count 2, accepted ones are gone, and `group describe` shows the share
/// partition with no lag.
fn share_group_member(kafka: &Kafka) {
    ok(
        kafka,
        &["topic", "create", "k-s", "--partitions", "1"],
        None,
    );
    let lines: String = (0..5).map(|i| format!("s{i}\n")).collect();
    ok(kafka, &["produce", "k-s"], Some(&lines));
    let consume = |extra: &[&str]| -> Vec<(i64, i64, String)> {
        let mut args = vec!["consume", "k-s", "--share-group", "ks", "--json"];
        args.extend_from_slice(extra);
        if !extra.contains(&"--idle-timeout-ms") {
            // Kafka sets a new share group up asynchronously: be patient for the first record.
            args.extend_from_slice(&["--idle-timeout-ms", "60000"]);
        }
        cli_support::json_lines(&ok(kafka, &args, None))
            .iter()
            .map(|r| {
                (
                    r["offset"].as_i64().unwrap_or(-1),
                    r["delivery_count"].as_i64().unwrap_or(-1),
                    r["value"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    };
    let want = |count: i64| -> Vec<(i64, i64, String)> {
        (0..5).map(|i| (i, count, format!("s{i}"))).collect()
    };
    assert_eq!(
        consume(&["-o", "beginning", "--ack", "release", "-c", "5"]),
        want(1)
    );
    assert_eq!(consume(&["-c", "5"]), want(2));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let d: serde_json::Value =
            serde_json::from_str(&ok(kafka, &["group", "describe", "ks", "--json"], None))
                .expect("json");
        let start = d["offsets"]
            .as_array()
            .and_then(|o| o.first())
            .map(|o| (o["start"].as_i64(), o["lag"].as_i64()));
        // Kafka 4.4 reports lag 0 at once but may keep the persisted start offset at 0 (it
        // moves the start offset in memory and writes it with a later state update).
        if d["protocol"] == "share" && matches!(start, Some((Some(0 | 5), Some(0)))) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "share group ks never showed lag 0: {d}"
        );
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    assert!(
        consume(&["--idle-timeout-ms", "3000"]).is_empty(),
        "accepted records are not delivered again"
    );
}
