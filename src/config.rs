//! Broker configuration: command-line flags (clap) with Kafka-like defaults.
//!
//! `cargo run --release` with no flags gives a development broker on 127.0.0.1:9092 with its
//! data in `./data`. Every option can also come from a `KALFKA_*` environment variable or a
//! TOML file with Kafka's property names (`--config FILE`, see [`crate::config_file`]);
//! precedence is flag > environment > file > default. Names follow Kafka's where Kafka has one (`num.partitions` is
//! `--num-partitions`, `auto.create.topics.enable` is `--auto-create-topics`).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;

/// Default maximum size of one request frame (Kafka's `socket.request.max.bytes`).
pub const DEFAULT_MAX_FRAME_BYTES: usize = 100 * 1024 * 1024;
/// Default largest record batch a topic accepts (Kafka's `message.max.bytes`).
pub const DEFAULT_MESSAGE_MAX_BYTES: usize = 1_048_588;
/// Default segment size before a partition log rolls (Kafka's `log.segment.bytes`).
pub const DEFAULT_SEGMENT_BYTES: u64 = 1024 * 1024 * 1024;
/// Default cap on the bytes of one Fetch response (Kafka's `fetch.max.bytes`, 55 MiB).
pub const DEFAULT_FETCH_MAX_BYTES: usize = 55 * 1024 * 1024;
/// Default `connections.max.idle.ms` (Kafka's: 10 minutes).
pub const DEFAULT_CONNECTIONS_MAX_IDLE_MS: u64 = 600_000;
/// Default time a client has to finish sending a frame it started (Kalfka's own).
pub const DEFAULT_FRAME_READ_TIMEOUT_MS: u64 = 60_000;
/// Default time a client has to read a response before its connection is closed
/// (Kalfka's own).
pub const DEFAULT_WRITE_TIMEOUT_MS: u64 = 30_000;
/// Default limit on the partitions of one broker.
pub const DEFAULT_MAX_PARTITIONS: usize = 200_000;
/// Default time after which unused segment files and mappings are released.
pub const DEFAULT_IDLE_FILE_TIMEOUT_MS: u64 = 10_000;
/// Default `group.initial.rebalance.delay.ms` of a dev broker (Kafka: 3000).
pub const DEFAULT_GROUP_INITIAL_REBALANCE_DELAY_MS: u64 = 100;

/// Default address of the HTTP endpoint (metrics, health, JSON API).
pub const DEFAULT_HTTP_LISTEN: &str = "127.0.0.1:9644";

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines (tracing-subscriber's default format).
    Text,
    /// One JSON object per line (tracing-subscriber's `json` format).
    Json,
}

/// Flags of the `kalfka` binary.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "kalfka",
    version,
    about = "A Kafka-compatible message broker in one binary",
    after_help = "Client commands (talk to any Kafka broker; see `kalfka <command> --help`):\n  \
                  kalfka topic create|list|describe|delete|alter\n  \
                  kalfka produce TOPIC   /   kalfka consume TOPIC\n  \
                  kalfka group list|describe|delete|reset-offsets\n\n\
                  `kalfka serve [FLAGS]` is the same as `kalfka [FLAGS]`: run the broker."
)]
pub struct Cli {
    /// Address to listen on for Kafka clients.
    #[arg(long, env = "KALFKA_LISTEN", default_value = "127.0.0.1:9092")]
    pub listen: SocketAddr,
    /// host:port handed to clients in Metadata (defaults to the listen address; use an
    /// address clients can reach, not 0.0.0.0).
    #[arg(long = "advertised-listener", env = "KALFKA_ADVERTISED_LISTENER")]
    pub advertised_listener: Option<String>,
    /// Directory holding topic metadata and partition logs.
    #[arg(long, env = "KALFKA_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// Partitions of an auto-created topic, or of CreateTopics with -1 (`num.partitions`).
    #[arg(long, env = "KALFKA_NUM_PARTITIONS", default_value_t = 1)]
    pub num_partitions: i32,
    /// Create unknown topics when a client's Metadata request allows it
    /// (`auto.create.topics.enable`).
    #[arg(long, env = "KALFKA_AUTO_CREATE_TOPICS", default_value_t = true, action = clap::ArgAction::Set)]
    pub auto_create_topics: bool,
    /// Largest record batch accepted by default (`message.max.bytes`).
    #[arg(long, env = "KALFKA_MESSAGE_MAX_BYTES", default_value_t = DEFAULT_MESSAGE_MAX_BYTES)]
    pub message_max_bytes: usize,
    /// Bytes after which a partition's active segment rolls (`log.segment.bytes`).
    #[arg(long, env = "KALFKA_SEGMENT_BYTES", default_value_t = DEFAULT_SEGMENT_BYTES)]
    pub segment_bytes: u64,
    /// Largest request frame accepted; larger frames close the connection
    /// (`socket.request.max.bytes`).
    #[arg(long, env = "KALFKA_MAX_FRAME_BYTES", default_value_t = DEFAULT_MAX_FRAME_BYTES)]
    pub max_frame_bytes: usize,
    /// Largest Fetch response, whatever the client asks for (`fetch.max.bytes`); the first
    /// batch is still returned whole when larger (KIP-74).
    #[arg(long, env = "KALFKA_FETCH_MAX_BYTES", default_value_t = DEFAULT_FETCH_MAX_BYTES)]
    pub fetch_max_bytes: usize,
    /// Close connections with no request in flight and no traffic for this long
    /// (`connections.max.idle.ms`).
    #[arg(long, env = "KALFKA_CONNECTIONS_MAX_IDLE_MS", default_value_t = DEFAULT_CONNECTIONS_MAX_IDLE_MS)]
    pub connections_max_idle_ms: u64,
    /// Close a connection whose client started a request frame and did not finish sending it
    /// within this time (`frame.read.timeout.ms`).
    #[arg(long, env = "KALFKA_FRAME_READ_TIMEOUT_MS", default_value_t = DEFAULT_FRAME_READ_TIMEOUT_MS)]
    pub frame_read_timeout_ms: u64,
    /// Close a connection whose client does not read a response within this time
    /// (`response.write.timeout.ms`).
    #[arg(long, env = "KALFKA_WRITE_TIMEOUT_MS", default_value_t = DEFAULT_WRITE_TIMEOUT_MS)]
    pub write_timeout_ms: u64,
    /// How long a rebalance of an empty group waits for more members to join
    /// (`group.initial.rebalance.delay.ms`; Kafka's default is 3000, a dev broker wants less).
    #[arg(long, env = "KALFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", default_value_t = DEFAULT_GROUP_INITIAL_REBALANCE_DELAY_MS)]
    pub group_initial_rebalance_delay_ms: u64,
    /// Answer acks=all produces only after their data is fsynced (group commit). `false`
    /// answers once the write reached the OS, like acks=1.
    #[arg(long, env = "KALFKA_FSYNC_ON_ACK", default_value_t = true, action = clap::ArgAction::Set)]
    pub fsync_on_ack: bool,
    /// Default time retention of topics in hours (`log.retention.hours`); -1 keeps forever.
    #[arg(
        long,
        env = "KALFKA_LOG_RETENTION_HOURS",
        default_value_t = 168,
        allow_hyphen_values = true
    )]
    pub log_retention_hours: i64,
    /// Default time retention in minutes (`log.retention.minutes`); wins over the hours.
    #[arg(long, env = "KALFKA_LOG_RETENTION_MINUTES", allow_hyphen_values = true)]
    pub log_retention_minutes: Option<i64>,
    /// Default time retention in ms (`log.retention.ms`); wins over minutes and hours, as in
    /// Kafka.
    #[arg(long, env = "KALFKA_LOG_RETENTION_MS", allow_hyphen_values = true)]
    pub log_retention_ms: Option<i64>,
    /// Default size retention per partition in bytes (`log.retention.bytes`); -1 is unlimited.
    #[arg(long, env = "KALFKA_LOG_RETENTION_BYTES", default_value_t = -1, allow_hyphen_values = true)]
    pub log_retention_bytes: i64,
    /// How often retention (and `segment.ms` rolling) is checked
    /// (`log.retention.check.interval.ms`).
    #[arg(
        long,
        env = "KALFKA_LOG_RETENTION_CHECK_INTERVAL_MS",
        default_value_t = 300_000
    )]
    pub log_retention_check_interval_ms: u64,
    /// Session timeout of consumer-protocol (KIP-848) group members
    /// (`group.consumer.session.timeout.ms`).
    #[arg(
        long,
        env = "KALFKA_GROUP_CONSUMER_SESSION_TIMEOUT_MS",
        default_value_t = 45_000
    )]
    pub group_consumer_session_timeout_ms: u64,
    /// Heartbeat interval given to consumer-protocol group members
    /// (`group.consumer.heartbeat.interval.ms`).
    #[arg(
        long,
        env = "KALFKA_GROUP_CONSUMER_HEARTBEAT_INTERVAL_MS",
        default_value_t = 5_000
    )]
    pub group_consumer_heartbeat_interval_ms: u64,
    /// How long a share-group member holds the records a ShareFetch acquired before they are
    /// released for redelivery (`group.share.record.lock.duration.ms`).
    #[arg(
        long,
        env = "KALFKA_GROUP_SHARE_RECORD_LOCK_DURATION_MS",
        default_value_t = 30_000
    )]
    pub group_share_record_lock_duration_ms: u64,
    /// Deliveries of one record to share-group members before it is archived
    /// (`group.share.delivery.count.limit`).
    #[arg(
        long,
        env = "KALFKA_GROUP_SHARE_DELIVERY_COUNT_LIMIT",
        default_value_t = 5,
        value_parser = clap::value_parser!(u16).range(1..)
    )]
    pub group_share_delivery_count_limit: u16,
    /// In-flight records one share partition may hold (`group.share.partition.max.record.locks`).
    #[arg(
        long,
        env = "KALFKA_GROUP_SHARE_PARTITION_MAX_RECORD_LOCKS",
        default_value_t = 2_000
    )]
    pub group_share_partition_max_record_locks: u32,
    /// Share sessions the broker holds at most (`group.share.max.share.sessions`): a ShareFetch
    /// opening one more gets SHARE_SESSION_LIMIT_REACHED.
    #[arg(
        long,
        env = "KALFKA_GROUP_SHARE_MAX_SHARE_SESSIONS",
        default_value_t = 2_000
    )]
    pub group_share_max_share_sessions: u32,
    /// How long a partition remembers an idle idempotent producer's sequence numbers
    /// (`producer.id.expiration.ms`).
    #[arg(
        long,
        env = "KALFKA_PRODUCER_ID_EXPIRATION_MS",
        default_value_t = 86_400_000
    )]
    pub producer_id_expiration_ms: u64,
    /// Largest `transaction.timeout.ms` a transactional producer may ask for
    /// (`transaction.max.timeout.ms`).
    #[arg(
        long,
        env = "KALFKA_TRANSACTION_MAX_TIMEOUT_MS",
        default_value_t = 900_000
    )]
    pub transaction_max_timeout_ms: i32,
    /// Forget a transactional id idle this long without an open transaction
    /// (`transactional.id.expiration.ms`).
    #[arg(
        long,
        env = "KALFKA_TRANSACTIONAL_ID_EXPIRATION_MS",
        default_value_t = 604_800_000
    )]
    pub transactional_id_expiration_ms: u64,
    /// Keep topics and partition logs in memory only (an ephemeral dev broker): nothing of
    /// them is written to the data directory and everything is lost when the broker stops.
    #[arg(long, env = "KALFKA_MEMORY", default_value_t = false, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub memory: bool,
    /// Segment files, read mappings and index mappings of a partition unused for this long are
    /// released (reopened on the next use), so idle partitions hold no descriptors, mappings
    /// or resident pages.
    #[arg(
        long,
        env = "KALFKA_IDLE_FILE_TIMEOUT_MS",
        default_value_t = DEFAULT_IDLE_FILE_TIMEOUT_MS
    )]
    pub idle_file_timeout_ms: u64,
    /// Most partitions the broker holds: CreateTopics and CreatePartitions (and auto-creation)
    /// past it are refused with POLICY_VIOLATION and a line in the log.
    #[arg(long, env = "KALFKA_MAX_PARTITIONS", default_value_t = DEFAULT_MAX_PARTITIONS)]
    pub max_partitions: usize,
    /// A topic to create before clients connect, unless it exists; repeatable
    /// (`orders:3:cleanup.policy=compact`). Config file: `[[topics]]` tables with `name`,
    /// `partitions` and a `configs` table.
    #[arg(
        long = "create-topic",
        value_name = "NAME[:PARTITIONS[:KEY=VALUE,...]]",
        env = "KALFKA_CREATE_TOPICS",
        value_delimiter = ';'
    )]
    pub create_topic: Vec<crate::startup_topics::StartupTopic>,
    /// Address of the HTTP endpoint (`/metrics`, `/healthz`, `/readyz`, `/api/v1/...`); an
    /// empty value turns it off (and with it the recording of request metrics). Port 0 picks
    /// a free port, logged at start.
    #[arg(long, env = "KALFKA_HTTP_LISTEN", default_value = DEFAULT_HTTP_LISTEN)]
    pub http_listen: String,
    /// Log line format: `text` (human-readable) or `json` (one JSON object per line).
    #[arg(long, env = "KALFKA_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// TOML file of Kafka broker properties (`num.partitions = 3`, `log.dirs = "/var/kalfka"`,
    /// `listeners = "PLAINTEXT://127.0.0.1:9092"`, ...); flags and environment win over it.
    #[arg(long, env = "KALFKA_CONFIG")]
    pub config: Option<PathBuf>,
}

impl Cli {
    /// Parses `args` (program name first), then layers the `--config` file under the flags
    /// and environment variables that were given.
    pub fn load_from<I, T>(args: I) -> Result<Cli, ConfigError>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        use clap::{CommandFactory, FromArgMatches};
        let args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
        let matches = Cli::command()
            .try_get_matches_from(&args)
            .map_err(ConfigError::Args)?;
        let cli = Cli::from_arg_matches(&matches).map_err(ConfigError::Args)?;
        let Some(path) = cli.config.clone() else {
            return Ok(cli);
        };
        let file = crate::config_file::read_file(&path)?;
        let flags = crate::config_file::file_flags(&path, &file, &matches)?;
        let mut merged = args.clone();
        let at = usize::from(!merged.is_empty());
        merged.splice(at..at, flags);
        Cli::try_parse_from(merged).map_err(ConfigError::Args)
    }
}

/// The broker's resolved configuration.
#[derive(Debug, Clone)]
pub struct BrokerConfig {
    /// Address the listener binds.
    pub listen: SocketAddr,
    /// Host advertised in Metadata; `None` means "the bound address".
    pub advertised_host: Option<String>,
    /// Port advertised in Metadata; `None` means "the bound port".
    pub advertised_port: Option<u16>,
    /// Data directory.
    pub data_dir: PathBuf,
    /// This broker's node id (single node: always 0).
    pub node_id: i32,
    /// Default partition count for new topics.
    pub num_partitions: i32,
    /// Whether Metadata may create topics.
    pub auto_create_topics: bool,
    /// Default `max.message.bytes` of topics.
    pub message_max_bytes: usize,
    /// Default `segment.bytes` of topics.
    pub segment_bytes: u64,
    /// Largest request frame accepted.
    pub max_frame_bytes: usize,
    /// `fetch.max.bytes`: cap on one Fetch response.
    pub fetch_max_bytes: usize,
    /// `connections.max.idle.ms`.
    pub connections_max_idle_ms: u64,
    /// Time allowed to finish sending a started request frame, in ms.
    pub frame_read_timeout_ms: u64,
    /// Time allowed to a client to read a response, in ms.
    pub write_timeout_ms: u64,
    /// `group.initial.rebalance.delay.ms`.
    pub group_initial_rebalance_delay_ms: u64,
    /// Whether acks=all waits for fsync.
    pub fsync_on_ack: bool,
    /// Default `retention.ms` of topics; negative keeps forever.
    pub retention_ms: i64,
    /// Default `retention.bytes` of topics; negative is unlimited.
    pub retention_bytes: i64,
    /// Interval of the retention check, in ms.
    pub retention_check_interval_ms: u64,
    /// `group.consumer.session.timeout.ms`.
    pub group_consumer_session_timeout_ms: u64,
    /// `group.consumer.heartbeat.interval.ms`.
    pub group_consumer_heartbeat_interval_ms: u64,
    /// `group.share.record.lock.duration.ms`.
    pub group_share_record_lock_duration_ms: u64,
    /// `group.share.delivery.count.limit`.
    pub group_share_delivery_count_limit: u16,
    /// `group.share.partition.max.record.locks`.
    pub group_share_partition_max_record_locks: u32,
    /// `group.share.max.share.sessions`.
    pub group_share_max_share_sessions: u32,
    /// `producer.id.expiration.ms`.
    pub producer_id_expiration_ms: u64,
    /// `transaction.max.timeout.ms`.
    pub transaction_max_timeout_ms: i32,
    /// `transactional.id.expiration.ms`.
    pub transactional_id_expiration_ms: u64,
    /// `--memory`: topics and partition logs live in memory only (see [`Cli::memory`]).
    pub memory: bool,
    /// Unused segment files and mappings are released after this many ms.
    pub idle_file_timeout_ms: u64,
    /// Most partitions the broker holds.
    pub max_partitions: usize,
    /// Topics created at start unless they exist (`--create-topic`).
    pub create_topics: Vec<crate::startup_topics::StartupTopic>,
    /// Address of the HTTP endpoint; `None`: no endpoint, and request metrics are not
    /// recorded.
    pub http_listen: Option<SocketAddr>,
}

impl BrokerConfig {
    /// A configuration for tests: ephemeral port on 127.0.0.1, data in `data_dir`.
    pub fn for_tests(data_dir: impl Into<PathBuf>) -> Self {
        BrokerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            advertised_host: None,
            advertised_port: None,
            data_dir: data_dir.into(),
            node_id: 0,
            num_partitions: 1,
            auto_create_topics: true,
            message_max_bytes: DEFAULT_MESSAGE_MAX_BYTES,
            segment_bytes: DEFAULT_SEGMENT_BYTES,
            max_frame_bytes: DEFAULT_MAX_FRAME_BYTES,
            fetch_max_bytes: DEFAULT_FETCH_MAX_BYTES,
            connections_max_idle_ms: DEFAULT_CONNECTIONS_MAX_IDLE_MS,
            frame_read_timeout_ms: DEFAULT_FRAME_READ_TIMEOUT_MS,
            write_timeout_ms: DEFAULT_WRITE_TIMEOUT_MS,
            group_initial_rebalance_delay_ms: 0,
            fsync_on_ack: true,
            retention_ms: 168 * 3_600_000,
            retention_bytes: -1,
            retention_check_interval_ms: 300_000,
            group_consumer_session_timeout_ms: 45_000,
            group_consumer_heartbeat_interval_ms: 5_000,
            group_share_record_lock_duration_ms: 30_000,
            group_share_delivery_count_limit: 5,
            group_share_partition_max_record_locks: 2_000,
            group_share_max_share_sessions: 2_000,
            producer_id_expiration_ms: 86_400_000,
            transaction_max_timeout_ms: 900_000,
            transactional_id_expiration_ms: 604_800_000,
            memory: false,
            idle_file_timeout_ms: DEFAULT_IDLE_FILE_TIMEOUT_MS,
            max_partitions: DEFAULT_MAX_PARTITIONS,
            create_topics: Vec::new(),
            http_listen: None,
        }
    }
}

/// Why the command line could not be turned into a configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// `--advertised-listener` is not `host:port`.
    #[error("advertised listener {0:?} is not host:port")]
    BadAdvertisedListener(String),
    /// `--http-listen` is neither empty nor `ip:port`.
    #[error("http listen address {0:?} is not ip:port (an empty value turns the endpoint off)")]
    BadHttpListen(String),
    /// `--num-partitions` below 1.
    #[error("num-partitions must be at least 1, got {0}")]
    BadPartitionCount(i32),
    /// Bad flags or environment variables (or file values turned into flags); also `--help`
    /// and `--version`, which clap prints.
    #[error("{0}")]
    Args(clap::Error),
    /// The `--config` file could not be used.
    #[error(transparent)]
    File(#[from] crate::config_file::ConfigFileError),
}

/// The default retention in ms, from Kafka's three spellings with Kafka's precedence
/// (`log.retention.ms` over `.minutes` over `.hours`); negative keeps forever.
fn retention_ms(cli: &Cli) -> i64 {
    let ms = match (cli.log_retention_ms, cli.log_retention_minutes) {
        (Some(ms), _) => ms,
        (None, Some(minutes)) if minutes >= 0 => minutes.saturating_mul(60_000),
        (None, Some(_)) => -1,
        (None, None) if cli.log_retention_hours >= 0 => {
            cli.log_retention_hours.saturating_mul(3_600_000)
        }
        (None, None) => -1,
    };
    if ms < 0 {
        -1
    } else {
        ms
    }
}

impl TryFrom<Cli> for BrokerConfig {
    type Error = ConfigError;

    fn try_from(cli: Cli) -> Result<Self, ConfigError> {
        let (advertised_host, advertised_port) = match &cli.advertised_listener {
            None => (None, None),
            Some(s) => {
                let s = s
                    .trim_start_matches("tcp://")
                    .trim_start_matches("PLAINTEXT://");
                let (host, port) = s
                    .rsplit_once(':')
                    .ok_or_else(|| ConfigError::BadAdvertisedListener(s.to_string()))?;
                let port: u16 = port
                    .parse()
                    .map_err(|_| ConfigError::BadAdvertisedListener(s.to_string()))?;
                (Some(host.to_string()), Some(port))
            }
        };
        if cli.num_partitions < 1 {
            return Err(ConfigError::BadPartitionCount(cli.num_partitions));
        }
        let retention_ms = retention_ms(&cli);
        let http_listen = match cli.http_listen.trim() {
            "" => None,
            addr => Some(
                addr.parse()
                    .map_err(|_| ConfigError::BadHttpListen(cli.http_listen.clone()))?,
            ),
        };
        Ok(BrokerConfig {
            listen: cli.listen,
            advertised_host,
            advertised_port,
            data_dir: cli.data_dir,
            node_id: 0,
            num_partitions: cli.num_partitions,
            auto_create_topics: cli.auto_create_topics,
            message_max_bytes: cli.message_max_bytes,
            segment_bytes: cli.segment_bytes,
            max_frame_bytes: cli.max_frame_bytes,
            fetch_max_bytes: cli.fetch_max_bytes,
            connections_max_idle_ms: cli.connections_max_idle_ms.max(1),
            frame_read_timeout_ms: cli.frame_read_timeout_ms.max(1),
            write_timeout_ms: cli.write_timeout_ms.max(1),
            group_initial_rebalance_delay_ms: cli.group_initial_rebalance_delay_ms,
            fsync_on_ack: cli.fsync_on_ack,
            retention_ms,
            retention_bytes: cli.log_retention_bytes,
            retention_check_interval_ms: cli.log_retention_check_interval_ms.max(1),
            group_consumer_session_timeout_ms: cli.group_consumer_session_timeout_ms,
            group_consumer_heartbeat_interval_ms: cli.group_consumer_heartbeat_interval_ms,
            group_share_record_lock_duration_ms: cli.group_share_record_lock_duration_ms.max(1),
            group_share_delivery_count_limit: cli.group_share_delivery_count_limit,
            group_share_partition_max_record_locks: cli
                .group_share_partition_max_record_locks
                .max(1),
            group_share_max_share_sessions: cli.group_share_max_share_sessions,
            producer_id_expiration_ms: cli.producer_id_expiration_ms,
            transaction_max_timeout_ms: cli.transaction_max_timeout_ms,
            transactional_id_expiration_ms: cli.transactional_id_expiration_ms,
            memory: cli.memory,
            idle_file_timeout_ms: cli.idle_file_timeout_ms,
            max_partitions: cli.max_partitions,
            create_topics: cli.create_topic.clone(),
            http_listen,
        })
    }
}
