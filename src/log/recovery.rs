//! Loading a partition directory: finding segments, checking indexes, repairing torn tails.
//!
//! For every segment, in offset order:
//! 1. The offset index's first and last entries must point at batch headers with the matching
//!    base offset, and the time index's last entry at or before the last offset-index batch must
//!    name a batch whose `maxTimestamp` and last offset match. Otherwise both indexes are
//!    rebuilt from scratch.
//! 2. The `.log` is then re-read with full validation (length fits, magic 2, CRC-32C, base offset
//!    at or above the previous batch's next offset — equal unless compaction left a gap) from the last offset-index entry (from position
//!    0 when rebuilding), re-deriving index entries and the segment's max timestamp.
//! 3. At the first bad or incomplete batch the `.log` is truncated there and every later segment
//!    is deleted (its offsets would no longer follow on), with a `tracing::warn!`.
//!
//! Non-active segments then get their indexes trimmed; the active one's grow as it is appended
//! to (nothing is preallocated, so nothing past the entries in use is read).
//!
//! After an unclean shutdown ([`Recovery::Unclean`]) only what lies past the *recovery point*
//! (the offset below which everything was fsynced, given by the caller) is distrusted: in a
//! segment that may hold offsets at or past it, only the index entries of batches starting
//! below it are kept, and the scan of step 2 starts at the last of them (from position 0 when
//! there is none), so the whole unflushed range is validated batch by batch, and nothing
//! before it. After a clean shutdown ([`Recovery::Clean`]) only the short tail after each
//! segment's last index entry is re-read.
//!
//! Loading never fsyncs: after an unclean start the caller syncs the filesystem once.

use std::fs::{self, OpenOptions};
use std::path::Path;

use super::batch::{header_at, validate_at, Validated};
use super::segment::{file_name, Segment};
use super::{LogConfig, LogError};

/// Name of the per-partition file holding the recovery point (decimal offset).
pub(crate) const RECOVERY_POINT_FILE: &str = "recovery-point";

/// How the previous run of the broker ended, which decides how much of a log is re-validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovery {
    /// The broker stopped cleanly (flushed everything): check indexes, re-read short tails.
    Clean,
    /// Crash or kill: fully validate every segment that may hold data past the recovery point.
    Unclean,
}

/// The partition's recovery point: every offset below it was fsynced. 0 (scan everything) when
/// the file is missing or unreadable.
pub(crate) fn read_recovery_point(dir: &Path) -> i64 {
    fs::read_to_string(dir.join(RECOVERY_POINT_FILE))
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .filter(|&o| o >= 0)
        .unwrap_or(0)
}

/// Atomically records the recovery point `offset` (call only once it is fsynced).
pub(crate) fn write_recovery_point(dir: &Path, offset: i64) -> Result<(), LogError> {
    crate::fsutil::write_atomic(
        &dir.join(RECOVERY_POINT_FILE),
        offset.to_string().as_bytes(),
    )?;
    Ok(())
}

/// Opens or creates the partition directory `dir` and returns its segments, oldest first; the
/// last one is the active segment. There is always at least one segment.
/// `recovery_point` is the offset below which everything is known to be fsynced (`i64::MAX`
/// after a clean shutdown). Nothing is fsynced here: after an unclean start the caller makes
/// the recovered files durable (one filesystem sync for every partition).
pub(crate) fn load_segments(
    dir: &Path,
    config: &LogConfig,
    recovery: Recovery,
    recovery_point: i64,
) -> Result<Vec<Segment>, LogError> {
    fs::create_dir_all(dir)?;
    let bases = segment_bases(dir)?;
    if recovery == Recovery::Unclean && !bases.is_empty() {
        tracing::info!(dir = %dir.display(), recovery_point, "unclean shutdown: validating the log past the recovery point");
    }
    let mut segments: Vec<Segment> = Vec::with_capacity(bases.len().max(1));
    let mut iter = bases.into_iter();
    while let Some(base) = iter.next() {
        let log_path = dir.join(file_name(base, "log"));
        if let Some(prev) = segments.last() {
            if base < prev.next_offset() {
                tracing::warn!(
                    segment = %log_path.display(),
                    expected = prev.next_offset(),
                    "segment overlaps the previous one; deleting it and later segments"
                );
                delete_segment_files(dir, base)?;
                for later in iter.by_ref() {
                    delete_segment_files(dir, later)?;
                }
                break;
            }
            if base > prev.next_offset() {
                // Normal after compaction removed the tail (or all) of a segment.
                tracing::debug!(
                    segment = %log_path.display(),
                    from = prev.next_offset(),
                    to = base,
                    "gap in offsets between segments"
                );
            }
        }
        let file = OpenOptions::new().read(true).write(true).open(&log_path)?;
        let size = file.metadata()?.len();
        let mut segment = Segment::from_file(dir, base, file, size, config)?;
        let is_last = iter.len() == 0;
        // Data below the recovery point was fsynced: the index entries there are trusted and
        // only what follows the last of them is re-read. A segment followed by one starting
        // at or below the recovery point is trusted whole.
        let trusted_below = if iter
            .as_slice()
            .first()
            .is_some_and(|&next| next <= recovery_point)
        {
            i64::MAX
        } else {
            recovery_point
        };
        let truncated = recover_segment(&mut segment, trusted_below, config)?;
        if segment.size() == 0 && !is_last && !truncated {
            tracing::warn!(segment = %log_path.display(), "removing empty non-active segment");
            drop(segment);
            delete_segment_files(dir, base)?;
            continue;
        }
        segments.push(segment);
        if truncated {
            for later in iter.by_ref() {
                tracing::warn!(
                    segment = %dir.join(file_name(later, "log")).display(),
                    "deleting segment after a truncated one"
                );
                delete_segment_files(dir, later)?;
            }
        }
    }
    let count = segments.len();
    for segment in segments.iter_mut().take(count.saturating_sub(1)) {
        segment.seal_loaded()?;
    }
    match segments.last_mut() {
        // An index much longer than its entries (preallocated by an earlier version) would
        // be looked through at every start: shrink it (no fsync; it grows again in steps).
        Some(active) => active.trim_oversized_indexes()?,
        None => segments.push(Segment::create(dir, 0, config)?),
    }
    Ok(segments)
}

/// Base offsets of the `<20 digits>.log` files in `dir`, ascending. Other files are ignored.
fn segment_bases(dir: &Path) -> Result<Vec<i64>, LogError> {
    let mut bases = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.ends_with(".log.cleaned") {
            // Left by a compaction pass interrupted before its swap: never part of the log.
            tracing::info!(file = %entry.path().display(), "removing unfinished compaction output");
            fs::remove_file(entry.path())?;
            continue;
        }
        let Some(stem) = name.strip_suffix(".log") else {
            continue;
        };
        if stem.len() != 20 || !stem.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        if let Ok(base) = stem.parse::<i64>() {
            if entry.file_type()?.is_file() {
                bases.push(base);
            }
        }
    }
    bases.sort_unstable();
    Ok(bases)
}

/// Removes a segment's `.log`, `.index` and `.timeindex` (missing files are fine).
pub(crate) fn delete_segment_files(dir: &Path, base: i64) -> Result<(), LogError> {
    for ext in ["log", "index", "timeindex"] {
        match fs::remove_file(dir.join(file_name(base, ext))) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
    }
    Ok(())
}

/// Where the validating scan of a segment starts.
struct ScanStart {
    offset_entries: usize,
    time_entries: usize,
    max_timestamp: Option<(i64, i64)>,
    position: u64,
    offset: i64,
}

/// Checks the indexes against the `.log` and picks the scan start; `None` means rebuild.
/// Only index entries of batches starting below `trusted_below` are kept.
fn plan_scan(segment: &Segment, data: &[u8], trusted_below: i64) -> Option<ScanStart> {
    let base = segment.base_offset();
    let oi = segment.offset_index();
    let limit = u32::try_from(
        trusted_below
            .checked_sub(base)?
            .checked_sub(1)?
            .min(u32::MAX.into()),
    )
    .ok()?;
    let kept = oi.entries_at_or_below(limit);
    let (first_rel, first_pos) = oi.entry(0)?;
    let (last_rel, last_pos) = oi.entry(kept.checked_sub(1)?)?;
    let at = |rel: u32, pos: u32| {
        header_at(data, pos as usize)
            .ok()
            .filter(|b| b.base_offset == base + i64::from(rel))
    };
    at(first_rel, first_pos)?;
    let last = at(last_rel, last_pos)?;

    // Time entries up to the last indexed batch; the last of them holds the running max there.
    let ti = segment.time_index();
    let limit = last.last_offset - base;
    let mut time_entries = ti.len();
    while time_entries > 0
        && ti
            .entry(time_entries - 1)
            .is_none_or(|(_, r)| i64::from(r) > limit)
    {
        time_entries -= 1;
    }
    let (ts, rel) = ti.entry(time_entries.checked_sub(1)?)?;
    let ts_offset = base + i64::from(rel);
    // The batch holding `ts_offset` must end there and carry `ts`.
    let mut pos = oi.lookup(rel).map_or(0, |(_, p)| p as usize);
    loop {
        let b = header_at(data, pos).ok()?;
        if b.last_offset >= ts_offset {
            if b.last_offset != ts_offset || b.max_timestamp != ts {
                return None;
            }
            break;
        }
        pos += b.size;
    }
    Some(ScanStart {
        offset_entries: kept,
        time_entries,
        max_timestamp: Some((ts, ts_offset)),
        position: u64::from(last_pos),
        offset: last.base_offset,
    })
}

/// Validates the segment from its last index entry of a batch starting below `trusted_below`
/// (all of it when there is none, e.g. `trusted_below == 0`), completes its indexes and
/// truncates a torn or corrupt tail. Returns whether the `.log` was truncated.
fn recover_segment(
    segment: &mut Segment,
    trusted_below: i64,
    config: &LogConfig,
) -> Result<bool, LogError> {
    let Some(map) = segment.mapping()? else {
        segment.reset_for_scan(0, 0, None, 0, segment.base_offset());
        return Ok(false);
    };
    let data = &map[..];
    let mut planned = plan_scan(segment, data, trusted_below);
    let (pos, reason) = loop {
        let full = planned.is_none();
        let start = planned.take().unwrap_or(ScanStart {
            offset_entries: 0,
            time_entries: 0,
            max_timestamp: None,
            position: 0,
            offset: segment.base_offset(),
        });
        let start_position = start.position;
        let (pos, bad) = scan(segment, data, start, config);
        match bad {
            None => return Ok(false),
            // The indexed batch the scan started from is itself damaged, but the kept index
            // entries describe it: rebuild the whole segment instead.
            Some(_) if !full && pos as u64 == start_position => continue,
            Some(reason) => break (pos, reason),
        }
    };
    let file_len = data.len();
    drop(map);
    tracing::warn!(
        segment = %segment.path("log").display(),
        position = pos,
        bytes_cut = file_len - pos,
        offset = segment.next_offset(),
        reason = %reason,
        "truncating damaged log tail"
    );
    segment.truncate_file(pos as u64)?;
    Ok(true)
}

/// Resets the segment to `start` and validates batches from there to the end of `data`,
/// recording each good one. Returns where it stopped and, if not at the end, why.
fn scan(
    segment: &mut Segment,
    data: &[u8],
    start: ScanStart,
    config: &LogConfig,
) -> (usize, Option<String>) {
    segment.reset_for_scan(
        start.offset_entries,
        start.time_entries,
        start.max_timestamp,
        start.position,
        start.offset,
    );
    let mut pos = usize::try_from(start.position).unwrap_or(usize::MAX);
    loop {
        match validate_at(data, pos) {
            Validated::End => return (pos, None),
            Validated::Bad(reason) => return (pos, Some(reason)),
            // Offsets only grow; compaction leaves gaps, so a higher base offset is fine.
            Validated::Batch(b) if b.base_offset < segment.next_offset() => {
                let reason = format!(
                    "base offset {} where at least {} was expected",
                    b.base_offset,
                    segment.next_offset()
                );
                return (pos, Some(reason));
            }
            Validated::Batch(b) => {
                segment.record_batch(&b, pos as u64, config);
                pos += b.size;
            }
        }
    }
}

/// Opens a closed segment whose `.log` was just rewritten by the cleaner: validates all of it,
/// rebuilds its indexes and seals it. `None` (files removed) if the rewritten `.log` is empty.
pub(crate) fn open_rewritten_segment(
    dir: &Path,
    base: i64,
    config: &LogConfig,
) -> Result<Option<Segment>, LogError> {
    let log_path = dir.join(file_name(base, "log"));
    let file = OpenOptions::new().read(true).write(true).open(&log_path)?;
    let size = file.metadata()?.len();
    if size == 0 {
        drop(file);
        delete_segment_files(dir, base)?;
        return Ok(None);
    }
    let mut segment = Segment::from_file(dir, base, file, size, config)?;
    if recover_segment(&mut segment, 0, config)? {
        return Err(LogError::Corrupt(format!(
            "rewritten segment {} failed validation",
            log_path.display()
        )));
    }
    segment.seal()?;
    Ok(Some(segment))
}
