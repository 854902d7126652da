//! Partition log benchmarks: appending 1 KiB batches and reading them back.

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use kalfka::log::{LogConfig, PartitionLog};
use kalfka_protocol::records::{Compression, RecordBatchBuilder};

/// A batch of about 1 KiB: 4 records of 220-byte values.
fn one_kib_batch() -> Vec<u8> {
    let mut b = RecordBatchBuilder::new(Compression::None);
    for i in 0..4 {
        b.append(
            1_700_000_000_000 + i,
            Some(b"key"),
            Some(&[i as u8; 220]),
            &[],
        );
    }
    b.build().expect("build batch").to_vec()
}

fn config() -> LogConfig {
    LogConfig {
        segment_bytes: 64 * 1024 * 1024,
        ..LogConfig::default()
    }
}

fn bench_append(c: &mut Criterion) {
    let template = one_kib_batch();
    let mut group = c.benchmark_group("log");
    group.throughput(Throughput::Bytes(template.len() as u64 * 1_000));
    group.bench_function("append_1000x1KiB", |bench| {
        bench.iter_batched(
            || {
                let dir = tempfile::tempdir().expect("tempdir");
                let log = PartitionLog::open(dir.path(), config()).expect("open");
                (dir, log, template.clone())
            },
            |(dir, log, mut batch)| {
                for _ in 0..1_000 {
                    black_box(log.append(&mut batch).expect("append"));
                }
                (dir, log)
            },
            BatchSize::PerIteration,
        );
    });

    let dir = tempfile::tempdir().expect("tempdir");
    let log = PartitionLog::open(dir.path(), config()).expect("open");
    let mut batch = template.clone();
    for _ in 0..10_000 {
        log.append(&mut batch).expect("append");
    }
    group.throughput(Throughput::Bytes(1024 * 1024));
    group.bench_function("read_1MiB_sequential", |bench| {
        let mut next = 0;
        bench.iter(|| {
            if next >= log.log_end_offset() {
                next = 0;
            }
            let r = log.read(next, 1024 * 1024).expect("read");
            next += r.bytes.len() as i64 / template.len() as i64 * 4;
            black_box(r.bytes.len())
        });
    });
    group.throughput(Throughput::Elements(1));
    group.bench_function("read_one_batch_random", |bench| {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        bench.iter(|| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let offset = (x % log.log_end_offset() as u64) as i64;
            black_box(log.read(offset, 1).expect("read").bytes.len())
        });
    });
    group.finish();
}

criterion_group!(benches, bench_append);
criterion_main!(benches);
