//! The network side: a tokio listener and one task per client connection.
//!
//! [`Server::bind`] opens the data directory and binds the listener (port 0 picks a free
//! port, which is how integration tests run brokers side by side); [`Server::run`] accepts
//! connections until the shutdown future resolves, then flushes every log.

pub mod checkpoint;
mod connection;
pub mod flusher;
pub mod idle;
pub mod retention;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::broker::Broker;
use crate::config::BrokerConfig;
use crate::error::BrokerError;

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
}

/// A bound, not yet running, broker.
pub struct Server {
    listener: TcpListener,
    broker: Arc<Broker>,
}

impl Server {
    /// Opens the data directory and binds the listener.
    pub async fn bind(config: BrokerConfig) -> Result<Server, ServerError> {
        let addr = config.listen;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| ServerError::Bind { addr, source })?;
        let bound = listener
            .local_addr()
            .map_err(|source| ServerError::Bind { addr, source })?;
        // Opening recovers logs; it runs before any connection is served, so blocking is fine.
        let broker = Broker::open(config, bound)?;
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

    /// Serves clients until `shutdown` resolves; then stops accepting, closes connections
    /// fsyncs every log and leaves the clean-shutdown marker.
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
        let broker = Arc::clone(&self.broker);
        let _ = tokio::task::spawn_blocking(move || broker.topics.close_all()).await;
        tracing::info!("broker stopped");
    }
}
