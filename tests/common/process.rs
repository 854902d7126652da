//! The real `kalfka` binary as a child process, for tests that kill it (SIGKILL, SIGTERM) and
//! restart it on the same data directory.

#![allow(dead_code)]

use std::ffi::OsStr;
use std::fs::File;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

/// A broker process this test started; SIGKILLed (by its own handle) when dropped.
pub struct BrokerProcess {
    child: Arc<Mutex<Child>>,
    /// Where it listens.
    pub addr: SocketAddr,
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    l.local_addr().expect("local addr").port()
}

impl BrokerProcess {
    /// Starts the broker on a free port with extra flags `args`, its output appended to `log`
    /// (or discarded), and waits (bounded) until it accepts connections.
    pub fn start(data_dir: &Path, args: &[&str], log: Option<&Path>) -> BrokerProcess {
        Self::start_env(data_dir, args, &[], log)
    }

    /// [`start`](Self::start) with extra environment variables for the broker process.
    pub fn start_env(
        data_dir: &Path,
        args: &[&str],
        envs: &[(&str, &OsStr)],
        log: Option<&Path>,
    ) -> BrokerProcess {
        for _attempt in 0..5 {
            let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
            if let Some(broker) = Self::start_at_env(data_dir, addr, args, envs, log) {
                return broker;
            }
        }
        let log = log
            .map(|l| std::fs::read_to_string(l).unwrap_or_default())
            .unwrap_or_default();
        panic!("broker did not start; its log:\n{log}");
    }

    /// Starts the broker on `addr`; `None` if it exited or did not accept connections within
    /// 30 s (the port may be taken).
    pub fn start_at(
        data_dir: &Path,
        addr: SocketAddr,
        args: &[&str],
        log: Option<&Path>,
    ) -> Option<BrokerProcess> {
        Self::start_at_env(data_dir, addr, args, &[], log)
    }

    /// [`start_at`](Self::start_at) with extra environment variables for the broker process.
    pub fn start_at_env(
        data_dir: &Path,
        addr: SocketAddr,
        args: &[&str],
        envs: &[(&str, &OsStr)],
        log: Option<&Path>,
    ) -> Option<BrokerProcess> {
        let (stdout, stderr) = match log {
            Some(path) => {
                let file = File::options()
                    .create(true)
                    .append(true)
                    .open(PathBuf::from(path))
                    .expect("broker log file");
                (
                    Stdio::from(file.try_clone().expect("log fd")),
                    Stdio::from(file),
                )
            }
            None => (Stdio::null(), Stdio::null()),
        };
        let child = Command::new(env!("CARGO_BIN_EXE_kalfka"))
            .arg("--listen")
            .arg(addr.to_string())
            .arg("--data-dir")
            .arg(data_dir)
            // Brokers run side by side: no HTTP endpoint on the default port unless asked.
            .args(
                (!args.iter().any(|a| a.starts_with("--http-listen"))).then_some("--http-listen="),
            )
            .args(args)
            .env("RUST_LOG", "info")
            .envs(envs.iter().copied())
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .expect("spawn the kalfka binary");
        let mut broker = BrokerProcess {
            child: Arc::new(Mutex::new(child)),
            addr,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = broker.child().try_wait() {
                break;
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Some(broker);
            }
            thread::sleep(Duration::from_millis(20));
        }
        broker.kill();
        None
    }

    fn child(&self) -> MutexGuard<'_, Child> {
        self.child.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A handle another thread can use to SIGKILL the process at a moment of its choosing.
    pub fn killer(&self) -> Arc<Mutex<Child>> {
        Arc::clone(&self.child)
    }

    /// SIGKILL, then reap.
    pub fn kill(&mut self) {
        let mut child = self.child();
        let _ = child.kill();
        let _ = child.wait();
    }

    /// SIGTERM, then wait (bounded) for the exit; true if it exited cleanly.
    pub fn terminate(&mut self) -> bool {
        let pid = self.child().id();
        let pid = libc::pid_t::try_from(pid).expect("pid fits pid_t");
        // SAFETY: kill(2) on the pid of our own child, which has not been reaped yet.
        let sent = unsafe { libc::kill(pid, libc::SIGTERM) } == 0;
        assert!(sent, "could not send SIGTERM to {pid}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child().try_wait() {
                return status.success();
            }
            thread::sleep(Duration::from_millis(20));
        }
        self.kill();
        false
    }
}

impl Drop for BrokerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Resident memory of this process, in KiB (0 if /proc cannot say): in-process brokers run
/// here, so tests bound their memory with it.
pub fn vm_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}
