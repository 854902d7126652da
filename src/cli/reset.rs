//! `kalfka group reset-offsets`: plans new committed offsets for a group and applies them
//! only with `--execute`, as Kafka's `kafka-consumer-groups.sh --reset-offsets` does.
//!
//! Invariants: without `--execute` nothing is sent but reads (the plan is printed, a note on
//! stderr says nothing changed); every new offset is clamped to its partition's
//! [log start, high watermark], as Kafka's tool does; only an inactive group (Empty or Dead)
//! is reset, and a `--shift-by` of a partition with no committed offset is refused.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::Args;
use kalfka_protocol::messages::*;
use serde_json::json;

use super::client::{CliError, Client};
use super::groups::committed;
use super::member::coordinator;
use super::output::Table;
use super::records::{list_offset, topic_partitions, EARLIEST, LATEST};
use super::suggest::topic_hint;
use super::time::{parse_datetime, parse_duration};
use crate::groups::reset_plan::{self, PlannedOffset};

/// Where the offsets go: exactly one of these.
#[derive(Debug, Clone, Args)]
#[group(required = true, multiple = false)]
pub struct ResetSpec {
    /// The log start of each partition.
    #[arg(long)]
    pub to_earliest: bool,
    /// The end of each partition.
    #[arg(long)]
    pub to_latest: bool,
    /// The committed offset (the end where none is committed).
    #[arg(long)]
    pub to_current: bool,
    /// This offset.
    #[arg(long, value_name = "N")]
    pub to_offset: Option<i64>,
    /// The first offset at or after this time: YYYY-MM-DDTHH:MM:SS[.sss][Z|+HH:MM] (UTC
    /// without a zone).
    #[arg(long, value_name = "ISO8601", value_parser = parse_datetime)]
    pub to_datetime: Option<i64>,
    /// The committed offset plus N (N may be negative).
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub shift_by: Option<i64>,
    /// The first offset at or after now minus this duration (PnDTnHnMnS, e.g. PT1H).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub by_duration: Option<i64>,
}

/// `group reset-offsets` arguments.
#[derive(Debug, Args)]
pub struct ResetArgs {
    /// Group id.
    pub group: String,
    /// Topic to reset, repeatable; TOPIC:0,2 for some partitions only.
    #[arg(long = "topic", required_unless_present = "all_topics")]
    pub topics: Vec<String>,
    /// Every topic the group has committed offsets for.
    #[arg(long, conflicts_with = "topics")]
    pub all_topics: bool,
    /// The new offsets.
    #[command(flatten)]
    pub spec: ResetSpec,
    /// Commit the new offsets (without it, only the plan is printed).
    #[arg(long)]
    pub execute: bool,
    /// Print the plan only (the default; accepted as Kafka's tool takes it).
    #[arg(long, conflicts_with = "execute")]
    pub dry_run: bool,
}

/// Plans the reset, prints it, and commits it with `--execute`.
pub async fn reset(client: &mut Client, args: ResetArgs, json: bool) -> Result<(), CliError> {
    let group = args.group.as_str();
    let mut coordinator = coordinator(client, group).await?;
    let state = group_state(&mut coordinator, group).await?;
    if state != "Empty" && state != "Dead" {
        return Err(CliError::Usage(format!(
            "assignments can only be reset if the group '{group}' is inactive, but the current state is {state}"
        )));
    }
    let current: BTreeMap<(String, i32), i64> = committed(&mut coordinator, group)
        .await?
        .into_iter()
        .map(|(t, p, o)| ((t, p), o))
        .collect();
    let mut targets: Vec<(String, i32)> = Vec::new();
    if args.all_topics {
        targets.extend(current.keys().cloned());
    }
    for spec in &args.topics {
        let (topic, wanted) = match spec.split_once(':') {
            Some((t, list)) => {
                let parts = list
                    .split(',')
                    .map(|p| p.trim().parse::<i32>())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|_| {
                        CliError::Usage(format!("--topic {spec}: expected TOPIC or TOPIC:0,1,..."))
                    })?;
                (t, Some(parts))
            }
            None => (spec.as_str(), None),
        };
        let found = topic_partitions(client, topic, false).await;
        let existing = topic_hint(client, topic, found).await?;
        let chosen = match wanted {
            Some(parts) => {
                if let Some(p) = parts.iter().find(|p| !existing.contains(p)) {
                    return Err(CliError::Usage(format!(
                        "topic {topic} has no partition {p}"
                    )));
                }
                parts
            }
            None => existing,
        };
        targets.extend(chosen.into_iter().map(|p| (topic.to_string(), p)));
    }
    targets.sort();
    targets.dedup();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let mut plan = Vec::with_capacity(targets.len());
    for (topic, partition) in targets {
        let start = list_offset(client, &topic, partition, EARLIEST).await?;
        let end = list_offset(client, &topic, partition, LATEST).await?;
        let cur = current.get(&(topic.clone(), partition)).copied();
        let s = &args.spec;
        let by_time = match (s.to_datetime, s.by_duration) {
            (Some(ts), _) => Some(ts),
            (None, Some(d)) => Some(now.saturating_sub(d)),
            _ => None,
        };
        let wanted = if s.to_earliest {
            start
        } else if s.to_latest {
            end
        } else if s.to_current {
            cur.unwrap_or(end)
        } else if let Some(o) = s.to_offset {
            o
        } else if let Some(n) = s.shift_by {
            cur.ok_or_else(|| {
                CliError::Usage(format!(
                    "cannot shift the offset of {topic}-{partition}: group {group} has none committed"
                ))
            })?
            .saturating_add(n)
        } else if let Some(ts) = by_time {
            match list_offset(client, &topic, partition, ts).await? {
                -1 => end,
                o => o,
            }
        } else {
            return Err(CliError::Usage("give one --to-* option".into()));
        };
        plan.push(PlannedOffset {
            topic,
            partition,
            current: cur,
            new: wanted.clamp(start, end.max(start)),
        });
    }
    let mut table = Table::new(&[
        "GROUP",
        "TOPIC",
        "PARTITION",
        "CURRENT-OFFSET",
        "NEW-OFFSET",
    ]);
    for p in &plan {
        table.row(vec![
            json!(group),
            json!(p.topic),
            json!(p.partition),
            json!(p.current),
            json!(p.new),
        ]);
    }
    if args.execute {
        commit(&mut coordinator, group, &plan).await?;
        table.print(json);
        eprintln!(
            "kalfka: committed {} new offsets for group {group}",
            plan.len()
        );
    } else {
        table.print(json);
        eprintln!("kalfka: dry run, nothing changed; add --execute to commit these offsets");
    }
    Ok(())
}

async fn group_state(client: &mut Client, group: &str) -> Result<String, CliError> {
    let req = DescribeGroupsRequest {
        groups: vec![group.to_string()],
        include_authorized_operations: false,
    };
    let (_, resp): (_, DescribeGroupsResponse) = client.call("DescribeGroups", 5, &req).await?;
    let g = resp
        .groups
        .into_iter()
        .next()
        .ok_or_else(|| CliError::Protocol("empty DescribeGroups response".into()))?;
    CliError::check(format!("describe group {group}"), g.error_code, None)?;
    Ok(g.group_state)
}

async fn commit(client: &mut Client, group: &str, plan: &[PlannedOffset]) -> Result<(), CliError> {
    let req = reset_plan::commit_request(group, plan);
    let (_, resp): (_, OffsetCommitResponse) = client.call("OffsetCommit", 8, &req).await?;
    for t in resp.topics {
        for p in t.partitions {
            CliError::check(
                format!(
                    "commit offset of {}-{} for {group}",
                    t.name, p.partition_index
                ),
                p.error_code,
                None,
            )?;
        }
    }
    Ok(())
}
