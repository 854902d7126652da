//! The idle sweep: every [`SWEEP_INTERVAL`] (or half the timeout, if shorter) it closes the
//! segment files and drops the read and index mappings that no append or fetch used for the
//! idle timeout (`--idle-file-timeout-ms`, default [`IDLE_TIMEOUT`]; all are reopened on the
//! next use). Thousands of partitions then hold descriptors and memory maps only while in
//! use, and the broker's resident memory does not keep the pages of logs nobody is reading.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::broker::Broker;

/// Segment files and mappings unused for this long are released (the default).
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(10);
/// How often the sweep runs.
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(5);

/// Releases what has been idle in every partition; returns how many segments released
/// something.
pub fn sweep(broker: &Broker, max_idle: Duration) -> usize {
    broker
        .topics
        .filtered(|_| true)
        .iter()
        .flat_map(|t| t.partitions.iter())
        .map(|p| p.close_idle_files(max_idle))
        .sum()
}

/// Runs until `stop` turns true.
pub async fn run(broker: Arc<Broker>, mut stop: watch::Receiver<bool>) {
    let timeout = Duration::from_millis(broker.config.idle_file_timeout_ms);
    let interval = (timeout / 2).clamp(Duration::from_millis(10), SWEEP_INTERVAL);
    loop {
        tokio::select! {
            _ = tokio::time::sleep(interval) => {},
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
        let b = Arc::clone(&broker);
        let released = tokio::task::spawn_blocking(move || sweep(&b, timeout))
            .await
            .unwrap_or(0);
        if released > 0 {
            tracing::debug!(segments = released, "released idle segment files");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::BrokerConfig;
    use kalfka_protocol::records::{Compression, RecordBatchBuilder};

    #[test]
    fn idle_segments_are_released_and_stay_readable() {
        let dir = tempfile::tempdir().expect("tempdir");
        let broker = Broker::open(
            BrokerConfig::for_tests(dir.path()),
            "127.0.0.1:0".parse().expect("addr"),
        )
        .expect("broker");
        let topic = broker
            .topics
            .create("idle", 2, Default::default())
            .expect("topic");
        let p = topic.partition(0).expect("partition");
        let mut b = RecordBatchBuilder::new(Compression::None);
        b.append(0, Some(b"k"), Some(b"v"), &[]);
        p.append(&mut [b.build().expect("batch").to_vec()])
            .expect("append");
        assert!(!p.read(0, 1024).expect("read").records.is_empty());
        assert_eq!(sweep(&broker, IDLE_TIMEOUT), 0, "just used");
        assert_eq!(sweep(&broker, Duration::ZERO), 1, "the written segment");
        assert_eq!(sweep(&broker, Duration::ZERO), 0, "nothing left open");
        assert!(!p.read(0, 1024).expect("read again").records.is_empty());
    }
}
