//! One share partition's delivery state (KIP-932), pure and clock-free: every call that
//! depends on time takes `now`, and nothing here does I/O.
//!
//! Invariants:
//! - `start <= end`, and `records` holds exactly the offsets `start..end` (the in-flight
//!   window). Offsets at or past `end` have never been delivered and are available.
//! - The record at `start` is never acknowledged or archived: the start offset advances past
//!   terminal records at once, and what is below it is never delivered again.
//! - Only an acquired record has an owner and a lock deadline.
//! - A record's delivery count grows by one per acquisition and never shrinks; a record that
//!   would become available again (release, lock expiry, member gone) once its delivery count
//!   reached the limit is archived instead.
//! - An acknowledgement is applied all or nothing: every offset it names must be acquired by
//!   the acknowledging member, or nothing changes and the answer is INVALID_RECORD_STATE.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::error::BrokerError;

/// The limits a share partition works with (broker configuration).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// How long an acquisition lock lasts (`group.share.record.lock.duration.ms`).
    pub lock_duration: Duration,
    /// Deliveries before a record is archived (`group.share.delivery.count.limit`).
    pub delivery_count_limit: u16,
    /// Largest in-flight window (`group.share.partition.max.record.locks`).
    pub max_in_flight: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            lock_duration: Duration::from_millis(30_000),
            delivery_count_limit: 5,
            max_in_flight: 2_000,
        }
    }
}

/// The state of one in-flight record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordState {
    /// May be acquired by any member.
    Available,
    /// Locked for one member until `deadline`.
    Acquired {
        /// The member holding the lock.
        member: String,
        /// When the lock expires.
        deadline: Instant,
    },
    /// Accepted (or a gap): never delivered again.
    Acknowledged,
    /// Rejected or out of delivery attempts: never delivered again.
    Archived,
}

impl RecordState {
    fn terminal(&self) -> bool {
        matches!(self, RecordState::Acknowledged | RecordState::Archived)
    }
}

/// The kind of an acknowledgement, as the wire encodes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckType {
    /// 0: no record at this offset (compaction, transaction marker).
    Gap,
    /// 1: processed.
    Accept,
    /// 2: give back for redelivery.
    Release,
    /// 3: unprocessable; never deliver again.
    Reject,
    /// 4: keep holding, with a fresh lock.
    Renew,
}

impl AckType {
    /// The type of a wire code; `None` for codes Kafka does not define.
    pub fn from_code(code: i8) -> Option<AckType> {
        Some(match code {
            0 => AckType::Gap,
            1 => AckType::Accept,
            2 => AckType::Release,
            3 => AckType::Reject,
            4 => AckType::Renew,
            _ => return None,
        })
    }
}

/// A run of consecutive acquired offsets with one delivery count (AcquiredRecords).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AcquiredRange {
    /// First offset.
    pub first: i64,
    /// Last offset, inclusive.
    pub last: i64,
    /// Delivery count of every record of the run (1 on first delivery).
    pub delivery_count: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct InFlight {
    state: RecordState,
    delivery_count: u16,
}

/// Persisted form of a record's state: acquisition locks do not survive a restart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DurableState {
    /// Available (or acquired when written).
    Available,
    /// Acknowledged.
    Acknowledged,
    /// Archived.
    Archived,
}

/// A run of consecutive in-flight offsets with one durable state and delivery count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DurableRun {
    /// First offset.
    pub first: i64,
    /// Last offset, inclusive.
    pub last: i64,
    /// State of the run.
    pub state: DurableState,
    /// Delivery count of the run.
    pub delivery_count: u16,
}

/// What survives a restart: the start offset and the in-flight window without its locks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurablePartition {
    /// Share-partition start offset.
    pub start: i64,
    /// The in-flight window `start..`, as runs covering it without holes.
    pub runs: Vec<DurableRun>,
}

/// One share partition's start offset and in-flight records.
#[derive(Debug, Clone)]
pub struct SharePartition {
    start: i64,
    end: i64,
    records: BTreeMap<i64, InFlight>,
}

impl SharePartition {
    /// A partition whose delivery starts at `start` (nothing in flight).
    pub fn new(start: i64) -> Self {
        SharePartition {
            start,
            end: start,
            records: BTreeMap::new(),
        }
    }

    /// The share-partition start offset: everything below it is done.
    pub fn start(&self) -> i64 {
        self.start
    }

    /// The offset after the in-flight window: never delivered from here on.
    pub fn end(&self) -> i64 {
        self.end
    }

    /// Records in flight (any state).
    pub fn in_flight(&self) -> usize {
        self.records.len()
    }

    /// Records not yet done up to `log_end`: Kafka's share-partition lag (what lies between
    /// the start and the log end, less what is acknowledged or archived in flight).
    pub fn lag(&self, log_end: i64) -> i64 {
        let done = self.records.values().filter(|r| r.state.terminal()).count() as i64;
        (log_end - self.start - done).max(0)
    }

    /// The state of the record at `offset`, if in flight.
    pub fn state(&self, offset: i64) -> Option<&RecordState> {
        self.records.get(&offset).map(|r| &r.state)
    }

    /// The delivery count of the record at `offset`, if in flight.
    pub fn delivery_count(&self, offset: i64) -> Option<u16> {
        self.records.get(&offset).map(|r| r.delivery_count)
    }

    /// Gives back, as available (or archived at the delivery limit), every lock that expired
    /// by `now`. Returns how many records changed.
    pub fn expire_locks(&mut self, now: Instant, limits: &Limits) -> usize {
        let mut changed = 0;
        for r in self.records.values_mut() {
            if matches!(&r.state, RecordState::Acquired { deadline, .. } if *deadline <= now) {
                r.state = given_back(r.delivery_count, limits);
                changed += 1;
            }
        }
        self.advance_start();
        changed
    }

    /// The earliest lock deadline, for waking a waiting fetch.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.records
            .values()
            .filter_map(|r| match &r.state {
                RecordState::Acquired { deadline, .. } => Some(*deadline),
                _ => None,
            })
            .min()
    }

    /// Where a fetch must read from: the first available in-flight record, else the end of
    /// the window while it may still grow and `log_end` is past it; `None` if nothing can be
    /// acquired now.
    pub fn read_from(&self, log_end: i64, limits: &Limits) -> Option<i64> {
        let released = self
            .records
            .iter()
            .find(|(_, r)| r.state == RecordState::Available)
            .map(|(o, _)| *o);
        released.or_else(|| {
            (self.end < log_end && self.records.len() < limits.max_in_flight as usize)
                .then_some(self.end)
        })
    }

    /// Acquires for `member` up to `max_records` available records in `from..upto` (the
    /// offsets the data read covers): released records first, then new ones from the end of
    /// the window, which grows by what is acquired (at most to `max_in_flight` records).
    pub fn acquire(
        &mut self,
        member: &str,
        from: i64,
        upto: i64,
        max_records: usize,
        now: Instant,
        limits: &Limits,
    ) -> Vec<AcquiredRange> {
        self.acquire_skipping(member, from, upto, max_records, &[], now, limits)
    }

    /// [`SharePartition::acquire`], except that the offsets inside the inclusive ranges of
    /// `skip` (records a read_committed group must never see: aborted transactions and
    /// transaction markers) are archived as the scan reaches them instead of acquired, and
    /// count against no budget but the in-flight window.
    #[allow(clippy::too_many_arguments)]
    pub fn acquire_skipping(
        &mut self,
        member: &str,
        from: i64,
        upto: i64,
        max_records: usize,
        skip: &[(i64, i64)],
        now: Instant,
        limits: &Limits,
    ) -> Vec<AcquiredRange> {
        let skipped = |o: i64| skip.iter().any(|(f, l)| (*f..=*l).contains(&o));
        let deadline = now + limits.lock_duration;
        let mut taken: Vec<(i64, u16)> = Vec::new();
        // `from..` never runs backwards, whatever changed since the caller's read.
        let released = from..upto.min(self.end).max(from);
        for (offset, r) in self.records.range_mut(released) {
            if taken.len() >= max_records {
                break;
            }
            if r.state == RecordState::Available && skipped(*offset) {
                r.state = RecordState::Archived;
            } else if r.state == RecordState::Available {
                r.delivery_count = r.delivery_count.saturating_add(1);
                r.state = RecordState::Acquired {
                    member: member.to_string(),
                    deadline,
                };
                taken.push((*offset, r.delivery_count));
            }
        }
        while self.end < upto
            && self.end >= from
            && taken.len() < max_records
            && self.records.len() < limits.max_in_flight as usize
        {
            let state = if skipped(self.end) {
                RecordState::Archived
            } else {
                taken.push((self.end, 1));
                RecordState::Acquired {
                    member: member.to_string(),
                    deadline,
                }
            };
            self.records.insert(
                self.end,
                InFlight {
                    state,
                    delivery_count: 1,
                },
            );
            self.end += 1;
        }
        self.advance_start();
        ranges(&taken)
    }

    /// Applies one acknowledgement batch of `member`: `types` holds one type for the whole
    /// range or one per offset. All or nothing: INVALID_RECORD_STATE (nothing changed) unless
    /// every offset of `first..=last` is acquired by `member`; INVALID_REQUEST for a
    /// malformed batch. Expired locks are given back first, so a late acknowledgement fails.
    pub fn acknowledge(
        &mut self,
        member: &str,
        first: i64,
        last: i64,
        types: &[AckType],
        now: Instant,
        limits: &Limits,
    ) -> Result<(), BrokerError> {
        let len = last
            .checked_sub(first)
            .and_then(|d| d.checked_add(1))
            .filter(|n| *n > 0)
            .ok_or_else(|| {
                BrokerError::InvalidRequest(format!("acknowledged range {first}..={last}"))
            })?;
        if types.len() != 1 && types.len() as i64 != len {
            return Err(BrokerError::InvalidRequest(format!(
                "{} acknowledge types for {len} offsets",
                types.len()
            )));
        }
        self.expire_locks(now, limits);
        if first < self.start || last >= self.end {
            return Err(BrokerError::InvalidRecordState(format!(
                "offsets {first}..={last} are outside the in-flight window {}..{}",
                self.start, self.end
            )));
        }
        if let Some((offset, _)) = self.records.range(first..=last).find(
            |(_, r)| !matches!(&r.state, RecordState::Acquired { member: m, .. } if m == member),
        ) {
            return Err(BrokerError::InvalidRecordState(format!(
                "offset {offset} is not acquired by member {member}"
            )));
        }
        let deadline = now + limits.lock_duration;
        for (i, r) in self
            .records
            .range_mut(first..=last)
            .map(|(_, r)| r)
            .enumerate()
        {
            let kind = if types.len() == 1 { types[0] } else { types[i] };
            r.state = match kind {
                AckType::Gap | AckType::Accept => RecordState::Acknowledged,
                AckType::Reject => RecordState::Archived,
                AckType::Release => given_back(r.delivery_count, limits),
                AckType::Renew => RecordState::Acquired {
                    member: member.to_string(),
                    deadline,
                },
            };
        }
        self.advance_start();
        Ok(())
    }

    /// Gives back every record `member` holds (its share session closed or it left the
    /// group). Returns how many records changed.
    pub fn release_member(&mut self, member: &str, limits: &Limits) -> usize {
        let mut changed = 0;
        for r in self.records.values_mut() {
            if matches!(&r.state, RecordState::Acquired { member: m, .. } if m == member) {
                r.state = given_back(r.delivery_count, limits);
                changed += 1;
            }
        }
        self.advance_start();
        changed
    }

    /// Moves the start to `log_start` when the log no longer holds records below it
    /// (DeleteRecords, retention): they can never be delivered.
    pub fn skip_to(&mut self, log_start: i64) {
        if log_start <= self.start {
            return;
        }
        self.records = self.records.split_off(&log_start);
        self.start = log_start;
        self.end = self.end.max(log_start);
        self.advance_start();
    }

    fn advance_start(&mut self) {
        while let Some(entry) = self.records.first_entry() {
            if !entry.get().state.terminal() {
                break;
            }
            entry.remove();
            self.start += 1;
        }
        if self.records.is_empty() {
            self.start = self.end;
        }
    }

    /// The durable form (locks become available).
    pub fn durable(&self) -> DurablePartition {
        let mut runs: Vec<DurableRun> = Vec::new();
        for (offset, r) in &self.records {
            let state = match r.state {
                RecordState::Acknowledged => DurableState::Acknowledged,
                RecordState::Archived => DurableState::Archived,
                _ => DurableState::Available,
            };
            match runs.last_mut() {
                Some(run)
                    if run.last + 1 == *offset
                        && run.state == state
                        && run.delivery_count == r.delivery_count =>
                {
                    run.last = *offset
                }
                _ => runs.push(DurableRun {
                    first: *offset,
                    last: *offset,
                    state,
                    delivery_count: r.delivery_count,
                }),
            }
        }
        DurablePartition {
            start: self.start,
            runs,
        }
    }

    /// Rebuilds a partition from its durable form: what was acquired is available again.
    /// Runs outside a contiguous window from `start` are ignored (a corrupt record cannot
    /// break the invariants).
    pub fn from_durable(d: &DurablePartition) -> Self {
        let mut p = SharePartition::new(d.start);
        for run in &d.runs {
            if run.first != p.end || run.last < run.first {
                break;
            }
            for offset in run.first..=run.last {
                let state = match run.state {
                    DurableState::Available => RecordState::Available,
                    DurableState::Acknowledged => RecordState::Acknowledged,
                    DurableState::Archived => RecordState::Archived,
                };
                p.records.insert(
                    offset,
                    InFlight {
                        state,
                        delivery_count: run.delivery_count,
                    },
                );
            }
            p.end = run.last + 1;
        }
        p.advance_start();
        p
    }
}

/// The state of a record given back: available, or archived once out of delivery attempts.
fn given_back(delivery_count: u16, limits: &Limits) -> RecordState {
    if delivery_count >= limits.delivery_count_limit {
        RecordState::Archived
    } else {
        RecordState::Available
    }
}

/// Runs of consecutive offsets with equal delivery counts.
fn ranges(taken: &[(i64, u16)]) -> Vec<AcquiredRange> {
    let mut out: Vec<AcquiredRange> = Vec::new();
    for &(offset, count) in taken {
        match out.last_mut() {
            Some(r) if r.last + 1 == offset && r.delivery_count == count => r.last = offset,
            _ => out.push(AcquiredRange {
                first: offset,
                last: offset,
                delivery_count: count,
            }),
        }
    }
    out
}

#[cfg(test)]
#[path = "partition_tests.rs"]
mod tests;
