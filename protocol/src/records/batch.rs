//! Zero-copy batch views and the splitter for records blobs.

use bytes::Bytes;

use super::record::decode_records;
use super::validate::check_crc;
use super::{
    decompress, peek_batch_size, Compression, Record, RecordBatchHeader, RecordsError, MAGIC,
    MAX_DECOMPRESSED_SIZE, RECORD_BATCH_OVERHEAD,
};

/// A zero-copy view over exactly one magic-2 batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordBatch {
    bytes: Bytes,
    header: RecordBatchHeader,
}

impl RecordBatch {
    /// Wraps `bytes`, which must hold exactly one batch. Checks the header is present
    /// (`Truncated`), the magic is 2 (`InvalidMagic`) and `batch_length + 12 == bytes.len()`
    /// (`InvalidLength`, or `Truncated` if shorter). Does not check the CRC.
    pub fn parse(bytes: Bytes) -> Result<Self, RecordsError> {
        let size = peek_batch_size(&bytes)?.ok_or(RecordsError::Truncated)?;
        let header = RecordBatchHeader::parse(&bytes)?;
        if header.magic != MAGIC {
            return Err(RecordsError::InvalidMagic(header.magic));
        }
        if bytes.len() < size {
            return Err(RecordsError::Truncated);
        }
        if bytes.len() > size {
            return Err(RecordsError::InvalidLength(header.batch_length));
        }
        Ok(RecordBatch { bytes, header })
    }

    /// The decoded fixed header.
    pub fn header(&self) -> &RecordBatchHeader {
        &self.header
    }

    /// The whole batch as it is on the wire.
    pub fn as_bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// Consumes the view, returning the batch's bytes.
    pub fn into_bytes(self) -> Bytes {
        self.bytes
    }

    /// Checks the CRC-32C over bytes `[21..end]`.
    pub fn verify_crc(&self) -> Result<(), RecordsError> {
        check_crc(&self.header, &self.bytes)
    }

    /// The records region (after the 61-byte header), still compressed if the batch is.
    pub fn records_region(&self) -> Bytes {
        self.bytes.slice(RECORD_BATCH_OVERHEAD..)
    }

    /// Decodes all records, decompressing with the default limit of
    /// [`MAX_DECOMPRESSED_SIZE`] bytes. Does not check the CRC.
    pub fn records(&self) -> Result<Vec<Record>, RecordsError> {
        self.records_with_limit(MAX_DECOMPRESSED_SIZE)
    }

    /// Decodes all records; a records region that decompresses to more than `limit` bytes is
    /// an error. Exactly `record_count` records must fill the region.
    pub fn records_with_limit(&self, limit: usize) -> Result<Vec<Record>, RecordsError> {
        let region = self.records_region();
        let region = match self.header.compression()? {
            Compression::None => region,
            codec => Bytes::from(decompress(codec, &region, limit)?),
        };
        decode_records(&region, self.header.record_count)
    }
}

/// Iterator over the batches of a records blob; see [`batches`].
#[derive(Debug, Clone)]
pub struct Batches {
    rest: Bytes,
    done: bool,
}

impl Iterator for Batches {
    type Item = Result<RecordBatch, RecordsError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.rest.is_empty() {
            return None;
        }
        let item = match peek_batch_size(&self.rest) {
            Ok(Some(size)) if size <= self.rest.len() => {
                RecordBatch::parse(self.rest.split_to(size))
            }
            Ok(_) => Err(RecordsError::Truncated),
            Err(e) => Err(e),
        };
        if item.is_err() {
            self.done = true;
        }
        Some(item)
    }
}

impl std::iter::FusedIterator for Batches {}

/// Splits a records blob (batches back to back) into zero-copy [`RecordBatch`]es.
///
/// A trailing partial batch (or any malformed prefix) yields one `Err` — `Truncated` for a
/// partial tail — and ends the iteration. Clients ignore partial tails; Produce rejects them.
/// CRCs are not checked.
pub fn batches(bytes: Bytes) -> Batches {
    Batches {
        rest: bytes,
        done: false,
    }
}
