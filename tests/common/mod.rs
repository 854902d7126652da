//! Shared helpers for integration tests: a broker started in-process on an ephemeral port,
//! on a runtime of its own so that blocking client code in the test cannot starve it.

#![allow(dead_code)]

pub mod clients;
pub mod http;
pub mod kafka;
pub mod member;
pub mod power_loss;
pub mod process;
pub mod raw;
pub mod spread;
pub mod wire;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

use kalfka::config::BrokerConfig;
use kalfka::server::Server;

/// A running broker; stopped (cleanly, logs flushed) when dropped.
pub struct TestBroker {
    /// Where clients connect.
    pub addr: SocketAddr,
    /// The data directory.
    pub data_dir: PathBuf,
    /// The HTTP endpoint, when the configuration asked for one.
    pub http: Option<SocketAddr>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl TestBroker {
    /// Starts a broker on 127.0.0.1:0 with its data in `data_dir`.
    pub fn start(data_dir: &Path) -> TestBroker {
        Self::start_with(BrokerConfig::for_tests(data_dir))
    }

    /// Starts a broker with a custom configuration (its listen address should use port 0).
    pub fn start_with(config: BrokerConfig) -> TestBroker {
        let data_dir = config.data_dir.clone();
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("test runtime");
            runtime.block_on(async move {
                let server = Server::bind(config).await.expect("broker starts");
                addr_tx
                    .send((server.local_addr(), server.http_addr()))
                    .expect("report address");
                server
                    .run(async move {
                        let _ = stop_rx.await;
                    })
                    .await;
            });
        });
        let (addr, http) = addr_rx
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("broker reported its address");
        TestBroker {
            addr,
            http,
            data_dir,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// `host:port` for client bootstrap settings.
    pub fn bootstrap(&self) -> String {
        self.addr.to_string()
    }

    /// Stops the broker and waits until it has flushed and released its port.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let joined = thread.join();
            // A panic of the broker fails the test (unless it is failing already).
            if !std::thread::panicking() {
                joined.expect("the broker thread panicked");
            }
        }
    }
}

impl Drop for TestBroker {
    fn drop(&mut self) {
        self.shutdown();
    }
}
