//! What `produce` and `consume` share: Kafka's key partitioner, a topic's partitions (with
//! auto-creation as kcat asks for it) and ListOffsets.
//!
//! Invariants: [`key_partition`] is Kafka's default partitioner bit for bit (murmur2, sign bit
//! cleared, modulo the partition count), so keyed records land where Java clients put them.

use std::time::Duration;

use kalfka_protocol::error_code::ErrorCode;
use kalfka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kalfka_protocol::messages::metadata_request::MetadataRequestTopic;
use kalfka_protocol::messages::*;

use super::client::{CliError, Client};

/// ListOffsets timestamp meaning the log start.
pub const EARLIEST: i64 = -2;
/// ListOffsets timestamp meaning the end of the log.
pub const LATEST: i64 = -1;
/// Metadata requests made while a new topic's leaders are elected.
const METADATA_ATTEMPTS: u32 = 20;

/// The sorted partition indexes of `topic`; with `auto_create`, the Metadata request allows
/// the broker to create it (as kcat's producer does), and waits out LEADER_NOT_AVAILABLE.
pub async fn topic_partitions(
    client: &mut Client,
    topic: &str,
    auto_create: bool,
) -> Result<Vec<i32>, CliError> {
    let req = MetadataRequest {
        topics: Some(vec![MetadataRequestTopic {
            name: Some(topic.to_string()),
            ..Default::default()
        }]),
        allow_auto_topic_creation: auto_create,
        ..Default::default()
    };
    let mut attempt = 0;
    loop {
        attempt += 1;
        let (_, resp): (_, MetadataResponse) = client.call("Metadata", 12, &req).await?;
        let t = resp
            .topics
            .into_iter()
            .next()
            .ok_or_else(|| CliError::Protocol("empty Metadata response".into()))?;
        let waiting = t.error_code == ErrorCode::LeaderNotAvailable.code()
            || (t.error_code == 0 && t.partitions.is_empty());
        if waiting && attempt < METADATA_ATTEMPTS {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        }
        CliError::check(format!("topic {topic}"), t.error_code, None)?;
        let mut partitions: Vec<i32> = t.partitions.iter().map(|p| p.partition_index).collect();
        partitions.sort_unstable();
        return Ok(partitions);
    }
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

/// The offset ListOffsets gives for `timestamp` ([`LATEST`], [`EARLIEST`] or ms since the
/// epoch; -1 when no record is that recent).
pub async fn list_offset(
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
