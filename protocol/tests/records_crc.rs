//! CRC coverage, in-place patches and validation errors.

use bytes::Bytes;
use kalfka_protocol::records::{
    compute_crc, peek_batch_size, set_base_offset, set_log_append_time, set_partition_leader_epoch,
    validate_batch, write_crc, Compression, ControlRecordType, EndTransactionMarker, RecordBatch,
    RecordBatchBuilder, RecordBatchHeader, RecordsError, TimestampType, LOG_OVERHEAD,
    RECORD_BATCH_OVERHEAD,
};

const T: i64 = 1_700_000_000_000;

fn sample(codec: Compression) -> Vec<u8> {
    RecordBatchBuilder::new(codec)
        .producer(7, 1, 0)
        .append(T, Some(b"a"), Some(b"one"), &[("h", Some(b"1"))])
        .append(T + 10, None, Some(b"two"), &[])
        .append(T + 5, Some(b"c"), None, &[])
        .build()
        .unwrap()
        .to_vec()
}

#[test]
fn flipping_any_covered_byte_fails_crc() {
    for codec in [Compression::None, Compression::Gzip, Compression::Zstd] {
        let batch = sample(codec);
        for i in 21..batch.len() {
            for mask in [0x01u8, 0x80] {
                let mut bad = batch.clone();
                bad[i] ^= mask;
                let parsed = RecordBatch::parse(Bytes::from(bad.clone()));
                // The header stays parseable (only bytes >= 21 changed, lengths untouched).
                let parsed = parsed.unwrap();
                assert!(
                    matches!(parsed.verify_crc(), Err(RecordsError::CorruptCrc { .. })),
                    "{codec:?} byte {i}"
                );
                assert!(validate_batch(&bad).is_err(), "{codec:?} byte {i}");
            }
        }
    }
}

#[test]
fn crc_error_reports_both_values() {
    let mut batch = sample(Compression::None);
    let stored = RecordBatchHeader::parse(&batch).unwrap().crc;
    let last = batch.len() - 1;
    batch[last] ^= 0xff;
    let actual = compute_crc(&batch);
    assert_eq!(
        validate_batch(&batch),
        Err(RecordsError::CorruptCrc {
            expected: stored,
            actual
        })
    );
    write_crc(&mut batch);
    assert!(validate_batch(&batch).is_ok());
}

#[test]
fn uncovered_patches_keep_crc_valid() {
    let mut batch = sample(Compression::Lz4);
    let before = validate_batch(&batch).unwrap();
    set_base_offset(&mut batch, 123_456_789);
    set_partition_leader_epoch(&mut batch, 42);
    let after = validate_batch(&batch).unwrap();
    assert_eq!(after.base_offset, 123_456_789);
    assert_eq!(after.partition_leader_epoch, 42);
    assert_eq!(after.crc, before.crc);
    assert_eq!(after.last_offset(), 123_456_791);
    assert_eq!(after.next_offset(), 123_456_792);
    let records = RecordBatch::parse(Bytes::from(batch))
        .unwrap()
        .records()
        .unwrap();
    let offsets: Vec<i64> = records.iter().map(|r| r.offset(&after)).collect();
    assert_eq!(offsets, [123_456_789, 123_456_790, 123_456_791]);
}

#[test]
fn log_append_time_recomputes_crc() {
    let mut batch = sample(Compression::Snappy);
    let before = validate_batch(&batch).unwrap();
    assert_eq!(before.timestamp_type(), TimestampType::CreateTime);
    assert_eq!(before.max_timestamp, T + 10);
    let now = T + 99_999;
    set_log_append_time(&mut batch, now);
    let after = validate_batch(&batch).unwrap();
    assert_ne!(after.crc, before.crc);
    assert_eq!(after.timestamp_type(), TimestampType::LogAppendTime);
    assert_eq!(after.max_timestamp, now);
    assert_eq!(after.compression(), Ok(Compression::Snappy));
    assert_eq!(after.producer_id, 7);
    let records = RecordBatch::parse(Bytes::from(batch))
        .unwrap()
        .records()
        .unwrap();
    assert!(records.iter().all(|r| r.timestamp(&after) == now));
    // The deltas are untouched.
    assert_eq!(records[1].timestamp_delta, 10);
}

#[test]
fn validation_errors() {
    let good = sample(Compression::None);
    assert!(validate_batch(&good).is_ok());

    // Too short for the length prefix / the header / the batch.
    assert_eq!(validate_batch(&good[..5]), Err(RecordsError::Truncated));
    assert_eq!(validate_batch(&good[..40]), Err(RecordsError::Truncated));
    assert_eq!(
        validate_batch(&good[..good.len() - 1]),
        Err(RecordsError::Truncated)
    );

    // Trailing bytes.
    let mut long = good.clone();
    long.push(0);
    assert!(matches!(
        validate_batch(&long),
        Err(RecordsError::InvalidLength(_))
    ));

    // Bad lengths.
    for len in [-1i32, 0, 48, i32::MIN] {
        let mut bad = good.clone();
        bad[8..12].copy_from_slice(&len.to_be_bytes());
        assert_eq!(validate_batch(&bad), Err(RecordsError::InvalidLength(len)));
        assert_eq!(peek_batch_size(&bad), Err(RecordsError::InvalidLength(len)));
    }

    // Magic.
    for magic in [0i8, 1, 3, -1] {
        let mut bad = good.clone();
        bad[16] = magic as u8;
        assert_eq!(validate_batch(&bad), Err(RecordsError::InvalidMagic(magic)));
        assert_eq!(
            RecordBatch::parse(Bytes::from(bad)).unwrap_err(),
            RecordsError::InvalidMagic(magic)
        );
    }

    // Record count / last offset delta (CRC fixed up so those checks are reached).
    let patch = |at: usize, v: i32| {
        let mut bad = good.clone();
        bad[at..at + 4].copy_from_slice(&v.to_be_bytes());
        write_crc(&mut bad);
        bad
    };
    assert_eq!(
        validate_batch(&patch(57, 0)),
        Err(RecordsError::InvalidRecordCount)
    );
    assert_eq!(
        validate_batch(&patch(57, -5)),
        Err(RecordsError::InvalidRecordCount)
    );
    assert_eq!(
        validate_batch(&patch(23, 5)),
        Err(RecordsError::InvalidRecordCount)
    );

    // Compression ids 5..=7.
    for id in 5i16..=7 {
        let mut bad = good.clone();
        bad[21..23].copy_from_slice(&id.to_be_bytes());
        write_crc(&mut bad);
        assert_eq!(
            validate_batch(&bad),
            Err(RecordsError::InvalidCompression(id))
        );
        let batch = RecordBatch::parse(Bytes::from(bad)).unwrap();
        assert_eq!(batch.records(), Err(RecordsError::InvalidCompression(id)));
    }
}

#[test]
fn record_count_must_match_content() {
    let good = sample(Compression::Gzip);
    for count in [2, 4, 1_000_000, i32::MAX] {
        let mut bad = good.clone();
        bad[57..61].copy_from_slice(&count.to_be_bytes());
        let batch = RecordBatch::parse(Bytes::from(bad)).unwrap();
        assert!(batch.records().is_err(), "count {count}");
    }
}

#[test]
fn peek_and_header_helpers() {
    let good = sample(Compression::None);
    assert_eq!(peek_batch_size(&good[..11]), Ok(None));
    assert_eq!(peek_batch_size(&good[..12]), Ok(Some(good.len())));
    assert_eq!(
        RecordBatchHeader::parse(&good[..60]),
        Err(RecordsError::Truncated)
    );
    let h = RecordBatchHeader::parse(&good).unwrap();
    assert_eq!(h.total_size(), good.len());
    assert_eq!(h.batch_length as usize + LOG_OVERHEAD, good.len());
    assert_eq!(&h.to_bytes()[..], &good[..RECORD_BATCH_OVERHEAD]);
    assert_eq!(
        (h.producer_id, h.producer_epoch, h.base_sequence),
        (7, 1, 0)
    );
    assert_eq!(h.partition_leader_epoch, -1);
}

#[test]
fn decompression_is_bounded() {
    // 4 MiB of zeros compress to a few KiB with every codec; a 1 MiB limit must reject them.
    let big = vec![0u8; 4 << 20];
    for codec in [
        Compression::Gzip,
        Compression::Snappy,
        Compression::Lz4,
        Compression::Zstd,
    ] {
        let bytes = RecordBatchBuilder::new(codec)
            .append(T, None, Some(&big), &[])
            .build()
            .unwrap();
        assert!(bytes.len() < 1 << 20, "{codec:?}");
        let batch = RecordBatch::parse(bytes).unwrap();
        assert!(
            matches!(
                batch.records_with_limit(1 << 20),
                Err(RecordsError::Decompress(_))
            ),
            "{codec:?}"
        );
        assert_eq!(
            batch.records().unwrap()[0].value.as_ref().unwrap().len(),
            big.len()
        );
    }
}

#[test]
fn transaction_markers() {
    for (kind, commit) in [
        (ControlRecordType::Commit, true),
        (ControlRecordType::Abort, false),
    ] {
        let marker = EndTransactionMarker {
            kind,
            coordinator_epoch: 17,
        };
        let bytes = marker.build_batch(99, 3, T).unwrap();
        let header = validate_batch(&bytes).unwrap();
        assert!(header.is_control() && header.is_transactional());
        assert_eq!((header.producer_id, header.producer_epoch), (99, 3));
        let records = RecordBatch::parse(bytes).unwrap().records().unwrap();
        assert_eq!(records.len(), 1);
        let key = records[0].key.as_deref().unwrap();
        assert_eq!(key, [0, 0, 0, u8::from(commit)]);
        assert_eq!(EndTransactionMarker::parse(&records[0]), Ok(marker));
    }
}

#[test]
fn empty_builder_is_an_error() {
    assert_eq!(
        RecordBatchBuilder::new(Compression::None).build(),
        Err(RecordsError::InvalidRecordCount)
    );
}
