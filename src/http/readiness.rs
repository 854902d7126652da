//! What `/readyz` checks: the Kafka listener is open, the logs are recovered, and the
//! committed offsets and transaction state are loaded.
//!
//! Invariant: each flag only goes from false to true, set by the start-up sequence
//! ([`crate::server::Server::bind`] and [`crate::broker::Broker::open_reporting`]) once the
//! step has finished; the broker is ready when all three are set.

use std::sync::atomic::{AtomicBool, Ordering};

/// The start-up steps `/readyz` waits for.
#[derive(Debug, Default)]
pub struct Readiness {
    listener_open: AtomicBool,
    logs_recovered: AtomicBool,
    offsets_loaded: AtomicBool,
}

impl Readiness {
    /// Every partition log is open and recovered.
    pub fn mark_logs_recovered(&self) {
        self.logs_recovered.store(true, Ordering::Release);
    }

    /// Committed offsets, transaction state and producer ids are loaded.
    pub fn mark_offsets_loaded(&self) {
        self.offsets_loaded.store(true, Ordering::Release);
    }

    /// The Kafka listener accepts connections.
    pub fn mark_listener_open(&self) {
        self.listener_open.store(true, Ordering::Release);
    }

    /// Each check by name, in start-up order.
    pub fn checks(&self) -> [(&'static str, bool); 3] {
        [
            (
                "logs_recovered",
                self.logs_recovered.load(Ordering::Acquire),
            ),
            (
                "offsets_loaded",
                self.offsets_loaded.load(Ordering::Acquire),
            ),
            ("listener_open", self.listener_open.load(Ordering::Acquire)),
        ]
    }

    /// Whether every check passed.
    pub fn is_ready(&self) -> bool {
        self.checks().iter().all(|(_, ok)| *ok)
    }
}
