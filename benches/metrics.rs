//! What recording metrics costs per request on the produce path: the request count and
//! latency (two clock reads and an atomic histogram), the response's error codes, and the
//! partition's bytes/messages in. Multiply by requests per message (about 1 in 7,000 for
//! librdkafka producing 100 B records with linger.ms=5) for the cost per message.

use std::time::{Duration, Instant};

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use kalfka::metrics::BrokerMetrics;
use kalfka::partition::PartitionStats;
use kalfka_protocol::messages::produce_response::{PartitionProduceResponse, TopicProduceResponse};
use kalfka_protocol::messages::ProduceResponse;

fn bench_recording(c: &mut Criterion) {
    let metrics = BrokerMetrics::new(true);
    let stats = PartitionStats::default();
    let response = ProduceResponse {
        responses: vec![TopicProduceResponse {
            name: "t".into(),
            partition_responses: vec![PartitionProduceResponse::default()],
        }],
        ..Default::default()
    };
    c.bench_function("metrics/produce_request_recording", |b| {
        b.iter(|| {
            let started = Instant::now();
            black_box(&response).for_each_error_code(&mut |code| metrics.record_error(0, code));
            stats.record_in(black_box(700_000), black_box(7_000));
            metrics.record_request(0, started.elapsed());
        })
    });
    c.bench_function("metrics/histogram_observe", |b| {
        let h = kalfka::metrics::AtomicHistogram::new();
        b.iter(|| h.observe(black_box(Duration::from_micros(170))))
    });
}

criterion_group!(benches, bench_recording);
criterion_main!(benches);
