//! The `kalfka` binary as a test drives it: run to completion with some stdin, expect success
//! or failure, or stream its stdout line by line while it runs. Included by `tests/cli.rs`
//! and `tests/cli_records.rs` (`#[path]`), next to `common`.

#![allow(dead_code)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

use crate::common::TestBroker;

/// Runs `kalfka ARGS --bootstrap BROKER` with `stdin` written and closed.
pub fn kalfka(broker: &TestBroker, args: &[&str], stdin: Option<&str>) -> Output {
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

/// Each line of `out` as JSON.
pub fn json_lines(out: &str) -> Vec<serde_json::Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// Runs a command that must succeed; returns its stdout.
pub fn ok(broker: &TestBroker, args: &[&str], stdin: Option<&str>) -> String {
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
pub fn fails(broker: &TestBroker, args: &[&str]) -> String {
    let out = kalfka(broker, args, None);
    assert!(!out.status.success(), "kalfka {args:?} succeeded");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs the binary with exactly `args` (no bootstrap appended).
pub fn raw(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kalfka"))
        .args(args)
        .env_remove("KALFKA_BOOTSTRAP")
        .stdin(Stdio::null())
        .output()
        .expect("kalfka runs")
}

/// A spawned `kalfka` whose stdout lines arrive on a channel as they are printed.
pub struct Streaming {
    /// The process.
    pub child: std::process::Child,
    /// Its stdout, line by line.
    pub lines: std::sync::mpsc::Receiver<String>,
}

impl Streaming {
    /// Runs `kalfka ARGS -b BROKER` with stdin, stdout and stderr piped.
    pub fn spawn(broker: &TestBroker, args: &[&str]) -> Streaming {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kalfka"))
            .args(args)
            .args(["-b", &broker.bootstrap()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("kalfka runs");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Streaming { child, lines }
    }

    /// The next line printed, within a generous deadline.
    pub fn next_line(&self) -> String {
        self.lines
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("a line within 30 s")
    }
}

impl Drop for Streaming {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
