//! The HTTP endpoint with a real HTTP client: metrics that follow a real producer and a real
//! consumer group (lag up after producing, down after committing), `/readyz` false until the
//! data directory is recovered, `/healthz`, the JSON API's values, and the binary's ephemeral
//! HTTP port and JSON log lines.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::clients::{create_topic, wait_until};
use common::http::{get, get_json, scrape};
use common::TestBroker;
use kalfka::config::BrokerConfig;
use kalfka::server::Server;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

const WAIT: Duration = Duration::from_secs(60);

fn with_http(dir: &std::path::Path) -> BrokerConfig {
    BrokerConfig {
        http_listen: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
        ..BrokerConfig::for_tests(dir)
    }
}

fn produce(bootstrap: &str, topic: &str, count: usize) {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("acks", "1")
        .set("linger.ms", "0")
        .create()
        .expect("producer");
    for i in 0..count {
        let value = format!("value-{i}");
        producer
            .send(BaseRecord::<(), _>::to(topic).payload(&value).partition(0))
            .expect("enqueue");
        producer.poll(Duration::ZERO);
    }
    producer.flush(Duration::from_secs(30)).expect("flush");
}

/// Polls the group consumer until it has read `count` more records.
fn consume(consumer: &BaseConsumer, count: usize) {
    let deadline = Instant::now() + WAIT;
    let mut read = 0;
    while read < count {
        assert!(Instant::now() < deadline, "read {read} of {count} records");
        if let Some(m) = consumer.poll(Duration::from_millis(100)) {
            m.expect("message");
            read += 1;
        }
    }
}

/// Waits until the series reads `value`.
fn wait_metric(http: SocketAddr, name: &str, labels: &[(&str, &str)], value: f64) {
    let mut last = None;
    let deadline = Instant::now() + WAIT;
    loop {
        last = scrape(http, name, labels).or(last);
        if last == Some(value) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{name}{labels:?} is {last:?}, expected {value}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn metrics_follow_a_producer_and_a_committing_group() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start_with(with_http(dir.path()));
    let http = broker.http.expect("HTTP endpoint");
    let bootstrap = broker.bootstrap();
    let topic = "metered";
    let tp = [("topic", topic), ("partition", "0")];
    let gtp = [("group", "watchers"), ("topic", topic), ("partition", "0")];
    create_topic(&bootstrap, topic, 1);
    assert_eq!(
        scrape(
            http,
            "kafka_server_brokertopicmetrics_messagesin_total",
            &tp
        ),
        Some(0.0)
    );

    produce(&bootstrap, topic, 5);
    wait_metric(http, "kafka_log_log_logendoffset", &tp, 5.0);
    assert_eq!(
        scrape(
            http,
            "kafka_server_brokertopicmetrics_messagesin_total",
            &tp
        ),
        Some(5.0)
    );
    let bytes_in = scrape(http, "kafka_server_brokertopicmetrics_bytesin_total", &tp);
    assert!(bytes_in.is_some_and(|b| b > 5.0 * 7.0), "{bytes_in:?}");
    assert!(scrape(
        http,
        "kafka_network_requestmetrics_requests_total",
        &[("request", "Produce")]
    )
    .is_some_and(|n| n >= 1.0));

    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .set("group.id", "watchers")
        .set("client.id", "watcher-1")
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .set("fetch.wait.max.ms", "100")
        .create()
        .expect("consumer");
    consumer.subscribe(&[topic]).expect("subscribe");
    consume(&consumer, 5);
    consumer
        .commit_consumer_state(CommitMode::Sync)
        .expect("commit");
    wait_metric(http, "kafka_consumergroup_lag", &gtp, 0.0);
    assert_eq!(
        scrape(http, "kafka_consumergroup_current_offset", &gtp),
        Some(5.0)
    );
    assert_eq!(
        scrape(
            http,
            "kafka_consumergroup_state",
            &[("group", "watchers"), ("state", "Stable")]
        ),
        Some(1.0)
    );
    assert_eq!(
        scrape(
            http,
            "kafka_consumergroup_members",
            &[("group", "watchers")]
        ),
        Some(1.0)
    );
    assert!(scrape(
        http,
        "kafka_server_brokertopicmetrics_messagesout_total",
        &tp
    )
    .is_some_and(|n| n >= 5.0));

    // Lag goes up as records arrive, down once the group commits them.
    produce(&bootstrap, topic, 7);
    wait_metric(http, "kafka_consumergroup_lag", &gtp, 7.0);
    consume(&consumer, 7);
    consumer
        .commit_consumer_state(CommitMode::Sync)
        .expect("commit");
    wait_metric(http, "kafka_consumergroup_lag", &gtp, 0.0);
    assert_eq!(
        scrape(http, "kafka_consumergroup_current_offset", &gtp),
        Some(12.0)
    );
    assert_eq!(
        scrape(
            http,
            "kafka_server_brokertopicmetrics_messagesin_total",
            &tp
        ),
        Some(12.0)
    );
    assert!(
        scrape(http, "kafka_log_logflushstats_logflush_seconds_count", &[]).is_some(),
        "fsync histogram present"
    );
    assert!(scrape(http, "process_resident_memory_bytes", &[]).is_some_and(|b| b > 0.0));

    // The JSON API shows the same state.
    let (status, group) = get_json(http, "/api/v1/groups/watchers");
    assert_eq!(status, 200, "{group}");
    assert_eq!(group["state"], "Stable", "{group}");
    assert_eq!(group["group_type"], "classic");
    assert_eq!(group["protocol_type"], "consumer");
    assert_eq!(
        group["protocol"], "range",
        "librdkafka's first assignor: {group}"
    );
    let members = group["members"].as_array().expect("members");
    assert_eq!(members.len(), 1, "{group}");
    assert_eq!(members[0]["client_id"], "watcher-1");
    assert_eq!(
        members[0]["client_host"], "/127.0.0.1",
        "the peer's address"
    );
    assert_eq!(
        members[0]["assignment"],
        serde_json::json!([{ "topic": topic, "partitions": [0] }])
    );
    assert_eq!(
        group["offsets"],
        serde_json::json!([{
            "topic": topic, "partition": 0, "committed_offset": 12,
            "high_watermark": 12, "lag": 0, "metadata": ""
        }]),
        "{group}"
    );
    let (_, groups) = get_json(http, "/api/v1/groups");
    let listed = groups["groups"].as_array().expect("groups");
    assert!(
        listed
            .iter()
            .any(|g| g["group_id"] == "watchers" && g["members"] == 1 && g["total_lag"] == 0),
        "{groups}"
    );

    let (status, t) = get_json(http, "/api/v1/topics/metered");
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["partitions"], 1);
    assert_eq!(t["records"], 12);
    let p = &t["partition_details"][0];
    assert_eq!(p["partition"], 0);
    assert_eq!(p["log_start_offset"], 0);
    assert_eq!(p["high_watermark"], 12);
    assert_eq!(p["last_stable_offset"], 12);
    assert_eq!(p["segments"], 1);
    assert_eq!(p["messages_in"], 12);
    assert!(p["size_bytes"].as_u64().is_some_and(|s| s > 12 * 7), "{p}");
    let configs = t["configs"].as_array().expect("configs");
    assert!(configs.iter().any(|c| c["name"] == "cleanup.policy"
        && c["value"] == "delete"
        && c["source"] == "default"));
    let (status, missing) = get_json(http, "/api/v1/topics/no-such-topic");
    assert_eq!(status, 404);
    assert!(missing["error"]
        .as_str()
        .is_some_and(|e| e.contains("no-such-topic")));
    assert_eq!(get_json(http, "/api/v1/groups/nobody").0, 404);

    let (_, cluster) = get_json(http, "/api/v1/cluster");
    assert_eq!(cluster["listeners"]["kafka"], bootstrap.as_str());
    assert_eq!(cluster["listeners"]["http"], http.to_string().as_str());
    assert_eq!(cluster["version"], env!("CARGO_PKG_VERSION"));
    // Counts agree with the topic list (which may hold internal topics besides ours).
    let (_, listed) = get_json(http, "/api/v1/topics");
    let listed = listed["topics"].as_array().expect("topics").clone();
    assert!(listed
        .iter()
        .any(|t| t["name"] == topic && t["partitions"] == 1));
    assert_eq!(cluster["topics"], listed.len());
    let partitions: u64 = listed.iter().filter_map(|t| t["partitions"].as_u64()).sum();
    assert_eq!(cluster["partitions"], partitions);
    assert_eq!(cluster["ready"], true);
    assert!(cluster["connections"].as_u64().is_some_and(|c| c >= 1));
    assert_eq!(
        cluster["data_dir"],
        dir.path().display().to_string().as_str()
    );
    drop(consumer);
}

/// A broker whose data-directory opening waits for the test.
struct HeldBroker {
    /// The HTTP address, sent by the start-up hook before recovery starts.
    http: std::sync::mpsc::Receiver<Option<SocketAddr>>,
    /// Lets the start-up go on.
    go: std::sync::mpsc::Sender<()>,
    /// The Kafka listener's address, once bound.
    kafka: std::sync::mpsc::Receiver<SocketAddr>,
    stop: tokio::sync::oneshot::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

/// Starts a broker whose start-up hook reports the HTTP address and then waits for
/// [`HeldBroker::go`] before the data directory is opened.
fn start_held(config: BrokerConfig) -> HeldBroker {
    let (http_tx, http) = std::sync::mpsc::channel();
    let (go, go_rx) = std::sync::mpsc::channel::<()>();
    let (addr_tx, kafka) = std::sync::mpsc::channel();
    let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let hook = Box::new(move |http: Option<SocketAddr>| {
                let _ = http_tx.send(http);
                let _ = go_rx.recv_timeout(WAIT);
            });
            let server = Server::bind_with_hook(config, hook)
                .await
                .expect("broker starts");
            let _ = addr_tx.send(server.local_addr());
            server
                .run(async move {
                    let _ = stop_rx.await;
                })
                .await;
        });
    });
    HeldBroker {
        http,
        go,
        kafka,
        stop,
        thread,
    }
}

#[test]
fn readyz_is_503_until_the_data_directory_is_recovered() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Something to recover: a topic with records, from an earlier run.
    {
        let broker = TestBroker::start(dir.path());
        create_topic(&broker.bootstrap(), "kept", 2);
        produce(&broker.bootstrap(), "kept", 3);
    }
    let held = start_held(with_http(dir.path()));
    let http = held
        .http
        .recv_timeout(WAIT)
        .expect("the hook ran")
        .expect("HTTP endpoint");

    // Up, not ready: nothing recovered yet.
    assert_eq!(get(http, "/healthz"), (200, "ok\n".to_string()));
    let (status, ready) = get_json(http, "/readyz");
    assert_eq!(status, 503, "{ready}");
    assert_eq!(
        ready,
        serde_json::json!({
            "ready": false,
            "checks": { "logs_recovered": false, "offsets_loaded": false, "listener_open": false }
        })
    );
    assert_eq!(get_json(http, "/api/v1/topics").0, 503);
    let (status, metrics) = get(http, "/metrics");
    assert_eq!(status, 200);
    assert!(
        metrics.contains("process_resident_memory_bytes"),
        "{metrics}"
    );
    assert!(
        !metrics.contains("kafka_log_log_logendoffset"),
        "no broker yet"
    );

    held.go.send(()).expect("release the start-up");
    let kafka = held.kafka.recv_timeout(WAIT).expect("broker bound");
    let mut last = (0, serde_json::Value::Null);
    wait_until("/readyz to answer 200", WAIT, || {
        last = get_json(http, "/readyz");
        last.0 == 200
    });
    assert_eq!(last.1["ready"], true, "{}", last.1);
    assert!(std::net::TcpStream::connect(kafka).is_ok());
    let (_, topics) = get_json(http, "/api/v1/topics");
    let kept = topics["topics"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["name"] == "kept"))
        .unwrap_or_else(|| panic!("recovered topic listed: {topics}"));
    assert_eq!(kept["partitions"], 2);
    assert_eq!(kept["records"], 3);

    held.stop.send(()).expect("stop");
    held.thread.join().expect("broker thread");
    assert!(
        std::net::TcpStream::connect(http).is_err(),
        "the endpoint stops with the broker"
    );
}

#[test]
fn binary_serves_http_on_a_free_port_and_writes_json_logs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("broker.log");
    let data = dir.path().join("data");
    let broker = common::process::BrokerProcess::start(
        &data,
        &["--http-listen", "127.0.0.1:0", "--log-format", "json"],
        Some(&log),
    );
    let lines = || -> Vec<serde_json::Value> {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect()
    };
    let mut http: Option<SocketAddr> = None;
    wait_until("the HTTP address in the log", WAIT, || {
        http = lines()
            .iter()
            .find(|l| l["message"] == "kalfka is ready")
            .and_then(|l| l["http"].as_str()?.parse().ok());
        http.is_some()
    });
    let http = http.expect("address");
    assert_ne!(http.port(), 9644, "port 0 picks a free port");
    assert_eq!(get(http, "/healthz").0, 200);
    assert_eq!(get_json(http, "/readyz").0, 200);

    create_topic(&broker.addr.to_string(), "logged", 2);
    wait_until("a JSON line for the topic creation", WAIT, || {
        lines().iter().any(|l| {
            l["message"] == "created topic" && l["topic"] == "logged" && l["level"] == "INFO"
        })
    });
    let (_, cluster) = get_json(http, "/api/v1/cluster");
    assert_eq!(
        cluster["listeners"]["kafka"],
        broker.addr.to_string().as_str()
    );
    assert_eq!(cluster["partitions"], 2);

    // A config change and a group's rebalance are logged with what changed / generation
    // and members.
    let admin = common::clients::admin(&broker.addr.to_string());
    let altered = common::clients::runtime()
        .block_on(
            admin.alter_configs(
                &[
                    rdkafka::admin::AlterConfig::new(rdkafka::admin::ResourceSpecifier::Topic(
                        "logged",
                    ))
                    .set("retention.ms", "3600000"),
                ],
                &rdkafka::admin::AdminOptions::new(),
            ),
        )
        .expect("alter configs");
    assert!(altered.iter().all(Result::is_ok), "{altered:?}");
    wait_until("a JSON line for the config change", WAIT, || {
        lines().iter().any(|l| {
            l["message"] == "altered topic configs"
                && l["topic"] == "logged"
                && l["changes"] == "retention.ms=3600000"
        })
    });
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", broker.addr.to_string())
        .set("group.id", "logged-group")
        .create()
        .expect("consumer");
    consumer.subscribe(&["logged"]).expect("subscribe");
    wait_until("the group's rebalance in the log", WAIT, || {
        let _ = consumer.poll(Duration::from_millis(50));
        let lines = lines();
        let started = lines.iter().any(|l| {
            l["message"] == "group rebalance started"
                && l["group"] == "logged-group"
                && l["generation"] == 0
                && l["reason"] == "a member joined"
        });
        started
            && lines.iter().any(|l| {
                l["message"] == "group rebalance completed: assignment distributed"
                    && l["group"] == "logged-group"
                    && l["generation"] == 1
                    && l["members"] == 1
            })
    });
}
