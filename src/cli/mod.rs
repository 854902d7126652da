//! The `kalfka` command tree: one clap [`command`] holding the broker's flags (plain `kalfka
//! [FLAGS]` or `kalfka serve [FLAGS]` runs the broker), `help`, `version`, and the client
//! commands `topic|produce|consume|group`, which talk the Kafka protocol to any broker
//! (`-b/--bootstrap`, default 127.0.0.1:9092) through [`client`].
//!
//! Invariants: the broker's flags are parsed by [`crate::config::Cli::load_from`] exactly as
//! before (this tree only routes them, unvalidated, so a bad `KALFKA_*` variable cannot break
//! a client command; usage errors get clap's did-you-mean); the
//! global client flags (`-b`, `--json`, `--request-timeout-ms`) are accepted before or after
//! the subcommand and refused, when given on the command line, for the broker.

pub mod client;
pub mod consume;
pub mod encoding;
pub mod format;
pub mod groups;
pub mod member;
pub mod output;
pub mod produce;
pub mod records;
pub mod reset;
pub mod share;
pub mod share_consume;
pub mod share_member;
pub mod suggest;
pub mod time;
pub mod topics;

use std::ffi::OsString;
use std::process::ExitCode;
use std::time::Duration;

use clap::parser::ValueSource;
use clap::{ArgMatches, Args, CommandFactory, FromArgMatches, Subcommand};

use client::{CliError, Client};

/// Flags every client command takes, before or after the subcommand.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Broker to talk to (host:port), for client commands.
    #[arg(
        short = 'b',
        long,
        global = true,
        env = "KALFKA_BOOTSTRAP",
        default_value = "127.0.0.1:9092"
    )]
    pub bootstrap: String,
    /// Print JSON instead of tables (records: one JSON object per line), for client commands.
    #[arg(long, global = true)]
    pub json: bool,
    /// Time limit of each request in milliseconds, for client commands.
    #[arg(long, global = true, default_value_t = 15_000)]
    pub request_timeout_ms: u64,
}

/// The client commands (and `version`, `completions`, `manpage`).
#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Create, list, describe, alter or delete topics.
    #[command(subcommand)]
    Topic(topics::TopicCommand),
    /// Produce stdin's lines as records, as they are read.
    Produce(produce::ProduceArgs),
    /// Print a topic's records as they arrive.
    Consume(consume::ConsumeArgs),
    /// List, describe, delete consumer groups or reset their offsets.
    #[command(subcommand)]
    Group(groups::GroupCommand),
    /// Print the version.
    Version,
    /// Print a shell completion script: `kalfka completions bash > /etc/bash_completion.d/kalfka`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), or write one page per command into --dir.
    Manpage {
        /// Directory to write kalfka.1, kalfka-topic.1, ... into.
        #[arg(long)]
        dir: Option<std::path::PathBuf>,
    },
}

/// Accepts any value (as a string) but shows the wrapped parser's possible values in help.
#[derive(Clone)]
struct Unchecked(clap::builder::ValueParser);

impl clap::builder::TypedValueParser for Unchecked {
    type Value = OsString;

    fn parse_ref(
        &self,
        _cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<OsString, clap::Error> {
        Ok(value.to_os_string())
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        self.0.possible_values()
    }
}

/// The end of `kalfka --help`.
const ROOT_AFTER_HELP: &str = "\
Examples:
  kalfka                                   run the broker (same as `kalfka serve [FLAGS]`)
  kalfka topic create orders --partitions 3
  kalfka -b 127.0.0.1:9092 topic list      (-b/--json go before or after the command)
  kalfka produce orders -K:                reads stdin line by line
  kalfka consume orders -o beginning -f    streams until Ctrl-C
  kalfka group reset-offsets G --topic orders --to-earliest [--execute]";

/// What `main` does with a command line.
#[derive(Debug)]
pub enum Dispatch {
    /// Run the broker with these arguments (program name first, no `serve`).
    Serve(Vec<OsString>),
    /// A client command ran (or usage was printed); exit with this code.
    Exit(ExitCode),
}

/// The whole `kalfka` command tree: the broker's flags at the top, `serve`, the client
/// commands and the global client flags.
pub fn command() -> clap::Command {
    let serve = crate::config::Cli::command()
        .name("serve")
        .about("Run the broker (the default when no command is given)")
        .after_help("");
    // The top-level broker flags are only routed here (the broker parses them again with
    // Cli::load_from), so a bad KALFKA_* variable must not break client commands.
    let root = crate::config::Cli::command()
        .mut_args(|a| {
            if a.get_action().takes_values() {
                let original = a.get_value_parser().clone();
                a.value_parser(Unchecked(original))
            } else {
                a
            }
        })
        .after_help(ROOT_AFTER_HELP)
        .subcommand(serve);
    let root = GlobalArgs::augment_args(root);
    ClientCommand::augment_subcommands(root)
        .about("A Kafka-compatible message broker in one binary, and a client for any Kafka broker")
}

/// Parses `args` (program name first) with [`command`]; runs a client command, or returns the
/// broker's arguments.
pub fn dispatch(args: Vec<OsString>) -> Dispatch {
    let matches = match command().try_get_matches_from(&args) {
        Ok(m) => m,
        Err(e) => e.exit(),
    };
    let given = |id: &str| matches.value_source(id) == Some(ValueSource::CommandLine);
    if let Some((name, _)) = matches.subcommand() {
        // Broker flags belong before no command or after `serve`, never with a client command.
        let broker_flag = crate::config::Cli::command()
            .get_arguments()
            .find(|a| given(a.get_id().as_str()))
            .and_then(|a| a.get_long().map(str::to_string));
        if let Some(flag) = broker_flag {
            eprintln!("kalfka: --{flag} is a broker flag; it cannot be used with `kalfka {name}`");
            return Dispatch::Exit(ExitCode::from(2));
        }
    }
    match matches.subcommand() {
        None | Some(("serve", _)) => {
            if let Some(flag) = ["bootstrap", "json", "request_timeout_ms"]
                .into_iter()
                .find(|id| given(id))
            {
                let flag = flag.replace('_', "-");
                eprintln!("kalfka: --{flag} is for client commands (kalfka topic|produce|consume|group), not for the broker");
                return Dispatch::Exit(ExitCode::from(2));
            }
            let mut args = args;
            if matches.subcommand_name() == Some("serve") {
                if let Some(at) = args.iter().skip(1).position(|a| a == "serve") {
                    args.remove(at + 1);
                }
            }
            Dispatch::Serve(args)
        }
        Some(_) => Dispatch::Exit(run(&matches)),
    }
}

/// Runs the client command of `matches`; returns the exit code.
fn run(matches: &ArgMatches) -> ExitCode {
    let parsed = GlobalArgs::from_arg_matches(matches)
        .and_then(|g| ClientCommand::from_arg_matches(matches).map(|c| (g, c)));
    let (global, command) = match parsed {
        Ok(p) => p,
        Err(e) => e.exit(),
    };
    match command {
        ClientCommand::Version => {
            output::emit(&format!("kalfka {}", env!("CARGO_PKG_VERSION")));
            return ExitCode::SUCCESS;
        }
        ClientCommand::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut self::command(),
                "kalfka",
                &mut std::io::stdout(),
            );
            return ExitCode::SUCCESS;
        }
        ClientCommand::Manpage { dir } => {
            let written = match dir {
                Some(dir) => clap_mangen::generate_to(self::command(), &dir),
                None => clap_mangen::Man::new(self::command()).render(&mut std::io::stdout()),
            };
            return match written {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("kalfka: cannot write the man page: {e}");
                    ExitCode::FAILURE
                }
            };
        }
        ClientCommand::Topic(topics::TopicCommand::Configs) => {
            topics::known_configs(global.json);
            return ExitCode::SUCCESS;
        }
        _ => {}
    }
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
    match runtime.block_on(execute(global, command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kalfka: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn execute(global: GlobalArgs, command: ClientCommand) -> Result<(), CliError> {
    let timeout = Duration::from_millis(global.request_timeout_ms);
    let mut client = Client::connect(&global.bootstrap, timeout).await?;
    let json = global.json;
    match command {
        ClientCommand::Topic(cmd) => topics::run(&mut client, cmd, json).await,
        ClientCommand::Produce(args) => produce::produce(&mut client, args, json).await,
        ClientCommand::Consume(args) => consume::consume(&mut client, args, json).await,
        ClientCommand::Group(cmd) => groups::run(&mut client, cmd, json).await,
        ClientCommand::Version
        | ClientCommand::Completions { .. }
        | ClientCommand::Manpage { .. } => Ok(()),
    }
}

/// Parses `key=value`.
pub fn key_value(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("expected key=value, got {s:?}"))
}
