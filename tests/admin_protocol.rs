//! Admin APIs at the wire level: DescribeConfigs, AlterConfigs, IncrementalAlterConfigs,
//! CreatePartitions, ElectLeaders, DescribeCluster and DescribeLogDirs, including their exact
//! error codes, and that changes survive a restart.

mod common;

use bytes::Bytes;
use common::raw::RawClient;
use common::TestBroker;
use kalfka_protocol::error_code::ErrorCode;
use kalfka_protocol::messages::create_partitions_request::{
    CreatePartitionsAssignment, CreatePartitionsTopic,
};
use kalfka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use kalfka_protocol::messages::describe_configs_response::DescribeConfigsResult;
use kalfka_protocol::messages::*;
use kalfka_protocol::records::{Compression, RecordBatchBuilder};

const TOPIC: i8 = 2;
const BROKER: i8 = 4;

fn code(e: ErrorCode) -> i16 {
    e.code()
}

fn describe(c: &mut RawClient, version: i16, rtype: i8, name: &str) -> DescribeConfigsResult {
    let resp: DescribeConfigsResponse = c.call(
        version,
        &DescribeConfigsRequest {
            resources: vec![DescribeConfigsResource {
                resource_type: rtype,
                resource_name: name.into(),
                configuration_keys: None,
            }],
            include_synonyms: true,
            include_documentation: true,
        },
    );
    resp.results.into_iter().next().expect("one result")
}

/// (value, source, is_default) of `config` in a describe result.
fn value_of(r: &DescribeConfigsResult, config: &str) -> (String, i8, bool) {
    let c = r
        .configs
        .iter()
        .find(|c| c.name == config)
        .unwrap_or_else(|| panic!("{config} described"));
    (
        c.value.clone().unwrap_or_default(),
        c.config_source,
        c.is_default,
    )
}

fn incremental(
    c: &mut RawClient,
    topic: &str,
    ops: &[(&str, i8, Option<&str>)],
    validate_only: bool,
) -> (i16, Option<String>) {
    use kalfka_protocol::messages::incremental_alter_configs_request::{
        AlterConfigsResource, AlterableConfig,
    };
    let resp: IncrementalAlterConfigsResponse = c.call(
        1,
        &IncrementalAlterConfigsRequest {
            resources: vec![AlterConfigsResource {
                resource_type: TOPIC,
                resource_name: topic.into(),
                configs: ops
                    .iter()
                    .map(|(n, op, v)| AlterableConfig {
                        name: n.to_string(),
                        config_operation: *op,
                        value: v.map(str::to_string),
                    })
                    .collect(),
            }],
            validate_only,
        },
    );
    let r = &resp.responses[0];
    (r.error_code, r.error_message.clone())
}

fn alter(
    c: &mut RawClient,
    rtype: i8,
    name: &str,
    configs: &[(&str, &str)],
    validate_only: bool,
) -> i16 {
    use kalfka_protocol::messages::alter_configs_request::{AlterConfigsResource, AlterableConfig};
    let resp: AlterConfigsResponse = c.call(
        2,
        &AlterConfigsRequest {
            resources: vec![AlterConfigsResource {
                resource_type: rtype,
                resource_name: name.into(),
                configs: configs
                    .iter()
                    .map(|(n, v)| AlterableConfig {
                        name: n.to_string(),
                        value: Some(v.to_string()),
                    })
                    .collect(),
            }],
            validate_only,
        },
    );
    resp.responses[0].error_code
}

fn create_partitions(
    c: &mut RawClient,
    topic: &str,
    count: i32,
    assignments: Option<Vec<Vec<i32>>>,
    validate_only: bool,
) -> i16 {
    let resp: CreatePartitionsResponse = c.call(
        3,
        &CreatePartitionsRequest {
            topics: vec![CreatePartitionsTopic {
                name: topic.into(),
                count,
                assignments: assignments.map(|a| {
                    a.into_iter()
                        .map(|broker_ids| CreatePartitionsAssignment { broker_ids })
                        .collect()
                }),
            }],
            timeout_ms: 5000,
            validate_only,
        },
    );
    assert_eq!(resp.results.len(), 1, "never an empty result array");
    resp.results[0].error_code
}

fn partition_count(c: &mut RawClient, topic: &str) -> usize {
    let resp: MetadataResponse = c.call(
        12,
        &MetadataRequest {
            topics: Some(vec![metadata_request::MetadataRequestTopic {
                name: Some(topic.into()),
                ..Default::default()
            }]),
            ..Default::default()
        },
    );
    resp.topics[0].partitions.len()
}

fn produce_one(c: &mut RawClient, topic: &str, partition: i32) -> i16 {
    let mut b = RecordBatchBuilder::new(Compression::None);
    b.append(1, Some(b"k"), Some(b"v"), &[]);
    let records: Bytes = b.build().expect("batch");
    c.produce_at(9, topic, partition, records, -1).0
}

#[test]
fn describe_configs_returns_every_config_with_its_source() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    c.create_topic("conf", 1, &[("retention.ms", "60000")]);

    let r = describe(&mut c, 4, TOPIC, "conf");
    assert_eq!(r.error_code, 0);
    assert!(
        r.configs.len() >= 30,
        "all topic configs, not only overrides"
    );
    assert_eq!(value_of(&r, "retention.ms"), ("60000".into(), 1, false));
    assert_eq!(value_of(&r, "cleanup.policy"), ("delete".into(), 5, false));
    let retention = r
        .configs
        .iter()
        .find(|c| c.name == "retention.ms")
        .expect("present");
    assert_eq!(retention.synonyms[0].source, 1);
    assert!(retention
        .synonyms
        .iter()
        .any(|s| s.name == "log.retention.ms" && s.source == 5));
    assert!(retention
        .documentation
        .as_deref()
        .is_some_and(|d| !d.is_empty()));
    assert_eq!(retention.config_type, 5, "LONG");

    // v0 reports defaults through is_default.
    let r0 = describe(&mut c, 0, TOPIC, "conf");
    assert!(value_of(&r0, "cleanup.policy").2);
    assert!(!value_of(&r0, "retention.ms").2);

    // Broker configs, read-only.
    let b = describe(&mut c, 1, BROKER, "0");
    assert_eq!(b.error_code, 0);
    assert_eq!(value_of(&b, "num.partitions").0, "1");
    assert!(b.configs.iter().all(|c| c.read_only));

    let missing = describe(&mut c, 4, TOPIC, "nope");
    assert_eq!(missing.error_code, code(ErrorCode::UnknownTopicOrPartition));
}

#[test]
fn alter_configs_replace_the_override_set_and_persist() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    c.create_topic("alt", 1, &[("retention.ms", "60000")]);

    assert_eq!(
        alter(&mut c, TOPIC, "alt", &[("segment.ms", "1000")], true),
        0
    );
    assert_eq!(
        value_of(&describe(&mut c, 4, TOPIC, "alt"), "segment.ms").1,
        5,
        "validate only"
    );

    assert_eq!(
        alter(&mut c, TOPIC, "alt", &[("segment.ms", "1000")], false),
        0
    );
    let r = describe(&mut c, 4, TOPIC, "alt");
    assert_eq!(value_of(&r, "segment.ms"), ("1000".into(), 1, false));
    assert_eq!(
        value_of(&r, "retention.ms").1,
        5,
        "the whole set was replaced"
    );

    assert_eq!(
        alter(&mut c, TOPIC, "alt", &[("segment.ms", "soon")], false),
        code(ErrorCode::InvalidConfig)
    );
    assert_eq!(
        alter(&mut c, TOPIC, "alt", &[("no.such", "1")], false),
        code(ErrorCode::InvalidConfig)
    );
    assert_eq!(
        alter(&mut c, TOPIC, "missing", &[("segment.ms", "1")], false),
        code(ErrorCode::UnknownTopicOrPartition)
    );
    assert_eq!(
        alter(&mut c, BROKER, "0", &[("num.partitions", "3")], false),
        // Kafka: INVALID_REQUEST, "Cannot update these configs dynamically" (the differential
        // check compares this with Kafka 4.4).
        code(ErrorCode::InvalidRequest)
    );

    drop(c);
    broker.stop();
    let broker = TestBroker::start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    let r = describe(&mut c, 4, TOPIC, "alt");
    assert_eq!(
        value_of(&r, "segment.ms"),
        ("1000".into(), 1, false),
        "persisted"
    );
}

#[test]
fn incremental_alter_configs_set_delete_append_subtract() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    c.create_topic("inc", 1, &[("retention.ms", "60000")]);

    let (e, _) = incremental(
        &mut c,
        "inc",
        &[("max.message.bytes", 0, Some("2000"))],
        false,
    );
    assert_eq!(e, 0);
    let r = describe(&mut c, 4, TOPIC, "inc");
    assert_eq!(value_of(&r, "max.message.bytes").0, "2000");
    assert_eq!(
        value_of(&r, "retention.ms").0,
        "60000",
        "other overrides kept"
    );

    assert_eq!(
        incremental(&mut c, "inc", &[("retention.ms", 1, None)], false).0,
        0
    );
    assert_eq!(
        value_of(&describe(&mut c, 4, TOPIC, "inc"), "retention.ms").1,
        5
    );

    assert_eq!(
        incremental(
            &mut c,
            "inc",
            &[("cleanup.policy", 2, Some("compact"))],
            false
        )
        .0,
        0
    );
    let r = describe(&mut c, 4, TOPIC, "inc");
    assert_eq!(
        value_of(&r, "cleanup.policy"),
        ("delete,compact".into(), 1, false)
    );
    assert_eq!(
        incremental(
            &mut c,
            "inc",
            &[("cleanup.policy", 3, Some("delete"))],
            false
        )
        .0,
        0
    );
    assert_eq!(
        value_of(&describe(&mut c, 4, TOPIC, "inc"), "cleanup.policy").0,
        "compact"
    );

    let (e, msg) = incremental(&mut c, "inc", &[("retention.ms", 2, Some("5"))], false);
    assert_eq!(e, code(ErrorCode::InvalidConfig), "{msg:?}");
    let (e, _) = incremental(&mut c, "inc", &[("retention.ms", 0, Some("x"))], false);
    assert_eq!(e, code(ErrorCode::InvalidConfig));
    let (e, _) = incremental(
        &mut c,
        "inc",
        &[("cleanup.policy", 0, Some("shred"))],
        false,
    );
    assert_eq!(e, code(ErrorCode::InvalidConfig));
    let (e, _) = incremental(&mut c, "nope", &[("retention.ms", 0, Some("1"))], false);
    assert_eq!(e, code(ErrorCode::UnknownTopicOrPartition));

    // validate_only leaves the topic unchanged.
    assert_eq!(
        incremental(&mut c, "inc", &[("retention.ms", 0, Some("7"))], true).0,
        0
    );
    assert_eq!(
        value_of(&describe(&mut c, 4, TOPIC, "inc"), "retention.ms").1,
        5
    );

    // max.message.bytes takes effect at once.
    let mut b = RecordBatchBuilder::new(Compression::None);
    b.append(1, None, Some(&[0u8; 4000]), &[]);
    let big = b.build().expect("batch");
    assert_eq!(
        c.produce_at(9, "inc", 0, big, -1).0,
        code(ErrorCode::MessageTooLarge)
    );
}

#[test]
fn create_partitions_grows_topics_and_rejects_shrinking() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    c.create_topic("grow", 1, &[]);

    assert_eq!(create_partitions(&mut c, "grow", 3, None, true), 0);
    assert_eq!(partition_count(&mut c, "grow"), 1, "validate only");
    assert_eq!(create_partitions(&mut c, "grow", 3, None, false), 0);
    assert_eq!(partition_count(&mut c, "grow"), 3);
    assert_eq!(produce_one(&mut c, "grow", 2), 0);

    assert_eq!(
        create_partitions(&mut c, "grow", 3, None, false),
        code(ErrorCode::InvalidPartitions)
    );
    assert_eq!(
        create_partitions(&mut c, "grow", 2, None, false),
        code(ErrorCode::InvalidPartitions)
    );
    assert_eq!(
        create_partitions(&mut c, "nope", 2, None, false),
        code(ErrorCode::UnknownTopicOrPartition)
    );
    assert_eq!(
        create_partitions(&mut c, "grow", 4, Some(vec![vec![7]]), false),
        // Kafka: "The manual partition assignment includes broker 7, but no such broker is
        // registered." (ReplicationControlManager.validateManualPartitionAssignment)
        code(ErrorCode::InvalidReplicaAssignment)
    );
    assert_eq!(
        create_partitions(&mut c, "grow", 4, Some(vec![vec![0]]), false),
        0
    );

    drop(c);
    broker.stop();
    let broker = TestBroker::start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    assert_eq!(partition_count(&mut c, "grow"), 4, "persisted");
}

#[test]
fn cluster_log_dirs_and_elections() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    c.create_topic("sized", 2, &[]);
    assert_eq!(produce_one(&mut c, "sized", 1), 0);

    let cluster: DescribeClusterResponse = c.call(1, &DescribeClusterRequest::default());
    assert_eq!(cluster.error_code, 0);
    assert_eq!(cluster.brokers.len(), 1);
    assert_eq!(cluster.brokers[0].port, i32::from(broker.addr.port()));
    assert_eq!(cluster.controller_id, 0);
    assert_eq!(cluster.cluster_id.len(), 22);

    let dirs: DescribeLogDirsResponse = c.call(4, &DescribeLogDirsRequest { topics: None });
    assert_eq!(dirs.results.len(), 1);
    let t = dirs.results[0]
        .topics
        .iter()
        .find(|t| t.name == "sized")
        .expect("topic listed");
    let size = |p: i32| {
        t.partitions
            .iter()
            .find(|x| x.partition_index == p)
            .map(|x| x.partition_size)
    };
    assert!(size(1).is_some_and(|s| s > 0), "real size on disk");
    assert!(size(0).is_some());

    let elect: ElectLeadersResponse = c.call(
        2,
        &ElectLeadersRequest {
            election_type: 0,
            topic_partitions: Some(vec![elect_leaders_request::TopicPartitions {
                topic: "sized".into(),
                partitions: vec![0, 5],
            }]),
            timeout_ms: 5000,
        },
    );
    let results = &elect.replica_election_results[0].partition_result;
    // Kafka: the preferred leader already leads, so ELECTION_NOT_NEEDED (84).
    assert_eq!(results[0].error_code, code(ErrorCode::ElectionNotNeeded));
    assert_eq!(
        results[1].error_code,
        code(ErrorCode::UnknownTopicOrPartition)
    );
}

#[test]
fn describe_topic_partitions_pages_with_a_cursor() {
    use kalfka_protocol::messages::describe_topic_partitions_request::{Cursor, TopicRequest};
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    c.create_topic("a-pages", 3, &[]);
    c.create_topic("b-pages", 2, &[]);
    let ask = |cursor: Option<Cursor>| DescribeTopicPartitionsRequest {
        topics: ["b-pages", "a-pages", "zz-missing"]
            .iter()
            .map(|n| TopicRequest {
                name: n.to_string(),
            })
            .collect(),
        response_partition_limit: 2,
        cursor,
    };
    let mut seen = Vec::new();
    let mut cursor = None;
    for _ in 0..10 {
        let resp: DescribeTopicPartitionsResponse = c.call(0, &ask(cursor.take()));
        for t in &resp.topics {
            if t.error_code == 0 {
                for p in &t.partitions {
                    seen.push((t.name.clone().unwrap_or_default(), p.partition_index));
                }
            } else {
                assert_eq!(t.error_code, code(ErrorCode::UnknownTopicOrPartition));
            }
        }
        match resp.next_cursor {
            Some(next) => {
                cursor = Some(Cursor {
                    topic_name: next.topic_name,
                    partition_index: next.partition_index,
                })
            }
            None => break,
        }
    }
    let want: Vec<(String, i32)> = [
        ("a-pages", 0),
        ("a-pages", 1),
        ("a-pages", 2),
        ("b-pages", 0),
        ("b-pages", 1),
    ]
    .iter()
    .map(|(n, p)| (n.to_string(), *p))
    .collect();
    assert_eq!(seen, want);
}

#[test]
fn client_quotas_are_stored_durably() {
    use kalfka_protocol::messages::alter_client_quotas_request::{EntityData, EntryData, OpData};
    use kalfka_protocol::messages::describe_client_quotas_request::ComponentData;
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = TestBroker::start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    let alter = |key: &str, value: f64| AlterClientQuotasRequest {
        entries: vec![EntryData {
            entity: vec![EntityData {
                entity_type: "client-id".into(),
                entity_name: Some("app".into()),
            }],
            ops: vec![OpData {
                key: key.into(),
                value,
                remove: false,
            }],
        }],
        validate_only: false,
    };
    let resp: AlterClientQuotasResponse = c.call(1, &alter("producer_byte_rate", 1024.0));
    assert_eq!(resp.entries[0].error_code, 0);
    let resp: AlterClientQuotasResponse = c.call(1, &alter("bogus_rate", 1.0));
    assert_eq!(resp.entries[0].error_code, code(ErrorCode::InvalidRequest));

    drop(c);
    broker.stop();
    let broker = TestBroker::start(dir.path());
    let mut c = RawClient::connect(broker.addr);
    let resp: DescribeClientQuotasResponse = c.call(
        1,
        &DescribeClientQuotasRequest {
            components: vec![ComponentData {
                entity_type: "client-id".into(),
                match_type: 0,
                r#match: Some("app".into()),
            }],
            strict: false,
        },
    );
    assert_eq!(resp.error_code, 0);
    let entries = resp.entries.expect("entries");
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].values[0].key, "producer_byte_rate");
    assert_eq!(entries[0].values[0].value, 1024.0);
}
