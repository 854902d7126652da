//! `kalfka produce`: reads stdin line by line and sends the lines as records while it reads.
//!
//! Invariants: a line is sent as soon as it has been read (with whatever else is already
//! waiting, up to [`BATCH_RECORDS`] records or [`BATCH_BYTES`] bytes), so an endless or slow
//! stdin is produced as it comes; a batch is acknowledged (unless `--acks 0`) before the next
//! one is sent, so records keep stdin's order per partition; the first refusal ends the
//! command with the broker's error and everything before it stays produced. Ctrl-C (SIGINT)
//! stops reading, sends the lines already read, prints the count and exits 0.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::{Args, ValueEnum};
use kalfka_protocol::error_code::ErrorCode;
use kalfka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use kalfka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kalfka_protocol::messages::*;
use kalfka_protocol::records::{Compression, RecordBatchBuilder};
use tokio::sync::mpsc;

use super::client::{CliError, Client};
use super::encoding::Encoding;
use super::output::emit;
use super::records::{key_partition, topic_partitions};

/// Most records sent in one Produce request.
pub const BATCH_RECORDS: usize = 500;
/// Most key and value bytes sent in one Produce request (well under Kafka's default 1 MB
/// `max.message.bytes`).
pub const BATCH_BYTES: usize = 256 * 1024;
/// Lines read ahead of the sender.
const READ_AHEAD: usize = 4096;

/// Compression codec of produced batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompressionArg {
    /// No compression.
    None,
    /// gzip.
    Gzip,
    /// snappy.
    Snappy,
    /// lz4.
    Lz4,
    /// zstd.
    Zstd,
}

impl From<CompressionArg> for Compression {
    fn from(c: CompressionArg) -> Compression {
        match c {
            CompressionArg::None => Compression::None,
            CompressionArg::Gzip => Compression::Gzip,
            CompressionArg::Snappy => Compression::Snappy,
            CompressionArg::Lz4 => Compression::Lz4,
            CompressionArg::Zstd => Compression::Zstd,
        }
    }
}

/// Parses `--acks`: `all` (or -1), 0 or 1.
pub fn parse_acks(s: &str) -> Result<i16, String> {
    match s {
        "all" | "-1" => Ok(-1),
        "0" => Ok(0),
        "1" => Ok(1),
        _ => Err(format!("expected all, -1, 0 or 1, got {s:?}")),
    }
}

/// `kalfka produce` arguments.
#[derive(Debug, Args)]
pub struct ProduceArgs {
    /// Topic to produce to (created if missing and the broker auto-creates topics).
    pub topic: String,
    /// Partition to produce to (default: by key as Kafka's partitioner does, round-robin
    /// for records without a key).
    #[arg(short, long)]
    pub partition: Option<i32>,
    /// Split each line into key and value at the first occurrence of this delimiter.
    #[arg(short = 'k', long, visible_alias = "key-separator")]
    pub key_delimiter: Option<String>,
    /// Header added to every record, repeatable: -H source=cli.
    #[arg(short = 'H', long = "header", value_parser = super::key_value)]
    pub headers: Vec<(String, String)>,
    /// Acknowledgements to wait for: all (-1), 1 or 0 (none: nothing is confirmed).
    #[arg(long, value_parser = parse_acks, default_value = "all", allow_hyphen_values = true)]
    pub acks: i16,
    /// Compression of the produced batches.
    #[arg(long, value_enum, default_value_t = CompressionArg::None)]
    pub compression: CompressionArg,
    /// How keys and values are written on stdin: text, or hex/base64 for binary records.
    #[arg(short = 'e', long, value_enum, default_value_t = Encoding::Text)]
    pub encoding: Encoding,
}

/// A line of stdin split into key and value.
type Line = (Option<Vec<u8>>, Vec<u8>);

/// Reads stdin on a thread, one line (without its `\n`) per message, until EOF or the
/// receiver is gone.
fn read_stdin(tx: mpsc::Sender<std::io::Result<Vec<u8>>>) {
    let mut stdin = std::io::stdin().lock();
    loop {
        let mut line = Vec::new();
        match stdin.read_until(b'\n', &mut line) {
            Ok(0) => return,
            Ok(_) => {
                if line.last() == Some(&b'\n') {
                    line.pop();
                }
                if tx.blocking_send(Ok(line)).is_err() {
                    return;
                }
            }
            Err(e) => {
                let _ = tx.blocking_send(Err(e));
                return;
            }
        }
    }
}

/// Splits and decodes one stdin line.
fn parse_line(args: &ProduceArgs, line: &[u8]) -> Result<Line, CliError> {
    let decode = |b: &[u8]| {
        args.encoding
            .decode(b)
            .map_err(|e| CliError::Usage(format!("stdin: {e}")))
    };
    match &args.key_delimiter {
        Some(d) if !d.is_empty() => {
            let d = d.as_bytes();
            match line.windows(d.len()).position(|w| w == d) {
                Some(at) => Ok((Some(decode(&line[..at])?), decode(&line[at + d.len()..])?)),
                None => Ok((None, decode(line)?)),
            }
        }
        _ => Ok((None, decode(line)?)),
    }
}

/// Produces stdin's lines as they are read; prints how many were produced.
pub async fn produce(client: &mut Client, args: ProduceArgs, json: bool) -> Result<(), CliError> {
    let partitions = topic_partitions(client, &args.topic, true).await?;
    if partitions.is_empty() {
        return Err(CliError::Io(format!(
            "topic {} has no partitions with a leader yet",
            args.topic
        )));
    }
    let (tx, mut rx) = mpsc::channel(READ_AHEAD);
    std::thread::spawn(move || read_stdin(tx));
    let mut sent = 0usize;
    let mut round_robin = 0usize;
    let read_err = |e: std::io::Error| CliError::Io(format!("reading stdin: {e}"));
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    let mut stopping = false;
    loop {
        let first = if stopping {
            rx.recv().await
        } else {
            tokio::select! {
                line = rx.recv() => line,
                _ = &mut interrupted => {
                    // Ctrl-C: stop reading; what was already read is still sent.
                    stopping = true;
                    rx.close();
                    rx.recv().await
                }
            }
        };
        let Some(first) = first else { break };
        let mut lines = vec![parse_line(&args, &first.map_err(read_err)?)?];
        let mut bytes = lines[0].1.len();
        while lines.len() < BATCH_RECORDS && bytes < BATCH_BYTES {
            match rx.try_recv() {
                Ok(line) => {
                    let line = parse_line(&args, &line.map_err(read_err)?)?;
                    bytes += line.1.len() + line.0.as_ref().map_or(0, Vec::len);
                    lines.push(line);
                }
                Err(_) => break,
            }
        }
        let mut by_partition: BTreeMap<i32, Vec<Line>> = BTreeMap::new();
        for line in lines {
            let partition = match (args.partition, &line.0) {
                (Some(p), _) => p,
                (None, Some(k)) => key_partition(k, partitions.len()),
                (None, None) => {
                    round_robin += 1;
                    partitions[(round_robin - 1) % partitions.len()]
                }
            };
            by_partition.entry(partition).or_default().push(line);
        }
        sent += send(client, &args, by_partition).await?;
    }
    if json {
        emit(
            &serde_json::json!({ "topic": args.topic, "records": sent, "acks": args.acks })
                .to_string(),
        );
    } else {
        emit(&format!("produced {sent} records to {}", args.topic));
    }
    Ok(())
}

/// Sends one Produce request; returns the number of records in it.
async fn send(
    client: &mut Client,
    args: &ProduceArgs,
    by_partition: BTreeMap<i32, Vec<Line>>,
) -> Result<usize, CliError> {
    let headers: Vec<(&str, Option<&[u8]>)> = args
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), Some(v.as_bytes())))
        .collect();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let mut count = 0;
    let mut sizes = BTreeMap::new();
    let mut partition_data = Vec::new();
    for (index, lines) in by_partition {
        let mut builder = RecordBatchBuilder::new(args.compression.into());
        for (key, value) in &lines {
            builder.append(now, key.as_deref(), Some(value), &headers);
        }
        let records = builder
            .build()
            .map_err(|e| CliError::Protocol(e.to_string()))?;
        count += lines.len();
        sizes.insert(index, (records.len(), lines.len()));
        partition_data.push(PartitionProduceData {
            index,
            records: Some(records),
        });
    }
    let req = ProduceRequest {
        acks: args.acks,
        timeout_ms: 30_000,
        topic_data: vec![TopicProduceData {
            name: args.topic.clone(),
            partition_data,
        }],
        ..Default::default()
    };
    if args.acks == 0 {
        client.send("Produce", 9, &req).await?;
        return Ok(count);
    }
    let (_, resp): (_, ProduceResponse) = client.call("Produce", 9, &req).await?;
    for p in resp
        .responses
        .into_iter()
        .flat_map(|t| t.partition_responses)
    {
        let context = format!("produce to {}-{}", args.topic, p.index);
        let message = p.error_message.or_else(|| {
            p.record_errors
                .iter()
                .find_map(|e| e.batch_index_error_message.clone())
        });
        if p.error_code == ErrorCode::MessageTooLarge.code() && message.is_none() {
            let (bytes, records) = sizes.get(&p.index).copied().unwrap_or_default();
            let limit = max_message_bytes(client, &args.topic).await;
            let limit =
                limit.map_or_else(String::new, |m| format!(" exceeds max.message.bytes {m}"));
            return CliError::check(
                context,
                p.error_code,
                Some(format!(
                    "record batch of {bytes} bytes ({records} records){limit}"
                )),
            )
            .map(|()| 0);
        }
        CliError::check(context, p.error_code, message)?;
    }
    Ok(count)
}

/// The topic's `max.message.bytes`, if the broker describes it.
async fn max_message_bytes(client: &mut Client, topic: &str) -> Option<String> {
    let req = DescribeConfigsRequest {
        resources: vec![DescribeConfigsResource {
            resource_type: 2,
            resource_name: topic.to_string(),
            configuration_keys: Some(vec!["max.message.bytes".into()]),
        }],
        include_synonyms: false,
        include_documentation: false,
    };
    let (_, resp): (_, DescribeConfigsResponse) =
        client.call("DescribeConfigs", 4, &req).await.ok()?;
    resp.results
        .into_iter()
        .flat_map(|r| r.configs)
        .find(|c| c.name == "max.message.bytes")
        .and_then(|c| c.value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acks_parse() {
        assert_eq!(parse_acks("all"), Ok(-1));
        assert_eq!(parse_acks("-1"), Ok(-1));
        assert_eq!(parse_acks("0"), Ok(0));
        assert_eq!(parse_acks("1"), Ok(1));
        assert!(parse_acks("2").is_err());
    }
}
