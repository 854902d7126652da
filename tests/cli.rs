//! The `kalfka` command line against a running broker: every topic subcommand, produce and
//! consume with keys and headers, `--json`, and the error messages for a missing topic and a
//! bad config value. Group commands run only if the broker serves the group APIs.

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use common::TestBroker;

fn kalfka(broker: &TestBroker, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kalfka"));
    cmd.args(args)
        .args([
            "--bootstrap",
            &broker.bootstrap(),
            "--request-timeout-ms",
            "10000",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("kalfka runs");
    if let Some(mut pipe) = child.stdin.take() {
        if let Some(text) = stdin {
            pipe.write_all(text.as_bytes()).expect("stdin");
        }
    }
    child.wait_with_output().expect("kalfka finishes")
}

/// Runs a command that must succeed; returns its stdout.
fn ok(broker: &TestBroker, args: &[&str], stdin: Option<&str>) -> String {
    let out = kalfka(broker, args, stdin);
    assert!(
        out.status.success(),
        "kalfka {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs a command that must fail; returns its stderr.
fn fails(broker: &TestBroker, args: &[&str]) -> String {
    let out = kalfka(broker, args, None);
    assert!(!out.status.success(), "kalfka {args:?} succeeded");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn topic_commands_produce_and_consume() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());

    let out = ok(
        &broker,
        &[
            "topic",
            "create",
            "cli-t",
            "--partitions",
            "2",
            "--config",
            "retention.ms=60000",
        ],
        None,
    );
    assert!(out.contains("created topic cli-t"), "{out}");
    let out = ok(&broker, &["topic", "list"], None);
    assert!(
        out.lines()
            .any(|l| l.starts_with("cli-t") && l.trim_end().ends_with('2')),
        "{out}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&ok(&broker, &["topic", "list", "--json"], None)).expect("json");
    assert_eq!(json[0]["topic"], "cli-t");

    let out = ok(
        &broker,
        &[
            "topic",
            "alter",
            "cli-t",
            "--set",
            "cleanup.policy=compact",
            "--delete",
            "retention.ms",
            "--partitions",
            "3",
        ],
        None,
    );
    assert!(out.contains("altered topic cli-t"), "{out}");
    let described: serde_json::Value = serde_json::from_str(&ok(
        &broker,
        &["topic", "describe", "cli-t", "--json"],
        None,
    ))
    .expect("json");
    assert_eq!(described["partitions"].as_array().map(Vec::len), Some(3));
    let config = |name: &str| {
        described["configs"]
            .as_array()
            .and_then(|c| c.iter().find(|e| e["config"] == name).cloned())
            .unwrap_or_else(|| panic!("{name} described"))
    };
    assert_eq!(config("cleanup.policy")["value"], "compact");
    assert_eq!(config("cleanup.policy")["source"], "topic");
    assert_eq!(config("retention.ms")["source"], "default");
    let text = ok(&broker, &["topic", "describe", "cli-t"], None);
    assert!(
        text.contains("PARTITION") && text.contains("cleanup.policy"),
        "{text}"
    );

    let out = ok(
        &broker,
        &[
            "produce",
            "cli-t",
            "--partition",
            "2",
            "--key-separator",
            ":",
            "--header",
            "src=cli",
        ],
        Some("k1:one\nk2:two\n"),
    );
    assert!(out.contains("produced 2 records"), "{out}");
    let consumed: serde_json::Value = serde_json::from_str(&ok(
        &broker,
        &[
            "consume",
            "cli-t",
            "--from-beginning",
            "--count",
            "2",
            "--json",
        ],
        None,
    ))
    .expect("json");
    let rows = consumed.as_array().expect("rows");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["key"], "k1");
    assert_eq!(rows[0]["value"], "one");
    assert_eq!(rows[0]["partition"], "2");
    assert_eq!(rows[1]["headers"], "src=cli");
    let text = ok(
        &broker,
        &[
            "consume",
            "cli-t",
            "--partition",
            "2",
            "--from-beginning",
            "--count",
            "1",
        ],
        None,
    );
    assert!(text.contains("k1") && !text.contains("k2"), "{text}");
    // Without --from-beginning consumption starts at the end: nothing within the idle limit.
    let latest: serde_json::Value = serde_json::from_str(&ok(
        &broker,
        &["consume", "cli-t", "--idle-timeout-ms", "600", "--json"],
        None,
    ))
    .expect("json");
    assert_eq!(latest.as_array().map(Vec::len), Some(0));

    // Without --partition, keyed records go where Kafka's murmur2 partitioner puts them.
    ok(
        &broker,
        &["topic", "create", "keyed", "--partitions", "3"],
        None,
    );
    ok(
        &broker,
        &["produce", "keyed", "--key-separator", ":"],
        Some("alpha:1\nbeta:2\ngamma:3\ndelta:4\n"),
    );
    let keyed: serde_json::Value = serde_json::from_str(&ok(
        &broker,
        &[
            "consume",
            "keyed",
            "--from-beginning",
            "--count",
            "4",
            "--json",
        ],
        None,
    ))
    .expect("json");
    let rows = keyed.as_array().expect("rows");
    assert_eq!(rows.len(), 4);
    for r in rows {
        let key = r["key"].as_str().expect("key");
        let want = kalfka::cli::records::key_partition(key.as_bytes(), 3).to_string();
        assert_eq!(r["partition"], want.as_str(), "{key}");
    }

    let out = ok(&broker, &["topic", "delete", "cli-t", "--json"], None);
    assert!(out.contains("deleted topic cli-t"), "{out}");
    let out = ok(&broker, &["topic", "list"], None);
    assert!(!out.contains("cli-t"), "{out}");
}

#[test]
fn errors_name_the_problem() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let err = fails(&broker, &["topic", "describe", "missing"]);
    assert!(
        err.contains("missing") && err.contains("UNKNOWN_TOPIC_OR_PARTITION"),
        "{err}"
    );
    let err = fails(&broker, &["topic", "delete", "missing"]);
    assert!(err.contains("UNKNOWN_TOPIC_OR_PARTITION"), "{err}");
    let err = fails(&broker, &["consume", "missing", "--count", "1"]);
    assert!(err.contains("UNKNOWN_TOPIC_OR_PARTITION"), "{err}");

    ok(
        &broker,
        &["topic", "create", "strict", "--partitions", "1"],
        None,
    );
    let err = fails(
        &broker,
        &["topic", "alter", "strict", "--set", "retention.ms=soon"],
    );
    assert!(
        err.contains("INVALID_CONFIG") && err.contains("retention.ms"),
        "{err}"
    );
    let err = fails(
        &broker,
        &["topic", "create", "bad", "--config", "cleanup.policy=shred"],
    );
    assert!(err.contains("INVALID_CONFIG"), "{err}");
    let err = fails(&broker, &["topic", "alter", "strict", "--partitions", "1"]);
    assert!(err.contains("INVALID_PARTITIONS"), "{err}");
    let err = fails(&broker, &["topic", "create", "strict"]);
    assert!(err.contains("TOPIC_ALREADY_EXISTS"), "{err}");
}

#[test]
fn group_commands_list_reset_describe_and_delete() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    ok(&broker, &["group", "list"], None);
    ok(
        &broker,
        &["topic", "create", "grp-t", "--partitions", "1"],
        None,
    );
    ok(&broker, &["produce", "grp-t"], Some("a\nb\nc\n"));
    ok(
        &broker,
        &[
            "group",
            "reset-offsets",
            "g1",
            "--topic",
            "grp-t",
            "--to",
            "earliest",
        ],
        None,
    );
    let describe = || -> serde_json::Value {
        serde_json::from_str(&ok(&broker, &["group", "describe", "g1", "--json"], None))
            .expect("json")
    };
    // A number, whether the JSON carries it as a number or as a string.
    let number = |v: &serde_json::Value| v.to_string().trim_matches('"').to_string();
    let described = describe();
    assert_eq!(
        number(&described["offsets"][0]["committed"]),
        "0",
        "{described}"
    );
    assert_eq!(number(&described["offsets"][0]["lag"]), "3", "{described}");
    assert_eq!(described["state"], "Empty", "{described}");
    let listed = ok(&broker, &["group", "list"], None);
    assert!(listed.lines().any(|l| l.starts_with("g1 ")), "{listed}");
    ok(
        &broker,
        &[
            "group",
            "reset-offsets",
            "g1",
            "--topic",
            "grp-t",
            "--to",
            "latest",
        ],
        None,
    );
    let described = describe();
    assert_eq!(
        number(&described["offsets"][0]["committed"]),
        "3",
        "{described}"
    );
    assert_eq!(number(&described["offsets"][0]["lag"]), "0", "{described}");
    ok(&broker, &["group", "delete", "g1"], None);
    let listed = ok(&broker, &["group", "list"], None);
    assert!(
        !listed.contains("g1"),
        "deleted group still listed: {listed}"
    );
    let described = describe();
    assert_eq!(described["state"], "Dead", "{described}");
    assert_eq!(described["offsets"], serde_json::json!([]), "{described}");
}

#[test]
fn help_lists_broker_options_and_client_commands() {
    let out = Command::new(env!("CARGO_BIN_EXE_kalfka"))
        .arg("--help")
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    for needle in [
        "--config",
        "--num-partitions",
        "kalfka topic",
        "kalfka serve",
    ] {
        assert!(text.contains(needle), "--help lacks {needle}:\n{text}");
    }
    // The config table needs no broker.
    let out = Command::new(env!("CARGO_BIN_EXE_kalfka"))
        .args(["topic", "configs", "--bootstrap", "127.0.0.1:1"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("cleanup.policy") && text.contains("604800000"),
        "{text}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_kalfka"))
        .args(["serve", "--help"])
        .output()
        .expect("runs");
    assert!(out.status.success());
}

/// The broker binary reads its options from a TOML file (`kalfka serve --config FILE`), with
/// flags winning over the file: the file's `num.partitions` is the default for a new topic.
#[test]
fn broker_binary_takes_a_toml_config_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let file = dir.path().join("kalfka.toml");
    std::fs::write(
        &file,
        format!(
            "listeners = \"PLAINTEXT://127.0.0.1:{port}\"\nnum.partitions = 3\nlog.dirs = \"{}\"\nmessage.max.bytes = 1\n",
            dir.path().join("data").display()
        ),
    )
    .expect("write config");
    let mut broker = Command::new(env!("CARGO_BIN_EXE_kalfka"))
        .args(["serve", "--http-listen=", "--config"])
        .arg(&file)
        .args(["--message-max-bytes", "1048588"])
        .env_remove("KALFKA_NUM_PARTITIONS")
        .env_remove("KALFKA_LISTEN")
        .env_remove("KALFKA_DATA_DIR")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("broker starts");
    let addr = format!("127.0.0.1:{port}");
    let until = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::net::TcpStream::connect(&addr).is_err() && std::time::Instant::now() < until {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let run = |args: &[&str], stdin: Option<&str>| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kalfka"))
            .args(args)
            .args(["--bootstrap", &addr])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("kalfka runs");
        if let (Some(mut pipe), Some(text)) = (child.stdin.take(), stdin) {
            pipe.write_all(text.as_bytes()).expect("stdin");
        }
        child.wait_with_output().expect("finishes")
    };
    let created = run(&["topic", "create", "from-file"], None);
    let listed = run(&["topic", "list", "--json"], None);
    // message.max.bytes = 1 in the file is overridden by the flag, so producing works.
    let produced = run(&["produce", "from-file"], Some("hello\n"));
    let _ = broker.kill();
    let _ = broker.wait();
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&listed.stdout).expect("json topic list");
    assert_eq!(json[0]["partitions"], "3", "num.partitions from the file");
    assert!(
        produced.status.success(),
        "{}",
        String::from_utf8_lossy(&produced.stderr)
    );
}
