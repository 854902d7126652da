//! The network side: a tokio listener and one task per client connection.
//!
//! [`Server::bind`] starts the HTTP endpoint (if configured; `/readyz` answers 503 until the
//! broker serves), binds the address, opens the data directory on the blocking pool and then
//! listens (port 0 picks a free port, which is how integration tests run brokers side by
//! side): a connection made during start-up is refused, never accepted and left unanswered; [`Server::run`] accepts
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
pub mod share_expiry;
mod warn_limit;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::watch;

use crate::broker::Broker;
use crate::config::BrokerConfig;
use crate::error::BrokerError;
use crate::http::{HttpEndpoint, HttpError, Readiness};

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
    /// The HTTP endpoint could not start.
    #[error(transparent)]
    Http(#[from] HttpError),
}

/// Called during [`Server::bind_with_hook`] once the HTTP endpoint serves (with its address,
/// if any) and before the data directory is opened; runs on a blocking thread.
pub type StartupHook = Box<dyn FnOnce(Option<SocketAddr>) + Send>;

/// A bound, not yet running, broker.
pub struct Server {
    listener: TcpListener,
    broker: Arc<Broker>,
    http: Option<HttpEndpoint>,
    readiness: Arc<Readiness>,
}

impl Server {
    /// Binds the listen address, opens the data directory, and only then listens: until the
    /// broker can serve, a client's connection is refused (it retries) rather than accepted
    /// and left unanswered (the binary logs "kalfka is ready" with the start-up time then).
    pub async fn bind(config: BrokerConfig) -> Result<Server, ServerError> {
        Self::bind_with_hook(config, Box::new(|_| {})).await
    }

    /// [`Server::bind`], calling `hook` between the start of the HTTP endpoint and the
    /// opening of the data directory (tests use it to observe a broker still starting).
    pub async fn bind_with_hook(
        config: BrokerConfig,
        hook: StartupHook,
    ) -> Result<Server, ServerError> {
        let readiness = Arc::new(Readiness::default());
        let http = match config.http_listen {
            Some(addr) => Some(HttpEndpoint::start(addr, Arc::clone(&readiness)).await?),
            None => None,
        };
        let http_addr = http.as_ref().map(HttpEndpoint::addr);
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
        // Opening recovers logs: on the blocking pool, so that the HTTP endpoint answers
        // meanwhile.
        let ready = Arc::clone(&readiness);
        let broker = tokio::task::spawn_blocking(move || {
            hook(http_addr);
            Broker::open_reporting(config, bound, &ready)
        })
        .await
        .map_err(|e| BrokerError::Storage(format!("start-up task failed: {e}")))?
        .map_err(|e| match e {
            BrokerError::StartupTopic(why) => ServerError::DeclaredTopic(why),
            other => ServerError::Storage(other),
        })?;
        let listener = socket.listen(LISTEN_BACKLOG).map_err(bind_error)?;
        let broker = Arc::new(broker);
        if let Some(http) = &http {
            http.attach(Arc::clone(&broker), bound);
        }
        Ok(Server {
            listener,
            broker,
            http,
            readiness,
        })
    }

    /// The HTTP endpoint's bound address, if it runs.
    pub fn http_addr(&self) -> Option<SocketAddr> {
        self.http.as_ref().map(HttpEndpoint::addr)
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
        let share_expiry =
            tokio::spawn(share_expiry::run(Arc::clone(&self.broker), stop_rx.clone()));
        tokio::pin!(shutdown);
        self.readiness.mark_listener_open();
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                accepted = self.listener.accept() => match accepted {
                    Ok((stream, peer)) => {
                        let broker = Arc::clone(&self.broker);
                        let stop = stop_rx.clone();
                        crate::metrics::add(&broker.metrics.connections_opened, 1);
                        tokio::spawn(async move {
                            connection::serve(stream, peer, Arc::clone(&broker), stop).await;
                            crate::metrics::add(&broker.metrics.connections_closed, 1);
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
        let _ = share_expiry.await;
        let broker = Arc::clone(&self.broker);
        let _ = tokio::task::spawn_blocking(move || broker.topics.close_all()).await;
        if let Some(http) = self.http {
            http.stop().await;
        }
        tracing::info!("broker stopped");
    }
}
