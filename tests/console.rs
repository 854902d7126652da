//! The web console in a real browser: `compat/console/scenario.js` drives Debian's chromium
//! headless through playwright-core against the `kalfka` binary (HTTP endpoint on a free
//! 127.0.0.1 port), with real clients (kcat, confluent-kafka) on the other side: a topic
//! created (and partitions added) in the page is seen by kcat, the overview's live rate moves
//! while kcat produces, a record produced by kcat is found in the page by key,
//! a real consumer group's members and lag are shown, a reset in the page (refused while the
//! group is active) moves where the client resumes, a config edited in the page is what
//! DescribeConfigs answers, an invalid value shows the broker's error, and a transaction a
//! confluent-kafka producer holds open is listed with its partition. The scenario writes
//! a screenshot of each page to `target/tmp/console-screenshots/`.
//!
//! Why playwright-core with the system chromium: no browser download (Debian ships chromium),
//! one small npm package pinned by compat/console/package-lock.json, and the same
//! DevTools-protocol driver the web world tests with. `.ci/run` installs chromium and runs
//! `npm ci --prefix compat/console`; a missing piece fails the test with that command.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::process::{free_port, BrokerProcess};

/// The whole browser suite's time limit.
const LIMIT: Duration = Duration::from_secs(300);

fn chromium() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_string())
}

#[test]
fn console_in_a_real_browser_with_real_clients() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let suite = root.join("compat/console");
    let ready = suite.join("node_modules/playwright-core").is_dir()
        && Command::new("node").arg("--version").output().is_ok()
        && Path::new(&chromium()).is_file();
    assert!(
        ready,
        "node, chromium or playwright-core is missing: apt-get install chromium nodejs npm && \
         npm ci --prefix compat/console (bash .ci/run does)"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let http = format!("127.0.0.1:{}", free_port());
    let log = dir.path().join("broker.log");
    let broker = BrokerProcess::start(
        &dir.path().join("data"),
        &[
            "--http-listen",
            &http,
            "--group-initial-rebalance-delay-ms",
            "100",
        ],
        Some(&log),
    );
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("console-screenshots");
    let mut child = Command::new("node")
        .arg("scenario.js")
        .arg(format!("http://{http}"))
        .arg(broker.addr.to_string())
        .arg(&shots)
        .current_dir(&suite)
        .env("CHROMIUM", chromium())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start node");
    let started = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > LIMIT {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = child.wait_with_output().expect("output");
    let report = format!(
        "{}\n{}\nbroker log:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    assert!(out.status.success(), "the browser suite failed:\n{report}");
    for page in [
        "overview",
        "topics",
        "topic-messages",
        "group",
        "topic-configs",
    ] {
        assert!(
            shots.join(format!("{page}.png")).is_file(),
            "no screenshot of {page}\n{report}"
        );
    }
}
