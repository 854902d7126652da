//! Partition log recovery after an unclean shutdown: torn tails, garbage, flipped bytes, missing
//! or damaged indexes.

use std::fs::{self, OpenOptions};
use std::path::{Path, PathBuf};

use kalfka::log::{LogConfig, PartitionLog};
use kalfka_protocol::records::{Compression, RecordBatchBuilder, RecordBatchHeader};

fn batch(ts: i64, records: usize) -> Vec<u8> {
    let mut b = RecordBatchBuilder::new(Compression::None);
    for i in 0..records {
        let value = vec![(ts as usize + i) as u8; 120];
        b.append(ts + i as i64, Some(b"key"), Some(&value), &[]);
    }
    b.build().expect("build batch").to_vec()
}

fn config() -> LogConfig {
    LogConfig {
        segment_bytes: 3_000,
        index_interval_bytes: 200,
        max_index_bytes: 4096,
    }
}

fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    v.sort();
    v
}

/// A crashed log (dropped without `close`): 40 batches of 2 records over several segments.
/// Returns the stored batches.
fn crashed_log(dir: &Path) -> Vec<Vec<u8>> {
    let log = PartitionLog::open(dir, config()).unwrap();
    let mut stored = Vec::new();
    for i in 0..40 {
        let mut b = batch(1_000 + i * 10, 2);
        log.append(&mut b).unwrap();
        stored.push(b);
    }
    assert!(files(dir, "log").len() >= 3);
    drop(log);
    stored
}

/// Reopens and checks that exactly `stored[..keep]` is served, then that the next append gets
/// the next offset and everything still reads back after another reopen.
fn reopen_and_check(dir: &Path, stored: &[Vec<u8>], keep: usize) {
    let log = PartitionLog::open(dir, config()).unwrap();
    let end: i64 = keep as i64 * 2;
    assert_eq!(log.log_end_offset(), end);
    for (i, b) in stored[..keep].iter().enumerate() {
        for o in [i as i64 * 2, i as i64 * 2 + 1] {
            assert_eq!(&log.read(o, 1).unwrap().bytes[..], &b[..], "offset {o}");
        }
    }
    assert!(log.read(end, 1 << 20).unwrap().bytes.is_empty());
    assert!(log.read(end + 1, 1 << 20).is_err());
    // Timestamps: the kept batches only.
    let last_kept_ts = 1_000 + (keep as i64 - 1) * 10 + 1;
    assert_eq!(log.max_timestamp(), Some((end - 1, last_kept_ts)));
    assert_eq!(log.offset_for_timestamp(1_005).unwrap(), Some((2, 1_011)));
    assert_eq!(log.offset_for_timestamp(last_kept_ts + 1).unwrap(), None);

    let mut next = batch(5_000, 2);
    let info = log.append(&mut next).unwrap();
    assert_eq!(info.base_offset, end);
    drop(log);

    let log = PartitionLog::open(dir, config()).unwrap();
    assert_eq!(log.log_end_offset(), end + 2);
    assert_eq!(&log.read(end, 1).unwrap().bytes[..], &next[..]);
    assert_eq!(&log.read(0, 1).unwrap().bytes[..], &stored[0][..]);
    assert_eq!(log.offset_for_timestamp(4_000).unwrap(), Some((end, 5_001)));
    log.close().unwrap();
}

/// Position and index (into `stored`) of the last batch in the active segment file.
fn last_batch_position(dir: &Path, stored: &[Vec<u8>]) -> (PathBuf, u64) {
    let active = files(dir, "log").pop().unwrap();
    let len = fs::metadata(&active).unwrap().len();
    (active, len - stored.last().unwrap().len() as u64)
}

#[test]
fn clean_crash_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let stored = crashed_log(dir.path());
    reopen_and_check(dir.path(), &stored, 40);
}

#[test]
fn truncated_mid_batch() {
    let dir = tempfile::tempdir().unwrap();
    let stored = crashed_log(dir.path());
    let (active, pos) = last_batch_position(dir.path(), &stored);
    for cut in [pos + 100, pos + 30, pos + 5] {
        let f = OpenOptions::new().write(true).open(&active).unwrap();
        f.set_len(cut).unwrap();
        drop(f);
        let log = PartitionLog::open(dir.path(), config()).unwrap();
        assert_eq!(log.log_end_offset(), 78);
        drop(log);
        assert_eq!(
            fs::metadata(&active).unwrap().len(),
            pos,
            "cut exactly the torn batch"
        );
    }
    reopen_and_check(dir.path(), &stored, 39);
}

#[test]
fn garbage_appended() {
    let dir = tempfile::tempdir().unwrap();
    let stored = crashed_log(dir.path());
    let active = files(dir.path(), "log").pop().unwrap();
    let len = fs::metadata(&active).unwrap().len();
    let mut data = fs::read(&active).unwrap();
    data.extend((0..777u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    fs::write(&active, &data).unwrap();
    let log = PartitionLog::open(dir.path(), config()).unwrap();
    drop(log);
    assert_eq!(fs::metadata(&active).unwrap().len(), len);
    reopen_and_check(dir.path(), &stored, 40);

    // A plausible-looking batch copy with a wrong base offset is garbage too.
    let mut data = fs::read(&active).unwrap();
    let len = data.len() as u64;
    data.extend_from_slice(&stored[3]);
    fs::write(&active, &data).unwrap();
    let log = PartitionLog::open(dir.path(), config()).unwrap();
    assert_eq!(log.log_end_offset(), 82);
    drop(log);
    assert_eq!(fs::metadata(&active).unwrap().len(), len);
}

#[test]
fn flipped_byte_in_last_batch() {
    for at in [20usize, 40, 100, 200] {
        let dir = tempfile::tempdir().unwrap();
        let stored = crashed_log(dir.path());
        let (active, pos) = last_batch_position(dir.path(), &stored);
        let mut data = fs::read(&active).unwrap();
        data[pos as usize + at] ^= 0x5a;
        fs::write(&active, &data).unwrap();
        reopen_and_check(dir.path(), &stored, 39);
        assert!(fs::metadata(&active).unwrap().len() >= pos);
    }
}

#[test]
fn bad_length_prefix_in_last_batch() {
    for length in [-1i32, 0, 10, i32::MAX] {
        let dir = tempfile::tempdir().unwrap();
        let stored = crashed_log(dir.path());
        let (active, pos) = last_batch_position(dir.path(), &stored);
        let mut data = fs::read(&active).unwrap();
        data[pos as usize + 8..pos as usize + 12].copy_from_slice(&length.to_be_bytes());
        fs::write(&active, &data).unwrap();
        reopen_and_check(dir.path(), &stored, 39);
    }
}

#[test]
fn active_segment_truncated_to_zero() {
    let dir = tempfile::tempdir().unwrap();
    let stored = crashed_log(dir.path());
    let active = files(dir.path(), "log").pop().unwrap();
    let base: i64 = active
        .file_stem()
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    fs::write(&active, b"").unwrap();
    let log = PartitionLog::open(dir.path(), config()).unwrap();
    assert_eq!(log.log_end_offset(), base);
    drop(log);
    reopen_and_check(dir.path(), &stored, base as usize / 2);
}

#[test]
fn missing_or_damaged_indexes_are_rebuilt() {
    type Damage = fn(&Path);
    let damages: [(&str, Damage); 6] = [
        ("delete", |p| fs::remove_file(p).unwrap()),
        ("zero", |p| {
            let len = fs::metadata(p).unwrap().len() as usize;
            fs::write(p, vec![0u8; len]).unwrap()
        }),
        ("empty", |p| fs::write(p, b"").unwrap()),
        ("garbage", |p| {
            let len = fs::metadata(p).unwrap().len().max(64) as usize;
            fs::write(
                p,
                (0..len).map(|i| (i * 37 % 251) as u8).collect::<Vec<_>>(),
            )
            .unwrap()
        }),
        ("odd length", |p| {
            let mut d = fs::read(p).unwrap();
            d.truncate(d.len().saturating_sub(3));
            fs::write(p, d).unwrap()
        }),
        ("shifted", |p| {
            let mut d = fs::read(p).unwrap();
            d.rotate_left(4);
            fs::write(p, d).unwrap()
        }),
    ];
    for ext in ["index", "timeindex"] {
        for (name, damage) in damages {
            for which in ["first", "active", "all"] {
                let dir = tempfile::tempdir().unwrap();
                let stored = crashed_log(dir.path());
                // Close once so the non-active indexes are trimmed, then crash-state the rest.
                PartitionLog::open(dir.path(), config())
                    .unwrap()
                    .close()
                    .unwrap();
                let all = files(dir.path(), ext);
                let targets = match which {
                    "first" => vec![all[0].clone()],
                    "active" => vec![all.last().unwrap().clone()],
                    _ => all,
                };
                for t in &targets {
                    damage(t);
                }
                eprintln!("{ext} {name} {which}");
                reopen_and_check(dir.path(), &stored, 40);
            }
        }
    }
}

#[test]
fn corrupt_tail_of_older_segment_drops_later_segments() {
    let dir = tempfile::tempdir().unwrap();
    let stored = crashed_log(dir.path());
    let logs = files(dir.path(), "log");
    let first = &logs[0];
    let data = fs::read(first).unwrap();
    // Find the last batch in the first segment.
    let mut pos = 0usize;
    let mut batches = 0usize;
    let mut last = 0usize;
    while pos < data.len() {
        last = pos;
        pos += RecordBatchHeader::parse(&data[pos..]).unwrap().total_size();
        batches += 1;
    }
    let mut data = data;
    data[last + 70] ^= 1;
    fs::write(first, &data).unwrap();
    let log = PartitionLog::open(dir.path(), config()).unwrap();
    assert_eq!(log.log_end_offset(), (batches as i64 - 1) * 2);
    drop(log);
    assert_eq!(files(dir.path(), "log").len(), 1);
    assert_eq!(fs::metadata(first).unwrap().len(), last as u64);
    reopen_and_check(dir.path(), &stored, batches - 1);
}

#[test]
fn stray_files_are_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let stored = crashed_log(dir.path());
    fs::write(dir.path().join("notes.log"), b"hello").unwrap();
    fs::write(dir.path().join("123.log"), b"hello").unwrap();
    fs::write(dir.path().join("leader-epoch-checkpoint"), b"0\n0\n").unwrap();
    fs::write(dir.path().join("99999999999999999999.index"), b"xx").unwrap();
    reopen_and_check(dir.path(), &stored, 40);
}

/// Flips a byte in the value of batch `index` (of `stored`) in the segment file holding it.
fn flip_value_byte_of_batch(dir: &Path, stored: &[Vec<u8>], index: usize) {
    let segment = files(dir, "log")
        .into_iter()
        .find(|p| {
            let data = fs::read(p).unwrap();
            data.windows(stored[index].len())
                .any(|w| w[12..] == stored[index][12..])
        })
        .unwrap();
    let mut data = fs::read(&segment).unwrap();
    let at = data
        .windows(stored[index].len())
        .position(|w| w[12..] == stored[index][12..])
        .unwrap();
    let victim = at + stored[index].len() - 10;
    data[victim] ^= 0x5a;
    fs::write(&segment, &data).unwrap();
}

#[test]
fn unclean_open_validates_everything_past_the_recovery_point() {
    use kalfka::log::Recovery;
    let dir = tempfile::tempdir().unwrap();
    let stored = crashed_log(dir.path());
    // Rolls recorded a recovery point at the base of the active segment.
    let rp: i64 = fs::read_to_string(dir.path().join("recovery-point"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(rp > 0);
    // Damage the middle of the very first segment (not its tail, not an indexed header).
    flip_value_byte_of_batch(dir.path(), &stored, 2);

    // A clean start trusts the fsynced, indexed data and does not re-read it.
    let log = PartitionLog::open_with(dir.path(), config(), Recovery::Clean).unwrap();
    assert_eq!(log.log_end_offset(), 80);
    drop(log);
    // An unclean start past the recovery point does not look there either...
    let log = PartitionLog::open_with(dir.path(), config(), Recovery::Unclean).unwrap();
    assert_eq!(log.log_end_offset(), 80);
    drop(log);
    // ...but with no recovery point (nothing known to be synced) every segment is validated
    // from its first byte, and the damage is cut with everything after it.
    fs::remove_file(dir.path().join("recovery-point")).unwrap();
    let log = PartitionLog::open_with(dir.path(), config(), Recovery::Unclean).unwrap();
    assert_eq!(log.log_end_offset(), 4);
    drop(log);
    reopen_and_check(dir.path(), &stored, 2);
}

#[test]
fn flush_records_the_log_end_as_recovery_point() {
    let dir = tempfile::tempdir().unwrap();
    let stored = crashed_log(dir.path());
    let log = PartitionLog::open(dir.path(), config()).unwrap();
    log.flush().unwrap();
    drop(log);
    let rp = fs::read_to_string(dir.path().join("recovery-point")).unwrap();
    assert_eq!(rp.trim(), (stored.len() * 2).to_string());
}
