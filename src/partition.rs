//! A partition as the broker serves it: its log plus the fetches waiting for new data.

use std::path::Path;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use tokio::sync::Notify;

use kalfka_protocol::records::batches;

use crate::error::BrokerError;
use crate::log::{LogConfig, PartitionLog};

/// One partition of a topic.
#[derive(Debug)]
pub struct Partition {
    /// Partition number within its topic.
    pub index: i32,
    log: PartitionLog,
    waiters: Mutex<Vec<Arc<Notify>>>,
}

/// Where a partition's log stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offsets {
    /// First offset still in the log.
    pub log_start: i64,
    /// Next offset to be written (the high watermark on a single node).
    pub log_end: i64,
}

/// What a read returned: whole batches, and the log's offsets at the time.
#[derive(Debug, Clone)]
pub struct PartitionRead {
    /// Whole record batches, served from the mapped segment.
    pub records: Bytes,
    /// Log offsets when the read was made.
    pub offsets: Offsets,
}

impl Partition {
    /// Opens (recovering if needed) the log of partition `index` in `dir`.
    pub fn open(index: i32, dir: &Path, config: LogConfig) -> Result<Self, BrokerError> {
        let log = PartitionLog::open(dir, config)?;
        Ok(Partition {
            index,
            log,
            waiters: Mutex::new(Vec::new()),
        })
    }

    /// The log start and end offsets.
    pub fn offsets(&self) -> Offsets {
        Offsets {
            log_start: self.log.log_start_offset(),
            log_end: self.log.log_end_offset(),
        }
    }

    /// Appends already-validated batches (each one whole batch, in order), assigning offsets.
    /// Returns the base offset of the first batch. Wakes fetches waiting on this partition.
    pub fn append(&self, batches: &mut [Vec<u8>]) -> Result<i64, BrokerError> {
        let appended = self
            .log
            .append_batches(batches.iter_mut().map(|b| b.as_mut_slice()))?;
        let base = appended
            .first()
            .map_or_else(|| self.log.log_end_offset(), |a| a.base_offset);
        self.wake_waiters();
        Ok(base)
    }

    /// Reads whole batches from the one containing `offset`, up to about `max_bytes` (the first
    /// batch is returned whole even when larger).
    pub fn read(&self, offset: i64, max_bytes: usize) -> Result<PartitionRead, BrokerError> {
        let read = self.log.read(offset, max_bytes)?;
        Ok(PartitionRead {
            records: read.bytes,
            offsets: Offsets {
                log_start: read.log_start_offset,
                log_end: read.high_watermark,
            },
        })
    }

    /// The first record (in offset order) whose timestamp is at or after `timestamp`: its offset
    /// and timestamp. The time index finds the batch; the batch's records pick the record.
    pub fn offset_for_timestamp(&self, timestamp: i64) -> Result<Option<(i64, i64)>, BrokerError> {
        let Some((base_offset, _)) = self.log.offset_for_timestamp(timestamp)? else {
            return Ok(None);
        };
        self.first_record_in_batch_at(base_offset, |ts| ts >= timestamp)
    }

    /// Offset and timestamp of the first record carrying the largest timestamp in the log.
    pub fn max_timestamp(&self) -> Result<Option<(i64, i64)>, BrokerError> {
        let Some((offset_in_batch, max_ts)) = self.log.max_timestamp() else {
            return Ok(None);
        };
        self.first_record_in_batch_at(offset_in_batch, |ts| ts == max_ts)
    }

    /// Decodes the batch holding `offset` and returns the first record matching `pred` on its
    /// timestamp.
    fn first_record_in_batch_at(
        &self,
        offset: i64,
        pred: impl Fn(i64) -> bool,
    ) -> Result<Option<(i64, i64)>, BrokerError> {
        let read = self.log.read(offset, 1)?;
        let Some(batch) = batches(read.bytes).next() else {
            return Ok(None);
        };
        let batch = batch?;
        let header = batch.header();
        Ok(batch
            .records()?
            .iter()
            .map(|r| (r.offset(header), r.timestamp(header)))
            .find(|&(_, ts)| pred(ts)))
    }

    /// Fsyncs the log.
    pub fn flush(&self) -> Result<(), BrokerError> {
        Ok(self.log.flush()?)
    }

    /// Registers `notify` to be woken by the next append to this partition.
    pub fn register_waiter(&self, notify: &Arc<Notify>) {
        let mut waiters = self.waiters.lock().unwrap_or_else(|p| p.into_inner());
        waiters.retain(|w| Arc::strong_count(w) > 1);
        waiters.push(Arc::clone(notify));
    }

    fn wake_waiters(&self) {
        let waiters = std::mem::take(&mut *self.waiters.lock().unwrap_or_else(|p| p.into_inner()));
        for w in waiters {
            w.notify_one();
        }
    }
}
