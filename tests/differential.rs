//! Differential protocol check: the same requests, valid and erroneous, go to Apache Kafka
//! (the oracle, a single-node KRaft broker started by `compat/kafka/kafka-broker.sh`) and to
//! Kalfka, at every version both advertise; the decoded responses are compared field by field
//! (their `Debug` form) after masking what legitimately differs: node ids, hosts and ports,
//! cluster and topic ids, producer ids, throttle times, timestamps, and the wording of error
//! messages (their presence is compared). A difference fails the test unless
//! `compat/differential/ALLOWED` lists its case with the reason.
//!
//! Needs Java and the Kafka classpath (`bash compat/java/setup.sh`, which `.ci/run` runs).

mod common;
#[path = "differential/share.rs"]
mod share;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use bytes::Bytes;
use common::kafka::Kafka;
use common::raw::RawClient;
use common::TestBroker;
use kalfka_protocol::header::{response_header_version, ResponseHeader};
use kalfka_protocol::messages::create_topics_request::{CreatableTopic, CreatableTopicConfig};
use kalfka_protocol::messages::*;
use kalfka_protocol::primitives::Decoder;
use kalfka_protocol::records::{Compression, RecordBatchBuilder};
use regex::Regex;

/// One request, sent to both brokers; its answer as text (masked), or how it failed.
type Exchange = Box<dyn Fn(&mut RawClient) -> String>;

/// Sends `req` at `version` and decodes the answer as `Resp`, or says the connection closed.
fn exchange<Req: Message + 'static, Resp: Message + std::fmt::Debug + 'static>(
    version: i16,
    req: Req,
) -> Exchange {
    exchange_sorted(version, req, |_: &mut Resp| {})
}

/// [`exchange`], with the answer put in a canonical order first (Kafka answers some lists in
/// hash order; clients match entries by name and index, not position).
fn exchange_sorted<Req: Message + 'static, Resp: Message + std::fmt::Debug + 'static>(
    version: i16,
    req: Req,
    sort: fn(&mut Resp),
) -> Exchange {
    Box::new(move |c: &mut RawClient| {
        let id = c.send(version, &req);
        let Some(frame) = c.recv_frame() else {
            return "connection closed".to_string();
        };
        let mut d = Decoder::new(&frame);
        let header =
            match ResponseHeader::decode(&mut d, response_header_version(Req::API_KEY, version)) {
                Ok(h) => h,
                Err(e) => return format!("undecodable header: {e}"),
            };
        if header.correlation_id != id {
            return format!("correlation id {} for {id}", header.correlation_id);
        }
        match Resp::decode(&mut d, version) {
            Ok(mut r) => {
                sort(&mut r);
                format!("{r:?}")
            }
            Err(e) => format!("undecodable body: {e}"),
        }
    })
}

/// Replaces what legitimately differs between two brokers.
fn mask(text: &str) -> String {
    let rules: &[(&str, &str)] = &[
        (r"throttle_time_ms: -?\d+", "throttle_time_ms: _"),
        (r#"cluster_id: (Some\()?"[^"]*"\)?"#, "cluster_id: _"),
        (
            r"(node_id|leader_id|controller_id|broker_id|coordinator_id): -?\d+",
            "$1: _",
        ),
        (
            r"(replica_nodes|isr_nodes|offline_replicas|eligible_leader_replicas|last_known_elr): \[[-\d, ]*\]",
            "$1: _",
        ),
        (r#"host: "[^"]*""#, "host: _"),
        (r"port: \d+", "port: _"),
        (r"topic_id: Uuid\([^)]*\)", "topic_id: _"),
        (r"producer_id: \d+", "producer_id: _"),
        (r"session_id: \d+", "session_id: _"),
        (
            r"(log_append_time_ms|timestamp|commit_timestamp): \d{12,}",
            "$1: _",
        ),
        (
            r#"error_message: Some\("(?:[^"\\]|\\.)*"\)"#,
            "error_message: Some(_)",
        ),
        (
            r#"batch_index_error_message: Some\("(?:[^"\\]|\\.)*"\)"#,
            "batch_index_error_message: Some(_)",
        ),
    ];
    let mut out = text.to_string();
    for (pattern, with) in rules {
        out = Regex::new(pattern)
            .expect("mask pattern")
            .replace_all(&out, *with)
            .into_owned();
    }
    out
}

/// The versions of `api_key` both brokers advertise.
fn common_versions(
    kafka: &ApiVersionsResponse,
    kalfka: &ApiVersionsResponse,
    api_key: i16,
) -> Vec<i16> {
    let range = |r: &ApiVersionsResponse| {
        r.api_keys
            .iter()
            .find(|k| k.api_key == api_key)
            .map(|k| (k.min_version, k.max_version))
    };
    match (range(kafka), range(kalfka)) {
        (Some((a0, a1)), Some((b0, b1))) => (a0.max(b0)..=a1.min(b1)).collect(),
        _ => Vec::new(),
    }
}

/// A batch timestamped now (old timestamps would let Kafka's retention, which first runs
/// 30 s after start, delete the records in the middle of the run).
fn batch(values: &[&str], key: Option<&str>) -> Bytes {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let mut b = RecordBatchBuilder::new(Compression::None);
    for v in values {
        b.append(now, key.map(str::as_bytes), Some(v.as_bytes()), &[]);
    }
    b.build().expect("batch")
}

fn topic(
    name: &str,
    partitions: i32,
    replication: i16,
    configs: &[(&str, &str)],
) -> CreatableTopic {
    CreatableTopic {
        name: name.into(),
        num_partitions: partitions,
        replication_factor: replication,
        configs: configs
            .iter()
            .map(|(n, v)| CreatableTopicConfig {
                name: n.to_string(),
                value: Some(v.to_string()),
            })
            .collect(),
        ..Default::default()
    }
}

/// The corpus: named requests at every version both brokers advertise. Topics are named by
/// version so that each version's requests meet the same state on both brokers.
fn corpus(kafka: &ApiVersionsResponse, kalfka: &ApiVersionsResponse) -> Vec<(String, Exchange)> {
    let mut cases: Vec<(String, Exchange)> = Vec::new();
    let mut add = |name: String, e: Exchange| cases.push((name, e));
    let versions = |key: i16| common_versions(kafka, kalfka, key);

    for v in versions(ApiVersionsRequest::API_KEY)
        .into_iter()
        .filter(|v| *v >= 3)
    {
        // Only the error code: the API tables differ by design.
        let only_error = |req: ApiVersionsRequest| -> Exchange {
            let inner = exchange::<_, ApiVersionsResponse>(v, req);
            Box::new(move |c: &mut RawClient| {
                let text = inner(c);
                text.split(", api_keys")
                    .next()
                    .unwrap_or_default()
                    .to_string()
            })
        };
        add(
            format!("ApiVersions v{v}: no client software name"),
            only_error(ApiVersionsRequest::default()),
        );
        add(
            format!("ApiVersions v{v}: an invalid client software name"),
            only_error(ApiVersionsRequest {
                client_software_name: "-bad name-".into(),
                client_software_version: "1".into(),
            }),
        );
    }

    for v in versions(CreateTopicsRequest::API_KEY) {
        let req = |topics: Vec<CreatableTopic>, validate_only: bool| CreateTopicsRequest {
            topics,
            timeout_ms: 10_000,
            validate_only: validate_only && v >= 1,
        };
        let t = format!("ct{v}");
        let mut created = topic(&t, 2, 1, &[]);
        created.configs.clear();
        add(
            format!("CreateTopics v{v}: invalid name, zero partitions, replication 3, unknown config, bad value"),
            exchange::<_, CreateTopicsResponse>(
                v,
                req(
                    vec![
                        topic("bad name", 1, 1, &[]),
                        topic(&format!("{t}-zero"), 0, 1, &[]),
                        topic(&format!("{t}-rf3"), 1, 3, &[]),
                        topic(&format!("{t}-cfg"), 1, 1, &[("no.such.config", "1")]),
                        topic(&format!("{t}-val"), 1, 1, &[("cleanup.policy", "shred")]),
                    ],
                    false,
                ),
            ),
        );
        if v >= 1 {
            add(
                format!("CreateTopics v{v}: validate_only"),
                exchange::<_, CreateTopicsResponse>(
                    v,
                    req(vec![topic(&format!("{t}-dry"), 3, 1, &[])], true),
                ),
            );
        }
        add(
            format!("CreateTopics v{v}: twice in one request"),
            exchange::<_, CreateTopicsResponse>(
                v,
                req(
                    vec![
                        topic(&format!("{t}-dup"), 1, 1, &[]),
                        topic(&format!("{t}-dup"), 1, 1, &[]),
                    ],
                    false,
                ),
            ),
        );
    }

    // The shared topics of the remaining cases.
    add(
        "setup: CreateTopics".into(),
        exchange::<_, CreateTopicsResponse>(
            4,
            CreateTopicsRequest {
                topics: vec![
                    topic("diff-a", 3, 1, &[]),
                    topic("diff-c", 1, 1, &[("cleanup.policy", "compact")]),
                ],
                timeout_ms: 10_000,
                validate_only: false,
            },
        ),
    );
    add(
        "CreateTopics v4: already exists".into(),
        exchange::<_, CreateTopicsResponse>(
            4,
            CreateTopicsRequest {
                topics: vec![topic("diff-a", 3, 1, &[])],
                timeout_ms: 10_000,
                validate_only: false,
            },
        ),
    );

    for v in versions(MetadataRequest::API_KEY)
        .into_iter()
        .filter(|v| *v >= 1)
    {
        add(
            format!("Metadata v{v}: a topic and a missing one"),
            exchange::<_, MetadataResponse>(
                v,
                MetadataRequest {
                    topics: Some(vec![
                        metadata_request::MetadataRequestTopic {
                            name: Some("diff-a".into()),
                            ..Default::default()
                        },
                        metadata_request::MetadataRequestTopic {
                            name: Some("diff-missing".into()),
                            ..Default::default()
                        },
                    ]),
                    allow_auto_topic_creation: false,
                    ..Default::default()
                },
            ),
        );
    }

    for v in versions(ProduceRequest::API_KEY) {
        let produce = |topic: &str, partition: i32, records: Bytes, acks: i16| {
            common::raw::produce_request(topic, partition, records, acks)
        };
        add(
            format!("Produce v{v}: records to diff-a/0"),
            exchange::<_, ProduceResponse>(
                v,
                produce("diff-a", 0, batch(&["one", "two"], Some("k")), 1),
            ),
        );
        add(
            format!("Produce v{v}: unknown topic and partition"),
            exchange::<_, ProduceResponse>(v, produce("diff-missing", 0, batch(&["x"], None), 1)),
        );
        add(
            format!("Produce v{v}: partition 7 of diff-a"),
            exchange::<_, ProduceResponse>(v, produce("diff-a", 7, batch(&["x"], None), 1)),
        );
        add(
            format!("Produce v{v}: keyless records on a compacted topic"),
            exchange::<_, ProduceResponse>(v, produce("diff-c", 0, batch(&["a", "b"], None), 1)),
        );
        let mut lying = batch(&["a", "b", "c"], Some("k")).to_vec();
        lying[23..27].copy_from_slice(&0i32.to_be_bytes());
        lying[57..61].copy_from_slice(&1i32.to_be_bytes());
        kalfka_protocol::records::write_crc(&mut lying);
        add(
            format!("Produce v{v}: a batch whose count lies"),
            exchange::<_, ProduceResponse>(v, produce("diff-a", 1, Bytes::from(lying), 1)),
        );
        let mut corrupt = batch(&["c"], Some("k")).to_vec();
        let last = corrupt.len() - 1;
        corrupt[last] ^= 0xff;
        add(
            format!("Produce v{v}: a corrupt CRC"),
            exchange::<_, ProduceResponse>(v, produce("diff-a", 1, Bytes::from(corrupt), 1)),
        );
        add(
            format!("Produce v{v}: acks 2"),
            exchange::<_, ProduceResponse>(v, produce("diff-a", 2, batch(&["x"], None), 2)),
        );
    }

    for v in versions(FetchRequest::API_KEY)
        .into_iter()
        .filter(|v| *v >= 4 && *v <= 12)
    {
        let mut req = common::raw::fetch_request("diff-a", 0, 0, 0);
        req.max_wait_ms = 0;
        add(
            format!("Fetch v{v}: diff-a/0 from 0"),
            exchange::<_, FetchResponse>(v, req.clone()),
        );
        let mut far = req.clone();
        far.topics[0].partitions[0].fetch_offset = 1_000;
        add(
            format!("Fetch v{v}: offset out of range"),
            exchange::<_, FetchResponse>(v, far),
        );
        let mut missing = req.clone();
        missing.topics[0].topic = "diff-missing".into();
        add(
            format!("Fetch v{v}: unknown topic"),
            exchange::<_, FetchResponse>(v, missing),
        );
    }

    for v in versions(ListOffsetsRequest::API_KEY)
        .into_iter()
        .filter(|v| *v >= 1)
    {
        use kalfka_protocol::messages::list_offsets_request::{
            ListOffsetsPartition, ListOffsetsTopic,
        };
        let part = |p: i32, ts: i64| ListOffsetsPartition {
            partition_index: p,
            timestamp: ts,
            current_leader_epoch: -1,
            ..Default::default()
        };
        add(
            format!("ListOffsets v{v}: latest, earliest, partition 9, unknown topic"),
            exchange_sorted::<_, ListOffsetsResponse>(
                v,
                ListOffsetsRequest {
                    replica_id: -1,
                    topics: vec![
                        ListOffsetsTopic {
                            name: "diff-a".into(),
                            partitions: vec![part(0, -1), part(1, -2), part(9, -1)],
                        },
                        ListOffsetsTopic {
                            name: "diff-missing".into(),
                            partitions: vec![part(0, -1)],
                        },
                    ],
                    ..Default::default()
                },
                |r| {
                    r.topics.sort_by(|a, b| a.name.cmp(&b.name));
                    for t in &mut r.topics {
                        t.partitions.sort_by_key(|p| p.partition_index);
                    }
                },
            ),
        );
    }

    for v in versions(OffsetCommitRequest::API_KEY)
        .into_iter()
        .filter(|v| *v >= 2)
    {
        use kalfka_protocol::messages::offset_commit_request::{
            OffsetCommitRequestPartition, OffsetCommitRequestTopic,
        };
        let p = |i: i32| OffsetCommitRequestPartition {
            partition_index: i,
            committed_offset: 1,
            committed_leader_epoch: -1,
            ..Default::default()
        };
        add(
            format!("OffsetCommit v{v}: known and unknown partitions"),
            exchange_sorted::<_, OffsetCommitResponse>(
                v,
                OffsetCommitRequest {
                    group_id: format!("diff-g{v}"),
                    generation_id_or_member_epoch: -1,
                    topics: vec![
                        OffsetCommitRequestTopic {
                            name: "diff-a".into(),
                            partitions: vec![p(0), p(9)],
                        },
                        OffsetCommitRequestTopic {
                            name: "diff-missing".into(),
                            partitions: vec![p(0)],
                        },
                    ],
                    ..Default::default()
                },
                |r| {
                    r.topics.sort_by(|a, b| a.name.cmp(&b.name));
                    for t in &mut r.topics {
                        t.partitions.sort_by_key(|p| p.partition_index);
                    }
                },
            ),
        );
    }

    for v in versions(InitProducerIdRequest::API_KEY) {
        add(
            format!("InitProducerId v{v}: transaction timeout 0"),
            exchange::<_, InitProducerIdResponse>(
                v,
                InitProducerIdRequest {
                    transactional_id: Some(format!("diff-tx{v}")),
                    transaction_timeout_ms: 0,
                    producer_id: -1,
                    producer_epoch: -1,
                },
            ),
        );
    }

    for v in versions(EndTxnRequest::API_KEY) {
        add(
            format!("EndTxn v{v}: unknown transactional id"),
            exchange::<_, EndTxnResponse>(
                v,
                EndTxnRequest {
                    transactional_id: "diff-unknown-tx".into(),
                    producer_id: 4242,
                    producer_epoch: 0,
                    committed: true,
                },
            ),
        );
    }

    for v in versions(DescribeGroupsRequest::API_KEY) {
        add(
            format!("DescribeGroups v{v}: unknown group"),
            exchange::<_, DescribeGroupsResponse>(
                v,
                DescribeGroupsRequest {
                    groups: vec!["diff-nobody".into()],
                    include_authorized_operations: false,
                },
            ),
        );
    }

    for v in versions(DeleteGroupsRequest::API_KEY) {
        add(
            format!("DeleteGroups v{v}: unknown group"),
            exchange::<_, DeleteGroupsResponse>(
                v,
                DeleteGroupsRequest {
                    groups_names: vec!["diff-nobody".into()],
                },
            ),
        );
    }

    for v in versions(IncrementalAlterConfigsRequest::API_KEY) {
        use kalfka_protocol::messages::incremental_alter_configs_request::{
            AlterConfigsResource, AlterableConfig,
        };
        let resource = |kind: i8, name: &str, config: &str, value: &str| AlterConfigsResource {
            resource_type: kind,
            resource_name: name.into(),
            configs: vec![AlterableConfig {
                name: config.into(),
                config_operation: 0,
                value: Some(value.into()),
            }],
        };
        add(
            format!("IncrementalAlterConfigs v{v}: bad value, unknown topic, static broker config"),
            exchange::<_, IncrementalAlterConfigsResponse>(
                v,
                IncrementalAlterConfigsRequest {
                    resources: vec![
                        resource(2, "diff-a", "retention.ms", "soon"),
                        resource(2, "diff-missing-2", "retention.ms", "1000"),
                        resource(4, "", "log.dirs", "/elsewhere"),
                    ],
                    validate_only: false,
                },
            ),
        );
    }

    for v in versions(CreatePartitionsRequest::API_KEY) {
        use kalfka_protocol::messages::create_partitions_request::{
            CreatePartitionsAssignment, CreatePartitionsTopic,
        };
        let grow = |name: &str, count: i32, brokers: Option<Vec<i32>>| CreatePartitionsTopic {
            name: name.into(),
            count,
            assignments: brokers.map(|b| vec![CreatePartitionsAssignment { broker_ids: b }]),
        };
        add(
            format!("CreatePartitions v{v}: fewer, unknown topic, unknown broker"),
            exchange::<_, CreatePartitionsResponse>(
                v,
                CreatePartitionsRequest {
                    topics: vec![
                        grow("diff-a", 2, None),
                        grow("diff-missing-2", 4, None),
                        grow("diff-c", 2, Some(vec![77])),
                    ],
                    timeout_ms: 10_000,
                    validate_only: true,
                },
            ),
        );
    }

    for v in versions(DeleteRecordsRequest::API_KEY) {
        use kalfka_protocol::messages::delete_records_request::{
            DeleteRecordsPartition, DeleteRecordsTopic,
        };
        add(
            format!("DeleteRecords v{v}: past the end, unknown partition"),
            exchange_sorted::<_, DeleteRecordsResponse>(
                v,
                DeleteRecordsRequest {
                    topics: vec![DeleteRecordsTopic {
                        name: "diff-a".into(),
                        partitions: vec![
                            DeleteRecordsPartition {
                                partition_index: 2,
                                offset: 1_000_000,
                            },
                            DeleteRecordsPartition {
                                partition_index: 9,
                                offset: 0,
                            },
                        ],
                    }],
                    timeout_ms: 10_000,
                },
                |r| {
                    for t in &mut r.topics {
                        t.partitions.sort_by_key(|p| p.partition_index);
                    }
                },
            ),
        );
    }

    for v in versions(ElectLeadersRequest::API_KEY) {
        add(
            format!("ElectLeaders v{v}: preferred on a led partition and an unknown one"),
            exchange::<_, ElectLeadersResponse>(
                v,
                ElectLeadersRequest {
                    election_type: 0,
                    topic_partitions: Some(vec![elect_leaders_request::TopicPartitions {
                        topic: "diff-a".into(),
                        partitions: vec![0, 9],
                    }]),
                    timeout_ms: 10_000,
                },
            ),
        );
    }

    for v in versions(InitProducerIdRequest::API_KEY) {
        add(
            format!("InitProducerId v{v}: idempotent producer"),
            exchange::<_, InitProducerIdResponse>(
                v,
                InitProducerIdRequest {
                    transactional_id: None,
                    transaction_timeout_ms: 60_000,
                    producer_id: -1,
                    producer_epoch: -1,
                },
            ),
        );
    }

    for v in versions(DeleteTopicsRequest::API_KEY)
        .into_iter()
        .filter(|v| *v <= 5)
    {
        add(
            format!("DeleteTopics v{v}: unknown topic"),
            exchange::<_, DeleteTopicsResponse>(
                v,
                DeleteTopicsRequest {
                    topic_names: vec!["diff-missing".into()],
                    timeout_ms: 10_000,
                    ..Default::default()
                },
            ),
        );
    }
    cases.extend(share::cases(&versions));
    cases
}

/// `case name -> reason` from compat/differential/ALLOWED (`name<TAB>reason` lines).
fn allowed() -> BTreeMap<String, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("compat/differential/ALLOWED");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (name, reason) = l.split_once('\t').unwrap_or((l, ""));
            assert!(
                !reason.trim().is_empty(),
                "ALLOWED entry without a reason: {l}"
            );
            (name.trim().to_string(), reason.trim().to_string())
        })
        .collect()
}

/// Waits until the broker's group and transaction coordinators answer (Kafka creates
/// `__consumer_offsets` and `__transaction_state` on first use), so that the corpus meets a
/// ready coordinator on both brokers.
fn await_coordinators(c: &mut RawClient) {
    for key_type in [0i8, 1] {
        let mut last = -1;
        for _ in 0..120 {
            let r: FindCoordinatorResponse = c.call(
                4,
                &FindCoordinatorRequest {
                    key_type,
                    coordinator_keys: vec!["diff-ready".into()],
                    ..Default::default()
                },
            );
            last = r.coordinators.first().map_or(-1, |x| x.error_code);
            if last == 0 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(500));
        }
        assert_eq!(
            last, 0,
            "coordinator of key type {key_type} never became available"
        );
    }
    // A group commit and a transactional id init prove them loaded.
    for _ in 0..120 {
        let r: InitProducerIdResponse = c.call(
            4,
            &InitProducerIdRequest {
                transactional_id: Some("diff-ready".into()),
                transaction_timeout_ms: 60_000,
                producer_id: -1,
                producer_epoch: -1,
            },
        );
        if r.error_code == 0 {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    panic!("the transaction coordinator never answered InitProducerId");
}

#[test]
fn kalfka_answers_as_apache_kafka_does() {
    let kafka = Kafka::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let kalfka = TestBroker::start(dir.path());
    let mut a = RawClient::connect(kafka.addr);
    let mut b = RawClient::connect(kalfka.addr);
    let hello = ApiVersionsRequest {
        client_software_name: "kalfka-differential".into(),
        client_software_version: "1.0".into(),
    };
    let av_a: ApiVersionsResponse = a.call(3, &hello);
    let av_b: ApiVersionsResponse = b.call(3, &hello);
    assert_eq!((av_a.error_code, av_b.error_code), (0, 0));
    await_coordinators(&mut a);
    await_coordinators(&mut b);
    let allowed = allowed();
    let mut differ = Vec::new();
    let mut matched = 0;
    let mut names = BTreeSet::new();
    for (name, exchange) in corpus(&av_a, &av_b) {
        assert!(names.insert(name.clone()), "case {name} twice");
        let (ka, kb) = (mask(&exchange(&mut a)), mask(&exchange(&mut b)));
        if ka.contains("connection closed") {
            a = RawClient::connect(kafka.addr);
        }
        if kb.contains("connection closed") {
            b = RawClient::connect(kalfka.addr);
        }
        if name.starts_with("setup:") || ka == kb {
            matched += 1;
            continue;
        }
        if !allowed.contains_key(&name) {
            differ.push(format!("{name}\n  kafka:  {ka}\n  kalfka: {kb}"));
        }
    }
    let stale: Vec<&String> = allowed.keys().filter(|k| !names.contains(*k)).collect();
    println!(
        "{matched} cases answered alike, {} listed as allowed differences",
        allowed.len()
    );
    assert!(
        stale.is_empty(),
        "ALLOWED lists cases that no longer exist: {stale:?}"
    );
    assert!(
        differ.is_empty(),
        "{} unexplained differences from Apache Kafka:\n{}",
        differ.len(),
        differ.join("\n")
    );
}
