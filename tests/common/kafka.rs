//! Apache Kafka as the test oracle: a single-node KRaft broker started from the Maven
//! artifacts by `compat/kafka/kafka-broker.sh` (`bash compat/java/setup.sh` resolves them;
//! `.ci/run` does), stopped when dropped.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::process::free_port;

/// A running Apache Kafka broker on 127.0.0.1.
pub struct Kafka {
    dir: tempfile::TempDir,
    script: PathBuf,
    /// Where clients connect.
    pub addr: SocketAddr,
}

impl Kafka {
    /// Formats a fresh data directory and starts the broker; panics (naming the set-up
    /// command) if it does not come up in three attempts. Both the client port and the
    /// controller port are fresh ephemeral ports: another process (a client's own socket, a
    /// test broker) can take one between the probe and Kafka's bind, so a failed start is
    /// retried on new ports.
    pub fn start() -> Kafka {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("compat/kafka/kafka-broker.sh");
        let mut failures = Vec::new();
        for _ in 0..3 {
            let dir = tempfile::tempdir().expect("tempdir");
            let port = free_port();
            let controller_port = free_port();
            let out = Command::new("bash")
                .arg(&script)
                .args(["start", &port.to_string()])
                .arg(dir.path().join("kafka"))
                .env("KAFKA_CONTROLLER_PORT", controller_port.to_string())
                .output()
                .expect("run kafka-broker.sh");
            if out.status.success() {
                return Kafka {
                    dir,
                    script,
                    addr: ([127, 0, 0, 1], port).into(),
                };
            }
            failures.push(format!(
                "ports {port}/{controller_port}:\n{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
            // Stop whatever half-started JVM the attempt left behind.
            let _ = Command::new("bash")
                .arg(&script)
                .arg("stop")
                .arg(dir.path().join("kafka"))
                .output();
        }
        panic!(
            "Apache Kafka did not start (bash compat/java/setup.sh installs it; bash .ci/run does):\n{}",
            failures.join("\n")
        );
    }

    /// `host:port` for client bootstrap settings.
    pub fn bootstrap(&self) -> String {
        self.addr.to_string()
    }
}

impl Drop for Kafka {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(&self.script)
            .arg("stop")
            .arg(self.dir.path().join("kafka"))
            .output();
    }
}
