//! [`ValidatedBatch`]: a produced record batch that passed every check Kafka's log validator
//! makes before an append, with its header parsed once and handed down to the log.
//!
//! The checks, in Kafka's order and with its error codes:
//! - exactly one batch per partition in a request (INVALID_RECORD), no larger than the topic's
//!   `max.message.bytes` (MESSAGE_TOO_LARGE);
//! - the batch header: magic 2, length, CRC-32C (CORRUPT_MESSAGE), `record_count` matching
//!   `last_offset_delta` (INVALID_RECORD), a known codec, zstd only from Produce v7
//!   (UNSUPPORTED_COMPRESSION_TYPE), no control batch and no negative sequence from a
//!   producer (INVALID_RECORD);
//! - every record: exactly `record_count` of them filling the batch, offset deltas 0..count,
//!   lengths and varints in bounds, the payload decompressing (INVALID_RECORD; see
//!   [`check_records`]; more than 64 MiB, or `max.message.bytes` if larger, of decompressed
//!   records is refused as a decompression bomb — Kafka bounds only the batch as sent);
//! - per-record rules: keys on compacted topics (INVALID_RECORD), CreateTime timestamps
//!   within `message.timestamp.before/after.max.ms` and no producer-set LogAppendTime
//!   (INVALID_TIMESTAMP) — reported per record, as KIP-467 `record_errors`.
//!
//! A topic with `message.timestamp.type=LogAppendTime` gets its batches stamped here.

use bytes::Bytes;
use kalfka_protocol::records::{
    batches, check_records, set_log_append_time, validate_batch, Compression, RecordBatchHeader,
    RecordViolation,
};

use super::TopicSettings;
use crate::error::BrokerError;

/// First Produce version allowed to carry zstd batches (KIP-110).
const FIRST_ZSTD_VERSION: i16 = 7;

/// A batch ready to append: every check passed; owns the one copy of the bytes the log
/// patches offsets into.
#[derive(Debug, Clone)]
pub struct ValidatedBatch {
    header: RecordBatchHeader,
    bytes: Vec<u8>,
    log_append_time: Option<i64>,
}

/// Why a produced partition's records are refused.
#[derive(Debug)]
pub enum Rejected {
    /// The batch as a whole is invalid.
    Batch(BrokerError),
    /// These records break the topic's rules; the batch is refused with them listed.
    Records(Vec<RecordViolation>),
}

impl From<BrokerError> for Rejected {
    fn from(e: BrokerError) -> Self {
        Rejected::Batch(e)
    }
}

impl ValidatedBatch {
    /// Validates the records a client produced to one partition of a topic with `settings`,
    /// with Produce `version`, at `now_ms`.
    pub fn validate(
        records: Bytes,
        settings: &TopicSettings,
        version: i16,
        now_ms: i64,
    ) -> Result<ValidatedBatch, Rejected> {
        let mut all = batches(records);
        let batch = match all.next() {
            Some(batch) => batch.map_err(BrokerError::from)?,
            None => {
                return Err(Rejected::Batch(BrokerError::InvalidRecord(
                    "produce request without a record batch".into(),
                )))
            }
        };
        if all.next().is_some() {
            return Err(Rejected::Batch(BrokerError::InvalidRecord(
                "a partition's records must be exactly one record batch".into(),
            )));
        }
        let bytes = batch.as_bytes();
        let max = settings.max_message_bytes;
        if bytes.len() > max {
            return Err(Rejected::Batch(BrokerError::MessageTooLarge {
                size: bytes.len(),
                max,
            }));
        }
        let header = validate_batch(bytes).map_err(BrokerError::from)?;
        if header.is_control() {
            return Err(Rejected::Batch(BrokerError::InvalidRecord(
                "clients may not produce control batches".into(),
            )));
        }
        if header.has_producer_id() && header.base_sequence < 0 {
            return Err(Rejected::Batch(BrokerError::InvalidRecord(format!(
                "invalid sequence number {} for producer {}",
                header.base_sequence, header.producer_id
            ))));
        }
        if header.compression().map_err(BrokerError::from)? == Compression::Zstd
            && version < FIRST_ZSTD_VERSION
        {
            return Err(Rejected::Batch(BrokerError::UnsupportedCompressionType));
        }
        let violations = check_records(bytes, &header, &settings.record_rules(now_ms))
            .map_err(BrokerError::from)?;
        if !violations.is_empty() {
            return Err(Rejected::Records(violations));
        }
        let mut bytes = bytes.to_vec();
        let log_append_time = settings.log_append_time.then(|| {
            set_log_append_time(&mut bytes, now_ms);
            now_ms
        });
        Ok(ValidatedBatch {
            header,
            bytes,
            log_append_time,
        })
    }

    /// Wraps a batch the broker built itself (tests, markers); it is trusted as it is.
    pub fn trusted(bytes: Vec<u8>) -> Result<ValidatedBatch, BrokerError> {
        let header = RecordBatchHeader::parse(&bytes)?;
        Ok(ValidatedBatch {
            header,
            bytes,
            log_append_time: None,
        })
    }

    /// The batch header as the client sent it (offsets not yet assigned).
    pub fn header(&self) -> &RecordBatchHeader {
        &self.header
    }

    /// The LogAppendTime stamped on the batch, if the topic uses it.
    pub fn log_append_time(&self) -> Option<i64> {
        self.log_append_time
    }

    /// The bytes, for the log to patch the base offset into and write.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.bytes
    }
}
