//! The broker binary's start-up configuration as a user meets it: topics declared with
//! `--create-topic` and `[[topics]]` in the TOML file exist before clients connect (and a
//! restart with the same declarations changes nothing); a declaration the broker refuses stops
//! the start with its reason; config-file errors name the property and its line.

mod common;

use std::path::Path;
use std::process::Command;

use common::process::BrokerProcess;
use common::raw::RawClient;
use kalfka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use kalfka_protocol::messages::{
    DescribeConfigsRequest, DescribeConfigsResponse, MetadataRequest, MetadataResponse,
};

/// Topic name → partition count, from Metadata.
fn topics(c: &mut RawClient) -> Vec<(String, usize)> {
    let m: MetadataResponse = c.call(
        12,
        &MetadataRequest {
            topics: None,
            ..Default::default()
        },
    );
    let mut v: Vec<(String, usize)> = m
        .topics
        .into_iter()
        .map(|t| (t.name.unwrap_or_default(), t.partitions.len()))
        .collect();
    v.sort();
    v
}

/// The value of topic config `key` of `topic`.
fn topic_config(c: &mut RawClient, topic: &str, key: &str) -> Option<String> {
    let r: DescribeConfigsResponse = c.call(
        4,
        &DescribeConfigsRequest {
            resources: vec![DescribeConfigsResource {
                resource_type: 2,
                resource_name: topic.into(),
                configuration_keys: Some(vec![key.into()]),
            }],
            ..Default::default()
        },
    );
    r.results[0].configs.first().and_then(|c| c.value.clone())
}

/// Runs the broker binary expecting it to refuse to start; what it printed (the refusal goes
/// to stderr, or to the log on stdout once logging runs).
fn refused(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_kalfka"))
        .args(["--listen", "127.0.0.1:0", "--http-listen="])
        .args(args)
        .env_remove("KALFKA_CREATE_TOPICS")
        .output()
        .expect("kalfka runs");
    assert!(!out.status.success(), "the broker started with {args:?}");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    )
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write config");
    path.display().to_string()
}

#[test]
fn declared_topics_exist_before_clients_connect_and_survive_restarts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let file = write(
        dir.path(),
        "kalfka.toml",
        "num.partitions = 2\n\n[[topics]]\nname = \"events\"\npartitions = 4\nconfigs = { \"retention.ms\" = \"60000\" }\n\n[[topics]]\nname = \"audit\"\n",
    );
    let args = [
        "--config",
        file.as_str(),
        "--create-topic",
        "orders:3:cleanup.policy=compact,delete",
    ];
    let expected = vec![
        ("audit".to_string(), 2), // the file's num.partitions
        ("events".to_string(), 4),
        ("orders".to_string(), 3),
    ];
    {
        let broker = BrokerProcess::start(&data, &args, None);
        let mut c = RawClient::connect(broker.addr);
        assert_eq!(topics(&mut c), expected);
        assert_eq!(
            topic_config(&mut c, "orders", "cleanup.policy").as_deref(),
            Some("compact,delete")
        );
        assert_eq!(
            topic_config(&mut c, "events", "retention.ms").as_deref(),
            Some("60000")
        );
        let mut b = kalfka_protocol::records::RecordBatchBuilder::new(
            kalfka_protocol::records::Compression::None,
        );
        b.append(0, Some(b"k"), Some(b"kept"), &[]);
        let (code, _) = c.produce_at(9, "events", 0, b.build().expect("batch"), -1);
        assert_eq!(code, 0);
    }
    // The same declarations again: nothing is re-created or emptied.
    let broker = BrokerProcess::start(&data, &args, None);
    let mut c = RawClient::connect(broker.addr);
    assert_eq!(topics(&mut c), expected);
    let records = c.read_records("events", 0);
    assert_eq!(records.len(), 1, "the record written before the restart");
}

#[test]
fn a_refused_declaration_stops_the_start_with_its_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let data = data.to_str().expect("utf-8 path");
    let err = refused(&[
        "--data-dir",
        data,
        "--create-topic",
        "bad:1:cleanup.policy=sometimes",
    ]);
    assert!(
        err.contains("--create-topic bad:1:cleanup.policy=sometimes")
            && err.contains("cleanup.policy"),
        "{err}"
    );
    let err = refused(&["--data-dir", data, "--create-topic", "x:zero"]);
    assert!(err.contains("partitions of x"), "{err}");
}

#[test]
fn config_file_errors_name_the_property_and_its_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let data = data.to_str().expect("utf-8 path");
    let cases = [
        (
            "num.partitions = 2\nlog.retention.ms = \"soon\"\n",
            "line 2: property log.retention.ms: invalid value \"soon\"",
        ),
        (
            "num.partitions = 2\n\nauto.create.topics.enable = \"maybe\"\n",
            "line 3: property auto.create.topics.enable: invalid value \"maybe\" (possible values: true, false)",
        ),
        ("num.partitions = 2\nlog.dirs = \n", "line 2: not valid TOML"),
        (
            "num.partitons = 2\n",
            "line 1: unknown property \"num.partitons\" (did you mean \"num.partitions\"?)",
        ),
        (
            "[[topics]]\npartitions = 2\n",
            "line 1: property topics: a [[topics]] entry needs name",
        ),
    ];
    for (i, (text, expected)) in cases.iter().enumerate() {
        let file = write(dir.path(), &format!("c{i}.toml"), text);
        let err = refused(&["--data-dir", data, "--config", &file]);
        assert!(
            err.contains(expected),
            "{text:?}: expected {expected:?} in:\n{err}"
        );
        assert!(
            !err.contains("--num-partitions") && !err.contains("'--"),
            "blamed on a flag: {err}"
        );
    }
}
