//! Building valid batches (tests, the CLI, transaction markers).

use bytes::Bytes;

use super::record::encode_record;
use super::{
    compress, compress_snappy_xerial, write_crc, Compression, Record, RecordBatchHeader,
    RecordsError, CONTROL_FLAG_MASK, LOG_OVERHEAD, MAGIC, RECORD_BATCH_OVERHEAD,
    TRANSACTIONAL_FLAG_MASK,
};

/// Builds one magic-2 batch. Setters and [`append`](Self::append) return `&mut Self` so they
/// chain; record offsets deltas are assigned 0, 1, 2, … in append order, the base timestamp is
/// the first record's timestamp and `max_timestamp` the largest.
///
/// ```
/// use kalfka_protocol::records::{Compression, RecordBatchBuilder, validate_batch};
/// let batch = RecordBatchBuilder::new(Compression::Lz4)
///     .append(1_700_000_000_000, Some(b"k"), Some(b"v"), &[("h", Some(b"x"))])
///     .build()
///     .unwrap();
/// assert_eq!(validate_batch(&batch).unwrap().record_count, 1);
/// ```
#[derive(Debug, Clone)]
pub struct RecordBatchBuilder {
    compression: Compression,
    xerial: bool,
    base_offset: i64,
    partition_leader_epoch: i32,
    producer_id: i64,
    producer_epoch: i16,
    base_sequence: i32,
    transactional: bool,
    control: bool,
    region: Vec<u8>,
    count: usize,
    base_timestamp: Option<i64>,
    max_timestamp: i64,
    error: Option<RecordsError>,
}

impl RecordBatchBuilder {
    /// An empty builder for a batch compressed with `compression`; non-idempotent
    /// (producer id/epoch/sequence -1), base offset 0, leader epoch -1.
    pub fn new(compression: Compression) -> Self {
        RecordBatchBuilder {
            compression,
            xerial: false,
            base_offset: 0,
            partition_leader_epoch: -1,
            producer_id: -1,
            producer_epoch: -1,
            base_sequence: -1,
            transactional: false,
            control: false,
            region: Vec::new(),
            count: 0,
            base_timestamp: None,
            max_timestamp: -1,
            error: None,
        }
    }

    /// Sets the base offset (default 0).
    pub fn base_offset(&mut self, base_offset: i64) -> &mut Self {
        self.base_offset = base_offset;
        self
    }

    /// Sets the partition leader epoch (default -1, what producers send).
    pub fn partition_leader_epoch(&mut self, epoch: i32) -> &mut Self {
        self.partition_leader_epoch = epoch;
        self
    }

    /// Makes the batch idempotent: producer id, epoch and the first record's sequence.
    pub fn producer(&mut self, id: i64, epoch: i16, base_sequence: i32) -> &mut Self {
        self.producer_id = id;
        self.producer_epoch = epoch;
        self.base_sequence = base_sequence;
        self
    }

    /// Sets the transactional attribute (bit 4).
    pub fn transactional(&mut self, transactional: bool) -> &mut Self {
        self.transactional = transactional;
        self
    }

    /// Sets the control attribute (bit 5); see [`EndTransactionMarker`] for markers.
    pub fn control(&mut self, control: bool) -> &mut Self {
        self.control = control;
        self
    }

    /// With [`Compression::Snappy`], writes xerial framing (what Java producers send) instead of
    /// a raw snappy block (what librdkafka sends). Ignored for other codecs.
    pub fn snappy_xerial(&mut self, xerial: bool) -> &mut Self {
        self.xerial = xerial;
        self
    }

    /// Appends a record with the given timestamp (ms), key, value and headers.
    ///
    /// Encoding errors (a field longer than `i32::MAX`) are reported by [`build`](Self::build).
    pub fn append(
        &mut self,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[(&str, Option<&[u8]>)],
    ) -> &mut Self {
        if self.error.is_some() {
            return self;
        }
        let Ok(offset_delta) = i32::try_from(self.count) else {
            self.error = Some(RecordsError::InvalidRecordCount);
            return self;
        };
        let base = *self.base_timestamp.get_or_insert(timestamp);
        let delta = timestamp.wrapping_sub(base);
        match encode_record(&mut self.region, delta, offset_delta, key, value, headers) {
            Ok(()) => {
                self.count += 1;
                self.max_timestamp = if self.count == 1 {
                    timestamp
                } else {
                    self.max_timestamp.max(timestamp)
                };
            }
            Err(e) => self.error = Some(e),
        }
        self
    }

    /// Number of records appended so far.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether no record has been appended.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Encodes the batch, compressing the records region and computing the CRC.
    ///
    /// Fails with `InvalidRecordCount` if no record was appended, or with the first error met
    /// while appending.
    pub fn build(&self) -> Result<Bytes, RecordsError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        let count = i32::try_from(self.count).map_err(|_| RecordsError::InvalidRecordCount)?;
        if count == 0 {
            return Err(RecordsError::InvalidRecordCount);
        }
        let region = if self.compression == Compression::Snappy && self.xerial {
            compress_snappy_xerial(&self.region)?
        } else {
            compress(self.compression, &self.region)?
        };
        let total = RECORD_BATCH_OVERHEAD + region.len();
        let batch_length = i32::try_from(total - LOG_OVERHEAD)
            .map_err(|_| RecordsError::InvalidLength(i32::MAX))?;
        let mut attributes = self.compression.id();
        if self.transactional {
            attributes |= TRANSACTIONAL_FLAG_MASK;
        }
        if self.control {
            attributes |= CONTROL_FLAG_MASK;
        }
        let header = RecordBatchHeader {
            base_offset: self.base_offset,
            batch_length,
            partition_leader_epoch: self.partition_leader_epoch,
            magic: MAGIC,
            crc: 0,
            attributes,
            last_offset_delta: count - 1,
            base_timestamp: self.base_timestamp.unwrap_or(-1),
            max_timestamp: self.max_timestamp,
            producer_id: self.producer_id,
            producer_epoch: self.producer_epoch,
            base_sequence: self.base_sequence,
            record_count: count,
        };
        let mut out = Vec::with_capacity(total);
        out.extend_from_slice(&header.to_bytes());
        out.extend_from_slice(&region);
        write_crc(&mut out);
        Ok(Bytes::from(out))
    }
}

/// Type of a control record, from the key's `type` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControlRecordType {
    /// 0: transaction aborted.
    Abort,
    /// 1: transaction committed.
    Commit,
    /// Any other type (2+ are KRaft-internal markers, never sent by clients).
    Unknown(i16),
}

impl ControlRecordType {
    /// The wire id of this type.
    pub fn id(self) -> i16 {
        match self {
            ControlRecordType::Abort => 0,
            ControlRecordType::Commit => 1,
            ControlRecordType::Unknown(id) => id,
        }
    }

    /// Reads the type from a control record key (`version:int16 | type:int16`).
    pub fn parse_key(key: &[u8]) -> Result<Self, RecordsError> {
        match key {
            [_, _, a, b, ..] => Ok(match i16::from_be_bytes([*a, *b]) {
                0 => ControlRecordType::Abort,
                1 => ControlRecordType::Commit,
                other => ControlRecordType::Unknown(other),
            }),
            _ => Err(RecordsError::InvalidRecord(
                "control record key too short".into(),
            )),
        }
    }
}

/// A transaction marker (COMMIT or ABORT control record), as written by the transaction
/// coordinator into each partition of a finished transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndTransactionMarker {
    /// Commit or abort.
    pub kind: ControlRecordType,
    /// Epoch of the transaction coordinator that wrote the marker.
    pub coordinator_epoch: i32,
}

impl EndTransactionMarker {
    /// Decodes a marker from the single record of a control batch.
    pub fn parse(record: &Record) -> Result<Self, RecordsError> {
        let key = record
            .key
            .as_deref()
            .ok_or_else(|| RecordsError::InvalidRecord("control record without key".into()))?;
        let kind = ControlRecordType::parse_key(key)?;
        match record.value.as_deref() {
            Some([_, _, a, b, c, d, ..]) => Ok(EndTransactionMarker {
                kind,
                coordinator_epoch: i32::from_be_bytes([*a, *b, *c, *d]),
            }),
            _ => Err(RecordsError::InvalidRecord(
                "end transaction marker value too short".into(),
            )),
        }
    }

    /// Builds the uncompressed control batch (transactional + control, one record) carrying
    /// this marker for `producer_id`/`producer_epoch`, timestamped `timestamp`.
    pub fn build_batch(
        &self,
        producer_id: i64,
        producer_epoch: i16,
        timestamp: i64,
    ) -> Result<Bytes, RecordsError> {
        let mut key = [0u8; 4];
        key[2..].copy_from_slice(&self.kind.id().to_be_bytes());
        let mut value = [0u8; 6];
        value[2..].copy_from_slice(&self.coordinator_epoch.to_be_bytes());
        RecordBatchBuilder::new(Compression::None)
            .producer(producer_id, producer_epoch, -1)
            .transactional(true)
            .control(true)
            .append(timestamp, Some(&key), Some(&value), &[])
            .build()
    }
}
