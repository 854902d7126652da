//! `kalfka produce` and `kalfka consume`.

use std::io::BufRead;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Args;
use kalfka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kalfka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kalfka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kalfka_protocol::messages::*;
use kalfka_protocol::records::{batches, Compression, RecordBatchBuilder};

use super::client::{CliError, Client};
use super::output::{done, Table};
use super::topics::metadata;

/// Records per produced batch.
const BATCH_RECORDS: usize = 500;
/// Bytes asked for per partition and fetch.
const FETCH_BYTES: i32 = 4 * 1024 * 1024;

/// `kalfka produce` arguments.
#[derive(Debug, Args)]
pub struct ProduceArgs {
    /// Topic to produce to.
    pub topic: String,
    /// Partition to produce to (default: by key as Kafka's partitioner does, round-robin
    /// for records without a key).
    #[arg(long)]
    pub partition: Option<i32>,
    /// Split each line into key and value at the first occurrence of this separator.
    #[arg(long)]
    pub key_separator: Option<String>,
    /// Header added to every record, repeatable: --header source=cli.
    #[arg(long = "header", value_parser = super::key_value)]
    pub headers: Vec<(String, String)>,
}

/// `kalfka consume` arguments.
#[derive(Debug, Args)]
pub struct ConsumeArgs {
    /// Topic to consume.
    pub topic: String,
    /// Only this partition (default: all).
    #[arg(long)]
    pub partition: Option<i32>,
    /// Start at the earliest offset instead of the end.
    #[arg(long)]
    pub from_beginning: bool,
    /// Stop after this many records.
    #[arg(long)]
    pub count: Option<usize>,
    /// Stop when no record arrived for this long (milliseconds).
    #[arg(long, default_value_t = 2000)]
    pub idle_timeout_ms: u64,
}

/// Produces each stdin line as one record: to `--partition`, else keyed records to Kafka's
/// murmur2 key partition and unkeyed ones round-robin.
pub async fn produce(client: &mut Client, args: ProduceArgs, json: bool) -> Result<(), CliError> {
    let lines: Vec<String> = std::io::stdin()
        .lock()
        .lines()
        .collect::<Result<_, _>>()
        .map_err(|e| CliError::Io(format!("reading stdin: {e}")))?;
    let partition_count = match args.partition {
        Some(_) => 1,
        None => {
            let md = metadata(client, Some(&[args.topic.as_str()])).await?;
            let t = md
                .topics
                .into_iter()
                .next()
                .ok_or_else(|| CliError::Protocol("empty Metadata response".into()))?;
            CliError::check(format!("topic {}", args.topic), t.error_code, None)?;
            t.partitions.len().max(1)
        }
    };
    let records: Vec<(i32, Option<&str>, &str)> = lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let (key, value) = match &args.key_separator {
                Some(sep) => match line.split_once(sep.as_str()) {
                    Some((k, v)) => (Some(k), v),
                    None => (None, line.as_str()),
                },
                None => (None, line.as_str()),
            };
            let partition = match (args.partition, key) {
                (Some(p), _) => p,
                (None, Some(k)) => key_partition(k.as_bytes(), partition_count),
                (None, None) => (i % partition_count) as i32,
            };
            (partition, key, value)
        })
        .collect();
    let headers: Vec<(&str, Option<&[u8]>)> = args
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), Some(v.as_bytes())))
        .collect();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let mut sent = 0usize;
    for chunk in records.chunks(BATCH_RECORDS) {
        let mut by_partition: std::collections::BTreeMap<i32, RecordBatchBuilder> =
            std::collections::BTreeMap::new();
        for (partition, key, value) in chunk {
            by_partition
                .entry(*partition)
                .or_insert_with(|| RecordBatchBuilder::new(Compression::None))
                .append(
                    now,
                    key.map(str::as_bytes),
                    Some(value.as_bytes()),
                    &headers,
                );
        }
        let mut partition_data = Vec::new();
        for (index, builder) in by_partition {
            let records = builder
                .build()
                .map_err(|e| CliError::Protocol(e.to_string()))?;
            partition_data.push(PartitionProduceData {
                index,
                records: Some(records),
            });
        }
        let req = ProduceRequest {
            acks: -1,
            timeout_ms: 30_000,
            topic_data: vec![TopicProduceData {
                name: args.topic.clone(),
                partition_data,
            }],
            ..Default::default()
        };
        let (_, resp): (_, ProduceResponse) = client.call("Produce", 9, &req).await?;
        for p in resp
            .responses
            .into_iter()
            .flat_map(|t| t.partition_responses)
        {
            CliError::check(
                format!("produce to {}-{}", args.topic, p.index),
                p.error_code,
                p.error_message,
            )?;
        }
        sent += chunk.len();
    }
    done(json, &format!("produced {sent} records to {}", args.topic));
    Ok(())
}

/// The partition Kafka's default partitioner picks for `key`: murmur2, sign bit cleared,
/// modulo the partition count.
pub fn key_partition(key: &[u8], partitions: usize) -> i32 {
    let hash = murmur2(key) & 0x7fff_ffff;
    (hash as usize % partitions.max(1)) as i32
}

/// Kafka's murmur2 (seed 0x9747b28c), as in `org.apache.kafka.common.utils.Utils.murmur2`.
fn murmur2(data: &[u8]) -> u32 {
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;
    let mut h: u32 = 0x9747_b28c ^ (data.len() as u32);
    let mut chunks = data.chunks_exact(4);
    for c in &mut chunks {
        let mut k = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    let rest = chunks.remainder();
    if rest.len() >= 3 {
        h ^= u32::from(rest[2]) << 16;
    }
    if rest.len() >= 2 {
        h ^= u32::from(rest[1]) << 8;
    }
    if !rest.is_empty() {
        h ^= u32::from(rest[0]);
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h
}

/// Fetches records and prints them (bounded by `--count` and `--idle-timeout-ms`).
pub async fn consume(client: &mut Client, args: ConsumeArgs, json: bool) -> Result<(), CliError> {
    let md = metadata(client, Some(&[args.topic.as_str()])).await?;
    let t = md
        .topics
        .into_iter()
        .next()
        .ok_or_else(|| CliError::Protocol("empty Metadata response".into()))?;
    CliError::check(format!("topic {}", args.topic), t.error_code, None)?;
    let mut partitions: Vec<i32> = t.partitions.iter().map(|p| p.partition_index).collect();
    partitions.sort_unstable();
    if let Some(p) = args.partition {
        if !partitions.contains(&p) {
            return Err(CliError::Usage(format!(
                "topic {} has no partition {p}",
                args.topic
            )));
        }
        partitions = vec![p];
    }
    let start = if args.from_beginning { -2 } else { -1 };
    let mut offsets = Vec::new();
    for &p in &partitions {
        offsets.push((p, list_offset(client, &args.topic, p, start).await?));
    }
    let limit = args.count.unwrap_or(usize::MAX);
    let idle = Duration::from_millis(args.idle_timeout_ms);
    let mut table = Table::new(&["PARTITION", "OFFSET", "KEY", "VALUE", "HEADERS"]);
    let mut last_record = Instant::now();
    while table.rows.len() < limit && last_record.elapsed() < idle {
        let req = FetchRequest {
            replica_id: -1,
            max_wait_ms: 500,
            min_bytes: 1,
            max_bytes: FETCH_BYTES,
            session_epoch: -1,
            topics: vec![FetchTopic {
                topic: args.topic.clone(),
                partitions: offsets
                    .iter()
                    .map(|(p, o)| FetchPartition {
                        partition: *p,
                        fetch_offset: *o,
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
        };
        let (_, resp): (_, FetchResponse) = client.call("Fetch", 12, &req).await?;
        CliError::check("fetch", resp.error_code, None)?;
        for pd in resp.responses.into_iter().flat_map(|t| t.partitions) {
            CliError::check(
                format!("fetch {}-{}", args.topic, pd.partition_index),
                pd.error_code,
                None,
            )?;
            let Some(records) = pd.records else { continue };
            let Some(slot) = offsets.iter_mut().find(|(p, _)| *p == pd.partition_index) else {
                continue;
            };
            for batch in batches(records) {
                let Ok(batch) = batch else { break };
                let base = batch.header().base_offset;
                let recs = batch
                    .records()
                    .map_err(|e| CliError::Protocol(e.to_string()))?;
                for r in recs {
                    let offset = base + i64::from(r.offset_delta);
                    if offset < slot.1 || table.rows.len() >= limit {
                        continue;
                    }
                    slot.1 = offset + 1;
                    last_record = Instant::now();
                    let text = |b: &Option<bytes::Bytes>| {
                        b.as_ref()
                            .map(|b| String::from_utf8_lossy(b).into_owned())
                            .unwrap_or_default()
                    };
                    let headers = r
                        .headers
                        .iter()
                        .map(|h| format!("{}={}", h.key, text(&h.value)))
                        .collect::<Vec<_>>()
                        .join(",");
                    table.row(vec![
                        pd.partition_index.to_string(),
                        offset.to_string(),
                        text(&r.key),
                        text(&r.value),
                        headers,
                    ]);
                }
            }
        }
    }
    table.print(json);
    Ok(())
}

/// The offset ListOffsets gives for `timestamp` (-1 latest, -2 earliest).
pub(crate) async fn list_offset(
    client: &mut Client,
    topic: &str,
    partition: i32,
    timestamp: i64,
) -> Result<i64, CliError> {
    let req = ListOffsetsRequest {
        replica_id: -1,
        topics: vec![ListOffsetsTopic {
            name: topic.to_string(),
            partitions: vec![ListOffsetsPartition {
                partition_index: partition,
                current_leader_epoch: -1,
                timestamp,
                ..Default::default()
            }],
        }],
        ..Default::default()
    };
    let (_, resp): (_, ListOffsetsResponse) = client.call("ListOffsets", 7, &req).await?;
    let p = resp
        .topics
        .into_iter()
        .flat_map(|t| t.partitions)
        .next()
        .ok_or_else(|| CliError::Protocol("empty ListOffsets response".into()))?;
    CliError::check(
        format!("list offsets of {topic}-{partition}"),
        p.error_code,
        None,
    )?;
    Ok(p.offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn murmur2_matches_kafka() {
        // Values from Kafka's UtilsTest.testMurmur2.
        assert_eq!(murmur2(b"21") as i32, -973932308);
        assert_eq!(murmur2(b"foobar") as i32, -790332482);
        assert_eq!(murmur2(b"a-little-bit-long-string") as i32, -985981536);
        assert_eq!(murmur2(b"a-little-bit-longer-string") as i32, -1486304829);
        assert_eq!(
            murmur2(b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8") as i32,
            -58897971
        );
        assert_eq!(murmur2(b"abc") as i32, 479470107);
    }
}
