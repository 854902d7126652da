//! The `kalfka` command line against a running broker: the command tree (help, version, `-b`
//! anywhere, did-you-mean), every topic subcommand, produce and consume with keys and headers,
//! Kafka's error names with the broker's messages, and the group commands. Records in depth:
//! `tests/cli_records.rs`.

#[path = "common/cli.rs"]
mod cli_support;
mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use cli_support::{fails, json_lines, kalfka, ok, raw};
use common::TestBroker;

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
    let consumed = json_lines(&ok(
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
    ));
    assert_eq!(consumed.len(), 2);
    assert_eq!(consumed[0]["key"], "k1");
    assert_eq!(consumed[0]["value"], "one");
    assert_eq!(consumed[0]["partition"], 2);
    assert_eq!(
        consumed[1]["headers"],
        serde_json::json!([{"key": "src", "value": "cli"}])
    );
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
            "--format",
            "%k %s\\n",
        ],
        None,
    );
    assert_eq!(text, "k1 one\n");
    // By default consumption starts at the end: nothing to print, and it stops there.
    let latest = ok(&broker, &["consume", "cli-t", "--json"], None);
    assert_eq!(latest, "");

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
    let rows = json_lines(&ok(
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
    ));
    assert_eq!(rows.len(), 4);
    for r in &rows {
        let key = r["key"].as_str().expect("key");
        let want = kalfka::cli::records::key_partition(key.as_bytes(), 3);
        assert_eq!(r["partition"], want, "{key}");
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

    // Did you mean: a close topic name, a known config name.
    let err = fails(&broker, &["topic", "describe", "strct"]);
    assert!(
        err.contains("UNKNOWN_TOPIC_OR_PARTITION") && err.contains("did you mean 'strict'?"),
        "{err}"
    );
    let err = fails(&broker, &["consume", "stric"]);
    assert!(err.contains("did you mean 'strict'?"), "{err}");
    let err = fails(&broker, &["topic", "describe", "nothing-like-it"]);
    assert!(!err.contains("did you mean"), "{err}");
    let err = fails(
        &broker,
        &["topic", "alter", "strict", "--set", "retension.ms=5"],
    );
    assert!(
        err.contains("INVALID_CONFIG") && err.contains("did you mean 'retention.ms'?"),
        "{err}"
    );

    // The broker's own message comes with the name; a too-large batch names the limit.
    ok(
        &broker,
        &[
            "topic",
            "create",
            "compact-small",
            "--config",
            "cleanup.policy=compact",
            "--config",
            "max.message.bytes=200",
        ],
        None,
    );
    let out = kalfka(&broker, &["produce", "compact-small"], Some("no key\n"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("INVALID_RECORD")
            && err.contains("Compacted topic cannot accept message without key"),
        "{err}"
    );
    let big = format!("k:{}\n", "x".repeat(500));
    let out = kalfka(
        &broker,
        &["produce", "compact-small", "-k", ":"],
        Some(&big),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("MESSAGE_TOO_LARGE") && err.contains("max.message.bytes 200"),
        "{err}"
    );
    assert!(
        !err.contains("UnknownTopic") && !err.contains("InvalidRecord"),
        "{err}"
    );
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
            "--to-earliest",
            "--execute",
        ],
        None,
    );
    let describe = || -> serde_json::Value {
        serde_json::from_str(&ok(&broker, &["group", "describe", "g1", "--json"], None))
            .expect("json")
    };
    let described = describe();
    assert_eq!(described["offsets"][0]["committed"], 0, "{described}");
    assert_eq!(described["offsets"][0]["lag"], 3, "{described}");
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
            "--to-latest",
            "--execute",
        ],
        None,
    );
    let described = describe();
    assert_eq!(described["offsets"][0]["committed"], 3, "{described}");
    assert_eq!(described["offsets"][0]["lag"], 0, "{described}");
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
    assert_eq!(json[0]["partitions"], 3, "num.partitions from the file");
    assert!(
        produced.status.success(),
        "{}",
        String::from_utf8_lossy(&produced.stderr)
    );
}

/// One command tree: `help`, `version`, `-b` before or after the subcommand, clap's
/// did-you-mean for a mistyped command, and broker flags refused with client commands.
#[test]
fn command_tree_help_version_bootstrap_and_suggestions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let addr = broker.bootstrap();

    let help = raw(&["help"]);
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(help.status.success(), "{text}");
    for needle in [
        "topic", "produce", "consume", "group", "version", "serve", "--listen",
    ] {
        assert!(
            text.contains(needle),
            "`kalfka help` lacks {needle}:\n{text}"
        );
    }
    let help = raw(&["help", "consume"]);
    assert!(
        String::from_utf8_lossy(&help.stdout).contains("Usage: kalfka consume"),
        "{help:?}"
    );

    let version = raw(&["version"]);
    let want = format!("kalfka {}", env!("CARGO_PKG_VERSION"));
    assert!(version.status.success());
    assert_eq!(String::from_utf8_lossy(&version.stdout).trim(), want);
    assert_eq!(
        String::from_utf8_lossy(&raw(&["--version"]).stdout).trim(),
        want
    );

    ok(&broker, &["topic", "create", "tree-t"], None);
    for args in [
        vec!["-b", addr.as_str(), "topic", "list"],
        vec!["--bootstrap", addr.as_str(), "topic", "list"],
        vec!["topic", "-b", addr.as_str(), "list"],
        vec!["topic", "list", "-b", addr.as_str()],
        vec!["--json", "topic", "list", "-b", addr.as_str()],
    ] {
        let out = raw(&args);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && text.contains("tree-t"),
            "{args:?}: {out:?}"
        );
    }

    for shell in ["bash", "zsh", "fish"] {
        let script = raw(&["completions", shell]);
        let text = String::from_utf8_lossy(&script.stdout);
        assert!(script.status.success(), "{shell}: {script:?}");
        for needle in ["consume", "reset-offsets", "to-earliest", "bootstrap"] {
            assert!(text.contains(needle), "{shell} completions lack {needle}");
        }
    }
    let man = raw(&["manpage"]);
    let text = String::from_utf8_lossy(&man.stdout);
    assert!(
        man.status.success() && text.contains(".TH kalfka"),
        "{text}"
    );
    assert!(text.contains("consume"), "{text}");
    let pages = tempfile::tempdir().expect("tempdir");
    let dir = pages.path().to_str().expect("utf-8 path");
    assert!(raw(&["manpage", "--dir", dir]).status.success());
    for page in [
        "kalfka.1",
        "kalfka-consume.1",
        "kalfka-group-reset-offsets.1",
    ] {
        assert!(pages.path().join(page).is_file(), "{page} written");
    }
    // The bash script is valid bash (when bash is installed).
    if let Ok(mut bash) = Command::new("bash")
        .arg("-n")
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        let script = raw(&["completions", "bash"]).stdout;
        bash.stdin
            .take()
            .expect("stdin")
            .write_all(&script)
            .expect("write");
        let checked = bash.wait_with_output().expect("bash -n");
        assert!(checked.status.success(), "{checked:?}");
    }

    // A broker variable the broker would refuse does not break client commands.
    let out = Command::new(env!("CARGO_BIN_EXE_kalfka"))
        .args(["topic", "list", "-b", &addr])
        .env("KALFKA_LISTEN", "not-an-address")
        .env("KALFKA_MEMORY", "perhaps")
        .output()
        .expect("runs");
    assert!(out.status.success(), "{out:?}");
    let out = Command::new(env!("CARGO_BIN_EXE_kalfka"))
        .env("KALFKA_LISTEN", "not-an-address")
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("not-an-address"),
        "{err}"
    );

    let typo = raw(&["topc", "list"]);
    let err = String::from_utf8_lossy(&typo.stderr);
    assert!(!typo.status.success());
    assert!(
        err.contains("unrecognized subcommand 'topc'") && err.contains("'topic'"),
        "{err}"
    );
    let typo = raw(&["topic", "lst"]);
    let err = String::from_utf8_lossy(&typo.stderr);
    assert!(err.contains("'list'"), "{err}");

    let mixed = raw(&["--listen", "127.0.0.1:1", "topic", "list"]);
    let err = String::from_utf8_lossy(&mixed.stderr);
    assert!(!mixed.status.success() && err.contains("--listen"), "{err}");
    let mixed = raw(&["serve", "--json"]);
    assert!(!mixed.status.success(), "{mixed:?}");
}

/// `group reset-offsets` prints its plan and changes nothing unless `--execute`; every
/// `--to-*` / `--shift-by` / `--by-duration` target is clamped to [log start, end].
#[test]
fn reset_offsets_previews_unless_execute_and_clamps() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    ok(
        &broker,
        &["topic", "create", "rst", "--partitions", "2"],
        None,
    );
    let ten: String = (0..10).map(|i| format!("{i}\n")).collect();
    ok(&broker, &["produce", "rst", "-p", "0"], Some(&ten));
    ok(&broker, &["produce", "rst", "-p", "1"], Some("x\ny\n"));
    let committed = || -> Vec<(i64, i64)> {
        let d: serde_json::Value =
            serde_json::from_str(&ok(&broker, &["group", "describe", "rg", "--json"], None))
                .expect("json");
        d["offsets"]
            .as_array()
            .expect("offsets")
            .iter()
            .map(|o| {
                (
                    o["partition"].as_i64().expect("p"),
                    o["committed"].as_i64().expect("c"),
                )
            })
            .collect()
    };
    let reset = |extra: &[&str]| -> (Vec<serde_json::Value>, String) {
        let mut args = vec!["group", "reset-offsets", "rg", "--topic", "rst", "--json"];
        args.extend_from_slice(extra);
        let out = kalfka(&broker, &args, None);
        assert!(out.status.success(), "{extra:?}: {out:?}");
        let plan: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json plan");
        (
            plan.as_array().expect("rows").clone(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let new = |plan: &[serde_json::Value]| -> Vec<i64> {
        plan.iter()
            .map(|r| r["new-offset"].as_i64().expect("new"))
            .collect()
    };

    // A dry run (the default) prints the plan and commits nothing.
    let (plan, note) = reset(&["--to-offset", "4"]);
    assert_eq!(new(&plan), [4, 2], "clamped to partition 1's end");
    assert_eq!(plan[0]["current-offset"], serde_json::Value::Null);
    assert_eq!(plan[0]["group"], "rg");
    assert!(
        note.contains("dry run") && note.contains("--execute"),
        "{note}"
    );
    assert_eq!(committed(), []);
    let (_, note) = reset(&["--to-offset", "4", "--dry-run"]);
    assert!(note.contains("dry run"), "{note}");
    assert_eq!(committed(), []);

    // --execute commits the same plan.
    let (plan, _) = reset(&["--to-offset", "4", "--execute"]);
    assert_eq!(new(&plan), [4, 2]);
    assert_eq!(committed(), [(0, 4), (1, 2)]);

    let (plan, _) = reset(&["--shift-by", "-3"]);
    assert_eq!(new(&plan), [1, 0], "clamped to the log start");
    let (plan, _) = reset(&["--shift-by", "100"]);
    assert_eq!(new(&plan), [10, 2], "clamped to the end");
    let (plan, _) = reset(&["--to-earliest"]);
    assert_eq!(new(&plan), [0, 0]);
    let (plan, _) = reset(&["--to-latest"]);
    assert_eq!(new(&plan), [10, 2]);
    let (plan, _) = reset(&["--to-current"]);
    assert_eq!(new(&plan), [4, 2]);
    let (plan, _) = reset(&["--to-datetime", "2000-01-01T00:00:00Z"]);
    assert_eq!(new(&plan), [0, 0], "every record is newer");
    let (plan, _) = reset(&["--to-datetime", "2999-01-01T00:00:00.000"]);
    assert_eq!(new(&plan), [10, 2], "no record that new: the end");
    let (plan, _) = reset(&["--by-duration", "P1D"]);
    assert_eq!(new(&plan), [0, 0]);
    assert_eq!(committed(), [(0, 4), (1, 2)], "only --execute commits");

    let out = ok(
        &broker,
        &[
            "group",
            "reset-offsets",
            "rg",
            "--topic",
            "rst:1",
            "--shift-by",
            "-1",
            "--execute",
        ],
        None,
    );
    assert!(out.contains("NEW-OFFSET"), "{out}");
    assert_eq!(committed(), [(0, 4), (1, 1)]);

    let err = fails(&broker, &["group", "reset-offsets", "rg", "--topic", "rst"]);
    assert!(err.contains("--to-earliest"), "a target is required: {err}");
    let err = fails(
        &broker,
        &[
            "group",
            "reset-offsets",
            "rg",
            "--topic",
            "rst",
            "--to-datetime",
            "yesterday",
        ],
    );
    assert!(err.contains("YYYY-MM-DD"), "{err}");
    let err = fails(
        &broker,
        &[
            "group",
            "reset-offsets",
            "new-group",
            "--topic",
            "rst",
            "--shift-by",
            "1",
        ],
    );
    assert!(err.contains("none committed"), "{err}");
}

/// `group list` shows share groups (protocol share) and `group describe` their start offsets
/// and lag (KIP-932).
#[test]
fn group_describe_shows_a_share_groups_start_offsets_and_lag() {
    use kalfka_protocol::messages::alter_share_group_offsets_request::{
        AlterShareGroupOffsetsRequestPartition, AlterShareGroupOffsetsRequestTopic,
    };
    use kalfka_protocol::messages::{
        AlterShareGroupOffsetsRequest, AlterShareGroupOffsetsResponse,
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    ok(
        &broker,
        &["topic", "create", "shr-t", "--partitions", "1"],
        None,
    );
    ok(&broker, &["produce", "shr-t"], Some("a\nb\nc\nd\n"));
    let mut c = common::raw::RawClient::connect(broker.addr);
    let altered: AlterShareGroupOffsetsResponse = c.call(
        0,
        &AlterShareGroupOffsetsRequest {
            group_id: "sg".into(),
            topics: vec![AlterShareGroupOffsetsRequestTopic {
                topic_name: "shr-t".into(),
                partitions: vec![AlterShareGroupOffsetsRequestPartition {
                    partition_index: 0,
                    start_offset: 1,
                }],
            }],
        },
    );
    assert_eq!(altered.error_code, 0);
    let listed = ok(&broker, &["group", "list"], None);
    assert!(
        listed
            .lines()
            .any(|l| l.starts_with("sg ") && l.trim_end().ends_with("share")),
        "{listed}"
    );
    let described: serde_json::Value =
        serde_json::from_str(&ok(&broker, &["group", "describe", "sg", "--json"], None))
            .expect("json");
    assert_eq!(described["protocol"], "share", "{described}");
    assert_eq!(described["state"], "Empty", "{described}");
    assert_eq!(described["offsets"][0]["start"], 1, "{described}");
    assert_eq!(described["offsets"][0]["end"], 4, "{described}");
    assert_eq!(described["offsets"][0]["lag"], 3, "{described}");
    let text = ok(&broker, &["group", "describe", "sg"], None);
    assert!(text.contains("Protocol: share"), "{text}");
}
