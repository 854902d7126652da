//! The network side: a tokio listener and one task per client connection.
//!
//! [`Server::bind`] binds the address, opens the data directory and then listens (port 0
//! picks a free port, which is how integration tests run brokers side by side): a connection
//! made during start-up is refused, never accepted and left unanswered; [`Server::run`] accepts
//! connections until the shutdown future resolves, then makes every log durable with one
//! filesystem sync and writes the recovery-point checkpoint. Every periodic task of the
//! broker (flushing, retention, the idle sweep, the checkpoint, transaction timeouts, offset
//! expiry) is started here, in [`Server::run`], and stopped with it.

pub mod checkpoint;
mod connection;
pub mod flusher;
pub mod idle;
pub mod offset_expiry;
pub mod retention;
mod warn_limit;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::watch;

use crate::broker::Broker;
use crate::config::BrokerConfig;
use crate::error::BrokerError;

/// Connections the kernel queues before they are accepted.
const LISTEN_BACKLOG: u32 = 1024;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// The data directory could not be opened or recovered.
    #[error("cannot open the data directory: {0}")]
    Storage(#[from] BrokerError),
    /// A topic declared for start-up was refused.
    #[error("cannot create a declared topic: {0}")]
    DeclaredTopic(String),
}

/// A bound, not yet running, broker.
pub struct Server {
    listener: TcpListener,
    broker: Arc<Broker>,
}

impl Server {
    /// Binds the listen address, opens the data directory, and only then listens: until the
    /// broker can serve, a client's connection is refused (it retries) rather than accepted
    /// and left unanswered (the binary logs "kalfka is ready" with the start-up time then).
    pub async fn bind(config: BrokerConfig) -> Result<Server, ServerError> {
        let addr = config.listen;
        let bind_error = |source| ServerError::Bind { addr, source };
        let socket = if addr.is_ipv4() {
            TcpSocket::new_v4()
        } else {
            TcpSocket::new_v6()
        }
        .map_err(bind_error)?;
        // As std's TcpListener::bind does: a restarted broker may rebind at once.
        #[cfg(unix)]
        socket.set_reuseaddr(true).map_err(bind_error)?;
        socket.bind(addr).map_err(bind_error)?;
        let bound = socket.local_addr().map_err(bind_error)?;
        // Opening recovers logs; nothing is served before it ends, so blocking is fine.
        let broker = Broker::open(config, bound).map_err(|e| match e {
            BrokerError::StartupTopic(why) => ServerError::DeclaredTopic(why),
            other => ServerError::Storage(other),
        })?;
        let listener = socket.listen(LISTEN_BACKLOG).map_err(bind_error)?;
        Ok(Server {
            listener,
            broker: Arc::new(broker),
        })
    }

    /// The address actually bound (useful when the configured port was 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| self.broker.config.listen)
    }

    /// The shared broker state.
    pub fn broker(&self) -> Arc<Broker> {
        Arc::clone(&self.broker)
    }

    /// Serves clients until `shutdown` resolves; then stops accepting, closes connections,
    /// syncs the data directory once, writes the checkpoint and leaves the clean-shutdown
    /// marker (see [`crate::metadata::TopicRegistry::close_all`]).
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let (stop_tx, stop_rx) = watch::channel(false);
        let flusher = tokio::spawn(flusher::run(Arc::clone(&self.broker), stop_rx.clone()));
        let retention = tokio::spawn(retention::run(Arc::clone(&self.broker), stop_rx.clone()));
        let idle_sweep = tokio::spawn(idle::run(Arc::clone(&self.broker), stop_rx.clone()));
        let checkpoints = tokio::spawn(checkpoint::run(Arc::clone(&self.broker), stop_rx.clone()));
        let txn_timeouts = tokio::spawn(crate::txn::timeouts::run(
            Arc::clone(&self.broker),
            stop_rx.clone(),
        ));
        let offset_expiry = tokio::spawn(offset_expiry::run(
            Arc::clone(&self.broker),
            stop_rx.clone(),
        ));
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                accepted = self.listener.accept() => match accepted {
                    Ok((stream, peer)) => {
                        let broker = Arc::clone(&self.broker);
                        let stop = stop_rx.clone();
                        tokio::spawn(async move {
                            connection::serve(stream, peer, broker, stop).await;
                        });
                    }
                    Err(e) => {
                        // Out of file descriptors and the like: keep the listener alive.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    }
                },
            }
        }
        let _ = stop_tx.send(true);
        let _ = flusher.await;
        let _ = retention.await;
        let _ = idle_sweep.await;
        let _ = checkpoints.await;
        let _ = txn_timeouts.await;
        let _ = offset_expiry.await;
        let broker = Arc::clone(&self.broker);
        let _ = tokio::task::spawn_blocking(move || broker.topics.close_all()).await;
        tracing::info!("broker stopped");
    }
}
