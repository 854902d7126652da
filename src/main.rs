//! The `kalfka` binary: `kalfka [serve] [FLAGS]` starts the broker (stopping cleanly on
//! SIGINT/SIGTERM); `kalfka help|version|topic|produce|consume|group ...` are client commands.
//! One clap command tree (`kalfka::cli::command`) routes both.

use std::process::ExitCode;
use std::time::Instant;

use kalfka::config::{BrokerConfig, Cli, ConfigError, LogFormat};
use kalfka::server::Server;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    match kalfka::cli::dispatch(std::env::args_os().collect()) {
        kalfka::cli::Dispatch::Serve(args) => serve(args),
        kalfka::cli::Dispatch::Exit(code) => code,
    }
}

/// Runs the broker with `args` (program name first, no subcommand).
fn serve(args: Vec<std::ffi::OsString>) -> ExitCode {
    let started = Instant::now();
    let cli = match Cli::load_from(args) {
        Ok(cli) => cli,
        Err(ConfigError::Args(e)) => e.exit(),
        Err(e) => {
            eprintln!("kalfka: {e}");
            return ExitCode::from(2);
        }
    };
    init_logging(cli.log_format);
    raise_fd_limit();
    let config = match BrokerConfig::try_from(cli) {
        Ok(c) => c,
        Err(ConfigError::Args(e)) => e.exit(),
        Err(e) => {
            eprintln!("kalfka: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("kalfka: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let data_dir = config.data_dir.clone();
        let memory = config.memory;
        let server = match Server::bind(config).await {
            Ok(s) => s,
            Err(e) => {
                tracing::error!("{e}");
                return ExitCode::FAILURE;
            }
        };
        let broker = server.broker();
        tracing::info!(
            listen = %server.local_addr(),
            http = %server.http_addr().map_or_else(|| "off".to_string(), |a| a.to_string()),
            advertised = %format!("{}:{}", broker.advertised_host(), broker.advertised_port()),
            data_dir = %data_dir.display(),
            startup_ms = started.elapsed().as_secs_f64() * 1000.0,
            "kalfka is ready"
        );
        if memory {
            tracing::warn!("--memory: topics and records are kept in memory only and are lost when the broker stops");
        }
        server.run(shutdown_signal()).await;
        ExitCode::SUCCESS
    })
}

/// Installs the log subscriber: `RUST_LOG` filters (default `info`), `format` shapes lines.
fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Text => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
            .init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .init(),
    }
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
    tracing::info!("shutting down");
}

/// Raises the soft open-files limit to the hard limit: every log segment keeps its `.log`
/// open (the active one its indexes too), so thousands of partitions need more than the
/// usual soft limit of 1024.
#[cfg(unix)]
fn raise_fd_limit() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read/write the struct we pass.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 || limit.rlim_cur >= limit.rlim_max
        {
            return;
        }
        let before = limit.rlim_cur;
        limit.rlim_cur = limit.rlim_max;
        if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) == 0 {
            tracing::debug!(
                from = before,
                to = limit.rlim_cur,
                "raised the open-files limit"
            );
        }
    }
}

#[cfg(not(unix))]
fn raise_fd_limit() {}
