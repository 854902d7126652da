//! The `kalfka` command line's client side: `kalfka topic|produce|consume|group ...` talk the
//! Kafka protocol to any broker (`--bootstrap`, default 127.0.0.1:9092) through [`client`].
//! `kalfka serve` (or no subcommand) runs the broker instead; see `main.rs`.

pub mod client;
pub mod groups;
pub mod output;
pub mod records;
pub mod topics;

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

use client::{CliError, Client};

/// First arguments that select the client command line rather than the broker.
pub const CLIENT_COMMANDS: &[&str] = &["topic", "produce", "consume", "group"];

/// `kalfka` client commands.
#[derive(Debug, Parser)]
#[command(
    name = "kalfka",
    version,
    about = "Kafka-protocol admin and data commands"
)]
pub struct ClientCli {
    /// Broker to talk to (host:port).
    #[arg(
        long,
        global = true,
        env = "KALFKA_BOOTSTRAP",
        default_value = "127.0.0.1:9092"
    )]
    pub bootstrap: String,
    /// Print JSON instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
    /// Time limit of each request, in milliseconds.
    #[arg(long, global = true, default_value_t = 15_000)]
    pub request_timeout_ms: u64,
    /// The command.
    #[command(subcommand)]
    pub command: ClientCommand,
}

/// The client commands.
#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Create, list, describe, alter or delete topics.
    #[command(subcommand)]
    Topic(topics::TopicCommand),
    /// Produce lines of stdin as records.
    Produce(records::ProduceArgs),
    /// Consume records and print them.
    Consume(records::ConsumeArgs),
    /// List, describe, delete consumer groups or reset their offsets.
    #[command(subcommand)]
    Group(groups::GroupCommand),
}

/// Runs a client command line (`args` with the program name first); returns the exit code.
pub fn run(args: Vec<std::ffi::OsString>) -> ExitCode {
    let cli = match ClientCli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("kalfka: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(execute(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kalfka: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn execute(cli: ClientCli) -> Result<(), CliError> {
    if let ClientCommand::Topic(topics::TopicCommand::Configs) = cli.command {
        topics::known_configs(cli.json);
        return Ok(());
    }
    let timeout = Duration::from_millis(cli.request_timeout_ms);
    let mut client = Client::connect(&cli.bootstrap, timeout).await?;
    match cli.command {
        ClientCommand::Topic(cmd) => topics::run(&mut client, cmd, cli.json).await,
        ClientCommand::Produce(args) => records::produce(&mut client, args, cli.json).await,
        ClientCommand::Consume(args) => records::consume(&mut client, args, cli.json).await,
        ClientCommand::Group(cmd) => groups::run(&mut client, cmd, cli.json).await,
    }
}

/// Parses `key=value`.
pub fn key_value(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("expected key=value, got {s:?}"))
}
