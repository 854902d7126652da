//! `kalfka consume`: fetches from a topic's partitions and prints each record as it arrives.
//!
//! Invariants: every record is printed (and stdout flushed) before the next fetch is sent, so
//! what a user or pipe sees is never held back; SIGINT is only acted on between fetches (the
//! fetch in flight is dropped), so Ctrl-C ends with whole records printed and exit code 0;
//! start offsets are clamped to each partition's [log start, end]; without `--follow` the
//! command stops once every partition is read to the end the broker last reported. With
//! `-g`, a [`Member`] of the group picks the partitions and commits what was printed.

use std::time::{Duration, Instant};

use clap::Args;
use kalfka_protocol::error_code::ErrorCode;
use kalfka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kalfka_protocol::messages::{FetchRequest, FetchResponse};
use kalfka_protocol::records::batches;

use super::client::{CliError, Client};
use super::encoding::Encoding;
use super::format::{print_record, ConsumedRecord, Format};
use super::member::{Member, Pulse};
use super::records::{list_offset, topic_partitions, EARLIEST, LATEST};
use super::suggest::topic_hint;

/// Bytes asked for per partition and fetch.
const FETCH_BYTES: i32 = 4 * 1024 * 1024;
/// Longest a fetch waits at the broker for new records.
const FETCH_WAIT_MS: i32 = 500;

/// Where consumption starts in each partition (`-o`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartOffset {
    /// The log start.
    Beginning,
    /// The end (only records produced from now on).
    End,
    /// This offset (clamped to the partition's range).
    At(i64),
    /// This many records before the end.
    BeforeEnd(i64),
    /// The first record with a timestamp at or after this (ms since the epoch).
    Timestamp(i64),
}

/// Parses `-o`: `beginning`, `end`, `N`, `-N`, `@MS` (or kcat's `s@MS`).
pub fn parse_start(s: &str) -> Result<StartOffset, String> {
    let bad = || format!("expected beginning, end, N, -N or @timestamp-ms, got {s:?}");
    match s {
        "beginning" | "earliest" => Ok(StartOffset::Beginning),
        "end" | "latest" => Ok(StartOffset::End),
        _ => {
            if let Some(ts) = s.strip_prefix("s@").or_else(|| s.strip_prefix('@')) {
                return ts.parse().map(StartOffset::Timestamp).map_err(|_| bad());
            }
            if let Some(n) = s.strip_prefix('-') {
                return n
                    .parse::<i64>()
                    .ok()
                    .filter(|n| *n >= 0)
                    .map(StartOffset::BeforeEnd)
                    .ok_or_else(bad);
            }
            s.parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .map(StartOffset::At)
                .ok_or_else(bad)
        }
    }
}

/// `kalfka consume` arguments.
#[derive(Debug, Args)]
pub struct ConsumeArgs {
    /// Topic to consume.
    pub topic: String,
    /// Only this partition (default: all).
    #[arg(short, long)]
    pub partition: Option<i32>,
    /// Where to start: beginning, end (the default), N (an offset), -N (N records before the
    /// end) or @MS (the first record at or after a timestamp in ms). With --share-group only
    /// beginning or end: sets the group's share.auto.offset.reset (earliest or latest), which
    /// applies to partitions the group has not started reading.
    #[arg(short = 'o', long, value_parser = parse_start, allow_hyphen_values = true)]
    pub offset: Option<StartOffset>,
    /// Same as `-o beginning`.
    #[arg(long, conflicts_with = "offset")]
    pub from_beginning: bool,
    /// Keep waiting for new records at the end (until Ctrl-C or --count).
    #[arg(short, long)]
    pub follow: bool,
    /// Stop after this many records.
    #[arg(short = 'c', long)]
    pub count: Option<usize>,
    /// Stop when no record arrived for this long (milliseconds).
    #[arg(long)]
    pub idle_timeout_ms: Option<u64>,
    /// kcat format: %t topic, %p partition, %o offset, %k key, %s value, %h headers,
    /// %T timestamp, %K/%S key/value length, \n \t (default: "%s\n"; ignored with --json).
    #[arg(long)]
    pub format: Option<String>,
    /// How keys and values are printed.
    #[arg(short = 'e', long, value_enum, default_value_t = Encoding::Text)]
    pub encoding: Encoding,
    /// Consume as a member of this consumer group: share the partitions with its other
    /// members, start from its committed offsets (else -o) and commit what was printed.
    #[arg(short = 'g', long, conflicts_with = "partition")]
    pub group: Option<String>,
    /// Consume as a member of this share group (a queue, KIP-932): records are spread over
    /// its members, each printed record is acknowledged with --ack, and its delivery count
    /// is shown (`%d`, JSON `delivery_count`). Without --follow, stops when no record came
    /// for --idle-timeout-ms (default 2000).
    #[arg(long, conflicts_with_all = ["partition", "group"])]
    pub share_group: Option<String>,
    /// How each printed record is acknowledged to the share group: accept (done), release
    /// (deliver it again, to any member) or reject (never deliver it again).
    #[arg(long, value_enum, default_value_t = AckMode::Accept, requires = "share_group")]
    pub ack: AckMode,
}

/// How a share-group member acknowledges the records it printed (`--ack`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AckMode {
    /// The record is processed: never delivered again.
    Accept,
    /// Give the record back: it is delivered again (its delivery count grows).
    Release,
    /// The record cannot be processed: never delivered again.
    Reject,
}

/// One partition's read position.
struct Position {
    partition: i32,
    next: i64,
    end: i64,
}

/// Read positions of `partitions`: a committed offset where there is one (`-g`), else
/// `start`; clamped to [log start, end].
async fn positions(
    client: &mut Client,
    topic: &str,
    partitions: &[(i32, Option<i64>)],
    start: StartOffset,
) -> Result<Vec<Position>, CliError> {
    let mut out = Vec::with_capacity(partitions.len());
    for &(p, committed) in partitions {
        let first = list_offset(client, topic, p, EARLIEST).await?;
        let end = list_offset(client, topic, p, LATEST).await?;
        let next = match (committed, start) {
            (Some(o), _) => o,
            (None, StartOffset::Beginning) => first,
            (None, StartOffset::End) => end,
            (None, StartOffset::At(o)) => o,
            (None, StartOffset::BeforeEnd(n)) => end.saturating_sub(n),
            (None, StartOffset::Timestamp(ts)) => match list_offset(client, topic, p, ts).await? {
                -1 => end,
                o => o,
            },
        }
        .clamp(first, end.max(first));
        out.push(Position {
            partition: p,
            next,
            end,
        });
    }
    Ok(out)
}

/// Consumes and prints records until the end (or forever with `--follow`), `--count`,
/// `--idle-timeout-ms` or SIGINT; with `--group`, as a member of the group that commits;
/// with `--share-group`, as a share-group member ([`super::share_consume`]).
pub async fn consume(client: &mut Client, args: ConsumeArgs, json: bool) -> Result<(), CliError> {
    let format = Format::parse(args.format.as_deref().unwrap_or("%s\\n"))
        .map_err(|e| CliError::Usage(e.to_string()))?;
    if args.share_group.is_some() {
        return super::share_consume::consume(client, args, format, json).await;
    }
    let start = if args.from_beginning {
        StartOffset::Beginning
    } else {
        args.offset.unwrap_or(StartOffset::End)
    };
    let mut member = None;
    let assigned: Vec<(i32, Option<i64>)> = match args.group.as_deref() {
        Some(g) => {
            let found = topic_partitions(client, &args.topic, false).await;
            topic_hint(client, &args.topic, found).await?;
            let m = member.insert(Member::connect(client, g, &args.topic).await?);
            m.join().await?
        }
        None => {
            let found = topic_partitions(client, &args.topic, false).await;
            let mut partitions = topic_hint(client, &args.topic, found).await?;
            if let Some(p) = args.partition {
                if !partitions.contains(&p) {
                    return Err(CliError::Usage(format!(
                        "topic {} has no partition {p} (it has {})",
                        args.topic,
                        partitions.len()
                    )));
                }
                partitions = vec![p];
            }
            partitions.into_iter().map(|p| (p, None)).collect()
        }
    };
    let mut positions = positions(client, &args.topic, &assigned, start).await?;
    let limit = args.count.unwrap_or(usize::MAX);
    let idle = args.idle_timeout_ms.map(Duration::from_millis);
    let mut printed = 0usize;
    let mut last_record = Instant::now();
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    let mut stopping = false;
    'fetching: while printed < limit && !stopping {
        if !args.follow && positions.iter().all(|p| p.next >= p.end) {
            break;
        }
        if idle.is_some_and(|idle| last_record.elapsed() >= idle) {
            break;
        }
        if positions.is_empty() {
            // A group member with no partition (more members than partitions): wait.
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(FETCH_WAIT_MS as u64)) => {},
                _ = &mut interrupted => break,
            }
        } else {
            let req = fetch_request(&args.topic, &positions);
            let fetch = client.call("Fetch", 12, &req);
            tokio::pin!(fetch);
            // On SIGINT the fetch in flight (at most FETCH_WAIT_MS at the broker) is still
            // read and printed, so the connection stays usable for the final commit.
            let resp: FetchResponse = tokio::select! {
                r = &mut fetch => r?.1,
                _ = &mut interrupted => {
                    stopping = true;
                    fetch.await?.1
                }
            };
            CliError::check("fetch", resp.error_code, None)?;
            for pd in resp.responses.into_iter().flat_map(|t| t.partitions) {
                let Some(pos) = positions
                    .iter_mut()
                    .find(|p| p.partition == pd.partition_index)
                else {
                    continue;
                };
                if pd.error_code == ErrorCode::OffsetOutOfRange.code() {
                    // Removed by retention since we started: go on from the new log start.
                    pos.next = pd.log_start_offset.max(pos.next.min(pd.high_watermark));
                    continue;
                }
                CliError::check(
                    format!("fetch {}-{}", args.topic, pd.partition_index),
                    pd.error_code,
                    None,
                )?;
                pos.end = pd.high_watermark;
                let Some(records) = pd.records else { continue };
                for batch in batches(records) {
                    let Ok(batch) = batch else { break };
                    let header = *batch.header();
                    if header.last_offset() < pos.next {
                        continue;
                    }
                    if !header.is_control() {
                        let recs = batch
                            .records()
                            .map_err(|e| CliError::Protocol(e.to_string()))?;
                        for r in recs {
                            let offset = r.offset(&header);
                            if offset < pos.next {
                                continue;
                            }
                            let record = ConsumedRecord::from_record(
                                &args.topic,
                                pd.partition_index,
                                &header,
                                &r,
                                None,
                            );
                            if !print_record(&record, &format, args.encoding, json) {
                                // stdout is closed (`| head`): nobody reads any more.
                                break 'fetching;
                            }
                            pos.next = offset + 1;
                            printed += 1;
                            last_record = Instant::now();
                            if printed >= limit {
                                break 'fetching;
                            }
                        }
                    }
                    pos.next = pos.next.max(header.next_offset());
                }
            }
        }
        if let Some(m) = member.as_mut() {
            if !stopping && m.pulse(&offsets(&positions)).await? == Pulse::Rejoin {
                let assigned = m.join().await?;
                positions = self::positions(client, &args.topic, &assigned, start).await?;
            }
        }
    }
    if let Some(m) = member.as_mut() {
        m.leave(&offsets(&positions)).await?;
    }
    Ok(())
}

/// (partition, next offset) of each position: what a group member commits.
fn offsets(positions: &[Position]) -> Vec<(i32, i64)> {
    positions.iter().map(|p| (p.partition, p.next)).collect()
}

fn fetch_request(topic: &str, positions: &[Position]) -> FetchRequest {
    FetchRequest {
        replica_id: -1,
        max_wait_ms: FETCH_WAIT_MS,
        min_bytes: 1,
        max_bytes: FETCH_BYTES,
        session_epoch: -1,
        topics: vec![FetchTopic {
            topic: topic.to_string(),
            partitions: positions
                .iter()
                .map(|p| FetchPartition {
                    partition: p.partition,
                    fetch_offset: p.next,
                    partition_max_bytes: FETCH_BYTES,
                    current_leader_epoch: -1,
                    last_fetched_epoch: -1,
                    log_start_offset: -1,
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }],
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_offsets_parse_like_kcat() {
        assert_eq!(parse_start("beginning"), Ok(StartOffset::Beginning));
        assert_eq!(parse_start("end"), Ok(StartOffset::End));
        assert_eq!(parse_start("42"), Ok(StartOffset::At(42)));
        assert_eq!(parse_start("-3"), Ok(StartOffset::BeforeEnd(3)));
        assert_eq!(
            parse_start("@1700000000000"),
            Ok(StartOffset::Timestamp(1_700_000_000_000))
        );
        assert_eq!(parse_start("s@5"), Ok(StartOffset::Timestamp(5)));
        for bad in ["", "x", "--1", "@", "@x", "1.5"] {
            assert!(parse_start(bad).is_err(), "{bad}");
        }
    }
}
