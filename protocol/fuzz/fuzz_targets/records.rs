//! Fuzz target: record batch validation, splitting and record decoding on arbitrary bytes.
//!
//! Run with `cargo fuzz run records` from `protocol/`. Besides raw input, the target also feeds
//! the input behind a well-formed header (consistent length, correct CRC, codec from the first
//! byte) so the decompressors and the record decoder are reached without guessing a CRC.
#![no_main]

use bytes::Bytes;
use kalfka_protocol::records::{
    batches, peek_batch_size, validate_batch, write_crc, RecordBatch, RecordBatchHeader,
};
use libfuzzer_sys::fuzz_target;

/// Decompression limit for the fuzzer: small, so that bombs are cut short quickly.
const LIMIT: usize = 4 << 20;

fn exercise(data: Bytes) {
    let _ = validate_batch(&data);
    let _ = peek_batch_size(&data);
    if let Ok(h) = RecordBatchHeader::parse(&data) {
        let _ = (
            h.compression(),
            h.timestamp_type(),
            h.total_size(),
            h.next_offset(),
        );
    }
    for batch in batches(data).take(256) {
        let Ok(batch) = batch else { break };
        let _ = batch.verify_crc();
        if let Ok(records) = batch.records_with_limit(LIMIT) {
            for r in &records {
                let _ = (r.offset(batch.header()), r.timestamp(batch.header()));
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    exercise(Bytes::copy_from_slice(data));

    // Same bytes as the records region of a batch with a valid header.
    if let Some((&sel, body)) = data.split_first() {
        let Ok(batch_length) = i32::try_from(49 + body.len()) else {
            return;
        };
        let count = i32::from(sel >> 3) % 16;
        let header = RecordBatchHeader {
            base_offset: 0,
            batch_length,
            partition_leader_epoch: -1,
            magic: 2,
            crc: 0,
            attributes: i16::from(sel & 0x07),
            last_offset_delta: count - 1,
            base_timestamp: 0,
            max_timestamp: 0,
            producer_id: -1,
            producer_epoch: -1,
            base_sequence: -1,
            record_count: count,
        };
        let mut batch = header.to_bytes().to_vec();
        batch.extend_from_slice(body);
        write_crc(&mut batch);
        let batch = Bytes::from(batch);
        let _ = validate_batch(&batch);
        if let Ok(b) = RecordBatch::parse(batch) {
            let _ = b.records_with_limit(LIMIT);
        }
    }
});
