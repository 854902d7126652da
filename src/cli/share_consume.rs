//! `kalfka consume TOPIC --share-group G [--ack accept|release|reject]`: consumes as a member
//! of a share group (KIP-932, a queue), printing each record like `consume` (same formats,
//! plus `%d`/`delivery_count`) and acknowledging it with the chosen type.
//!
//! Invariants: a record is acknowledged only after it was printed and stdout flushed; every
//! acquired offset is acknowledged before the member leaves — printed records with `--ack`,
//! offsets without a record (control records, compacted away) as GAP, and records acquired
//! but not printed (the `--count` was reached, stdout closed) are released so that others get
//! them at once; acknowledgements ride on the next ShareFetch, the last ones on the
//! ShareAcknowledge that closes the session; SIGINT is only acted on between fetches (the
//! fetch in flight is still printed and acknowledged) and the member then leaves the group.
//! At most `--count` records are acquired, so a count limit never holds records back.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use kalfka_protocol::messages::incremental_alter_configs_request::{
    AlterConfigsResource, AlterableConfig,
};
use kalfka_protocol::messages::{IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse};
use kalfka_protocol::records::batches;

use super::client::{CliError, Client};
use super::consume::{AckMode, ConsumeArgs, StartOffset};
use super::format::{print_record, ConsumedRecord, Format};
use super::records::topic_partitions;
use super::share_member::{
    Acks, Acquired, ShareMember, ACK_ACCEPT, ACK_GAP, ACK_REJECT, ACK_RELEASE,
};
use super::suggest::topic_hint;

/// Longest a ShareFetch waits at the broker for records.
const FETCH_WAIT_MS: i32 = 500;
/// Records acquired per fetch at most.
const MAX_RECORDS: usize = 500;
/// Without `--follow`, stop when no record came for this long (unless --idle-timeout-ms).
const DEFAULT_IDLE_MS: u64 = 2_000;
/// Config resource type of a group.
const RESOURCE_GROUP: i8 = 32;

/// The wire acknowledge type of `mode`.
fn ack_type(mode: AckMode) -> i8 {
    match mode {
        AckMode::Accept => ACK_ACCEPT,
        AckMode::Release => ACK_RELEASE,
        AckMode::Reject => ACK_REJECT,
    }
}

/// The `share.auto.offset.reset` that `-o`/`--from-beginning` ask for, if any.
fn auto_offset_reset(args: &ConsumeArgs) -> Result<Option<&'static str>, CliError> {
    match (args.from_beginning, args.offset) {
        (true, _) | (_, Some(StartOffset::Beginning)) => Ok(Some("earliest")),
        (_, Some(StartOffset::End)) => Ok(Some("latest")),
        (_, None) => Ok(None),
        (_, Some(_)) => Err(CliError::Usage(
            "with --share-group, -o is beginning or end (the group's share.auto.offset.reset)"
                .into(),
        )),
    }
}

/// Consumes as a member of `args.share_group` until `--count`, the idle timeout or SIGINT,
/// then acknowledges what is pending and leaves the group.
pub async fn consume(
    client: &mut Client,
    args: ConsumeArgs,
    format: Format,
    json: bool,
) -> Result<(), CliError> {
    let group = args
        .share_group
        .clone()
        .ok_or_else(|| CliError::Usage("--share-group is required".into()))?;
    let reset = auto_offset_reset(&args)?;
    let found = topic_partitions(client, &args.topic, false).await;
    topic_hint(client, &args.topic, found).await?;
    if let Some(reset) = reset {
        set_group_config(client, &group, "share.auto.offset.reset", reset).await?;
    }
    let mut member = ShareMember::connect(client, &group, &args.topic).await?;
    let mut acks = Acks::new();
    let run = consume_loop(client, &mut member, &mut acks, &args, &format, json).await;
    let left = member.leave(client, &mut acks).await;
    for w in left.as_ref().map(Vec::as_slice).unwrap_or_default() {
        eprintln!("kalfka: warning: {w}");
    }
    run.and(left.map(|_| ()))
}

/// The fetch-print-acknowledge loop.
async fn consume_loop(
    client: &mut Client,
    member: &mut ShareMember,
    acks: &mut Acks,
    args: &ConsumeArgs,
    format: &Format,
    json: bool,
) -> Result<(), CliError> {
    let ack = ack_type(args.ack);
    let limit = args.count.unwrap_or(usize::MAX);
    let idle = args
        .idle_timeout_ms
        .or((!args.follow).then_some(DEFAULT_IDLE_MS))
        .map(Duration::from_millis);
    let mut printed = 0usize;
    let mut stdout_closed = false;
    let mut last_record = Instant::now();
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    let mut stopping = false;
    while printed < limit && !stopping && !stdout_closed {
        if idle.is_some_and(|idle| last_record.elapsed() >= idle) {
            break;
        }
        member.pulse().await?;
        if member.assigned().is_empty() {
            // More members than partitions, or the group is still being set up: wait.
            for w in member.flush(client, acks).await? {
                eprintln!("kalfka: warning: {w}");
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(FETCH_WAIT_MS as u64)) => continue,
                _ = &mut interrupted => break,
            }
        }
        let max_records = (limit - printed).min(MAX_RECORDS) as i32;
        let fetched = {
            let fetch = member.fetch(client, acks, max_records, FETCH_WAIT_MS);
            tokio::pin!(fetch);
            tokio::select! {
                r = &mut fetch => r?,
                _ = &mut interrupted => {
                    stopping = true;
                    fetch.await?
                }
            }
        };
        for w in &fetched.warnings {
            eprintln!("kalfka: warning: {w}");
        }
        for (partition, records, ranges) in fetched.partitions {
            let mut done: BTreeMap<i64, i8> = BTreeMap::new();
            let mut present: BTreeSet<i64> = BTreeSet::new();
            let mut parsed_upto = i64::MIN;
            for batch in batches(records) {
                let Ok(batch) = batch else { break };
                let header = *batch.header();
                if !header.is_control() {
                    let recs = batch
                        .records()
                        .map_err(|e| CliError::Protocol(e.to_string()))?;
                    for r in recs {
                        let offset = r.offset(&header);
                        let Some(count) = delivery_count(&ranges, offset) else {
                            continue;
                        };
                        present.insert(offset);
                        if printed >= limit || stdout_closed {
                            continue;
                        }
                        let record = ConsumedRecord::from_record(
                            &args.topic,
                            partition,
                            &header,
                            &r,
                            Some(count),
                        );
                        if !print_record(&record, format, args.encoding, json) {
                            stdout_closed = true;
                            continue;
                        }
                        done.insert(offset, ack);
                        printed += 1;
                        last_record = Instant::now();
                    }
                }
                parsed_upto = parsed_upto.max(header.next_offset());
            }
            acks.entry(partition).or_default().extend(settle(
                &ranges,
                &done,
                &present,
                parsed_upto,
            ));
        }
    }
    Ok(())
}

/// The acknowledgement of every offset in the acquired `ranges`: the type in `done` for a
/// printed record; RELEASE for a record not printed (`present`) or an offset past the batches
/// read (`parsed_upto`), so that another member gets it; GAP for an offset inside the batches
/// read that has no record (a control record, or compacted away).
fn settle(
    ranges: &[Acquired],
    done: &BTreeMap<i64, i8>,
    present: &BTreeSet<i64>,
    parsed_upto: i64,
) -> BTreeMap<i64, i8> {
    let mut out = BTreeMap::new();
    for range in ranges {
        for offset in range.first..=range.last {
            let t = match done.get(&offset) {
                Some(t) => *t,
                None if present.contains(&offset) || offset >= parsed_upto => ACK_RELEASE,
                None => ACK_GAP,
            };
            out.insert(offset, t);
        }
    }
    out
}

/// The delivery count of `offset` if it lies in one of the acquired `ranges`.
fn delivery_count(ranges: &[Acquired], offset: i64) -> Option<i16> {
    ranges
        .iter()
        .find(|r| r.first <= offset && offset <= r.last)
        .map(|r| r.delivery_count)
}

/// Sets `key` to `value` in the configs of `group` (IncrementalAlterConfigs on a GROUP).
async fn set_group_config(
    client: &mut Client,
    group: &str,
    key: &str,
    value: &str,
) -> Result<(), CliError> {
    let req = IncrementalAlterConfigsRequest {
        resources: vec![AlterConfigsResource {
            resource_type: RESOURCE_GROUP,
            resource_name: group.to_string(),
            configs: vec![AlterableConfig {
                name: key.to_string(),
                config_operation: 0,
                value: Some(value.to_string()),
            }],
        }],
        validate_only: false,
    };
    let (_, resp): (_, IncrementalAlterConfigsResponse) =
        client.call("IncrementalAlterConfigs", 1, &req).await?;
    let r = resp
        .responses
        .into_iter()
        .next()
        .ok_or_else(|| CliError::Protocol("empty IncrementalAlterConfigs response".into()))?;
    CliError::check(
        format!("set {key}={value} on share group {group}"),
        r.error_code,
        r.error_message,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delivery_counts_come_from_the_acquired_range() {
        let ranges = [
            Acquired {
                partition: 0,
                first: 2,
                last: 4,
                delivery_count: 1,
            },
            Acquired {
                partition: 0,
                first: 7,
                last: 7,
                delivery_count: 3,
            },
        ];
        assert_eq!(delivery_count(&ranges, 1), None);
        assert_eq!(delivery_count(&ranges, 4), Some(1));
        assert_eq!(delivery_count(&ranges, 7), Some(3));
        assert_eq!(delivery_count(&ranges, 5), None);
    }

    #[test]
    fn every_acquired_offset_is_settled() {
        let ranges = [Acquired {
            partition: 0,
            first: 0,
            last: 5,
            delivery_count: 1,
        }];
        let done: BTreeMap<i64, i8> = [(0, ACK_REJECT), (1, ACK_ACCEPT)].into_iter().collect();
        let present: BTreeSet<i64> = [0, 1, 2].into_iter().collect();
        let got: Vec<(i64, i8)> = settle(&ranges, &done, &present, 4).into_iter().collect();
        assert_eq!(
            got,
            vec![
                (0, ACK_REJECT),
                (1, ACK_ACCEPT),
                (2, ACK_RELEASE),
                (3, ACK_GAP),
                (4, ACK_RELEASE),
                (5, ACK_RELEASE),
            ]
        );
    }
}
