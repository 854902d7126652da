//! Compatibility scenarios driven by real third-party clients (`compat/`): kcat (librdkafka
//! 2.0.2), confluent-kafka (librdkafka 2.16), kafka-python, kafkajs, the Java client
//! (kafka-clients, newest and oldest 4.x), Kafka Streams, Kafka's own command-line tools and
//! the Go clients (sarama, kafka-go, franz-go with its own pkg/kgo suite), each against a broker
//! started in-process; the Java, Streams, tools and Go suites also run against Apache Kafka
//! itself, which proves the scenarios right. The tools are installed by `.ci/run` (apt-get
//! kcat, pip compat/requirements.txt, npm ci in compat/kafkajs, compat/java/setup.sh,
//! compat/streams/setup.sh, compat/go/setup.sh); a missing tool fails the test with the
//! command that installs it.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::TestBroker;

fn python() -> String {
    std::env::var("KALFKA_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

/// Runs a scenario with a time limit; panics with its output unless it exits 0.
fn run_scenario(mut cmd: Command, name: &str, limit: Duration) {
    let compat = Path::new(env!("CARGO_MANIFEST_DIR")).join("compat");
    cmd.current_dir(&compat);
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{name}: cannot start: {e}"));
    let started = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "{name}: timed out after {limit:?}\n{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().expect("output");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{name} failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    assert!(
        stdout.contains("ok:"),
        "{name} did not report success:\n{stdout}\n{stderr}"
    );
    println!("{stdout}");
}

fn require_python_module(module: &str) {
    let ok = Command::new(python())
        .args(["-c", &format!("import {module}")])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(
        ok,
        "python module {module} is missing: pip install -r compat/requirements.txt (bash .ci/run does)"
    );
}

#[test]
fn kcat_lists_produces_and_consumes() {
    let found = Command::new("kcat").arg("-V").output().is_ok();
    assert!(
        found,
        "kcat is missing: apt-get install -y kcat (bash .ci/run does)"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let mut cmd = Command::new("bash");
    cmd.arg("kcat_roundtrip.sh").arg(broker.bootstrap());
    run_scenario(cmd, "kcat", Duration::from_secs(180));
}

#[test]
fn confluent_kafka_round_trip() {
    require_python_module("confluent_kafka");
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let mut cmd = Command::new(python());
    cmd.arg("confluent_kafka_roundtrip.py")
        .arg(broker.bootstrap());
    run_scenario(cmd, "confluent-kafka", Duration::from_secs(180));
}

#[test]
fn kafka_python_round_trip() {
    require_python_module("kafka");
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let mut cmd = Command::new(python());
    cmd.arg("kafka_python_roundtrip.py").arg(broker.bootstrap());
    run_scenario(cmd, "kafka-python", Duration::from_secs(180));
}

#[test]
fn python_consumer_groups_share_commit_and_resume() {
    require_python_module("confluent_kafka");
    require_python_module("kafka");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = kalfka::config::BrokerConfig::for_tests(dir.path());
    config.group_initial_rebalance_delay_ms = 100;
    let broker = TestBroker::start_with(config);
    let mut cmd = Command::new(python());
    cmd.arg("groups_python.py").arg(broker.bootstrap());
    run_scenario(cmd, "python consumer groups", Duration::from_secs(180));
}

#[test]
fn confluent_kafka_consumer_protocol_groups() {
    require_python_module("confluent_kafka");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = kalfka::config::BrokerConfig::for_tests(dir.path());
    config.group_consumer_heartbeat_interval_ms = 200;
    let broker = TestBroker::start_with(config);
    let mut cmd = Command::new(python());
    cmd.arg("groups_kip848_python.py").arg(broker.bootstrap());
    run_scenario(
        cmd,
        "confluent-kafka group.protocol=consumer",
        Duration::from_secs(180),
    );
}

#[test]
fn confluent_kafka_share_consumer() {
    require_python_module("confluent_kafka");
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let mut cmd = Command::new(python());
    cmd.arg("share_python.py").arg(broker.bootstrap());
    run_scenario(
        cmd,
        "confluent-kafka ShareConsumer",
        Duration::from_secs(180),
    );
}

#[test]
fn kcat_balanced_consumer_commits_and_resumes() {
    let found = Command::new("kcat").arg("-V").output().is_ok();
    assert!(
        found,
        "kcat is missing: apt-get install -y kcat (bash .ci/run does)"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = kalfka::config::BrokerConfig::for_tests(dir.path());
    config.num_partitions = 3;
    config.group_initial_rebalance_delay_ms = 100;
    let broker = TestBroker::start_with(config);
    let mut cmd = Command::new("bash");
    cmd.arg("groups_kcat.sh").arg(broker.bootstrap());
    run_scenario(cmd, "kcat -G", Duration::from_secs(180));
}

#[test]
fn confluent_kafka_admin_client() {
    require_python_module("confluent_kafka");
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let mut cmd = Command::new(python());
    cmd.arg("admin_confluent.py").arg(broker.bootstrap());
    run_scenario(cmd, "confluent-kafka admin", Duration::from_secs(180));
}

#[test]
fn kafka_python_admin_client() {
    require_python_module("kafka");
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let mut cmd = Command::new(python());
    cmd.arg("admin_kafka_python.py").arg(broker.bootstrap());
    run_scenario(cmd, "kafka-python admin", Duration::from_secs(180));
}

#[test]
fn python_clients_transactions() {
    require_python_module("confluent_kafka");
    require_python_module("kafka");
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let mut cmd = Command::new(python());
    cmd.arg("transactions_python.py").arg(broker.bootstrap());
    run_scenario(cmd, "python transactions", Duration::from_secs(300));
}

#[test]
fn kafkajs_round_trip_groups_and_transactions() {
    let installed = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("compat/kafkajs/node_modules/kafkajs")
        .is_dir();
    let node = Command::new("node").arg("--version").output().is_ok();
    assert!(
        node && installed,
        "node or kafkajs is missing: npm ci --prefix compat/kafkajs (bash .ci/run does)"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = kalfka::config::BrokerConfig::for_tests(dir.path());
    config.group_initial_rebalance_delay_ms = 100;
    let broker = TestBroker::start_with(config);
    let mut cmd = Command::new("node");
    cmd.arg("kafkajs/scenario.js").arg(broker.bootstrap());
    run_scenario(cmd, "kafkajs", Duration::from_secs(240));
}

/// One heavy suite (Java, Kafka's tools, Go) at a time: each runs JVM or Go clients (and some
/// a JVM broker) on a 2-core machine, and scenarios bounded in time must not fail because
/// another suite ran beside them.
static HEAVY_SUITES: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_java_suite() -> std::sync::MutexGuard<'static, ()> {
    HEAVY_SUITES.lock().unwrap_or_else(|p| p.into_inner())
}

/// `compat/tools/run.sh` (Kafka's command-line tools) against `bootstrap`.
fn tools_suite(bootstrap: &str, strict: bool) -> Command {
    let ready = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("compat/tools/target/classpath.txt")
        .is_file();
    assert!(
        ready,
        "Kafka's tools are missing: bash compat/java/setup.sh (bash .ci/run does)"
    );
    let mut cmd = Command::new("bash");
    cmd.arg("tools/run.sh").arg(bootstrap);
    if strict {
        cmd.arg("--strict");
    }
    cmd
}

/// `compat/go/run.sh` (sarama, kafka-go and franz-go scenarios, then franz-go's own pkg/kgo
/// tests) against `bootstrap`.
fn go_suite(bootstrap: &str, strict: bool) -> Command {
    let ready = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("compat/go/target/scenarios")
        .is_file();
    assert!(
        ready,
        "the Go suites are missing: bash compat/go/setup.sh (bash .ci/run does)"
    );
    let mut cmd = Command::new("bash");
    cmd.arg("go/run.sh").arg(bootstrap);
    if strict {
        cmd.arg("--strict");
    }
    cmd
}

/// `compat/streams/run.sh` (a Kafka Streams application: repartition, KTable count, windowed
/// aggregate, stream-table join; at_least_once and exactly_once_v2; two instances, one killed)
/// against `bootstrap`.
fn streams_suite(bootstrap: &str, strict: bool) -> Command {
    let built = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("compat/streams/target/streams-compat-0.jar")
        .is_file();
    assert!(
        built,
        "the Kafka Streams suite is missing: bash compat/streams/setup.sh (bash .ci/run does)"
    );
    let mut cmd = Command::new("bash");
    cmd.arg("streams/run.sh").arg(bootstrap);
    if strict {
        cmd.arg("--strict");
    }
    cmd
}

/// The Java suite built against `version` of kafka-clients (`None`: the newest, pom.xml's).
fn java_suite(version: Option<&str>, bootstrap: &str, strict: bool) -> Command {
    let java = Command::new("java").arg("-version").output().is_ok();
    let build = format!(
        "compat/java/target{}",
        version.map(|v| format!("-{v}")).unwrap_or_default()
    );
    let built = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(&build)
        .join("java-compat-0.jar")
        .is_file();
    assert!(
        java && built,
        "java or the Java suite is missing: bash compat/java/setup.sh {} (bash .ci/run does)",
        version.unwrap_or_default()
    );
    let mut cmd = Command::new("bash");
    cmd.arg("java/run.sh").arg(bootstrap);
    if strict {
        cmd.arg("--strict");
    }
    if let Some(v) = version {
        cmd.env("KAFKA_CLIENTS_VERSION", v);
    }
    cmd
}

#[test]
fn java_client_suite() {
    let _one = one_java_suite();
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let cmd = java_suite(None, &broker.bootstrap(), false);
    run_scenario(cmd, "Java client (newest 4.x)", Duration::from_secs(900));
}

#[test]
fn java_client_suite_oldest_4x() {
    let _one = one_java_suite();
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let cmd = java_suite(Some("4.0.0"), &broker.bootstrap(), false);
    run_scenario(cmd, "Java client 4.0.0", Duration::from_secs(900));
}

/// Every scenario of the Java suite passes against Apache Kafka: a scenario that does not is
/// a wrong scenario.
#[test]
fn java_client_suite_passes_against_apache_kafka() {
    let _one = one_java_suite();
    let kafka = common::kafka::Kafka::start();
    let cmd = java_suite(None, &kafka.bootstrap(), true);
    run_scenario(
        cmd,
        "Java client against Apache Kafka",
        Duration::from_secs(900),
    );
}

#[test]
fn kafka_streams_suite() {
    let _one = one_java_suite();
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let cmd = streams_suite(&broker.bootstrap(), false);
    run_scenario(cmd, "Kafka Streams", Duration::from_secs(900));
}

/// Every Streams scenario passes against Apache Kafka (a scenario that does not is wrong).
#[test]
fn kafka_streams_suite_passes_against_apache_kafka() {
    let _one = one_java_suite();
    let kafka = common::kafka::Kafka::start();
    let cmd = streams_suite(&kafka.bootstrap(), true);
    run_scenario(
        cmd,
        "Kafka Streams against Apache Kafka",
        Duration::from_secs(900),
    );
}

#[test]
fn kafka_command_line_tools() {
    let _one = one_java_suite();
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let cmd = tools_suite(&broker.bootstrap(), false);
    run_scenario(cmd, "Kafka's command-line tools", Duration::from_secs(900));
}

/// Every tools scenario passes against Apache Kafka (a scenario that does not is wrong).
#[test]
fn kafka_command_line_tools_pass_against_apache_kafka() {
    let _one = one_java_suite();
    let kafka = common::kafka::Kafka::start();
    let cmd = tools_suite(&kafka.bootstrap(), true);
    run_scenario(
        cmd,
        "Kafka's command-line tools against Apache Kafka",
        Duration::from_secs(900),
    );
}

#[test]
fn go_clients_and_franz_go_suite() {
    let _one = one_java_suite();
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let cmd = go_suite(&broker.bootstrap(), false);
    run_scenario(cmd, "Go clients", Duration::from_secs(1200));
}

/// The Go scenarios and franz-go's suite pass against Apache Kafka.
#[test]
fn go_clients_and_franz_go_suite_pass_against_apache_kafka() {
    let _one = one_java_suite();
    let kafka = common::kafka::Kafka::start();
    let cmd = go_suite(&kafka.bootstrap(), true);
    run_scenario(
        cmd,
        "Go clients against Apache Kafka",
        Duration::from_secs(1200),
    );
}
