//! Codec benchmarks: a ProduceRequest with a 16 KiB records blob and a 100-topic MetadataResponse.

use bytes::Bytes;
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use kalfka_protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use kalfka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kalfka_protocol::messages::{MetadataResponse, ProduceRequest};
use kalfka_protocol::Message;

fn produce() -> ProduceRequest {
    ProduceRequest {
        transactional_id: None,
        acks: -1,
        timeout_ms: 30_000,
        topic_data: vec![TopicProduceData {
            name: "bench-topic".into(),
            partition_data: vec![PartitionProduceData {
                index: 0,
                records: Some(Bytes::from(vec![0xab; 16 * 1024])),
            }],
        }],
    }
}

fn metadata() -> MetadataResponse {
    MetadataResponse {
        brokers: vec![MetadataResponseBroker {
            node_id: 1,
            host: "127.0.0.1".into(),
            port: 9092,
            rack: None,
        }],
        cluster_id: Some("kalfka".into()),
        controller_id: 1,
        topics: (0..100)
            .map(|t| MetadataResponseTopic {
                name: Some(format!("topic-{t}")),
                partitions: (0..3)
                    .map(|p| MetadataResponsePartition {
                        partition_index: p,
                        leader_id: 1,
                        replica_nodes: vec![1],
                        isr_nodes: vec![1],
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}

fn bench(c: &mut Criterion) {
    let p = produce();
    for v in [7i16, 11] {
        let bytes = p.encode_to_bytes(v).expect("encode");
        c.bench_function(&format!("produce_request_v{v}_decode_16k"), |b| {
            b.iter(|| ProduceRequest::decode_from(black_box(&bytes), v).expect("decode"))
        });
        c.bench_function(&format!("produce_request_v{v}_encode_16k"), |b| {
            b.iter(|| black_box(&p).encode_to_bytes(v).expect("encode"))
        });
    }
    let m = metadata();
    for v in [5i16, 12] {
        let bytes = m.encode_to_bytes(v).expect("encode");
        c.bench_function(&format!("metadata_response_v{v}_decode_100_topics"), |b| {
            b.iter(|| MetadataResponse::decode_from(black_box(&bytes), v).expect("decode"))
        });
        c.bench_function(&format!("metadata_response_v{v}_encode_100_topics"), |b| {
            b.iter(|| black_box(&m).encode_to_bytes(v).expect("encode"))
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
