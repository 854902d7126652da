//! The console's JSON API with a real HTTP client (ureq) and real Kafka clients (rdkafka):
//! changes made through it are what the Kafka API then answers, refusals carry the broker's
//! Kafka error code, the message browser pages and filters, a group's offsets are reset only
//! while it has no members, and an open transaction is listed with its partitions and age.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::clients::{runtime, wait_until};
use common::http::{get_json, send};
use common::TestBroker;
use kalfka::config::BrokerConfig;
use rdkafka::admin::{AdminOptions, ResourceSpecifier};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::Message;
use serde_json::json;

const WAIT: Duration = Duration::from_secs(60);

fn start(dir: &std::path::Path) -> (TestBroker, SocketAddr) {
    let broker = TestBroker::start_with(BrokerConfig {
        http_listen: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
        group_initial_rebalance_delay_ms: 50,
        ..BrokerConfig::for_tests(dir)
    });
    let http = broker.http.expect("HTTP endpoint");
    (broker, http)
}

fn produce(bootstrap: &str, topic: &str, count: usize) {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("linger.ms", "0")
        .create()
        .expect("producer");
    for i in 0..count {
        let (key, value) = (format!("key-{i}"), format!("value-{i}"));
        producer
            .send(BaseRecord::to(topic).key(&key).payload(&value).partition(0))
            .expect("enqueue");
        producer.poll(Duration::ZERO);
    }
    producer.flush(Duration::from_secs(30)).expect("flush");
}

#[test]
fn topics_and_configs_change_through_the_kafka_handlers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (broker, http) = start(dir.path());
    let (status, body) = send(
        http,
        "POST",
        "/api/v1/topics",
        Some(json!({"name": "orders", "partitions": 2, "configs": {"cleanup.policy": "compact"}})),
    );
    assert_eq!(status, 200, "{body}");
    let (status, body) = send(
        http,
        "POST",
        "/api/v1/topics",
        Some(json!({"name": "orders"})),
    );
    assert_eq!(
        (status, body["error_name"].as_str()),
        (409, Some("TOPIC_ALREADY_EXISTS"))
    );
    let (status, body) = send(
        http,
        "POST",
        "/api/v1/topics",
        Some(json!({"name": "bad name!"})),
    );
    assert_eq!(
        (status, body["error_name"].as_str()),
        (400, Some("INVALID_TOPIC_EXCEPTION")),
        "{body}"
    );

    // A config set here is what DescribeConfigs answers; an invalid one is the broker's error.
    let (status, body) = send(
        http,
        "PUT",
        "/api/v1/topics/orders/configs",
        Some(json!({"set": {"retention.ms": "3600000"}})),
    );
    assert_eq!(status, 200, "{body}");
    let admin = common::clients::admin(&broker.bootstrap());
    let described = runtime()
        .block_on(
            admin.describe_configs(&[ResourceSpecifier::Topic("orders")], &AdminOptions::new()),
        )
        .expect("describe");
    let config = described[0].as_ref().expect("resource");
    assert_eq!(
        config.get("retention.ms").and_then(|e| e.value.as_deref()),
        Some("3600000")
    );
    let (status, body) = send(
        http,
        "PUT",
        "/api/v1/topics/orders/configs",
        Some(json!({"set": {"retention.ms": "soon"}})),
    );
    assert_eq!((status, body["code"].as_i64()), (400, Some(40)), "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap_or("")
            .contains("retention.ms"),
        "{body}"
    );
    let (_, topic) = get_json(http, "/api/v1/topics/orders");
    let retention = topic["configs"]
        .as_array()
        .expect("configs")
        .iter()
        .find(|c| c["name"] == "retention.ms")
        .expect("retention.ms")
        .clone();
    assert_eq!(retention["value"], "3600000");
    assert_eq!(retention["source"], "topic");
    assert_eq!(retention["default"], "604800000");
    assert!(!retention["doc"].as_str().unwrap_or("").is_empty());

    let (status, body) = send(
        http,
        "POST",
        "/api/v1/topics/orders/partitions",
        Some(json!({"count": 1})),
    );
    assert_eq!(
        (status, body["error_name"].as_str()),
        (400, Some("INVALID_PARTITIONS"))
    );
    let (status, _) = send(
        http,
        "POST",
        "/api/v1/topics/orders/partitions",
        Some(json!({"count": 4})),
    );
    assert_eq!(status, 200);
    assert_eq!(get_json(http, "/api/v1/topics/orders").1["partitions"], 4);

    let (status, _) = send(http, "DELETE", "/api/v1/topics/orders", None);
    assert_eq!(status, 200);
    assert_eq!(get_json(http, "/api/v1/topics/orders").0, 404);
    let (status, body) = send(http, "DELETE", "/api/v1/topics/orders", None);
    assert_eq!(status, 404, "{body}");
}

#[test]
fn message_browser_pages_filters_and_produces() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (broker, http) = start(dir.path());
    common::clients::create_topic(&broker.bootstrap(), "events", 1);
    produce(&broker.bootstrap(), "events", 30);

    let page = |q: &str| get_json(http, &format!("/api/v1/topics/events/messages?{q}")).1;
    let offsets = |p: &serde_json::Value| -> Vec<i64> {
        p["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .map(|m| m["offset"].as_i64().expect("offset"))
            .collect()
    };
    let first = page("from=beginning&limit=10");
    assert_eq!(offsets(&first), (0..10).collect::<Vec<_>>());
    assert_eq!(first["cursors"][0]["next"], 10);
    let next = page("cursor=0:10&limit=10");
    assert_eq!(offsets(&next), (10..20).collect::<Vec<_>>());
    assert_eq!(next["cursors"][0]["prev"], 0);
    assert_eq!(
        offsets(&page("from=end&limit=5")),
        (25..30).collect::<Vec<_>>()
    );
    assert_eq!(offsets(&page("from=offset&offset=28")), vec![28, 29]);
    assert_eq!(offsets(&page("from=beginning&key=key-17")), vec![17]);
    assert_eq!(
        offsets(&page("from=beginning&contains=value-2")),
        vec![2, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29]
    );
    let found = page("from=beginning&key=key-3");
    // "key-3" and "value-3" in base64.
    assert_eq!(found["messages"][0]["key"], "a2V5LTM=");
    assert_eq!(found["messages"][0]["value"], "dmFsdWUtMw==");
    assert_eq!(offsets(&page("from=time&timestamp=0&limit=1")), vec![0]);
    let (status, _) = get_json(http, "/api/v1/topics/events/messages?from=sideways");
    assert_eq!(status, 400);
    let (status, _) = get_json(http, "/api/v1/topics/events/messages?partitions=7");
    assert_eq!(status, 404);

    let (status, body) = send(
        http,
        "POST",
        "/api/v1/topics/events/messages",
        Some(
            json!({"key": "k", "value": "from the console", "headers": [{"key": "h", "value": "v"}]}),
        ),
    );
    assert_eq!((status, body["offset"].as_i64()), (200, Some(30)), "{body}");
    let consumer = common::clients::assigned_from_beginning(
        &broker.bootstrap(),
        "reader",
        "events",
        1,
        "read_committed",
    );
    let mut last = None;
    wait_until("the produced record", WAIT, || {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(100)) {
            if m.offset() == 30 {
                last = m.payload().map(|p| p.to_vec());
            }
        }
        last.is_some()
    });
    assert_eq!(last.as_deref(), Some(&b"from the console"[..]));
    let (status, body) = send(
        http,
        "POST",
        "/api/v1/topics/events/messages",
        Some(json!({"partition": 9, "value": "x"})),
    );
    assert_eq!(status, 404, "{body}");
}

#[test]
fn offsets_are_reset_only_while_the_group_has_no_members() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (broker, http) = start(dir.path());
    common::clients::create_topic(&broker.bootstrap(), "work", 1);
    produce(&broker.bootstrap(), "work", 10);
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", broker.bootstrap())
        .set("group.id", "workers")
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .create()
        .expect("consumer");
    consumer.subscribe(&["work"]).expect("subscribe");
    let mut read = 0;
    wait_until("5 records", WAIT, || {
        if let Some(Ok(_)) = consumer.poll(Duration::from_millis(100)) {
            read += 1;
            if read == 5 {
                consumer
                    .commit_consumer_state(CommitMode::Sync)
                    .expect("commit");
            }
        }
        read >= 5
    });
    wait_until("the group's lag", WAIT, || {
        get_json(http, "/api/v1/groups/workers").1["offsets"][0]["lag"] == 5
    });
    let reset = json!({"to": "earliest", "execute": true});
    let (status, body) = send(
        http,
        "POST",
        "/api/v1/groups/workers/reset-offsets",
        Some(reset.clone()),
    );
    assert_eq!(
        (status, body["error_name"].as_str()),
        (409, Some("NON_EMPTY_GROUP")),
        "{body}"
    );
    let (status, body) = send(http, "DELETE", "/api/v1/groups/workers", None);
    assert_eq!(
        (status, body["error_name"].as_str()),
        (409, Some("NON_EMPTY_GROUP")),
        "{body}"
    );
    drop(consumer);
    wait_until("the group empties", WAIT, || {
        get_json(http, "/api/v1/groups/workers").1["state"] == "Empty"
    });
    let (status, plan) = send(
        http,
        "POST",
        "/api/v1/groups/workers/reset-offsets",
        Some(json!({"to": "shift", "value": -2})),
    );
    assert_eq!(status, 200, "{plan}");
    assert_eq!(plan["plan"][0]["current"], 5);
    assert_eq!(plan["plan"][0]["new"], 3);
    assert_eq!(plan["executed"], false);
    assert_eq!(
        get_json(http, "/api/v1/groups/workers").1["offsets"][0]["committed_offset"],
        5
    );
    let (status, body) = send(
        http,
        "POST",
        "/api/v1/groups/workers/reset-offsets",
        Some(reset),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        get_json(http, "/api/v1/groups/workers").1["offsets"][0]["committed_offset"],
        0
    );
    let (status, _) = send(http, "DELETE", "/api/v1/groups/workers", None);
    assert_eq!(status, 200);
    assert_eq!(get_json(http, "/api/v1/groups/workers").0, 404);
}

#[test]
fn open_transactions_and_producers_are_listed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (broker, http) = start(dir.path());
    common::clients::create_topic(&broker.bootstrap(), "ledger", 2);
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", broker.bootstrap())
        .set("transactional.id", "console-tx")
        .create()
        .expect("producer");
    producer.init_transactions(WAIT).expect("init");
    producer.begin_transaction().expect("begin");
    producer
        .send(BaseRecord::to("ledger").key("a").payload("1").partition(1))
        .expect("enqueue");
    producer.flush(WAIT).expect("flush");
    wait_until("the open transaction", WAIT, || {
        let (_, body) = get_json(http, "/api/v1/transactions");
        let t = &body["transactions"][0];
        t["transactional_id"] == "console-tx"
            && t["state"] == "Ongoing"
            && t["age_ms"].as_i64().is_some()
            && t["partitions"] == json!([{"topic": "ledger", "partitions": [1]}])
    });
    let (_, producers) = get_json(http, "/api/v1/producers?topic=ledger");
    let partitions = producers["partitions"].as_array().expect("partitions");
    assert_eq!(partitions.len(), 2, "{producers}");
    assert_eq!(partitions[1]["producers"][0]["current_txn_start_offset"], 0);
    assert_eq!(partitions[0]["producers"], json!([]));
    let (_, all) = get_json(http, "/api/v1/producers");
    assert_eq!(all["partitions"].as_array().map(Vec::len), Some(1), "{all}");
    producer.commit_transaction(WAIT).expect("commit");
    wait_until("no open transaction", WAIT, || {
        get_json(http, "/api/v1/transactions").1["transactions"][0]["age_ms"].is_null()
    });
}

#[test]
fn the_console_is_served_from_the_binary() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_broker, http) = start(dir.path());
    let (status, page) = common::http::get(http, "/");
    assert_eq!(status, 200);
    assert!(page.contains("/console/app.js"), "{page}");
    let mut total = page.len();
    for asset in ["/console/app.js", "/console/app.css"] {
        let (status, body) = common::http::get(http, asset);
        assert_eq!(status, 200, "{asset}");
        total += body.len();
    }
    // Under 300 KB even before compression (the issue's budget is 300 KB gzip).
    assert!(total < 300_000, "the console is {total} bytes");
    assert_eq!(common::http::get(http, "/console/nope.js").0, 404);
}

#[test]
fn share_groups_are_shown_and_their_start_offsets_reset() {
    use common::raw::RawClient;
    use kalfka_protocol::messages::share_fetch_request::{FetchPartition, FetchTopic};
    use kalfka_protocol::messages::{
        ShareFetchRequest, ShareFetchResponse, ShareGroupHeartbeatRequest,
        ShareGroupHeartbeatResponse,
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let (broker, http) = start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    c.create_topic("jobs", 1, &[]);
    let heartbeat = |c: &mut RawClient, epoch: i32| -> ShareGroupHeartbeatResponse {
        c.call(
            1,
            &ShareGroupHeartbeatRequest {
                group_id: "sharers".into(),
                member_id: "m1".into(),
                member_epoch: epoch,
                rack_id: None,
                subscribed_topic_names: (epoch == 0).then(|| vec!["jobs".to_string()]),
            },
        )
    };
    assert_eq!(heartbeat(&mut c, 0).error_code, 0);
    let topic_id = topic_id(&mut c, "jobs");
    let fetched: ShareFetchResponse = c.call(
        1,
        &ShareFetchRequest {
            group_id: Some("sharers".into()),
            member_id: Some("m1".into()),
            share_session_epoch: 0,
            max_wait_ms: 0,
            min_bytes: 1,
            max_bytes: 1 << 20,
            max_records: 500,
            batch_size: 500,
            topics: vec![FetchTopic {
                topic_id,
                partitions: vec![FetchPartition {
                    partition_index: 0,
                    ..Default::default()
                }],
            }],
            ..Default::default()
        },
    );
    assert_eq!(fetched.error_code, 0);
    produce(&broker.bootstrap(), "jobs", 4);
    let (_, g) = get_json(http, "/api/v1/groups/sharers");
    assert_eq!(g["group_type"], "share", "{g}");
    assert_eq!(
        g["members"][0]["assignment"],
        json!([{"topic": "jobs", "partitions": [0]}])
    );
    assert_eq!(g["offsets"][0]["committed_offset"], 0, "{g}");
    assert_eq!(g["offsets"][0]["lag"], 4, "{g}");
    let listed = get_json(http, "/api/v1/groups").1;
    assert!(
        listed["groups"]
            .as_array()
            .expect("groups")
            .iter()
            .any(|g| g["group_id"] == "sharers" && g["group_type"] == "share"),
        "{listed}"
    );

    let reset = json!({"to": "latest", "execute": true});
    let (status, body) = send(
        http,
        "POST",
        "/api/v1/groups/sharers/reset-offsets",
        Some(reset.clone()),
    );
    assert_eq!(
        (status, body["error_name"].as_str()),
        (409, Some("NON_EMPTY_GROUP")),
        "{body}"
    );
    assert_eq!(heartbeat(&mut c, -1).error_code, 0);
    let (status, body) = send(
        http,
        "POST",
        "/api/v1/groups/sharers/reset-offsets",
        Some(reset),
    );
    assert_eq!(status, 200, "{body}");
    let (_, g) = get_json(http, "/api/v1/groups/sharers");
    assert_eq!(g["offsets"][0]["committed_offset"], 4, "{g}");
    assert_eq!(g["offsets"][0]["lag"], 0, "{g}");
}

/// The id of `topic`, from Metadata.
fn topic_id(c: &mut common::raw::RawClient, topic: &str) -> kalfka_protocol::Uuid {
    use kalfka_protocol::messages::metadata_request::MetadataRequestTopic;
    use kalfka_protocol::messages::{MetadataRequest, MetadataResponse};
    let resp: MetadataResponse = c.call(
        12,
        &MetadataRequest {
            topics: Some(vec![MetadataRequestTopic {
                name: Some(topic.into()),
                ..Default::default()
            }]),
            ..Default::default()
        },
    );
    resp.topics[0].topic_id
}

#[test]
fn changes_from_another_web_origin_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_broker, http) = start(dir.path());
    let agent = ureq::AgentBuilder::new()
        .timeout_read(Duration::from_secs(30))
        .build();
    let post = |origin: Option<&str>, host: Option<&str>| -> u16 {
        let mut req = agent.post(&format!("http://{http}/api/v1/topics"));
        if let Some(o) = origin {
            req = req.set("Origin", o);
        }
        if let Some(h) = host {
            req = req.set("Host", h);
        }
        match req.send_string(r#"{"name":"csrf"}"#) {
            Ok(r) => r.status(),
            Err(ureq::Error::Status(s, _)) => s,
            Err(e) => panic!("POST: {e}"),
        }
    };
    assert_eq!(post(Some("http://evil.example"), None), 403);
    assert_eq!(post(None, Some("evil.example")), 403);
    assert_eq!(get_json(http, "/api/v1/topics/csrf").0, 404);
    assert_eq!(post(Some(&format!("http://{http}")), None), 200);
}
