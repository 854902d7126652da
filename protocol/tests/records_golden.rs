//! Golden record batches produced by an independent implementation (kafka-python's
//! `DefaultRecordBatchBuilder` with python-snappy / lz4 / zstandard; see
//! `tests/data/records/gen_fixtures.py`), decoded and checked field by field.

use bytes::Bytes;
use kalfka_protocol::records::{
    batches, validate_batch, Compression, Record, RecordBatch, RecordBatchBuilder, RecordHeader,
    RecordsError, TimestampType,
};

const T: i64 = 1_700_000_000_000;
const FILLER: &str = " lorem ipsum dolor sit amet";

fn fixture(name: &str) -> Bytes {
    let path = format!("{}/tests/data/records/{name}", env!("CARGO_MANIFEST_DIR"));
    Bytes::from(std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}")))
}

fn value(i: usize) -> Bytes {
    Bytes::from(format!("value-{i}{}", FILLER.repeat(8)))
}

fn b(s: &'static [u8]) -> Option<Bytes> {
    Some(Bytes::from_static(s))
}

fn hdr(key: &str, value: Option<Bytes>) -> RecordHeader {
    RecordHeader {
        key: key.to_string(),
        value,
    }
}

/// The records every fixture holds (mirrors `RECORDS` in gen_fixtures.py).
fn expected_records() -> Vec<Record> {
    vec![
        Record {
            attributes: 0,
            timestamp_delta: 0,
            offset_delta: 0,
            key: b(b"key-0"),
            value: Some(value(0)),
            headers: vec![hdr("trace-id", b(b"abc123")), hdr("empty", None)],
        },
        Record {
            attributes: 0,
            timestamp_delta: 5,
            offset_delta: 1,
            key: None,
            value: Some(value(1)),
            headers: vec![],
        },
        Record {
            attributes: 0,
            timestamp_delta: -3,
            offset_delta: 2,
            key: b(b"key-2"),
            value: None,
            headers: vec![hdr("h", b(b""))],
        },
        Record {
            attributes: 0,
            timestamp_delta: 1000,
            offset_delta: 3,
            key: b(b""),
            value: Some(value(3)),
            headers: vec![hdr("\u{fc}-utf8", b(b"\x00\xff"))],
        },
    ]
}

/// Validates and decodes a 4-record fixture, checking header fields, offsets and timestamps.
fn check_fixture(
    name: &str,
    codec: Compression,
    base_offset: i64,
    leader_epoch: i32,
) -> Vec<Record> {
    let bytes = fixture(name);
    let header = validate_batch(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(header.magic, 2);
    assert_eq!(header.compression(), Ok(codec), "{name}");
    assert_eq!(header.base_offset, base_offset);
    assert_eq!(header.partition_leader_epoch, leader_epoch);
    assert_eq!(header.record_count, 4);
    assert_eq!(header.last_offset_delta, 3);
    assert_eq!(header.base_timestamp, T);
    assert_eq!(header.max_timestamp, T + 1000);
    assert_eq!(
        (
            header.producer_id,
            header.producer_epoch,
            header.base_sequence
        ),
        (-1, -1, -1)
    );
    assert_eq!(header.timestamp_type(), TimestampType::CreateTime);
    assert!(!header.is_transactional() && !header.is_control());
    assert_eq!(header.total_size(), bytes.len());
    assert_eq!(header.next_offset(), base_offset + 4);

    let batch = RecordBatch::parse(bytes).expect("parse");
    batch.verify_crc().expect("crc");
    let records = batch.records().unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(records, expected_records(), "{name}");
    let offsets: Vec<i64> = records.iter().map(|r| r.offset(&header)).collect();
    let expected: Vec<i64> = (base_offset..base_offset + 4).collect();
    assert_eq!(offsets, expected);
    let ts: Vec<i64> = records.iter().map(|r| r.timestamp(&header)).collect();
    assert_eq!(ts, [T, T + 5, T - 3, T + 1000]);
    records
}

#[test]
fn golden_uncompressed() {
    check_fixture("none.bin", Compression::None, 0, 0);
}

#[test]
fn golden_gzip_with_broker_patched_offset_and_epoch() {
    check_fixture("gzip.bin", Compression::Gzip, 1000, 5);
}

#[test]
fn golden_snappy_xerial() {
    let bytes = fixture("snappy_xerial.bin");
    assert_eq!(
        &bytes[61..69],
        b"\x82SNAPPY\x00",
        "fixture must be xerial-framed"
    );
    check_fixture("snappy_xerial.bin", Compression::Snappy, 0, 0);
}

#[test]
fn golden_snappy_raw() {
    let bytes = fixture("snappy_raw.bin");
    assert_ne!(
        &bytes[61..69],
        b"\x82SNAPPY\x00",
        "fixture must be a raw block"
    );
    check_fixture("snappy_raw.bin", Compression::Snappy, 0, 0);
}

#[test]
fn golden_lz4() {
    let bytes = fixture("lz4.bin");
    assert_eq!(&bytes[61..65], [0x04, 0x22, 0x4d, 0x18], "lz4 frame magic");
    check_fixture("lz4.bin", Compression::Lz4, 0, 0);
}

#[test]
fn golden_zstd() {
    let bytes = fixture("zstd.bin");
    assert_eq!(&bytes[61..65], [0x28, 0xb5, 0x2f, 0xfd], "zstd frame magic");
    check_fixture("zstd.bin", Compression::Zstd, 0, 0);
}

#[test]
fn xerial_and_raw_snappy_decode_identically() {
    let xerial = RecordBatch::parse(fixture("snappy_xerial.bin")).unwrap();
    let raw = RecordBatch::parse(fixture("snappy_raw.bin")).unwrap();
    assert_eq!(xerial.records().unwrap(), raw.records().unwrap());

    // Same with our own builder, both forms.
    let mut builder = RecordBatchBuilder::new(Compression::Snappy);
    for i in 0..50 {
        builder.append(
            T + i,
            Some(format!("k{i}").as_bytes()),
            Some(&[b'x'; 5000]),
            &[],
        );
    }
    let raw = builder.build().unwrap();
    let xerial = builder.snappy_xerial(true).build().unwrap();
    assert_ne!(raw, xerial);
    assert_eq!(&xerial[61..69], b"\x82SNAPPY\x00");
    let decode = |b: Bytes| RecordBatch::parse(b).unwrap().records().unwrap();
    let (a, b) = (decode(raw), decode(xerial));
    assert_eq!(a.len(), 50);
    assert_eq!(a, b);
}

#[test]
fn golden_idempotent_transactional() {
    let bytes = fixture("idempotent_txn.bin");
    let header = validate_batch(&bytes).unwrap();
    assert_eq!(
        (
            header.producer_id,
            header.producer_epoch,
            header.base_sequence
        ),
        (4242, 7, 100)
    );
    assert!(header.is_transactional());
    assert!(!header.is_control());
    assert_eq!(header.record_count, 2);
    assert_eq!(header.max_timestamp, T + 5);
    let records = RecordBatch::parse(bytes).unwrap().records().unwrap();
    assert_eq!(records, expected_records()[..2]);
}

/// Hand-assembled bytes (independent of both producers): one record, key "k", value "v",
/// no headers, CRC computed by hand-checked constant.
#[test]
fn hand_assembled_minimal_batch() {
    let mut batch: Vec<u8> = Vec::new();
    batch.extend_from_slice(&42i64.to_be_bytes()); // base offset
    batch.extend_from_slice(&(49i32 + 9).to_be_bytes()); // batch length
    batch.extend_from_slice(&(-1i32).to_be_bytes()); // leader epoch
    batch.push(2); // magic
    batch.extend_from_slice(&[0; 4]); // crc, filled below
    batch.extend_from_slice(&0i16.to_be_bytes()); // attributes
    batch.extend_from_slice(&0i32.to_be_bytes()); // last offset delta
    batch.extend_from_slice(&T.to_be_bytes()); // base timestamp
    batch.extend_from_slice(&T.to_be_bytes()); // max timestamp
    batch.extend_from_slice(&(-1i64).to_be_bytes());
    batch.extend_from_slice(&(-1i16).to_be_bytes());
    batch.extend_from_slice(&(-1i32).to_be_bytes());
    batch.extend_from_slice(&1i32.to_be_bytes()); // record count
                                                  // length 8 (zigzag 16), attrs 0, ts delta 0, offset delta 0, key len 1 (2) "k",
                                                  // value len 1 (2) "v", header count 0.
    batch.extend_from_slice(&[0x10, 0x00, 0x00, 0x00, 0x02, b'k', 0x02, b'v', 0x00]);
    let crc = crc32c::crc32c(&batch[21..]);
    batch[17..21].copy_from_slice(&crc.to_be_bytes());

    let header = validate_batch(&batch).unwrap();
    assert_eq!(header.crc, crc);
    let built = RecordBatchBuilder::new(Compression::None)
        .base_offset(42)
        .append(T, Some(b"k"), Some(b"v"), &[])
        .build()
        .unwrap();
    assert_eq!(&built[..], &batch[..], "builder output is byte-identical");
    let records = RecordBatch::parse(Bytes::from(batch))
        .unwrap()
        .records()
        .unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].offset(&header), 42);
    assert_eq!(records[0].key.as_deref(), Some(&b"k"[..]));
}

#[test]
fn builder_matches_fixtures_for_every_codec() {
    for codec in [
        Compression::None,
        Compression::Gzip,
        Compression::Snappy,
        Compression::Lz4,
        Compression::Zstd,
    ] {
        let mut builder = RecordBatchBuilder::new(codec);
        for r in expected_records() {
            let headers: Vec<(&str, Option<&[u8]>)> = r
                .headers
                .iter()
                .map(|h| (h.key.as_str(), h.value.as_deref()))
                .collect();
            builder.append(
                T + r.timestamp_delta,
                r.key.as_deref(),
                r.value.as_deref(),
                &headers,
            );
        }
        let bytes = builder.build().unwrap();
        let header = validate_batch(&bytes).unwrap();
        assert_eq!(header.compression(), Ok(codec));
        assert_eq!((header.base_timestamp, header.max_timestamp), (T, T + 1000));
        let records = RecordBatch::parse(bytes.clone())
            .unwrap()
            .records()
            .unwrap();
        assert_eq!(records, expected_records(), "{codec:?}");
        if codec == Compression::None {
            // kafka-python and our builder agree byte for byte, except the leader epoch
            // (kafka-python writes 0, producers like Java write -1).
            let mut golden = fixture("none.bin").to_vec();
            golden[12..16].copy_from_slice(&(-1i32).to_be_bytes());
            assert_eq!(&bytes[..], &golden[..]);
        }
    }
}

#[test]
fn batches_splits_fixture_blob() {
    let names = [
        "none.bin",
        "gzip.bin",
        "snappy_xerial.bin",
        "snappy_raw.bin",
        "lz4.bin",
        "zstd.bin",
    ];
    let mut blob = Vec::new();
    for n in names {
        blob.extend_from_slice(&fixture(n));
    }
    let all: Vec<RecordBatch> = batches(Bytes::from(blob.clone()))
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(all.len(), names.len());
    for (batch, name) in all.iter().zip(names) {
        assert_eq!(batch.as_bytes(), &fixture(name));
        batch.verify_crc().unwrap();
        assert_eq!(batch.records().unwrap(), expected_records());
    }
    // A partial tail: every batch before it, then one Truncated, then the end.
    for cut in [1, 11, 12, 30, 61, 100] {
        let short = Bytes::from(blob[..blob.len() - cut].to_vec());
        let items: Vec<_> = batches(short).collect();
        assert_eq!(items.len(), names.len(), "cut {cut}");
        assert!(items[..names.len() - 1].iter().all(Result::is_ok));
        assert_eq!(
            items.last().unwrap().as_ref().unwrap_err(),
            &RecordsError::Truncated
        );
    }
}
